// SPDX-License-Identifier: GPL-2.0-only
/*
 * The SMP phase of the workload (see el2/smp_workload.h): per-CPU
 * deterministic op streams on shared pools, and the check that the pools
 * come out of it exactly as they went in.
 */
#include "el2/printk.h"
#include "el2/smp_workload.h"
#include "el2/string.h"
#include "el2/trace.h"

struct smp_workload hyp_smp_workload;

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL

static u64 sw_rand(struct smp_wl_cpu *c)
{
	u64 x = c->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	c->rng = x;
	return x;
}

void smp_workload_init(struct smp_workload *sw, u64 seed, u64 ops_per_cpu, unsigned int nr_cpus)
{
	unsigned int cpu;

	memset(sw, 0, sizeof(*sw));
	sw->seed = seed;
	sw->ops_per_cpu = ops_per_cpu;
	sw->nr_cpus = nr_cpus > HYP_MAX_CPUS ? HYP_MAX_CPUS : nr_cpus;
	for (cpu = 0; cpu < HYP_MAX_CPUS; cpu++) {
		/* A different xorshift stream per CPU, never 0. */
		u64 r = (seed + 0x632be59bd9b4e019ULL * (cpu + 1)) * 0x94d049bb133111ebULL;

		sw->cpus[cpu].rng = r ? r : 1;
	}
}

int smp_workload_add_pool(struct smp_workload *sw, const char *name, struct hyp_pool *pool)
{
	if (sw->nr_pools >= WORKLOAD_MAX_POOLS)
		return -ENOSPC;
	sw->pools[sw->nr_pools].name = name;
	sw->pools[sw->nr_pools].pool = pool;
	sw->nr_pools++;
	return 0;
}

/* FNV-1a over the (refcount, order) of every page of @pool's range. */
static u64 pool_state_hash(struct hyp_pool *pool)
{
	u64 pfn, h = FNV_OFFSET;

	hyp_spin_lock(&pool->lock);
	for (pfn = pool->range_start >> PAGE_SHIFT; pfn < pool->range_end >> PAGE_SHIFT; pfn++) {
		struct hyp_page *p = &hyp_vmemmap[pfn];
		u64 v = (u64)p->refcount << 32 | (u32)p->order;
		unsigned int i;

		for (i = 0; i < 8; i++)
			h = (h ^ ((v >> (8 * i)) & 0xff)) * FNV_PRIME;
	}
	hyp_spin_unlock(&pool->lock);
	return h;
}

void smp_workload_begin(struct smp_workload *sw)
{
	unsigned int i;

	for (i = 0; i < sw->nr_pools; i++) {
		pool_free_stats(sw->pools[i].pool, &sw->pools[i].before);
		sw->pools[i].hash_before = pool_state_hash(sw->pools[i].pool);
	}
}

static void hold(struct smp_wl_cpu *c, void *addr, unsigned int pool, unsigned int order)
{
	struct smp_wl_block *b = &c->blocks[c->nr_blocks++];

	b->addr = addr;
	b->pool = pool;
	b->order = order;
	b->refcount = 1;
}

static void op_alloc(struct smp_workload *sw, struct smp_wl_cpu *c)
{
	unsigned int pi = sw_rand(c) % sw->nr_pools;
	struct hyp_pool *pool = sw->pools[pi].pool;
	unsigned int limit = hyp_pool_order_limit(pool), order = 0, i;
	u64 r = sw_rand(c);
	bool split;
	void *addr;

	/* Orders 0..3, each about half as likely as the one below. */
	while ((r & 1) && order < 3 && order + 1 < limit) {
		order++;
		r >>= 1;
	}
	split = order && (sw_rand(c) % 8) == 0;
	if (c->nr_blocks + (1U << order) > SMP_WL_MAX_BLOCKS)
		return;
	addr = hyp_alloc_pages(pool, order);
	if (!addr) {
		c->alloc_failures++;
		return;
	}
	c->allocs++;
	if (!split) {
		hold(c, addr, pi, order);
		return;
	}
	hyp_spin_lock(&pool->lock);
	hyp_split_page(hyp_virt_to_page(addr));
	hyp_spin_unlock(&pool->lock);
	c->splits++;
	for (i = 0; i < (1U << order); i++)
		hold(c, (char *)addr + i * PAGE_SIZE, pi, 0);
}

static void op_put(struct smp_workload *sw, struct smp_wl_cpu *c, unsigned int idx)
{
	struct smp_wl_block *b = &c->blocks[idx];

	hyp_put_page(sw->pools[b->pool].pool, b->addr);
	c->frees++;
	if (--b->refcount)
		return;
	*b = c->blocks[--c->nr_blocks];
}

static void op_get(struct smp_workload *sw, struct smp_wl_cpu *c)
{
	struct smp_wl_block *b = &c->blocks[sw_rand(c) % c->nr_blocks];

	if (b->refcount >= 4)
		return;
	hyp_get_page(sw->pools[b->pool].pool, b->addr);
	b->refcount++;
	c->gets++;
}

void smp_workload_run_cpu(struct smp_workload *sw, unsigned int cpu)
{
	struct smp_wl_cpu *c;
	u64 op;

	if (cpu >= sw->nr_cpus || !sw->nr_pools)
		return;
	c = &sw->cpus[cpu];
	for (op = 0; op < sw->ops_per_cpu; op++) {
		unsigned int r = sw_rand(c) % 100;
		/* Hold about half the record's capacity. */
		unsigned int alloc_pct = c->nr_blocks < SMP_WL_MAX_BLOCKS / 2 ? 50 : 20;

		trace_hyp_enter();
		if (r < alloc_pct || !c->nr_blocks)
			op_alloc(sw, c);
		else if (r < 85)
			op_put(sw, c, sw_rand(c) % c->nr_blocks);
		else
			op_get(sw, c);
		trace_hyp_exit();
		c->ops++;
	}
	/* Give everything back: the phase leaves the pools as it found them. */
	while (c->nr_blocks) {
		trace_hyp_enter();
		op_put(sw, c, c->nr_blocks - 1);
		trace_hyp_exit();
	}
}

int smp_workload_end(struct smp_workload *sw)
{
	unsigned int i;
	int bad = 0;

	for (i = 0; i < sw->nr_pools; i++) {
		struct smp_wl_pool *p = &sw->pools[i];

		pool_free_stats(p->pool, &p->after);
		p->hash_after = pool_state_hash(p->pool);
		if (memcmp(&p->before, &p->after, sizeof(p->before)) ||
		    p->hash_before != p->hash_after) {
			hyp_printf("smp: %s: %llu free pages before the SMP phase, %llu after; "
				   "page state hash 0x%llx, 0x%llx\n",
				   p->name, (unsigned long long)p->before.free_pages,
				   (unsigned long long)p->after.free_pages,
				   (unsigned long long)p->hash_before,
				   (unsigned long long)p->hash_after);
			bad++;
		}
	}
	sw->mismatches = bad;
	return bad;
}

void smp_truth_print(void)
{
	struct smp_workload *sw = &hyp_smp_workload;
	unsigned int i;

	hyp_printf("  \"smp\": {\"nr_cpus\": %u, \"seed\": %llu, \"ops_per_cpu\": %llu, "
		   "\"mismatches\": %d,\n    \"pools\": [",
		   sw->nr_cpus, (unsigned long long)sw->seed, (unsigned long long)sw->ops_per_cpu,
		   sw->mismatches);
	for (i = 0; sw->nr_cpus && i < sw->nr_pools; i++) {
		struct smp_wl_pool *p = &sw->pools[i];

		hyp_printf("%s{\"name\": \"%s\", \"free_pages\": %llu, \"state_hash_before\": "
			   "\"0x%llx\", \"state_hash_after\": \"0x%llx\"}",
			   i ? ", " : "", p->name, (unsigned long long)p->after.free_pages,
			   (unsigned long long)p->hash_before, (unsigned long long)p->hash_after);
	}
	hyp_printf("],\n    \"cpus\": [");
	for (i = 0; i < sw->nr_cpus; i++) {
		struct smp_wl_cpu *c = &sw->cpus[i];

		hyp_printf("%s{\"cpu\": %u, \"ops\": %llu, \"allocs\": %llu, \"alloc_failures\": "
			   "%llu, \"frees\": %llu, \"gets\": %llu, \"splits\": %llu}",
			   i ? ", " : "", i, (unsigned long long)c->ops,
			   (unsigned long long)c->allocs, (unsigned long long)c->alloc_failures,
			   (unsigned long long)c->frees, (unsigned long long)c->gets,
			   (unsigned long long)c->splits);
	}
	hyp_printf("]},\n");
}
