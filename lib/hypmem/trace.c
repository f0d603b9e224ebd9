// SPDX-License-Identifier: GPL-2.0-only
/*
 * Trace readers: pages into pending records, the merge across CPUs by
 * timestamp, counting without the merge, and the accessors.  The sources
 * are in trace_target.c and trace_tracefs.c, the export in trace_export.c;
 * see include/hypmem/trace.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "trace_priv.h"


/* --- small helpers --- */

/* Reserve @n bytes in the arena; returns the offset, or SIZE_MAX. */
size_t trace_arena_alloc(struct hypmem_trace *tr, size_t n)
{
	size_t off = tr->arena_len;

	if (tr->arena_cap - tr->arena_len < n) {
		size_t cap = tr->arena_cap ? tr->arena_cap : 1 << 16;
		uint8_t *a;

		while (cap - tr->arena_len < n)
			cap *= 2;
		a = realloc(tr->arena, cap);
		if (!a)
			return SIZE_MAX;
		tr->arena = a;
		tr->arena_cap = cap;
	}
	tr->arena_len += n;
	return off;
}

struct hypmem_error *trace_keep_page(struct hypmem_trace *tr, struct cpu_state *c,
				      const uint8_t *page)
{
	if (!hypmem_grow((void **)&c->kept, &c->cap_kept, c->nr_kept + 1, tr->page_size))
		return &hypmem_enomem;
	memcpy(c->kept + c->nr_kept * tr->page_size, page, tr->page_size);
	c->nr_kept++;
	return NULL;
}

/* --- decoding a page into the CPU's pending records --- */


bool trace_collect_event(const struct hypmem_rb_event *ev, void *arg)
{
	struct collect *co = arg;
	struct pending_rec r = {.ts = ev->ts, .len = ev->len};

	if (co->have_lost) {
		struct pending_rec l = {.ts = ev->ts, .lost = true, .count = co->lost};

		co->have_lost = false;
		if ((co->err = push_rec(co->c, &l)))
			return false;
	}
	r.off = (size_t)(ev->payload - co->base);
	if ((co->err = push_rec(co->c, &r)))
		return false;
	co->c->st.read++;
	return true;
}

/* Decode @page (which stays put until its records are delivered). */
struct hypmem_error *trace_decode_page(struct hypmem_trace *tr, struct cpu_state *c,
					unsigned int cpu, const uint8_t *page, uint32_t from,
					uint64_t where, hypmem_rb_event_fn fn, void *arg,
					struct hypmem_error **cb_err,
					struct hypmem_findings *findings,
					struct hypmem_rb_page_info *info)
{
	enum hypmem_rb_status st;

	st = hypmem_rb_page_decode(page, tr->page_size - tr->footer, tr->long_size, from, fn, arg, info);
	if (*cb_err)
		return *cb_err;
	/* Only a callback stops a page early: the consumer had enough. */
	if (st == HYPMEM_RB_STOPPED)
		return NULL;
	c->st.pages_read++;
	if (st != HYPMEM_RB_OK) {
		c->st.pages_bad++;
		return hypmem_findings_add(findings, HYPMEM_FINDING_TRACE_PAGE_INVALID,
					   where + info->data_offset + info->bad_offset,
					   "cpu %u: trace page at 0x%" PRIx64
					   ": %s at data offset %u",
					   cpu, where, hypmem_rb_status_name(st), info->bad_offset);
	}
	return NULL;
}

/* --- the merge --- */

/* The next record of @cpu, or NULL when it has none left in this poll. */
static struct hypmem_error *peek(struct hypmem_trace *tr, unsigned int cpu,
				 struct pending_rec **ret)
{
	struct cpu_state *c = &tr->cpus[cpu];
	struct hypmem_error *err;

	*ret = NULL;
	if (c->next == c->nr_recs) {
		if (!tr->ops->more || c->done)
			return NULL;
		if ((err = tr->ops->more(tr, cpu)))
			return err;
		if (c->next == c->nr_recs)
			return NULL;
	}
	*ret = &c->recs[c->next];
	return NULL;
}

struct hypmem_error *hypmem_trace_poll(struct hypmem_trace *tr, hypmem_trace_fn fn, void *arg)
{
	struct hypmem_error *err = NULL;
	struct pending_rec *head[HYPMEM_TRACE_MAX_CPUS];
	unsigned int nr = tr->nr_cpus;

	tr->arena_len = 0;
	if (tr->ops->poll_begin)
		tr->ops->poll_begin(tr);
	for (unsigned int cpu = 0; cpu < nr; cpu++) {
		tr->cpus[cpu].nr_recs = 0;
		tr->cpus[cpu].next = 0;
		tr->cpus[cpu].done = false;
	}
	if (tr->ops->collect) {
		for (unsigned int cpu = 0; cpu < nr && !err; cpu++)
			err = tr->ops->collect(tr, cpu);
		if (err)
			return err;
	}
	for (unsigned int cpu = 0; cpu < nr && !err; cpu++)
		err = peek(tr, cpu, &head[cpu]);
	/*
	 * k-way merge over the CPUs' cursors: CPUs are few, a linear scan for
	 * the minimum is enough (ties go to the lower CPU).
	 */
	while (!err) {
		struct hypmem_trace_rec rec = {0};
		unsigned int best = UINT32_MAX;
		uint64_t best_ts = UINT64_MAX;
		struct pending_rec *r;
		struct cpu_state *c;

		for (unsigned int cpu = 0; cpu < nr; cpu++) {
			if (head[cpu] && (best == UINT32_MAX || head[cpu]->ts < best_ts)) {
				best = cpu;
				best_ts = head[cpu]->ts;
			}
		}
		if (best == UINT32_MAX)
			break;
		c = &tr->cpus[best];
		r = head[best];
		rec.cpu = best;
		rec.ts = r->ts;
		if (r->lost) {
			rec.kind = HYPMEM_TRACE_LOST;
			rec.lost = r->count;
		} else {
			rec.kind = HYPMEM_TRACE_EVENT;
			rec.payload = tr->ops->payloads(tr, c) + r->off;
			rec.len = r->len;
			rec.id = hypmem_event_id(rec.payload);
			if (r->text_len) {
				rec.text = (const char *)c->rbuf + r->text_off;
				rec.text_len = r->text_len;
			}
		}
		if (fn && !fn(&rec, arg))
			break;
		c->next++;
		if (c->next < c->nr_recs)
			head[best] = &c->recs[c->next];
		else
			err = peek(tr, best, &head[best]);
	}
	if (tr->ops->poll_end) {
		struct hypmem_error *e = tr->ops->poll_end(tr);

		if (!err)
			err = e;
	}
	return err;
}

/* --- counting without the merge --- */


bool trace_count_one(struct counter *co, uint64_t ts, const uint8_t *payload, uint32_t len)
{
	struct hypmem_trace_counts *k = co->k;
	uint32_t id = hypmem_event_id(payload);

	k->events++;
	if (ts > k->last_ts)
		k->last_ts = ts;
	if (co->first) {
		co->first = false;
		if (!k->first_ts || ts < k->first_ts)
			k->first_ts = ts;
	}
	if (id >= k->nr_ids)
		return true;
	k->counts[(size_t)co->cpu * k->nr_ids + id]++;
	if (k->deliver && k->deliver[id] && co->fn) {
		struct hypmem_trace_rec rec = {
		    .kind = HYPMEM_TRACE_EVENT,
		    .cpu = co->cpu,
		    .ts = ts,
		    .id = id,
		    .payload = payload,
		    .len = len,
		};

		if (!co->fn(&rec, co->arg)) {
			co->stop = true;
			return false;
		}
	}
	return true;
}

struct hypmem_error *hypmem_trace_poll_counts(struct hypmem_trace *tr,
					      struct hypmem_trace_counts *k, hypmem_trace_fn fn,
					      void *arg)
{
	struct hypmem_error *err = NULL;
	bool stop = false;

	tr->arena_len = 0;
	if (tr->ops->poll_begin)
		tr->ops->poll_begin(tr);
	for (unsigned int cpu = 0; cpu < tr->nr_cpus && !err && !stop; cpu++) {
		struct cpu_state *c = &tr->cpus[cpu];
		struct counter co = {
		    .k = k, .c = c, .cpu = cpu, .first = true, .fn = fn, .arg = arg};

		c->nr_recs = 0;
		c->next = 0;
		err = tr->ops->count(tr, &co);
		stop = co.stop;
	}
	if (tr->ops->poll_end) {
		struct hypmem_error *e = tr->ops->poll_end(tr);

		if (!err)
			err = e;
	}
	return err;
}

void hypmem_trace_destroy(struct hypmem_trace *tr)
{
	if (!tr)
		return;
	for (unsigned int cpu = 0; tr->cpus && cpu < tr->nr_slots; cpu++) {
		struct cpu_state *c = &tr->cpus[cpu];

		pipe_reader_destroy(c->pr);
		free(c->pay);
		free(c->page_pa);
		free(c->mem);
		free(c->bp_va);
		free(c->bp_id);
		free(c->recs);
		free(c->kept);
		free(c->rbuf);
		hypmem_findings_deinit(&c->findings);
	}
	free(tr->cpus);
	free(tr->pools);
	free(tr->arena);
	hypmem_event_formats_deinit(&tr->formats);
	hypmem_findings_deinit(&tr->findings);
	free(tr);
}

/*
 * In a dump nobody consumed events, so every event the meta page counts is
 * either in the pages or was overwritten: lost must equal overrun.
 */
struct hypmem_error *hypmem_trace_check_accounting(struct hypmem_trace *tr)
{
	for (unsigned int cpu = 0; cpu < tr->nr_cpus; cpu++) {
		const struct hypmem_trace_cpu_stats *st = &tr->cpus[cpu].st;
		struct hypmem_error *err;

		if (!st->has_meta || st->lost == st->overrun)
			continue;
		err = hypmem_findings_add(
		    &tr->findings, HYPMEM_FINDING_TRACE_LOST_MISMATCH, cpu,
		    "cpu %u: %" PRIu64 " events committed, %" PRIu64 " read, %" PRIu64
		    " overwritten: %" PRId64 " unaccounted",
		    cpu, st->entries, st->read, st->overrun, (int64_t)(st->lost - st->overrun));
		if (err)
			return err;
	}
	return NULL;
}

unsigned int hypmem_trace_nr_cpus(const struct hypmem_trace *tr)
{
	return tr->nr_cpus;
}

const struct hypmem_trace_cpu_stats *hypmem_trace_stats(const struct hypmem_trace *tr,
							unsigned int cpu)
{
	return cpu < tr->nr_cpus ? &tr->cpus[cpu].st : NULL;
}

const struct hypmem_event_formats *hypmem_trace_formats(const struct hypmem_trace *tr)
{
	return &tr->formats;
}

struct hypmem_findings *hypmem_trace_findings(struct hypmem_trace *tr)
{
	return &tr->findings;
}

void hypmem_trace_keep_pages(struct hypmem_trace *tr, bool keep)
{
	tr->keep = keep;
}

