// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the page-table walker (lib/hypmem/stage2.c) on tables
 * written here by hand into a memory source: geometry, batching of
 * identical leaves, partial ranges, LPA2 output addresses, and the checks
 * on table pointers.  The EL2-built tables are tested in el2_stage2_decode.c.
 */
#include <stdlib.h>
#include <string.h>

#include "hypmem/stage2.h"
#include "test.h"
#include "../lib/fakeram.h"

#define BASE	 0x40000000ULL
#define NPAGES	 64
#define PAGE	 4096ULL
#define TABLE(i) (BASE + (i)*PAGE)

static uint64_t mem[NPAGES][512];

struct visits {
	unsigned int leaves, tables_pre, tables_post;
	uint64_t entries, first_addr, last_end;
	uint64_t last_old;
};

static struct hypmem_error *count(const struct hypmem_pgtable_visit_ctx *ctx,
				  enum hypmem_walk_flags visit)
{
	struct visits *v = ctx->arg;

	if (visit == HYPMEM_WALK_TABLE_PRE) {
		v->tables_pre++;
	} else if (visit == HYPMEM_WALK_TABLE_POST) {
		v->tables_post++;
	} else {
		if (!v->leaves)
			v->first_addr = ctx->addr;
		v->leaves++;
		v->entries += ctx->nr;
		v->last_end = ctx->addr + (ctx->nr << (12 + 9 * (3 - ctx->level)));
		v->last_old = ctx->old;
	}
	return NULL;
}

static struct hypmem_source *source(void)
{
	return fakeram_source(BASE, mem, sizeof(mem));
}

static uint64_t table_pte(uint64_t pa)
{
	return pa | 3;
}

static void walk(struct hypmem_pgtable_geometry *g, uint64_t start, uint64_t end, struct visits *v,
		 struct hypmem_findings *f)
{
	struct hypmem_pgtable_walker w = {.cb = count,
					  .arg = v,
					  .flags = HYPMEM_WALK_LEAF | HYPMEM_WALK_TABLE_PRE |
						   HYPMEM_WALK_TABLE_POST};
	struct hypmem_source *src = source();

	memset(v, 0, sizeof(*v));
	hypmem_findings_init(f);
	CHECK_NO_ERR(hypmem_pgtable_walk(src, g, start, end, &w, f));
	hypmem_source_destroy(src);
}

TEST(geometry)
{
	struct hypmem_pgtable_geometry g;

	CHECK_NO_ERR(hypmem_pgtable_geometry_init(&g, 48, 0, TABLE(0), true));
	CHECK_EQ_U64(g.pgd_pages, 1);
	CHECK_NO_ERR(hypmem_pgtable_geometry_init(&g, 40, 1, TABLE(0), true));
	CHECK_EQ_U64(g.pgd_pages, 2);
	CHECK_NO_ERR(hypmem_pgtable_geometry_init(&g, 52, 0, TABLE(16), true));
	CHECK_EQ_U64(g.pgd_pages, 16);
	CHECK(g.lpa2);
	/* Concatenation is a stage-2 feature, at most 16 pages, aligned. */
	struct hypmem_error *err = hypmem_pgtable_geometry_init(&g, 40, 1, TABLE(0), false);

	CHECK(err != NULL);
	hypmem_error_destroy(err);
	err = hypmem_pgtable_geometry_init(&g, 44, 1, TABLE(0), true);
	CHECK(err != NULL);
	hypmem_error_destroy(err);
	err = hypmem_pgtable_geometry_init(&g, 40, 1, TABLE(1), true);
	CHECK(err != NULL);
	hypmem_error_destroy(err);
	err = hypmem_pgtable_geometry_init(&g, 60, 0, TABLE(0), true);
	CHECK(err != NULL);
	hypmem_error_destroy(err);
}

/* 512 consecutive 4K pages are one batch; a changed attribute starts another. */
TEST(batches_and_ranges)
{
	struct hypmem_pgtable_geometry g;
	struct hypmem_findings f;
	struct visits v;

	memset(mem, 0, sizeof(mem));
	mem[0][0] = table_pte(TABLE(1)); /* L0 -> L1 */
	mem[1][1] = table_pte(TABLE(2)); /* 1G..2G -> L2 */
	mem[2][0] = table_pte(TABLE(3)); /* 1G + 0 -> L3 */
	for (int i = 0; i < 512; i++)
		mem[3][i] = (0x40000000ULL + i * PAGE) | 0x403; /* pages, AF */
	mem[3][300] |= 1ULL << 55;				/* one page differs */
	mem[2][5] = (0x40000000ULL + 5 * (2ULL << 20)) | 0x401; /* a 2M block */
	CHECK_NO_ERR(hypmem_pgtable_geometry_init(&g, 48, 0, TABLE(0), true));

	walk(&g, 0, 1ULL << 48, &v, &f);
	CHECK_EQ_U64(v.tables_pre, 3);
	CHECK_EQ_U64(v.tables_post, 3);
	CHECK_EQ_U64(v.leaves, 4); /* 300 pages, 1, 211, the block */
	CHECK_EQ_U64(v.entries, 513);
	CHECK_EQ_U64(f.total, 0);
	hypmem_findings_deinit(&f);

	/* A range inside the last-level table: only what overlaps it. */
	walk(&g, 0x40000000ULL + 10 * PAGE, 0x40000000ULL + 20 * PAGE, &v, &f);
	CHECK_EQ_U64(v.leaves, 1);
	CHECK_EQ_U64(v.entries, 10);
	CHECK_EQ_U64(v.first_addr, 0x40000000ULL + 10 * PAGE);
	hypmem_findings_deinit(&f);
}

/* LPA2: OA[51:50] sit in bits 9:8 of tables and leaves alike. */
TEST(lpa2_output_addresses)
{
	struct hypmem_pgtable_geometry g;
	struct hypmem_findings f;
	struct visits v;

	memset(mem, 0, sizeof(mem));
	/* Root page 15 of 16 covers [15 << 48, 16 << 48). */
	mem[16 + 15][0] = table_pte(TABLE(32));
	mem[32][0] = 0x000c000000000000ULL >> 50 << 8 | 0x40000000ULL | 0x401; /* 1G block */
	CHECK_NO_ERR(hypmem_pgtable_geometry_init(&g, 52, 0, TABLE(16), true));
	walk(&g, 0, 1ULL << 52, &v, &f);
	CHECK_EQ_U64(v.leaves, 1);
	CHECK_EQ_U64(v.first_addr, 15ULL << 48);
	CHECK_EQ_U64(f.total, 0);
	hypmem_findings_deinit(&f);
}

TEST(table_checks)
{
	struct hypmem_ram_range pool = {TABLE(0), TABLE(8)};
	struct hypmem_pgtable_geometry g;
	struct hypmem_findings f;
	struct visits v;

	memset(mem, 0, sizeof(mem));
	mem[0][0] = table_pte(TABLE(1));
	mem[1][0] = table_pte(TABLE(1));	  /* itself */
	mem[1][1] = table_pte(TABLE(20));	  /* outside the pool, readable */
	mem[1][2] = table_pte(0x1000);		  /* not in the dump */
	mem[1][3] = 0x40000001ULL | (1ULL << 20); /* misaligned 1G block */
	CHECK_NO_ERR(hypmem_pgtable_geometry_init(&g, 48, 0, TABLE(0), true));
	g.table_ranges = &pool;
	g.nr_table_ranges = 1;
	walk(&g, 0, 1ULL << 48, &v, &f);
	CHECK_EQ_U64(f.by_kind[HYPMEM_FINDING_TABLE_LOOP], 1);
	CHECK_EQ_U64(f.by_kind[HYPMEM_FINDING_TABLE_OUTSIDE_POOL], 2);
	CHECK_EQ_U64(f.by_kind[HYPMEM_FINDING_TABLE_UNREADABLE], 1);
	CHECK_EQ_U64(f.by_kind[HYPMEM_FINDING_RESERVED_ENCODING], 1);
	CHECK_EQ_U64(v.tables_pre, 2); /* TABLE(1) and TABLE(20) */
	hypmem_findings_deinit(&f);
}

TEST_MAIN
