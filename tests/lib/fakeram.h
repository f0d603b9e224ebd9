/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fake RAM for the tests: a buffer the test fills (page tables, pools,
 * structures written by hand) handed to the library as one segment of
 * physical memory, so that decoders read it as they read a dump.
 */
#ifndef HYPMEM_TESTS_FAKERAM_H
#define HYPMEM_TESTS_FAKERAM_H

#include <inttypes.h>
#include <stdio.h>

#include "hypmem/source.h"

/*
 * A source whose physical addresses [@base, @base + @size) are the bytes
 * at @mem (borrowed: it must outlive the source).  NULL, after a TAP
 * comment saying why, when the library refuses the segment.
 */
static inline struct hypmem_source *fakeram_source(uint64_t base, const void *mem, uint64_t size)
{
	struct hypmem_segment seg = {.phys_start = base, .size = size};
	struct hypmem_source *src = NULL;
	struct hypmem_error *err = hypmem_source_create_memory(&seg, &mem, 1, NULL, &src);

	if (err) {
		printf("# fake RAM at 0x%" PRIx64 ": %s\n", base, err->message);
		hypmem_error_destroy(err);
		return NULL;
	}
	return src;
}

#endif /* HYPMEM_TESTS_FAKERAM_H */
