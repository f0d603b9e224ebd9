// SPDX-License-Identifier: GPL-2.0-only
/*
 * The EL2 trace writer and the host's ring-buffer reader, natively.
 *
 * The writer (lib/el2/trace.c) runs on buffers in host memory, with a clock
 * the test steps (host_trace_clock_ns) and threads playing CPUs.  Expected
 * values come from the test's own record of what it asked the writer to
 * write, and from libtraceevent's kbuffer parser, an independent decoder of
 * the page format (for events whose size is a multiple of 4: kbuffer rounds
 * long-form lengths, the pKVM writer does not; see ringbuf.c).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <kbuffer.h>

#include "el2/memory.h"
#include "el2/trace.h"
#include "hypmem/ringbuf.h"
#include "hypmem/trace.h"
#include "test.h"
#include "../lib/rng.h"

extern u64 host_trace_clock_ns;
extern __thread unsigned int host_cpu_id;

#define MAX_EXPECT 200000

struct expect {
	u64 ts;
	u16 id;
	u64 a, b;
};

static struct expect *expect;
static size_t nr_expect;
static void *area;

static void setup(unsigned int nr_cpus, unsigned int pages)
{
	u64 size = hyp_trace_area_size(nr_cpus, pages);

	free(area);
	if (posix_memalign(&area, 4096, size))
		abort();
	memset(area, 0x5a, size);
	hyp_physvirt_offset = 0;
	if (hyp_trace_setup_area(area, size, nr_cpus, pages))
		abort();
	if (!expect)
		expect = calloc(MAX_EXPECT, sizeof(*expect));
	nr_expect = 0;
}

/* Write hyp_page_alloc(a, b, b & 7) at @ts and remember it. */
static void write_alloc(u64 ts, u64 a, u64 b)
{
	host_trace_clock_ns = ts;
	trace_hyp_page_alloc(a, b, b & 7);
	expect[nr_expect++] = (struct expect){ts, HYP_EVENT_ID_hyp_page_alloc, a, b};
}

static void write_hcall(u64 ts, u32 id)
{
	host_trace_clock_ns = ts;
	trace_host_hcall(id, id & 1);
	expect[nr_expect++] = (struct expect){ts, HYP_EVENT_ID_host_hcall, id, id & 1};
}

static struct trace_buffer_meta *meta(unsigned int cpu)
{
	return hyp_trace_rb(cpu)->meta;
}

static struct buffer_data_page *page_by_id(unsigned int cpu, u32 id)
{
	return hyp_trace_rb(cpu)->bpages[id].page;
}

/* Check one decoded event against the record. */
static void check_event(size_t i, u64 ts, const u8 *p, u32 len)
{
	struct expect *e = &expect[i];
	u16 id;

	REQUIRE(i < nr_expect);
	memcpy(&id, p, 2);
	CHECK_EQ_U64(ts, e->ts);
	CHECK_EQ_U64(id, e->id);
	if (e->id == HYP_EVENT_ID_hyp_page_alloc) {
		struct remote_event_format_hyp_page_alloc ev;

		REQUIRE(len == sizeof(ev));
		memcpy(&ev, p, sizeof(ev));
		CHECK_EQ_U64(ev.pool, e->a);
		CHECK_EQ_U64(ev.pfn, e->b);
		CHECK_EQ_U64(ev.order, e->b & 7);
	} else if (e->id == HYP_EVENT_ID_host_hcall) {
		struct remote_event_format_host_hcall ev;

		REQUIRE(len == sizeof(ev));
		memcpy(&ev, p, sizeof(ev));
		CHECK_EQ_U64(ev.id, e->a);
		CHECK_EQ_U64(ev.invalid, e->b);
	}
}

struct consume {
	size_t next; /* index into expect */
	u64 lost;
	bool bad;
};

static bool consume_event(const struct hypmem_rb_event *ev, void *arg)
{
	struct consume *c = arg;

	check_event(c->next++, ev->ts, ev->payload, ev->len);
	return true;
}

/*
 * The upstream host protocol: read the reader page up to its commit, store
 * how far in meta->reader.read, swap, take meta->reader.id and the lost
 * count.  Events lost skip the same number of records.
 */
static void consume_all(unsigned int cpu, struct consume *c)
{
	/* The host's position survives in meta->reader.read between calls. */
	u32 read = meta(cpu)->reader.read, id = meta(cpu)->reader.id;

	for (int guard = 0; guard < 100000; guard++) {
		struct buffer_data_page *pg = page_by_id(cpu, id);
		u64 commit = __atomic_load_n(&pg->commit, __ATOMIC_ACQUIRE);
		struct hypmem_rb_page_info info;

		if (commit > read) {
			hypmem_rb_page_decode((const u8 *)pg, PAGE_SIZE, 8, read, consume_event, c,
					      &info);
			CHECK_EQ_U64(info.status, HYPMEM_RB_OK);
			read = info.end;
			continue;
		}
		meta(cpu)->reader.read = read;
		if (__tracing_swap_reader(cpu))
			return;
		if (meta(cpu)->reader.id == id)
			return; /* the writer is still on our page: nothing new */
		id = meta(cpu)->reader.id;
		read = 0;
		c->lost += meta(cpu)->reader.lost_events;
		c->next += meta(cpu)->reader.lost_events;
	}
	c->bad = true;
}

TEST(formats_text)
{
	struct hypmem_event_formats f;
	const struct hypmem_event_format *ev;
	const struct hypmem_event_field *fl;
	static char text[HYP_TRACE_FORMATS_SZ];
	int len = hyp_trace_format_text(text, sizeof(text));

	CHECK(len > 0 && (size_t)len < sizeof(text) - 1);
	hypmem_event_formats_init(&f);
	REQUIRE(CHECK_NO_ERR(hypmem_event_formats_parse(&f, text, (size_t)len, "hypervisor")));
	CHECK_EQ_U64(f.nr, HYP_NR_EVENTS);
	ev = hypmem_event_formats_find(&f, HYP_EVENT_ID_hyp_page_alloc);
	REQUIRE(ev);
	CHECK_STR(ev->name, "hyp_page_alloc");
	/* Offsets and sizes from the compiler, the C layout of the struct. */
	fl = hypmem_event_field_find(ev, "pfn");
	REQUIRE(fl);
	CHECK_EQ_U64(fl->offset, offsetof(struct remote_event_format_hyp_page_alloc, pfn));
	CHECK_EQ_U64(fl->size, 8);
	fl = hypmem_event_field_find(ev, "order");
	REQUIRE(fl);
	CHECK_EQ_U64(fl->offset, offsetof(struct remote_event_format_hyp_page_alloc, order));
	CHECK_EQ_U64(ev->size, offsetof(struct remote_event_format_hyp_page_alloc, order) + 1);
	CHECK(ev->segs != NULL);
	{
		struct remote_event_format_hyp_page_alloc e = {
		    {HYP_EVENT_ID_hyp_page_alloc}, 0xabc, 0x1234, 3};
		char buf[128];

		hypmem_event_print(ev, (const u8 *)&e, sizeof(e), buf, sizeof(buf));
		CHECK_STR(buf, "pool=0xabc pfn=0x1234 order=3");
	}
	ev = hypmem_event_formats_find(&f, HYP_EVENT_ID_hyp_enter);
	REQUIRE(ev);
	CHECK_EQ_U64(ev->nr_fields, 1);
	hypmem_event_formats_deinit(&f);
}

TEST(write_read_no_loss)
{
	struct consume c = {0};
	u64 ts = 1000;

	setup(1, 64);
	for (int i = 0; i < 3000; i++) {
		/* Every 100th delta needs a TIME_EXTEND (more than 27 bits). */
		ts += (i % 100 == 99) ? (1ULL << 30) + (u64)i : 7 + (u64)(i % 13);
		if (i % 3)
			write_alloc(ts, 0x1000 + i, i);
		else
			write_hcall(ts, i);
	}
	consume_all(0, &c);
	CHECK(!c.bad);
	CHECK_EQ_U64(c.next, nr_expect);
	CHECK_EQ_U64(c.lost, 0);
	CHECK_EQ_U64(meta(0)->entries, nr_expect);
	CHECK_EQ_U64(meta(0)->overrun, 0);
}

TEST(overwrite_accounting)
{
	struct consume c = {0};
	u64 ts = 5000;

	setup(1, 4); /* reader + 3 ring pages: about 300 events fit */
	for (int i = 0; i < 2000; i++)
		write_alloc(ts += 11, i, 2 * i);
	CHECK(meta(0)->overrun > 0);
	CHECK(meta(0)->pages_lost > 0);
	consume_all(0, &c);
	CHECK(!c.bad);
	/* Every event was either read or reported lost, exactly. */
	CHECK_EQ_U64(c.next, nr_expect);
	CHECK_EQ_U64(c.lost, meta(0)->overrun);
	/* Interleave writes and reads: the writer on the reader page. */
	for (int round = 0; round < 50; round++) {
		for (int i = 0; i < round * 7; i++)
			write_alloc(ts += 3, round, i);
		consume_all(0, &c);
		CHECK(!c.bad);
		CHECK_EQ_U64(c.next, nr_expect);
	}
	CHECK_EQ_U64(c.lost, meta(0)->overrun);
}

/* kbuffer (libtraceevent) against our decoder, page by page. */
static struct {
	u64 ts;
	const u8 *p;
} ours[1024];
static unsigned int kb_n;

static bool kb_collect(const struct hypmem_rb_event *ev, void *arg)
{
	(void)arg;
	if (kb_n < 1024) {
		ours[kb_n].ts = ev->ts;
		ours[kb_n].p = ev->payload;
		kb_n++;
	}
	return true;
}

static void compare_with_kbuffer(const u8 *page, bool expect_all)
{
	struct kbuffer *kb = kbuffer_alloc(KBUFFER_LSIZE_8, KBUFFER_ENDIAN_LITTLE);
	struct hypmem_rb_page_info info;
	unsigned int n = 0, k = 0;
	unsigned long long kts;
	void *kev;
	u8 *copy = malloc(PAGE_SIZE);

	REQUIRE(kb && copy);
	memcpy(copy, page, PAGE_SIZE);
	kb_n = 0;
	hypmem_rb_page_decode(page, PAGE_SIZE, 8, 0, kb_collect, NULL, &info);
	n = kb_n;
	if (expect_all)
		CHECK_EQ_U64(info.status, HYPMEM_RB_OK);
	REQUIRE(kbuffer_load_subbuffer(kb, copy) == 0);
	for (kev = kbuffer_read_event(kb, &kts); kev; kev = kbuffer_next_event(kb, &kts)) {
		if (k < n) {
			CHECK_EQ_U64(kts, ours[k].ts);
			CHECK(!memcmp(kev, copy + (ours[k].p - page), 2));
		}
		k++;
	}
	CHECK_EQ_U64(k, n);
	kbuffer_free(kb);
	free(copy);
}

TEST(kbuffer_agrees_on_el2_pages)
{
	u64 ts = 77;

	setup(1, 16);
	/* 40- and 16-byte events: multiples of 4, so kbuffer steps exactly. */
	for (int i = 0; i < 600; i++) {
		ts += (i % 50 == 0) ? (3ULL << 28) : 1 + (u64)i;
		if (i & 1)
			write_alloc(ts, i, i * 3);
		else
			write_hcall(ts, i);
	}
	for (u32 id = 1; id < 16; id++)
		if (page_by_id(0, id)->commit)
			compare_with_kbuffer((const u8 *)page_by_id(0, id), true);
}

TEST(kbuffer_agrees_on_hand_built_pages)
{
	u8 page[PAGE_SIZE], payload[200];
	struct hypmem_rb_writer w;
	u64 ts = 1ULL << 40;

	for (unsigned int i = 0; i < sizeof(payload); i++)
		payload[i] = (u8)(i * 7);
	hypmem_rb_writer_start(&w, page, sizeof(page), ts);
	/* Short forms of every length, the long form above 112 bytes, extends. */
	for (u32 len = 2; len <= 200; len += 2) {
		ts += (len % 20 == 0) ? (1ULL << 33) : len;
		payload[0] = (u8)len;
		if (!hypmem_rb_writer_add(&w, ts, payload, len))
			break;
	}
	hypmem_rb_writer_finish(&w, 0);
	compare_with_kbuffer(page, true);

	/* A TIME_STAMP record and sized padding, written by hand. */
	{
		u8 *d = page + 16;
		u32 off = 0, v;

		memset(page, 0, sizeof(page));
		memcpy(page, &(u64){5000}, 8);
		v = 2 | (10u << 5); /* short form, 8 bytes, delta 10 */
		memcpy(d + off, &v, 4);
		memcpy(d + off + 4, "\x05\x00xxxxx", 8);
		off += 12;
		v = 29 | (1u << 5); /* padding, delta 1, 12 more bytes */
		memcpy(d + off, &v, 4);
		v = 12;
		memcpy(d + off + 4, &v, 4);
		off += 16;
		v = 31 | ((123456u & ((1u << 27) - 1)) << 5); /* absolute stamp */
		memcpy(d + off, &v, 4);
		v = 0;
		memcpy(d + off + 4, &v, 4);
		off += 8;
		v = 1 | (4u << 5);
		memcpy(d + off, &v, 4);
		memcpy(d + off + 4, "\x06\x00\x01\x02", 4);
		off += 8;
		memcpy(page + 8, &(u64){off}, 8);
		compare_with_kbuffer(page, true);
	}
}

static bool unaligned_cb(const struct hypmem_rb_event *ev, void *arg)
{
	unsigned int *n = arg;

	CHECK_EQ_U64(ev->len, 2);
	CHECK_EQ_U64(hypmem_event_id(ev->payload),
		     *n % 2 ? HYP_EVENT_ID_hyp_exit : HYP_EVENT_ID_hyp_enter);
	(*n)++;
	return true;
}

TEST(unaligned_remote_events)
{
	/* hyp_enter is 10 bytes: the next header is not 4-byte aligned. */
	struct hypmem_rb_page_info info;
	unsigned int n = 0;

	setup(1, 4);
	for (int i = 0; i < 100; i++) {
		host_trace_clock_ns = 1000 + (u64)i;
		trace_hyp_enter();
		trace_hyp_exit();
	}
	hypmem_rb_page_decode((const u8 *)page_by_id(0, 1), PAGE_SIZE, 8, 0, unaligned_cb, &n,
			      &info);
	CHECK_EQ_U64(info.status, HYPMEM_RB_OK);
	CHECK_EQ_U64(n, 200);
	CHECK_EQ_U64(info.size, 200 * 10);
}

TEST(hostile_pages)
{
	u8 page[PAGE_SIZE];
	struct hypmem_rb_page_info info;
	u64 x = 88172645463325252ULL;

	/* Commit beyond the page. */
	memset(page, 0, sizeof(page));
	memcpy(page + 8, &(u64){5000}, 8);
	CHECK_EQ_U64(hypmem_rb_page_decode(page, sizeof(page), 8, 0, NULL, NULL, &info),
		     HYPMEM_RB_BAD_COMMIT);
	/* Truncated commit: ends inside an event. */
	memcpy(page + 8, &(u64){6}, 8);
	page[16] = 0; /* long form */
	memcpy(page + 20, &(u32){40}, 4);
	CHECK_EQ_U64(hypmem_rb_page_decode(page, sizeof(page), 8, 0, NULL, NULL, &info),
		     HYPMEM_RB_TRUNCATED);
	/* Long form claiming more than the page. */
	memcpy(page + 8, &(u64){64}, 8);
	memcpy(page + 20, &(u32){0xfffffff0}, 4);
	CHECK_EQ_U64(hypmem_rb_page_decode(page, sizeof(page), 8, 0, NULL, NULL, &info),
		     HYPMEM_RB_TRUNCATED);
	/* Missed events with a stored count after the data. */
	memset(page, 0, sizeof(page));
	memcpy(page + 8, &(u64){8 | (3ULL << 30)}, 8);
	memcpy(page + 16, &(u32){1}, 4);
	memcpy(page + 20, "\x01\x00zz", 4);
	memcpy(page + 24, &(u64){4242}, 8);
	CHECK_EQ_U64(hypmem_rb_page_decode(page, sizeof(page), 8, 0, NULL, NULL, &info),
		     HYPMEM_RB_OK);
	CHECK(info.missed_events && info.missed_stored);
	CHECK_EQ_U64(info.missed, 4242);
	CHECK_EQ_U64(info.nr_events, 1);
	/* Random bytes: any status, never out of bounds (ASan checks). */
	for (int round = 0; round < 2000; round++) {
		for (size_t i = 0; i < sizeof(page); i += 8) {
			test_rng_next(&x);
			memcpy(page + i, &x, 8);
		}
		if (round & 1)
			memcpy(page + 8, &(u64){x % 5000}, 8);
		hypmem_rb_page_decode(page, sizeof(page), 8, 0, NULL, NULL, &info);
		CHECK(info.end <= PAGE_SIZE - 16);
	}
}

static void *cpu_thread(void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg;

	host_cpu_id = cpu;
	for (int i = 0; i < 20000; i++)
		trace_host_smc(((u64)cpu << 32) | (u64)i, 0);
	return NULL;
}

struct smc_check {
	unsigned int cpu;
	u64 *expect_seq, *got;
	bool *order_ok;
};

static bool smc_cb(const struct hypmem_rb_event *ev, void *arg)
{
	struct smc_check *sc = arg;
	struct remote_event_format_host_smc e;

	memcpy(&e, ev->payload, sizeof(e));
	*sc->order_ok &= (e.id >> 32) == sc->cpu && (e.id & 0xffffffff) == *sc->expect_seq;
	(*sc->expect_seq)++;
	(*sc->got)++;
	return true;
}

TEST(per_cpu_buffers_threads)
{
	pthread_t th[4];
	struct consume c[4];

	host_trace_clock_ns = 0; /* real clock */
	setup(4, 64);
	for (unsigned int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, cpu_thread, (void *)(uintptr_t)i);
	for (unsigned int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (unsigned int cpu = 0; cpu < 4; cpu++) {
		u64 got = 0, expect_seq = 0;
		u32 read = 0, id = meta(cpu)->reader.id;
		bool order_ok = true;

		memset(&c[cpu], 0, sizeof(c[cpu]));
		CHECK_EQ_U64(meta(cpu)->entries, 20000);
		for (int guard = 0; guard < 10000; guard++) {
			struct buffer_data_page *pg = page_by_id(cpu, id);
			struct hypmem_rb_page_info info;
			if (pg->commit > read) {
				struct smc_check sc = {cpu, &expect_seq, &got, &order_ok};

				hypmem_rb_page_decode((const u8 *)pg, PAGE_SIZE, 8, read, smc_cb,
						      &sc, &info);
				read = info.end;
				continue;
			}
			meta(cpu)->reader.read = read;
			if (__tracing_swap_reader(cpu) || meta(cpu)->reader.id == id)
				break;
			id = meta(cpu)->reader.id;
			read = 0;
			expect_seq += meta(cpu)->reader.lost_events;
			c[cpu].lost += meta(cpu)->reader.lost_events;
		}
		CHECK(order_ok);
		CHECK_EQ_U64(got + c[cpu].lost, 20000);
		CHECK_EQ_U64(c[cpu].lost, meta(cpu)->overrun);
	}
}

TEST_MAIN
