/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The SMP phase of the workload: every CPU runs its own deterministic
 * stream of page operations on the SAME pools at the same time, so the
 * pools' spinlocks are contended and the per-CPU trace buffers interleave.
 *
 * Each CPU frees everything it took before the phase ends.  A buddy
 * allocator that always merges free buddies has exactly one way to cover a
 * given set of free pages with free blocks, so once every CPU is done the
 * pools hold the same free blocks, and every page of them the same refcount
 * and order, as before the phase, whatever the interleaving was: only the
 * order of blocks on a free list may differ.  smp_workload_end() checks
 * that (free pages and blocks by order, and a hash over the (refcount,
 * order) of every page in each pool's range), so the ground truth the dumps
 * are checked against stays deterministic.
 *
 * Sequencing (who starts the CPUs, the barriers) is the arch code's
 * (lib/el2/arch/arm64/smp.c); this file is portable and runs natively with
 * threads playing CPUs (tests/unit/el2_smp.c).
 */
#ifndef EL2_SMP_WORKLOAD_H
#define EL2_SMP_WORKLOAD_H

#include "el2/gfp.h"
#include "el2/percpu.h"
#include "el2/workload.h"

#define SMP_WL_MAX_BLOCKS 64 /* blocks one CPU holds at most */

struct smp_wl_block {
	void *addr;
	u8 pool;
	u8 order;
	u16 refcount;
};

/* One CPU's stream and its own record of what it did. */
struct smp_wl_cpu {
	u64 rng;
	u64 ops, allocs, alloc_failures, frees, gets, splits;
	unsigned int nr_blocks;
	struct smp_wl_block blocks[SMP_WL_MAX_BLOCKS];
};

struct smp_wl_pool {
	const char *name;
	struct hyp_pool *pool;
	struct pool_free_stats before, after;
	u64 hash_before, hash_after;
};

struct smp_workload {
	u64 seed;
	u64 ops_per_cpu;
	unsigned int nr_cpus; /* CPUs taking part, 0: the phase did not run */
	unsigned int nr_pools;
	int mismatches; /* from smp_workload_end() */
	struct smp_wl_pool pools[WORKLOAD_MAX_POOLS];
	struct smp_wl_cpu cpus[HYP_MAX_CPUS];
};

/* The image's instance, printed in the ground truth by smp_truth_print(). */
extern struct smp_workload hyp_smp_workload;

/* One CPU: before the phase, with no other CPU touching the pools. */
void smp_workload_init(struct smp_workload *sw, u64 seed, u64 ops_per_cpu, unsigned int nr_cpus);
int smp_workload_add_pool(struct smp_workload *sw, const char *name, struct hyp_pool *pool);
void smp_workload_begin(struct smp_workload *sw);

/* Every CPU of the phase, concurrently: @cpu's stream of @sw->ops_per_cpu ops. */
void smp_workload_run_cpu(struct smp_workload *sw, unsigned int cpu);

/* One CPU, after all are done: the pools must be as before.  Returns mismatches. */
int smp_workload_end(struct smp_workload *sw);

/* The "smp" object of the ground truth, with its trailing comma and newline. */
void smp_truth_print(void);

#endif /* EL2_SMP_WORKLOAD_H */
