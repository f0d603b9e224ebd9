// SPDX-License-Identifier: GPL-2.0-only
/*
 * Native shim: console on stdout, panics abort the test.  Only this file
 * and el2_arch.h differ between the aarch64 image and the unit-test build.
 */
#include <stdio.h>
#include <stdlib.h>

#include "el2/bug.h"
#include "el2/printk.h"

void hyp_console_write(const char *s, size_t n)
{
	fwrite(s, 1, n, stdout);
}

void hyp_panic_str(const char *what)
{
	fflush(stdout);
	fprintf(stderr, "HYPMEM-PANIC %s\n", what);
	abort();
}

void hyp_panic_list(const void *entry, const void *prev, const void *next)
{
	fflush(stdout);
	fprintf(stderr, "HYPMEM-PANIC list corruption at %p (prev %p, next %p)\n", entry, prev,
		next);
	abort();
}

bool __hyp_warn_on(bool cond, const char *file, int line, const char *what)
{
	if (cond)
		fprintf(stderr, "WARNING: %s:%d: %s\n", file, line, what);
	return cond;
}
