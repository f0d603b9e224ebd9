// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the SMP phase (el2/smp_workload.h) and of the lock it leans
 * on, natively, with threads playing CPUs (host_cpu_id, el2/percpu.h).
 *
 * The claim under test: CPUs running their own op streams on shared pools
 * at the same time, each giving back everything it took, leave the pools
 * exactly as they found them (same free blocks, same refcount and order on
 * every page), whatever the interleaving.  The oracle for a fresh pool is
 * independent of the allocator: a fully free range decomposes greedily
 * into the largest aligned blocks below the pool's order limit.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "el2/gfp.h"
#include "el2/percpu.h"
#include "el2/smp_workload.h"
#include "el2/workload.h"
#include "test.h"

#define RAM_BASE   0x40000000ULL
#define RAM_PAGES  4096
#define NR_THREADS 4

#include "../lib/el2_fakeram.h"

static void oracle_blocks(u64 first, u64 last, unsigned int limit, u64 *blocks)
{
	while (first < last) {
		unsigned int k = 0;

		while (k + 1 < limit && !(first & ((2ULL << k) - 1)) && first + (2ULL << k) <= last)
			k++;
		blocks[k]++;
		first += 1ULL << k;
	}
}

struct cpu_arg {
	struct smp_workload *sw;
	unsigned int cpu;
	pthread_barrier_t *start;
};

static void *cpu_thread(void *p)
{
	struct cpu_arg *a = p;

	host_cpu_id = a->cpu;
	pthread_barrier_wait(a->start);
	smp_workload_run_cpu(a->sw, hyp_smp_processor_id());
	return NULL;
}

static void run_phase(struct smp_workload *sw, unsigned int nr)
{
	pthread_t th[NR_THREADS];
	struct cpu_arg args[NR_THREADS];
	pthread_barrier_t start;
	unsigned int i;

	pthread_barrier_init(&start, NULL, nr);
	for (i = 0; i < nr; i++) {
		args[i] = (struct cpu_arg){sw, i, &start};
		pthread_create(&th[i], NULL, cpu_thread, &args[i]);
	}
	for (i = 0; i < nr; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
}

TEST(percpu_id_is_per_thread)
{
	host_cpu_id = 3;
	CHECK_EQ_U64(hyp_smp_processor_id(), 3);
	host_cpu_id = 0;
	CHECK_EQ_U64(hyp_smp_processor_id(), 0);
}

static hyp_spinlock_t count_lock;
static u64 counter;

static void *lock_thread(void *p)
{
	(void)p;
	for (int i = 0; i < 50000; i++) {
		hyp_spin_lock(&count_lock);
		hyp_assert_lock_held(&count_lock);
		counter = counter + 1; /* not atomic: only the lock protects it */
		hyp_spin_unlock(&count_lock);
	}
	return NULL;
}

TEST(ticket_lock_excludes)
{
	pthread_t th[NR_THREADS];

	hyp_spin_lock_init(&count_lock);
	counter = 0;
	for (int i = 0; i < NR_THREADS; i++)
		pthread_create(&th[i], NULL, lock_thread, NULL);
	for (int i = 0; i < NR_THREADS; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ_U64(counter, 50000ULL * NR_THREADS);
	CHECK(!hyp_spin_is_locked(&count_lock));
	/* Every ticket handed out was served: owner == next == count mod 2^16. */
	CHECK_EQ_U64(count_lock.owner, (u16)(50000 * NR_THREADS));
	CHECK_EQ_U64(count_lock.next, (u16)(50000 * NR_THREADS));
}

TEST(fresh_pools_come_back_whole)
{
	static struct smp_workload sw;
	struct hyp_pool p1 = {0}, p2 = {0};
	u64 b1 = (RAM_BASE >> PAGE_SHIFT) + 1, b2 = (RAM_BASE >> PAGE_SHIFT) + 2048;
	u64 e1[NR_PAGE_ORDERS] = {0}, e2[NR_PAGE_ORDERS] = {0};
	unsigned int i, o;
	u64 allocs = 0;

	fake_ram_init();
	REQUIRE(hyp_pool_init(&p1, b1, 700, 10) == 0);
	REQUIRE(hyp_pool_init(&p2, b2, 1030, 0) == 0);
	smp_workload_init(&sw, 5, 20000, NR_THREADS);
	REQUIRE(smp_workload_add_pool(&sw, "hpool", &p1) == 0);
	REQUIRE(smp_workload_add_pool(&sw, "host_s2_pool", &p2) == 0);
	smp_workload_begin(&sw);
	run_phase(&sw, NR_THREADS);
	CHECK_EQ_U64(smp_workload_end(&sw), 0);
	for (i = 0; i < NR_THREADS; i++) {
		CHECK_EQ_U64(sw.cpus[i].ops, 20000);
		CHECK_EQ_U64(sw.cpus[i].nr_blocks, 0);
		CHECK(sw.cpus[i].splits > 0 && sw.cpus[i].gets > 0);
		allocs += sw.cpus[i].allocs;
	}
	CHECK(allocs > 10000);
	oracle_blocks(b1 + 10, b1 + 700, hyp_pool_order_limit(&p1), e1);
	oracle_blocks(b2, b2 + 1030, hyp_pool_order_limit(&p2), e2);
	for (o = 0; o < NR_PAGE_ORDERS; o++) {
		CHECK_EQ_U64(sw.pools[0].after.free_blocks_by_order[o], e1[o]);
		CHECK_EQ_U64(sw.pools[1].after.free_blocks_by_order[o], e2[o]);
	}
}

/*
 * A pool fragmented by the single-CPU workload (blocks of every order held)
 * is the case that matters at EL2: the phase must leave every page's state
 * as it was, which the state hash checks.
 */
TEST(fragmented_pool_state_is_unchanged)
{
	static struct workload wl;
	static struct smp_workload sw;
	struct hyp_pool pool = {0};
	unsigned int seed;

	for (seed = 1; seed <= 3; seed++) {
		fake_ram_init();
		memset(&pool, 0, sizeof(pool));
		REQUIRE(hyp_pool_init(&pool, RAM_BASE >> PAGE_SHIFT, 3000, 0) == 0);
		workload_init(&wl, seed, 20000);
		workload_add_pool(&wl, "p", &pool);
		workload_run(&wl);
		REQUIRE(wl.nr_blocks > 0);

		smp_workload_init(&sw, seed, 10000, NR_THREADS);
		smp_workload_add_pool(&sw, "p", &pool);
		smp_workload_begin(&sw);
		run_phase(&sw, NR_THREADS);
		CHECK_EQ_U64(smp_workload_end(&sw), 0);
		CHECK(sw.pools[0].hash_before == sw.pools[0].hash_after);
		/* The single-CPU workload's own record still agrees with the pool. */
		CHECK_EQ_U64(workload_verify(&wl), 0);
	}
}

TEST(end_detects_a_leak)
{
	static struct smp_workload sw;
	struct hyp_pool pool = {0};
	void *leak;

	fake_ram_init();
	REQUIRE(hyp_pool_init(&pool, RAM_BASE >> PAGE_SHIFT, 512, 0) == 0);
	smp_workload_init(&sw, 1, 100, 1);
	smp_workload_add_pool(&sw, "p", &pool);
	smp_workload_begin(&sw);
	smp_workload_run_cpu(&sw, 0);
	leak = hyp_alloc_pages(&pool, 0);
	REQUIRE(leak != NULL);
	CHECK_EQ_U64(smp_workload_end(&sw), 1);
	hyp_put_page(&pool, leak);
	CHECK_EQ_U64(smp_workload_end(&sw), 0);
}

TEST_MAIN
