// SPDX-License-Identifier: GPL-2.0-only
/*
 * hypmem-top's model (lib/hypmem/top.c) over a hand-written mainline
 * remote: remotes/hypervisor/ with two CPUs' trace_pipe lines, formats for
 * four events (two of them pool events) and a lost-events line.  The
 * counts per event and CPU, the totals, rates over the trace clock, and
 * the pools rebuilt from page alloc/free events are those the lines say.
 * Filters (-e, --cpu) keep the counts of exactly the lines they select,
 * through both ways of counting (the count table for names alone, the
 * merged records with a CPU), and leave the pools as they were.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hypmem/render.h"
#include "hypmem/top.h"
#include "hypmem/trace.h"
#include "test.h"
#include "../lib/tmptree.h"

#define POOL_A 0xffff800010000000ULL /* first seen second, on cpu0 */
#define POOL_B 0xffff800020000000ULL /* first seen first, on cpu1 */

static const char header_page[] = "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
				  "\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
				  "\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
				  "\tfield: char data;\toffset:16;\tsize:4080;\tsigned:0;\n";

#define VCPU_FMT(name, id)                                                                         \
	"name: " name "\nID: " #id "\nformat:\n"                                                   \
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n"                   \
	"\tfield:int vcpu;\toffset:2;\tsize:4;\tsigned:1;\n\n"                                     \
	"print fmt: \"vcpu=%d\", REC->vcpu\n"
#define PAGE_FMT(name, id)                                                                         \
	"name: " name "\nID: " #id "\nformat:\n"                                                   \
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n"                   \
	"\tfield:u64 pool;\toffset:2;\tsize:8;\tsigned:0;\n"                                       \
	"\tfield:u64 pfn;\toffset:10;\tsize:8;\tsigned:0;\n"                                       \
	"\tfield:u8 order;\toffset:18;\tsize:1;\tsigned:0;\n\n"                                    \
	"print fmt: \"pool=0x%llx pfn=0x%llx order=%u\", REC->pool, REC->pfn, REC->order\n"

static const char *const formats[][2] = {
    {"hyp_enter", VCPU_FMT("hyp_enter", 0)},
    {"hyp_exit", VCPU_FMT("hyp_exit", 1)},
    {"hyp_page_alloc", PAGE_FMT("hyp_page_alloc", 7)},
    {"hyp_page_free", PAGE_FMT("hyp_page_free", 8)},
};

/*
 * cpu0: enter, 2 allocs from A (orders 2, 0), exit.
 * cpu1: an alloc from B (order 1), a free to A (order 2), 5 lost, enter.
 * Time runs from 1.000000 s to 3.000000 s.
 */
static const char cpu0_lines[] =
    "[000]\t     1.000000: hyp_enter vcpu=1\n"
    "[000]\t     1.000100: hyp_page_alloc pool=0xffff800010000000 pfn=0x40100 order=2\n"
    "[000]\t     1.000200: hyp_page_alloc pool=0xffff800010000000 pfn=0x40104 order=0\n"
    "[000]\t     1.500000: hyp_exit vcpu=1\n";
static const char cpu1_lines[] =
    "[001]\t     1.000050: hyp_page_alloc pool=0xffff800020000000 pfn=0x50002 order=1\n"
    "[001]\t     1.000300: hyp_page_free pool=0xffff800010000000 pfn=0x40100 order=2\n"
    "CPU:1 [LOST 5 EVENTS]\n"
    "[001]\t     3.000000: hyp_enter vcpu=2\n";

static char dir[64], root[128];

static void put(const char *rel, const char *text, const char *mode)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, mode);
	if (!f || fputs(text, f) == EOF)
		abort();
	fclose(f);
}


static bool build_tree(void)
{
	char p[128];

	snprintf(dir, sizeof(dir), "/tmp/hypmem-top.XXXXXX");
	if (!mkdtemp(dir))
		return false;
	snprintf(root, sizeof(root), "%s/remotes/hypervisor", dir);
	tmptree_mkdirs(root, "per_cpu/cpu0");
	tmptree_mkdirs(root, "per_cpu/cpu1");
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		snprintf(p, sizeof(p), "events/hypervisor/%s", formats[i][0]);
		tmptree_mkdirs(root, p);
		strcat(p, "/format");
		put(p, formats[i][1], "w");
	}
	put("events/header_page", header_page, "w");
	put("trace_clock", "[boot]\n", "w");
	put("per_cpu/cpu0/trace_pipe", cpu0_lines, "w");
	put("per_cpu/cpu1/trace_pipe", cpu1_lines, "w");
	return true;
}

static const struct hypmem_top_row *row(const struct hypmem_top_model *m, const char *name)
{
	for (size_t i = 0; i < m->nr_rows; i++)
		if (!strcmp(m->rows[i].name, name))
			return &m->rows[i];
	return NULL;
}

static bool near(double a, double b)
{
	return a - b < 1e-6 && b - a < 1e-6;
}

TEST(counts_rates_and_event_pools)
{
	struct hypmem_trace *tr = NULL;
	struct hypmem_top_model m;
	const struct hypmem_top_row *enter, *exit_, *alloc, *free_;

	REQUIRE(build_tree());
	REQUIRE(CHECK_NO_ERR(hypmem_trace_open_tracefs(dir, &tr)));
	/* Regular files: the pipe readers hit EOF well before this. */
	hypmem_trace_set_wait(tr, 1000);
	REQUIRE(CHECK_NO_ERR(hypmem_top_model_init(&m, tr, NULL)));
	CHECK_EQ_U64(m.nr_cpus, 2);
	CHECK_EQ_U64(m.nr_rows, 4);
	enter = row(&m, "hyp_enter");
	exit_ = row(&m, "hyp_exit");
	alloc = row(&m, "hyp_page_alloc");
	free_ = row(&m, "hyp_page_free");
	REQUIRE(enter && exit_ && alloc && free_);
	CHECK(enter->pool_kind == 0 && exit_->pool_kind == 0);
	CHECK(alloc->pool_kind == 1 && free_->pool_kind == 2);
	CHECK_EQ_U64(alloc->id, 7);

	if (CHECK_NO_ERR(hypmem_top_model_update(&m, 0))) {
		CHECK_EQ_U64(m.events_interval, 7);
		CHECK_EQ_U64(m.events_total, 7);
		CHECK_EQ_U64(m.lost_interval, 5);
		CHECK_EQ_U64(m.lost_total, 5);
		CHECK_EQ_U64(m.first_ts, 1000000000ULL);
		CHECK_EQ_U64(m.last_ts, 3000000000ULL);
		CHECK(near(m.elapsed, 2.0));
		CHECK_EQ_U64(m.updates, 1);

		CHECK_EQ_U64(enter->total, 2);
		CHECK_EQ_U64(enter->per_cpu[0], 1);
		CHECK_EQ_U64(enter->per_cpu[1], 1);
		CHECK(near(enter->rate, 1.0));
		CHECK_EQ_U64(exit_->total, 1);
		CHECK_EQ_U64(exit_->per_cpu[0], 1);
		CHECK_EQ_U64(exit_->per_cpu[1], 0);
		CHECK_EQ_U64(alloc->interval, 3);
		CHECK_EQ_U64(alloc->per_cpu[0], 2);
		CHECK_EQ_U64(alloc->per_cpu[1], 1);
		CHECK(near(alloc->rate, 1.5));
		CHECK_EQ_U64(free_->total, 1);
		CHECK_EQ_U64(free_->per_cpu[1], 1);

		/* Pools in the order of their first event: B (1.000050) then A. */
		REQUIRE(m.nr_event_pools == 2);
		CHECK_EQ_U64(m.event_pools[0].key, POOL_B);
		CHECK_EQ_U64(m.event_pools[0].allocs, 1);
		CHECK_EQ_U64(m.event_pools[0].frees, 0);
		CHECK_EQ_U64(m.event_pools[0].net_pages, 2);
		CHECK_EQ_U64(m.event_pools[0].by_order[1], 1);
		CHECK_STR(m.event_pools[0].name, "0xffff800020000000");
		CHECK_EQ_U64(m.event_pools[1].key, POOL_A);
		CHECK_EQ_U64(m.event_pools[1].allocs, 2);
		CHECK_EQ_U64(m.event_pools[1].frees, 1);
		/* 4 + 1 taken, 4 given back. */
		CHECK_EQ_U64(m.event_pools[1].net_pages, 1);
		CHECK_EQ_U64(m.event_pools[1].by_order[0], 1);
		CHECK_EQ_U64(m.event_pools[1].by_order[2], 1);
		CHECK_EQ_U64(m.event_pools[1].by_order[1], 0);
		CHECK_EQ_U64(m.trace_findings, 0);
	}

	/* Nothing new: the interval is empty, the totals stay. */
	if (CHECK_NO_ERR(hypmem_top_model_update(&m, 0.5))) {
		CHECK_EQ_U64(m.events_interval, 0);
		CHECK_EQ_U64(m.events_total, 7);
		CHECK_EQ_U64(m.lost_interval, 0);
		CHECK_EQ_U64(m.lost_total, 5);
		CHECK_EQ_U64(enter->interval, 0);
		CHECK_EQ_U64(enter->total, 2);
		CHECK_EQ_U64(enter->per_cpu[1], 0);
		CHECK(near(enter->rate, 0));
		CHECK(near(m.elapsed, 0.5));
		CHECK_EQ_U64(m.nr_event_pools, 2);
		CHECK_EQ_U64(m.updates, 2);
	}

	hypmem_top_model_deinit(&m);
	hypmem_trace_destroy(tr);
	tmptree_rm(dir);
}

/* A fresh reader over the tree and a model counting one poll through a filter. */
struct filtered {
	struct hypmem_trace_filter f;
	struct hypmem_trace *tr;
	struct hypmem_top_model m;
	const struct hypmem_top_row *enter, *exit_, *alloc, *free_;
};

static bool open_filtered(struct filtered *x, const char *events, const char *cpus)
{
	memset(x, 0, sizeof(*x));
	if ((events && !CHECK_NO_ERR(hypmem_trace_filter_events(&x->f, events))) ||
	    (cpus && !CHECK_NO_ERR(hypmem_trace_filter_cpus(&x->f, cpus))) ||
	    !CHECK_NO_ERR(hypmem_trace_open_tracefs(dir, &x->tr)))
		return false;
	hypmem_trace_set_wait(x->tr, 1000);
	if (!CHECK_NO_ERR(hypmem_top_model_init(&x->m, x->tr, NULL)))
		return false;
	x->enter = row(&x->m, "hyp_enter");
	x->exit_ = row(&x->m, "hyp_exit");
	x->alloc = row(&x->m, "hyp_page_alloc");
	x->free_ = row(&x->m, "hyp_page_free");
	return x->enter && x->exit_ && x->alloc && x->free_ &&
	       CHECK_NO_ERR(hypmem_top_model_filter(&x->m, &x->f)) &&
	       CHECK_NO_ERR(hypmem_top_model_update(&x->m, 0));
}

static void close_filtered(struct filtered *x)
{
	hypmem_top_model_deinit(&x->m);
	hypmem_trace_destroy(x->tr);
	hypmem_trace_filter_deinit(&x->f);
}

/* Pools and the trace clock are the source's, whatever the filter keeps. */
static void check_unfiltered_parts(const struct hypmem_top_model *m)
{
	CHECK_EQ_U64(m->first_ts, 1000000000ULL);
	CHECK_EQ_U64(m->last_ts, 3000000000ULL);
	CHECK(near(m->elapsed, 2.0));
	REQUIRE(m->nr_event_pools == 2);
	CHECK_EQ_U64(m->event_pools[0].key, POOL_B);
	CHECK_EQ_U64(m->event_pools[0].net_pages, 2);
	CHECK_EQ_U64(m->event_pools[1].key, POOL_A);
	CHECK_EQ_U64(m->event_pools[1].allocs, 2);
	CHECK_EQ_U64(m->event_pools[1].frees, 1);
	CHECK_EQ_U64(m->event_pools[1].net_pages, 1);
}

TEST(filter_by_event)
{
	struct filtered x;

	REQUIRE(build_tree());
	/* One name: the one hyp_exit line (cpu0); the gap has no name: kept. */
	if (open_filtered(&x, "hyp_exit", NULL)) {
		CHECK(x.m.filter == &x.f);
		CHECK(!x.exit_->filtered && x.enter->filtered && x.alloc->filtered &&
		      x.free_->filtered);
		CHECK_EQ_U64(x.m.events_interval, 1);
		CHECK_EQ_U64(x.m.events_total, 1);
		CHECK_EQ_U64(x.m.lost_total, 5);
		CHECK_EQ_U64(x.exit_->total, 1);
		CHECK_EQ_U64(x.exit_->per_cpu[0], 1);
		CHECK_EQ_U64(x.exit_->per_cpu[1], 0);
		CHECK(near(x.exit_->rate, 0.5));
		CHECK_EQ_U64(x.enter->total, 0);
		CHECK_EQ_U64(x.alloc->total, 0);
		CHECK(hypmem_top_cpu_shown(&x.m, 0) && hypmem_top_cpu_shown(&x.m, 1));
		check_unfiltered_parts(&x.m);
	}
	close_filtered(&x);
	/* A glob: 2 allocs on cpu0, 1 alloc and 1 free on cpu1. */
	if (open_filtered(&x, "hyp_page_*", NULL)) {
		CHECK(x.enter->filtered && x.exit_->filtered);
		CHECK(!x.alloc->filtered && !x.free_->filtered);
		CHECK_EQ_U64(x.m.events_total, 4);
		CHECK_EQ_U64(x.m.lost_total, 5);
		CHECK_EQ_U64(x.alloc->total, 3);
		CHECK_EQ_U64(x.alloc->per_cpu[0], 2);
		CHECK_EQ_U64(x.alloc->per_cpu[1], 1);
		CHECK_EQ_U64(x.free_->total, 1);
		CHECK_EQ_U64(x.free_->per_cpu[1], 1);
		CHECK_EQ_U64(x.enter->total, 0);
		check_unfiltered_parts(&x.m);
	}
	close_filtered(&x);
	/* No event of the source's formats matches: an error naming the pattern. */
	memset(&x, 0, sizeof(x));
	REQUIRE(CHECK_NO_ERR(hypmem_trace_filter_events(&x.f, "hyp_enter,hyp_nope*")));
	REQUIRE(CHECK_NO_ERR(hypmem_trace_open_tracefs(dir, &x.tr)));
	if (CHECK_NO_ERR(hypmem_top_model_init(&x.m, x.tr, NULL))) {
		struct hypmem_error *err = hypmem_top_model_filter(&x.m, &x.f);

		CHECK(err && err->code == HYPMEM_ERROR_LOOKUP &&
		      strstr(err->message, "'hyp_nope*'") && strstr(err->message, "hyp_page_free"));
		CHECK(!x.m.filter);
		hypmem_error_destroy(err);
	}
	close_filtered(&x);
	tmptree_rm(dir);
}

TEST(filter_by_cpu)
{
	struct filtered x, y;

	REQUIRE(build_tree());
	/* cpu1: an alloc, a free, the 5 lost, an enter. */
	if (open_filtered(&x, NULL, "1")) {
		CHECK(!x.enter->filtered && !x.exit_->filtered && !x.alloc->filtered);
		CHECK(!hypmem_top_cpu_shown(&x.m, 0) && hypmem_top_cpu_shown(&x.m, 1));
		CHECK(!hypmem_top_cpu_shown(&x.m, 2) && !hypmem_top_cpu_shown(&x.m, 99));
		CHECK_EQ_U64(x.m.events_total, 3);
		CHECK_EQ_U64(x.m.lost_total, 5);
		CHECK_EQ_U64(x.enter->total, 1);
		CHECK_EQ_U64(x.enter->per_cpu[0], 0);
		CHECK_EQ_U64(x.enter->per_cpu[1], 1);
		CHECK_EQ_U64(x.exit_->total, 0);
		CHECK_EQ_U64(x.alloc->total, 1);
		CHECK_EQ_U64(x.alloc->per_cpu[0], 0);
		CHECK_EQ_U64(x.free_->total, 1);
		check_unfiltered_parts(&x.m);
	}
	close_filtered(&x);
	/* cpu0: its 4 events and none of cpu1's lost ones. */
	if (open_filtered(&x, NULL, "0")) {
		CHECK_EQ_U64(x.m.events_total, 4);
		CHECK_EQ_U64(x.m.lost_total, 0);
		CHECK_EQ_U64(x.enter->per_cpu[0], 1);
		CHECK_EQ_U64(x.enter->per_cpu[1], 0);
		CHECK_EQ_U64(x.alloc->total, 2);
		check_unfiltered_parts(&x.m);
	}
	close_filtered(&x);
	/* Both: the enter on cpu1 only, and cpu1's gap. */
	if (open_filtered(&x, "hyp_e*", "1")) {
		CHECK(!x.enter->filtered && !x.exit_->filtered && x.alloc->filtered);
		CHECK_EQ_U64(x.m.events_total, 1);
		CHECK_EQ_U64(x.m.lost_total, 5);
		CHECK_EQ_U64(x.enter->total, 1);
		CHECK_EQ_U64(x.enter->per_cpu[1], 1);
		CHECK_EQ_U64(x.exit_->total, 0);
		CHECK_EQ_U64(x.alloc->total, 0);
		CHECK_EQ_U64(x.alloc->per_cpu[1], 0);
	}
	close_filtered(&x);
	/* The merged count (any --cpu) and the count table (names only) agree. */
	if (open_filtered(&x, "hyp_page_*", "0-1") && open_filtered(&y, "hyp_page_*", NULL)) {
		CHECK_EQ_U64(x.m.events_total, y.m.events_total);
		CHECK_EQ_U64(x.m.lost_total, y.m.lost_total);
		for (size_t i = 0; i < x.m.nr_rows; i++) {
			CHECK_EQ_U64(x.m.rows[i].total, y.m.rows[i].total);
			CHECK(x.m.rows[i].filtered == y.m.rows[i].filtered);
			for (unsigned int c = 0; c < 2; c++)
				CHECK_EQ_U64(x.m.rows[i].per_cpu[c], y.m.rows[i].per_cpu[c]);
		}
		CHECK_EQ_U64(x.m.nr_event_pools, y.m.nr_event_pools);
		CHECK(near(x.alloc->rate, y.alloc->rate));
	}
	close_filtered(&x);
	close_filtered(&y);
	tmptree_rm(dir);
}

/* What -b and -b --json print of a filtered model. */
TEST(filter_rendered)
{
	struct filtered x;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	REQUIRE(build_tree());
	if (open_filtered(&x, "hyp_e*", "1") && (f = open_memstream(&text, &len))) {
		hypmem_top_text(f, &x.m, "t", true);
		fclose(f);
		CHECK(strstr(text, "\nEvents: 1 total, ") != NULL);
		CHECK(strstr(text, "\nFilter: events hyp_e*; cpus 1\n") != NULL);
		/* Only the kept events' rows, only the kept CPU's column. */
		CHECK(strstr(text, "\nhyp_enter ") && strstr(text, "\nhyp_exit "));
		CHECK(!strstr(text, "hyp_page"));
		CHECK(strstr(text, "CPU1/INT") && !strstr(text, "CPU0/INT"));
		free(text);
		text = NULL;
		if ((f = open_memstream(&text, &len))) {
			hypmem_top_json_line(f, &x.m, "t");
			fclose(f);
			CHECK(strstr(text, ",\"filter\":{\"events\":[\"hyp_e*\"],"
					   "\"cpus\":[1]}}\n") != NULL);
			CHECK(strstr(text, "\"hyp_enter\":{\"total\":1,\"interval\":1,"
					   "\"rate\":0.5,\"per_cpu\":[0,1]}") != NULL);
			CHECK(!strstr(text, "hyp_page"));
			free(text);
		}
	}
	close_filtered(&x);
	/* Without a filter: no Filter line, no filter member. */
	if (open_filtered(&x, NULL, NULL) && (f = open_memstream(&text, &len))) {
		CHECK(!x.m.filter);
		hypmem_top_text(f, &x.m, "t", true);
		hypmem_top_json_line(f, &x.m, "t");
		fclose(f);
		CHECK(!strstr(text, "Filter") && !strstr(text, "filter"));
		CHECK(strstr(text, "CPU0/INT") && strstr(text, "hyp_page_alloc"));
		free(text);
	}
	close_filtered(&x);
	tmptree_rm(dir);
}

TEST_MAIN
