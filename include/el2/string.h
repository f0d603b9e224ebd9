/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The few string functions the EL2 core uses.  The aarch64 image provides
 * them (lib/el2/arch/arm64/string.c); natively they come from libc, whose
 * prototypes these match.
 */
#ifndef EL2_STRING_H
#define EL2_STRING_H

#include <stddef.h>

void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#endif /* EL2_STRING_H */
