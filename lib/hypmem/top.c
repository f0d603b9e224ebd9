// SPDX-License-Identifier: GPL-2.0-only
/*
 * hypmem-top's model (see include/hypmem/top.h).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hypmem/top.h"

#define MAX_COUNTED_ID 4096

struct hypmem_error *hypmem_top_model_init(struct hypmem_top_model *m, struct hypmem_trace *tr,
					   struct hypmem_target *t)
{
	const struct hypmem_event_formats *f = hypmem_trace_formats(tr);

	memset(m, 0, sizeof(*m));
	m->tr = tr;
	m->t = t;
	m->nr_cpus = hypmem_trace_nr_cpus(tr);
	m->rows = calloc(f->nr ? f->nr : 1, sizeof(*m->rows));
	if (!m->rows)
		return &hypmem_enomem;
	m->nr_rows = f->nr;
	for (size_t i = 0; i < f->nr; i++) {
		m->rows[i].id = f->events[i].id;
		m->rows[i].name = f->events[i].name;
		m->rows[i].pool_kind = !strcmp(f->events[i].name, "hyp_page_alloc")  ? 1
				       : !strcmp(f->events[i].name, "hyp_page_free") ? 2
										     : 0;
		m->rows[i].f_pool = hypmem_event_field_find(&f->events[i], "pool");
		m->rows[i].f_order = hypmem_event_field_find(&f->events[i], "order");
		m->rows[i].per_cpu = calloc(m->nr_cpus ? m->nr_cpus : 1, sizeof(uint64_t));
		if (!m->rows[i].per_cpu) {
			hypmem_top_model_deinit(m);
			return &hypmem_enomem;
		}
		if (m->rows[i].id + 1 > m->nr_ids)
			m->nr_ids = m->rows[i].id + 1;
	}
	/* Count by id in a table, unless ids are too sparse for one. */
	if (m->nr_ids > MAX_COUNTED_ID)
		m->nr_ids = 0;
	if (m->nr_ids) {
		m->counts =
		    calloc((size_t)m->nr_ids * (m->nr_cpus ? m->nr_cpus : 1), sizeof(*m->counts));
		m->deliver = calloc(m->nr_ids, sizeof(*m->deliver));
		if (!m->counts || !m->deliver) {
			hypmem_top_model_deinit(m);
			return &hypmem_enomem;
		}
		for (size_t i = 0; i < m->nr_rows; i++)
			m->deliver[m->rows[i].id] = m->rows[i].pool_kind != 0;
	}
	return NULL;
}

void hypmem_top_model_deinit(struct hypmem_top_model *m)
{
	for (size_t i = 0; m->rows && i < m->nr_rows; i++)
		free(m->rows[i].per_cpu);
	free(m->rows);
	free(m->pools);
	free(m->counts);
	free(m->deliver);
	memset(m, 0, sizeof(*m));
}

struct hypmem_error *hypmem_top_model_filter(struct hypmem_top_model *m,
					     struct hypmem_trace_filter *f)
{
	struct hypmem_error *err;

	m->filter = NULL;
	for (size_t i = 0; i < m->nr_rows; i++)
		m->rows[i].filtered = false;
	if (!f || !hypmem_trace_filter_active(f))
		return NULL;
	if ((err = hypmem_trace_filter_bind(f, hypmem_trace_formats(m->tr))))
		return err;
	m->filter = f;
	for (size_t i = 0; f->nr_patterns && i < m->nr_rows; i++) {
		uint32_t id = m->rows[i].id;

		m->rows[i].filtered = !(id < f->nr_ids && f->id_ok[id]);
	}
	return NULL;
}

bool hypmem_top_cpu_shown(const struct hypmem_top_model *m, unsigned int cpu)
{
	const struct hypmem_trace_filter *f = m->filter;

	return !f || !f->has_cpus || (cpu < 64 && (f->cpus >> cpu & 1));
}

static struct hypmem_top_row *row_of(struct hypmem_top_model *m, uint32_t id)
{
	size_t lo = 0, hi = m->nr_rows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->rows[mid].id == id)
			return &m->rows[mid];
		if (m->rows[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void pool_event(struct hypmem_top_model *m, const struct hypmem_top_row *row,
		       const struct hypmem_trace_rec *rec, bool alloc)
{
	const struct hypmem_event_field *fp = row->f_pool, *fo = row->f_order;
	uint64_t key, order;
	size_t i;

	if (!fp || !fo || !hypmem_event_field_get(fp, rec->payload, rec->len, &key) ||
	    !hypmem_event_field_get(fo, rec->payload, rec->len, &order) || order >= 64)
		return;
	for (i = 0; i < m->nr_event_pools && m->event_pools[i].key != key; i++)
		;
	if (i == m->nr_event_pools) {
		if (i == HYPMEM_TOP_MAX_POOLS)
			return;
		memset(&m->event_pools[i], 0, sizeof(m->event_pools[i]));
		m->event_pools[i].key = key;
		m->event_pools[i].seen_ts = rec->ts;
		m->event_pools[i].seen_cpu = rec->cpu;
		snprintf(m->event_pools[i].name, sizeof(m->event_pools[i].name), "0x%" PRIx64, key);
		m->nr_event_pools++;
	}
	if (i >= m->nr_event_pools_old &&
	    (rec->ts < m->event_pools[i].seen_ts ||
	     (rec->ts == m->event_pools[i].seen_ts && rec->cpu < m->event_pools[i].seen_cpu))) {
		m->event_pools[i].seen_ts = rec->ts;
		m->event_pools[i].seen_cpu = rec->cpu;
	}
	if (alloc) {
		m->event_pools[i].allocs++;
		m->event_pools[i].net_pages += (int64_t)1 << order;
		if (order < HYPMEM_MAX_ORDERS)
			m->event_pools[i].by_order[order]++;
	} else {
		m->event_pools[i].frees++;
		m->event_pools[i].net_pages -= (int64_t)1 << order;
	}
}

static bool count_rec(const struct hypmem_trace_rec *rec, void *arg)
{
	struct hypmem_top_model *m = arg;
	bool kept = !m->filter || hypmem_trace_filter_match(m->filter, rec);
	struct hypmem_top_row *row;

	if (rec->kind == HYPMEM_TRACE_LOST) {
		if (kept && rec->lost != HYPMEM_TRACE_LOST_UNKNOWN)
			m->lost_interval += rec->lost;
		return true;
	}
	/* The trace clock is the source's: every event read moves it. */
	if (!m->first_ts)
		m->first_ts = rec->ts;
	if (rec->ts > m->last_ts)
		m->last_ts = rec->ts;
	if (kept)
		m->events_interval++;
	row = row_of(m, rec->id);
	if (!row)
		return true;
	if (kept) {
		row->interval++;
		if (rec->cpu < m->nr_cpus)
			row->per_cpu[rec->cpu]++;
	}
	/* Rows are the formats, one per id: the fields are looked up once. */
	if (row->pool_kind)
		pool_event(m, row, rec, row->pool_kind == 1);
	return true;
}

/* A pool event, from hypmem_trace_poll_counts(). */
static bool pool_rec(const struct hypmem_trace_rec *rec, void *arg)
{
	struct hypmem_top_model *m = arg;
	struct hypmem_top_row *row = row_of(m, rec->id);

	if (row && row->pool_kind)
		pool_event(m, row, rec, row->pool_kind == 1);
	return true;
}

/*
 * Count this poll's events without the merge.  Pools new in this poll are
 * then put in the order of their first event, as the merged stream has them.
 */
static struct hypmem_error *count_poll(struct hypmem_top_model *m)
{
	struct hypmem_trace_counts k = {
	    .counts = m->counts, .nr_ids = m->nr_ids, .deliver = m->deliver};
	struct hypmem_error *err;
	size_t old = m->nr_event_pools;
	uint64_t kept = 0;

	memset(m->counts, 0, (size_t)m->nr_ids * m->nr_cpus * sizeof(*m->counts));
	m->nr_event_pools_old = old;
	err = hypmem_trace_poll_counts(m->tr, &k, pool_rec, m);
	if (err)
		return err;
	for (size_t i = old + 1; i < m->nr_event_pools; i++) {
		struct hypmem_top_event_pool p = m->event_pools[i];
		size_t j = i;

		for (; j > old && (m->event_pools[j - 1].seen_ts > p.seen_ts ||
				   (m->event_pools[j - 1].seen_ts == p.seen_ts &&
				    m->event_pools[j - 1].seen_cpu > p.seen_cpu));
		     j--)
			m->event_pools[j] = m->event_pools[j - 1];
		m->event_pools[j] = p;
	}
	if (k.events) {
		if (!m->first_ts)
			m->first_ts = k.first_ts;
		if (k.last_ts > m->last_ts)
			m->last_ts = k.last_ts;
	}
	m->lost_interval += k.lost;
	for (size_t i = 0; i < m->nr_rows; i++) {
		struct hypmem_top_row *row = &m->rows[i];

		if (row->filtered)
			continue;
		for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++) {
			uint64_t n = m->counts[(size_t)cpu * m->nr_ids + row->id];

			row->interval += n;
			row->per_cpu[cpu] += n;
			kept += n;
		}
	}
	/* A filter here is by name only (counts_fit()): the kept rows are all. */
	m->events_interval += m->filter ? kept : k.events;
	return NULL;
}

/*
 * Whether this poll can count without the merge: ids dense enough for the
 * table, and a filter, if any, by event name alone.  The table has events
 * per CPU and id but lost events and unknown ids only for all CPUs, so a
 * CPU (or time) filter needs the records.
 */
static bool counts_fit(const struct hypmem_top_model *m)
{
	const struct hypmem_trace_filter *f = m->filter;

	return m->nr_ids && (!f || (!f->has_cpus && !f->has_since && !f->has_until));
}

/* Name event pools after the decoded pools whose struct lives at their VA. */
static void name_event_pools(struct hypmem_top_model *m)
{
	for (size_t i = 0; m->t && i < m->nr_event_pools; i++)
		for (size_t j = 0; j < m->nr_pools; j++)
			if (hypmem_target_hyp_linear_to_pa(m->t, m->event_pools[i].key) ==
			    m->pools[j].addr)
				snprintf(m->event_pools[i].name, sizeof(m->event_pools[i].name),
					 "%s", m->pools[j].name);
}

struct hypmem_error *hypmem_top_model_update(struct hypmem_top_model *m, double elapsed)
{
	uint64_t ts0 = m->last_ts;
	struct hypmem_error *err;

	m->events_interval = 0;
	m->lost_interval = 0;
	for (size_t i = 0; i < m->nr_rows; i++) {
		m->rows[i].interval = 0;
		memset(m->rows[i].per_cpu, 0, m->nr_cpus * sizeof(uint64_t));
	}
	err = counts_fit(m) ? count_poll(m) : hypmem_trace_poll(m->tr, count_rec, m);
	if (err)
		return err;
	if (elapsed <= 0)
		elapsed = (double)(m->last_ts - (ts0 ? ts0 : m->first_ts)) / 1e9;
	m->elapsed = elapsed;
	m->pages_bad = m->pages_torn = 0;
	for (unsigned int cpu = 0; cpu < hypmem_trace_nr_cpus(m->tr); cpu++) {
		const struct hypmem_trace_cpu_stats *st = hypmem_trace_stats(m->tr, cpu);

		if (st) {
			m->pages_bad += st->pages_bad;
			m->pages_torn += st->pages_raced;
		}
	}
	m->trace_findings = hypmem_trace_findings(m->tr)->total;
	m->events_total += m->events_interval;
	m->lost_total += m->lost_interval;
	for (size_t i = 0; i < m->nr_rows; i++) {
		m->rows[i].total += m->rows[i].interval;
		m->rows[i].rate = elapsed > 0 ? (double)m->rows[i].interval / elapsed : 0;
	}
	if (m->t) {
		struct hypmem_findings *f = hypmem_target_findings(m->t);

		free(m->pools);
		m->pools = NULL;
		/* Live memory may be caught mid-update: findings are expected. */
		err = hypmem_pools_decode(m->t, &m->pools, &m->nr_pools);
		if (err) {
			hypmem_error_destroy(err);
			m->nr_pools = 0;
		}
		m->findings = f->total;
		hypmem_findings_deinit(f);
		hypmem_findings_init(f);
		name_event_pools(m);
	}
	m->updates++;
	return NULL;
}
