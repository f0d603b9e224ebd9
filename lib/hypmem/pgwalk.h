/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The arm64 translation-table walker, inside the library.  One walker
 * serves every table hypmem reads: the host stage-2 and the guest
 * stage-2s (stage2.c, vms.c), the hyp stage-1 as runs (stage2.c), the hyp
 * heap's page census (heap.c) and single hyp VA lookups (target.c).  The
 * public entry points, hypmem_pgtable_walk() and the geometry, are
 * declared in hypmem/stage2.h; this header adds what only the library's
 * own visitors use.
 *
 * What the walker owns: the granule (4K, 16K, 64K), 52-bit output
 * addresses (FEAT_LPA2 with 4K/16K, FEAT_LPA with 64K; pte.h), the start
 * level and concatenated stage-2 roots, and the checks on every table
 * pointer (inside the allowed ranges, in the dump, never reached twice,
 * at most max_tables pages) and on every leaf (no blocks at level 0 or
 * level 3, none at level 1 without 52-bit descriptors on 16K/64K,
 * block addresses aligned to their size).  What a descriptor means to
 * pKVM (owners, page states, references) is the visitors' business.
 */
#ifndef HYPMEM_PGWALK_H
#define HYPMEM_PGWALK_H

#include "hypmem/stage2.h"
#include "pte.h"

/*
 * A visit only the library asks for: the table page of a descriptor is not
 * (wholly) in the dump.  The input addresses [addr, addr + (nr <<
 * level_shift(level))) are behind it; child_pa is the page.  For a root
 * page, level is the start level and nr the entries of one page.  The
 * finding is reported as for any walk.
 */
#define PGWALK_UNREADABLE 8U

/* The granule of @g as a shift (0 in page_shift means 4K). */
static inline unsigned int geom_shift(const struct hypmem_pgtable_geometry *g)
{
	return g->page_shift ? g->page_shift : 12;
}

/*
 * Why the valid leaf @pte at @level is a reserved encoding, or NULL when
 * it maps a page or block.  @lpa2: 52-bit descriptors; @page_shift the
 * granule.
 */
const char *pgwalk_reserved_leaf(uint64_t pte, int level, bool lpa2, unsigned int page_shift);

/* Where a single-address lookup ended. */
enum pgwalk_end {
	PGWALK_MAPPED,	   /* a page or block: pa and size are set */
	PGWALK_INVALID,	   /* an invalid descriptor in a table that is in the dump */
	PGWALK_UNREACHABLE, /* the table page at table_pa is not in the dump */
	PGWALK_RESERVED,   /* a valid leaf that maps nothing; why says what */
};

struct pgwalk_lookup {
	enum pgwalk_end end;
	int level;	   /* the level of the last descriptor read */
	uint64_t pte;	   /* that descriptor (0 when UNREACHABLE) */
	uint64_t table_pa; /* the table page it was read from */
	uint64_t pa;	   /* MAPPED: the output address of @addr */
	uint64_t size;	   /* MAPPED: bytes the leaf maps */
	const char *why;   /* RESERVED */
};

/*
 * pgwalk_lookup() - Translate one input address by reading one descriptor
 * per level (no table page is read whole, so a lookup costs a few 8-byte
 * reads).
 * @g: the table: page_shift, lpa2, ia_bits, start_level and pgd_pa are used;
 *     a root larger than one page at the start level (ia_bits above what
 *     one page resolves) is indexed as one array, as concatenated roots are.
 * @addr: below 2^ia_bits (the caller says what lies above).
 *
 * Return: NULL with *ret filled, or HYPMEM_ERROR_INVALID_ARGUMENT for a
 * geometry no walk can have.
 */
struct hypmem_error *pgwalk_lookup(struct hypmem_source *src,
				   const struct hypmem_pgtable_geometry *g, uint64_t addr,
				   struct pgwalk_lookup *ret);

#endif /* HYPMEM_PGWALK_H */
