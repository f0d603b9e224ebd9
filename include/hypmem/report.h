/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reports: what hypmem-stat shows, decoded in one call (pools, vmemmap
 * summary, heaps, stage-2 and VM totals).  This module only fills
 * struct hypmem_report; hypmem/render.h turns it into text or JSON.
 */
#ifndef HYPMEM_REPORT_H
#define HYPMEM_REPORT_H

#include "hypmem/decode.h"
#include "hypmem/heap.h"
#include "hypmem/stage2.h"
#include "hypmem/vms.h"

/* A complete one-shot report: what hypmem-stat --json prints. */
struct hypmem_report {
	struct hypmem_pool *pools;
	size_t nr_pools;
	struct hypmem_vmemmap_summary vmemmap;
	struct hypmem_heap *heaps; /* totals only (no chunk lists); none without a heap */
	size_t nr_heaps;
	char heap_note[192]; /* why there are no heaps: no heap, or a layout not decoded */
	struct hypmem_stage2 *stage2; /* totals only (no runs); owned */
	struct hypmem_vms vms;	      /* guest stage-2 totals only (no runs) */
	uint64_t nr_pages_cross_checked; /* pages the 7.x invariants covered */
};

/**
 * hypmem_report_collect() - Decode pools and the vmemmap summary.
 * @t: target.
 * @ret: filled; release with hypmem_report_deinit().
 *
 * Return: NULL or an error that stopped decoding.
 */
struct hypmem_error *hypmem_report_collect(struct hypmem_target *t, struct hypmem_report *ret);
void hypmem_report_deinit(struct hypmem_report *r);

/**
 * hypmem_heap_note() - Whether @err (from hypmem_heaps_decode()) says there
 * is no heap to show: no heap in this kernel, or a heap design not decoded.
 * Then @buf gets the sentence (the "heap_note" of man 5 hypmem-json).
 */
bool hypmem_heap_note(const struct hypmem_error *err, char *buf, size_t len);

/** hypmem_hex() - Format "0x%lx" into @buf (at least 19 bytes). */
const char *hypmem_hex(char *buf, uint64_t v);

#endif /* HYPMEM_REPORT_H */
