/* SPDX-License-Identifier: GPL-2.0-only */
/* Polled PL011 UART output. */
#ifndef EL2_ARM64_PL011_H
#define EL2_ARM64_PL011_H

#include <stddef.h>

/* @base: where the UART is mapped now (its PA with the MMU off, a VA after). */
void pl011_init(void *base);
void pl011_write(const char *s, size_t n);

#endif
