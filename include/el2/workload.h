/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A deterministic workload for the page allocator and the ground truth it
 * leaves behind.  The workload allocates (all orders), splits, takes and
 * drops references, and frees, from several pools, keeping its own record
 * of every block it holds.  workload_verify() checks the pools against that
 * record; truth_print() emits the ground-truth JSON from the EL2 core's own
 * structures (free lists, vmemmap), in the hypmem JSON schema's key names.
 */
#ifndef EL2_WORKLOAD_H
#define EL2_WORKLOAD_H

#include "el2/gfp.h"

#define WORKLOAD_MAX_POOLS  4
#define WORKLOAD_MAX_BLOCKS 8192

struct workload_block {
	void *addr;	 /* hyp VA of the head page */
	u8 pool;	 /* index into workload.pools */
	u8 order;	 /* allocation order (0 after a split) */
	u16 refcount;	 /* references the workload holds */
};

struct workload_pool {
	const char *name;
	struct hyp_pool *pool;
	u64 baseline_free; /* free pages before the workload ran */
	u64 held_pages;	   /* pages the workload holds now */
	u64 allocs, alloc_failures, frees, gets, splits;
};

struct workload {
	u64 seed;
	u64 ops;
	u64 rng;
	unsigned int nr_pools;
	struct workload_pool pools[WORKLOAD_MAX_POOLS];
	unsigned int nr_blocks;
	struct workload_block blocks[WORKLOAD_MAX_BLOCKS];
};

void workload_init(struct workload *wl, u64 seed, u64 ops);
int workload_add_pool(struct workload *wl, const char *name, struct hyp_pool *pool);
void workload_run(struct workload *wl);
/* Returns the number of mismatches (each printed), 0 when all agree. */
int workload_verify(struct workload *wl);

/* Free pages and blocks by order, walked through the pool's lists. */
struct pool_free_stats {
	u64 free_pages;
	u64 free_pages_by_order[NR_PAGE_ORDERS];
	u64 free_blocks_by_order[NR_PAGE_ORDERS];
};
int pool_free_stats(struct hyp_pool *pool, struct pool_free_stats *st);

struct heap_workload;
struct truth_target {
	const char *release;
	u64 ram_start, ram_end;
	u64 kimage_voffset;
	u64 carveout_base, carveout_size;
	const struct heap_workload *heap; /* NULL: no heap section */
};
void truth_print(struct workload *wl, const struct truth_target *tgt);

#endif /* EL2_WORKLOAD_H */
