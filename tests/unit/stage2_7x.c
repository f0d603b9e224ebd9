// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of what 7.x kernels need from the stage-2 decoder
 * (lib/hypmem/stage2.c), on tables written here by hand: the 16K granule
 * (2048-entry tables, level shifts, concatenated roots, level-1 blocks
 * reserved without 52-bit descriptors) and the 7.x encoding of invalid
 * entries (a type in bits 63:60; for a host donation the owner in bits
 * 3:1 and metadata in 59:4, a guest's VM handle and gfn in it).  The
 * expected figures are worked out here from the entries written.
 */
#include <stdlib.h>
#include <string.h>

#include "hypmem/stage2.h"
#include "test.h"
#include "../lib/fakeram.h"

#define BASE	  0x40000000ULL
#define PAGE16K	  16384ULL
#define NPAGES	  8
#define TABLE(i)  (BASE + (i)*PAGE16K)
#define ENTRIES	  2048

static uint64_t mem[NPAGES][ENTRIES];

static struct hypmem_source *source(void)
{
	return fakeram_source(BASE, mem, sizeof(mem));
}

TEST(geometry_16k)
{
	struct hypmem_pgtable_geometry g;
	struct hypmem_error *err;

	/* Level 1 resolves IA bits 46:36: 48 bits need two concatenated roots. */
	CHECK_NO_ERR(hypmem_pgtable_geometry_init_granule(&g, 14, 48, 1, TABLE(0), true));
	CHECK_EQ_U64(g.pgd_pages, 2);
	CHECK_EQ_U64(g.page_shift, 14);
	/* Level 0 resolves bit 47 alone: one root. */
	CHECK_NO_ERR(hypmem_pgtable_geometry_init_granule(&g, 14, 48, 0, TABLE(0), false));
	CHECK_EQ_U64(g.pgd_pages, 1);
	/* Two roots must be aligned to 32K. */
	err = hypmem_pgtable_geometry_init_granule(&g, 14, 48, 1, TABLE(1), true);
	CHECK(err != NULL);
	hypmem_error_destroy(err);
	/* No 8K granule on arm64. */
	err = hypmem_pgtable_geometry_init_granule(&g, 13, 48, 1, TABLE(0), true);
	CHECK(err != NULL);
	hypmem_error_destroy(err);
}

static void setup_host(struct hypmem_stage2 *s, unsigned int page_shift, uint32_t ia_bits,
		       int start_level, uint64_t pgd)
{
	memset(s, 0, sizeof(*s));
	CHECK_NO_ERR(hypmem_pgtable_geometry_init_granule(&s->geom, page_shift, ia_bits,
							 start_level, pgd, true));
	s->found = true;
	s->cfg.check_identity = true;
	s->cfg.keep_runs = true;
	s->cfg.owner_max = 2;
	strcpy(s->cfg.owner_names[0], "host");
	strcpy(s->cfg.owner_names[1], "hyp");
	strcpy(s->cfg.owner_names[2], "guest");
	s->cfg.host_owner = 0;
	s->cfg.guest_owner = 2;
	s->cfg.state_shift = 55;
	for (int i = 0; i < 4; i++)
		s->cfg.state_of_raw[i] = (int8_t)(i < 3 ? i : -1);
}

/* 2048 16K pages in a row are one run; a 32M block maps 2048 of them at once. */
TEST(walk_16k)
{
	struct hypmem_findings f;
	struct hypmem_stage2 s;
	struct hypmem_source *src;

	memset(mem, 0, sizeof(mem));
	/* Root pages 0-1 (level 1), a level-2 table at 2, a level-3 table at 3. */
	mem[0][1] = TABLE(2) | 3;   /* IA [64G, 128G) */
	mem[2][0] = TABLE(3) | 3;   /* IA [64G, 64G + 32M) */
	for (int i = 0; i < ENTRIES; i++)
		mem[3][i] = ((1ULL << 36) + i * PAGE16K) | 0x4c3; /* identity, AF, RW */
	mem[2][1] = ((1ULL << 36) + (32ULL << 20)) | 0x4c1;	   /* a 32M block */
	mem[1][0] = (1ULL << 47) | (1ULL << 36) | 0x401;	   /* L1 block: reserved */
	setup_host(&s, 14, 48, 1, TABLE(0));
	s.cfg.check_identity = false;
	src = source();
	hypmem_findings_init(&f);
	CHECK_NO_ERR(hypmem_stage2_decode_raw(src, &f, &s));
	CHECK_EQ_U64(s.by_level[3].count, 2048);
	CHECK_EQ_U64(s.by_level[3].bytes, 2048 * PAGE16K);
	CHECK_EQ_U64(s.by_level[2].count, 1);
	CHECK_EQ_U64(s.by_level[2].bytes, 32ULL << 20);
	CHECK_EQ_U64(s.nr_runs, 2);
	CHECK_EQ_U64(s.runs[0].start, 1ULL << 36);
	CHECK_EQ_U64(s.runs[0].end, (1ULL << 36) + (32ULL << 20));
	CHECK_EQ_U64(s.tables, 4); /* two roots, two tables */
	CHECK_EQ_U64(f.by_kind[HYPMEM_FINDING_RESERVED_ENCODING], 1);
	{
		char b[8];

		CHECK(!strcmp(hypmem_s2_level_size_name(&s, 3, b), "16K"));
		CHECK(!strcmp(hypmem_s2_level_size_name(&s, 2, b), "32M"));
		CHECK(!strcmp(hypmem_s2_level_size_name(&s, 1, b), "64G"));
	}
	hypmem_findings_deinit(&f);
	hypmem_stage2_deinit(&s);
	hypmem_source_destroy(src);
}

/*
 * 64K granule, 52-bit output addresses (FEAT_LPA): OA[51:48] in bits 15:12.
 * 48 bits from level 1 (IA bits 47:42, 64 entries), 512M blocks at level 2.
 */
TEST(walk_64k)
{
	static uint64_t big[4][8192];
	struct hypmem_findings f;
	struct hypmem_stage2 s;
	struct hypmem_source *src = NULL;

	memset(big, 0, sizeof(big));
	REQUIRE((src = fakeram_source(BASE, big, sizeof(big))));
	big[0][1] = (BASE + 65536) | 3;				/* IA [4T, 8T) */
	big[1][0] = (BASE + 2 * 65536) | 3;			/* its first 512M */
	big[1][1] = ((1ULL << 42) + (512ULL << 20)) | 0x401;	/* a 512M block */
	for (int i = 0; i < 8; i++)				/* 64K pages, OA 0xf << 48 | ... */
		big[2][i] = ((1ULL << 42) + i * 65536ULL) | (0xfULL << 12) | 0x403;
	memset(&s, 0, sizeof(s));
	CHECK_NO_ERR(hypmem_pgtable_geometry_init_granule(&s.geom, 16, 48, 1, BASE, true));
	CHECK_EQ_U64(s.geom.pgd_pages, 1);
	s.cfg.keep_runs = true;
	s.cfg.state_of_raw[0] = 0;
	s.cfg.state_shift = 55;
	s.found = true;
	hypmem_findings_init(&f);
	CHECK_NO_ERR(hypmem_stage2_decode_raw(src, &f, &s));
	CHECK_EQ_U64(f.total, 0);
	CHECK_EQ_U64(s.by_level[3].count, 8);
	CHECK_EQ_U64(s.by_level[3].bytes, 8 * 65536ULL);
	CHECK_EQ_U64(s.by_level[2].bytes, 512ULL << 20);
	CHECK(s.nr_runs >= 2);
	CHECK_EQ_U64(s.runs[0].phys, (0xfULL << 48) | (1ULL << 42));
	CHECK_EQ_U64(s.runs[0].end - s.runs[0].start, 8 * 65536ULL);
	hypmem_findings_deinit(&f);
	hypmem_stage2_deinit(&s);
	hypmem_source_destroy(src);
}

/* The 7.x invalid-entry encoding, entry by entry, on a 4K-granule table. */
TEST(invalid_entry_types)
{
	static const uint64_t donation = 2ULL << 60, locked = 1ULL << 60, poisoned = 3ULL << 60;
	uint64_t meta = 0x1001 | (0x42ULL << 16);
	struct hypmem_findings f;
	struct hypmem_stage2 s;
	struct hypmem_source *src;
	uint64_t *t3;

	memset(mem, 0, sizeof(mem));
	/* 4K tables at the start of mem: L0 page 0 -> L1 page 1 -> L2 page 2 -> L3 page 3. */
	((uint64_t *)mem)[0] = (BASE + 4096) | 3;
	((uint64_t *)mem)[512 + 1] = (BASE + 2 * 4096) | 3;	 /* IA 1G.. */
	((uint64_t *)mem)[1024 + 0] = (BASE + 3 * 4096) | 3; /* IA 1G..1G+2M */
	t3 = (uint64_t *)mem + 1536;
	t3[0] = donation | 1 << 1;		   /* to the hyp */
	t3[1] = donation | 1 << 1;		   /* same: merges */
	t3[2] = donation | 2 << 1 | meta << 4;	   /* to guest 0x1001, gfn 0x42 */
	t3[3] = donation | 2 << 1 | (meta + (1ULL << 16)) << 4; /* next gfn: same run */
	t3[4] = locked;				   /* break-before-make */
	t3[5] = 5ULL << 60;			   /* no such type */
	t3[6] = donation;			   /* "donated" to the host */
	t3[7] = donation | 1 << 1 | 1 << 4;	   /* hyp donation with metadata */
	t3[8] = poisoned;			   /* guest-only type in the host */
	t3[9] = donation | 6 << 1;		   /* owner 6 does not exist */
	setup_host(&s, 12, 48, 0, BASE);
	s.cfg.invalid_types = true;
	s.cfg.type_locked = 1;
	s.cfg.type_donation = 2;
	s.cfg.type_poisoned = 3;
	src = source();
	hypmem_findings_init(&f);
	CHECK_NO_ERR(hypmem_stage2_decode_raw(src, &f, &s));
	CHECK_EQ_U64(f.by_kind[HYPMEM_FINDING_RESERVED_ENCODING], 3); /* 5, 7, 8 */
	CHECK_EQ_U64(f.by_kind[HYPMEM_FINDING_BAD_OWNER], 2);	      /* 6, 9 */
	/* Entries with findings are still counted, as what they claim to be. */
	CHECK_EQ_U64(s.by_owner[1].count, 3); /* 0, 1, 7 */
	CHECK_EQ_U64(s.by_owner[2].count, 2); /* 2, 3 */
	CHECK_EQ_U64(s.by_type[2].count, 7);  /* 0-3, 6, 7, 9 */
	CHECK_EQ_U64(s.by_type[1].count, 1);
	CHECK_EQ_U64(s.by_type[3].count, 1);
	CHECK_EQ_U64(s.by_type[5].count, 1);
	CHECK_EQ_U64(s.by_state[HYPMEM_S2_NOPAGE].count, 10);
	CHECK(s.nr_runs >= 3);
	CHECK_EQ_U64(s.runs[0].owner, 1);
	CHECK_EQ_U64(s.runs[0].end - s.runs[0].start, 2 * 4096);
	CHECK_EQ_U64(s.runs[1].owner, 2);
	CHECK_EQ_U64(s.runs[1].vm_handle, 0x1001);
	CHECK_EQ_U64(s.runs[1].gfn, 0x42);
	CHECK_EQ_U64(s.runs[1].end - s.runs[1].start, 2 * 4096);
	CHECK_EQ_U64(s.runs[2].type, 1);
	{
		char b[16];

		CHECK(!strcmp(hypmem_s2_type_name(&s, 1, b), "locked"));
		CHECK(!strcmp(hypmem_s2_type_name(&s, 2, b), "host_donation"));
		CHECK(!strcmp(hypmem_s2_type_name(&s, 9, b), "type9"));
	}
	hypmem_findings_deinit(&f);
	hypmem_stage2_deinit(&s);
	hypmem_source_destroy(src);
}

TEST_MAIN
