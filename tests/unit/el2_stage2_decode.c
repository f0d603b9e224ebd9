// SPDX-License-Identifier: GPL-2.0-only
/*
 * The stage-2 decoder (lib/hypmem/stage2.c) against the EL2 core's own
 * host stage-2, natively, once per hyp_page layout.
 *
 * The EL2 core builds a host stage-2 in a buffer playing RAM
 * (el2_stage2_env.h) and plays a host: faults, shares, donations, guests
 * created and torn down.  The decoder reads it back through a memory
 * source with this binary as the "vmlinux" (its DWARF describes host_mmu,
 * host_s2_pool and the enums), as tests/unit/el2_decode.c does for the
 * pools.  Ground truth: stage2_describe(), the EL2 core's own walker.
 * Then descriptors are corrupted in memory, and each corruption must give
 * its finding and nothing worse.
 */
#include <stdio.h>

#include "el2/stage2_truth.h"
#include "el2_stage2_env.h"
#include "hypmem/report.h"
#include "hypmem/stage2.h"
#include "test.h"
#include "../lib/rng.h"
#include "native_target.h"

#define PTE_ADDR 0x0000fffffffff000ULL

static struct s2env env;
static struct stage2_run truth[8192];
static unsigned int nr_truth;
static struct stage2_summary truth_sum;

static u64 rng = 0x9e3779b97f4a7c15ULL;

static u64 next_rand(void)
{
	return test_rng_next(&rng);
}

static u64 host_pa(u64 off)
{
	return hyp_pfn_to_phys(env.host_first_pfn) + off;
}

/* A host that leaves blocks, pages, guests, shares and hyp pages behind. */
static void play_host(u64 seed)
{
	long vms[6] = {0};

	rng = seed;
	for (int op = 0; op < 400; op++) {
		u64 r = next_rand(), pa = host_pa((r >> 8) % (512ULL << 20) & PAGE_MASK);
		int vm = (r >> 20) % 6;

		switch (r % 6) {
		case 0:
		case 1:
			handle_host_mem_abort(pa);
			break;
		case 2:
			if (!vms[vm])
				vms[vm] = __pkvm_init_vm(pa >> PAGE_SHIFT, S2ENV_VM_PAGES(1));
			else if (vms[vm] > 0)
				__pkvm_host_donate_guest(vms[vm], pa >> PAGE_SHIFT,
							 1 + (r >> 40) % 900);
			break;
		case 3:
			if (vms[vm] > 0) {
				unsigned int slot = (unsigned int)(vms[vm] - HANDLE_OFFSET);
				struct pkvm_hyp_vm *v = pkvm_vm_slot(slot);

				__pkvm_teardown_vm(vms[vm]);
				while (v && pkvm_vm_slot(slot) == v && v->nr_ranges)
					__pkvm_reclaim_dying_guest_page(vms[vm], v->ranges[0].pfn,
									v->ranges[0].nr_pages);
				vms[vm] = 0;
			}
			break;
		case 4:
			if (r & 0x1000)
				__pkvm_host_unshare_hyp(pa >> PAGE_SHIFT);
			else
				__pkvm_host_share_hyp(pa >> PAGE_SHIFT);
			break;
		default:
			__pkvm_host_donate_hyp(pa >> PAGE_SHIFT, 1 + r % 3);
			break;
		}
	}
}

static void collect(const struct stage2_run *r, void *arg)
{
	(void)arg;
	if (nr_truth < 8192)
		truth[nr_truth++] = *r;
}

static void build(u64 seed, u32 ipa_bits)
{
	if (s2env_init(&env, ipa_bits, S2ENV_S2POOL_PAGES))
		abort();
	play_host(seed);
	nr_truth = 0;
	if (stage2_describe(&host_mmu.pgt, false, collect, NULL, &truth_sum))
		abort();
}

/* A target over RAM (segments may cut a hole) and this binary's data. */
static struct hypmem_target *open_target_cut(u64 hole_start, u64 hole_end)
{
	return native_target_open(env.ram, S2ENV_RAM_PA, S2ENV_RAM_SIZE, "hpool", &hpool,
				  hole_start, hole_end);
}

static struct hypmem_target *open_target(void)
{
	return open_target_cut(0, 0);
}

static bool run_equal(const struct hypmem_s2_run *a, const struct stage2_run *b)
{
	return a->start == b->start && a->end == b->end && a->level == b->level &&
	       a->valid == b->valid && a->owner == b->owner && (unsigned int)a->state == b->state &&
	       a->prot == b->prot && a->memattr == b->memattr;
}

static void check_against_truth(u64 seed, u32 ipa_bits)
{
	struct hypmem_target *t;
	struct hypmem_stage2 s;
	unsigned int i;

	build(seed, ipa_bits);
	t = open_target();
	REQUIRE(t);
	REQUIRE(CHECK_NO_ERR(hypmem_stage2_decode(t, HYPMEM_S2_KEEP_RUNS, &s)));
	CHECK(s.found);
	CHECK_STR(s.table, HYP_PAGE_LAYOUT == 8 ? "host_mmu" : "host_kvm");
	/* Android's counting rule in layouts 4 and 32; 7.x counts every non-zero entry. */
	CHECK_EQ_U64(s.cfg.android_refcounts, HYP_PAGE_LAYOUT != 8);
	CHECK_EQ_U64(s.cfg.invalid_types, HYP_PAGE_LAYOUT == 8);
	CHECK_EQ_U64(s.geom.ia_bits, host_mmu.pgt.ia_bits);
	CHECK_EQ_U64(s.geom.start_level, host_mmu.pgt.start_level);
	CHECK_EQ_U64(s.nr_runs, nr_truth);
	for (i = 0; i < nr_truth && i < s.nr_runs; i++) {
		if (!run_equal(&s.runs[i], &truth[i])) {
			printf(
			    "#   run %u: 0x%llx-0x%llx vs truth 0x%llx-0x%llx\n", i,
			    (unsigned long long)s.runs[i].start, (unsigned long long)s.runs[i].end,
			    (unsigned long long)truth[i].start, (unsigned long long)truth[i].end);
			CHECK(0);
			break;
		}
	}
	for (int l = 0; l < 4; l++) {
		CHECK_EQ_U64(s.by_level[l].count, truth_sum.count_by_level[l]);
		CHECK_EQ_U64(s.by_level[l].bytes, truth_sum.bytes_by_level[l]);
		CHECK_EQ_U64(s.tables_by_level[l], truth_sum.tables_by_level[l]);
	}
	for (i = 0; i < HYPMEM_S2_NR_STATES; i++)
		CHECK_EQ_U64(s.by_state[i].bytes, truth_sum.bytes_by_state[i]);
	for (i = 0; i < 8; i++)
		CHECK_EQ_U64(s.by_owner[i].bytes, truth_sum.bytes_by_owner[i]);
	CHECK_EQ_U64(s.tables, truth_sum.tables);
	CHECK_EQ_U64(s.candidates, truth_sum.candidates);
	CHECK_EQ_U64(hypmem_target_findings(t)->total, 0);
	hypmem_stage2_deinit(&s);

	/* The same walker, over the hyp stage-1. */
	REQUIRE(
	    CHECK_NO_ERR(hypmem_stage2_decode(t, HYPMEM_S2_KEEP_RUNS | HYPMEM_S2_HYP_STAGE1, &s)));
	CHECK(s.nr_runs > 0);
	CHECK_EQ_U64(hypmem_target_findings(t)->total, 0);
	hypmem_stage2_deinit(&s);
	hypmem_target_destroy(t);
}

TEST(decode_matches_el2_48bit)
{
	check_against_truth(11, 0);
}

TEST(decode_matches_el2_concatenated_32bit)
{
	check_against_truth(12, 32);
}

TEST(decode_matches_el2_concatenated_40bit)
{
	check_against_truth(13, 40);
}

/* A kernel that never set its host stage-2 up: not found, and not corrupt. */
TEST(no_host_stage2_is_not_a_finding)
{
	struct hypmem_target *t;
	struct hypmem_stage2 s;

	build(14, 0);
	memset(&host_mmu, 0, sizeof(host_mmu));
	t = open_target();
	REQUIRE(t);
	REQUIRE(CHECK_NO_ERR(hypmem_stage2_decode(t, HYPMEM_S2_KEEP_RUNS, &s)));
	CHECK(!s.found);
	CHECK(strstr(s.missing, "never set up") != NULL);
	CHECK_EQ_U64(hypmem_target_findings(t)->total, 0);
	hypmem_stage2_deinit(&s);
	hypmem_target_destroy(t);
}

/* --- corruption --- */

static u64 *va(u64 pa)
{
	return hyp_phys_to_virt(pa);
}

/* The first entry of a table page at @level (walking from the root) for which @pick says yes. */
static u64 *find_entry(bool (*pick)(u64 pte, int level), int want_level)
{
	u64 *stack[4] = {host_mmu.pgt.pgd};
	int level = host_mmu.pgt.start_level;

	/* Depth-first over the first PGD page is enough for these tests. */
	for (int l = level; l <= 3; l++) {
		u64 *table = stack[l - level];

		for (int i = 0; i < 512; i++) {
			if (l == want_level && pick(table[i], l))
				return &table[i];
		}
		for (int i = 0; i < 512; i++) {
			if (l < 3 && (table[i] & 3) == 3) {
				/* Prefer a child that leads to the wanted level's entries. */
				u64 *child = va(table[i] & PTE_ADDR);
				bool hit = false;

				for (int j = 0; j < 512 && l + 1 == want_level && !hit; j++)
					hit = pick(child[j], l + 1);
				if (hit || l + 1 < want_level) {
					stack[l + 1 - level] = child;
					break;
				}
			}
		}
		if (!stack[l + 1 - level] && l < 3)
			break;
	}
	return NULL;
}

static bool is_table(u64 pte, int level)
{
	return level < 3 && (pte & 3) == 3;
}

static bool is_annotation(u64 pte, int level)
{
	(void)level;
	return pte && !(pte & 1);
}

static bool is_valid_page(u64 pte, int level)
{
	return level == 3 && (pte & 3) == 3;
}

static bool is_zero(u64 pte, int level)
{
	(void)level;
	return !pte;
}

static void expect_after(void (*corrupt)(void), enum hypmem_finding_kind kind)
{
	struct hypmem_target *t;
	struct hypmem_stage2 s;

	build(21, 0);
	corrupt();
	t = open_target();
	REQUIRE(t);
	REQUIRE(CHECK_NO_ERR(hypmem_stage2_decode(t, HYPMEM_S2_KEEP_RUNS, &s)));
	if (!hypmem_target_findings(t)->by_kind[kind]) {
		printf("#   expected finding %s, got %zu findings\n", hypmem_finding_key(kind),
		       hypmem_target_findings(t)->total);
		CHECK(0);
	}
	hypmem_stage2_deinit(&s);
	hypmem_target_destroy(t);
}

static void corrupt_outside_pool(void)
{
	u64 *e = find_entry(is_table, 2);

	REQUIRE(e);
	/* An L3 table "moved" into host memory: a copy, so the walk still makes sense. */
	memcpy(va(host_pa(0x1000000)), va(*e & PTE_ADDR), PAGE_SIZE);
	*e = (*e & ~PTE_ADDR) | host_pa(0x1000000);
}

static void corrupt_self_reference(void)
{
	u64 *slot = find_entry(is_zero, 2), *t2;

	REQUIRE(slot);
	t2 = (u64 *)((u64)slot & PAGE_MASK);
	*slot = hyp_virt_to_phys(t2) | 3; /* the table points at itself */
}

static void corrupt_bad_owner(void)
{
	u64 *e = find_entry(is_annotation, 3);

	REQUIRE(e);
	/* An owner id the kernel does not have: 7.x's 3-bit field, or 9:2 before it. */
	*e = HYP_PAGE_LAYOUT == 8 ? (2ULL << 60) | (7ULL << 1) : 200ULL << 2;
}

static void corrupt_reserved_page(void)
{
	u64 *e = find_entry(is_valid_page, 3);

	REQUIRE(e);
	*e &= ~2ULL; /* a block descriptor at level 3 */
}

static void corrupt_invalid_junk(void)
{
	u64 *e = find_entry(is_annotation, 3);

	REQUIRE(e);
	*e |= 1ULL << 40; /* invalid, but not an owner annotation */
}

static void corrupt_refcount(void)
{
	u64 *e = find_entry(is_table, 2);

	REQUIRE(e);
	hyp_phys_to_page(*e & PTE_ADDR)->refcount += 3;
}

static void corrupt_identity(void)
{
	u64 *e = find_entry(is_valid_page, 3);

	REQUIRE(e);
	*e += PAGE_SIZE * 7;
}

static void corrupt_unreadable(void)
{
	u64 *e = find_entry(is_table, 2);

	REQUIRE(e);
	*e = (*e & ~PTE_ADDR) | 0x10000000ULL; /* below RAM: not in the dump */
}

TEST(finding_table_outside_pool)
{
	expect_after(corrupt_outside_pool, HYPMEM_FINDING_TABLE_OUTSIDE_POOL);
}

TEST(finding_self_referencing_table)
{
	expect_after(corrupt_self_reference, HYPMEM_FINDING_TABLE_LOOP);
}

TEST(finding_bad_owner)
{
	expect_after(corrupt_bad_owner, HYPMEM_FINDING_BAD_OWNER);
}

TEST(finding_reserved_page_encoding)
{
	expect_after(corrupt_reserved_page, HYPMEM_FINDING_RESERVED_ENCODING);
}

TEST(finding_invalid_not_annotation)
{
	expect_after(corrupt_invalid_junk, HYPMEM_FINDING_RESERVED_ENCODING);
}

TEST(finding_table_refcount)
{
	expect_after(corrupt_refcount, HYPMEM_FINDING_TABLE_REFCOUNT);
}

TEST(finding_not_identity)
{
	expect_after(corrupt_identity, HYPMEM_FINDING_NOT_IDENTITY);
}

TEST(finding_table_not_in_dump)
{
	expect_after(corrupt_unreadable, HYPMEM_FINDING_TABLE_UNREADABLE);
}

/* Half of a table page missing from the dump: that table is skipped, the rest decodes. */
TEST(finding_truncated_table_page)
{
	struct hypmem_target *t;
	struct hypmem_stage2 s;
	u64 *e, table;

	build(22, 0);
	e = find_entry(is_table, 2);
	REQUIRE(e);
	table = *e & PTE_ADDR;
	t = open_target_cut(table + 2048, table + PAGE_SIZE);
	REQUIRE(t);
	REQUIRE(CHECK_NO_ERR(hypmem_stage2_decode(t, HYPMEM_S2_KEEP_RUNS, &s)));
	CHECK(hypmem_target_findings(t)->by_kind[HYPMEM_FINDING_TABLE_UNREADABLE] > 0);
	CHECK(s.nr_runs > 0);
	hypmem_stage2_deinit(&s);
	hypmem_target_destroy(t);
}

/*
 * What garbage must produce, from the architecture's rules for 4 KiB
 * granule descriptors (Arm ARM D8.3; ../shared/reference), by a walk of our
 * own over the corrupted tables in the same depth-first order the decoder
 * documents (root pages in turn, children before the next entry):
 *  - a table descriptor (bits[1:0] = 11 above level 3) whose next-level
 *    address is outside host_s2_pool: table_outside_pool;
 *  - one whose table page was already reached: table_loop (not followed);
 *  - one whose table page is not in RAM, the only memory the target has
 *    besides this binary's data: table_unreadable (not followed);
 *  - a valid entry that is a block where none can be (level 0, or
 *    bits[1:0] = 01 at level 3), or a block whose output address is not
 *    aligned to its size: reserved_encoding.
 * Invalid entries, owners, refcounts and identity are left to the
 * targeted tests above: garbage there may give bad_owner,
 * reserved_encoding, table_refcount or not_identity, which are allowed.
 */
struct garbage_expect {
	bool want[HYPMEM_FINDING_NR];
	u64 seen[4096];
	unsigned int nr_seen;
};

static bool expect_mark(struct garbage_expect *x, u64 pa)
{
	for (unsigned int i = 0; i < x->nr_seen; i++)
		if (x->seen[i] == pa)
			return false;
	if (x->nr_seen == 4096) {
		printf("#   more than 4096 table pages: the oracle is too small\n");
		abort();
	}
	x->seen[x->nr_seen++] = pa;
	return true;
}

static unsigned int level_shift(int level)
{
	return PAGE_SHIFT + 9 * (3 - level);
}

static void expect_table(struct garbage_expect *x, const u64 *table, int level, unsigned int nr)
{
	for (unsigned int i = 0; i < nr; i++) {
		u64 pte = table[i], pa = pte & PTE_ADDR;

		if (!pte || !(pte & 1))
			continue;
		if (level < 3 && (pte & 3) == 3) {
			if (pa < host_s2_pool.range_start || pa >= host_s2_pool.range_end)
				x->want[HYPMEM_FINDING_TABLE_OUTSIDE_POOL] = true;
			if (!expect_mark(x, pa))
				x->want[HYPMEM_FINDING_TABLE_LOOP] = true;
			else if (pa < S2ENV_RAM_PA || pa >= S2ENV_RAM_PA + S2ENV_RAM_SIZE)
				x->want[HYPMEM_FINDING_TABLE_UNREADABLE] = true;
			else
				expect_table(x, va(pa), level + 1, 512);
			continue;
		}
		if (level == 0 || (level == 3 && !(pte & 2)) ||
		    (pa & ((1ULL << level_shift(level)) - 1)))
			x->want[HYPMEM_FINDING_RESERVED_ENCODING] = true;
	}
}

static void expect_from_garbage(struct garbage_expect *x)
{
	int start = host_mmu.pgt.start_level;
	u64 entries = 1ULL << (host_mmu.pgt.ia_bits - level_shift(start));
	u64 root = hyp_virt_to_phys(host_mmu.pgt.pgd);

	memset(x->want, 0, sizeof(x->want));
	x->nr_seen = 0;
	for (u64 p = 0; p * 512 < entries; p++) {
		expect_mark(x, root + p * PAGE_SIZE);
		expect_table(x, va(root + p * PAGE_SIZE), start, entries < 512 ? entries : 512);
	}
}

static bool garbage_may_give(enum hypmem_finding_kind kind)
{
	switch (kind) {
	case HYPMEM_FINDING_TABLE_LOOP:
	case HYPMEM_FINDING_RESERVED_ENCODING:
	case HYPMEM_FINDING_TABLE_OUTSIDE_POOL:
	case HYPMEM_FINDING_TABLE_UNREADABLE:
	case HYPMEM_FINDING_TABLE_REFCOUNT:
	case HYPMEM_FINDING_BAD_OWNER:
	case HYPMEM_FINDING_NOT_IDENTITY:
		return true;
	default:
		return false;
	}
}

/*
 * Garbage anywhere in the table pages: every finding the architecture
 * predicts (above), none of another family (pools, heap, trace), never a
 * crash.  Over the rounds, the predictions must have covered each walk
 * finding at least once, or the garbage is too tame to test anything.
 */
TEST(garbage_in_table_pages)
{
	static struct garbage_expect x;
	bool predicted[HYPMEM_FINDING_NR] = {0};

	for (int round = 0; round < 20; round++) {
		const struct hypmem_findings *f;
		struct hypmem_target *t;
		struct hypmem_stage2 s;

		build(30 + round, round % 3 ? 0 : 40);
		for (int k = 0; k < 64; k++) {
			u64 r = next_rand();
			u64 pa = host_s2_pool.range_start +
				 (r % (host_s2_pool.range_end - host_s2_pool.range_start) & ~7ULL);

			*va(pa) = r % 3 ? next_rand() : (*va(pa) ^ (1ULL << (r >> 58)));
		}
		expect_from_garbage(&x);
		t = open_target();
		REQUIRE(t);
		REQUIRE(CHECK_NO_ERR(hypmem_stage2_decode(t, HYPMEM_S2_KEEP_RUNS, &s)));
		f = hypmem_target_findings(t);
		for (int k = 0; k < HYPMEM_FINDING_NR; k++) {
			predicted[k] |= x.want[k];
			if (x.want[k] && !f->by_kind[k]) {
				printf("#   round %d: expected finding %s, none reported\n", round,
				       hypmem_finding_key(k));
				CHECK(0);
			}
			if (f->by_kind[k] && !garbage_may_give(k)) {
				printf("#   round %d: unexpected finding %s\n", round,
				       hypmem_finding_key(k));
				CHECK(0);
			}
		}
		hypmem_stage2_deinit(&s);
		hypmem_target_destroy(t);
	}
	CHECK(predicted[HYPMEM_FINDING_TABLE_UNREADABLE]);
	CHECK(predicted[HYPMEM_FINDING_TABLE_OUTSIDE_POOL]);
	CHECK(predicted[HYPMEM_FINDING_RESERVED_ENCODING]);
}

TEST_MAIN
