/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * struct hyp_pool: a buddy allocator over a physically contiguous range of
 * pages, with per-order free lists.  See lib/el2/page_alloc.c.
 */
#ifndef EL2_GFP_H
#define EL2_GFP_H

#include "el2/list.h"
#include "el2/memory.h"
#include "el2/spinlock.h"

/* MAX_PAGE_ORDER: the largest buddy order (inclusive), 4 MiB blocks. */
#define MAX_PAGE_ORDER 10
#define NR_PAGE_ORDERS (MAX_PAGE_ORDER + 1)

#if HYP_PAGE_LAYOUT == 8
typedef u8 hyp_max_order_t;
#elif HYP_PAGE_LAYOUT == 4
typedef unsigned short hyp_max_order_t;
#else
typedef unsigned int hyp_max_order_t;
#endif

/*
 * As struct hyp_pool in v6.15 (layout 8), v6.1 (4) and v5.13 (32); only
 * the type of max_order differs.
 */
struct hyp_pool {
	/*
	 * Protects the pool's free lists and the refcount/order of every
	 * hyp_page in [range_start, range_end).
	 */
	hyp_spinlock_t lock;
	struct list_head free_area[NR_PAGE_ORDERS];
	phys_addr_t range_start;
	phys_addr_t range_end;
	hyp_max_order_t max_order;
};

/*
 * hyp_pool_order_limit() - One past the largest order a free block of @pool
 * may have.  Layout 8 follows current upstream, where max_order is the
 * largest order itself; the older layouts store one past it.
 */
static inline unsigned int hyp_pool_order_limit(const struct hyp_pool *pool)
{
#if HYP_PAGE_LAYOUT == 8
	return pool->max_order + 1U;
#else
	return pool->max_order;
#endif
}

/*
 * Set up @pool over @nr_pages pages from @pfn.  The first @reserved_pages
 * stay allocated (one reference each) and can never be freed into the pool.
 */
int hyp_pool_init(struct hyp_pool *pool, u64 pfn, unsigned int nr_pages,
		  unsigned int reserved_pages);

/* A zeroed block of 2^@order pages with one reference, or NULL. */
void *hyp_alloc_pages(struct hyp_pool *pool, unsigned short order);

/* Reference counting of an allocated block, by any address in its head page. */
void hyp_put_page(struct hyp_pool *pool, void *addr);
void hyp_get_page(struct hyp_pool *pool, void *addr);

/* Turn a fresh block into independent order-0 pages of one reference each. */
void hyp_split_page(struct hyp_page *page);

#endif /* EL2_GFP_H */
