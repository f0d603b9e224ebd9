/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Basic types and helpers for the EL2 core, usable freestanding (aarch64
 * image) and natively (unit tests).  Kernel spellings on purpose: the
 * decoder learns layouts from DWARF, and these are the names it sees.
 */
#ifndef EL2_TYPES_H
#define EL2_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef u64 phys_addr_t;

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1UL << PAGE_SHIFT)
#define PAGE_MASK  (~(PAGE_SIZE - 1))

#define BIT(n)		  (1UL << (n))
#define GENMASK(h, l)	  (((~0UL) << (l)) & (~0UL >> (63 - (h))))
#define ALIGN(x, a)	  (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a)  ((x) & ~((__typeof__(x))(a)-1))
#define PAGE_ALIGN(x)	  ALIGN(x, PAGE_SIZE)
#define IS_ALIGNED(x, a)  (((x) & ((__typeof__(x))(a)-1)) == 0)
#define DIV_ROUND_UP(n, d) (((n) + (d)-1) / (d))
#define ARRAY_SIZE(a)	  (sizeof(a) / sizeof((a)[0]))
#define min(a, b)	  ((a) < (b) ? (a) : (b))
#define max(a, b)	  ((a) > (b) ? (a) : (b))

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define __maybe_unused __attribute__((__unused__))
#define __noreturn     __attribute__((__noreturn__))
#define __aligned(x)   __attribute__((__aligned__(x)))
#define __used	       __attribute__((__used__))

#define READ_ONCE(x)	 (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#define SZ_4K	0x00001000UL
#define SZ_2M	0x00200000UL
#define SZ_1G	0x40000000UL

/* Errno values returned by the core (negated), as in the kernel. */
#define EPERM	1
#define ENOENT	2
#define EBUSY	16
#define EEXIST	17
#define EINVAL	22
#define ENOMEM	12
#define E2BIG	7
#define ERANGE	34
#define ENOSPC	28
#define EIO	5
#define EAGAIN	11

/* get_order(size): smallest order such that (PAGE_SIZE << order) >= size. */
static inline unsigned int get_order(u64 size)
{
	unsigned int order = 0;

	size = (size - 1) >> PAGE_SHIFT;
	while (size) {
		order++;
		size >>= 1;
	}
	return order;
}

#endif /* EL2_TYPES_H */
