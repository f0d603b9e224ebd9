/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * arm64 translation-table descriptors for the 4K, 16K and 64K granules,
 * for the table walker (pgwalk.c) and its visitors.  These are
 * architecture facts (Arm ARM, VMSAv8-64), not kernel layouts, so they are
 * constants here rather than DWARF lookups; the granule itself is the
 * target's page size.
 */
#ifndef HYPMEM_PTE_H
#define HYPMEM_PTE_H

#include <stdbool.h>
#include <stdint.h>

#define PTE_VALID 0x1ULL
#define PTE_TYPE  0x2ULL /* table (levels 0-2) or page (level 3) */

/*
 * The output address of a table or leaf descriptor, @page_shift 12, 14 or
 * 16.  @oa52: the 52-bit output format of 4K and 16K pages (FEAT_LPA2):
 * OA[49:page_shift] in place and OA[51:50] in bits 9:8.  64K pages keep
 * OA[47:16] in place and, with FEAT_LPA, OA[51:48] in bits 15:12.
 */
static inline uint64_t pte_oa(uint64_t pte, bool oa52, unsigned int page_shift)
{
	uint64_t low = ~((1ULL << page_shift) - 1);

	/* 64K: bits 15:12 are RES0 unless they hold OA[51:48], so always take them. */
	if (page_shift == 16)
		return (pte & 0x0000ffffffff0000ULL) | ((pte >> 12) & 0xf) << 48;
	if (!oa52)
		return pte & 0x0000ffffffffffffULL & low;
	return (pte & 0x0003ffffffffffffULL & low) | ((pte >> 8) & 3) << 50;
}

/* Index bits one table level resolves: 9, 11 or 13. */
static inline unsigned int level_bits(unsigned int page_shift)
{
	return page_shift - 3;
}

/*
 * Bytes one entry maps at @level, as a shift: with 4K pages 39, 30, 21, 12
 * for levels 0-3 (48 at -1); with 16K 47, 36, 25, 14; with 64K -, 42, 29, 16.
 */
static inline unsigned int level_shift(int level, unsigned int page_shift)
{
	return page_shift + level_bits(page_shift) * (unsigned int)(3 - level);
}

/* Is @page_shift a granule arm64 has? */
static inline bool granule_ok(unsigned int page_shift)
{
	return page_shift == 12 || page_shift == 14 || page_shift == 16;
}

#endif /* HYPMEM_PTE_H */
