// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the tracefs tree reader's text half: mainline 7.x
 * remotes/hypervisor/ offers per_cpu/cpuN/trace_pipe lines only, with
 * events/header_page and events/hypervisor/NAME/format beside them
 * (lib/hypmem/trace.c: the trace_pipe line parser, read_header_page, the
 * format parser in events.c, merge by time, lost-event lines).  All of it
 * is written by the kernel being debugged.
 *
 * An input is
 *   u8 flags		bit 0: two CPUs (the text split in halves)
 *			bit 1: a header_page follows (else the kernel's)
 *			bit 2: an extra format follows (events/hypervisor/fuzz)
 *   [u16 n, n bytes]	header_page, if bit 1
 *   [u16 n, n bytes]	the extra format, if bit 2
 *   text		the trace_pipe lines
 * The tree lives in /dev/shm when it exists (no disk per input).  It is
 * opened and polled, every record printed as text and JSON; errors and
 * findings are expected, a crash, a leak or undefined behaviour is a bug.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "hypmem/render.h"
#include "hypmem/trace.h"
#include "hypmem/tracedat.h"
#include "../lib/tmptree.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], root[128];
static FILE *devnull;

/* The mainline remote's own files (ids in name order, offsets unaligned). */
static const char header_page[] = "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
				  "\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
				  "\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
				  "\tfield: char data;\toffset:16;\tsize:4080;\tsigned:0;\n";
static const char *const formats[][2] = {
    {"hyp_enter", "name: hyp_enter\nID: 0\nformat:\n"
		  "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n"
		  "\tfield:u8 reason;\toffset:2;\tsize:1;\tsigned:0;\n"
		  "\tfield:pid_t vcpu;\toffset:3;\tsize:4;\tsigned:1;\n\n"
		  "print fmt: \"reason=%s vcpu=%d\", __hyp_enter_exit_reason_str(REC->reason), "
		  "REC->vcpu\n"},
    {"hyp_exit", "name: hyp_exit\nID: 1\nformat:\n"
		 "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n"
		 "\tfield:u8 reason;\toffset:2;\tsize:1;\tsigned:0;\n"
		 "\tfield:pid_t vcpu;\toffset:3;\tsize:4;\tsigned:1;\n\n"
		 "print fmt: \"reason=%s vcpu=%d\", __hyp_enter_exit_reason_str(REC->reason), "
		 "REC->vcpu\n"},
    {"selftest", "name: selftest\nID: 2\nformat:\n"
		 "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n"
		 "\tfield:u64 id;\toffset:2;\tsize:8;\tsigned:0;\n\n"
		 "print fmt: \"id=%llu\", REC->id\n"},
};

static void put(const char *rel, const void *data, size_t len)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len))
		abort();
	close(fd);
}

static void drop(const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	unlink(p);
}

static void cleanup(void)
{
	tmptree_rm(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char p[128];

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/fuzz_tracefs.XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(dir))
		abort();
	atexit(cleanup);
	snprintf(root, sizeof(root), "%s/remotes/hypervisor", dir);
	tmptree_mkdirs(root, "per_cpu/cpu0");
	tmptree_mkdirs(root, "per_cpu/cpu1");
	tmptree_mkdirs(root, "events/hypervisor/fuzz");
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		snprintf(p, sizeof(p), "events/hypervisor/%s", formats[i][0]);
		tmptree_mkdirs(root, p);
		strcat(p, "/format");
		put(p, formats[i][1], strlen(formats[i][1]));
	}
	put("events/header_event", "# compressed entry header\n", 26);
	put("trace_clock", "[boot]\n", 7);
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	return 0;
}

static bool on_rec(const struct hypmem_trace_rec *rec, void *arg)
{
	const struct hypmem_event_formats *formats = arg;
	struct json_object *o;

	hypmem_trace_text(devnull, formats, rec);
	o = hypmem_json_trace_rec(formats, rec);
	if (o)
		(void)json_object_to_json_string(o);
	json_object_put(o);
	return true;
}

/* The next length-prefixed part of the input, or NULL if it is cut short. */
static const uint8_t *part(const uint8_t **data, size_t *size, size_t *n)
{
	const uint8_t *p;

	if (*size < 2)
		return NULL;
	*n = (*data)[0] | (size_t)(*data)[1] << 8;
	*data += 2;
	*size -= 2;
	if (*n > *size)
		*n = *size;
	p = *data;
	*data += *n;
	*size -= *n;
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hypmem_trace *tr = NULL;
	struct hypmem_error *err;
	const uint8_t *p;
	size_t n, half;
	uint8_t flags;

	if (!size)
		return 0;
	flags = data[0];
	data++;
	size--;
	if (flags & 2) {
		if (!(p = part(&data, &size, &n)))
			return 0;
		put("events/header_page", p, n);
	} else {
		put("events/header_page", header_page, sizeof(header_page) - 1);
	}
	if (flags & 4) {
		if (!(p = part(&data, &size, &n)))
			return 0;
		put("events/hypervisor/fuzz/format", p, n);
	} else {
		drop("events/hypervisor/fuzz/format");
	}
	half = flags & 1 ? size / 2 : size;
	put("per_cpu/cpu0/trace_pipe", data, half);
	if (flags & 1)
		put("per_cpu/cpu1/trace_pipe", data + half, size - half);
	else
		drop("per_cpu/cpu1/trace_pipe");

	err = hypmem_trace_open_tracefs(dir, &tr);
	if (!err) {
		hypmem_trace_set_wait(tr, 0);
		hypmem_error_destroy(hypmem_trace_poll(tr, on_rec, (void *)hypmem_trace_formats(tr)));
		for (unsigned int cpu = 0; cpu < hypmem_trace_nr_cpus(tr); cpu++)
			(void)hypmem_trace_stats(tr, cpu);
		hypmem_text_findings(devnull, hypmem_trace_findings(tr), 8);
		hypmem_trace_destroy(tr);
	}
	hypmem_error_destroy(err);
	return 0;
}
