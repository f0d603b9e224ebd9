/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The hyp heap (struct hyp_allocator, from "KVM: arm64: Introduce pKVM
 * hypervisor heap allocator", May 2026) decoded from a target.
 *
 * The heap lives in a private hyp VA range, reached only through the hyp
 * stage-1.  A heap is read in three steps: its struct hyp_allocator (from
 * DWARF: start, end, last_used, first_unmapped, head, tail, the memcache);
 * a census of the range's pages from the stage-1 (mapped, where, or not);
 * then a walk of the chunk headers from head, following the 32-bit relative
 * next offsets, with every header's hash recomputed (hypmem_heap_hash()),
 * every offset bounds-checked, and every claim about what is mapped checked
 * against the census.  The memcache's chain of donated pages is walked too.
 * Corruption becomes findings (findings.h, heap_*); decoding goes on where
 * it can and stops where the chain cannot be followed.
 *
 * The walk itself (hypmem_heap_walk()) knows nothing of targets: it reads
 * pages through a callback, so fuzzers and benchmarks can feed it directly.
 *
 * Layout facts that DWARF cannot give (they are #defines upstream) are the
 * UP design's: bit 0 of __unmapped is the used flag, data is 16-byte
 * aligned, a chunk is at least header + 16 bytes, headers never start 1..31
 * bytes into a page.  The older ACK design (list_head chunks) is not
 * decoded: its struct chunk_hdr has no 32-bit next offset, and
 * hypmem_heaps_decode() says so with HYPMEM_ERROR_FORMAT.
 */
#ifndef HYPMEM_HEAP_H
#define HYPMEM_HEAP_H

#include <stdio.h>

#include "hypmem/target.h"

/* One chunk.  Addresses are hyp VAs; sizes are bytes of data. */
struct hypmem_heap_chunk {
	uint64_t addr;	   /* the header */
	uint64_t pa;	   /* the header's PA */
	uint64_t size;	   /* data bytes up to the next header (or the range end) */
	uint64_t mapped;   /* data bytes before the first unmapped page */
	uint64_t used;	   /* data bytes in use; 0 when free */
	uint64_t unmapped; /* first unmapped page of the chunk's span, 0: none */
	uint32_t next, prev, unmapped_off, hash; /* the raw header */
	bool is_used;
	bool hash_ok;
};

/* An unmapped run between chunks: [start, end). */
struct hypmem_heap_hole {
	uint64_t start, end;
	uint64_t pages; /* whole pages of the target's granule in [start, end) */
};

struct hypmem_heap {
	char name[64]; /* the variable's C name, e.g. "hyp_allocator" */
	uint64_t addr; /* PA of the struct hyp_allocator */
	/* struct hyp_allocator, as read. */
	uint64_t start, end, last_used, first_unmapped, head, tail;
	uint64_t mc_head, mc_pages;
	/* Decoded. */
	uint64_t top;			  /* where mapping stops at the top of the range */
	struct hypmem_heap_chunk *chunks; /* owned; NULL unless asked for */
	size_t nr_chunks;
	struct hypmem_heap_hole *holes; /* owned; NULL unless asked for */
	size_t nr_holes;
	uint64_t nr_used;
	uint64_t used_bytes;   /* data in use */
	uint64_t free_bytes;   /* mapped data of free chunks */
	uint64_t largest_free; /* the largest of those */
	uint64_t mapped_pages; /* pages of the range the stage-1 maps */
	uint64_t hole_pages;
	uint64_t reclaimable_pages; /* as hyp_alloc_reclaimable() counts them */
	uint64_t mc_walked;	    /* pages found on the memcache chain */
	bool complete;		    /* the walk reached the tail */
	uint64_t findings;	    /* findings this heap produced */
};

/**
 * hypmem_heap_hash() - The chunk header hash of the UP design:
 * hash_64(next | prev << 32, 32) ^ hash_32(unmapped, 32), with the
 * kernel's generic golden-ratio hashes.
 */
uint32_t hypmem_heap_hash(uint32_t next, uint32_t prev, uint32_t unmapped);

/**
 * hypmem_heap_fragmentation() - 1 - largest free / total free (0 when
 * nothing is free).
 */
double hypmem_heap_fragmentation(const struct hypmem_heap *h);

/**
 * hypmem_heap_check_design() - Name a heap design that is not decoded here.
 *
 * Return: NULL, or HYPMEM_ERROR_FORMAT when struct chunk_hdr is Android's
 * (alloc_size, mapped_size, a list node), saying so in one sentence.
 */
struct hypmem_error *hypmem_heap_check_design(struct hypmem_dwarf *dw);

/* The one sentence for a kernel without the heap, in stat and dump alike. */
#define HYPMEM_NO_HEAP "this kernel has no hyp heap"

/**
 * hypmem_heaps_decode() - Find and decode every struct hyp_allocator.
 * @t: target.
 * @chunks: keep the chunk and hole lists (else only the totals).
 * @heaps_ret: malloc()ed array; free with hypmem_heaps_free().
 * @nr_ret: its length.
 *
 * Return: NULL; HYPMEM_ERROR_LOOKUP when the image has no struct
 * hyp_allocator (a kernel without the heap: the message starts with
 * HYPMEM_NO_HEAP); HYPMEM_ERROR_FORMAT when its layout is not the one decoded
 * here (Android's list-based design is named as such); out of memory.
 */
struct hypmem_error *hypmem_heaps_decode(struct hypmem_target *t, bool chunks,
					 struct hypmem_heap **heaps_ret, size_t *nr_ret);
void hypmem_heaps_free(struct hypmem_heap *heaps, size_t nr);

/* --- the walk, without a target --- */

/* struct chunk_hdr as DWARF describes it. */
struct hypmem_heap_layout {
	uint32_t hdr_size;
	struct hypmem_field next, prev, unmapped, hash;
};

enum hypmem_heap_page_state {
	HYPMEM_HEAP_PAGE_UNMAPPED,
	HYPMEM_HEAP_PAGE_MAPPED,
	HYPMEM_HEAP_PAGE_UNREADABLE, /* mapped, or unknown, but not in the source */
};

/*
 * How the walk sees the range.  page() answers for the page at @va (page
 * aligned, inside [start, end)); for a mapped page it sets *@pa and, when
 * @bytes is not NULL, *@bytes to the page's @page_size bytes, valid until
 * the next call.  A mapped page whose bytes cannot be read is UNREADABLE.
 * @page_size: the target's granule; 0 means 4096.
 */
struct hypmem_heap_mem {
	enum hypmem_heap_page_state (*page)(void *arg, uint64_t va, const uint8_t **bytes,
					    uint64_t *pa);
	void *arg;
	uint64_t page_size;
};

/**
 * hypmem_heap_walk() - Decode a heap whose struct hyp_allocator fields
 * (start .. mc_pages, and name) are filled in @h.
 * @l: the header layout.
 * @mem: the range's pages.
 * @chunks: keep the chunk and hole lists.
 * @f: where findings go.
 * @h: in: the allocator's fields; out: everything else.
 *
 * Return: NULL, or out of memory.
 */
struct hypmem_error *hypmem_heap_walk(const struct hypmem_heap_layout *l,
				      const struct hypmem_heap_mem *mem, bool chunks,
				      struct hypmem_findings *f, struct hypmem_heap *h);

#endif /* HYPMEM_HEAP_H */
