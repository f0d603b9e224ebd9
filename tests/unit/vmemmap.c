// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the vmemmap module's histogram (lib/hypmem/vmemmap.c), the
 * structure behind hypmem-stat's refcount and order columns: keys kept
 * sorted, counts of a repeated key merged, growth past its first
 * allocation.  The walk of struct hyp_page entries is tested against the
 * EL2 core's own vmemmap in el2_decode.c.
 */
#include <stdint.h>
#include <stdlib.h>

#include "hypmem/decode.h"
#include "test.h"

TEST(sorted_and_merged)
{
	struct hypmem_histogram h = {0};

	CHECK_NO_ERR(hypmem_histogram_add(&h, 5, 1));
	CHECK_NO_ERR(hypmem_histogram_add(&h, 1, 2));
	CHECK_NO_ERR(hypmem_histogram_add(&h, 9, 3));
	CHECK_NO_ERR(hypmem_histogram_add(&h, 5, 10));
	CHECK_NO_ERR(hypmem_histogram_add(&h, 0, 4));
	REQUIRE(h.nr == 4);
	CHECK_EQ_U64(h.keys[0], 0);
	CHECK_EQ_U64(h.counts[0], 4);
	CHECK_EQ_U64(h.keys[1], 1);
	CHECK_EQ_U64(h.counts[1], 2);
	CHECK_EQ_U64(h.keys[2], 5);
	CHECK_EQ_U64(h.counts[2], 11);
	CHECK_EQ_U64(h.keys[3], 9);
	CHECK_EQ_U64(h.counts[3], 3);
	hypmem_histogram_deinit(&h);
	CHECK_EQ_U64(h.nr, 0);
}

/* 100 keys added from the top down: each lands first; sum of counts kept. */
TEST(growth_in_reverse_order)
{
	struct hypmem_histogram h = {0};
	uint64_t sum = 0;

	for (uint64_t k = 100; k >= 1; k--)
		CHECK_NO_ERR(hypmem_histogram_add(&h, k * 3, k));
	CHECK_NO_ERR(hypmem_histogram_add(&h, UINT64_MAX, 7));
	REQUIRE(h.nr == 101);
	CHECK(h.cap >= 101);
	for (size_t i = 0; i < 100; i++) {
		CHECK_EQ_U64(h.keys[i], (i + 1) * 3);
		CHECK_EQ_U64(h.counts[i], i + 1);
		sum += h.counts[i];
	}
	CHECK_EQ_U64(sum, 5050);
	CHECK_EQ_U64(h.keys[100], UINT64_MAX);
	hypmem_histogram_deinit(&h);
}

TEST_MAIN
