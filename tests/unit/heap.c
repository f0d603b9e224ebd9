// SPDX-License-Identifier: GPL-2.0-only
/*
 * The hyp heap walk (hypmem_heap_walk() in lib/hypmem/heap.c) over a
 * hand-built range of four pages, three mapped: a used chunk, a free chunk
 * up to the next page, and a used tail whose last page is unmapped.  The
 * totals are those of the chunks laid out here; a header with a wrong hash
 * is named at its address, a next offset pointing back is a loop.  Header
 * hashes are computed here from their definition (heap.h), not by the code
 * under test.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hypmem/heap.h"
#include "test.h"

#define PG	 4096ULL
#define START	 0xffff900000000000ULL
#define END	 (START + 4 * PG)
#define PA_BASE	 0x80000000ULL
#define HDR	 16
#define A	 START		  /* used, 0x30 bytes of data */
#define B	 (START + 0x40)	  /* free, up to the next page */
#define C	 (START + PG)	  /* used tail; its third page is unmapped */
#define TAIL_USE 0x100

static uint8_t pages[3][PG]; /* START .. START + 3 pages, mapped */

static const struct hypmem_heap_layout layout = {
    .hdr_size = HDR,
    .next = {.present = true, .offset = 0, .size = 4},
    .prev = {.present = true, .offset = 4, .size = 4},
    .unmapped = {.present = true, .offset = 8, .size = 4},
    .hash = {.present = true, .offset = 12, .size = 4},
};

/* hash_64(next | prev << 32, 32) ^ hash_32(unmapped, 32). */
static uint32_t golden_hash(uint32_t next, uint32_t prev, uint32_t unmapped)
{
	uint64_t x = (uint64_t)next | (uint64_t)prev << 32;

	return (uint32_t)((x * 0x61C8864680B583EBULL) >> 32) ^ (uint32_t)(unmapped * 0x61C88647U);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void header(uint64_t va, uint32_t next, uint32_t prev, uint32_t unmapped, bool good)
{
	uint64_t off = va - START;
	uint8_t *p = &pages[off / PG][off % PG];

	put32(p, next);
	put32(p + 4, prev);
	put32(p + 8, unmapped);
	put32(p + 12, golden_hash(next, prev, unmapped) ^ (good ? 0 : 0x10));
}

static enum hypmem_heap_page_state page(void *arg, uint64_t va, const uint8_t **bytes,
					uint64_t *pa)
{
	uint64_t i = (va - START) / PG;

	(void)arg;
	if (i >= 3)
		return HYPMEM_HEAP_PAGE_UNMAPPED;
	*pa = PA_BASE + i * PG;
	if (bytes)
		*bytes = pages[i];
	return HYPMEM_HEAP_PAGE_MAPPED;
}

static const struct hypmem_heap_mem mem = {.page = page, .page_size = PG};

/* The three chunks; @b_good: B's hash right; @c_next: the tail's next offset. */
static void build(struct hypmem_heap *h, bool b_good, uint32_t c_next)
{
	memset(pages, 0, sizeof(pages));
	header(A, (uint32_t)(B - A), 0, 1, true);
	header(B, (uint32_t)(C - B), (uint32_t)(B - A), 0, b_good);
	header(C, c_next, (uint32_t)(C - B), (uint32_t)(2 * PG) | 1, true);
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "hyp_allocator");
	h->addr = 0x1234000;
	h->start = START;
	h->end = END;
	h->head = A;
	h->tail = C;
	h->first_unmapped = START + 3 * PG;
	h->last_used = C + HDR + TAIL_USE;
}

static size_t count(const struct hypmem_findings *f, enum hypmem_finding_kind kind,
		    uint64_t addr)
{
	size_t n = 0;

	for (size_t i = 0; i < f->nr; i++)
		n += f->items[i].kind == kind && f->items[i].address == addr;
	return n;
}

static void print_findings(const struct hypmem_findings *f)
{
	for (size_t i = 0; i < f->nr; i++)
		printf("#   finding %s at 0x%" PRIx64 ": %s\n",
		       hypmem_finding_key(f->items[i].kind), f->items[i].address,
		       f->items[i].message);
}

TEST(three_chunks_as_built)
{
	struct hypmem_findings f;
	struct hypmem_heap h;

	hypmem_findings_init(&f);
	build(&h, true, 0);
	REQUIRE(CHECK_NO_ERR(hypmem_heap_walk(&layout, &mem, true, &f, &h)));
	CHECK_EQ_U64(f.total, 0);
	print_findings(&f);
	CHECK(h.complete);
	CHECK_EQ_U64(h.mapped_pages, 3);
	REQUIRE(h.nr_chunks == 3);
	CHECK_EQ_U64(h.chunks[0].addr, A);
	CHECK_EQ_U64(h.chunks[0].pa, PA_BASE);
	CHECK(h.chunks[0].is_used && h.chunks[0].hash_ok);
	CHECK_EQ_U64(h.chunks[0].size, B - A - HDR);
	CHECK_EQ_U64(h.chunks[0].used, B - A - HDR);
	CHECK_EQ_U64(h.chunks[1].addr, B);
	CHECK(!h.chunks[1].is_used);
	CHECK_EQ_U64(h.chunks[1].size, C - B - HDR);
	CHECK_EQ_U64(h.chunks[1].used, 0);
	CHECK_EQ_U64(h.chunks[2].addr, C);
	CHECK_EQ_U64(h.chunks[2].pa, PA_BASE + PG);
	CHECK_EQ_U64(h.chunks[2].unmapped, START + 3 * PG);
	CHECK_EQ_U64(h.chunks[2].size, END - C - HDR);
	CHECK_EQ_U64(h.chunks[2].mapped, 2 * PG - HDR);
	CHECK_EQ_U64(h.chunks[2].used, TAIL_USE);
	CHECK_EQ_U64(h.nr_used, 2);
	CHECK_EQ_U64(h.used_bytes, (B - A - HDR) + TAIL_USE);
	CHECK_EQ_U64(h.free_bytes, C - B - HDR);
	CHECK_EQ_U64(h.largest_free, C - B - HDR);
	CHECK_EQ_U64(h.nr_holes, 0);
	free(h.chunks);
	free(h.holes);
	hypmem_findings_deinit(&f);
}

TEST(bad_hash_named_at_its_header)
{
	struct hypmem_findings f;
	struct hypmem_heap h;

	hypmem_findings_init(&f);
	build(&h, false, 0);
	REQUIRE(CHECK_NO_ERR(hypmem_heap_walk(&layout, &mem, true, &f, &h)));
	CHECK_EQ_U64(count(&f, HYPMEM_FINDING_HEAP_HASH_MISMATCH, B), 1);
	CHECK_EQ_U64(f.total, 1);
	if (f.total != 1)
		print_findings(&f);
	REQUIRE(h.nr_chunks == 3);
	CHECK(h.chunks[0].hash_ok && !h.chunks[1].hash_ok && h.chunks[2].hash_ok);
	free(h.chunks);
	free(h.holes);
	hypmem_findings_deinit(&f);
}

/* The tail's next, read as negative, leads back to A: a loop, at C. */
TEST(next_pointing_back_is_a_loop)
{
	struct hypmem_findings f;
	struct hypmem_heap h;

	hypmem_findings_init(&f);
	build(&h, true, (uint32_t)(0x100000000ULL - (C - A)));
	REQUIRE(CHECK_NO_ERR(hypmem_heap_walk(&layout, &mem, true, &f, &h)));
	CHECK_EQ_U64(count(&f, HYPMEM_FINDING_HEAP_LOOP, C), 1);
	CHECK(!h.complete);
	if (f.by_kind[HYPMEM_FINDING_HEAP_LOOP] != 1)
		print_findings(&f);
	free(h.chunks);
	free(h.holes);
	hypmem_findings_deinit(&f);
}

TEST_MAIN
