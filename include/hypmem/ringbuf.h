/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Ring-buffer pages: decoding one sub-buffer of the Linux tracing ring
 * buffer (kernel ftrace pages, tracefs trace_pipe_raw pages and the pKVM
 * hypervisor's "trace remote" pages all share the format).
 *
 * A page is untrusted bytes (a hostile or crashed writer may leave anything):
 * the commit size is checked against the page, every event length against
 * what is left of the committed data, and decoding stops at the first event
 * that does not fit, reporting where and why.  Nothing here allocates.
 *
 * What this module leaves to others: what an event's payload means
 * (events.h), where pages come from and in which order (trace.h).
 *
 * Format facts (little-endian, 64-bit writer unless long_size is 4):
 *   page   u64 time_stamp; long commit (bits 30/31: missed-events flags);
 *          data[] from offset 8 + long_size
 *   event  u32 header: type_len = bits 0-4, time_delta = bits 5-31
 *          0      long form: u32 array[0] = payload + 4, payload after it
 *          1..28  short form: payload of type_len * 4 bytes
 *          29     padding (delta 0: rest of page; else array[0] + 4 bytes)
 *          30     time extend: delta += array[0] << 27
 *          31     absolute time stamp (59 bits, top bits kept from before)
 */
#ifndef HYPMEM_RINGBUF_H
#define HYPMEM_RINGBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HYPMEM_RB_MISSED_EVENTS (1ULL << 31)
#define HYPMEM_RB_MISSED_STORED (1ULL << 30)
#define HYPMEM_RB_SIZE_MASK	((1ULL << 30) - 1)

enum hypmem_rb_status {
	HYPMEM_RB_OK = 0,	 /* decoded up to commit (or null padding) */
	HYPMEM_RB_BAD_COMMIT,	 /* commit size larger than the page's data area */
	HYPMEM_RB_TRUNCATED,	 /* an event header or body runs past commit */
	HYPMEM_RB_BAD_LENGTH,	 /* long-form length below 4 */
	HYPMEM_RB_SHORT_PAYLOAD, /* a data event too short for an event id */
	HYPMEM_RB_STOPPED,	 /* the callback asked to stop */
};

/* What a page said about itself, and how decoding ended. */
struct hypmem_rb_page_info {
	uint64_t time_stamp;
	uint64_t commit_raw;  /* the commit word as stored */
	uint32_t data_offset; /* 16 (or 12 with 4-byte longs) */
	uint32_t size;	      /* committed data bytes, clamped to the page */
	bool missed_events;   /* RB_MISSED_EVENTS */
	bool missed_stored;   /* RB_MISSED_STORED: missed holds the count */
	uint64_t missed;      /* lost events before this page, if stored */
	uint32_t nr_events;   /* data events delivered */
	uint32_t nr_padding, nr_extend, nr_stamp;
	uint64_t last_ts; /* timestamp after the last record decoded */
	uint32_t end;	  /* data offset where decoding stopped */
	enum hypmem_rb_status status;
	uint32_t bad_offset; /* data offset of the offending record */
};

/* One data event: @payload is inside the page buffer (borrowed). */
struct hypmem_rb_event {
	uint64_t ts;
	const uint8_t *payload;
	uint32_t len;
	uint32_t offset; /* data offset of the event header */
};

/* Return true to go on, false to stop (status HYPMEM_RB_STOPPED). */
typedef bool (*hypmem_rb_event_fn)(const struct hypmem_rb_event *ev, void *arg);

/**
 * hypmem_rb_page_decode() - Walk the events of one page.
 * @page: the page bytes (borrowed, read only).
 * @page_len: their number (normally 4096).
 * @long_size: 8 for a 64-bit writer, 4 for 32-bit.
 * @from: deliver only events at data offset >= @from (timestamps are still
 *        computed from the start of the page); 0 for all.
 * @fn: called for each data event; may be NULL (count only).
 * @arg: passed to @fn.
 * @info: filled.
 *
 * Return: @info->status; HYPMEM_RB_OK when every committed byte decoded.
 */
enum hypmem_rb_status hypmem_rb_page_decode(const uint8_t *page, size_t page_len,
					    unsigned int long_size, uint32_t from,
					    hypmem_rb_event_fn fn, void *arg,
					    struct hypmem_rb_page_info *info);

/** hypmem_rb_status_name() - "ok", "bad commit", ... for messages. */
const char *hypmem_rb_status_name(enum hypmem_rb_status status);

/* --- writing pages (trace.dat, tests) --- */

/* An encoder of kernel-format pages: 4-byte aligned events, short form. */
struct hypmem_rb_writer {
	uint8_t *page; /* caller's buffer of page_len bytes */
	uint32_t page_len;
	uint32_t write; /* data bytes used */
	uint64_t last_ts;
	uint32_t nr_events;
	/*
	 * Data bytes kept free at the end (0 after start): set it to 8 for a
	 * page that will carry a missed-events count, so that the count is
	 * stored (RB_MISSED_STORED) and not only flagged.
	 */
	uint32_t reserve;
	/*
	 * Keep payload lengths exact (false after start): a length that is no
	 * multiple of 4 goes in the long form unrounded, as the pKVM writer
	 * stores it, instead of rounded up as trace-cmd's reader needs.
	 */
	bool exact;
};

/** hypmem_rb_writer_start() - Begin a page whose time_stamp is @ts. */
void hypmem_rb_writer_start(struct hypmem_rb_writer *w, uint8_t *page, uint32_t page_len,
			    uint64_t ts);

/**
 * hypmem_rb_writer_add() - Append an event.
 * Return: false if it does not fit, or its time is before the previous
 * event's (finish the page and start another at that time).
 */
bool hypmem_rb_writer_add(struct hypmem_rb_writer *w, uint64_t ts, const uint8_t *payload,
			  uint32_t len);

/**
 * hypmem_rb_writer_finish() - Store commit, and if @lost the missed-events
 * flag with the count when there is room for it (UINT64_MAX: unknown,
 * flagged only).
 */
void hypmem_rb_writer_finish(struct hypmem_rb_writer *w, uint64_t lost);

#endif /* HYPMEM_RINGBUF_H */
