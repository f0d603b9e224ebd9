// SPDX-License-Identifier: GPL-2.0-only
/*
 * hypmem-top's batch output (top.c's model): a text screen like top -b,
 * or one JSON object per line.
 */
#include <inttypes.h>
#include <string.h>

#include <json-c/json.h>

#include "hypmem/render.h"

static void bar(char *buf, size_t width, double frac)
{
	size_t n = frac <= 0 ? 0 : frac >= 1 ? width : (size_t)(frac * (double)width + 0.5);

	memset(buf, '|', n);
	memset(buf + n, ' ', width - n);
	buf[width] = '\0';
}

void hypmem_top_text(FILE *out, const struct hypmem_top_model *m, const char *target, bool per_cpu)
{
	double span = m->last_ts > m->first_ts ? (double)(m->last_ts - m->first_ts) / 1e9 : 0;
	char b[41];

	fprintf(out, "hypmem-top - %s, up %.3f s (trace clock %.3f s), %u CPU(s)\n", target, span,
		(double)m->last_ts / 1e9, m->nr_cpus);
	fprintf(out,
		"Events: %" PRIu64 " total, %.0f/s, %" PRIu64 " in %.2f s; lost: %" PRIu64
		" total, %" PRIu64 " now\n",
		m->events_total, m->elapsed > 0 ? (double)m->events_interval / m->elapsed : 0,
		m->events_interval, m->elapsed, m->lost_total, m->lost_interval);
	/* Only when there is damage: a sound trace keeps its screen as it was. */
	if (m->pages_bad || m->pages_torn || m->trace_findings)
		fprintf(out,
			"Damage: %" PRIu64 " bad pages, %" PRIu64 " torn pages, %zu trace findings "
			"(since start)\n",
			m->pages_bad, m->pages_torn, m->trace_findings);
	if (m->filter) {
		char d[256];

		hypmem_trace_filter_describe(m->filter, d, sizeof(d));
		fprintf(out, "Filter: %s\n", d);
	}
	for (size_t i = 0; i < m->nr_pools; i++) {
		const struct hypmem_pool *p = &m->pools[i];
		double used = p->nr_pages ? 1.0 - (double)p->free_pages / (double)p->nr_pages : 0;

		bar(b, 30, used);
		fprintf(out, "Pool %-14s [%s] %5.1f%% used, %" PRIu64 "/%" PRIu64 " pages free\n",
			p->name, b, used * 100, p->free_pages, p->nr_pages);
	}
	if (!m->nr_pools)
		for (size_t i = 0; i < m->nr_event_pools; i++)
			fprintf(out,
				"Pool %-14s net %+" PRId64 " pages since start (%" PRIu64
				" allocs, %" PRIu64 " frees, from events)\n",
				m->event_pools[i].name, m->event_pools[i].net_pages,
				m->event_pools[i].allocs, m->event_pools[i].frees);
	fprintf(out, "\n%-20s %12s %10s %12s", "EVENT", "RATE/s", "INTERVAL", "TOTAL");
	if (per_cpu)
		for (unsigned int c = 0; c < m->nr_cpus; c++) {
			char hdr[24]; /* per-CPU columns count the interval */

			if (!hypmem_top_cpu_shown(m, c))
				continue;
			snprintf(hdr, sizeof(hdr), "CPU%u/INT", c);
			fprintf(out, " %9s", hdr);
		}
	fprintf(out, "\n");
	for (size_t i = 0; i < m->nr_rows; i++) {
		const struct hypmem_top_row *r = &m->rows[i];

		if (r->filtered)
			continue;
		fprintf(out, "%-20s %12.0f %10" PRIu64 " %12" PRIu64, r->name, r->rate, r->interval,
			r->total);
		if (per_cpu)
			for (unsigned int c = 0; c < m->nr_cpus; c++)
				if (hypmem_top_cpu_shown(m, c))
					fprintf(out, " %9" PRIu64, r->per_cpu[c]);
		fprintf(out, "\n");
	}
	for (size_t i = 0; i < m->nr_pools; i++) {
		const struct hypmem_pool *p = &m->pools[i];

		fprintf(out, "\nFree blocks %-12s", p->name);
		for (unsigned int o = 0; o < p->nr_orders && o < HYPMEM_MAX_ORDERS; o++)
			fprintf(out, " o%u:%" PRIu64, o, p->free_blocks_by_order[o]);
	}
	if (m->nr_pools)
		fprintf(out, "\n");
}

/* {events: [patterns, comma lists split], cpus: [CPU numbers]}, each when it filters. */
static struct json_object *json_filter(const struct hypmem_trace_filter *f)
{
	struct json_object *o = json_object_new_object(), *a;

	if (!o)
		return NULL;
	if (f->nr_patterns && (a = json_object_new_array())) {
		for (size_t i = 0; i < f->nr_patterns; i++)
			json_object_array_add(a, json_object_new_string(f->patterns[i]));
		json_object_object_add(o, "events", a);
	}
	if (f->has_cpus && (a = json_object_new_array())) {
		for (unsigned int c = 0; c < 64; c++)
			if (f->cpus >> c & 1)
				json_object_array_add(a, json_object_new_uint64(c));
		json_object_object_add(o, "cpus", a);
	}
	return o;
}

void hypmem_top_json_line(FILE *out, const struct hypmem_top_model *m, const char *target)
{
	struct json_object *o = json_object_new_object(), *ev, *pools;

	if (!o)
		return;
	json_object_object_add(o, "target", json_object_new_string(target));
	json_object_object_add(o, "update", json_object_new_uint64(m->updates));
	json_object_object_add(o, "ts", json_object_new_uint64(m->last_ts));
	json_object_object_add(o, "interval_s", json_object_new_double(m->elapsed));
	json_object_object_add(o, "events_total", json_object_new_uint64(m->events_total));
	json_object_object_add(o, "events_interval", json_object_new_uint64(m->events_interval));
	json_object_object_add(o, "lost_total", json_object_new_uint64(m->lost_total));
	json_object_object_add(o, "pages_bad", json_object_new_uint64(m->pages_bad));
	json_object_object_add(o, "pages_torn", json_object_new_uint64(m->pages_torn));
	json_object_object_add(o, "trace_findings", json_object_new_uint64(m->trace_findings));
	ev = json_object_new_object();
	for (size_t i = 0; ev && i < m->nr_rows; i++) {
		struct json_object *r, *pc;

		if (m->rows[i].filtered)
			continue;
		r = json_object_new_object();
		pc = json_object_new_array();
		json_object_object_add(r, "total", json_object_new_uint64(m->rows[i].total));
		json_object_object_add(r, "interval", json_object_new_uint64(m->rows[i].interval));
		json_object_object_add(r, "rate", json_object_new_double(m->rows[i].rate));
		for (unsigned int c = 0; pc && c < m->nr_cpus; c++)
			json_object_array_add(pc, json_object_new_uint64(m->rows[i].per_cpu[c]));
		json_object_object_add(r, "per_cpu", pc);
		json_object_object_add(ev, m->rows[i].name, r);
	}
	json_object_object_add(o, "events", ev);
	pools = json_object_new_array();
	for (size_t i = 0; pools && i < m->nr_pools; i++) {
		struct json_object *p = json_object_new_object();

		json_object_object_add(p, "name", json_object_new_string(m->pools[i].name));
		json_object_object_add(p, "nr_pages", json_object_new_uint64(m->pools[i].nr_pages));
		json_object_object_add(p, "free_pages",
				       json_object_new_uint64(m->pools[i].free_pages));
		json_object_array_add(pools, p);
	}
	json_object_object_add(o, "pools", pools);
	if (m->filter)
		json_object_object_add(o, "filter", json_filter(m->filter));
	fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}
