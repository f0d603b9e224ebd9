/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tests' random numbers: Marsaglia's xorshift64 (shifts 13, 7, 17), a
 * full-period generator over the non-zero 64-bit values, so that a test
 * fed the same non-zero state sees the same stream on every machine.
 * Not for anything but tests, benchmarks and fuzz drivers.
 */
#ifndef HYPMEM_TESTS_RNG_H
#define HYPMEM_TESTS_RNG_H

#include <stdint.h>

/* Step *@state (never 0) and return the new value. */
static inline uint64_t test_rng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

#endif /* HYPMEM_TESTS_RNG_H */
