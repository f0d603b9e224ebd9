// SPDX-License-Identifier: GPL-2.0-only
/*
 * hypmem_pools_decode() (lib/hypmem/buddy.c) against a hand-built pool,
 * once per hyp_page layout.
 *
 * el2_decode.c compares the decoder with the EL2 allocator's own statistics,
 * so a bookkeeping bug shared by both would pass there.  Here the expected
 * numbers come from nothing but this file: after the native environment is
 * built (el2_pools_env.h), every free list of hpool is emptied, every page of
 * hpool is marked in use (refcount 1, order 0), and a known set of free
 * blocks is laid out by hand, vmemmap fields and list_head nodes written
 * directly, without the allocator's list helpers:
 *
 *   order 4: one block at A+0          (16 pages)
 *   order 2: two blocks at A+32, A+40  ( 8 pages)
 *   order 0: three pages at A+48, A+50, A+52
 *
 * with A the first 64-page-aligned PFN inside the pool.  None of them has a
 * free buddy of the same order, so the pool is consistent: 27 free pages,
 * no findings.  Then two corruptions, each with the finding expected at the
 * exact address corrupted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "el2/gfp.h"
#include "el2/mm.h"
#include "el2/setup.h"
#include "el2/workload.h"
#include "hypmem/decode.h"
#include "test.h"
#include "native_target.h"
#include "el2_pools_env.h"

static struct pools_env env;

/* The fixture's free blocks, relative to the aligned base A. */
static const struct {
	unsigned int off, order;
} blocks[] = {
	{0, 4}, {32, 2}, {40, 2}, {48, 0}, {50, 0}, {52, 0},
};

static u64 base_pfn;

/* The list node that stands for the page at @pfn. */
static struct list_head *node_of(u64 pfn)
{
#if HYP_FREE_NODE_IN_PAGE
	return (struct list_head *)__hyp_va(hyp_pfn_to_phys(pfn));
#else
	return &hyp_vmemmap[pfn].node;
#endif
}

static u64 pa_of(u64 pfn)
{
	return hyp_pfn_to_phys(pfn);
}

static void build_fixture(void)
{
	u64 first, end;

	pools_env_build(&env, 7);
	first = hyp_phys_to_pfn(hpool.range_start);
	end = hyp_phys_to_pfn(hpool.range_end);
	base_pfn = (first + 63) & ~63ULL;
	if (base_pfn + 64 > end || hyp_pool_order_limit(&hpool) <= 4)
		abort();

	/* Every list the pool uses: empty. */
	for (unsigned int o = 0; o < hyp_pool_order_limit(&hpool); o++) {
		hpool.free_area[o].next = &hpool.free_area[o];
		hpool.free_area[o].prev = &hpool.free_area[o];
	}
	/* Every page of the pool: in use. */
	for (u64 pfn = first; pfn < end; pfn++) {
		hyp_vmemmap[pfn].refcount = 1;
		hyp_vmemmap[pfn].order = 0;
	}
	/* The free blocks, each appended at the tail of its list. */
	for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
		u64 pfn = base_pfn + blocks[i].off;
		struct list_head *head = &hpool.free_area[blocks[i].order], *n = node_of(pfn);

		hyp_vmemmap[pfn].refcount = 0;
		hyp_vmemmap[pfn].order = (hyp_order_t)blocks[i].order;
		for (u64 k = 1; k < (1ULL << blocks[i].order); k++) {
			hyp_vmemmap[pfn + k].refcount = 0;
			hyp_vmemmap[pfn + k].order = HYP_NO_ORDER;
		}
		n->prev = head->prev;
		n->next = head;
		head->prev->next = n;
		head->prev = n;
	}
}

static struct hypmem_target *open_target(void)
{
	return native_target_open(env.ram, RAM_PA, RAM_SIZE, "hpool", &hpool, 0, 0);
}

static const struct hypmem_pool *find_pool(const struct hypmem_pool *pools, size_t nr,
					   const char *name)
{
	for (size_t i = 0; i < nr; i++)
		if (!strcmp(pools[i].name, name))
			return &pools[i];
	return NULL;
}

/* How many findings of @kind the target has at @address. */
static size_t findings_at(struct hypmem_target *t, enum hypmem_finding_kind kind, u64 address)
{
	const struct hypmem_findings *f = hypmem_target_findings(t);
	size_t n = 0;

	for (size_t i = 0; i < f->nr; i++)
		if (f->items[i].kind == kind && f->items[i].address == address)
			n++;
	return n;
}

static void print_findings(struct hypmem_target *t)
{
	const struct hypmem_findings *f = hypmem_target_findings(t);

	for (size_t i = 0; i < f->nr; i++)
		printf("#   finding %s at 0x%llx\n", hypmem_finding_key(f->items[i].kind),
		       (unsigned long long)f->items[i].address);
}

/* Decode and check hpool's counts against the expected per-order blocks. */
static void decode_and_check(struct hypmem_target *t, const u64 want_blocks[5],
			     u64 want_findings)
{
	struct hypmem_pool *pools;
	const struct hypmem_pool *p;
	size_t nr;
	u64 want_pages = 0;

	REQUIRE(CHECK_NO_ERR(hypmem_pools_decode(t, &pools, &nr)));
	p = find_pool(pools, nr, "hpool");
	REQUIRE(p);
	CHECK_EQ_U64(p->range_start, pa_of(env.pool1_pfn));
	CHECK_EQ_U64(p->range_end, pa_of(env.pool1_pfn + env.pool1_pages));
	CHECK_EQ_U64(p->nr_pages, 1500);
	for (unsigned int o = 0; o < HYPMEM_MAX_ORDERS; o++) {
		u64 want = o < 5 ? want_blocks[o] : 0;

		CHECK_EQ_U64(p->free_blocks_by_order[o], want);
		CHECK_EQ_U64(p->free_pages_by_order[o], want << o);
		want_pages += want << o;
	}
	CHECK_EQ_U64(p->free_pages, want_pages);
	CHECK_EQ_U64(p->findings, want_findings);
	if (p->findings != want_findings)
		print_findings(t);
	free(pools);
}

TEST(hand_built_pool_counts)
{
	static const u64 want[5] = {3, 0, 2, 0, 1};
	struct hypmem_target *t;

	build_fixture();
	t = open_target();
	REQUIRE(t);
	decode_and_check(t, want, 0);
	/* Spelled out, not summed from the table: 3 + 2*4 + 16. */
	{
		struct hypmem_pool *pools;
		size_t nr;

		REQUIRE(CHECK_NO_ERR(hypmem_pools_decode(t, &pools, &nr)));
		CHECK_EQ_U64(find_pool(pools, nr, "hpool")->free_pages, 27);
		free(pools);
	}
	hypmem_target_destroy(t);
}

/*
 * The second order-0 node (A+50) points at a page in the gap between the
 * pools: the walk stops there, having counted A+48 and A+50, and A+52 is
 * then a free head on no list.
 */
TEST(hand_built_node_outside_pool)
{
	static const u64 want[5] = {2, 0, 2, 0, 1};
	u64 gap_pfn;
	struct hypmem_target *t;

	build_fixture();
	gap_pfn = env.pool1_pfn + env.pool1_pages + 1;
	REQUIRE(gap_pfn < env.pool2_pfn);
	node_of(base_pfn + 50)->next = node_of(gap_pfn);
	t = open_target();
	REQUIRE(t);
	decode_and_check(t, want, 2);
	CHECK_EQ_U64(findings_at(t, HYPMEM_FINDING_NODE_OUTSIDE_POOL, pa_of(gap_pfn)), 1);
	CHECK_EQ_U64(findings_at(t, HYPMEM_FINDING_FREE_HEAD_NOT_LISTED, pa_of(base_pfn + 52)),
		     1);
	hypmem_target_destroy(t);
}

/* The second order-2 block (A+40) says order 3 in its vmemmap entry. */
TEST(hand_built_order_mismatch)
{
	static const u64 want[5] = {3, 0, 2, 0, 1};
	struct hypmem_target *t;

	build_fixture();
	hyp_vmemmap[base_pfn + 40].order = 3;
	t = open_target();
	REQUIRE(t);
	decode_and_check(t, want, 1);
	CHECK_EQ_U64(findings_at(t, HYPMEM_FINDING_ORDER_MISMATCH, pa_of(base_pfn + 40)), 1);
	hypmem_target_destroy(t);
}

TEST_MAIN
