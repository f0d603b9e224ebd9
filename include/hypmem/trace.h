/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Trace readers: the hypervisor's per-CPU ring buffers, from wherever they
 * can be read, as one stream of records merged across CPUs by timestamp.
 *
 * Sources:
 *  - a target (hypmem_trace_open_target): a crash dump, or live RAM (a raw
 *    source over QEMU's memory-backend-file).  The buffers are found through
 *    DWARF and symbols as Linux 7.x keeps them: trace_buffer.simple_rbs, a
 *    per-CPU pointer to struct simple_rb_per_cpu (meta page, ring of
 *    simple_buffer_page walked from the link that carries the HEAD flag),
 *    and the events' record layouts from the struct remote_event_format_*
 *    types, numbered in name order (no format text lives in memory).
 *    Reading never writes to the target: each poll copies every page,
 *    re-checks its header after the copy (a page the writer recycled meanwhile
 *    is dropped), and remembers per page how far it read, so that repeated
 *    polls of live memory deliver each event once;
 *  - a tracefs directory (hypmem_trace_open_tracefs): the hypervisor's
 *    remote only, never the host's own buffers.  Mainline 7.x
 *    remotes/hypervisor/ offers text only: per_cpu/cpuN/trace_pipe lines,
 *    whose events are rebuilt from the events/hypervisor/E/format fields
 *    (integer values; the line's text is kept for printing).  Android's
 *    hyp/ offers per_cpu/cpuN/trace_pipe_raw pages that end in a 32-byte
 *    footer (events/header_page's data area stops 32 bytes short of the
 *    page); raw pages are read wherever a remote has them.  Neither kind of
 *    pipe honours O_NONBLOCK or poll(): each is read by a thread of the
 *    reader's, and a poll waits for them at most hypmem_trace_set_wait()
 *    milliseconds, so an empty CPU buffer never blocks the caller.
 *
 * Lost events: for a target, meta->entries counts every event committed, so
 * after a poll every event is either delivered or counted lost (entries -
 * delivered); a LOST record marks where in the stream the gap is.  For
 * tracefs pages, the missed-events flags and stored counts of each page.
 * Malformed pages become findings (hypmem_trace_findings()) and reading
 * goes on.
 *
 * Not thread-safe; one reader per thread.  All state is in the reader.
 */
#ifndef HYPMEM_TRACE_H
#define HYPMEM_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "hypmem/events.h"
#include "hypmem/findings.h"
#include "hypmem/target.h"

#define HYPMEM_TRACE_MAX_CPUS	  64
#define HYPMEM_TRACE_LOST_UNKNOWN UINT64_MAX

enum hypmem_trace_rec_kind {
	HYPMEM_TRACE_EVENT,
	HYPMEM_TRACE_LOST,
};

struct hypmem_trace_rec {
	enum hypmem_trace_rec_kind kind;
	uint32_t cpu;
	uint64_t ts;		/* ns; for LOST, the next event's time */
	uint32_t id;		/* EVENT: common_type */
	const uint8_t *payload; /* EVENT: borrowed until the callback returns */
	uint32_t len;
	uint64_t lost; /* LOST: count, or HYPMEM_TRACE_LOST_UNKNOWN */
	const char *text;  /* EVENT from a text pipe: the kernel's printed fields */
	uint32_t text_len; /* (not NUL-terminated; borrowed like payload) */
};

/* Per-CPU counters. */
struct hypmem_trace_cpu_stats {
	bool has_meta; /* the fields below from the meta page are valid */
	uint64_t entries, overrun, pages_lost, pages_touched, nr_pages;
	uint64_t read;	       /* events delivered */
	uint64_t lost;	       /* events counted lost */
	uint64_t lost_unknown; /* pages flagged "missed events" with no count */
	uint64_t consumed;     /* ring: read by the host's reader, since written over */
	uint64_t pages_read, pages_bad, pages_raced;
};

struct hypmem_trace;

/** Return true to go on, false to stop the poll early. */
typedef bool (*hypmem_trace_fn)(const struct hypmem_trace_rec *rec, void *arg);

/**
 * hypmem_trace_open_target() - A reader over the buffers of @t.
 * @t: the target (borrowed; must outlive the reader).
 * @ret: the reader.
 *
 * Return: NULL; HYPMEM_ERROR_LOOKUP if the image has no hypervisor tracing
 * (no trace_buffer), HYPMEM_ERROR_FORMAT for a descriptor that makes no
 * sense (too many CPUs or pages), or a read error.
 */
struct hypmem_error *hypmem_trace_open_target(struct hypmem_target *t, struct hypmem_trace **ret);

/**
 * hypmem_trace_open_tracefs() - A reader over a tracefs-shaped directory.
 * @dir: the tracing root, remotes/hypervisor, or hyp.
 * @ret: the reader.
 *
 * Return: NULL; HYPMEM_ERROR_LOOKUP naming what was looked for if @dir holds
 * no hypervisor remote (remotes/hypervisor/per_cpu/cpu0/trace_pipe_raw or
 * trace_pipe, hyp/per_cpu/cpu0/trace_pipe_raw); format text errors, or a
 * header_page whose data area is no page with or without a footer.
 */
struct hypmem_error *hypmem_trace_open_tracefs(const char *dir, struct hypmem_trace **ret);

/**
 * hypmem_trace_set_wait() - How long a tracefs poll waits for pipes that
 * have nothing yet (default 200 ms; 0: take only what has arrived).
 */
void hypmem_trace_set_wait(struct hypmem_trace *tr, int wait_ms);

/** hypmem_trace_destroy() - @tr may be NULL. */
void hypmem_trace_destroy(struct hypmem_trace *tr);

/**
 * hypmem_trace_poll() - Deliver what is new since the last poll, merged.
 * @tr: the reader.
 * @fn: called per record, in timestamp order.
 * @arg: for @fn.
 *
 * Return: NULL, or an error that stopped reading (source unreadable).
 */
struct hypmem_error *hypmem_trace_poll(struct hypmem_trace *tr, hypmem_trace_fn fn, void *arg);

/* What hypmem_trace_poll_counts() adds up (the caller zeroes it). */
struct hypmem_trace_counts {
	uint64_t *counts;    /* [cpu * nr_ids + id], caller's array, added to */
	uint32_t nr_ids;     /* events with id >= nr_ids are counted in @events only */
	const bool *deliver; /* NULL, or nr_ids flags: also pass these events to fn */
	uint64_t events;     /* events read */
	uint64_t lost;	     /* events known lost (unknown counts are in the stats) */
	uint64_t first_ts;   /* the first event's (as the merge would deliver it), 0: none */
	uint64_t last_ts;    /* the latest event's, 0: none */
};

/**
 * hypmem_trace_poll_counts() - Read what is new like hypmem_trace_poll(),
 * but only count events per CPU and id: no merge, no records.
 * @tr: the reader.
 * @k: the counts, added to.
 * @fn: if not NULL, called for the events @k->deliver selects, in each
 *      CPU's order, CPU after CPU (not merged); may stop the poll.
 * @arg: for @fn.
 *
 * Stats, lost accounting and findings are as after hypmem_trace_poll().
 * Return: NULL, or an error that stopped reading.
 */
struct hypmem_error *hypmem_trace_poll_counts(struct hypmem_trace *tr,
					      struct hypmem_trace_counts *k, hypmem_trace_fn fn,
					      void *arg);

/**
 * hypmem_trace_check_accounting() - After reading a dump (where nobody
 * consumed events): every event the meta page counts was read or
 * overwritten, so lost must equal overrun; a CPU where it does not is a
 * trace_lost_mismatch finding.  CPUs without a meta page are skipped.
 * Return: NULL, or an allocation error.
 */
struct hypmem_error *hypmem_trace_check_accounting(struct hypmem_trace *tr);

/**
 * hypmem_trace_value_name() - What an event field's value points at, by
 * name, for a reader over a target (a dump or live RAM): for a field named
 * "pool", the hyp_pool variable at that hyp VA ("hpool", "host_s2_pool"...).
 * Return: the name (valid while @tr lives), or NULL: unknown, another
 * field, or a tracefs reader (no memory to look into).
 */
const char *hypmem_trace_value_name(struct hypmem_trace *tr, const char *field, uint64_t value);

unsigned int hypmem_trace_nr_cpus(const struct hypmem_trace *tr);
const struct hypmem_trace_cpu_stats *hypmem_trace_stats(const struct hypmem_trace *tr,
							unsigned int cpu);
const struct hypmem_event_formats *hypmem_trace_formats(const struct hypmem_trace *tr);
struct hypmem_findings *hypmem_trace_findings(struct hypmem_trace *tr);

/**
 * hypmem_trace_keep_pages() - Keep a copy of every page decoded from now on,
 * for hypmem_trace_export_tracefs().
 */
void hypmem_trace_keep_pages(struct hypmem_trace *tr, bool keep);

enum hypmem_tracefs_shape {
	HYPMEM_TRACEFS_MAINLINE, /* remotes/hypervisor/ with text pipes only (7.x) */
	HYPMEM_TRACEFS_ANDROID,	 /* hyp/ with trace_pipe_raw pages + 32-byte footer */
};

/**
 * hypmem_trace_export_tracefs() - Write the kept pages as a tracefs tree
 * shaped like a kernel's.  MAINLINE: remotes/hypervisor/ with
 * per_cpu/cpuN/{trace,trace_pipe} lines as 7.x's trace_remote prints them
 * ("CPU:N [LOST n EVENTS]" before the first event after a gap), the same
 * lines merged by time in trace and trace_pipe, tracing_on, buffer_size_kb,
 * trace_clock and events/.  ANDROID: hyp/ with the events re-packed into
 * pages whose last 32 bytes are a zero footer (header_page data size 4048);
 * a CPU that lost events starts with a page carrying RB_MISSED_EVENTS and
 * the stored count.  Both write events/header_page, header_event and
 * format files whose offsets are summed without alignment, as the kernels
 * print them, and events/enable and events/SYSTEM/E/enable (all "1").
 *
 * Return: NULL, HYPMEM_ERROR_OS, or HYPMEM_ERROR_INVALID_ARGUMENT for a
 * reader over a text remote (it has no pages).
 */
struct hypmem_error *hypmem_trace_export_tracefs(struct hypmem_trace *tr, const char *dir,
						 enum hypmem_tracefs_shape shape);

#endif /* HYPMEM_TRACE_H */
