// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib/hypmem/pipe_reader.c: a regular file on an ordinary filesystem is
 * read in the caller (no thread) and to its end; a FIFO, which can block
 * like a tracefs pipe, gets the reader thread and hands over bytes written
 * after it started.  Then the consequence for a tracefs text tree: a file
 * much larger than one read buffer (256 KiB) is read whole by a single
 * poll even with no time to wait, every line written coming out once.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/hypmem/pipe_reader.h"
#include "hypmem/trace.h"
#include "test.h"
#include "../lib/tmptree.h"

static char dir[64];

static void put(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, len, f) != len)
		abort();
	fclose(f);
}

TEST(regular_file_read_directly)
{
	char path[128], buf[64 * 1024];
	static char big[200 * 1000];
	struct pipe_reader *pr;
	size_t got = 0, n;
	bool eof = false;
	int err = 0, fd;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	snprintf(dir, sizeof(dir), "/tmp/hypmem-pr.XXXXXX");
	REQUIRE(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/file", dir);
	put(path, big, sizeof(big));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	REQUIRE(fd >= 0);
	pr = pipe_reader_create(fd, 4096);
	REQUIRE(pr);
	CHECK(pipe_reader_never_blocks(pr));
	while (!eof) {
		n = pipe_reader_take(pr, buf, sizeof(buf), 0, &eof, &err);
		CHECK(got + n <= sizeof(big));
		if (got + n > sizeof(big))
			break;
		CHECK(!memcmp(buf, big + got, n));
		got += n;
	}
	CHECK_EQ_U64(got, sizeof(big));
	CHECK_EQ_U64((uint64_t)err, 0);
	pipe_reader_destroy(pr);
	tmptree_rm(dir);
}

TEST(fifo_gets_the_thread)
{
	char path[128], buf[16];
	struct pipe_reader *pr;
	bool eof = false;
	int err = 0, rfd, wfd;
	size_t n;

	snprintf(dir, sizeof(dir), "/tmp/hypmem-pr.XXXXXX");
	REQUIRE(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	REQUIRE(mkfifo(path, 0600) == 0);
	rfd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	REQUIRE(rfd >= 0);
	wfd = open(path, O_WRONLY | O_CLOEXEC);
	REQUIRE(wfd >= 0);
	pr = pipe_reader_create(rfd, 4096);
	REQUIRE(pr);
	CHECK(!pipe_reader_never_blocks(pr));
	/* Nothing written yet: a short wait comes back empty, not at EOF. */
	n = pipe_reader_take(pr, buf, sizeof(buf), 20, &eof, &err);
	CHECK_EQ_U64(n, 0);
	CHECK(!eof);
	REQUIRE(write(wfd, "late", 4) == 4);
	n = pipe_reader_take(pr, buf, sizeof(buf), 2000, &eof, &err);
	CHECK_EQ_U64(n, 4);
	CHECK(!memcmp(buf, "late", 4));
	close(wfd);
	pipe_reader_destroy(pr);
	tmptree_rm(dir);
}

struct seen {
	uint64_t n, last_ts;
	bool ordered;
};

static bool on_rec(const struct hypmem_trace_rec *rec, void *arg)
{
	struct seen *s = arg;

	if (rec->kind != HYPMEM_TRACE_EVENT)
		return true;
	if (s->n && rec->ts <= s->last_ts)
		s->ordered = false;
	s->last_ts = rec->ts;
	s->n++;
	return true;
}

/* 30000 lines of about 40 bytes: over 1 MiB, four read buffers and more. */
TEST(large_text_tree_read_whole_without_waiting)
{
	enum { LINES = 30000 };
	static const char format[] =
	    "name: hyp_enter\nID: 0\nformat:\n"
	    "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n"
	    "\tfield:int vcpu;\toffset:2;\tsize:4;\tsigned:1;\n\n"
	    "print fmt: \"vcpu=%d\", REC->vcpu\n";
	char root[128], path[256];
	struct hypmem_trace *tr = NULL;
	struct seen s = {.ordered = true};
	char *text, *p;

	snprintf(dir, sizeof(dir), "/tmp/hypmem-pr.XXXXXX");
	REQUIRE(mkdtemp(dir));
	snprintf(root, sizeof(root), "%s/remotes/hypervisor", dir);
	tmptree_mkdirs(root, "per_cpu/cpu0");
	tmptree_mkdirs(root, "events/hypervisor/hyp_enter");
	snprintf(path, sizeof(path), "%s/events/hypervisor/hyp_enter/format", root);
	put(path, format, strlen(format));
	text = malloc((size_t)LINES * 64);
	REQUIRE(text);
	p = text;
	for (unsigned int i = 0; i < LINES; i++)
		p += sprintf(p, "[000]\t %5u.%06u: hyp_enter vcpu=%u\n", 1 + i / 1000000,
			     i % 1000000, i % 8);
	CHECK((size_t)(p - text) > 4 * 256 * 1024);
	snprintf(path, sizeof(path), "%s/per_cpu/cpu0/trace_pipe", root);
	put(path, text, (size_t)(p - text));
	free(text);
	if (CHECK_NO_ERR(hypmem_trace_open_tracefs(root, &tr))) {
		hypmem_trace_set_wait(tr, 0);
		CHECK_NO_ERR(hypmem_trace_poll(tr, on_rec, &s));
		CHECK_EQ_U64(s.n, LINES);
		CHECK(s.ordered);
		hypmem_trace_destroy(tr);
	}
	tmptree_rm(dir);
}

TEST_MAIN
