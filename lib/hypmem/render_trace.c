// SPDX-License-Identifier: GPL-2.0-only
/*
 * Trace records and reader counters as text and JSON (see
 * include/hypmem/render.h, its trace section).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hypmem/render.h"

/* --- text output --- */

void hypmem_trace_textbuf_init(struct hypmem_trace_textbuf *tb, FILE *out)
{
	tb->out = out;
	tb->len = 0;
	tb->failed = false;
	tb->names = NULL;
}

bool hypmem_trace_textbuf_flush(struct hypmem_trace_textbuf *tb)
{
	if (tb->len && fwrite(tb->buf, 1, tb->len, tb->out) != tb->len)
		tb->failed = true;
	tb->len = 0;
	return !tb->failed;
}

static char *put_str(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

/* @v in decimal, at least @width digits (zero-padded) or @width wide (spaces). */
static char *put_dec(char *p, uint64_t v, int width, char pad)
{
	char tmp[24], *q = tmp + sizeof(tmp);
	size_t n;

	do {
		*--q = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	n = (size_t)(tmp + sizeof(tmp) - q);
	for (; (size_t)width > n; width--)
		*p++ = pad;
	return put_str(p, q, n);
}

/* Worst case of one line: the header, an 80-byte name and 1023 bytes of text. */
#define TEXT_LINE_MAX 1200

/*
 * In the @len printed bytes at @p (room for 1023), "pool=<value>" becomes
 * "pool=NAME" when the reader knows what the value points at.  The value
 * is printed as the event's format says: in hex ("0x...") or, as formats
 * made from DWARF print it, in decimal.
 */
static int name_pool(struct hypmem_trace *tr, const struct hypmem_event_format *ev,
		     const struct hypmem_trace_rec *rec, char *p, int len)
{
	char text[32];
	const char *name, *at = NULL;
	size_t hl = 0, nl;
	uint64_t v;

	for (size_t i = 0; i < ev->nr_fields; i++) {
		const struct hypmem_event_field *fl = &ev->fields[i];

		if (fl->is_common || strcmp(fl->name, "pool") ||
		    !hypmem_event_field_get(fl, rec->payload, rec->len, &v) ||
		    !(name = hypmem_trace_value_name(tr, "pool", v)))
			continue;
		for (int dec = 0; dec < 2 && !at; dec++) {
			hl = (size_t)snprintf(text, sizeof(text),
					      dec ? "pool=%" PRIu64 : "pool=0x%" PRIx64, v);
			at = memmem(p, (size_t)len, text, hl);
			/* A longer number that merely starts with this one. */
			if (at && (size_t)(at - p) + hl < (size_t)len &&
			    isxdigit((unsigned char)at[hl]))
				at = NULL;
		}
		nl = strlen(name);
		if (!at || (size_t)len - hl + 5 + nl > 1023)
			return len;
		memmove((char *)at + 5 + nl, at + hl, (size_t)len - (size_t)(at - p) - hl);
		memcpy((char *)at + 5, name, nl);
		return (int)((size_t)len - hl + 5 + nl);
	}
	return len;
}

void hypmem_trace_textbuf_add(struct hypmem_trace_textbuf *tb,
			      const struct hypmem_event_formats *formats,
			      const struct hypmem_trace_rec *rec)
{
	static const char head[] = "           <...>--1    [";
	const struct hypmem_event_format *ev;
	char *p;
	size_t n;
	uint64_t us;
	int len;

	if (sizeof(tb->buf) - tb->len < TEXT_LINE_MAX)
		hypmem_trace_textbuf_flush(tb);
	p = tb->buf + tb->len;
	if (rec->kind == HYPMEM_TRACE_LOST) {
		p = put_str(p, "CPU:", 4);
		p = put_dec(p, rec->cpu, 0, ' ');
		if (rec->lost == HYPMEM_TRACE_LOST_UNKNOWN) {
			p = put_str(p, " [EVENTS DROPPED]\n", 18);
		} else {
			p = put_str(p, " [LOST ", 7);
			p = put_dec(p, rec->lost, 0, ' ');
			p = put_str(p, " EVENTS]\n", 9);
		}
		tb->len = (size_t)(p - tb->buf);
		return;
	}
	ev = hypmem_event_formats_find(formats, rec->id);
	/* trace-cmd rounds to the microsecond; remote events have no pid (-1). */
	us = (rec->ts + 500) / 1000;
	p = put_str(p, head, sizeof(head) - 1);
	p = put_dec(p, rec->cpu, 3, '0');
	p = put_str(p, "] ", 2);
	p = put_dec(p, us / 1000000, 5, ' ');
	*p++ = '.';
	p = put_dec(p, us % 1000000, 6, '0');
	p = put_str(p, ": ", 2);
	/* "name:" in 80 bytes, left-justified in 22 columns. */
	n = ev ? strlen(ev->name) : 7;
	if (n > 78)
		n = 78;
	p = put_str(p, ev ? ev->name : "unknown", n);
	*p++ = ':';
	for (n++; n < 22; n++)
		*p++ = ' ';
	if (rec->text) {
		len = rec->text_len > 1023 ? 1023 : (int)rec->text_len;
		p = put_str(p, rec->text, (size_t)len);
	} else {
		len = hypmem_event_print(ev, rec->payload, rec->len, p, 1024);
		len = len < 0 ? 0 : len > 1023 ? 1023 : len;
		if (tb->names)
			len = name_pool(tb->names, ev, rec, p, len);
		p += len;
	}
	*p++ = '\n';
	tb->len = (size_t)(p - tb->buf);
}

/* --- one record --- */

void hypmem_trace_text(FILE *out, const struct hypmem_event_formats *formats,
		       const struct hypmem_trace_rec *rec)
{
	/* One formatter for all text: the buffered one above. */
	struct hypmem_trace_textbuf *tb = malloc(sizeof(*tb));

	if (!tb)
		return;
	hypmem_trace_textbuf_init(tb, out);
	hypmem_trace_textbuf_add(tb, formats, rec);
	hypmem_trace_textbuf_flush(tb);
	free(tb);
}

struct json_object *hypmem_json_trace_rec(const struct hypmem_event_formats *formats,
					  const struct hypmem_trace_rec *rec)
{
	struct json_object *o = json_object_new_object(), *fields;
	const struct hypmem_event_format *ev;

	if (!o)
		return NULL;
	json_object_object_add(o, "cpu", json_object_new_int64(rec->cpu));
	json_object_object_add(o, "ts", json_object_new_uint64(rec->ts));
	if (rec->kind == HYPMEM_TRACE_LOST) {
		json_object_object_add(o, "lost",
				       rec->lost == HYPMEM_TRACE_LOST_UNKNOWN
					   ? NULL
					   : json_object_new_uint64(rec->lost));
		return o;
	}
	ev = hypmem_event_formats_find(formats, rec->id);
	json_object_object_add(o, "event", json_object_new_string(ev ? ev->name : "unknown"));
	json_object_object_add(o, "id", json_object_new_int64(rec->id));
	fields = json_object_new_object();
	for (size_t i = 0; ev && fields && i < ev->nr_fields; i++) {
		const struct hypmem_event_field *fl = &ev->fields[i];
		uint64_t v;

		if (fl->is_common)
			continue;
		if (!hypmem_event_field_get(fl, rec->payload, rec->len, &v))
			json_object_object_add(fields, fl->name, NULL);
		else if (fl->is_signed)
			json_object_object_add(fields, fl->name, json_object_new_int64((int64_t)v));
		else
			json_object_object_add(fields, fl->name, json_object_new_uint64(v));
	}
	json_object_object_add(o, "fields", fields);
	if (rec->text)
		json_object_object_add(o, "print",
				       json_object_new_string_len(rec->text, (int)rec->text_len));
	return o;
}

/* --- the reader's counters --- */

struct json_object *hypmem_json_trace_cpus(const struct hypmem_trace *tr)
{
	struct json_object *arr = json_object_new_array();

	for (unsigned int cpu = 0; arr && cpu < hypmem_trace_nr_cpus(tr); cpu++) {
		const struct hypmem_trace_cpu_stats *st = hypmem_trace_stats(tr, cpu);
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "cpu", json_object_new_int64(cpu));
		if (st->has_meta) {
			json_object_object_add(o, "entries", json_object_new_uint64(st->entries));
			json_object_object_add(o, "overrun", json_object_new_uint64(st->overrun));
			json_object_object_add(o, "pages_lost",
					       json_object_new_uint64(st->pages_lost));
			json_object_object_add(o, "pages_touched",
					       json_object_new_uint64(st->pages_touched));
			json_object_object_add(o, "nr_pages", json_object_new_uint64(st->nr_pages));
		}
		json_object_object_add(o, "read", json_object_new_uint64(st->read));
		json_object_object_add(o, "lost", json_object_new_uint64(st->lost));
		if (st->has_meta)
			json_object_object_add(o, "consumed", json_object_new_uint64(st->consumed));
		json_object_object_add(o, "pages_read", json_object_new_uint64(st->pages_read));
		json_object_object_add(o, "pages_bad", json_object_new_uint64(st->pages_bad));
		json_object_array_add(arr, o);
	}
	return arr;
}

struct json_object *hypmem_json_trace_filtered(const struct hypmem_trace_filter *f)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "events", json_object_new_uint64(f->events_out));
	json_object_object_add(o, "lost_records", json_object_new_uint64(f->lost_out));
	json_object_object_add(o, "lost_events", json_object_new_uint64(f->lost_events_out));
	return o;
}

void hypmem_text_trace_stats(FILE *out, const struct hypmem_trace *tr,
			     const struct hypmem_trace_filter *f)
{
	for (unsigned int cpu = 0; cpu < hypmem_trace_nr_cpus(tr); cpu++) {
		const struct hypmem_trace_cpu_stats *st = hypmem_trace_stats(tr, cpu);

		fprintf(out, "cpu %u: read %" PRIu64 " lost %" PRIu64, cpu, st->read, st->lost);
		if (st->has_meta)
			fprintf(out,
				" entries %" PRIu64 " overrun %" PRIu64 " consumed %" PRIu64
				" pages_lost %" PRIu64 " pages_touched %" PRIu64,
				st->entries, st->overrun, st->consumed, st->pages_lost,
				st->pages_touched);
		fprintf(out, " pages_read %" PRIu64 " pages_bad %" PRIu64 "\n", st->pages_read,
			st->pages_bad);
	}
	if (f && hypmem_trace_filter_active(f))
		fprintf(out,
			"filtered out: %" PRIu64 " events, %" PRIu64 " lost-event records (%" PRIu64
			" events lost)\n",
			f->events_out, f->lost_out, f->lost_events_out);
}
