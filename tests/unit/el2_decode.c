// SPDX-License-Identifier: GPL-2.0-only
/*
 * The decoder against the EL2 core, natively, once per hyp_page layout.
 *
 * The EL2 core builds its state in a host buffer playing physical RAM at
 * 0x40000000: a vmemmap, a hyp stage-1 table (kvm_pgtable_hyp_map) that maps
 * the vmemmap's VA onto it, and two pools churned by the workload.  Host
 * pointers are the hyp VAs (hyp_physvirt_offset = RAM PA - buffer address).
 * The decoder then reads it all back through a memory source, with this test
 * binary as the "vmlinux": its DWARF describes exactly the structs the EL2
 * core used, and its symbols locate hpool, __hyp_vmemmap and friends.  The
 * binary's data segment is the second segment of the source, placed where
 * the linear map says it is (kimage_voffset = -hyp_physvirt_offset).
 *
 * Ground truth: the EL2 core's own pool_free_stats() and a direct count over
 * the vmemmap array.  Corruptions are then made in memory and must produce
 * the matching finding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "el2/gfp.h"
#include "el2/mm.h"
#include "el2/setup.h"
#include "el2/workload.h"
#include "hypmem/report.h"
#include "test.h"
#include "native_target.h"
#include "el2_pools_env.h"

static struct pools_env env;

static void build_el2_state(u64 seed)
{
	pools_env_build(&env, seed);
}

static struct hypmem_target *open_target(void)
{
	return native_target_open(env.ram, RAM_PA, RAM_SIZE, "hpool", &hpool, 0, 0);
}

static const struct hypmem_pool *find_pool(const struct hypmem_report *r, const char *name)
{
	for (size_t i = 0; i < r->nr_pools; i++)
		if (!strcmp(r->pools[i].name, name))
			return &r->pools[i];
	return NULL;
}

static bool has_finding(struct hypmem_target *t, enum hypmem_finding_kind kind)
{
	return hypmem_target_findings(t)->by_kind[kind] > 0;
}

/*
 * An oracle histogram: counts by key, filled by a direct pass over the
 * vmemmap array.  Small (few distinct keys), so a linear search is fine.
 */
struct oracle_hist {
	u64 keys[64], counts[64];
	size_t nr;
};

static void oracle_add(struct oracle_hist *h, u64 key)
{
	size_t i;

	for (i = 0; i < h->nr && h->keys[i] != key; i++)
		;
	if (i == h->nr) {
		if (h->nr == 64) {
			printf("#   more than 64 distinct keys: the oracle is too small\n");
			abort();
		}
		h->keys[h->nr] = key;
		h->counts[h->nr++] = 0;
	}
	h->counts[i]++;
}

static u64 oracle_count(const struct oracle_hist *h, u64 key)
{
	for (size_t i = 0; i < h->nr; i++)
		if (h->keys[i] == key)
			return h->counts[i];
	return 0;
}

static u64 decoded_count(const struct hypmem_histogram *h, u64 key)
{
	for (size_t i = 0; i < h->nr; i++)
		if (h->keys[i] == key)
			return h->counts[i];
	return 0;
}

/*
 * Equal over the union of the keys: a key only the oracle has (the decoder
 * left it out) fails as surely as a key only the decoder has.
 */
static void check_histogram(const char *what, const struct hypmem_histogram *got,
			    const struct oracle_hist *want)
{
	for (size_t i = 0; i < want->nr; i++)
		if (decoded_count(got, want->keys[i]) != want->counts[i]) {
			printf("#   %s[0x%llx]: decoded %llu, oracle %llu\n", what,
			       (unsigned long long)want->keys[i],
			       (unsigned long long)decoded_count(got, want->keys[i]),
			       (unsigned long long)want->counts[i]);
			CHECK(0);
		}
	for (size_t i = 0; i < got->nr; i++)
		if (oracle_count(want, got->keys[i]) != got->counts[i]) {
			printf("#   %s[0x%llx]: decoded %llu, oracle %llu\n", what,
			       (unsigned long long)got->keys[i], (unsigned long long)got->counts[i],
			       (unsigned long long)oracle_count(want, got->keys[i]));
			CHECK(0);
		}
}

TEST(decode_matches_el2_state)
{
	struct hypmem_target *t;
	struct hypmem_report r;
	struct hyp_pool *pools[] = {&hpool, &host_s2_pool};
	const char *names[] = {"hpool", "host_s2_pool"};
	static struct oracle_hist refs, orders, host_states, hyp_states;

	build_el2_state(3);
	t = open_target();
	REQUIRE(t);
	CHECK_EQ_U64(hypmem_target_info(t)->hyp_physvirt_offset, hyp_physvirt_offset);
	CHECK_EQ_U64(hypmem_target_info(t)->vmemmap_base, __hyp_vmemmap);
	REQUIRE(CHECK_NO_ERR(hypmem_report_collect(t, &r)));
	CHECK_EQ_U64(r.nr_pools, 2);
	for (int i = 0; i < 2; i++) {
		const struct hypmem_pool *p = find_pool(&r, names[i]);
		struct pool_free_stats st;

		REQUIRE(p);
		pool_free_stats(pools[i], &st);
		CHECK_EQ_U64(p->range_start, pools[i]->range_start);
		CHECK_EQ_U64(p->range_end, pools[i]->range_end);
		CHECK_EQ_U64(p->max_order, pools[i]->max_order);
		CHECK_EQ_U64(p->nr_orders, hyp_pool_order_limit(pools[i]));
		CHECK_EQ_U64(p->free_pages, st.free_pages);
		for (unsigned int o = 0; o < p->nr_orders; o++) {
			CHECK_EQ_U64(p->free_blocks_by_order[o], st.free_blocks_by_order[o]);
			CHECK_EQ_U64(p->free_pages_by_order[o], st.free_pages_by_order[o]);
		}
	}
	/* Oracle for the histograms: count the vmemmap array directly. */
	refs.nr = orders.nr = host_states.nr = hyp_states.nr = 0;
	for (u64 i = 0; i < RAM_PAGES; i++) {
		struct hyp_page *hp = &hyp_vmemmap[(RAM_PA >> PAGE_SHIFT) + i];

		oracle_add(&refs, hp->refcount);
		oracle_add(&orders, hp->order);
#if HYP_PAGE_LAYOUT == 8
		oracle_add(&host_states, get_host_state(hp));
		oracle_add(&hyp_states, get_hyp_state(hp));
#endif
	}
	CHECK_EQ_U64(r.vmemmap.nr_entries, RAM_PAGES);
	CHECK_EQ_U64(r.vmemmap.entry_size, sizeof(struct hyp_page));
	CHECK_EQ_U64(r.vmemmap.no_order, HYP_NO_ORDER);
	CHECK(refs.nr > 1 && orders.nr > 2); /* the workload left a varied vmemmap */
	check_histogram("refcount", &r.vmemmap.refcount, &refs);
	check_histogram("order", &r.vmemmap.order, &orders);
	check_histogram("host_state", &r.vmemmap.host_state, &host_states);
	check_histogram("hyp_state", &r.vmemmap.hyp_state, &hyp_states);
	CHECK_EQ_U64(hypmem_target_findings(t)->total, 0);
	hypmem_report_deinit(&r);
	hypmem_target_destroy(t);
}

/* A free list node of @pool at @order, or NULL. */
static struct list_head *first_node(struct hyp_pool *pool, unsigned int *order_ret,
				    unsigned int min_nodes)
{
	*order_ret = 0;
	for (unsigned int o = 0; o < hyp_pool_order_limit(pool); o++) {
		struct list_head *head = &pool->free_area[o], *n;
		unsigned int count = 0;

		list_for_each(n, head) count++;
		if (count >= min_nodes) {
			*order_ret = o;
			return head->next;
		}
	}
	printf("#   no free list with %u nodes: the workload changed?\n", min_nodes);
	abort();
}

static struct hyp_page *node_page(struct list_head *node)
{
#if HYP_FREE_NODE_IN_PAGE
	return hyp_virt_to_page(node);
#else
	return container_of(node, struct hyp_page, node);
#endif
}

static void expect_finding_after(void (*corrupt)(void), enum hypmem_finding_kind kind)
{
	struct hypmem_target *t;
	struct hypmem_report r;

	build_el2_state(5);
	corrupt();
	t = open_target();
	REQUIRE(t);
	REQUIRE(CHECK_NO_ERR(hypmem_report_collect(t, &r)));
	CHECK(has_finding(t, kind));
	if (!has_finding(t, kind))
		printf("#   expected finding %s\n", hypmem_finding_key(kind));
	hypmem_report_deinit(&r);
	hypmem_target_destroy(t);
}

static void corrupt_cycle(void)
{
	unsigned int order;
	struct list_head *n1 = first_node(&hpool, &order, 3);

	n1->next->next = n1; /* the second node points back at the first */
}

static void corrupt_order(void)
{
	unsigned int order;
	struct hyp_page *p = node_page(first_node(&hpool, &order, 1));

	p->order = order + 1;
}

static void corrupt_refcount(void)
{
	unsigned int order;

	node_page(first_node(&host_s2_pool, &order, 1))->refcount = 2;
}

static void corrupt_outside(void)
{
	unsigned int order;

	/* Point the head at (the node of) a page of the other pool. */
	first_node(&hpool, &order, 1);
#if HYP_FREE_NODE_IN_PAGE
	hpool.free_area[order].next = __hyp_va(hyp_pfn_to_phys(env.pool2_pfn));
#else
	hpool.free_area[order].next = &hyp_vmemmap[env.pool2_pfn].node;
#endif
}

static void corrupt_unlisted(void)
{
	unsigned int order;
	struct list_head *n1 = first_node(&hpool, &order, 2);

	/* Unlink the first node but leave its vmemmap entry "free". */
	hpool.free_area[order].next = n1->next;
	n1->next->prev = &hpool.free_area[order];
}

/*
 * One open image, several targets (cfg.dwarf): each decodes the pools as
 * the EL2 core counts them, and closing a target leaves the image open.
 */
TEST(targets_share_one_image)
{
	struct hyp_pool *pools[] = {&hpool, &host_s2_pool};
	struct hypmem_dwarf *dw;
	uint64_t addr;

	build_el2_state(11);
	REQUIRE(CHECK_NO_ERR(hypmem_dwarf_open("/proc/self/exe", &dw)));
	for (int round = 0; round < 3; round++) {
		struct hypmem_target *t =
		    native_target_open_dw(env.ram, RAM_PA, RAM_SIZE, "hpool", &hpool, 0, 0, dw);
		struct hypmem_report r;

		REQUIRE(t);
		CHECK(hypmem_target_dwarf(t) == dw);
		if (CHECK_NO_ERR(hypmem_report_collect(t, &r))) {
			CHECK_EQ_U64(r.nr_pools, 2);
			for (size_t i = 0; i < 2; i++) {
				struct pool_free_stats st;
				size_t j = 0;

				pool_free_stats(pools[i], &st);
				while (j < r.nr_pools &&
				       r.pools[j].range_start != pools[i]->range_start)
					j++;
				REQUIRE(j < r.nr_pools);
				CHECK_EQ_U64(r.pools[j].free_pages, st.free_pages);
			}
			hypmem_report_deinit(&r);
		}
		hypmem_target_destroy(t);
	}
	CHECK_NO_ERR(hypmem_dwarf_find_symbol(dw, "hpool", &addr, NULL));
	hypmem_dwarf_destroy(dw);
}

TEST(findings_cycle)
{
	expect_finding_after(corrupt_cycle, HYPMEM_FINDING_LIST_CYCLE);
}

TEST(findings_order_mismatch)
{
	expect_finding_after(corrupt_order, HYPMEM_FINDING_ORDER_MISMATCH);
}

TEST(findings_free_page_referenced)
{
	expect_finding_after(corrupt_refcount, HYPMEM_FINDING_FREE_PAGE_REFERENCED);
}

TEST(findings_node_outside_pool)
{
	expect_finding_after(corrupt_outside, HYPMEM_FINDING_NODE_OUTSIDE_POOL);
}

TEST(findings_free_head_not_listed)
{
	expect_finding_after(corrupt_unlisted, HYPMEM_FINDING_FREE_HEAD_NOT_LISTED);
}

TEST_MAIN
