/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Trace filters: which records of a trace reader's stream a caller keeps,
 * by event name (shell globs, as trace-cmd's -e takes them), by CPU and by
 * a window of trace time.  The filter only decides and counts; reading,
 * accounting and findings stay with the reader (a filtered event still
 * counts as read), and printing stays with the layer above.
 *
 * Lost-event records are never dropped for their event name: they pass
 * when their CPU and time pass, and those that do not are counted apart,
 * so that a caller can say how many gaps its window left out.
 */
#ifndef HYPMEM_TRACE_FILTER_H
#define HYPMEM_TRACE_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hypmem/error.h"
#include "hypmem/events.h"
#include "hypmem/trace.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A point in trace time as the user wrote it: value in units of unit ns. */
struct hypmem_trace_time {
	uint64_t value, unit;
};

/*
 * Caller's storage: zero it, fill it with the functions below, bind it to
 * the reader's formats, then match.
 */
struct hypmem_trace_filter {
	char **patterns; /* event name globs, owned */
	size_t nr_patterns;
	uint64_t cpus; /* bit per CPU, when has_cpus */
	bool has_cpus;
	bool has_since, has_until;
	struct hypmem_trace_time since, until;
	bool *id_ok; /* after bind: per event id < nr_ids, owned */
	uint32_t nr_ids;
	/* What match() left out. */
	uint64_t events_out;	  /* events */
	uint64_t lost_out;	  /* lost-event records */
	uint64_t lost_events_out; /* the events those records count (known counts) */
};

/**
 * hypmem_trace_filter_events() - Keep only events named like one of @list:
 * names or shell globs (fnmatch), separated by commas; may be given again.
 * Return: NULL, or HYPMEM_ERROR_INVALID_ARGUMENT for an empty name.
 */
struct hypmem_error *hypmem_trace_filter_events(struct hypmem_trace_filter *f, const char *list);

/**
 * hypmem_trace_filter_cpus() - Keep only CPUs in @list ("0,2-3"); may be
 * given again (the sets add up).
 * Return: NULL, or HYPMEM_ERROR_INVALID_ARGUMENT naming what is wrong.
 */
struct hypmem_error *hypmem_trace_filter_cpus(struct hypmem_trace_filter *f, const char *list);

/**
 * hypmem_trace_filter_window() - Keep only records whose time, printed with
 * the precision of the bound, lies within [@since, @until] (either NULL:
 * open).  Bounds are seconds with up to nine decimals ("2.170313"), as
 * trace-cmd report and hypmem-dump trace print them: --since 2.170313
 * keeps the event printed as 2.170313.
 * Return: NULL, or HYPMEM_ERROR_INVALID_ARGUMENT.
 */
struct hypmem_error *hypmem_trace_filter_window(struct hypmem_trace_filter *f, const char *since,
						const char *until);

/** hypmem_trace_filter_active() - Whether @f leaves anything out at all. */
bool hypmem_trace_filter_active(const struct hypmem_trace_filter *f);

/**
 * hypmem_trace_filter_describe() - What @f keeps by event and CPU, in
 * words for a screen: "events hyp_*,hyp_exit; cpus 0,2-3" (the patterns as
 * given, the CPUs as ranges); "" when it keeps every event and CPU.  The
 * time window is not told.
 * Return: the length the whole text needs, as snprintf() counts; @buf holds
 * at most @len - 1 bytes of it.
 */
size_t hypmem_trace_filter_describe(const struct hypmem_trace_filter *f, char *buf, size_t len);

/**
 * hypmem_trace_filter_bind() - Resolve the name patterns against @formats.
 * Return: NULL, or HYPMEM_ERROR_LOOKUP for a pattern that matches no event
 * (the message lists the events there are).
 */
struct hypmem_error *hypmem_trace_filter_bind(struct hypmem_trace_filter *f,
					      const struct hypmem_event_formats *formats);

/** hypmem_trace_filter_match() - Whether to keep @rec; counts what it drops. */
bool hypmem_trace_filter_match(struct hypmem_trace_filter *f, const struct hypmem_trace_rec *rec);

/** hypmem_trace_filter_deinit() - Free what @f owns (not @f). */
void hypmem_trace_filter_deinit(struct hypmem_trace_filter *f);

#ifdef __cplusplus
}
#endif

#endif /* HYPMEM_TRACE_FILTER_H */
