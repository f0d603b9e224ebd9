// SPDX-License-Identifier: GPL-2.0-only
/*
 * hypmem-dump trace: the hypervisor's events from a dump, live RAM or a
 * tracefs directory, as text or JSON, optionally written to trace.dat or
 * exported as a tracefs tree.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "dump.h"
#include "cli.h"
#include "hypmem/render.h"
#include "hypmem/trace.h"
#include "hypmem/tracedat.h"

struct trace_print {
	const struct dump_args *a;
	const struct hypmem_event_formats *formats;
	struct hypmem_trace_filter *filter;
	struct json_object *events;
	struct hypmem_tracedat *td;
	struct hypmem_trace_textbuf *tb;
	struct hypmem_error *err;
};

/* One JSON object on one line (--json-lines). */
static bool print_json_line(struct json_object *o)
{
	const char *s = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE)
			  : NULL;
	bool ok = s && printf("%s\n", s) >= 0;

	json_object_put(o);
	return ok;
}

static bool print_trace_rec(const struct hypmem_trace_rec *rec, void *arg)
{
	struct trace_print *tp = arg;

	if (!hypmem_trace_filter_match(tp->filter, rec))
		return true;
	if (tp->td && (tp->err = hypmem_tracedat_add(tp->td, rec)))
		return false;
	if (tp->a->json_lines) {
		if (!print_json_line(hypmem_json_trace_rec(tp->formats, rec))) {
			tp->err = hypmem_error_os(errno ? errno : EIO, "write");
			return false;
		}
	} else if (tp->a->json) {
		struct json_object *o = hypmem_json_trace_rec(tp->formats, rec);

		if (!o || json_object_array_add(tp->events, o)) {
			tp->err = &hypmem_enomem;
			return false;
		}
	} else if (!tp->a->stats || !tp->a->output) {
		hypmem_trace_textbuf_add(tp->tb, tp->formats, rec);
	}
	return true;
}

/* A failed write, told with the user's path rather than our temporary one. */
static struct hypmem_error *about_output(struct hypmem_error *err, const char *path)
{
	struct hypmem_error *e;

	if (err->code != HYPMEM_ERROR_OS)
		return err;
	e = hypmem_error_create(HYPMEM_ERROR_OS, "cannot write %s: %s", path,
				strerror(err->errnum));
	hypmem_error_destroy(err);
	return e;
}

int cmd_trace(struct hypmem_target *t, const struct dump_args *a)
{
	/* Ours from here: bound, counted and freed below. */
	struct hypmem_trace_filter filter = a->filter;
	struct trace_print tp = {.a = a, .filter = &filter};
	bool filtering = hypmem_trace_filter_active(&filter);
	struct hypmem_trace *tr;
	struct hypmem_error *err;
	struct hypmem_findings *f;
	int ret = HYPMEM_EXIT_OK;

	err = t ? hypmem_trace_open_target(t, &tr) : hypmem_trace_open_tracefs(a->tracefs, &tr);
	if (err) {
		hypmem_trace_filter_deinit(&filter);
		return hypmem_cli_error("hypmem-dump", err);
	}
	tp.formats = hypmem_trace_formats(tr);
	if ((err = hypmem_trace_filter_bind(&filter, tp.formats)) ||
	    (err = hypmem_trace_filter_check_cpus(&filter, hypmem_trace_nr_cpus(tr)))) {
		hypmem_trace_filter_deinit(&filter);
		hypmem_trace_destroy(tr);
		return hypmem_cli_error("hypmem-dump", err);
	}
	if (a->export_dir)
		hypmem_trace_keep_pages(tr, true);
	if (a->output)
		err = hypmem_tracedat_create(hypmem_trace_nr_cpus(tr), &tp.td);
	if (!err && a->json && !(tp.events = json_object_new_array()))
		err = &hypmem_enomem;
	if (!err && !a->json && !a->json_lines && !(a->stats && a->output))
		printf("cpus=%u\n", hypmem_trace_nr_cpus(tr));
	if (!err && !(tp.tb = malloc(sizeof(*tp.tb))))
		err = &hypmem_enomem;
	if (!err) {
		hypmem_trace_textbuf_init(tp.tb, stdout);
		tp.tb->names = t ? tr : NULL; /* pool=NAME where memory tells */
		err = hypmem_trace_poll(tr, print_trace_rec, &tp);
		hypmem_trace_textbuf_flush(tp.tb);
	}
	free(tp.tb);
	if (!err)
		err = tp.err;
	if (!err && t)
		err = hypmem_trace_check_accounting(tr);
	if (!err && a->output && (err = hypmem_tracedat_write(tp.td, tp.formats, a->output)))
		err = about_output(err, a->output);
	if (!err && a->export_dir &&
	    (err = hypmem_trace_export_tracefs(tr, a->export_dir, a->export_shape)))
		err = about_output(err, a->export_dir);
	if (err) {
		json_object_put(tp.events);
		hypmem_tracedat_destroy(tp.td);
		hypmem_trace_destroy(tr);
		hypmem_trace_filter_deinit(&filter);
		return hypmem_cli_error("hypmem-dump", err);
	}
	f = hypmem_trace_findings(tr);
	if (a->json || a->json_lines) {
		struct json_object *o = json_object_new_object(), *trace = json_object_new_object();

		json_object_object_add(o, "schema", json_object_new_int(HYPMEM_JSON_SCHEMA));
		json_object_object_add(trace, "cpus", hypmem_json_trace_cpus(tr));
		if (a->json)
			json_object_object_add(trace, "events", tp.events);
		if (filtering)
			json_object_object_add(trace, "filtered",
					       hypmem_json_trace_filtered(&filter));
		json_object_object_add(o, "trace", trace);
		json_object_object_add(o, "findings", hypmem_json_findings(f));
		if (a->json ? hypmem_json_print(stdout, o) : !print_json_line(o))
			ret = HYPMEM_EXIT_USAGE;
	} else {
		if (a->stats)
			hypmem_text_trace_stats(stdout, tr, &filter);
		if (f->total) {
			printf("\n");
			hypmem_text_findings(stdout, f, SIZE_MAX);
		}
	}
	if (ret == HYPMEM_EXIT_OK && f->total)
		ret = HYPMEM_EXIT_FINDINGS;
	hypmem_tracedat_destroy(tp.td);
	hypmem_trace_destroy(tr);
	hypmem_trace_filter_deinit(&filter);
	return ret;
}
