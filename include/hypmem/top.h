/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The model behind hypmem-top: event counts and rates per event type and
 * CPU, lost events, and pool snapshots, refreshed one interval at a time.
 * No curses here (cmd/hypmem-top.c draws it; hypmem/render.h has its batch
 * text and JSON), and no global state: the model is the context.
 *
 * Pools come from snapshots of the target's memory when it can be read (a
 * dump, live shared RAM); on a device, where only the trace crosses over,
 * the pool pane is reconstructed from hyp_page_alloc/hyp_page_free events
 * (pages taken minus pages returned since the view started, per pool).
 *
 * A filter (trace_filter.h: -e, --cpu) narrows the counts: events it leaves
 * out are in no row, no per-CPU count and no total; lost events count when
 * their CPU is kept (a gap has no event name).  Pools are never filtered:
 * they are the pools' state, whatever CPU or event changed it.
 */
#ifndef HYPMEM_TOP_H
#define HYPMEM_TOP_H

#include <stdio.h>

#include "hypmem/decode.h"
#include "hypmem/trace.h"
#include "hypmem/trace_filter.h"

#define HYPMEM_TOP_MAX_POOLS 16

struct hypmem_top_row {
	uint32_t id;
	const char *name;  /* borrowed from the formats */
	uint64_t total;	   /* since start */
	uint64_t interval; /* in the last interval */
	double rate;	   /* per second over the last interval */
	uint64_t *per_cpu; /* interval counts, nr_cpus entries (owned by the model) */
	int pool_kind;	   /* 1: hyp_page_alloc, 2: hyp_page_free, else 0 */
	const struct hypmem_event_field *f_pool, *f_order; /* of pool events */
	bool filtered; /* left out by the model's filter: never counted or shown */
};

/* A pool as events describe it (device view). */
struct hypmem_top_event_pool {
	uint64_t key;	   /* the event's pool field (hyp VA) */
	char name[64];	   /* symbol name when the target resolves it */
	int64_t net_pages; /* allocated minus freed since start */
	uint64_t allocs, frees;
	uint64_t by_order[HYPMEM_MAX_ORDERS]; /* allocations per order */
	uint64_t seen_ts;		      /* first event of a pool new in a poll */
	unsigned int seen_cpu;
};

struct hypmem_top_model {
	struct hypmem_trace *tr;	    /* borrowed */
	struct hypmem_target *t;	    /* borrowed, may be NULL */
	struct hypmem_trace_filter *filter; /* borrowed, NULL: keep everything */
	unsigned int nr_cpus;
	struct hypmem_top_row *rows; /* one per known event id, owned */
	size_t nr_rows;
	uint64_t events_total, events_interval;
	uint64_t lost_total, lost_interval;
	uint64_t first_ts, last_ts; /* trace clock, ns */
	double elapsed;		    /* seconds covered by the last interval */
	uint64_t updates;
	struct hypmem_pool *pools; /* snapshot, owned; NULL without memory access */
	size_t nr_pools;
	struct hypmem_top_event_pool event_pools[HYPMEM_TOP_MAX_POOLS];
	size_t nr_event_pools;
	size_t findings; /* findings in the last snapshot */
	/* What the reader threw away, since the start (all CPUs): pages whose
	 * header or events made no sense, pages rewritten while they were
	 * copied (live memory), and the trace's findings (bad pages, lines). */
	uint64_t pages_bad, pages_torn;
	size_t trace_findings;
	/* hypmem_trace_poll_counts() state (owned) */
	uint64_t *counts; /* [cpu * nr_ids + id] */
	bool *deliver;	  /* pool events, by id */
	uint32_t nr_ids;  /* 0: ids too sparse, use hypmem_trace_poll() */
	size_t nr_event_pools_old;
};

/**
 * hypmem_top_model_init() - Set up over a trace reader and, optionally, the
 * target whose memory can be snapshotted.
 * Return: NULL or &hypmem_enomem.
 */
struct hypmem_error *hypmem_top_model_init(struct hypmem_top_model *m, struct hypmem_trace *tr,
					   struct hypmem_target *t);
void hypmem_top_model_deinit(struct hypmem_top_model *m);

/**
 * hypmem_top_model_filter() - Count only what @f keeps from the next update
 * on.  @f is bound to the trace's formats here and borrowed until deinit;
 * a filter that keeps everything is not kept.
 * Return: NULL, or hypmem_trace_filter_bind()'s error (a pattern that
 * matches no event).
 */
struct hypmem_error *hypmem_top_model_filter(struct hypmem_top_model *m,
					     struct hypmem_trace_filter *f);

/** hypmem_top_cpu_shown() - Whether @cpu is counted (not left out by --cpu). */
bool hypmem_top_cpu_shown(const struct hypmem_top_model *m, unsigned int cpu);

/**
 * hypmem_top_model_update() - Read what is new and refresh rates over
 * @elapsed wall-clock seconds (0: use the trace clock's span).
 * Return: NULL, or the error that stopped reading.
 */
struct hypmem_error *hypmem_top_model_update(struct hypmem_top_model *m, double elapsed);

#endif /* HYPMEM_TOP_H */
