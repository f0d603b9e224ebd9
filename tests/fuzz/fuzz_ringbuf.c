// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the ring-buffer reader: the page decoder
 * (lib/hypmem/ringbuf.c), the tracefs source, per-CPU merge and lost-event
 * accounting (lib/hypmem/trace.c), the format parser and event printer
 * (lib/hypmem/events.c), and the text / JSON / trace.dat writers
 * (lib/hypmem/tracedat.c).
 *
 * On a device the pages come from trace_pipe_raw and the format text from
 * tracefs; a reader must survive any bytes in either.  An input is
 *   u8 flags	bit 0: 4-byte longs (32-bit kernel) instead of 8
 *		bit 1: two CPUs (the rest split in halves) instead of one
 *		bit 2: an extra format file follows
 *		bits 3-7: where page_decode starts in each page (x 4 bytes)
 *   [u16 n, n bytes]	the extra format file, if bit 2 (an event of system
 *			"fuzz" beside the EL2 core's own formats)
 *   pages		the trace_pipe_raw bytes (a partial last page too)
 * Each page (a buffer of exactly its size, so ASan sees any overread) goes
 * through hypmem_rb_page_decode(), whose events must lie inside it; then a
 * tracefs-shaped tree in a private directory is opened and polled, and
 * every record is printed as text and JSON and added to a trace.dat that
 * is written out.  Errors and findings are expected; a crash, a leak,
 * undefined behaviour or an event outside its page is a bug.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "el2/trace.h"
#include "hypmem/ringbuf.h"
#include "hypmem/render.h"
#include "hypmem/trace.h"
#include "hypmem/tracedat.h"
#include "../lib/tmptree.h"

#define RB_PAGE 4096

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], root[128];
static FILE *devnull;

static void put(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len))
		abort();
	close(fd);
}

static void path_put(const char *rel, const void *data, size_t len)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	put(p, data, len);
}

/* The EL2 core's formats, one events/hypervisor/NAME/format per event. */
static void write_el2_formats(void)
{
	static char text[HYP_TRACE_FORMATS_SZ];
	const char *s = text;
	char p[256];

	hyp_trace_format_text(text, sizeof(text));
	while ((s = strstr(s, "name: "))) {
		const char *end = strstr(s + 1, "name: "), *nl = strchr(s, '\n');
		char name[64];
		size_t n = (size_t)(nl - s - 6);

		if (!nl || n >= sizeof(name))
			abort();
		memcpy(name, s + 6, n);
		name[n] = '\0';
		snprintf(p, sizeof(p), "%s/events/hypervisor/%s", root, name);
		mkdir(p, 0755);
		strcat(p, "/format");
		put(p, s, end ? (size_t)(end - s) : strlen(s));
		s += 6;
	}
}

static void cleanup(void)
{
	tmptree_rm(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char p[256];

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "/tmp/fuzz_ringbuf.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	atexit(cleanup);
	snprintf(root, sizeof(root), "%s/remotes/hypervisor", dir);
	snprintf(p, sizeof(p), "%s/remotes", dir);
	mkdir(p, 0755);
	mkdir(root, 0755);
	snprintf(p, sizeof(p), "%s/events", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/events/hypervisor", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/events/fuzz", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/events/fuzz/ev", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/per_cpu", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/per_cpu/cpu0", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/per_cpu/cpu1", root);
	mkdir(p, 0755);
	write_el2_formats();
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	return 0;
}

struct page_check {
	const uint8_t *page;
	size_t len;
};

static bool check_event(const struct hypmem_rb_event *ev, void *arg)
{
	struct page_check *pc = arg;

	if (ev->payload < pc->page || ev->len > pc->len ||
	    (size_t)(ev->payload - pc->page) > pc->len - ev->len)
		abort();
	return true;
}

static void decode_pages(const uint8_t *data, size_t size, unsigned int long_size, uint32_t from)
{
	for (size_t off = 0; off < size; off += RB_PAGE) {
		size_t len = size - off < RB_PAGE ? size - off : RB_PAGE;
		uint8_t *page = malloc(len ? len : 1);
		struct page_check pc = {page, len};
		struct hypmem_rb_page_info info;

		if (!page)
			abort();
		memcpy(page, data + off, len);
		hypmem_rb_page_decode(page, len, long_size, from, check_event, &pc, &info);
		if (info.end > len)
			abort();
		(void)hypmem_rb_status_name(info.status);
		free(page);
	}
}

struct sink {
	const struct hypmem_event_formats *formats;
	struct hypmem_tracedat *td;
};

static bool on_rec(const struct hypmem_trace_rec *rec, void *arg)
{
	struct sink *s = arg;
	struct json_object *o;

	hypmem_trace_text(devnull, s->formats, rec);
	o = hypmem_json_trace_rec(s->formats, rec);
	if (o)
		(void)json_object_to_json_string(o);
	json_object_put(o);
	if (s->td)
		hypmem_error_destroy(hypmem_tracedat_add(s->td, rec));
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int long_size, nr_cpus;
	struct hypmem_trace *tr = NULL;
	struct hypmem_error *err;
	struct sink s = {0};
	char p[256];
	uint8_t flags;
	size_t half;

	if (!size)
		return 0;
	flags = data[0];
	data++;
	size--;
	long_size = flags & 1 ? 4 : 8;
	nr_cpus = flags & 2 ? 2 : 1;
	snprintf(p, sizeof(p), "%s/events/fuzz/ev/format", root);
	if (flags & 4) {
		size_t n;

		if (size < 2)
			return 0;
		n = data[0] | (size_t)data[1] << 8;
		data += 2;
		size -= 2;
		n = n < size ? n : size;
		put(p, data, n);
		data += n;
		size -= n;
	} else {
		unlink(p);
	}
	/* A 32-bit kernel's header_page says so; a 64-bit one needs none. */
	if (long_size == 4)
		path_put("events/header_page",
			 "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
			 "\tfield: local_t commit;\toffset:8;\tsize:4;\tsigned:1;\n"
			 "\tfield: char data;\toffset:12;\tsize:4084;\tsigned:0;\n",
			 strlen("\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
				"\tfield: local_t commit;\toffset:8;\tsize:4;\tsigned:1;\n"
				"\tfield: char data;\toffset:12;\tsize:4084;\tsigned:0;\n"));
	else
		path_put("events/header_page", "", 0);

	decode_pages(data, size, long_size, (uint32_t)(flags >> 3) * 4);

	half = nr_cpus == 2 ? size / 2 : size;
	path_put("per_cpu/cpu0/trace_pipe_raw", data, half);
	snprintf(p, sizeof(p), "%s/per_cpu/cpu1/trace_pipe_raw", root);
	if (nr_cpus == 2)
		put(p, data + half, size - half);
	else
		unlink(p);

	err = hypmem_trace_open_tracefs(dir, &tr);
	if (err) {
		hypmem_error_destroy(err);
		return 0;
	}
	s.formats = hypmem_trace_formats(tr);
	if ((err = hypmem_tracedat_create(hypmem_trace_nr_cpus(tr), &s.td)))
		s.td = NULL;
	hypmem_error_destroy(err);
	hypmem_error_destroy(hypmem_trace_poll(tr, on_rec, &s));
	for (unsigned int cpu = 0; cpu < hypmem_trace_nr_cpus(tr); cpu++)
		(void)hypmem_trace_stats(tr, cpu);
	if (s.td) {
		snprintf(p, sizeof(p), "%s/trace.dat", dir);
		hypmem_error_destroy(hypmem_tracedat_write(s.td, s.formats, p));
		hypmem_tracedat_destroy(s.td);
	}
	hypmem_trace_destroy(tr);
	return 0;
}
