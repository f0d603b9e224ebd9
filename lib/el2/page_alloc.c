// SPDX-License-Identifier: GPL-2.0-only
/*
 * The hyp buddy page allocator (seeds 000 and 004).
 *
 * A pool covers [range_start, range_end).  Every page of a free block of
 * order k is described by its hyp_page: the head has order = k and refcount
 * 0, the other 2^k - 1 pages have order = HYP_NO_ORDER.  Allocated blocks have
 * a head with refcount >= 1.  The head of a free block sits on
 * free_area[k]; its list node lives in the first 16 bytes of the free page
 * itself (layouts 8 and 4) or in its hyp_page (layout 32).
 *
 * The buddy of a block of order k at physical address P is the block at
 * P ^ (PAGE_SIZE << k).  Example, a pool of 4 pages at PFN 0:
 *
 *   order 0:  [0][1][2][3]     buddy(0, 0) = 1, buddy(2, 0) = 3
 *   order 1:  [0 1 ][2 3 ]     buddy(0, 1) = 2
 *   order 2:  [0 1 2 3   ]     buddy(0, 2) = 4: outside the pool, none
 *
 * A buddy outside the pool's range may not even have a vmemmap entry, so
 * the range check comes before any dereference.  Two free buddies of the
 * same order are always merged on free, so the free lists never hold both
 * halves of a larger block: that is the invariant a decoder can check.
 */
#include "el2/gfp.h"
#include "el2/string.h"
#include "el2/trace.h"

u64 __hyp_vmemmap;

static struct list_head *page_to_node(struct hyp_page *p)
{
#if HYP_FREE_NODE_IN_PAGE
	return hyp_page_to_virt(p);
#else
	return &p->node;
#endif
}

static struct hyp_page *node_to_page(struct list_head *node)
{
#if HYP_FREE_NODE_IN_PAGE
	return hyp_virt_to_page(node);
#else
	return container_of(node, struct hyp_page, node);
#endif
}

static void page_remove_from_list(struct hyp_page *p)
{
	struct list_head *node = page_to_node(p);

	__list_del_entry(node);
	/* A used page keeps no stale pointers into the pool. */
	memset(node, 0, sizeof(*node));
}

static void page_add_to_list(struct hyp_page *p, struct list_head *head)
{
	struct list_head *node = page_to_node(p);

	INIT_LIST_HEAD(node);
	list_add_tail(node, head);
}

/* Index the vmemmap for a potential buddy; its order is not checked. */
static struct hyp_page *__find_buddy_nocheck(struct hyp_pool *pool, struct hyp_page *p,
					     unsigned int order)
{
	phys_addr_t addr = hyp_page_to_phys(p);

	addr ^= (PAGE_SIZE << order);

	/*
	 * Don't return a page outside the pool range -- it belongs to
	 * something else and may not be mapped in hyp_vmemmap.
	 */
	if (addr < pool->range_start || addr >= pool->range_end)
		return NULL;

	return hyp_phys_to_page(addr);
}

/* Find a buddy page that is free and of exactly @order. */
static struct hyp_page *__find_buddy_avail(struct hyp_pool *pool, struct hyp_page *p,
					   unsigned int order)
{
	struct hyp_page *buddy = __find_buddy_nocheck(pool, p, order);

	if (!buddy || buddy->order != order || buddy->refcount)
		return NULL;

	return buddy;
}

static void __hyp_attach_page(struct hyp_pool *pool, struct hyp_page *p)
{
	phys_addr_t phys = hyp_page_to_phys(p);
	unsigned int order = p->order;
	struct hyp_page *buddy;

	memset(hyp_page_to_virt(p), 0, PAGE_SIZE << order);

	/* Pages from outside the pool's range are never coalesced. */
	if (phys < pool->range_start || phys >= pool->range_end)
		goto insert;

	/*
	 * Only the head of the block keeps an order; it may move down to the
	 * buddy's address at every merge.
	 */
	p->order = HYP_NO_ORDER;
	for (; order + 1 < hyp_pool_order_limit(pool); order++) {
		buddy = __find_buddy_avail(pool, p, order);
		if (!buddy)
			break;

		/* Take the buddy off its list, it becomes part of our block. */
		page_remove_from_list(buddy);
		buddy->order = HYP_NO_ORDER;
		p = min(p, buddy);
	}

insert:
	p->order = order;
	page_add_to_list(p, &pool->free_area[order]);
}

static struct hyp_page *__hyp_extract_page(struct hyp_pool *pool, struct hyp_page *p,
					   unsigned int order)
{
	struct hyp_page *buddy;

	page_remove_from_list(p);
	while (p->order > order) {
		/*
		 * The upper half of the block goes back on the free list one
		 * order down; we keep splitting the lower half.
		 */
		p->order--;
		buddy = __find_buddy_nocheck(pool, p, p->order);
		buddy->order = p->order;
		page_add_to_list(buddy, &pool->free_area[buddy->order]);
	}

	return p;
}

static void __hyp_put_page(struct hyp_pool *pool, struct hyp_page *p)
{
	hyp_assert_lock_held(&pool->lock);
	if (hyp_page_ref_dec_and_test(p)) {
		trace_hyp_page_free((u64)pool, hyp_page_to_pfn(p), p->order);
		__hyp_attach_page(pool, p);
	}
}

/*
 * Changes to the buddy tree and page refcounts must be done with the hyp_pool
 * lock held.  A page's refcount may be raised by anyone holding the lock (it
 * is then not on a free list), and the page goes back to the pool when the
 * last reference is dropped.
 */
void hyp_put_page(struct hyp_pool *pool, void *addr)
{
	struct hyp_page *p = hyp_virt_to_page(addr);

	hyp_spin_lock(&pool->lock);
	__hyp_put_page(pool, p);
	hyp_spin_unlock(&pool->lock);
}

void hyp_get_page(struct hyp_pool *pool, void *addr)
{
	struct hyp_page *p = hyp_virt_to_page(addr);

	hyp_spin_lock(&pool->lock);
	hyp_page_ref_inc(p);
	hyp_spin_unlock(&pool->lock);
}

/*
 * Turn an allocated block of order k into 2^k independently refcounted order-0
 * pages (used for concatenated stage-2 PGDs).  The caller holds the only
 * reference to the block, so no lock is needed.
 */
void hyp_split_page(struct hyp_page *p)
{
	unsigned int order = p->order;
	unsigned int i;

	p->order = 0;
	for (i = 1; i < (1U << order); i++) {
		struct hyp_page *tail = p + i;

		tail->order = 0;
		hyp_set_page_refcounted(tail);
	}
}

void *hyp_alloc_pages(struct hyp_pool *pool, unsigned short order)
{
	struct hyp_page *p;
	unsigned int i = order;

	hyp_spin_lock(&pool->lock);

	/* Look for a high-enough-order page */
	while (i < hyp_pool_order_limit(pool) && list_empty(&pool->free_area[i]))
		i++;
	if (i >= hyp_pool_order_limit(pool)) {
		hyp_spin_unlock(&pool->lock);
		return NULL;
	}

	/* Extract it from the tree at the right order */
	p = node_to_page(pool->free_area[i].next);
	p = __hyp_extract_page(pool, p, order);

	hyp_set_page_refcounted(p);
	trace_hyp_page_alloc((u64)pool, hyp_page_to_pfn(p), order);
	hyp_spin_unlock(&pool->lock);

	return hyp_page_to_virt(p);
}

/*
 * The pool's largest order follows its size: a block can never be bigger
 * than the pool.  Current upstream stores the order itself (inclusive); the
 * v5.13..v6.9 allocator stored one past it and sized it from nr_pages + 1.
 */
static hyp_max_order_t hyp_pool_max_order(unsigned int nr_pages)
{
#if HYP_PAGE_LAYOUT == 8
	return min(MAX_PAGE_ORDER, get_order((u64)nr_pages << PAGE_SHIFT));
#else
	return min(MAX_PAGE_ORDER + 1, get_order((u64)(nr_pages + 1) << PAGE_SHIFT));
#endif
}

int hyp_pool_init(struct hyp_pool *pool, u64 pfn, unsigned int nr_pages,
		  unsigned int reserved_pages)
{
	phys_addr_t phys = hyp_pfn_to_phys(pfn);
	struct hyp_page *p;
	unsigned int i;

	if (reserved_pages > nr_pages)
		return -EINVAL;

	hyp_spin_lock_init(&pool->lock);
	pool->max_order = hyp_pool_max_order(nr_pages);
	/* Lists above the pool's order stay untouched, as in the kernel. */
	for (i = 0; i < hyp_pool_order_limit(pool); i++)
		INIT_LIST_HEAD(&pool->free_area[i]);
	pool->range_start = phys;
	pool->range_end = phys + ((u64)nr_pages << PAGE_SHIFT);

	/* Every page starts referenced, as if allocated at order 0. */
	p = hyp_phys_to_page(phys);
	for (i = 0; i < nr_pages; i++) {
		p[i].order = 0;
#if !HYP_FREE_NODE_IN_PAGE
		p[i].pool = pool;
		p[i].node.next = p[i].node.prev = NULL;
#endif
		hyp_set_page_refcounted(&p[i]);
	}

	/* Attach the unused pages to the buddy tree; they coalesce as they go. */
	hyp_spin_lock(&pool->lock);
	for (i = reserved_pages; i < nr_pages; i++)
		__hyp_put_page(pool, &p[i]);
	hyp_spin_unlock(&pool->lock);

	return 0;
}
