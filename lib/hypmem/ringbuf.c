// SPDX-License-Identifier: GPL-2.0-only
/*
 * Decoding one ring-buffer page (see include/hypmem/ringbuf.h).
 *
 * One cursor {pos, end} over the committed data and one switch per record
 * type.  Every read is preceded by "end - pos < n" (no overflow); the cursor
 * advances only after the record was fully checked.
 *
 * Long-form lengths are taken exactly (array[0] + 4 bytes of event), as the
 * kernel reads them: the pKVM writer does not round payloads to 4 bytes, so
 * a reader that rounds (libtraceevent's kbuffer does) would mis-step after
 * a 10-byte hyp_enter event.  Padding with a non-zero delta advances the
 * clock, as kbuffer does (the kernel's own consuming reader does not; EL2
 * writers never pad).
 */
#include <string.h>

#include "hypmem/ringbuf.h"

#define TYPE_PADDING	 29
#define TYPE_TIME_EXTEND 30
#define TYPE_TIME_STAMP	 31
#define TS_SHIFT	 27
#define TS_BITS		 59

static inline uint32_t le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

static inline uint64_t le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static uint64_t load_long(const uint8_t *p, unsigned int long_size)
{
	return long_size == 4 ? le32(p) : le64(p);
}

static void read_header(const uint8_t *page, size_t page_len, unsigned int long_size,
			struct hypmem_rb_page_info *info)
{
	uint32_t hdr = 8 + long_size;
	uint64_t size;

	memset(info, 0, sizeof(*info));
	info->data_offset = hdr;
	if (page_len < hdr) {
		info->status = HYPMEM_RB_BAD_COMMIT;
		return;
	}
	info->time_stamp = le64(page);
	info->commit_raw = load_long(page + 8, long_size);
	info->missed_events = info->commit_raw & HYPMEM_RB_MISSED_EVENTS;
	info->missed_stored = info->commit_raw & HYPMEM_RB_MISSED_STORED;
	size = info->commit_raw & HYPMEM_RB_SIZE_MASK;
	if (size > page_len - hdr) {
		info->status = HYPMEM_RB_BAD_COMMIT;
		info->bad_offset = 0;
		size = page_len - hdr;
	}
	info->size = (uint32_t)size;
	/* The lost-event count sits right after the last event. */
	if (info->missed_stored && page_len - hdr - size >= long_size)
		info->missed = load_long(page + hdr + size, long_size);
	info->last_ts = info->time_stamp;
}

enum hypmem_rb_status hypmem_rb_page_decode(const uint8_t *page, size_t page_len,
					    unsigned int long_size, uint32_t from,
					    hypmem_rb_event_fn fn, void *arg,
					    struct hypmem_rb_page_info *info)
{
	const uint8_t *data, *pos, *end;
	uint64_t ts;

	read_header(page, page_len, long_size, info);
	if (info->status)
		return info->status;
	data = page + info->data_offset;
	pos = data;
	end = data + info->size;
	ts = info->time_stamp;

	while (end - pos >= 4) {
		uint32_t w = le32(pos), type = w & 0x1f, delta = w >> 5;
		struct hypmem_rb_event ev;
		uint32_t len, skip;

		switch (type) {
		case TYPE_PADDING:
			if (!delta) {
				/* Null padding: nothing valid after it on this page. */
				info->nr_padding++;
				pos = end;
				continue;
			}
			if (end - pos < 8)
				goto truncated;
			len = le32(pos + 4);
			if ((uint64_t)(end - pos - 4) < len)
				goto truncated;
			ts += delta;
			info->nr_padding++;
			pos += 4 + len;
			continue;
		case TYPE_TIME_EXTEND:
			if (end - pos < 8)
				goto truncated;
			ts += ((uint64_t)le32(pos + 4) << TS_SHIFT) + delta;
			info->nr_extend++;
			pos += 8;
			continue;
		case TYPE_TIME_STAMP: {
			uint64_t abs;

			if (end - pos < 8)
				goto truncated;
			abs = ((uint64_t)le32(pos + 4) << TS_SHIFT) + delta;
			abs &= (1ULL << TS_BITS) - 1;
			ts = (ts & ~((1ULL << TS_BITS) - 1)) | abs;
			info->nr_stamp++;
			pos += 8;
			continue;
		}
		case 0:
			if (end - pos < 8)
				goto truncated;
			len = le32(pos + 4);
			if (len < 4) {
				info->status = HYPMEM_RB_BAD_LENGTH;
				goto stop;
			}
			len -= 4;
			skip = 8;
			break;
		default:
			len = type * 4;
			skip = 4;
			break;
		}
		if ((uint64_t)(end - pos - skip) < len)
			goto truncated;
		if (len < 2) {
			info->status = HYPMEM_RB_SHORT_PAYLOAD;
			goto stop;
		}
		ts += delta;
		info->nr_events++;
		if (fn && (uint32_t)(pos - data) >= from) {
			ev.ts = ts;
			ev.payload = pos + skip;
			ev.len = len;
			ev.offset = (uint32_t)(pos - data);
			if (!fn(&ev, arg)) {
				pos += skip + len;
				info->status = HYPMEM_RB_STOPPED;
				info->last_ts = ts;
				info->end = (uint32_t)(pos - data);
				return info->status;
			}
		}
		pos += skip + len;
	}
	if (pos != end)
		goto truncated;
	info->last_ts = ts;
	info->end = (uint32_t)(pos - data);
	return HYPMEM_RB_OK;

truncated:
	info->status = HYPMEM_RB_TRUNCATED;
stop:
	info->bad_offset = (uint32_t)(pos - data);
	info->last_ts = ts;
	info->end = (uint32_t)(pos - data);
	return info->status;
}

const char *hypmem_rb_status_name(enum hypmem_rb_status status)
{
	switch (status) {
	case HYPMEM_RB_OK:
		return "ok";
	case HYPMEM_RB_BAD_COMMIT:
		return "commit larger than the page";
	case HYPMEM_RB_TRUNCATED:
		return "event runs past the committed data";
	case HYPMEM_RB_BAD_LENGTH:
		return "long-form event length below 4";
	case HYPMEM_RB_SHORT_PAYLOAD:
		return "event too short for an event id";
	case HYPMEM_RB_STOPPED:
		return "stopped";
	}
	return "?";
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

/* --- the page encoder --- */

void hypmem_rb_writer_start(struct hypmem_rb_writer *w, uint8_t *page, uint32_t page_len,
			    uint64_t ts)
{
	memset(page, 0, page_len);
	put_le64(page, ts);
	w->page = page;
	w->page_len = page_len;
	w->write = 0;
	w->last_ts = ts;
	w->nr_events = 0;
	w->reserve = 0;
	w->exact = false;
}

bool hypmem_rb_writer_add(struct hypmem_rb_writer *w, uint64_t ts, const uint8_t *payload,
			  uint32_t len)
{
	uint32_t len4 = (len + 3) & ~3U, size, ext;
	uint64_t delta = ts - w->last_ts;
	bool exact = w->exact && len != len4;
	uint8_t *p;

	/* A time before the last (a writer's clock that jumped back): new page. */
	if (len > 1 << 20 || ts < w->last_ts)
		return false;
	if (exact)
		len4 = len;
	size = len4 <= 112 && !exact ? 4 + len4 : 8 + len4;
	ext = delta >> 27 ? 8 : 0;
	if ((uint64_t)w->write + ext + size + w->reserve > w->page_len - 16)
		return false;
	p = w->page + 16 + w->write;
	if (ext) {
		put_le32(p, 30 | (uint32_t)((delta & ((1U << 27) - 1)) << 5));
		put_le32(p + 4, (uint32_t)(delta >> 27));
		p += 8;
		delta = 0;
	}
	if (len4 <= 112 && !exact) {
		put_le32(p, len4 / 4 | (uint32_t)(delta << 5));
		memcpy(p + 4, payload, len);
	} else {
		put_le32(p, (uint32_t)(delta << 5));
		put_le32(p + 4, len4 + 4);
		memcpy(p + 8, payload, len);
	}
	w->write += ext + size;
	w->last_ts = ts;
	w->nr_events++;
	return true;
}

void hypmem_rb_writer_finish(struct hypmem_rb_writer *w, uint64_t lost)
{
	uint64_t commit = w->write;

	if (lost) {
		commit |= HYPMEM_RB_MISSED_EVENTS;
		if (w->page_len - 16 - w->write >= 8 && lost != UINT64_MAX) {
			commit |= HYPMEM_RB_MISSED_STORED;
			put_le64(w->page + 16 + w->write, lost);
		}
	}
	put_le64(w->page + 8, commit);
}
