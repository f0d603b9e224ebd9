/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Hypervisor initialisation (nvhe/setup.c in the kernel): divide the
 * reserved carve-out, recreate the hyp stage-1 in it, then hand the pages
 * to the pools.  The arch code runs the steps in order and switches to the
 * new table between __pkvm_init() and __pkvm_init_finalise().
 */
#ifndef EL2_SETUP_H
#define EL2_SETUP_H

#include "el2/gfp.h"
#include "el2/mm.h"

/* Where the image's sections are, at hyp VAs (arch code fills this in). */
struct hyp_image_layout {
	void *text_start, *text_end;
	void *rodata_start, *rodata_end;
	void *data_start, *data_end; /* .data and .bss */
	phys_addr_t idmap_start, idmap_end;
};

extern struct hyp_pool hpool;
extern struct hyp_pool host_s2_pool;
extern unsigned long hyp_nr_cpus;
extern phys_addr_t hyp_mem_base;
extern u64 hyp_mem_size;
/* The hyp's text, by PA: layout 8 lets the host read it (fix_host_ownership()). */
extern phys_addr_t hyp_text_phys_start, hyp_text_phys_end;

/* Pages the carve-out needs for RAM described by hyp_memory. */
unsigned long hyp_carveout_pages(void);

int __pkvm_init(phys_addr_t phys, unsigned long size, unsigned long nr_cpus, u32 hyp_va_bits,
		const struct hyp_image_layout *img);
int __pkvm_init_finalise(void);

/* mem_protect.c */
int prepare_s2_pool(void *pgt_pool_base);

#endif /* EL2_SETUP_H */
