// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the ring-buffer page decoder (lib/hypmem/ringbuf.c) on
 * pages assembled here byte by byte from the format (include/linux/
 * ring_buffer.h's record types: a 5-bit type_len and a 27-bit time delta
 * per header).  Offsets, timestamps and counts are worked out by hand.
 */
#include <stdint.h>
#include <string.h>

#include "hypmem/ringbuf.h"
#include "test.h"

static uint8_t page[4096];

static void put32(size_t off, uint32_t v)
{
	memcpy(page + off, &v, 4);
}

static void put64(size_t off, uint64_t v)
{
	memcpy(page + off, &v, 8);
}

static uint32_t rec(uint32_t type_len, uint32_t delta)
{
	return delta << 5 | type_len;
}

#define DATA 16 /* 64-bit writer: u64 time_stamp, u64 commit */

/*
 * Data offsets: 0 a short event (8-byte payload, delta 5); 12 a time
 * extend (delta 3, high part 1); 20 a long event (40-byte payload, delta
 * 7); 68 padding of 4 bytes (delta 1); committed size 76.
 */
static void build(uint64_t commit_flags)
{
	memset(page, 0, sizeof(page));
	put64(0, 1000);
	put64(8, 76 | commit_flags);
	put32(DATA + 0, rec(2, 5));
	put32(DATA + 4, 0x0102); /* event id, then payload */
	put32(DATA + 12, rec(30, 3));
	put32(DATA + 16, 1);
	put32(DATA + 20, rec(0, 7));
	put32(DATA + 24, 44); /* array[0]: payload + 4 */
	put32(DATA + 28, 0x0203);
	put32(DATA + 68, rec(29, 1));
	put32(DATA + 72, 4);
}

struct got {
	unsigned int nr;
	uint64_t ts[4];
	uint32_t len[4], offset[4];
	unsigned int stop_after;
};

static bool collect(const struct hypmem_rb_event *ev, void *arg)
{
	struct got *g = arg;

	if (g->nr < 4) {
		g->ts[g->nr] = ev->ts;
		g->len[g->nr] = ev->len;
		g->offset[g->nr] = ev->offset;
	}
	g->nr++;
	return !g->stop_after || g->nr < g->stop_after;
}

TEST(a_page_of_each_record_type)
{
	struct hypmem_rb_page_info info;
	struct got g = {0};

	build(0);
	CHECK_EQ_U64(hypmem_rb_page_decode(page, sizeof(page), 8, 0, collect, &g, &info),
		     HYPMEM_RB_OK);
	CHECK_EQ_U64(info.data_offset, 16);
	CHECK_EQ_U64(info.size, 76);
	CHECK_EQ_U64(info.time_stamp, 1000);
	CHECK_EQ_U64(info.nr_events, 2);
	CHECK_EQ_U64(info.nr_extend, 1);
	CHECK_EQ_U64(info.nr_padding, 1);
	CHECK_EQ_U64(info.end, 76);
	REQUIRE(g.nr == 2);
	CHECK_EQ_U64(g.ts[0], 1005);
	CHECK_EQ_U64(g.len[0], 8);
	CHECK_EQ_U64(g.offset[0], 0);
	/* 1005 + (1 << 27) + 3 from the extend, + 7 of its own. */
	CHECK_EQ_U64(g.ts[1], 1005 + 134217728 + 3 + 7);
	CHECK_EQ_U64(g.len[1], 40);
	CHECK_EQ_U64(g.offset[1], 20);
	/* The padding's delta counts too. */
	CHECK_EQ_U64(info.last_ts, 1005 + 134217728 + 3 + 7 + 1);
	CHECK(!info.missed_events && !info.missed_stored);
}

TEST(from_and_stop)
{
	struct hypmem_rb_page_info info;
	struct got g = {0};

	build(0);
	hypmem_rb_page_decode(page, sizeof(page), 8, 20, collect, &g, &info);
	CHECK_EQ_U64(g.nr, 1);
	CHECK_EQ_U64(g.offset[0], 20);
	CHECK_EQ_U64(info.nr_events, 2);

	memset(&g, 0, sizeof(g));
	g.stop_after = 1;
	CHECK_EQ_U64(hypmem_rb_page_decode(page, sizeof(page), 8, 0, collect, &g, &info),
		     HYPMEM_RB_STOPPED);
	CHECK_EQ_U64(info.end, 12);
	CHECK_EQ_U64(info.last_ts, 1005);
}

TEST(missed_events_stored_after_the_data)
{
	struct hypmem_rb_page_info info;

	build(HYPMEM_RB_MISSED_EVENTS | HYPMEM_RB_MISSED_STORED);
	put64(DATA + 76, 4242);
	CHECK_EQ_U64(hypmem_rb_page_decode(page, sizeof(page), 8, 0, NULL, NULL, &info),
		     HYPMEM_RB_OK);
	CHECK(info.missed_events);
	CHECK(info.missed_stored);
	CHECK_EQ_U64(info.missed, 4242);
	CHECK_EQ_U64(info.size, 76);
}

TEST(damage)
{
	struct hypmem_rb_page_info info;

	/* Commit past the page: the size is clamped to the data area. */
	build(0);
	put64(8, 5000);
	CHECK_EQ_U64(hypmem_rb_page_decode(page, sizeof(page), 8, 0, NULL, NULL, &info),
		     HYPMEM_RB_BAD_COMMIT);
	CHECK_EQ_U64(info.size, 4096 - 16);

	/* Commit ends inside the padding record at 68. */
	build(0);
	put64(8, 70);
	CHECK_EQ_U64(hypmem_rb_page_decode(page, sizeof(page), 8, 0, NULL, NULL, &info),
		     HYPMEM_RB_TRUNCATED);
	CHECK_EQ_U64(info.bad_offset, 68);
	CHECK_EQ_U64(info.nr_events, 2);

	/* A long event whose length is below its own length word. */
	build(0);
	put32(DATA + 24, 3);
	CHECK_EQ_U64(hypmem_rb_page_decode(page, sizeof(page), 8, 0, NULL, NULL, &info),
		     HYPMEM_RB_BAD_LENGTH);
	CHECK_EQ_U64(info.bad_offset, 20);

	/* A long event of one payload byte: no room for an event id. */
	build(0);
	put32(DATA + 24, 5);
	put64(8, 20 + 8 + 1);
	CHECK_EQ_U64(hypmem_rb_page_decode(page, sizeof(page), 8, 0, NULL, NULL, &info),
		     HYPMEM_RB_SHORT_PAYLOAD);
	CHECK_EQ_U64(info.bad_offset, 20);

	/* A page shorter than its own header. */
	CHECK_EQ_U64(hypmem_rb_page_decode(page, 10, 8, 0, NULL, NULL, &info),
		     HYPMEM_RB_BAD_COMMIT);
}

/* A 32-bit writer: the commit is a u32 and data start at 12. */
TEST(long_size_4)
{
	struct hypmem_rb_page_info info;
	struct got g = {0};

	memset(page, 0, sizeof(page));
	put64(0, 50);
	put32(8, 8);
	put32(12, rec(1, 2));
	put32(16, 0x0304);
	CHECK_EQ_U64(hypmem_rb_page_decode(page, sizeof(page), 4, 0, collect, &g, &info),
		     HYPMEM_RB_OK);
	CHECK_EQ_U64(info.data_offset, 12);
	REQUIRE(g.nr == 1);
	CHECK_EQ_U64(g.ts[0], 52);
	CHECK_EQ_U64(g.len[0], 4);
	CHECK_STR(hypmem_rb_status_name(HYPMEM_RB_OK), "ok");
}

TEST_MAIN
