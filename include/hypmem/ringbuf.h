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

#endif /* HYPMEM_RINGBUF_H */
