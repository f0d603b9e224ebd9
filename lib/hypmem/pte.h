/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * arm64 translation-table descriptors, 4K granule: what the hyp stage-1
 * translation (target.c) and the page-table walker (stage2.c) both need.
 * These are architecture facts (Arm ARM, VMSAv8-64), not kernel layouts,
 * so they are constants here rather than DWARF lookups.
 */
#ifndef HYPMEM_PTE_H
#define HYPMEM_PTE_H

#include <stdbool.h>
#include <stdint.h>

#define PTE_VALID     0x1ULL
#define PTE_TYPE      0x2ULL		    /* table (levels 0-2) or page (level 3) */
#define PTE_ADDR_MASK 0x0000fffffffff000ULL /* OA[47:12] */
#define PTE_ADDR_LPA2 0x0003fffffffff000ULL /* FEAT_LPA2: OA[49:12]; OA[51:50] in bits 9:8 */

/* The output address of a table or leaf descriptor. */
static inline uint64_t pte_oa(uint64_t pte, bool lpa2)
{
	if (!lpa2)
		return pte & PTE_ADDR_MASK;
	return (pte & PTE_ADDR_LPA2) | ((pte >> 8) & 3) << 50;
}

/* Bytes one entry maps at @level: 39, 30, 21, 12 bits for levels 0-3 (48 at -1). */
static inline unsigned int granule_shift(int level)
{
	return (unsigned int)(12 + 9 * (3 - level));
}

#endif /* HYPMEM_PTE_H */
