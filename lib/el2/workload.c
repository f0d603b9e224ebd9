// SPDX-License-Identifier: GPL-2.0-only
/*
 * The page-allocator workload.  Deterministic for a given seed: a xorshift
 * generator picks, at every step, a pool and one of alloc / put / get.
 * Allocation orders are skewed towards small ones (order k with probability
 * about 2^-(k+1)), one multi-page allocation in eight is split into order-0
 * pages as the kernel does for concatenated stage-2 PGDs, and references are
 * taken and dropped on held blocks.  The mix settles into a fragmented pool
 * with blocks of every order free and in use.
 */
#include "el2/printk.h"
#include "el2/string.h"
#include "el2/trace.h"
#include "el2/workload.h"

static u64 wl_rand(struct workload *wl)
{
	u64 x = wl->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	wl->rng = x;
	return x;
}

void workload_init(struct workload *wl, u64 seed, u64 ops)
{
	memset(wl, 0, sizeof(*wl));
	wl->seed = seed;
	wl->ops = ops;
	/* xorshift must not start at 0; mix the seed a little. */
	wl->rng = (seed ^ 0x9e3779b97f4a7c15ULL) * 0xbf58476d1ce4e5b9ULL;
	if (!wl->rng)
		wl->rng = 1;
}

int pool_free_stats(struct hyp_pool *pool, struct pool_free_stats *st)
{
	unsigned int order;

	memset(st, 0, sizeof(*st));
	hyp_spin_lock(&pool->lock);
	for (order = 0; order < hyp_pool_order_limit(pool); order++) {
		struct list_head *head = &pool->free_area[order], *node;

		list_for_each(node, head) {
			st->free_blocks_by_order[order]++;
			st->free_pages_by_order[order] += 1UL << order;
		}
		st->free_pages += st->free_pages_by_order[order];
	}
	hyp_spin_unlock(&pool->lock);
	return 0;
}

int workload_add_pool(struct workload *wl, const char *name, struct hyp_pool *pool)
{
	struct workload_pool *wp;
	struct pool_free_stats st;

	if (wl->nr_pools >= WORKLOAD_MAX_POOLS)
		return -ENOSPC;
	wp = &wl->pools[wl->nr_pools++];
	wp->name = name;
	wp->pool = pool;
	pool_free_stats(pool, &st);
	wp->baseline_free = st.free_pages;
	return 0;
}

static unsigned int pick_order(struct workload *wl, struct hyp_pool *pool)
{
	unsigned int limit = hyp_pool_order_limit(pool);
	u64 r = wl_rand(wl);
	unsigned int order = 0;

	while ((r & 1) && order + 1 < limit) {
		order++;
		r >>= 1;
	}
	return order;
}

static void record_block(struct workload *wl, void *addr, unsigned int pool, unsigned int order)
{
	struct workload_block *b = &wl->blocks[wl->nr_blocks++];

	b->addr = addr;
	b->pool = pool;
	b->order = order;
	b->refcount = 1;
}

static void do_alloc(struct workload *wl, unsigned int pi)
{
	struct workload_pool *wp = &wl->pools[pi];
	unsigned int order = pick_order(wl, wp->pool);
	bool split = order > 0 && (wl_rand(wl) % 8) == 0;
	unsigned int i;
	void *addr;

	/* Leave room in the record for a split block's pages. */
	if (wl->nr_blocks + (1U << order) > WORKLOAD_MAX_BLOCKS)
		return;

	addr = hyp_alloc_pages(wp->pool, order);
	if (!addr) {
		wp->alloc_failures++;
		return;
	}
	wp->allocs++;
	wp->held_pages += 1UL << order;

	if (!split) {
		record_block(wl, addr, pi, order);
		return;
	}

	hyp_spin_lock(&wp->pool->lock);
	hyp_split_page(hyp_virt_to_page(addr));
	hyp_spin_unlock(&wp->pool->lock);
	wp->splits++;
	for (i = 0; i < (1U << order); i++)
		record_block(wl, (char *)addr + i * PAGE_SIZE, pi, 0);
}

static void do_put(struct workload *wl)
{
	unsigned int idx = wl_rand(wl) % wl->nr_blocks;
	struct workload_block *b = &wl->blocks[idx];
	struct workload_pool *wp = &wl->pools[b->pool];

	hyp_put_page(wp->pool, b->addr);
	wp->frees++;
	if (--b->refcount)
		return;

	wp->held_pages -= 1UL << b->order;
	wl->blocks[idx] = wl->blocks[--wl->nr_blocks];
}

static void do_get(struct workload *wl)
{
	struct workload_block *b = &wl->blocks[wl_rand(wl) % wl->nr_blocks];

	/* Keep refcounts modest, as real users do. */
	if (b->refcount >= 6)
		return;
	hyp_get_page(wl->pools[b->pool].pool, b->addr);
	b->refcount++;
	wl->pools[b->pool].gets++;
}

void workload_run(struct workload *wl)
{
	u64 op;

	if (!wl->nr_pools)
		return;

	for (op = 0; op < wl->ops; op++) {
		unsigned int r = wl_rand(wl) % 100;
		unsigned int pi = wl_rand(wl) % wl->nr_pools;
		struct workload_pool *wp = &wl->pools[pi];
		/*
		 * Hold the pool around 60% full: allocate more often below
		 * that, free more often above, so both used and free blocks
		 * of every order remain.
		 */
		unsigned int alloc_pct = wp->held_pages * 10 < wp->baseline_free * 6 ? 50 : 25;

		/* Each operation plays one host call into the hypervisor. */
		trace_hyp_enter();
		if (r < alloc_pct || !wl->nr_blocks)
			do_alloc(wl, pi);
		else if (r < 85)
			do_put(wl);
		else
			do_get(wl);
		trace_hyp_exit();
	}
}

/* Does the block at @p look like a free block of @order in @pool? */
static int verify_free_block(struct hyp_pool *pool, struct hyp_page *p, unsigned int order)
{
	phys_addr_t phys = hyp_page_to_phys(p);
	u64 i, nr = 1UL << order;
	int bad = 0;

	/* Buddies pair up on absolute physical addresses, so blocks are aligned. */
	if (phys < pool->range_start || phys + (nr << PAGE_SHIFT) > pool->range_end ||
	    !IS_ALIGNED(phys, nr << PAGE_SHIFT)) {
		hyp_printf("verify: free block 0x%llx order %u outside or misaligned\n",
			   (unsigned long long)phys, order);
		return 1;
	}
	if (p->refcount || p->order != order) {
		hyp_printf("verify: free head 0x%llx refcount %u order %u (list %u)\n",
			   (unsigned long long)phys, (unsigned int)p->refcount,
			   (unsigned int)p->order, order);
		bad++;
	}
	for (i = 1; i < nr; i++) {
		if (p[i].refcount || p[i].order != HYP_NO_ORDER) {
			hyp_printf("verify: tail 0x%llx of free block 0x%llx: refcount %u order %u\n",
				   (unsigned long long)(phys + (i << PAGE_SHIFT)),
				   (unsigned long long)phys, (unsigned int)p[i].refcount,
				   (unsigned int)p[i].order);
			bad++;
			break;
		}
	}
	return bad;
}

static int verify_pool_lists(struct hyp_pool *pool)
{
	unsigned int order;
	int bad = 0;

	for (order = 0; order < hyp_pool_order_limit(pool); order++) {
		struct list_head *head = &pool->free_area[order], *node;

		list_for_each(node, head) {
#if HYP_FREE_NODE_IN_PAGE
			struct hyp_page *p = hyp_virt_to_page(node);
#else
			struct hyp_page *p = container_of(node, struct hyp_page, node);
#endif
			bad += verify_free_block(pool, p, order);
		}
	}
	return bad;
}

int workload_verify(struct workload *wl)
{
	unsigned int i;
	int bad = 0;

	for (i = 0; i < wl->nr_pools; i++) {
		struct workload_pool *wp = &wl->pools[i];
		struct pool_free_stats st;

		pool_free_stats(wp->pool, &st);
		if (st.free_pages + wp->held_pages != wp->baseline_free) {
			hyp_printf("verify: %s: lists say %llu free, record says %llu\n", wp->name,
				   (unsigned long long)st.free_pages,
				   (unsigned long long)(wp->baseline_free - wp->held_pages));
			bad++;
		}
		bad += verify_pool_lists(wp->pool);
	}

	for (i = 0; i < wl->nr_blocks; i++) {
		struct workload_block *b = &wl->blocks[i];
		struct hyp_page *p = hyp_virt_to_page(b->addr);

		if (p->refcount != b->refcount || p->order != b->order) {
			hyp_printf("verify: block 0x%llx: vmemmap refcount %u order %u, "
				   "record refcount %u order %u\n",
				   (unsigned long long)hyp_virt_to_phys(b->addr),
				   (unsigned int)p->refcount, (unsigned int)p->order,
				   (unsigned int)b->refcount, (unsigned int)b->order);
			bad++;
		}
	}
	return bad;
}
