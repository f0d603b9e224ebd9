/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel's generic multiplicative hashes (include/linux/hash.h), as
 * arm64 uses them: it defines no architecture-specific variant.  hash_32()
 * and hash_64() multiply by a golden-ratio constant and keep the top @bits
 * bits of the product.  The heap allocator (alloc.c) uses both, with
 * bits = 32, to protect its chunk headers.
 *
 * The host decoder computes the chunk-header hash on its own
 * (lib/hypmem/heap.c); tests/unit/el2_heap_decode.c checks that the two
 * agree, and tests/unit/el2_alloc.c pins hash_32() and hash_64() to known
 * answers worked out by tests/unit/hash_vectors.py.
 */
#ifndef EL2_HASH_H
#define EL2_HASH_H

#include "el2/types.h"

#define GOLDEN_RATIO_32 0x61C88647U
#define GOLDEN_RATIO_64 0x61C8864680B583EBULL

static inline u32 __hash_32(u32 val)
{
	return val * GOLDEN_RATIO_32;
}

/* @bits in 1..32: the top @bits bits of val * GOLDEN_RATIO_32 (mod 2^32). */
static inline u32 hash_32(u32 val, unsigned int bits)
{
	return __hash_32(val) >> (32 - bits);
}

/* @bits in 1..32: the top @bits bits of val * GOLDEN_RATIO_64 (mod 2^64). */
static inline u32 hash_64(u64 val, unsigned int bits)
{
	return (u32)((val * GOLDEN_RATIO_64) >> (64 - bits));
}

#endif /* EL2_HASH_H */
