// SPDX-License-Identifier: GPL-2.0-only
/*
 * trace.dat v6 output and the text/JSON forms of trace records (see
 * include/hypmem/tracedat.h).  File layout written here, all little-endian:
 *
 *   "\x17\x08\x44tracing" "6\0" endian(0) long_size(8) page_size(u32)
 *   "header_page\0" u64 size, text; "header_event\0" u64 size, text
 *   u32 0 (ftrace formats)
 *   u32 nr_systems; per system: name\0, u32 nr_events, per event u64 size + format
 *   u32 0 (kallsyms), u32 0 (printk formats), u64 0 (saved cmdlines)
 *   u32 nr_cpus, "flyrecord\0", per CPU u64 offset, u64 size
 *   padding to a page boundary, then each CPU's pages
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hypmem/ringbuf.h"
#include "hypmem/tracedat.h"
#include "array.h"

#define PAGE 4096

struct td_cpu {
	uint8_t *pages;
	size_t nr_pages, cap_pages;
	struct hypmem_rb_writer w; /* on the last page while open */
	bool open;
	uint64_t pending_lost;
};

struct hypmem_tracedat {
	unsigned int nr_cpus;
	struct td_cpu *cpus;
};

struct hypmem_error *hypmem_tracedat_create(unsigned int nr_cpus, struct hypmem_tracedat **ret)
{
	struct hypmem_tracedat *td = calloc(1, sizeof(*td));

	if (!td)
		return &hypmem_enomem;
	td->nr_cpus = nr_cpus ? nr_cpus : 1;
	td->cpus = calloc(td->nr_cpus, sizeof(*td->cpus));
	if (!td->cpus) {
		free(td);
		return &hypmem_enomem;
	}
	*ret = td;
	return NULL;
}

void hypmem_tracedat_destroy(struct hypmem_tracedat *td)
{
	if (!td)
		return;
	for (unsigned int i = 0; i < td->nr_cpus; i++)
		free(td->cpus[i].pages);
	free(td->cpus);
	free(td);
}

static void close_page(struct td_cpu *c)
{
	if (c->open) {
		hypmem_rb_writer_finish(&c->w, c->pending_lost);
		c->pending_lost = 0;
		c->open = false;
	}
}

static struct hypmem_error *open_page(struct td_cpu *c, uint64_t ts)
{
	/* Only closed pages may move: the writer is started on the new one below. */
	if (!hypmem_grow((void **)&c->pages, &c->cap_pages, c->nr_pages + 1, PAGE))
		return &hypmem_enomem;
	hypmem_rb_writer_start(&c->w, c->pages + c->nr_pages * PAGE, PAGE, ts);
	c->nr_pages++;
	c->open = true;
	return NULL;
}

struct hypmem_error *hypmem_tracedat_add(struct hypmem_tracedat *td,
					 const struct hypmem_trace_rec *rec)
{
	struct td_cpu *c;
	struct hypmem_error *err;

	if (rec->cpu >= td->nr_cpus)
		return hypmem_error_create(HYPMEM_ERROR_INVALID_ARGUMENT, "cpu %u out of range",
					   rec->cpu);
	c = &td->cpus[rec->cpu];
	if (rec->kind == HYPMEM_TRACE_LOST) {
		/* The count belongs to the page that follows the gap. */
		close_page(c);
		c->pending_lost = rec->lost;
		return NULL;
	}
	if (c->open && c->w.page == c->pages + (c->nr_pages - 1) * PAGE &&
	    hypmem_rb_writer_add(&c->w, rec->ts, rec->payload, rec->len))
		return NULL;
	if (c->open) {
		uint64_t lost = c->pending_lost;

		c->pending_lost = 0;
		hypmem_rb_writer_finish(&c->w, lost);
		c->open = false;
	}
	{
		uint64_t lost = c->pending_lost;

		if ((err = open_page(c, rec->ts)))
			return err;
		c->pending_lost = lost;
		/* Room for the count, so that trace-cmd reads it (RB_MISSED_STORED). */
		if (lost && lost != HYPMEM_TRACE_LOST_UNKNOWN)
			c->w.reserve = 8;
	}
	if (!hypmem_rb_writer_add(&c->w, rec->ts, rec->payload, rec->len))
		return hypmem_error_create(HYPMEM_ERROR_OVERFLOW, "event of %u bytes too large",
					   rec->len);
	return NULL;
}

static bool put(FILE *f, const void *p, size_t n)
{
	return fwrite(p, 1, n, f) == n;
}

static bool put_u32(FILE *f, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	return put(f, b, 4);
}

static bool put_u64(FILE *f, uint64_t v)
{
	return put_u32(f, (uint32_t)v) && put_u32(f, (uint32_t)(v >> 32));
}

static bool put_text(FILE *f, const char *text, size_t len)
{
	return put_u64(f, len) && put(f, text, len);
}

static bool put_format(FILE *f, const struct hypmem_event_format *ev)
{
	int len = hypmem_event_format_text(ev, NULL, 0);
	char *t = malloc((size_t)len + 1);
	bool ok;

	if (!t)
		return false;
	hypmem_event_format_text(ev, t, (size_t)len + 1);
	ok = put_text(f, t, (size_t)len);
	free(t);
	return ok;
}

static bool write_all(FILE *f, struct hypmem_tracedat *td, const struct hypmem_event_formats *fm)
{
	static const char magic[] = {0x17, 0x08, 0x44, 't', 'r', 'a', 'c', 'i', 'n', 'g'};
	char hp[512], he[512];
	int hpl, hel;
	uint32_t nr_sys = 0;
	long pos;
	uint64_t off;

	hpl = snprintf(hp, sizeof(hp),
		       "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
		       "\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
		       "\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
		       "\tfield: char data;\toffset:16;\tsize:%d;\tsigned:0;\n",
		       PAGE - 16);
	hel = snprintf(he, sizeof(he),
		       "# compressed entry header\n\ttype_len    :    5 bits\n"
		       "\ttime_delta  :   27 bits\n\tarray       :   32 bits\n\n"
		       "\tpadding     : type == 29\n\ttime_extend : type == 30\n"
		       "\ttime_stamp : type == 31\n\tdata max type_len  == 28\n");
	if (!put(f, magic, sizeof(magic)) || !put(f, "6", 2) || !put(f, "\0\x08", 2) ||
	    !put_u32(f, PAGE) || !put(f, "header_page", 12) || !put_text(f, hp, (size_t)hpl) ||
	    !put(f, "header_event", 13) || !put_text(f, he, (size_t)hel) || !put_u32(f, 0))
		return false;
	/* Systems: distinct names, in first-seen order. */
	for (size_t i = 0; i < fm->nr; i++) {
		bool seen = false;

		for (size_t j = 0; j < i; j++)
			seen |= !strcmp(fm->events[j].system, fm->events[i].system);
		nr_sys += !seen;
	}
	if (!put_u32(f, nr_sys))
		return false;
	for (size_t i = 0; i < fm->nr; i++) {
		const char *sys = fm->events[i].system;
		uint32_t n = 0;
		bool seen = false;

		for (size_t j = 0; j < i; j++)
			seen |= !strcmp(fm->events[j].system, sys);
		if (seen)
			continue;
		for (size_t j = i; j < fm->nr; j++)
			n += !strcmp(fm->events[j].system, sys);
		if (!put(f, sys[0] ? sys : "hypervisor", strlen(sys[0] ? sys : "hypervisor") + 1) ||
		    !put_u32(f, n))
			return false;
		for (size_t j = i; j < fm->nr; j++)
			if (!strcmp(fm->events[j].system, sys) && !put_format(f, &fm->events[j]))
				return false;
	}
	if (!put_u32(f, 0) || !put_u32(f, 0) || !put_u64(f, 0) || !put_u32(f, td->nr_cpus) ||
	    !put(f, "flyrecord", 10))
		return false;
	pos = ftell(f);
	if (pos < 0)
		return false;
	off = ((uint64_t)pos + 16ULL * td->nr_cpus + PAGE - 1) / PAGE * PAGE;
	for (unsigned int i = 0; i < td->nr_cpus; i++) {
		uint64_t size = (uint64_t)td->cpus[i].nr_pages * PAGE;

		if (!put_u64(f, off) || !put_u64(f, size))
			return false;
		off += size;
	}
	pos = ftell(f);
	while (pos >= 0 && pos % PAGE) {
		if (fputc(0, f) == EOF)
			return false;
		pos++;
	}
	for (unsigned int i = 0; i < td->nr_cpus; i++)
		if (!put(f, td->cpus[i].pages, td->cpus[i].nr_pages * PAGE))
			return false;
	return true;
}

struct hypmem_error *hypmem_tracedat_write(struct hypmem_tracedat *td,
					   const struct hypmem_event_formats *formats,
					   const char *path)
{
	char *tmp;
	FILE *f;
	bool ok;

	for (unsigned int i = 0; i < td->nr_cpus; i++)
		close_page(&td->cpus[i]);
	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return &hypmem_enomem;
	f = fopen(tmp, "wb");
	if (!f) {
		struct hypmem_error *err = hypmem_error_os(errno, "open(%s)", tmp);

		free(tmp);
		return err;
	}
	ok = write_all(f, td, formats);
	if (fclose(f))
		ok = false;
	if (!ok || rename(tmp, path)) {
		struct hypmem_error *err = hypmem_error_os(errno ? errno : EIO, "write(%s)", path);

		unlink(tmp);
		free(tmp);
		return err;
	}
	free(tmp);
	return NULL;
}
