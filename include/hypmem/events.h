/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Event formats: what the payload of each trace event id means, learnt from
 * tracefs-style "format" text (events/<system>/<event>/format, or text
 * written from a dump's DWARF event structs), never from a compiled-in
 * table.
 *
 *   name: hyp_page_alloc
 *   ID: 5
 *   format:
 *   <TAB>field:unsigned short common_type;<TAB>offset:0;<TAB>size:2;<TAB>signed:0;
 *   ...
 *   print fmt: "pool=0x%llx pfn=0x%llx order=%u", REC->pool, REC->pfn, REC->order
 *
 * The text is untrusted: every number is range-checked, fields that do not
 * fit a payload read as absent.  The print format is compiled once into
 * segments (literal text, one conversion, one field); a print format this
 * module cannot evaluate (expressions, helpers) falls back to "field=value"
 * pairs, never to an error.
 *
 * What this module leaves to others: finding the text (trace.c), decoding
 * pages (ringbuf.c).
 */
#ifndef HYPMEM_EVENTS_H
#define HYPMEM_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hypmem/error.h"

struct hypmem_event_field {
	char *name; /* owned; array suffix stripped */
	char *type; /* owned, e.g. "u64", "unsigned short", "char" */
	uint32_t offset, size;
	uint32_t array_len; /* 0 if not an array */
	bool is_signed;
	bool is_common; /* common_* fields */
};

struct hypmem_print_seg {
	char *text;    /* literal text before the conversion (owned) */
	char spec[16]; /* printf conversion, "" for the trailing literal */
	int field;     /* index into fields, -1 for none */
};

struct hypmem_event_format {
	char *name;   /* owned */
	char *system; /* owned, e.g. "hypervisor" */
	uint32_t id;
	struct hypmem_event_field *fields; /* owned, nr_fields */
	size_t nr_fields;
	char *print_fmt;	       /* owned, as written after "print fmt: " */
	struct hypmem_print_seg *segs; /* compiled print fmt, NULL: fallback */
	size_t nr_segs;
	uint32_t size; /* end of the last field: the payload size */
};

struct hypmem_event_formats {
	struct hypmem_event_format *events; /* owned, sorted by id */
	size_t nr, cap;
};

void hypmem_event_formats_init(struct hypmem_event_formats *f);
void hypmem_event_formats_deinit(struct hypmem_event_formats *f);

/**
 * hypmem_event_formats_parse() - Add the events described by @text.
 * @f: the set.
 * @text: one or more format texts, each starting with a "name:" line.
 * @len: bytes of @text (need not be NUL-terminated).
 * @system: the system name to record ("hypervisor").
 *
 * Return: NULL; HYPMEM_ERROR_FORMAT naming the line for text that is not a
 * format description (no "name:", no "ID:", a malformed field line), or a
 * duplicate id; HYPMEM_ERROR_NO_MEMORY.
 */
struct hypmem_error *hypmem_event_formats_parse(struct hypmem_event_formats *f, const char *text,
						size_t len, const char *system);

/** hypmem_event_formats_find() - The event with @id, or NULL. */
const struct hypmem_event_format *hypmem_event_formats_find(const struct hypmem_event_formats *f,
							    uint32_t id);

/** hypmem_event_formats_find_name() - The event named @name, or NULL. */
const struct hypmem_event_format *
hypmem_event_formats_find_name(const struct hypmem_event_formats *f, const char *name);

/** hypmem_event_field_find() - Field @name of @ev, or NULL. */
const struct hypmem_event_field *hypmem_event_field_find(const struct hypmem_event_format *ev,
							 const char *name);

/**
 * hypmem_event_field_get() - A scalar field's value from a payload.
 * @field: the field (size 1, 2, 4 or 8).
 * @payload: the event payload, @len bytes.
 * @ret: the value, sign-extended for signed fields.
 *
 * Return: true; false if the field does not lie inside the payload or is not
 * a scalar (*@ret is then 0).
 */
bool hypmem_event_field_get(const struct hypmem_event_field *field, const uint8_t *payload,
			    uint32_t len, uint64_t *ret);

/** hypmem_event_id() - The common_type of a payload (its first 2 bytes). */
static inline uint32_t hypmem_event_id(const uint8_t *payload)
{
	return (uint32_t)payload[0] | (uint32_t)payload[1] << 8;
}

/**
 * hypmem_event_print() - Format an event's fields as its print fmt says.
 * @ev: the format; NULL prints "id=N len=N".
 * @payload: @len bytes.
 * @buf: output, NUL-terminated, truncated to @size.
 *
 * Return: the length the full text would have (like snprintf).
 */
int hypmem_event_print(const struct hypmem_event_format *ev, const uint8_t *payload, uint32_t len,
		       char *buf, size_t size);

/**
 * hypmem_event_format_text() - Write @ev back as tracefs format text.
 * Return: like snprintf.
 */
int hypmem_event_format_text(const struct hypmem_event_format *ev, char *buf, size_t size);

#endif /* HYPMEM_EVENTS_H */
