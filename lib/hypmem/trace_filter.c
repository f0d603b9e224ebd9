// SPDX-License-Identifier: GPL-2.0-only
/*
 * Trace filters (see include/hypmem/trace_filter.h).
 */
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypmem/trace_filter.h"

static struct hypmem_error *bad(const char *what, const char *text)
{
	return hypmem_error_create(HYPMEM_ERROR_INVALID_ARGUMENT, "%s '%s'", what, text);
}

struct hypmem_error *hypmem_trace_filter_events(struct hypmem_trace_filter *f, const char *list)
{
	const char *p = list;

	for (;;) {
		size_t n = strcspn(p, ",");
		char **grown, *pat;

		if (!n)
			return bad("empty event name in", list);
		grown = realloc(f->patterns, (f->nr_patterns + 1) * sizeof(*grown));
		if (!grown)
			return &hypmem_enomem;
		f->patterns = grown;
		if (!(pat = strndup(p, n)))
			return &hypmem_enomem;
		f->patterns[f->nr_patterns++] = pat;
		if (!p[n])
			return NULL;
		p += n + 1;
	}
}

/* A decimal number of at most 4 digits (CPU numbers). */
static bool cpu_number(const char **p, unsigned int *v)
{
	unsigned int n = 0, digits = 0;

	while (**p >= '0' && **p <= '9' && digits < 5) {
		n = n * 10 + (unsigned int)(**p - '0');
		(*p)++;
		digits++;
	}
	*v = n;
	return digits && digits < 5;
}

struct hypmem_error *hypmem_trace_filter_cpus(struct hypmem_trace_filter *f, const char *list)
{
	const char *p = list;

	for (;;) {
		unsigned int lo, hi;

		if (!cpu_number(&p, &lo))
			return bad("CPU list (like 0,2-3) expected, not", list);
		hi = lo;
		if (*p == '-' && (p++, !cpu_number(&p, &hi)))
			return bad("CPU list (like 0,2-3) expected, not", list);
		if (hi < lo)
			return bad("CPU range backwards in", list);
		if (hi >= HYPMEM_TRACE_MAX_CPUS)
			return hypmem_error_create(HYPMEM_ERROR_INVALID_ARGUMENT,
						   "CPU %u in '%s': at most %u CPUs are read", hi,
						   list, HYPMEM_TRACE_MAX_CPUS);
		for (unsigned int c = lo; c <= hi; c++)
			f->cpus |= 1ULL << c;
		f->has_cpus = true;
		if (!*p)
			return NULL;
		if (*p++ != ',')
			return bad("CPU list (like 0,2-3) expected, not", list);
	}
}

/* "S[.F]" with at most 9 decimals, seconds up to what fits in ns. */
static bool parse_time(const char *s, struct hypmem_trace_time *t)
{
	uint64_t sec = 0, frac = 0, unit = 1000000000;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9') {
		if (sec > (UINT64_MAX / 1000000000 - 9) / 10)
			return false;
		sec = sec * 10 + (uint64_t)(*p++ - '0');
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (unit == 1)
				return false;
			frac = frac * 10 + (uint64_t)(*p++ - '0');
			unit /= 10;
		}
	}
	if (*p)
		return false;
	t->unit = unit;
	t->value = sec * (1000000000 / unit) + frac;
	return true;
}

struct hypmem_error *hypmem_trace_filter_window(struct hypmem_trace_filter *f, const char *since,
						const char *until)
{
	if (since) {
		if (!parse_time(since, &f->since))
			return bad("time in seconds (like 2.170313) expected, not", since);
		f->has_since = true;
	}
	if (until) {
		if (!parse_time(until, &f->until))
			return bad("time in seconds (like 2.170313) expected, not", until);
		f->has_until = true;
	}
	return NULL;
}

bool hypmem_trace_filter_active(const struct hypmem_trace_filter *f)
{
	return f->nr_patterns || f->has_cpus || f->has_since || f->has_until;
}

/* Append to @buf as snprintf() would, keeping count past the end. */
static void put(char *buf, size_t len, size_t *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void put(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*at < len ? buf + *at : NULL, *at < len ? len - *at : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at += (size_t)n;
}

size_t hypmem_trace_filter_describe(const struct hypmem_trace_filter *f, char *buf, size_t len)
{
	size_t at = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < f->nr_patterns; i++)
		put(buf, len, &at, "%s%s", i ? "," : "events ", f->patterns[i]);
	if (!f->has_cpus)
		return at;
	put(buf, len, &at, "%scpus", at ? "; " : "");
	/* Runs of set bits, each as N or N-M. */
	for (unsigned int c = 0, first = 1; c < 64; c++) {
		unsigned int end = c;

		if (!(f->cpus >> c & 1))
			continue;
		while (end + 1 < 64 && f->cpus >> (end + 1) & 1)
			end++;
		if (end == c)
			put(buf, len, &at, "%s%u", first ? " " : ",", c);
		else
			put(buf, len, &at, "%s%u-%u", first ? " " : ",", c, end);
		first = 0;
		c = end;
	}
	return at;
}

struct hypmem_error *hypmem_trace_filter_bind(struct hypmem_trace_filter *f,
					      const struct hypmem_event_formats *formats)
{
	uint32_t nr_ids = 0;

	free(f->id_ok);
	f->id_ok = NULL;
	f->nr_ids = 0;
	if (!f->nr_patterns)
		return NULL;
	for (size_t i = 0; i < formats->nr; i++)
		if (formats->events[i].id < 1u << 16 && formats->events[i].id >= nr_ids)
			nr_ids = formats->events[i].id + 1;
	if (nr_ids && !(f->id_ok = calloc(nr_ids, sizeof(*f->id_ok))))
		return &hypmem_enomem;
	f->nr_ids = nr_ids;
	for (size_t p = 0; p < f->nr_patterns; p++) {
		bool any = false;

		for (size_t i = 0; i < formats->nr; i++) {
			const struct hypmem_event_format *ev = &formats->events[i];

			if (ev->id < nr_ids && !fnmatch(f->patterns[p], ev->name, 0)) {
				f->id_ok[ev->id] = true;
				any = true;
			}
		}
		if (!any) {
			char names[512] = "";
			size_t len = 0;

			for (size_t i = 0; i < formats->nr && len < sizeof(names); i++)
				len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
							i ? ", " : "", formats->events[i].name);
			return hypmem_error_create(HYPMEM_ERROR_LOOKUP,
						   "no event matches '%s' (events: %s)",
						   f->patterns[p], formats->nr ? names : "none");
		}
	}
	return NULL;
}

/* The time as printed with @t's precision (rounded), against @t. */
static int cmp_time(uint64_t ts, const struct hypmem_trace_time *t)
{
	/* Half up, as the text rounds nanoseconds to microseconds. */
	uint64_t printed = ts / t->unit + (t->unit > 1 && ts % t->unit * 2 >= t->unit);

	return printed < t->value ? -1 : printed > t->value;
}

bool hypmem_trace_filter_match(struct hypmem_trace_filter *f, const struct hypmem_trace_rec *rec)
{
	bool keep = true;

	if (f->has_cpus && (rec->cpu >= 64 || !(f->cpus >> rec->cpu & 1)))
		keep = false;
	else if (f->has_since && cmp_time(rec->ts, &f->since) < 0)
		keep = false;
	else if (f->has_until && cmp_time(rec->ts, &f->until) > 0)
		keep = false;
	else if (rec->kind == HYPMEM_TRACE_EVENT && f->nr_patterns)
		keep = rec->id < f->nr_ids && f->id_ok[rec->id];
	if (keep)
		return true;
	if (rec->kind == HYPMEM_TRACE_LOST) {
		f->lost_out++;
		if (rec->lost != HYPMEM_TRACE_LOST_UNKNOWN)
			f->lost_events_out += rec->lost;
	} else {
		f->events_out++;
	}
	return false;
}

void hypmem_trace_filter_deinit(struct hypmem_trace_filter *f)
{
	for (size_t i = 0; i < f->nr_patterns; i++)
		free(f->patterns[i]);
	free(f->patterns);
	free(f->id_ok);
	f->patterns = NULL;
	f->id_ok = NULL;
	f->nr_patterns = 0;
	f->nr_ids = 0;
}
