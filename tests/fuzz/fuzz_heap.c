// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the heap walker (lib/hypmem/heap.c) and its JSON
 * and text output: structure-aware, like fuzz_decode.c.
 *
 * At start-up the EL2 heap allocator builds a real heap natively (the stage
 * of tests/unit/el2_heap_env.h, churned by the heap workload), and the
 * harness keeps a pristine snapshot of it: the struct hyp_allocator fields,
 * the bytes of the first SNAP_PAGES pages of the range and which of them
 * the hyp stage-1 maps.  An input is a list of patches, records of
 *   u8 where	0 page bytes, 1 the allocator fields (8 little-endian u64:
 *		start end last_used first_unmapped head tail mc_head mc_pages),
 *		2 the mapped flags (one byte per page, bit 0)
 *   u32 offset	little-endian, modulo the region's size
 *   u8 len	1 + len % 16 bytes follow
 * The patched heap is walked through hypmem_heap_walk() (chunk lists
 * kept), rendered as JSON and text, freed, and the snapshot restored.
 * The header layout is struct chunk_hdr's, from offsetof().
 *
 * Findings are expected; a crash, a leak, undefined behaviour or a walk
 * that does not end is a bug.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../unit/el2_heap_env.h"
#include "el2/heap_workload.h"
#include "hypmem/heap.h"
#include "hypmem/report.h"
#include "hypmem/render.h"

#define SNAP_PAGES 160
/*
 * The heap's VA range: the walker visits each page of it, so the kernel's
 * 128 MiB (HYP_HEAP_VA_SIZE) would spend most of an input on pages past
 * the snapshot, which are all unmapped anyway.  4 MiB holds the workload.
 */
#define FUZZ_HEAP_VA_SIZE (4UL << 20)
#define MAX_PATCHES	  64

enum where { WHERE_PAGES, WHERE_ALLOCATOR, WHERE_MAPPED, WHERE_NR };

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct heap_workload hw;
static struct hypmem_heap_layout layout;
static u8 pristine[SNAP_PAGES][PAGE_SIZE], pages[SNAP_PAGES][PAGE_SIZE];
static u64 pristine_pa[SNAP_PAGES], pa_of[SNAP_PAGES];
static u8 pristine_mapped[SNAP_PAGES], mapped[SNAP_PAGES];
static u64 pristine_fields[8], fields[8];
static u64 heap_start;
static FILE *devnull;

static enum hypmem_heap_page_state fuzz_page(void *arg, uint64_t va, const uint8_t **bytes,
					     uint64_t *pa)
{
	u64 i;

	(void)arg;
	if (va < heap_start || (va - heap_start) / PAGE_SIZE >= SNAP_PAGES)
		return HYPMEM_HEAP_PAGE_UNMAPPED;
	i = (va - heap_start) / PAGE_SIZE;
	if (!(mapped[i] & 1))
		return HYPMEM_HEAP_PAGE_UNMAPPED;
	*pa = pa_of[i];
	if (bytes)
		*bytes = pages[i];
	return HYPMEM_HEAP_PAGE_MAPPED;
}

static void field(struct hypmem_field *f, size_t off)
{
	*f = (struct hypmem_field){.present = true, .offset = (u32)off, .size = 4};
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	env_setup(FUZZ_HEAP_VA_SIZE);
	if (heap_workload_init(&hw, 3, 20000, env_host_page(0), HEAP_HOST_MAX_PAGES))
		abort();
	heap_workload_run(&hw);
	if (heap_workload_verify(&hw))
		abort();

	heap_start = (u64)hyp_allocator.start;
	for (u64 i = 0; i < SNAP_PAGES; i++) {
		u64 va = heap_start + i * PAGE_SIZE;

		pristine_pa[i] = pkvm_private_va_range_pa(va);
		pristine_mapped[i] = pristine_pa[i] != 0;
		if (pristine_mapped[i])
			memcpy(pristine[i], (void *)va, PAGE_SIZE);
	}
	pristine_fields[0] = (u64)hyp_allocator.start;
	pristine_fields[1] = (u64)hyp_allocator.end;
	pristine_fields[2] = (u64)hyp_allocator.last_used;
	pristine_fields[3] = (u64)hyp_allocator.first_unmapped;
	pristine_fields[4] = (u64)hyp_allocator.head;
	pristine_fields[5] = (u64)hyp_allocator.tail;
	pristine_fields[6] = hyp_allocator.mc.head;
	pristine_fields[7] = hyp_allocator.mc.nr_pages;

	layout.hdr_size = sizeof(struct chunk_hdr);
	field(&layout.next, offsetof(struct chunk_hdr, next));
	field(&layout.prev, offsetof(struct chunk_hdr, prev));
	field(&layout.unmapped, offsetof(struct chunk_hdr, __unmapped));
	field(&layout.hash, offsetof(struct chunk_hdr, hash));
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	return 0;
}

static void apply(enum where where, u32 off, const u8 *bytes, u32 len)
{
	u8 *base;
	size_t size;

	switch (where) {
	case WHERE_PAGES:
		base = &pages[0][0];
		size = sizeof(pages);
		break;
	case WHERE_ALLOCATOR:
		base = (u8 *)fields;
		size = sizeof(fields);
		break;
	default:
		base = mapped;
		size = sizeof(mapped);
		break;
	}
	off %= size;
	if (len > size - off)
		len = (u32)(size - off);
	memcpy(base + off, bytes, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hypmem_heap h = {.addr = 0x1000};
	struct hypmem_heap_mem mem = {.page = fuzz_page};
	struct hypmem_findings f;
	struct hypmem_error *err;
	size_t pos = 0;
	int n = 0;

	memcpy(pages, pristine, sizeof(pages));
	memcpy(pa_of, pristine_pa, sizeof(pa_of));
	memcpy(mapped, pristine_mapped, sizeof(mapped));
	memcpy(fields, pristine_fields, sizeof(fields));
	while (size - pos >= 6 && n++ < MAX_PATCHES) {
		enum where where = (enum where)(data[pos] % WHERE_NR);
		u32 off = (u32)data[pos + 1] | (u32)data[pos + 2] << 8 | (u32)data[pos + 3] << 16 |
			  (u32)data[pos + 4] << 24;
		u32 len = 1 + data[pos + 5] % 16;

		pos += 6;
		if (len > size - pos)
			len = (u32)(size - pos);
		apply(where, off, data + pos, len);
		pos += len;
	}

	snprintf(h.name, sizeof(h.name), "hyp_allocator");
	h.start = fields[0];
	h.end = fields[1];
	h.last_used = fields[2];
	h.first_unmapped = fields[3];
	h.head = fields[4];
	h.tail = fields[5];
	h.mc_head = fields[6];
	h.mc_pages = fields[7];
	hypmem_findings_init(&f);
	err = hypmem_heap_walk(&layout, &mem, true, &f, &h);
	if (err)
		abort(); /* only out of memory, which the small range cannot cause */
	(void)hypmem_heap_fragmentation(&h);
	json_object_put(hypmem_json_heaps(&h, 1));
	hypmem_text_heap(devnull, &h);
	hypmem_text_heap_summary(devnull, &h, 1);
	hypmem_text_findings(devnull, &f, 20);
	free(h.chunks);
	free(h.holes);
	hypmem_findings_deinit(&f);
	return 0;
}
