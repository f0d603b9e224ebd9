/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Page queries: everything the decoders know about one page, the question
 * crash's "kmem ADDR" answers, for the hypervisor's structures.
 *
 * hypmem_query_open() decodes the target once (pools, host stage-2 and hyp
 * stage-1 with their runs, the VMs and their guest stage-2s, the heaps with
 * their chunks, the 7.x cross-checks); hypmem_query_page() then answers for
 * any number of addresses from those results plus a few reads (the page's
 * vmemmap entry, the entries of the free block that may hold it, one
 * stage-2 walk for the table page holding its entry).  Nothing here
 * prints: hypmem/render.h's hypmem_json_page_query() and
 * hypmem_text_page_query() render.
 */
#ifndef HYPMEM_QUERY_H
#define HYPMEM_QUERY_H

#include <stdio.h>

#include "hypmem/decode.h"
#include "hypmem/heap.h"
#include "hypmem/stage2.h"
#include "hypmem/vms.h"

enum hypmem_addr_kind {
	HYPMEM_ADDR_AUTO,   /* a bare number: see hypmem_query_parse() */
	HYPMEM_ADDR_PA,	    /* "pa:X" */
	HYPMEM_ADDR_PFN,    /* "pfn:N" */
	HYPMEM_ADDR_HYP_VA, /* "hyp:X": through the hyp stage-1 */
	HYPMEM_ADDR_KVA,    /* "kva:X": kernel VA: linear map, or image as nm prints it */
	HYPMEM_ADDR_SYMBOL, /* "sym:NAME": a hyp or kernel variable */
};

struct hypmem_addr {
	enum hypmem_addr_kind kind;
	uint64_t value;
	char text[96]; /* as given */
};

/**
 * hypmem_query_parse() - Parse "pfn:N", "pa:X", "hyp:X", "kva:X",
 * "sym:NAME" or a bare number (resolved by hypmem_query_page(): all ones in
 * bits 63:48 is a kernel VA, of the linear map when VMCOREINFO's VA_BITS,
 * PHYS_OFFSET and TCR_EL1_T1SZ place it there, else of the image; an
 * address in hyp_memory[] is a PA,
 * otherwise a hyp VA if the hyp stage-1 maps it, otherwise a PA).
 *
 * Return: false for a malformed string.
 */
bool hypmem_query_parse(const char *s, struct hypmem_addr *ret);

struct hypmem_query;

/** hypmem_query_open() - Decode what the queries need; findings go to @t. */
struct hypmem_error *hypmem_query_open(struct hypmem_target *t, struct hypmem_query **ret);
void hypmem_query_destroy(struct hypmem_query *q);

#define HYPMEM_QUERY_MAX_MAPS	  16
#define HYPMEM_QUERY_MAX_CHUNKS	  8
#define HYPMEM_QUERY_MAX_FINDINGS 16

struct hypmem_query_map {   /* a stage-1 or guest stage-2 leaf mapping the page */
	uint64_t va;	    /* hyp VA, or the guest IPA */
	uint64_t vm_handle; /* guest mappings */
	int level;
	bool block; /* above the last level */
	char size[8];
	char state[24]; /* guest: page state of the leaf */
	unsigned int prot, memattr;
	bool donation; /* 7.x: a donation recorded in the host stage-2, not a guest leaf */
};

struct hypmem_query_chunk {
	char heap[64];
	uint64_t addr, size, used;
	bool is_used;
	bool holds; /* the address asked about lies in this chunk (header or data) */
};

struct hypmem_page_query {
	struct hypmem_addr in;
	bool resolved; /* false: @why says why */
	char why[160];
	char kind[8];	  /* how the input was read: "pa", "pfn", "hyp", "kva", "linear", "sym" */
	uint64_t pa;	  /* the address the input names */
	uint64_t page_pa; /* its page */
	uint64_t pfn;
	bool in_ram; /* in hyp_memory[] */

	/* The vmemmap entry. */
	bool has_page;
	uint64_t entry_va; /* hyp VA of the entry */
	struct hypmem_page page;
	char host_state[24], hyp_state[24]; /* "" when the layout has none */

	/* The pool whose range holds the page, and its free block. */
	bool in_pool;
	char pool[64];
	bool is_free;
	uint64_t block_pfn; /* head of the free block */
	unsigned int block_order;
	uint64_t block_index; /* 0-based position of the page in it */
	bool block_unlisted;  /* the decoder found the head on no free list */

	/* The host stage-2 entry. */
	bool s2_found;		 /* the kernel has a host stage-2 */
	bool s2_mapped;		 /* a non-zero entry covers the page */
	struct hypmem_s2_run s2; /* the run holding the entry */
	char s2_size[8], s2_owner[16], s2_state[24], s2_type[24], s2_memattr[16];
	uint64_t s2_desc, s2_ptep, s2_table_pa;

	/* Hyp stage-1 mappings, guest stage-2 mappings. */
	struct hypmem_query_map hyp[HYPMEM_QUERY_MAX_MAPS];
	size_t nr_hyp, nr_hyp_total;
	struct hypmem_query_map guest[HYPMEM_QUERY_MAX_MAPS];
	size_t nr_guest, nr_guest_total;

	/* Heap chunks overlapping the page. */
	struct hypmem_query_chunk chunks[HYPMEM_QUERY_MAX_CHUNKS];
	size_t nr_chunks, nr_chunks_total;

	/* Findings whose address lies in the page (indices in the target's list). */
	size_t findings[HYPMEM_QUERY_MAX_FINDINGS];
	size_t nr_findings, nr_findings_total;
};

/**
 * hypmem_query_page() - Answer for one address.
 * @q: the decoded target.
 * @in: the address.
 * @ret: filled; ret->resolved is false when the address names no page.
 *
 * Return: NULL, or an error that stopped the query (out of memory).
 */
struct hypmem_error *hypmem_query_page(struct hypmem_query *q, const struct hypmem_addr *in,
				       struct hypmem_page_query *ret);

/* The target's page shift, and its findings (what a page's findings index). */
unsigned int hypmem_query_page_shift(const struct hypmem_query *q);
const struct hypmem_findings *hypmem_query_findings(const struct hypmem_query *q);

/*
 * What hypmem_query_open() decoded, borrowed from @q (the public API,
 * api.c, hands these out).  hypmem_query_stage2(): NULL when the kernel
 * has no such table.
 */
const struct hypmem_pool *hypmem_query_pools(const struct hypmem_query *q, size_t *nr_ret);
const struct hypmem_stage2 *hypmem_query_stage2(const struct hypmem_query *q, bool hyp_stage1);
const struct hypmem_heap *hypmem_query_heaps(const struct hypmem_query *q, size_t *nr_ret);

#endif /* HYPMEM_QUERY_H */
