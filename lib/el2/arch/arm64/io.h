/* SPDX-License-Identifier: GPL-2.0-only */
/* MMIO accessors for the image's device drivers. */
#ifndef EL2_ARM64_IO_H
#define EL2_ARM64_IO_H

#include "el2/types.h"

static inline u8 readb(const volatile void *a)
{
	return *(const volatile u8 *)a;
}

static inline u16 readw(const volatile void *a)
{
	return *(const volatile u16 *)a;
}

static inline u32 readl(const volatile void *a)
{
	return *(const volatile u32 *)a;
}

static inline void writeb(u8 v, volatile void *a)
{
	*(volatile u8 *)a = v;
}

static inline void writew(u16 v, volatile void *a)
{
	*(volatile u16 *)a = v;
}

static inline void writel(u32 v, volatile void *a)
{
	*(volatile u32 *)a = v;
}

static inline void writeq(u64 v, volatile void *a)
{
	*(volatile u64 *)a = v;
}

static inline u16 be16(u16 v)
{
	return __builtin_bswap16(v);
}

static inline u32 be32(u32 v)
{
	return __builtin_bswap32(v);
}

static inline u64 be64(u64 v)
{
	return __builtin_bswap64(v);
}

#endif /* EL2_ARM64_IO_H */
