// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the EL2 buddy allocator, built natively from the same
 * sources as the aarch64 image, once per hyp_page layout.
 *
 * "RAM" is a host buffer that plays physical addresses from RAM_BASE; the
 * vmemmap is a host array indexed so that hyp_vmemmap[pfn] works for those
 * PFNs.  The oracle for free-list contents is independent of the allocator:
 * a free physical range that is fully coalesced decomposes greedily into
 * the largest naturally aligned blocks below the pool's order limit.
 */
#include <stdlib.h>
#include <string.h>

#include "el2/gfp.h"
#include "el2/workload.h"
#include "test.h"

#define RAM_BASE  0x40000000ULL
#define RAM_PAGES 4096

#include "../lib/el2_fakeram.h"

static void *pfn_va(u64 pfn_off)
{
	return hyp_phys_to_virt(RAM_BASE + pfn_off * PAGE_SIZE);
}

/* Oracle: blocks of a fully coalesced free range [first, last) (PFNs). */
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

static void check_pool_matches_oracle(struct hyp_pool *pool, u64 first, u64 last)
{
	u64 expect[NR_PAGE_ORDERS] = { 0 };
	struct pool_free_stats st;
	unsigned int o;

	oracle_blocks(first, last, hyp_pool_order_limit(pool), expect);
	pool_free_stats(pool, &st);
	for (o = 0; o < NR_PAGE_ORDERS; o++)
		CHECK_EQ_U64(st.free_blocks_by_order[o], expect[o]);
}

static unsigned int expected_max_order(unsigned int nr_pages)
{
#if HYP_PAGE_LAYOUT == 8
	return min(MAX_PAGE_ORDER, get_order((u64)nr_pages << PAGE_SHIFT));
#else
	return min(MAX_PAGE_ORDER + 1, get_order((u64)(nr_pages + 1) << PAGE_SHIFT));
#endif
}

TEST(layout_size)
{
	CHECK_EQ_U64(sizeof(struct hyp_page), HYP_PAGE_LAYOUT);
	CHECK_EQ_U64(sizeof(hyp_order_t) * 8 >= 8, 1);
}

TEST(max_order_per_pool)
{
	static const unsigned int sizes[] = { 1, 2, 3, 16, 100, 1000, 1023, 1024, 1025, 4096 };
	struct hyp_pool pool;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		fake_ram_init();
		memset(&pool, 0, sizeof(pool));
		REQUIRE(hyp_pool_init(&pool, RAM_BASE >> PAGE_SHIFT, sizes[i], 0) == 0);
		CHECK_EQ_U64(pool.max_order, expected_max_order(sizes[i]));
		/* Lists above the limit stay untouched (zero). */
		for (unsigned int o = hyp_pool_order_limit(&pool); o < NR_PAGE_ORDERS; o++)
			CHECK(pool.free_area[o].next == NULL);
	}
}

TEST(init_coalesces_with_reserved)
{
	struct hyp_pool pool = { 0 };
	u64 start = (RAM_BASE >> PAGE_SHIFT) + 3; /* deliberately unaligned */
	unsigned int nr = 1000, reserved = 7;
	struct pool_free_stats st;

	fake_ram_init();
	REQUIRE(hyp_pool_init(&pool, start, nr, reserved) == 0);
	pool_free_stats(&pool, &st);
	CHECK_EQ_U64(st.free_pages, nr - reserved);
	check_pool_matches_oracle(&pool, start + reserved, start + nr);
	/* Reserved pages stay referenced at order 0. */
	for (unsigned int i = 0; i < reserved; i++) {
		CHECK_EQ_U64(hyp_vmemmap[start + i].refcount, 1);
		CHECK_EQ_U64(hyp_vmemmap[start + i].order, 0);
	}
	CHECK_EQ_U64(hyp_vmemmap[start + nr].refcount, 0); /* outside: untouched */
}

TEST(buddy_split_and_merge)
{
	struct hyp_pool pool = { 0 };
	u64 base = RAM_BASE >> PAGE_SHIFT;
	void *a, *b, *c;

	fake_ram_init();
	REQUIRE(hyp_pool_init(&pool, base, 16, 0) == 0);
	check_pool_matches_oracle(&pool, base, base + 16);

	/* Order 0 from a single order-4 block: splits into 0,1,2,3 buddies. */
	a = hyp_alloc_pages(&pool, 0);
	REQUIRE(a == pfn_va(0));
	CHECK_EQ_U64(hyp_vmemmap[base].refcount, 1);
	CHECK_EQ_U64(hyp_vmemmap[base + 1].order, 0);
	CHECK_EQ_U64(hyp_vmemmap[base + 2].order, 1);
	CHECK_EQ_U64(hyp_vmemmap[base + 4].order, 2);
	CHECK_EQ_U64(hyp_vmemmap[base + 8].order, 3);
	CHECK_EQ_U64(hyp_vmemmap[base + 3].order, HYP_NO_ORDER);

	b = hyp_alloc_pages(&pool, 0);
	CHECK(b == pfn_va(1));
	c = hyp_alloc_pages(&pool, 2);
	CHECK(c == pfn_va(4));

	/* Free in an order that merges step by step back to order 4. */
	hyp_put_page(&pool, a);
	CHECK_EQ_U64(hyp_vmemmap[base].order, 0); /* buddy 1 still used */
	/* 0+1 merge, then with the free order-1 block at 2: order 2. */
	hyp_put_page(&pool, b);
	CHECK_EQ_U64(hyp_vmemmap[base].order, 2);
	CHECK_EQ_U64(hyp_vmemmap[base + 1].order, HYP_NO_ORDER);
	CHECK_EQ_U64(hyp_vmemmap[base + 2].order, HYP_NO_ORDER);
	hyp_put_page(&pool, c);
	CHECK_EQ_U64(hyp_vmemmap[base].order, 4);
	check_pool_matches_oracle(&pool, base, base + 16);
}

TEST(freed_block_is_zeroed_and_node_placed)
{
	struct hyp_pool pool = { 0 };
	u64 base = RAM_BASE >> PAGE_SHIFT;
	u64 *p;

	fake_ram_init();
	REQUIRE(hyp_pool_init(&pool, base, 4, 0) == 0);
	p = hyp_alloc_pages(&pool, 1);
	REQUIRE(p);
	memset(p, 0x5a, 2 * PAGE_SIZE);
	hyp_put_page(&pool, p);
	/* The order-2 head: its list node points at free_area[2]. */
#if HYP_FREE_NODE_IN_PAGE
	CHECK(((struct list_head *)pfn_va(0))->next == &pool.free_area[2]);
	CHECK_EQ_U64(((u64 *)pfn_va(1))[0], 0);
	CHECK_EQ_U64(((u64 *)pfn_va(0))[3], 0);
#else
	CHECK(hyp_vmemmap[base].node.next == &pool.free_area[2]);
	CHECK(hyp_vmemmap[base].pool == &pool);
	CHECK_EQ_U64(((u64 *)pfn_va(0))[0], 0);
#endif
	CHECK(pool.free_area[2].next != &pool.free_area[2]);
}

TEST(exhaustion_and_full_recovery)
{
	struct hyp_pool pool = { 0 };
	u64 base = (RAM_BASE >> PAGE_SHIFT) + 5;
	unsigned int nr = 300, i, got = 0;
	static void *pages[300];

	fake_ram_init();
	REQUIRE(hyp_pool_init(&pool, base, nr, 0) == 0);
	while (got < nr && (pages[got] = hyp_alloc_pages(&pool, 0)))
		got++;
	CHECK_EQ_U64(got, nr);
	CHECK(hyp_alloc_pages(&pool, 0) == NULL);
	for (i = 0; i < got; i++)
		hyp_put_page(&pool, pages[got - 1 - i]);
	check_pool_matches_oracle(&pool, base, base + nr);
}

TEST(get_put_refcount)
{
	struct hyp_pool pool = { 0 };
	u64 base = RAM_BASE >> PAGE_SHIFT;
	void *p;

	fake_ram_init();
	REQUIRE(hyp_pool_init(&pool, base, 8, 0) == 0);
	p = hyp_alloc_pages(&pool, 0);
	REQUIRE(p);
	hyp_get_page(&pool, p);
	hyp_get_page(&pool, p);
	CHECK_EQ_U64(hyp_page_count(p), 3);
	hyp_put_page(&pool, p);
	hyp_put_page(&pool, p);
	CHECK_EQ_U64(hyp_page_count(p), 1);
	hyp_put_page(&pool, p);
	CHECK_EQ_U64(hyp_page_count(p), 0);
	check_pool_matches_oracle(&pool, base, base + 8);
}

TEST(split_page)
{
	struct hyp_pool pool = { 0 };
	u64 base = RAM_BASE >> PAGE_SHIFT;
	struct hyp_page *hp;
	char *p;
	int i;

	fake_ram_init();
	REQUIRE(hyp_pool_init(&pool, base, 32, 0) == 0);
	p = hyp_alloc_pages(&pool, 3);
	REQUIRE(p);
	hp = hyp_virt_to_page(p);
	hyp_split_page(hp);
	for (i = 0; i < 8; i++) {
		CHECK_EQ_U64(hp[i].order, 0);
		CHECK_EQ_U64(hp[i].refcount, 1);
	}
	for (i = 7; i >= 0; i--)
		hyp_put_page(&pool, p + i * PAGE_SIZE);
	check_pool_matches_oracle(&pool, base, base + 32);
}

/*
 * The workload against an independent model: a page-granular bitmap of what
 * the workload holds, compared with the free lists after the run, then
 * everything released must coalesce back to the oracle's state.
 */
TEST(workload_random_then_release)
{
	static struct workload wl;
	struct hyp_pool p1 = { 0 }, p2 = { 0 };
	u64 b1 = (RAM_BASE >> PAGE_SHIFT) + 1, b2 = (RAM_BASE >> PAGE_SHIFT) + 2048;
	unsigned int seed;

	for (seed = 1; seed <= 4; seed++) {
		fake_ram_init();
		memset(&p1, 0, sizeof(p1));
		memset(&p2, 0, sizeof(p2));
		REQUIRE(hyp_pool_init(&p1, b1, 1500, 10) == 0);
		REQUIRE(hyp_pool_init(&p2, b2, 1030, 0) == 0);
		workload_init(&wl, seed, 20000);
		REQUIRE(workload_add_pool(&wl, "hpool", &p1) == 0);
		REQUIRE(workload_add_pool(&wl, "host_s2_pool", &p2) == 0);
		workload_run(&wl);
		CHECK_EQ_U64(workload_verify(&wl), 0);
		CHECK(wl.nr_blocks > 0);
		CHECK(wl.pools[0].splits > 0);

		/* Drop every reference the workload holds. */
		while (wl.nr_blocks) {
			struct workload_block *blk = &wl.blocks[wl.nr_blocks - 1];

			hyp_put_page(wl.pools[blk->pool].pool, blk->addr);
			if (!--blk->refcount)
				wl.nr_blocks--;
		}
		check_pool_matches_oracle(&p1, b1 + 10, b1 + 1500);
		check_pool_matches_oracle(&p2, b2, b2 + 1030);
	}
}

TEST(workload_deterministic)
{
	static struct workload a, b;
	struct hyp_pool pool = { 0 };
	struct pool_free_stats sa, sb;

	fake_ram_init();
	REQUIRE(hyp_pool_init(&pool, RAM_BASE >> PAGE_SHIFT, 2000, 0) == 0);
	workload_init(&a, 42, 5000);
	workload_add_pool(&a, "p", &pool);
	workload_run(&a);
	pool_free_stats(&pool, &sa);

	fake_ram_init();
	memset(&pool, 0, sizeof(pool));
	REQUIRE(hyp_pool_init(&pool, RAM_BASE >> PAGE_SHIFT, 2000, 0) == 0);
	workload_init(&b, 42, 5000);
	workload_add_pool(&b, "p", &pool);
	workload_run(&b);
	pool_free_stats(&pool, &sb);
	CHECK(memcmp(&sa, &sb, sizeof(sa)) == 0);
	CHECK_EQ_U64(a.nr_blocks, b.nr_blocks);
}

TEST_MAIN
