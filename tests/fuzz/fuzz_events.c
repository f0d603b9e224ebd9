// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the tracefs `format` parser and the event printer
 * (lib/hypmem/events.c), in memory.  On a device the format text comes
 * from tracefs (events/<system>/<event>/format) and the payloads from the
 * ring buffer: both are the traced side's bytes.
 *
 * An input is
 *   u16 n, n bytes	format text (one or more events)
 *   records		u8 len, then len bytes of payload, to the end
 * The text is parsed; every event parsed is written back as format text
 * and that text parsed again (the round trip a trace.dat and an exported
 * tree make); each payload is printed with the event its first two bytes
 * name (or none), and every field read.  Parse errors are expected; a
 * crash, a leak, undefined behaviour or a printed text longer than the
 * printer said is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hypmem/events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void print_payload(const struct hypmem_event_formats *f, const uint8_t *p, uint32_t len)
{
	const struct hypmem_event_format *ev = len >= 2 ? hypmem_event_formats_find(f, hypmem_event_id(p)) : NULL;
	char buf[192];
	int n = hypmem_event_print(ev, p, len, buf, sizeof(buf));
	uint64_t v;

	if (n < 0 || strlen(buf) > (size_t)n || strlen(buf) >= sizeof(buf))
		abort();
	if (!ev)
		return;
	for (size_t i = 0; i < ev->nr_fields; i++)
		(void)hypmem_event_field_get(&ev->fields[i], p, len, &v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hypmem_event_formats f, again;
	size_t n;

	if (size < 2)
		return 0;
	n = (size_t)data[0] | (size_t)data[1] << 8;
	data += 2;
	size -= 2;
	if (n > size)
		n = size;
	hypmem_event_formats_init(&f);
	hypmem_event_formats_init(&again);
	hypmem_error_destroy(hypmem_event_formats_parse(&f, (const char *)data, n, "hypervisor"));
	for (size_t i = 0; i < f.nr; i++) {
		char text[4096];
		int len = hypmem_event_format_text(&f.events[i], text, sizeof(text));

		if (len < 0)
			abort();
		if ((size_t)len < sizeof(text))
			hypmem_error_destroy(
			    hypmem_event_formats_parse(&again, text, (size_t)len, "again"));
		(void)hypmem_event_formats_find_name(&f, f.events[i].name);
		(void)hypmem_event_field_find(&f.events[i], "common_type");
	}
	data += n;
	size -= n;
	while (size) {
		uint32_t len = data[0];

		data++;
		size--;
		if (len > size)
			len = (uint32_t)size;
		/* A buffer of exactly the payload's size: ASan sees any overread. */
		uint8_t *p = malloc(len ? len : 1);

		if (!p)
			break;
		memcpy(p, data, len);
		print_payload(&f, p, len);
		free(p);
		data += len;
		size -= len;
	}
	hypmem_event_formats_deinit(&again);
	hypmem_event_formats_deinit(&f);
	return 0;
}
