// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the VMCOREINFO parser (lib/hypmem/vmcoreinfo.c)
 * alone, in memory: the text a dump's note or kdump sub-header carries.
 * fuzz_source reaches the same parser through whole dump files, at a few
 * hundred inputs a second; this one runs it at the parser's own speed.
 *
 * An input is the note's text (the first NUL ends it, as in a dump).  It
 * is parsed, then every accessor the tools use is asked for the keys they
 * read; errors are expected, a crash, a leak or undefined behaviour is a
 * bug.  The count must not exceed the lines of the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hypmem/error.h"
#include "hypmem/vmcoreinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const numbers[] = {"kimage_voffset", "PAGESIZE", "VA_BITS", "TCR_EL1_T1SZ",
				      "PHYS_OFFSET", "KERNELPACMASK", "vabits_actual"};
static const char *const symbols[] = {"swapper_pg_dir", "_stext", "mem_section"};
static const char *const keys[] = {"OSRELEASE", "BUILD-ID", "CRASHTIME", "PAGESIZE"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hypmem_vmcoreinfo *v = NULL;
	char *text = malloc(size + 1);
	size_t lines = 1;
	uint64_t x;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	hypmem_error_destroy(hypmem_vmcoreinfo_parse(text, &v));
	/* The copy is the parser's: change ours under it. */
	memset(text, 'x', size);
	for (size_t i = 0; i < size && data[i]; i++)
		lines += data[i] == '\n';
	if (hypmem_vmcoreinfo_count(v) > lines)
		abort();
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
		hypmem_error_destroy(hypmem_vmcoreinfo_number(v, numbers[i], &x));
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++)
		hypmem_error_destroy(hypmem_vmcoreinfo_symbol(v, symbols[i], &x));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *s = hypmem_vmcoreinfo_get(v, keys[i]);

		if (s)
			(void)strlen(s);
	}
	hypmem_error_destroy(hypmem_vmcoreinfo_kerneloffset(v, &x));
	hypmem_vmcoreinfo_destroy(v);
	free(text);
	return 0;
}
