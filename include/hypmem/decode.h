/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Decoders of the hyp page allocator's state: the vmemmap (struct
 * hyp_page per PFN) and the buddy pools (struct hyp_pool).
 *
 * Layouts come from DWARF: which members struct hyp_page has (refcount,
 * order, the page-state bitfields, a list node in the legacy layout), their
 * widths, HYP_NO_ORDER as the all-ones value of the order field, and where a
 * free block's list node lives (in the free page, or in struct hyp_page when
 * it has a "node" member).
 *
 * Corrupt data is reported as findings on the target (target.h) and the
 * decoders keep going; errors are for "cannot continue" (no DWARF member the
 * decoder needs, the pool struct itself unreadable, out of memory).
 */
#ifndef HYPMEM_DECODE_H
#define HYPMEM_DECODE_H

#include "hypmem/target.h"

#define HYPMEM_MAX_ORDERS 16

/* A histogram over u64 keys, kept sorted by key. */
struct hypmem_histogram {
	uint64_t *keys;
	uint64_t *counts;
	size_t nr, cap;
};
void hypmem_histogram_deinit(struct hypmem_histogram *h);
struct hypmem_error *hypmem_histogram_add(struct hypmem_histogram *h, uint64_t key,
					  uint64_t count);

/* What DWARF says about struct hyp_page. */
struct hypmem_hyp_page_layout {
	uint64_t size;
	struct hypmem_field refcount, order, host_state, hyp_state_comp, host_share_guest_count;
	bool node_in_page;	  /* free-list node in the free page itself */
	uint32_t node_offset;	  /* else: offset of "node" in struct hyp_page */
	uint64_t no_order;	  /* HYP_NO_ORDER: all ones of the order field */
};

/* One decoded vmemmap entry. */
struct hypmem_page {
	uint64_t pfn;
	uint64_t refcount;
	uint64_t order;
	bool no_order;
	bool has_state;		/* host/hyp state fields exist in this layout */
	unsigned int host_state, hyp_state;
	uint64_t host_share_guest_count;
};

struct hypmem_vmemmap_summary {
	uint64_t base;		/* __hyp_vmemmap */
	uint64_t entry_size;
	uint64_t nr_entries;	/* entries describing hyp_memory[] pages */
	uint64_t nr_unreadable; /* entries whose backing is mapped but not dumped */
	uint64_t nr_unbacked;	/* entries the hyp stage-1 does not map at all */
	uint64_t backing_bytes; /* vmemmap bytes backed for those entries */
	uint64_t no_order;
	struct hypmem_histogram refcount;
	struct hypmem_histogram order;
	struct hypmem_histogram host_state; /* empty when the layout has none */
	struct hypmem_histogram hyp_state;
};

struct hypmem_error *hypmem_hyp_page_layout(struct hypmem_target *t,
					    struct hypmem_hyp_page_layout *ret);

/* Page states a struct hyp_page can hold, by value. */
#define HYPMEM_NR_PAGE_STATES 16

/**
 * hypmem_vmemmap_state_names() - Short names ("owned", "nopage", ...) of the
 * page states, indexed by the value struct hyp_page holds, taken from the
 * enumerators of enum pkvm_page_state in DWARF; NULL where it has none.
 */
void hypmem_vmemmap_state_names(struct hypmem_target *t,
				const char *names[HYPMEM_NR_PAGE_STATES]);

/**
 * hypmem_vmemmap_read() - Decode the entries of PFNs [@first, @first+@nr).
 * @t: target.
 * @first: first PFN.
 * @nr: number of entries; @pages holds @nr.
 * @pages: output.
 *
 * Return: NULL, or a FAULT error for the first entry that cannot be read.
 */
struct hypmem_error *hypmem_vmemmap_read(struct hypmem_target *t, uint64_t first, uint64_t nr,
					 struct hypmem_page *pages);

typedef struct hypmem_error *(*hypmem_page_fn)(const struct hypmem_page *page, void *arg);

/**
 * hypmem_vmemmap_for_each() - Visit the entries of every hyp_memory PFN in
 * [@first, @end) in order, streaming (memory use independent of RAM size).
 * Unreadable entries are skipped and counted in @summary, with one finding
 * per unreadable vmemmap page.
 * @summary: filled (histograms too) when not NULL; release it with
 * hypmem_vmemmap_summary_deinit().
 *
 * Return: NULL, or the first error @fn returned.
 */
struct hypmem_error *hypmem_vmemmap_for_each(struct hypmem_target *t, uint64_t first,
					     uint64_t end, hypmem_page_fn fn, void *arg,
					     struct hypmem_vmemmap_summary *summary);
void hypmem_vmemmap_summary_deinit(struct hypmem_vmemmap_summary *s);

/* A decoded pool. */
struct hypmem_pool {
	char name[64];
	uint64_t addr;		/* PA of the struct hyp_pool */
	uint64_t range_start, range_end;
	uint64_t max_order;
	unsigned int nr_orders;	/* lists walked (free_area[] entries in use) */
	unsigned int nr_areas;	/* free_area[] length from DWARF */
	uint64_t nr_pages;
	uint64_t free_pages;
	uint64_t free_pages_by_order[HYPMEM_MAX_ORDERS];
	uint64_t free_blocks_by_order[HYPMEM_MAX_ORDERS];
	uint64_t findings;	/* findings this pool produced */
};

/**
 * hypmem_pools_decode() - Find and decode every hyp_pool of the target.
 * @t: target.
 * @pools_ret: malloc()ed array, caller frees.
 * @nr_ret: its length.
 *
 * Pools are every hyp variable of type struct hyp_pool that DWARF knows
 * (hpool, host_s2_pool, ...).  Each free list is walked with a cap and
 * Brent's cycle detection; every node is checked (see findings.h).
 *
 * Return: NULL, or an error when struct hyp_pool cannot be understood.
 */
struct hypmem_error *hypmem_pools_decode(struct hypmem_target *t, struct hypmem_pool **pools_ret,
					 size_t *nr_ret);

#endif /* HYPMEM_DECODE_H */
