/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Trace output: records and reader counters as trace-cmd report-style text
 * and as JSON (the shapes hypmem-json(5) describes).  This is the only
 * trace code that prints or knows json-c; the readers (trace.h), the filter
 * (trace_filter.h) and the writers of files (tracedat.h, the tracefs
 * export) leave formatting to it.
 */
#ifndef HYPMEM_RENDER_TRACE_H
#define HYPMEM_RENDER_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "hypmem/events.h"
#include "hypmem/trace.h"
#include "hypmem/trace_filter.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_object;

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

#ifdef __cplusplus
}
#endif

#endif /* HYPMEM_RENDER_TRACE_H */
