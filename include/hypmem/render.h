/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The render layer: the only part of the library that writes text, JSON or
 * SVG.  The decoders (report.h, heap.h, stage2.h, vms.h, query.h, cost.h,
 * top.h, dwarf.h) fill result structs and findings and never print; the
 * functions here turn those results into what the commands show.
 *
 * JSON builders return json-c objects the caller owns (json_object_put(),
 * or hypmem_json_print() which drops them); text and SVG writers write to a
 * FILE.  The JSON schema is man 5 hypmem-json, version HYPMEM_JSON_SCHEMA:
 * keys are never renamed or retyped; additions are backward compatible.
 * Addresses are "0x..." strings, counts are numbers.
 */
#ifndef HYPMEM_RENDER_H
#define HYPMEM_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hypmem/cost.h"
#include "hypmem/decode.h"
#include "hypmem/dwarf.h"
#include "hypmem/events.h"
#include "hypmem/heap.h"
#include "hypmem/query.h"
#include "hypmem/report.h"
#include "hypmem/stage2.h"
#include "hypmem/top.h"
#include "hypmem/trace.h"
#include "hypmem/trace_filter.h"
#include "hypmem/vm_ranges.h"
#include "hypmem/vms.h"

#define HYPMEM_JSON_SCHEMA 1

struct json_object;

/* --- errors (render_report.c) --- */

/**
 * hypmem_error_fprint() - Print "prog: message" and a newline to @file.
 * @file: where to print.
 * @prog: prefix, may be NULL.
 * @err: the error, not NULL.
 */
void hypmem_error_fprint(FILE *file, const char *prog, const struct hypmem_error *err);

/* --- the one-shot report, pools, vmemmap, findings (render_report.c) --- */

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

/**
 * hypmem_json_envelope() - What every JSON document opens with: "schema",
 * then (with a target) "target" and "hyp".  NULL on ENOMEM.
 */
struct json_object *hypmem_json_envelope(struct hypmem_target *t);
/**
 * hypmem_json_document() - A hypmem-dump document: the envelope, @key with
 * @section (taken over, even on failure), then "findings".  NULL on ENOMEM.
 */
struct json_object *hypmem_json_document(struct hypmem_target *t, const char *key,
					 struct json_object *section);

/* Text output. */
void hypmem_text_summary(FILE *out, struct hypmem_target *t, const struct hypmem_report *r);
void hypmem_text_pools(FILE *out, const struct hypmem_pool *pools, size_t nr);
/* hypmem-dump pools: each pool's struct, range and free blocks per order. */
void hypmem_text_pools_detail(FILE *out, const struct hypmem_pool *pools, size_t nr);
void hypmem_text_findings(FILE *out, const struct hypmem_findings *f, size_t max);
void hypmem_text_page_header(FILE *out);
void hypmem_text_page(FILE *out, const struct hypmem_page *p);

/** hypmem_dwarf_struct_json() - @type's members as JSON; NULL on error. */
struct json_object *hypmem_dwarf_struct_json(struct hypmem_dwarf *dw,
					     const struct hypmem_type *type);

/* --- struct layouts, pahole-style and JSON (render_layout.c) --- */

/**
 * hypmem_dwarf_print_struct() - Print a struct or union pahole-style: one
 * line per member with its offset and size (bitfields as byte:bit, LSB
 * numbering), holes, and a size summary.
 * @dw: the handle.
 * @type: STRUCT or UNION.
 * @out: where to print.
 */
void hypmem_dwarf_print_struct(struct hypmem_dwarf *dw, const struct hypmem_type *type, FILE *out);

/* --- hyp heaps (render_heap.c) --- */

/** hypmem_json_heaps() - The "heap" array; chunks and holes when decoded. NULL on ENOMEM. */
struct json_object *hypmem_json_heaps(const struct hypmem_heap *heaps, size_t nr);
/** hypmem_text_heap_summary() - One line per heap, for hypmem-stat. */
void hypmem_text_heap_summary(FILE *out, const struct hypmem_heap *heaps, size_t nr);
/** hypmem_text_heap() - A heap's header and one line per chunk, holes in place. */
void hypmem_text_heap(FILE *out, const struct hypmem_heap *h);

/* --- stage-2 and hyp stage-1: runs, histograms, SVG map (render_stage2.c) --- */

/** hypmem_json_stage2() - The "stage2" (or "hyp_stage1") JSON object; NULL on ENOMEM. */
struct json_object *hypmem_json_stage2(const struct hypmem_stage2 *s);

/** hypmem_text_stage2_line() - hypmem-stat's one-line summary. */
void hypmem_text_stage2_line(FILE *out, const struct hypmem_stage2 *s);

/** hypmem_text_stage2() - Every run, then the histograms. */
void hypmem_text_stage2(FILE *out, const struct hypmem_stage2 *s);

/**
 * hypmem_svg_stage2() - A memory map of the RAM ranges in @info: bands of
 * address space coloured by owner, shaded by block size, shared pages
 * hatched, coalescing candidates outlined, with a legend.  Needs the runs
 * (HYPMEM_S2_KEEP_RUNS).
 *
 * Return: NULL, or HYPMEM_ERROR_OS when writing fails.
 */
struct hypmem_error *hypmem_svg_stage2(FILE *out, const struct hypmem_stage2 *s,
				       const struct hypmem_target_info *info);

/* What the map can show beyond the stage-2 itself; every field optional. */
struct hypmem_svg_extra {
	const struct hypmem_vm_mems *vms; /* memory coloured per VM (vm_ranges.h) */
	const struct hypmem_svg_mark *marks;
	size_t nr_marks;
};

/**
 * hypmem_svg_stage2_extra() - hypmem_svg_stage2() with guest memory
 * coloured per VM (with a legend entry each) and @extra's ranges outlined.
 * Every rectangle has a <title> (range, size, owner, state) for a hover
 * tooltip; a single page is drawn at least SVG_MIN_W pixels wide.
 */
struct hypmem_error *hypmem_svg_stage2_extra(FILE *out, const struct hypmem_stage2 *s,
					     const struct hypmem_target_info *info,
					     const struct hypmem_svg_extra *extra);

/* --- VMs (render_vms.c) --- */

/** hypmem_json_vms() - The "vms" JSON array; NULL on ENOMEM. */
struct json_object *hypmem_json_vms(const struct hypmem_vms *v);
/** hypmem_text_vms() - One line per VM. */
void hypmem_text_vms(FILE *out, const struct hypmem_vms *v);

/* --- page queries (render_query.c) --- */

/** hypmem_json_page_query() - One query as JSON; NULL on ENOMEM. */
struct json_object *hypmem_json_page_query(struct hypmem_query *q,
					   const struct hypmem_page_query *r);
/** hypmem_text_page_query() - One query, a few lines. */
void hypmem_text_page_query(FILE *out, struct hypmem_query *q, const struct hypmem_page_query *r);

/* --- metadata cost (render_cost.c) --- */

struct json_object *hypmem_json_cost(const struct hypmem_cost *c);
void hypmem_text_cost(FILE *out, const struct hypmem_cost *c);

/* --- hypmem-top batch output (render_top.c) --- */

/** hypmem_top_text() - One batch-mode screen, like top -b. */
void hypmem_top_text(FILE *out, const struct hypmem_top_model *m, const char *target, bool per_cpu);

/** hypmem_top_json_line() - One JSON object on one line (batch --json). */
void hypmem_top_json_line(FILE *out, const struct hypmem_top_model *m, const char *target);

/* ===================================================================
 * Trace records and reader counters (render_trace.c): text in trace-cmd
 * report style, JSON as hypmem-json(5) describes.  The readers (trace.h),
 * the filter (trace_filter.h) and the file writers (tracedat.h, the tracefs
 * export) leave formatting to these.
 * =================================================================== */

/* --- text --- */

#define HYPMEM_TRACE_TEXTBUF_SIZE (64 * 1024)

/*
 * trace-cmd report-style text (the lines hypmem_trace_text() in tracedat.h
 * prints, byte for byte) formatted by hand into one buffer and written with
 * one fwrite() per buffer.
 */
struct hypmem_trace_textbuf {
	FILE *out;
	size_t len;
	bool failed; /* an fwrite() came short */
	/*
	 * If set (init clears it): a "pool" field whose value it names is
	 * printed as pool=NAME instead of its hex value.
	 */
	struct hypmem_trace *names;
	char buf[HYPMEM_TRACE_TEXTBUF_SIZE];
};

/** hypmem_trace_textbuf_init() - Start buffering lines for @out. */
void hypmem_trace_textbuf_init(struct hypmem_trace_textbuf *tb, FILE *out);

/** hypmem_trace_textbuf_add() - Append the line(s) of @rec. */
void hypmem_trace_textbuf_add(struct hypmem_trace_textbuf *tb,
			      const struct hypmem_event_formats *formats,
			      const struct hypmem_trace_rec *rec);

/**
 * hypmem_trace_textbuf_flush() - Write what is buffered to tb->out (not
 * fflush()ed).  Return: false if a write ever failed.
 */
bool hypmem_trace_textbuf_flush(struct hypmem_trace_textbuf *tb);

/**
 * hypmem_trace_text() - One record as trace-cmd report prints it:
 * "<comm>-<pid> [CPU] SECONDS.USECS: EVENT: FIELDS" (microseconds rounded, pid
 * -1 as trace-cmd shows events without one); a lost record as
 * "CPU:N [LOST n EVENTS]".  Remote events have no pid: "<...>-0".
 */
void hypmem_trace_text(FILE *out, const struct hypmem_event_formats *formats,
		       const struct hypmem_trace_rec *rec);

/**
 * hypmem_json_trace_rec() - {"cpu", "ts" (ns), "event", "id", "fields": {...}}
 * or {"cpu", "ts", "lost"} (lost: null when the count is unknown).
 * Return: a new object, NULL on ENOMEM.
 */
struct json_object *hypmem_json_trace_rec(const struct hypmem_event_formats *formats,
					  const struct hypmem_trace_rec *rec);

/* --- counters --- */

/**
 * hypmem_json_trace_cpus() - The "cpus" array of hypmem-dump trace --json:
 * per CPU {cpu, read, lost, pages_read, pages_bad, and from a meta page
 * entries, overrun, pages_lost, pages_touched, nr_pages, consumed}.
 */
struct json_object *hypmem_json_trace_cpus(const struct hypmem_trace *tr);

/** hypmem_json_trace_filtered() - {events, lost_records, lost_events} left out. */
struct json_object *hypmem_json_trace_filtered(const struct hypmem_trace_filter *f);

/**
 * hypmem_text_trace_stats() - One "cpu N: read .. lost .." line per CPU,
 * then, if @f filters anything, what it left out.
 */
void hypmem_text_trace_stats(FILE *out, const struct hypmem_trace *tr,
			     const struct hypmem_trace_filter *f);

/* === end of trace writers === */

#endif /* HYPMEM_RENDER_H */
