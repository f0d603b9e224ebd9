// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the dump-file readers (source.c, source_elf.c,
 * source_kdump.c) and the VMCOREINFO parser.
 *
 * Dumps arrive from crashed machines and from users' disks: every byte of
 * them is untrusted.  The input is the whole dump file.  It goes into a
 * memfd and is opened by name through /proc/self/fd, exactly as a user's
 * file would be (format detection, mmap, libelf, libkdumpfile and the
 * flattened-format reassembly all see a real file).  When it opens, every
 * segment is read in 4 KiB steps, through both hypmem_source_read() and
 * hypmem_source_view(), plus the reads that straddle each segment's ends;
 * the VMCOREINFO text it carries goes through the parser and its lookups.
 * The raw input is also handed to the parser as text, so the parser gets
 * fuzzed directly too.
 *
 * Errors are expected and ignored; a crash, a leak, undefined behaviour
 * or an allocation over libFuzzer's limit is a bug, and so is a read that
 * disagrees with hypmem_source_contains() or with a view.  A segment may
 * claim up to 2^64 bytes, so reads are capped per input (MAX_READS) to
 * keep each run short.
 */
#include <sys/mman.h> /* memfd_create: the source needs a real file */
#include <unistd.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypmem/source.h"
#include "hypmem/vmcoreinfo.h"

#define STEP	  4096
#define MAX_READS 256 /* 4 KiB reads per input, over all segments */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/*
 * libkdumpfile sizes some buffers from header fields and checks malloc()
 * for NULL; ASan would abort on a request over its maximum instead of
 * failing it.  Fail it, as the C library would.  Requests that succeed
 * but exceed libFuzzer's -malloc_limit_mb are still reported.
 */
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

static int memfd = -1;
static char memfd_path[64];
static uint8_t buf[STEP];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	memfd = memfd_create("fuzz_source", MFD_CLOEXEC);
	if (memfd < 0) {
		perror("memfd_create");
		abort();
	}
	snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
	return 0;
}

static void ignore(struct hypmem_error *err)
{
	hypmem_error_destroy(err);
}

/* One read, through both paths; a view must agree with the read. */
static void read_both(struct hypmem_source *src, uint64_t phys, size_t n)
{
	struct hypmem_error *err;
	const void *view;
	bool held = hypmem_source_contains(src, phys, n);

	err = hypmem_source_read(src, buf, phys, n);
	if (!err && !held) {
		fprintf(stderr, "read of %zu at 0x%llx succeeded but contains() says no\n", n,
			(unsigned long long)phys);
		abort();
	}
	if (err && err->code == HYPMEM_ERROR_FAULT && held) {
		/* kdump: a page excluded from the dump inside a segment. */
		if (hypmem_source_kind(src) != HYPMEM_SOURCE_KDUMP) {
			fprintf(stderr, "fault at 0x%llx inside a held range: %s\n",
				(unsigned long long)phys, err->message);
			abort();
		}
	}
	if (err) {
		ignore(err);
		return;
	}
	err = hypmem_source_view(src, phys, n, &view);
	if (!err && memcmp(view, buf, n)) {
		fprintf(stderr, "view and read of 0x%llx differ\n", (unsigned long long)phys);
		abort();
	}
	ignore(err);
}

static void read_segments(struct hypmem_source *src)
{
	const struct hypmem_segment *segs;
	unsigned int budget = MAX_READS;
	size_t nr;

	segs = hypmem_source_segments(src, &nr);
	/* The edges first: they are where the off-by-ones live. */
	for (size_t i = 0; i < nr && budget; i++) {
		uint64_t start = segs[i].phys_start, size = segs[i].size;
		uint64_t last = size > STEP ? start + size - STEP : start;

		read_both(src, start, size < STEP ? (size_t)size : STEP);
		read_both(src, last, size < STEP ? (size_t)size : STEP);
		read_both(src, start + size - 1, 2);  /* straddles the end */
		read_both(src, start - 1, 2);	      /* straddles the start */
		read_both(src, start + size - 8, 16); /* into the next segment */
		budget = budget > 5 ? budget - 5 : 0;
	}
	for (size_t i = 0; i < nr && budget; i++) {
		for (uint64_t off = 0; off < segs[i].size && budget; off += STEP, budget--) {
			uint64_t left = segs[i].size - off;

			read_both(src, segs[i].phys_start + off, left < STEP ? (size_t)left : STEP);
		}
	}
}

/* Parse @text and ask what the target code asks. */
static void parse_text(const char *text)
{
	struct hypmem_vmcoreinfo *vmci = NULL;
	struct hypmem_error *err = hypmem_vmcoreinfo_parse(text, &vmci);
	uint64_t v;

	if (err) {
		hypmem_error_destroy(err);
		return;
	}
	(void)hypmem_vmcoreinfo_count(vmci);
	(void)hypmem_vmcoreinfo_get(vmci, "OSRELEASE");
	(void)hypmem_vmcoreinfo_get(vmci, "");
	ignore(hypmem_vmcoreinfo_number(vmci, "PAGESIZE", &v));
	ignore(hypmem_vmcoreinfo_number(vmci, "kimage_voffset", &v));
	ignore(hypmem_vmcoreinfo_number(vmci, "VA_BITS", &v));
	ignore(hypmem_vmcoreinfo_symbol(vmci, "swapper_pg_dir", &v));
	ignore(hypmem_vmcoreinfo_symbol(vmci, "_stext", &v));
	ignore(hypmem_vmcoreinfo_kerneloffset(vmci, &v));
	hypmem_vmcoreinfo_destroy(vmci);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hypmem_source *src = NULL;
	struct hypmem_error *err;
	char *text;

	if (ftruncate(memfd, 0) || (size && pwrite(memfd, data, size, 0) != (ssize_t)size)) {
		perror("memfd");
		abort();
	}
	err = hypmem_source_open(memfd_path, &src);
	if (!err) {
		const char *vmci = hypmem_source_vmcoreinfo(src);

		(void)hypmem_source_kind_name(hypmem_source_kind(src));
		read_segments(src);
		if (vmci)
			parse_text(vmci);
		hypmem_source_destroy(src);
	}
	hypmem_error_destroy(err);

	/* The input itself as VMCOREINFO text. */
	text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	parse_text(text);
	free(text);
	return 0;
}
