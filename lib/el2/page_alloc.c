// SPDX-License-Identifier: GPL-2.0-only
/*
 * hyp_pool: the binary buddy allocator that backs the hyp's own page tables
 * and the host stage-2 tables (in the kernel since v5.13,
 * arch/arm64/kvm/hyp/nvhe/page_alloc.c; our names and layouts follow it).
 *
 * What the decoder reads back from a dump, and so what this file must keep
 * true at every unlock:
 *
 *  - A free block of 2^k pages is described by its first page ("head"):
 *    refcount 0 and order k.  Its 2^k - 1 other pages say HYP_NO_ORDER.
 *  - A head is linked on free_area[k], appended at the tail.  The link is
 *    16 bytes at the start of the free page itself (layouts 8 and 4, since
 *    v5.14) or the node member of struct hyp_page (layout 32, v5.13).
 *  - Blocks are naturally aligned in physical address space: the block that
 *    pairs with an order-k block at P is at P ^ (PAGE_SIZE << k).  With a
 *    pool of pages 0..3:
 *
 *        k = 0:  [0][1][2][3]    0 pairs with 1, 2 with 3
 *        k = 1:  [0 1 ][2 3 ]    0 pairs with 2
 *        k = 2:  [0 1 2 3   ]    the partner would be page 4: not ours
 *
 *  - Two free partners of equal order never both sit on a list: freeing
 *    merges them at once.  A partner is only looked up inside
 *    [range_start, range_end), because outside it the vmemmap may not even
 *    be mapped.
 *  - An allocated block has a head with refcount >= 1; the memory of a
 *    block is zeroed when it goes back, and a link is cleared when it comes
 *    off a list, so no stale pointer into the pool survives in a used page.
 */
#include "el2/gfp.h"
#include "el2/string.h"
#include "el2/trace.h"

u64 __hyp_vmemmap;

/* The list link of a free head, wherever this layout keeps it. */
static struct list_head *free_link(struct hyp_page *head)
{
#if HYP_FREE_NODE_IN_PAGE
	return hyp_page_to_virt(head);
#else
	return &head->node;
#endif
}

static struct hyp_page *link_to_head(struct list_head *link)
{
#if HYP_FREE_NODE_IN_PAGE
	return hyp_virt_to_page(link);
#else
	return container_of(link, struct hyp_page, node);
#endif
}

/* Queue @head as a free block of 2^@order pages, behind the others. */
static void queue_free(struct hyp_pool *pool, struct hyp_page *head, unsigned int order)
{
	struct list_head *link = free_link(head);

	head->order = order;
	INIT_LIST_HEAD(link);
	list_add_tail(link, &pool->free_area[order]);
}

/* Take @head off its free list and wipe the link it leaves behind. */
static void dequeue_free(struct hyp_page *head)
{
	struct list_head *link = free_link(head);

	__list_del_entry(link);
	memset(link, 0, sizeof(*link));
}

static bool pool_owns(const struct hyp_pool *pool, phys_addr_t pa)
{
	return pa >= pool->range_start && pa < pool->range_end;
}

/*
 * The order-@order block paired with @head's, if it lies in @pool; nothing
 * is read from the vmemmap before the range check.
 */
static struct hyp_page *pair_of(const struct hyp_pool *pool, struct hyp_page *head,
				unsigned int order)
{
	phys_addr_t pa = hyp_page_to_phys(head) ^ (PAGE_SIZE << order);

	return pool_owns(pool, pa) ? hyp_phys_to_page(pa) : NULL;
}

/* Can @pair be merged into an order-@order block's neighbour right now? */
static bool mergeable(const struct hyp_page *pair, unsigned int order)
{
	return pair && !pair->refcount && pair->order == order;
}

/*
 * Return a block whose last reference is gone.  It grows by absorbing its
 * free partner, one order at a time, up to the pool's largest order; the
 * head of the result is the lower of each pair.
 */
static void release_block(struct hyp_pool *pool, struct hyp_page *head)
{
	unsigned int limit = hyp_pool_order_limit(pool);
	unsigned int order = head->order;

	memset(hyp_page_to_virt(head), 0, PAGE_SIZE << order);

	if (pool_owns(pool, hyp_page_to_phys(head))) {
		head->order = HYP_NO_ORDER;
		for (; order + 1 < limit; order++) {
			struct hyp_page *pair = pair_of(pool, head, order);

			if (!mergeable(pair, order))
				break;
			dequeue_free(pair);
			pair->order = HYP_NO_ORDER;
			if (pair < head)
				head = pair;
		}
	}
	queue_free(pool, head, order);
}

/*
 * Take the free block at @head and cut it down to 2^@want pages: each cut
 * keeps the lower half and queues the upper half one order down, so the
 * leftovers of a large block end up on the lists smallest first.
 */
static struct hyp_page *cut_block(struct hyp_pool *pool, struct hyp_page *head, unsigned int want)
{
	dequeue_free(head);
	while (head->order > want) {
		unsigned int half = head->order - 1;

		head->order = half;
		queue_free(pool, head + (1UL << half), half);
	}
	return head;
}

/* The smallest order >= @want with a free block, or @limit if none. */
static unsigned int first_stocked_order(const struct hyp_pool *pool, unsigned int want,
					unsigned int limit)
{
	unsigned int k;

	for (k = want; k < limit; k++) {
		if (!list_empty(&pool->free_area[k]))
			break;
	}
	return k;
}

/* Drop one reference to the block at @head; the pool lock is held. */
static void unref_locked(struct hyp_pool *pool, struct hyp_page *head)
{
	hyp_assert_lock_held(&pool->lock);
	if (!hyp_page_ref_dec_and_test(head))
		return;
	trace_hyp_page_free((u64)pool, hyp_page_to_pfn(head), head->order);
	release_block(pool, head);
}

/*
 * Refcounts and free lists change only under pool->lock.  A page with a
 * reference is off every list, so taking one more is just an increment.
 */
void hyp_put_page(struct hyp_pool *pool, void *addr)
{
	hyp_spin_lock(&pool->lock);
	unref_locked(pool, hyp_virt_to_page(addr));
	hyp_spin_unlock(&pool->lock);
}

void hyp_get_page(struct hyp_pool *pool, void *addr)
{
	hyp_spin_lock(&pool->lock);
	hyp_page_ref_inc(hyp_virt_to_page(addr));
	hyp_spin_unlock(&pool->lock);
}

/*
 * Make each page of a freshly allocated block its own order-0 allocation
 * with one reference (a concatenated stage-2 PGD is freed page by page).
 * Nobody else can see the block yet, so the lock is not needed.
 */
void hyp_split_page(struct hyp_page *p)
{
	unsigned int n = 1U << p->order;
	unsigned int i;

	p->order = 0;
	for (i = 1; i < n; i++) {
		p[i].order = 0;
		hyp_set_page_refcounted(&p[i]);
	}
}

void *hyp_alloc_pages(struct hyp_pool *pool, unsigned short order)
{
	unsigned int limit, k;
	struct hyp_page *head = NULL;

	hyp_spin_lock(&pool->lock);
	limit = hyp_pool_order_limit(pool);
	k = first_stocked_order(pool, order, limit);
	if (k < limit) {
		head = cut_block(pool, link_to_head(pool->free_area[k].next), order);
		hyp_set_page_refcounted(head);
		trace_hyp_page_alloc((u64)pool, hyp_page_to_pfn(head), order);
	}
	hyp_spin_unlock(&pool->lock);

	return head ? hyp_page_to_virt(head) : NULL;
}

/*
 * The value stored in max_order for a pool of @nr_pages: no block can be
 * larger than the pool.  v6.10 and later store the largest order itself;
 * v5.13..v6.9 stored one more and sized it from nr_pages + 1.
 */
static hyp_max_order_t hyp_pool_max_order(unsigned int nr_pages)
{
#if HYP_PAGE_LAYOUT == 8
	return min(MAX_PAGE_ORDER, get_order((u64)nr_pages << PAGE_SHIFT));
#else
	return min(MAX_PAGE_ORDER + 1, get_order((u64)(nr_pages + 1) << PAGE_SHIFT));
#endif
}

/* Each page starts as a referenced order-0 allocation, off every list. */
static void claim_all(struct hyp_pool *pool, struct hyp_page *first, unsigned int nr_pages)
{
	struct hyp_page *p;

	for (p = first; p < first + nr_pages; p++) {
		p->order = 0;
#if !HYP_FREE_NODE_IN_PAGE
		p->pool = pool;
		p->node.next = NULL;
		p->node.prev = NULL;
#else
		(void)pool;
#endif
		hyp_set_page_refcounted(p);
	}
}

int hyp_pool_init(struct hyp_pool *pool, u64 pfn, unsigned int nr_pages,
		  unsigned int reserved_pages)
{
	struct hyp_page *first = hyp_phys_to_page(hyp_pfn_to_phys(pfn));
	unsigned int k, limit;

	if (reserved_pages > nr_pages)
		return -EINVAL;

	hyp_spin_lock_init(&pool->lock);
	pool->range_start = hyp_pfn_to_phys(pfn);
	pool->range_end = hyp_pfn_to_phys(pfn + nr_pages);
	pool->max_order = hyp_pool_max_order(nr_pages);

	/*
	 * Only the lists a block of this pool can reach are initialised; a
	 * dump shows the others as the kernel leaves them, untouched.
	 */
	limit = hyp_pool_order_limit(pool);
	for (k = 0; k < limit; k++)
		INIT_LIST_HEAD(&pool->free_area[k]);

	claim_all(pool, first, nr_pages);

	/* Free what the caller did not reserve, in address order. */
	hyp_spin_lock(&pool->lock);
	for (k = reserved_pages; k < nr_pages; k++)
		unref_locked(pool, first + k);
	hyp_spin_unlock(&pool->lock);

	return 0;
}
