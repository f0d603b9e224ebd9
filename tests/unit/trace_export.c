// SPDX-License-Identifier: GPL-2.0-only
/*
 * The tracefs export (lib/hypmem/trace_export.c): one hand-built ring
 * buffer page on cpu0 of a raw remote (three events, known times and
 * fields) is read with its pages kept, exported in both shapes, and each
 * exported tree read back: the same events, times and field values must
 * come out.  A text remote has no pages to export: INVALID_ARGUMENT.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hypmem/trace.h"
#include "test.h"
#include "../lib/tmptree.h"

#define PAGE 4096

static const char header_page[] = "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
				  "\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
				  "\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
				  "\tfield: char data;\toffset:16;\tsize:4080;\tsigned:0;\n";

static const char *const formats[][2] = {
    {"hyp_enter", "name: hyp_enter\nID: 0\nformat:\n"
		  "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n"
		  "\tfield:int vcpu;\toffset:2;\tsize:4;\tsigned:1;\n\n"
		  "print fmt: \"vcpu=%d\", REC->vcpu\n"},
    {"hyp_page_alloc",
     "name: hyp_page_alloc\nID: 7\nformat:\n"
     "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n"
     "\tfield:u64 pool;\toffset:2;\tsize:8;\tsigned:0;\n"
     "\tfield:u64 pfn;\toffset:10;\tsize:8;\tsigned:0;\n"
     "\tfield:u8 order;\toffset:18;\tsize:1;\tsigned:0;\n\n"
     "print fmt: \"pool=0x%llx pfn=0x%llx order=%u\", REC->pool, REC->pfn, REC->order\n"},
};

/* The events of the page, as built: id, time (ns), the field read back. */
struct want {
	uint32_t id;
	uint64_t ts;
	const char *field;
	uint64_t value;
};
static const struct want want[] = {
    {0, 1000000000ULL, "vcpu", 3},
    {7, 1000001000ULL, "pfn", 0x40123},
    {0, 1000500000ULL, "vcpu", 4},
};

static char dir[64];

static void put(const char *root, const char *rel, const void *data, size_t len)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "wb");
	if (!f || fwrite(data, 1, len, f) != len)
		abort();
	fclose(f);
}


static void le(uint8_t *p, uint64_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* One event: a 4-byte header (type_len = payload words, delta) + payload. */
static size_t event(uint8_t *p, uint32_t delta, const uint8_t *payload, size_t len)
{
	size_t words = (len + 3) / 4;

	le(p, (uint32_t)words | (delta << 5), 4);
	memset(p + 4, 0, words * 4);
	memcpy(p + 4, payload, len);
	return 4 + words * 4;
}

/*
 * remotes/hypervisor/ with per_cpu/cpu0/trace_pipe_raw: one page.  The
 * format files print offsets packed, as the kernels do; the records
 * themselves are C structs after the 2-byte id (vcpu at 4; pool, pfn and
 * order at 8, 16 and 24).
 */
static bool build_raw_remote(const char *root)
{
	uint8_t page[PAGE] = {0}, pay[28];
	size_t off = 16;
	char p[128];

	tmptree_mkdirs(root, "per_cpu/cpu0");
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		snprintf(p, sizeof(p), "events/hypervisor/%s", formats[i][0]);
		tmptree_mkdirs(root, p);
		strcat(p, "/format");
		put(root, p, formats[i][1], strlen(formats[i][1]));
	}
	put(root, "events/header_page", header_page, sizeof(header_page) - 1);
	put(root, "trace_clock", "[boot]\n", 7);

	le(page, want[0].ts, 8);
	memset(pay, 0, sizeof(pay));
	le(pay, 0, 2);
	le(pay + 4, 3, 4);
	off += event(page + off, 0, pay, 8);
	memset(pay, 0, sizeof(pay));
	le(pay, 7, 2);
	le(pay + 8, 0xffff800010000000ULL, 8);
	le(pay + 16, 0x40123, 8);
	pay[24] = 2;
	off += event(page + off, (uint32_t)(want[1].ts - want[0].ts), pay, 25);
	memset(pay, 0, sizeof(pay));
	le(pay + 4, 4, 4);
	off += event(page + off, (uint32_t)(want[2].ts - want[1].ts), pay, 8);
	le(page + 8, off - 16, 8); /* commit: bytes of data */
	put(root, "per_cpu/cpu0/trace_pipe_raw", page, sizeof(page));
	return true;
}

struct got {
	const struct hypmem_event_formats *fm;
	size_t nr, lost;
	bool mismatch;
};

static bool on_rec(const struct hypmem_trace_rec *rec, void *arg)
{
	struct got *g = arg;
	const struct hypmem_event_format *ev;
	const struct hypmem_event_field *f;
	uint64_t v = ~0ULL;

	if (rec->kind != HYPMEM_TRACE_EVENT) {
		g->lost++;
		return true;
	}
	if (g->nr >= sizeof(want) / sizeof(want[0])) {
		g->nr++;
		return true;
	}
	ev = hypmem_event_formats_find_name(g->fm, want[g->nr].id == 7 ? "hyp_page_alloc"
								      : "hyp_enter");
	f = ev ? hypmem_event_field_find(ev, want[g->nr].field) : NULL;
	if (f)
		hypmem_event_field_get(f, rec->payload, rec->len, &v);
	if (rec->cpu != 0 || rec->id != want[g->nr].id || rec->ts != want[g->nr].ts ||
	    v != want[g->nr].value) {
		printf("#   event %zu: cpu %u id %u ts %" PRIu64 " %s 0x%" PRIx64 " len %u off %u\n", g->nr,
		       rec->cpu, rec->id, rec->ts, want[g->nr].field, v, rec->len, f ? f->offset : 9999);
		g->mismatch = true;
	}
	g->nr++;
	return true;
}

/* Open @root, poll it all, and compare with want[]. */
static void read_back(const char *root, bool keep, struct hypmem_trace **keep_tr)
{
	struct hypmem_trace *tr = NULL;
	struct got g = {0};

	if (!CHECK_NO_ERR(hypmem_trace_open_tracefs(root, &tr)))
		return;
	hypmem_trace_set_wait(tr, 1000);
	if (keep)
		hypmem_trace_keep_pages(tr, true);
	g.fm = hypmem_trace_formats(tr);
	CHECK_NO_ERR(hypmem_trace_poll(tr, on_rec, &g));
	CHECK_EQ_U64(g.nr, 3);
	CHECK_EQ_U64(g.lost, 0);
	CHECK(!g.mismatch);
	CHECK_EQ_U64(hypmem_trace_findings(tr)->total, 0);
	if (keep_tr)
		*keep_tr = tr;
	else
		hypmem_trace_destroy(tr);
}

static bool exists(const char *base, const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	return access(p, R_OK) == 0;
}

TEST(export_both_shapes_round_trip)
{
	char src[128], out_m[128], out_a[128], p[256];
	struct hypmem_trace *tr = NULL;

	snprintf(dir, sizeof(dir), "/tmp/hypmem-export.XXXXXX");
	REQUIRE(mkdtemp(dir));
	snprintf(src, sizeof(src), "%s/src/remotes/hypervisor", dir);
	snprintf(out_m, sizeof(out_m), "%s/mainline", dir);
	snprintf(out_a, sizeof(out_a), "%s/android", dir);
	REQUIRE(build_raw_remote(src));

	/* The source itself reads as built (else the rest means nothing). */
	read_back(src, true, &tr);
	REQUIRE(tr);
	CHECK_NO_ERR(hypmem_trace_export_tracefs(tr, out_m, HYPMEM_TRACEFS_MAINLINE));
	CHECK_NO_ERR(hypmem_trace_export_tracefs(tr, out_a, HYPMEM_TRACEFS_ANDROID));
	hypmem_trace_destroy(tr);

	CHECK(exists(out_m, "remotes/hypervisor/per_cpu/cpu0/trace_pipe"));
	CHECK(exists(out_m, "remotes/hypervisor/trace"));
	CHECK(exists(out_m, "remotes/hypervisor/events/hypervisor/hyp_page_alloc/format"));
	CHECK(exists(out_a, "hyp/per_cpu/cpu0/trace_pipe_raw"));
	CHECK(exists(out_a, "hyp/events/header_page"));

	snprintf(p, sizeof(p), "%s/remotes/hypervisor", out_m);
	read_back(p, false, NULL);
	snprintf(p, sizeof(p), "%s/hyp", out_a);
	read_back(p, false, NULL);
	tmptree_rm(dir);
}

/* A text remote keeps no pages: nothing to export. */
TEST(text_remote_refused)
{
	char root[128], out[128];
	struct hypmem_trace *tr = NULL;
	struct hypmem_error *err;
	const char line[] = "[000]\t     1.000000: hyp_enter vcpu=3\n";

	snprintf(dir, sizeof(dir), "/tmp/hypmem-export.XXXXXX");
	REQUIRE(mkdtemp(dir));
	snprintf(root, sizeof(root), "%s/remotes/hypervisor", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	tmptree_mkdirs(root, "per_cpu/cpu0");
	tmptree_mkdirs(root, "events/hypervisor/hyp_enter");
	put(root, "events/hypervisor/hyp_enter/format", formats[0][1], strlen(formats[0][1]));
	put(root, "events/header_page", header_page, sizeof(header_page) - 1);
	put(root, "per_cpu/cpu0/trace_pipe", line, sizeof(line) - 1);
	if (CHECK_NO_ERR(hypmem_trace_open_tracefs(root, &tr))) {
		hypmem_trace_set_wait(tr, 1000);
		hypmem_trace_keep_pages(tr, true);
		err = hypmem_trace_export_tracefs(tr, out, HYPMEM_TRACEFS_MAINLINE);
		CHECK(err && err->code == HYPMEM_ERROR_INVALID_ARGUMENT);
		hypmem_error_destroy(err);
		hypmem_trace_destroy(tr);
	}
	tmptree_rm(dir);
}

TEST_MAIN
