/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Console output for the EL2 core.  A tiny freestanding formatter
 * (lib/el2/printk.c) over one platform hook, hyp_console_write(): the PL011
 * UART in the aarch64 image, stdout in the native unit-test build.
 *
 * Supported conversions: %c %s %d %i %u %x %X %p %% with flags '0' '-' and a
 * width, and the length modifiers l, ll, z.  %p prints 0x-prefixed hex.
 */
#ifndef EL2_PRINTK_H
#define EL2_PRINTK_H

#include <stdarg.h>
#include <stddef.h>

/* Platform hook: write @n bytes (no NUL) to the console. */
void hyp_console_write(const char *s, size_t n);

/* Returns the length the full output would have, like vsnprintf(). */
int hyp_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((__format__(__printf__, 3, 0)));
int hyp_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((__format__(__printf__, 3, 4)));
void hyp_printf(const char *fmt, ...) __attribute__((__format__(__printf__, 1, 2)));

#endif /* EL2_PRINTK_H */
