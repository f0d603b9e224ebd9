/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reports: the decoded state as JSON (schema in man 5 hypmem-json) and as
 * text tables.  The JSON builders return json-c objects the caller owns
 * (json_object_put()); the text printers write to a FILE.
 *
 * Schema version 1: keys are never renamed or retyped; additions are
 * backward compatible.  Addresses are "0x..." strings, counts are numbers.
 */
#ifndef HYPMEM_REPORT_H
#define HYPMEM_REPORT_H

#include <stdio.h>

#include "hypmem/decode.h"
#include "hypmem/heap.h"
#include "hypmem/stage2.h"
#include "hypmem/vms.h"

#define HYPMEM_JSON_SCHEMA 1

struct json_object;

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

/** hypmem_json_report() - The whole report as a JSON object. NULL on ENOMEM. */
struct json_object *hypmem_json_report(struct hypmem_target *t, const struct hypmem_report *r);

/** hypmem_json_target(), _pools(), _vmemmap(), _findings(): sections. */
struct json_object *hypmem_json_target(struct hypmem_target *t);
struct json_object *hypmem_json_hyp(struct hypmem_target *t);
struct json_object *hypmem_json_pools(const struct hypmem_pool *pools, size_t nr);
struct json_object *hypmem_json_vmemmap(const struct hypmem_vmemmap_summary *s);
struct json_object *hypmem_json_findings(const struct hypmem_findings *f);
struct json_object *hypmem_json_page(const struct hypmem_page *p);

/**
 * hypmem_json_print() - Print @obj pretty, with a newline, and drop it.
 *
 * Return: 0, or -1 if @obj is NULL (out of memory) or writing failed.
 */
int hypmem_json_print(FILE *out, struct json_object *obj);

/* Text output. */
void hypmem_text_summary(FILE *out, struct hypmem_target *t, const struct hypmem_report *r);
void hypmem_text_pools(FILE *out, const struct hypmem_pool *pools, size_t nr);
void hypmem_text_findings(FILE *out, const struct hypmem_findings *f, size_t max);
void hypmem_text_page_header(FILE *out);
void hypmem_text_page(FILE *out, const struct hypmem_page *p);

/** hypmem_dwarf_struct_json() - @type's members as JSON; NULL on error. */
struct json_object *hypmem_dwarf_struct_json(struct hypmem_dwarf *dw,
					     const struct hypmem_type *type);

/** hypmem_hex() - Format "0x%lx" into @buf (at least 19 bytes). */
const char *hypmem_hex(char *buf, uint64_t v);

#endif /* HYPMEM_REPORT_H */
