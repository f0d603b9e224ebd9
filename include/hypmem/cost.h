/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What pKVM's metadata costs on this target (in the spirit of the series
 * that shrank struct hyp_page to 4 bytes, Linux 5.15: derive, don't
 * store): bytes of the hyp vmemmap, the pools, the page tables
 * (hyp stage-1, host stage-2, guest stage-2s) and the heap's chunk headers,
 * each per GiB of the RAM the hypervisor tracks; what the other struct
 * hyp_page layouts (32, 8 and 4 bytes) would cost on the same RAM; and the
 * struct hyp_page members this kernel stores that could be derived.
 */
#ifndef HYPMEM_COST_H
#define HYPMEM_COST_H

#include <stdio.h>

#include "hypmem/report.h"

#define HYPMEM_COST_MAX_DERIVABLE 8

struct hypmem_cost_item {
	const char *name; /* "vmemmap", "pools", "hyp_stage1", "host_stage2", ... */
	uint64_t bytes;
	uint64_t count; /* entries, pools, table pages, chunks */
};

struct hypmem_cost_derivable {
	char field[32];	 /* a struct hyp_page member */
	uint64_t bits;	 /* its bits per entry */
	const char *how; /* where the value can be found instead */
};

enum {
	HYPMEM_COST_VMEMMAP,
	HYPMEM_COST_POOLS,
	HYPMEM_COST_HYP_STAGE1,
	HYPMEM_COST_HOST_STAGE2,
	HYPMEM_COST_GUEST_STAGE2,
	HYPMEM_COST_HEAP,
	HYPMEM_COST_NR
};

struct hypmem_cost {
	uint64_t ram_bytes; /* hyp_memory[] */
	uint64_t page_size;
	uint64_t entry_size; /* sizeof(struct hyp_page) */
	struct hypmem_cost_item items[HYPMEM_COST_NR];
	uint64_t total;
	/* The layouts' vmemmap per GiB on this granule: 32, 8, 4 bytes per page. */
	uint64_t layout_sizes[3];
	uint64_t layout_per_gib[3];
	struct hypmem_cost_derivable derivable[HYPMEM_COST_MAX_DERIVABLE];
	size_t nr_derivable;
};

/**
 * hypmem_cost_compute() - Fill @ret from a report and a few more decodes
 * (the hyp stage-1 and the guest stage-2s' table counts, sizes from DWARF).
 *
 * Return: NULL, or an error that stopped decoding.
 */
struct hypmem_error *hypmem_cost_compute(struct hypmem_target *t, const struct hypmem_report *r,
					 struct hypmem_cost *ret);

/* Bytes per GiB of the target's RAM. */
uint64_t hypmem_cost_per_gib(const struct hypmem_cost *c, uint64_t bytes);

#endif /* HYPMEM_COST_H */
