// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the table walker (lib/hypmem/pgwalk.c) on tables written
 * here by hand.  Every expected value is worked out from the architecture
 * (Arm ARM, VMSAv8-64 translation tables): the bytes one entry maps per
 * granule and level, which leaves are reserved, where a 52-bit output
 * address keeps its top bits.  stage2.c and stage2_7x.c test batching and
 * the pKVM decoders; this file the shapes and the checks.
 */
#include <stdlib.h>
#include <string.h>

#include "../../lib/hypmem/pgwalk.h"
#include "test.h"
#include "../lib/fakeram.h"

#define BASE	 0x40000000ULL
#define MEMSIZE	 (1ULL << 20) /* 1 MiB of fake RAM from BASE */
#define OUTSIDE	 0x10000000ULL /* a PA the source does not have */

static uint64_t mem[MEMSIZE / 8];

/* Write descriptor @idx of the table page at @pa. */
static void set(uint64_t pa, unsigned int idx, uint64_t pte)
{
	mem[(pa - BASE) / 8 + idx] = pte;
}

#define MAX_SEEN 16

struct seen {
	unsigned int nr, unreadable;
	struct {
		uint64_t addr, old, nr;
		int level;
	} leaf[MAX_SEEN];
	uint64_t lost_addr, lost_pa, lost_nr;
	int lost_level;
};

/* What the last walk() saw and reported. */
static struct seen s;
static struct hypmem_findings f;

static struct hypmem_error *record(const struct hypmem_pgtable_visit_ctx *ctx,
				   enum hypmem_walk_flags visit)
{
	struct seen *seen = ctx->arg;

	if ((unsigned int)visit == PGWALK_UNREADABLE) {
		seen->unreadable++;
		seen->lost_addr = ctx->addr;
		seen->lost_pa = ctx->child_pa;
		seen->lost_nr = ctx->nr;
		seen->lost_level = ctx->level;
		return NULL;
	}
	if (seen->nr < MAX_SEEN) {
		seen->leaf[seen->nr].addr = ctx->addr;
		seen->leaf[seen->nr].old = ctx->old;
		seen->leaf[seen->nr].nr = ctx->nr;
		seen->leaf[seen->nr].level = ctx->level;
	}
	seen->nr++;
	return NULL;
}

static void walk(const struct hypmem_pgtable_geometry *g, uint64_t start, uint64_t end,
		 struct seen *seen, struct hypmem_findings *fs)
{
	struct hypmem_source *src = fakeram_source(BASE, mem, MEMSIZE);
	struct hypmem_pgtable_walker w = {record, seen, HYPMEM_WALK_LEAF | PGWALK_UNREADABLE};

	memset(seen, 0, sizeof(*seen));
	hypmem_findings_init(fs);
	REQUIRE(src);
	CHECK_NO_ERR(hypmem_pgtable_walk(src, g, start, end, &w, fs));
	hypmem_source_destroy(src);
}

static struct pgwalk_lookup lookup(const struct hypmem_pgtable_geometry *g, uint64_t addr)
{
	struct hypmem_source *src = fakeram_source(BASE, mem, MEMSIZE);
	struct pgwalk_lookup l = {.end = PGWALK_RESERVED, .why = "not run"};

	if (!src)
		return l;
	CHECK_NO_ERR(pgwalk_lookup(src, g, addr, &l));
	hypmem_source_destroy(src);
	return l;
}

#define CHECK_LEAF(s, i, a, lvl, o, n)                 \
	do {                                           \
		CHECK_EQ_U64((s)->leaf[i].addr, a);    \
		CHECK_EQ_U64((s)->leaf[i].level, lvl); \
		CHECK_EQ_U64((s)->leaf[i].old, o);     \
		CHECK_EQ_U64((s)->leaf[i].nr, n);      \
	} while (0)

/*
 * 4K granule, 39-bit input from level 1 (three levels): a level-1 entry
 * maps 1 GiB, a level-2 entry 2 MiB, a level-3 entry 4 KiB.
 */
TEST(granule_4k_three_levels)
{
	const uint64_t l1 = BASE, l2 = BASE + 0x1000, l3 = BASE + 0x2000;
	struct hypmem_pgtable_geometry g;
	struct pgwalk_lookup l;

	memset(mem, 0, sizeof(mem));
	set(l1, 0, l2 | 3);
	set(l1, 1, 0x80000000ULL | 0x401);     /* 1 GiB block at IA 1G */
	set(l1, 2, 0xc0001000ULL | 0x401);     /* misaligned 1 GiB block */
	set(l2, 0, l3 | 3);
	set(l2, 3, 0x40600000ULL | 0x401);     /* 2 MiB block at IA 6M */
	for (unsigned int i = 0; i < 4; i++)   /* four 4K pages at IA 0 */
		set(l3, i, (0x40000000ULL + i * 0x1000) | 0x403);
	set(l3, 7, 0x40007000ULL | 0x401);     /* level 3 with bit 1 clear */
	CHECK_NO_ERR(hypmem_pgtable_geometry_init(&g, 39, 1, l1, false));
	CHECK_EQ_U64(g.pgd_pages, 1);

	walk(&g, 0, 1ULL << 39, &s, &f);
	REQUIRE(s.nr == 3);
	CHECK_LEAF(&s, 0, 0, 3, 0x40000403, 4);
	CHECK_LEAF(&s, 1, 0x600000, 2, 0x40600401, 1);
	CHECK_LEAF(&s, 2, 0x40000000, 1, 0x80000401, 1);
	CHECK_EQ_U64(f.total, 2);
	CHECK_EQ_U64(f.by_kind[HYPMEM_FINDING_RESERVED_ENCODING], 2);
	REQUIRE(f.nr == 2);
	CHECK_EQ_U64(f.items[0].address, l3 + 7 * 8);
	CHECK_EQ_U64(f.items[1].address, l1 + 2 * 8);
	hypmem_findings_deinit(&f);

	l = lookup(&g, 0x2345);
	CHECK_EQ_U64(l.end, PGWALK_MAPPED);
	CHECK_EQ_U64(l.level, 3);
	CHECK_EQ_U64(l.pa, 0x40002345);
	CHECK_EQ_U64(l.size, 0x1000);
	l = lookup(&g, 0x601234);
	CHECK_EQ_U64(l.end, PGWALK_MAPPED);
	CHECK_EQ_U64(l.pa, 0x40601234);
	CHECK_EQ_U64(l.size, 2ULL << 20);
	l = lookup(&g, 0x40123456);
	CHECK_EQ_U64(l.end, PGWALK_MAPPED);
	CHECK_EQ_U64(l.level, 1);
	CHECK_EQ_U64(l.pa, 0x80123456);
	l = lookup(&g, 0x5000);
	CHECK_EQ_U64(l.end, PGWALK_INVALID);
	CHECK_EQ_U64(l.level, 3);
	CHECK_EQ_U64(l.table_pa, l3);
	l = lookup(&g, 0x7000);
	CHECK_EQ_U64(l.end, PGWALK_RESERVED);
	CHECK_STR(l.why, "block descriptor at level 3");
	l = lookup(&g, 0x80000000);
	CHECK_EQ_U64(l.end, PGWALK_RESERVED);
	CHECK_STR(l.why, "block output address not aligned to the block");
	l = lookup(&g, 0xc0000000);
	CHECK_EQ_U64(l.end, PGWALK_INVALID);
	CHECK_EQ_U64(l.level, 1);
}

/* 4K, 48 bits from level 0: a level-0 entry maps 512 GiB and is never a block. */
TEST(granule_4k_four_levels_block_at_level0)
{
	struct hypmem_pgtable_geometry g;

	memset(mem, 0, sizeof(mem));
	set(BASE, 1, 0x8000000000ULL | 0x401);
	CHECK_NO_ERR(hypmem_pgtable_geometry_init(&g, 48, 0, BASE, true));
	walk(&g, 0, 1ULL << 48, &s, &f);
	CHECK_EQ_U64(s.nr, 0);
	CHECK_EQ_U64(f.by_kind[HYPMEM_FINDING_RESERVED_ENCODING], 1);
	REQUIRE(f.nr == 1);
	CHECK_EQ_U64(f.items[0].address, BASE + 8);
	hypmem_findings_deinit(&f);
	CHECK_EQ_U64(lookup(&g, 0x8000000000ULL).end, PGWALK_RESERVED);
}

/*
 * 16K granule, 47 bits from level 1: 2048 entries a table; a level-1
 * entry maps 64 GiB (a block only with 52-bit descriptors), level 2
 * 32 MiB, level 3 16 KiB.
 */
TEST(granule_16k)
{
	const uint64_t l1 = BASE, l2 = BASE + 0x4000, l3 = BASE + 0x8000;
	struct hypmem_pgtable_geometry g;
	struct pgwalk_lookup l;

	memset(mem, 0, sizeof(mem));
	set(l1, 0, l2 | 3);
	set(l1, 1, 0x1000000000ULL | 0x401); /* level-1 block: reserved on 16K */
	set(l2, 1, l3 | 3);
	set(l2, 2, 0x42000000ULL | 0x401); /* 32 MiB block at IA 64M */
	set(l3, 0, 0x40100000ULL | 0x403);
	set(l3, 1, 0x40104000ULL | 0x403);
	CHECK_NO_ERR(hypmem_pgtable_geometry_init_granule(&g, 14, 47, 1, l1, false));
	CHECK_EQ_U64(g.pgd_pages, 1);
	walk(&g, 0, 1ULL << 47, &s, &f);
	REQUIRE(s.nr == 2);
	CHECK_LEAF(&s, 0, 0x2000000, 3, 0x40100403, 2);
	CHECK_LEAF(&s, 1, 0x4000000, 2, 0x42000401, 1);
	CHECK_EQ_U64(f.by_kind[HYPMEM_FINDING_RESERVED_ENCODING], 1);
	REQUIRE(f.nr == 1);
	CHECK_EQ_U64(f.items[0].address, l1 + 8);
	hypmem_findings_deinit(&f);

	l = lookup(&g, 0x2004321);
	CHECK_EQ_U64(l.end, PGWALK_MAPPED);
	CHECK_EQ_U64(l.pa, 0x40104321);
	CHECK_EQ_U64(l.size, 0x4000);
	l = lookup(&g, 0x5ffffff);
	CHECK_EQ_U64(l.end, PGWALK_MAPPED);
	CHECK_EQ_U64(l.pa, 0x43ffffff);
	CHECK_EQ_U64(l.size, 32ULL << 20);
	l = lookup(&g, 1ULL << 36);
	CHECK_EQ_U64(l.end, PGWALK_RESERVED);
	CHECK_STR(l.why, "block descriptor at level 1");
}

/*
 * 52-bit 4K stage-2 (FEAT_LPA2) from level 0: 16 concatenated root pages,
 * each mapping 2^48 bytes.  A 1 GiB block at OA 0xc_0000_4000_0000 keeps
 * OA[51:50] = 3 in descriptor bits 9:8.
 */
TEST(lpa2_concatenated_root)
{
	const uint64_t root = BASE + 0x10000, l1 = BASE + 0x20000;
	struct hypmem_pgtable_geometry g;
	struct pgwalk_lookup l;

	memset(mem, 0, sizeof(mem));
	set(root + 0x1000, 0, l1 | 3); /* root page 1, entry 0: IA 2^48 */
	set(l1, 0, 0x40000000ULL | (3ULL << 8) | 1);
	CHECK_NO_ERR(hypmem_pgtable_geometry_init(&g, 52, 0, root, true));
	CHECK_EQ_U64(g.pgd_pages, 16);
	CHECK(g.lpa2);
	walk(&g, 0, 1ULL << 52, &s, &f);
	REQUIRE(s.nr == 1);
	CHECK_LEAF(&s, 0, 1ULL << 48, 1, 0x40000301, 1);
	CHECK_EQ_U64(f.total, 0);
	hypmem_findings_deinit(&f);

	l = lookup(&g, (1ULL << 48) + 0x1234);
	CHECK_EQ_U64(l.end, PGWALK_MAPPED);
	CHECK_EQ_U64(l.level, 1);
	CHECK_EQ_U64(l.pa, 0xc000040001234ULL);
	CHECK_EQ_U64(l.size, 1ULL << 30);
	/* Root page 0 is empty: IA 0 is unmapped at the start level. */
	l = lookup(&g, 0x1234);
	CHECK_EQ_U64(l.end, PGWALK_INVALID);
	CHECK_EQ_U64(l.level, 0);
	CHECK_EQ_U64(l.table_pa, root);
}

/*
 * 4K granule, 52-bit input from level -1 (FEAT_LPA2, five levels).  Level
 * -1 resolves IA[51:48] with 16 entries, then 0: [47:39], 1: [38:30],
 * 2: [29:21], 3: [20:12].  IA 0x0005018080207000 is indexes 5, 3, 2, 1, 7.
 * OA[51:50] sit in descriptor bits 9:8: the page 0x456789603 maps OA
 * 0x0008000456789000 (bits 9:8 = 2), the 2 MiB block 0x400000501 at
 * level-2 index 2 maps OA 0x0004000400000000 (bits 9:8 = 1).  A block
 * descriptor at level -1 is reserved; entries past the 16th are outside
 * the 52-bit input range and never read.
 */
TEST(lpa2_five_levels)
{
	const uint64_t lm1 = BASE + 0x30000, l0 = BASE + 0x31000, l1 = BASE + 0x32000,
		       l2 = BASE + 0x33000, l3 = BASE + 0x34000;
	const uint64_t ia = 0x0005018080207000ULL, blk = 0x0005018080400000ULL;
	struct hypmem_pgtable_geometry g;
	struct hypmem_error *err;
	struct pgwalk_lookup l;

	memset(mem, 0, sizeof(mem));
	set(lm1, 5, l0 | 3);
	set(lm1, 6, 0x401);	 /* a block at level -1: reserved */
	set(lm1, 16, l0 | 3); /* beyond IA bit 51: not an entry */
	set(l0, 3, l1 | 3);
	set(l1, 2, l2 | 3);
	set(l2, 1, l3 | 3);
	set(l2, 2, 0x400000501ULL);
	set(l3, 7, 0x456789603ULL);

	CHECK_NO_ERR(hypmem_pgtable_geometry_init(&g, 52, -1, lm1, false));
	CHECK_EQ_U64(g.pgd_pages, 1);
	CHECK(g.lpa2);
	CHECK_EQ_U64(level_shift(-1, 12), 48);

	walk(&g, 0, 1ULL << 52, &s, &f);
	REQUIRE(s.nr == 2);
	CHECK_LEAF(&s, 0, ia, 3, 0x456789603ULL, 1);
	CHECK_LEAF(&s, 1, blk, 2, 0x400000501ULL, 1);
	CHECK_EQ_U64(f.total, 1);
	CHECK_EQ_U64(s.unreadable, 0);
	hypmem_findings_deinit(&f);

	/* A walk from inside the range starts at the right root entry. */
	walk(&g, blk, 1ULL << 52, &s, &f);
	REQUIRE(s.nr == 1);
	CHECK_LEAF(&s, 0, blk, 2, 0x400000501ULL, 1);
	hypmem_findings_deinit(&f);

	l = lookup(&g, ia + 0xabc);
	CHECK_EQ_U64(l.end, PGWALK_MAPPED);
	CHECK_EQ_U64(l.level, 3);
	CHECK_EQ_U64(l.table_pa, l3);
	CHECK_EQ_U64(l.pa, 0x0008000456789abcULL);
	CHECK_EQ_U64(l.size, 0x1000);
	l = lookup(&g, blk + 0x12345);
	CHECK_EQ_U64(l.end, PGWALK_MAPPED);
	CHECK_EQ_U64(l.level, 2);
	CHECK_EQ_U64(l.pa, 0x0004000400012345ULL);
	CHECK_EQ_U64(l.size, 1ULL << 21);
	l = lookup(&g, 6ULL << 48);
	CHECK_EQ_U64(l.end, PGWALK_RESERVED);
	CHECK_EQ_U64(l.level, -1);
	l = lookup(&g, 7ULL << 48);
	CHECK_EQ_U64(l.end, PGWALK_INVALID);
	CHECK_EQ_U64(l.level, -1);
	CHECK_EQ_U64(l.table_pa, lm1);

	/* Level -1 needs 4K pages and more than 48 input bits. */
	err = hypmem_pgtable_geometry_init(&g, 48, -1, lm1, false);
	CHECK(err != NULL);
	hypmem_error_destroy(err);
	err = hypmem_pgtable_geometry_init_granule(&g, 14, 52, -1, lm1, false);
	CHECK(err != NULL);
	hypmem_error_destroy(err);
}

/* 4K stage-2, 40 bits from level 1: two root pages of 512 GiB each. */
TEST(concatenated_root_4k)
{
	const uint64_t root = BASE + 0x2000;
	struct hypmem_pgtable_geometry g;
	struct pgwalk_lookup l;

	memset(mem, 0, sizeof(mem));
	set(root + 0x1000, 2, 0x80000000ULL | 0x401); /* IA 2^39 + 2 GiB */
	CHECK_NO_ERR(hypmem_pgtable_geometry_init(&g, 40, 1, root, true));
	CHECK_EQ_U64(g.pgd_pages, 2);
	walk(&g, 0, 1ULL << 40, &s, &f);
	REQUIRE(s.nr == 1);
	CHECK_LEAF(&s, 0, (1ULL << 39) + (2ULL << 30), 1, 0x80000401, 1);
	hypmem_findings_deinit(&f);
	l = lookup(&g, (1ULL << 39) + (2ULL << 30) + 5);
	CHECK_EQ_U64(l.end, PGWALK_MAPPED);
	CHECK_EQ_U64(l.pa, 0x80000005);
	CHECK_EQ_U64(l.table_pa, root);
}

/* A table that points at itself, and a second parent of the same table. */
TEST(cycle_and_shared_table)
{
	const uint64_t l0 = BASE, l1 = BASE + 0x1000;
	struct hypmem_pgtable_geometry g;

	memset(mem, 0, sizeof(mem));
	set(l0, 0, l1 | 3);
	set(l0, 1, l1 | 3); /* a second parent */
	set(l1, 0, l1 | 3); /* itself, one level down */
	CHECK_NO_ERR(hypmem_pgtable_geometry_init(&g, 48, 0, l0, false));
	walk(&g, 0, 1ULL << 48, &s, &f);
	CHECK_EQ_U64(s.nr, 0);
	CHECK_EQ_U64(f.by_kind[HYPMEM_FINDING_TABLE_LOOP], 2);
	REQUIRE(f.nr == 2);
	CHECK_EQ_U64(f.items[0].address, l1);	 /* l1[0], reached first */
	CHECK_EQ_U64(f.items[1].address, l0 + 8); /* then l0[1] */
	hypmem_findings_deinit(&f);

	/* A cap of two table pages stops the walk at the third. */
	memset(mem, 0, sizeof(mem));
	set(l0, 0, l1 | 3);
	set(l1, 0, (BASE + 0x2000) | 3);
	g.max_tables = 2;
	walk(&g, 0, 1ULL << 48, &s, &f);
	CHECK_EQ_U64(f.by_kind[HYPMEM_FINDING_TABLE_LOOP], 1);
	REQUIRE(f.nr == 1);
	CHECK_EQ_U64(f.items[0].address, l1);
	hypmem_findings_deinit(&f);
}

/*
 * A table pointer outside RAM (not in the dump), one outside the tables'
 * pool, and a root that is not in the dump.
 */
TEST(table_outside_ram_and_pool)
{
	const uint64_t l0 = BASE, l1 = BASE + 0x1000, stray = BASE + 0x8000;
	struct hypmem_ram_range pool = {BASE, BASE + 0x4000};
	struct hypmem_pgtable_geometry g;
	struct pgwalk_lookup l;

	memset(mem, 0, sizeof(mem));
	set(l0, 0, l1 | 3);
	set(l1, 3, OUTSIDE | 3); /* IA 3G..4G behind a page not in the dump */
	set(l1, 4, stray | 3);   /* IA 4G..5G: in RAM, outside the pool */
	set(stray, 0, 0x40000000ULL | 0x401);
	CHECK_NO_ERR(hypmem_pgtable_geometry_init(&g, 48, 0, l0, true));
	g.table_ranges = &pool;
	g.nr_table_ranges = 1;
	walk(&g, 0, 1ULL << 48, &s, &f);
	CHECK_EQ_U64(s.unreadable, 1);
	CHECK_EQ_U64(s.lost_addr, 3ULL << 30);
	CHECK_EQ_U64(s.lost_level, 1);
	CHECK_EQ_U64(s.lost_nr, 1);
	CHECK_EQ_U64(s.lost_pa, OUTSIDE);
	/* Outside the pool is a finding, but the table is still walked. */
	REQUIRE(s.nr == 1);
	CHECK_LEAF(&s, 0, 4ULL << 30, 2, 0x40000401, 1);
	CHECK_EQ_U64(f.by_kind[HYPMEM_FINDING_TABLE_OUTSIDE_POOL], 2);
	CHECK_EQ_U64(f.by_kind[HYPMEM_FINDING_TABLE_UNREADABLE], 1);
	hypmem_findings_deinit(&f);

	l = lookup(&g, (3ULL << 30) + 0x10);
	CHECK_EQ_U64(l.end, PGWALK_UNREACHABLE);
	CHECK_EQ_U64(l.level, 2);
	CHECK_EQ_U64(l.table_pa, OUTSIDE);

	/* The root itself not in the dump: one visit for its whole span. */
	CHECK_NO_ERR(hypmem_pgtable_geometry_init(&g, 48, 0, OUTSIDE, true));
	walk(&g, 0, 1ULL << 48, &s, &f);
	CHECK_EQ_U64(s.nr, 0);
	CHECK_EQ_U64(s.unreadable, 1);
	CHECK_EQ_U64(s.lost_addr, 0);
	CHECK_EQ_U64(s.lost_level, 0);
	CHECK_EQ_U64(s.lost_nr, 512);
	CHECK_EQ_U64(f.by_kind[HYPMEM_FINDING_TABLE_UNREADABLE], 1);
	hypmem_findings_deinit(&f);
}

/* The leaf checks alone, per granule and level. */
TEST(reserved_leaves)
{
	CHECK(pgwalk_reserved_leaf(0x40000403, 3, false, 12) == NULL);
	CHECK(pgwalk_reserved_leaf(0x40000401, 3, false, 12) != NULL);
	CHECK(pgwalk_reserved_leaf(0x40200401, 2, false, 12) == NULL);
	CHECK(pgwalk_reserved_leaf(0x40201401, 2, false, 12) != NULL);
	CHECK(pgwalk_reserved_leaf(0x80000401, 1, false, 12) == NULL);
	CHECK(pgwalk_reserved_leaf(0x1000000401ULL, 1, false, 14) != NULL);
	CHECK(pgwalk_reserved_leaf(0x1000000401ULL, 1, true, 14) == NULL);
	CHECK(pgwalk_reserved_leaf(0x8000000401ULL, 0, true, 12) != NULL);
	CHECK(pgwalk_reserved_leaf(0x401, -1, true, 12) != NULL);
	/* Invalid entries are never reserved leaves. */
	CHECK(pgwalk_reserved_leaf(0x40000400, 3, false, 12) == NULL);
	/* 64K: level 2 maps 512 MiB. */
	CHECK(pgwalk_reserved_leaf(0x20000401, 2, false, 16) == NULL);
	CHECK(pgwalk_reserved_leaf(0x10000401, 2, false, 16) != NULL);
}

TEST_MAIN
