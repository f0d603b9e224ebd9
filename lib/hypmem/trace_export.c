// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kept pages written as a tracefs tree shaped like a kernel's
 * hypervisor remote (hypmem_trace_export_tracefs() in trace.h).
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

#include "trace_priv.h"


/* --- export --- */

static struct hypmem_error *mkdir_p(const char *path)
{
	char *p = strdup(path);

	if (!p)
		return &hypmem_enomem;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST) {
			struct hypmem_error *err = hypmem_error_os(errno, "mkdir(%s)", p);

			free(p);
			return err;
		}
		*s = '/';
	}
	if (mkdir(p, 0755) && errno != EEXIST) {
		struct hypmem_error *err = hypmem_error_os(errno, "mkdir(%s)", p);

		free(p);
		return err;
	}
	free(p);
	return NULL;
}

static struct hypmem_error *write_file(const char *dir, const char *name, const void *data,
				       size_t len)
{
	char *path = trace_path_join(dir, name);
	FILE *f;
	struct hypmem_error *err = NULL;

	if (!path)
		return &hypmem_enomem;
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len)
		err = hypmem_error_os(errno, "write(%s)", path);
	if (f && fclose(f) && !err)
		err = hypmem_error_os(errno, "close(%s)", path);
	free(path);
	return err;
}

/* --- exports shaped like a kernel's remote --- */

/* The format text as the remotes print it: offsets summed without alignment. */
static void remote_format_text(FILE *f, const struct hypmem_event_format *ev)
{
	uint32_t off = 2;

	fprintf(f, "name: %s\nID: %u\nformat:\n", ev->name, ev->id);
	fprintf(f, "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n");
	for (size_t i = 0; i < ev->nr_fields; i++) {
		const struct hypmem_event_field *fl = &ev->fields[i];

		if (fl->is_common)
			continue;
		if (fl->array_len)
			fprintf(f, "\tfield:%s %s[%u];\toffset:%u;\tsize:%u;\tsigned:%d;\n", fl->type,
				fl->name, fl->array_len, off, fl->size, fl->is_signed);
		else
			fprintf(f, "\tfield:%s %s;\toffset:%u;\tsize:%u;\tsigned:%d;\n", fl->type,
				fl->name, off, fl->size, fl->is_signed);
		off += fl->size;
	}
	fprintf(f, "\nprint fmt: %s\n", ev->print_fmt ? ev->print_fmt : "\"\"");
}

static struct hypmem_error *write_remote_events(struct hypmem_trace *tr, const char *root,
						const char *system, uint32_t data_size)
{
	char *p = NULL, *text = NULL, buf[512];
	size_t len;
	struct hypmem_error *err = NULL;
	int n;

	if (asprintf(&p, "%s/events", root) < 0)
		return &hypmem_enomem;
	if ((err = mkdir_p(p)))
		goto out;
	n = snprintf(buf, sizeof(buf),
		     "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
		     "\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
		     "\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
		     "\tfield: char data;\toffset:16;\tsize:%u;\tsigned:0;\n",
		     data_size);
	if ((err = write_file(p, "header_page", buf, (size_t)n)))
		goto out;
	n = snprintf(buf, sizeof(buf),
		     "# compressed entry header\n\ttype_len    :    5 bits\n"
		     "\ttime_delta  :   27 bits\n\tarray       :   32 bits\n\n"
		     "\tpadding     : type == 29\n\ttime_extend : type == 30\n"
		     "\ttime_stamp : type == 31\n\tdata max type_len  == 28\n");
	if ((err = write_file(p, "header_event", buf, (size_t)n)) ||
	    (err = write_file(p, "enable", "1\n", 2)))
		goto out;
	for (size_t i = 0; i < tr->formats.nr && !err; i++) {
		const struct hypmem_event_format *ev = &tr->formats.events[i];
		char *evdir;
		FILE *f;

		if (asprintf(&evdir, "%s/%s/%s", p, system, ev->name) < 0) {
			err = &hypmem_enomem;
			break;
		}
		if (!(err = mkdir_p(evdir)) && (f = open_memstream(&text, &len))) {
			remote_format_text(f, ev);
			fclose(f);
			err = write_file(evdir, "format", text, len);
			free(text);
			text = NULL;
			n = snprintf(buf, sizeof(buf), "%u\n", ev->id);
			if (!err)
				err = write_file(evdir, "id", buf, (size_t)n);
			if (!err)
				err = write_file(evdir, "enable", "1\n", 2);
		} else if (!err) {
			err = &hypmem_enomem;
		}
		free(evdir);
	}
out:
	free(p);
	return err;
}

/* Every event of @c's kept pages, in order, to @fn. */
static void walk_kept(struct hypmem_trace *tr, struct cpu_state *c, hypmem_rb_event_fn fn,
		      void *arg)
{
	for (size_t i = 0; i < c->nr_kept; i++) {
		struct hypmem_rb_page_info info;

		hypmem_rb_page_decode(c->kept + i * tr->page_size, tr->page_size - tr->footer,
				      tr->long_size, 0, fn, arg, &info);
	}
}

struct text_out {
	struct hypmem_trace *tr;
	FILE *f;
	unsigned int cpu;
	uint64_t *ts; /* per line: its event's time (a LOST line: the next event's) */
	size_t *off;  /* per line: where it starts in the text */
	size_t nr, cap;
	uint64_t pending_lost;
	bool failed;
};

/* Remember where the next line starts and when its event happened. */
static bool text_mark(struct text_out *o, uint64_t ts)
{
	if (o->nr == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 256;
		uint64_t *t = realloc(o->ts, cap * sizeof(*t));
		size_t *f;

		if (t)
			o->ts = t;
		f = t ? realloc(o->off, cap * sizeof(*f)) : NULL;
		if (!f) {
			o->failed = true;
			return false;
		}
		o->off = f;
		o->cap = cap;
	}
	fflush(o->f);
	o->off[o->nr] = (size_t)ftell(o->f);
	o->ts[o->nr++] = ts;
	return true;
}

/* One line as trace_remote prints it: "[%03d]\t%5llu.%06lu: name fields". */
static bool text_line(const struct hypmem_rb_event *e, void *arg)
{
	struct text_out *o = arg;
	const struct hypmem_event_format *ev =
	    e->len >= 2 ? hypmem_event_formats_find(&o->tr->formats, hypmem_event_id(e->payload))
			: NULL;
	char buf[1024];
	uint64_t us = e->ts / 1000;

	if (o->pending_lost) {
		/* The kernel's line for a gap, before the first event after it. */
		if (!text_mark(o, e->ts))
			return false;
		fprintf(o->f, "CPU:%u [LOST %" PRIu64 " EVENTS]\n", o->cpu, o->pending_lost);
		o->pending_lost = 0;
	}
	if (!text_mark(o, e->ts))
		return false;
	fprintf(o->f, "[%03u]\t%5" PRIu64 ".%06" PRIu64 ": ", o->cpu, us / 1000000, us % 1000000);
	if (!ev) {
		fprintf(o->f, "UNKNOWN id=%u\n", e->len >= 2 ? hypmem_event_id(e->payload) : 0);
		return true;
	}
	hypmem_event_print(ev, e->payload, e->len, buf, sizeof(buf));
	fprintf(o->f, "%s%s%s\n", ev->name, buf[0] ? " " : "", buf);
	return true;
}

struct cpu_text {
	char *text;
	size_t len;
	struct text_out o;
};

/* All CPUs' lines merged by time, as the remote's own trace and trace_pipe. */
static struct hypmem_error *write_merged_text(const char *root, struct cpu_text *ct,
					      unsigned int nr_cpus)
{
	size_t *next = calloc(nr_cpus ? nr_cpus : 1, sizeof(*next)), len = 0;
	char *text = NULL;
	FILE *f = open_memstream(&text, &len);
	struct hypmem_error *err = NULL;

	if (!next || !f) {
		if (f)
			fclose(f);
		free(text);
		free(next);
		return &hypmem_enomem;
	}
	for (;;) {
		unsigned int best = nr_cpus;

		for (unsigned int cpu = 0; cpu < nr_cpus; cpu++)
			if (next[cpu] < ct[cpu].o.nr &&
			    (best == nr_cpus ||
			     ct[cpu].o.ts[next[cpu]] < ct[best].o.ts[next[best]]))
				best = cpu;
		if (best == nr_cpus)
			break;
		{
			const struct text_out *o = &ct[best].o;
			size_t i = next[best]++;
			size_t end = i + 1 < o->nr ? o->off[i + 1] : ct[best].len;

			fwrite(ct[best].text + o->off[i], 1, end - o->off[i], f);
		}
	}
	fclose(f);
	free(next);
	err = write_file(root, "trace", text, len);
	if (!err)
		err = write_file(root, "trace_pipe", text, len);
	free(text);
	return err;
}

/*
 * Mainline 7.x: remotes/hypervisor/ with text only: per_cpu/cpuN/trace and
 * trace_pipe, the merged trace and trace_pipe, the control files and the
 * events/ directory.  A CPU that lost events starts with the kernel's
 * "CPU:N [LOST n EVENTS]" line.
 */
static struct hypmem_error *export_mainline(struct hypmem_trace *tr, const char *dir)
{
	char *root = trace_path_join(dir, "remotes/hypervisor");
	struct cpu_text *ct = calloc(tr->nr_cpus ? tr->nr_cpus : 1, sizeof(*ct));
	struct hypmem_error *err;
	char kb[32];
	int n;

	if (!root || !ct) {
		free(root);
		free(ct);
		return &hypmem_enomem;
	}
	{
		uint64_t pages = 0; /* per CPU, as buffer_size_kb counts */

		for (unsigned int cpu = 0; cpu < tr->nr_cpus; cpu++)
			pages = tr->cpus[cpu].st.nr_pages > pages ? tr->cpus[cpu].st.nr_pages : pages;
		n = snprintf(kb, sizeof(kb), "%" PRIu64 "\n", pages * DEFAULT_PAGE_SIZE / 1024);
	}
	if ((err = mkdir_p(root)) || (err = write_file(root, "trace_clock", "[boot]\n", 7)) ||
	    (err = write_file(root, "tracing_on", "0\n", 2)) ||
	    (err = write_file(root, "buffer_size_kb", kb, (size_t)n)) ||
	    (err = write_remote_events(tr, root, "hypervisor", DEFAULT_PAGE_SIZE - 16)))
		goto out;
	for (unsigned int cpu = 0; cpu < tr->nr_cpus && !err; cpu++) {
		struct cpu_state *c = &tr->cpus[cpu];
		struct text_out *o = &ct[cpu].o;
		char *cpudir = NULL;

		o->tr = tr;
		o->cpu = cpu;
		o->pending_lost = c->st.lost;
		if (asprintf(&cpudir, "%s/per_cpu/cpu%u", root, cpu) < 0 ||
		    !(o->f = open_memstream(&ct[cpu].text, &ct[cpu].len))) {
			free(cpudir);
			err = &hypmem_enomem;
			break;
		}
		walk_kept(tr, c, text_line, o);
		if (o->pending_lost && text_mark(o, UINT64_MAX))
			fprintf(o->f, "CPU:%u [LOST %" PRIu64 " EVENTS]\n", cpu, o->pending_lost);
		fclose(o->f);
		if (o->failed)
			err = &hypmem_enomem;
		else if (!(err = mkdir_p(cpudir)) &&
			 !(err = write_file(cpudir, "trace", ct[cpu].text, ct[cpu].len)))
			err = write_file(cpudir, "trace_pipe", ct[cpu].text, ct[cpu].len);
		free(cpudir);
	}
	if (!err)
		err = write_merged_text(root, ct, tr->nr_cpus);
out:
	for (unsigned int cpu = 0; cpu < tr->nr_cpus; cpu++) {
		free(ct[cpu].text);
		free(ct[cpu].o.ts);
		free(ct[cpu].o.off);
	}
	free(ct);
	free(root);
	return err;
}

struct page_out {
	struct hypmem_trace *tr;
	uint8_t *pages; /* whole pages of page_size, the last footer-sized bytes zero */
	size_t nr, cap;
	struct hypmem_rb_writer w;
	uint8_t data[DEFAULT_PAGE_SIZE];
	bool open;
	uint64_t lost; /* for the first page */
	bool failed;
};

static void page_out_close(struct page_out *o)
{
	uint8_t *n;

	if (!o->open)
		return;
	o->open = false;
	hypmem_rb_writer_finish(&o->w, o->lost);
	o->lost = 0;
	if (o->nr == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 16;
		if (!(n = realloc(o->pages, o->cap * DEFAULT_PAGE_SIZE))) {
			o->failed = true;
			return;
		}
		o->pages = n;
	}
	memset(o->pages + o->nr * DEFAULT_PAGE_SIZE, 0, DEFAULT_PAGE_SIZE);
	memcpy(o->pages + o->nr * DEFAULT_PAGE_SIZE, o->data, DEFAULT_PAGE_SIZE - ANDROID_FOOTER);
	o->nr++;
}

static bool page_event(const struct hypmem_rb_event *e, void *arg)
{
	struct page_out *o = arg;

	for (int tries = 0; tries < 2; tries++) {
		if (!o->open) {
			hypmem_rb_writer_start(&o->w, o->data, DEFAULT_PAGE_SIZE - ANDROID_FOOTER,
					       e->ts);
			o->w.reserve = o->lost ? 8 : 0;
			o->w.exact = true; /* the hypervisor's records as it wrote them */
			o->open = true;
		}
		if (hypmem_rb_writer_add(&o->w, e->ts, e->payload, e->len))
			return true;
		page_out_close(o);
	}
	o->failed = true;
	return false;
}

/* Android: hyp/ with raw pages that end in a 32-byte footer. */
static struct hypmem_error *export_android(struct hypmem_trace *tr, const char *dir)
{
	char *root = trace_path_join(dir, "hyp");
	struct hypmem_error *err;

	if (!root)
		return &hypmem_enomem;
	if ((err = mkdir_p(root)) || (err = write_file(root, "trace_clock", "[boot]\n", 7)) ||
	    (err = write_remote_events(tr, root, "hyp",
				       DEFAULT_PAGE_SIZE - 16 - ANDROID_FOOTER)))
		goto out;
	for (unsigned int cpu = 0; cpu < tr->nr_cpus && !err; cpu++) {
		struct cpu_state *c = &tr->cpus[cpu];
		struct page_out *o = calloc(1, sizeof(*o));
		char *cpudir = NULL;

		if (!o || asprintf(&cpudir, "%s/per_cpu/cpu%u", root, cpu) < 0) {
			free(o);
			err = &hypmem_enomem;
			break;
		}
		o->tr = tr;
		o->lost = c->st.lost;
		walk_kept(tr, c, page_event, o);
		page_out_close(o);
		if (o->failed)
			err = &hypmem_enomem;
		else if (!(err = mkdir_p(cpudir)))
			err = write_file(cpudir, "trace_pipe_raw", o->pages, o->nr * DEFAULT_PAGE_SIZE);
		free(o->pages);
		free(o);
		free(cpudir);
	}
out:
	free(root);
	return err;
}

struct hypmem_error *hypmem_trace_export_tracefs(struct hypmem_trace *tr, const char *dir,
						 enum hypmem_tracefs_shape shape)
{
	if (tr->kind == SRC_TRACEFS && tr->flavour == TFS_TEXT)
		return hypmem_error_create(HYPMEM_ERROR_INVALID_ARGUMENT,
					   "a text remote keeps no pages to export");
	return shape == HYPMEM_TRACEFS_ANDROID ? export_android(tr, dir) : export_mainline(tr, dir);
}
