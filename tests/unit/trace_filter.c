// SPDX-License-Identifier: GPL-2.0-only
/*
 * trace_filter: event globs, CPU lists and the time window, decided per
 * record and counted; lost-event records never dropped for their name.
 */
#include <string.h>

#include "hypmem/trace_filter.h"
#include "test.h"

static const char formats_text[] =
    "name: hyp_enter\nID: 0\nformat:\n"
    "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n"
    "print fmt: \"\"\n"
    "name: hyp_exit\nID: 1\nformat:\n"
    "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n"
    "print fmt: \"\"\n"
    "name: hyp_page_alloc\nID: 5\nformat:\n"
    "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n"
    "print fmt: \"\"\n";

static struct hypmem_trace_rec ev(uint32_t cpu, uint64_t ts, uint32_t id)
{
	return (struct hypmem_trace_rec){
	    .kind = HYPMEM_TRACE_EVENT, .cpu = cpu, .ts = ts, .id = id};
}

static struct hypmem_trace_rec lost(uint32_t cpu, uint64_t ts, uint64_t n)
{
	return (struct hypmem_trace_rec){
	    .kind = HYPMEM_TRACE_LOST, .cpu = cpu, .ts = ts, .lost = n};
}

static void bind(struct hypmem_trace_filter *f, struct hypmem_event_formats *fm)
{
	hypmem_event_formats_init(fm);
	REQUIRE(
	    !hypmem_event_formats_parse(fm, formats_text, sizeof(formats_text) - 1, "hypervisor"));
	REQUIRE(!hypmem_trace_filter_bind(f, fm));
}

TEST(events_globs_and_lists)
{
	struct hypmem_trace_filter f;
	struct hypmem_event_formats fm;
	struct hypmem_trace_rec r;

	memset(&f, 0, sizeof(f));
	CHECK(!hypmem_trace_filter_active(&f));
	REQUIRE(!hypmem_trace_filter_events(&f, "hyp_page_*"));
	REQUIRE(!hypmem_trace_filter_events(&f, "hyp_exit,nothing_else*"));
	CHECK(hypmem_trace_filter_active(&f));
	hypmem_event_formats_init(&fm);
	REQUIRE(
	    !hypmem_event_formats_parse(&fm, formats_text, sizeof(formats_text) - 1, "hypervisor"));
	/* A pattern that matches no event is an error naming it. */
	{
		struct hypmem_error *err = hypmem_trace_filter_bind(&f, &fm);

		CHECK(err && err->code == HYPMEM_ERROR_LOOKUP &&
		      strstr(err->message, "nothing_else*"));
		hypmem_error_destroy(err);
	}
	hypmem_trace_filter_deinit(&f);
	memset(&f, 0, sizeof(f));
	REQUIRE(!hypmem_trace_filter_events(&f, "hyp_page_*,hyp_exit"));
	REQUIRE(!hypmem_trace_filter_bind(&f, &fm));
	r = ev(0, 1, 5);
	CHECK(hypmem_trace_filter_match(&f, &r));
	r = ev(0, 2, 1);
	CHECK(hypmem_trace_filter_match(&f, &r));
	r = ev(0, 3, 0);
	CHECK(!hypmem_trace_filter_match(&f, &r));
	r = ev(0, 4, 77); /* an id without a format */
	CHECK(!hypmem_trace_filter_match(&f, &r));
	r = lost(0, 5, 40);
	CHECK(hypmem_trace_filter_match(&f, &r));
	CHECK(f.events_out == 2 && f.lost_out == 0);
	hypmem_trace_filter_deinit(&f);
	hypmem_event_formats_deinit(&fm);
}

TEST(bad_input)
{
	struct hypmem_trace_filter f;
	const char *cpus[] = {"", "x", "1-", "3-1", "0,,1", "64", "0-99999", "1 "};
	const char *times[] = {"", ".5", "1.2.3", "1.0000000001", "x", "-1", "99999999999999"};

	memset(&f, 0, sizeof(f));
	for (size_t i = 0; i < sizeof(cpus) / sizeof(cpus[0]); i++) {
		struct hypmem_error *err = hypmem_trace_filter_cpus(&f, cpus[i]);

		CHECK(err && err->code == HYPMEM_ERROR_INVALID_ARGUMENT);
		hypmem_error_destroy(err);
	}
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		struct hypmem_error *err = hypmem_trace_filter_window(&f, times[i], NULL);

		CHECK(err && err->code == HYPMEM_ERROR_INVALID_ARGUMENT);
		hypmem_error_destroy(err);
	}
	{
		struct hypmem_error *err = hypmem_trace_filter_events(&f, "a,,b");

		CHECK(err && err->code == HYPMEM_ERROR_INVALID_ARGUMENT);
		hypmem_error_destroy(err);
	}
	hypmem_trace_filter_deinit(&f);
}

TEST(cpus_and_window)
{
	struct hypmem_trace_filter f;
	struct hypmem_event_formats fm;
	struct hypmem_trace_rec r;

	memset(&f, 0, sizeof(f));
	REQUIRE(!hypmem_trace_filter_cpus(&f, "0,2-3"));
	/* As printed with microseconds, rounded: 2.170313 is [2.1703125, 2.1703135). */
	REQUIRE(!hypmem_trace_filter_window(&f, "2.170313", "3"));
	bind(&f, &fm);
	r = ev(1, 2500000000ULL, 0);
	CHECK(!hypmem_trace_filter_match(&f, &r)); /* CPU 1 */
	r = ev(2, 2170312500ULL, 0);
	CHECK(hypmem_trace_filter_match(&f, &r)); /* printed 2.170313 */
	r = ev(3, 2170312499ULL, 0);
	CHECK(!hypmem_trace_filter_match(&f, &r)); /* printed 2.170312 */
	r = ev(0, 3499999999ULL, 1);
	CHECK(hypmem_trace_filter_match(&f, &r)); /* printed 3 with no decimals */
	r = ev(0, 3500000000ULL, 1);
	CHECK(!hypmem_trace_filter_match(&f, &r)); /* rounds to 4 */
	/* Lost records pass or are counted by CPU and time, never by name. */
	r = lost(1, 2500000000ULL, 7);
	CHECK(!hypmem_trace_filter_match(&f, &r));
	r = lost(0, 1, HYPMEM_TRACE_LOST_UNKNOWN);
	CHECK(!hypmem_trace_filter_match(&f, &r));
	r = lost(2, 2600000000ULL, 9);
	CHECK(hypmem_trace_filter_match(&f, &r));
	CHECK(f.events_out == 3 && f.lost_out == 2 && f.lost_events_out == 7);
	hypmem_trace_filter_deinit(&f);
	hypmem_event_formats_deinit(&fm);
}

/* The words a screen shows: patterns as given, CPUs folded into ranges. */
TEST(describe)
{
	struct hypmem_trace_filter f;
	char buf[64], tiny[8];

	memset(&f, 0, sizeof(f));
	CHECK_EQ_U64(hypmem_trace_filter_describe(&f, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "");
	REQUIRE(!hypmem_trace_filter_events(&f, "hyp_*"));
	CHECK_EQ_U64(hypmem_trace_filter_describe(&f, buf, sizeof(buf)), 12);
	CHECK_STR(buf, "events hyp_*");
	REQUIRE(!hypmem_trace_filter_events(&f, "host_smc,hyp_exit"));
	REQUIRE(!hypmem_trace_filter_cpus(&f, "7,0-2,4"));
	REQUIRE(!hypmem_trace_filter_cpus(&f, "3,63"));
	hypmem_trace_filter_describe(&f, buf, sizeof(buf));
	CHECK_STR(buf, "events hyp_*,host_smc,hyp_exit; cpus 0-4,7,63");
	/* Cut to the buffer, the whole length still counted. */
	CHECK_EQ_U64(hypmem_trace_filter_describe(&f, tiny, sizeof(tiny)), strlen(buf));
	CHECK_STR(tiny, "events ");
	CHECK_EQ_U64(hypmem_trace_filter_describe(&f, NULL, 0), strlen(buf));
	hypmem_trace_filter_deinit(&f);
	memset(&f, 0, sizeof(f));
	REQUIRE(!hypmem_trace_filter_cpus(&f, "1"));
	hypmem_trace_filter_describe(&f, buf, sizeof(buf));
	CHECK_STR(buf, "cpus 1");
	REQUIRE(!hypmem_trace_filter_cpus(&f, "62-63"));
	hypmem_trace_filter_describe(&f, buf, sizeof(buf));
	CHECK_STR(buf, "cpus 1,62-63");
	hypmem_trace_filter_deinit(&f);
}

TEST_MAIN
