// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the findings list (lib/hypmem/findings.c) and of the
 * library's array growth (lib/hypmem/array.h), which the list uses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/hypmem/array.h"
#include "hypmem/findings.h"
#include "test.h"

TEST(add_and_count)
{
	struct hypmem_findings f;

	hypmem_findings_init(&f);
	CHECK_NO_ERR(hypmem_findings_add(&f, HYPMEM_FINDING_TABLE_LOOP, 0x1000, "loop at %d", 3));
	CHECK_NO_ERR(hypmem_findings_add(&f, HYPMEM_FINDING_BAD_ORDER, 0x2000, "order %s", "12"));
	CHECK_NO_ERR(hypmem_findings_add(&f, HYPMEM_FINDING_TABLE_LOOP, 0x3000, "again"));
	CHECK_EQ_U64(f.nr, 3);
	CHECK_EQ_U64(f.total, 3);
	CHECK_EQ_U64(f.by_kind[HYPMEM_FINDING_TABLE_LOOP], 2);
	CHECK_EQ_U64(f.by_kind[HYPMEM_FINDING_BAD_ORDER], 1);
	CHECK_EQ_U64(f.by_kind[HYPMEM_FINDING_LIST_CYCLE], 0);
	REQUIRE(f.nr == 3);
	CHECK_EQ_U64(f.items[1].kind, HYPMEM_FINDING_BAD_ORDER);
	CHECK_EQ_U64(f.items[1].address, 0x2000);
	CHECK_STR(f.items[0].message, "loop at 3");
	CHECK_STR(f.items[1].message, "order 12");
	hypmem_findings_deinit(&f);
	CHECK_EQ_U64(f.nr, 0);
	CHECK(f.items == NULL);
}

/* Past HYPMEM_FINDINGS_MAX (10000) only the counts grow. */
TEST(cap)
{
	struct hypmem_findings f;

	hypmem_findings_init(&f);
	for (int i = 0; i < 10005; i++)
		CHECK_NO_ERR(hypmem_findings_add(&f, HYPMEM_FINDING_HEAP_LOOP, (uint64_t)i, "%d", i));
	CHECK_EQ_U64(f.nr, 10000);
	CHECK_EQ_U64(f.total, 10005);
	CHECK_EQ_U64(f.by_kind[HYPMEM_FINDING_HEAP_LOOP], 10005);
	CHECK_STR(f.items[9999].message, "9999");
	hypmem_findings_deinit(&f);
}

/* The JSON keys hypmem-json(5) documents. */
TEST(keys)
{
	CHECK_STR(hypmem_finding_key(HYPMEM_FINDING_LIST_CYCLE), "list_cycle");
	CHECK_STR(hypmem_finding_key(HYPMEM_FINDING_FREE_TAIL_NOT_NO_ORDER), "free_tail_has_order");
	CHECK_STR(hypmem_finding_key(HYPMEM_FINDING_TABLE_UNREADABLE), "table_unreadable");
	CHECK_STR(hypmem_finding_key(HYPMEM_FINDING_TRACE_TIME_BACKWARDS), "trace_time_backwards");
	CHECK_STR(hypmem_finding_key(HYPMEM_FINDING_NR), "unknown");
	CHECK_STR(hypmem_finding_key((enum hypmem_finding_kind)-1), "unknown");
}

TEST(grow)
{
	size_t cap = 0;
	uint32_t *a = NULL;
	void *p;

	CHECK(hypmem_grow((void **)&a, &cap, 1, sizeof(*a)));
	CHECK_EQ_U64(cap, 16);
	CHECK(hypmem_grow((void **)&a, &cap, 16, sizeof(*a)));
	CHECK_EQ_U64(cap, 16);
	CHECK(hypmem_grow((void **)&a, &cap, 17, sizeof(*a)));
	CHECK_EQ_U64(cap, 32);
	CHECK(hypmem_grow((void **)&a, &cap, 100, sizeof(*a)));
	CHECK_EQ_U64(cap, 128);
	a[127] = 7; /* usable to the end (ASan checks) */
	p = a;
	/* Sizes that overflow fail and leave the array as it was. */
	CHECK(!hypmem_grow((void **)&a, &cap, SIZE_MAX / 2 + 2, 1));
	CHECK(!hypmem_grow((void **)&a, &cap, 129, SIZE_MAX / 64));
	CHECK(a == p);
	CHECK_EQ_U64(cap, 128);
	CHECK_EQ_U64(a[127], 7);
	free(a);
}

TEST_MAIN
