/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Page tables in a dump: one walker for the host stage-2 (host_mmu, or
 * host_kvm before about v6.2) and the hyp stage-1 (pkvm_pgtable), and the
 * decoders built on it, which merge leaves into runs (owner, page state,
 * permissions, block size), count them, and check the tables.
 *
 * The walker (hypmem_pgtable_walk(), lib/hypmem/pgwalk.c) knows arm64
 * descriptors with 4K, 16K and 64K granules and nothing of pKVM.  It reads each table page once through the
 * source, checks every table pointer against the allowed ranges (the pool
 * the tables come from) and the dump, never visits a table page twice (a
 * loop, or two parents), bounds the levels, and reports reserved
 * encodings.  Leaves reach the visitor in batches: @nr consecutive entries
 * of one table, each the previous plus one granule of output address (valid
 * leaves) or equal to it (invalid ones), so an identity map of 4K pages
 * costs one compare per entry.  Zero entries are holes and are not visited.
 *
 * The decoders add what pKVM means: owner ids in invalid entries (bits 9:2,
 * names from the enum pkvm_component_id in DWARF), page states in software
 * bits 56:55 (values from enum pkvm_page_state, masks in the v6.1 era,
 * small integers later), which descriptors hold a reference on their table
 * page (Android's rule, from "KVM: arm64: Coalesce host stage2 entries on
 * ownership reclaim", when struct kvm_pgtable has pte_ops; upstream's
 * otherwise), checked against each table page's hyp_page refcount.
 *
 * Corrupt tables are findings on the target (findings.h); errors are for
 * "cannot continue" (out of memory, a visitor's error).
 */
#ifndef HYPMEM_STAGE2_H
#define HYPMEM_STAGE2_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hypmem/target.h"

#define HYPMEM_PGTABLE_LEVELS	     4
#define HYPMEM_PGTABLE_MAX_PGD_PAGES 16
#define HYPMEM_S2_MAX_OWNERS	     256

enum hypmem_walk_flags {
	HYPMEM_WALK_LEAF = 1,
	HYPMEM_WALK_TABLE_PRE = 2,
	HYPMEM_WALK_TABLE_POST = 4,
};

/* Where a table lives and what may hold its pages. */
struct hypmem_pgtable_geometry {
	uint32_t ia_bits;
	int start_level;
	uint64_t pgd_pa;
	unsigned int pgd_pages; /* concatenated root pages (stage-2), else 1 */
	unsigned int page_shift; /* granule: 12, 14 or 16; 0 means 12 */
	bool lpa2;		/* FEAT_LPA2 descriptors: OA[51:50] in bits 9:8, no SH */
	/* Table pages must lie in one of these (a pool); NULL: anywhere. Borrowed. */
	const struct hypmem_ram_range *table_ranges;
	size_t nr_table_ranges;
	uint64_t max_tables; /* bound on table pages walked; 0: 1 << 22 */
};

/**
 * hypmem_pgtable_geometry_init() - Check a table's shape and count its
 * root pages.
 * @g: filled; table_ranges and max_tables are left to the caller.
 * @ia_bits: input-address bits (25..52; above 48 means LPA2 descriptors).
 * @start_level: 0..3, or -1 for 4K pages with more than 48 input bits.
 * @pgd_pa: physical address of the root.
 * @stage2: up to 16 root pages may be concatenated at the start level.
 *
 * Return: NULL, or HYPMEM_ERROR_FORMAT for a shape no 4K-granule table has.
 */
struct hypmem_error *hypmem_pgtable_geometry_init(struct hypmem_pgtable_geometry *g,
						  uint32_t ia_bits, int start_level,
						  uint64_t pgd_pa, bool stage2);

/* The same for a granule of 2^@page_shift bytes (12, 14 or 16). */
struct hypmem_error *hypmem_pgtable_geometry_init_granule(struct hypmem_pgtable_geometry *g,
							  unsigned int page_shift, uint32_t ia_bits,
							  int start_level, uint64_t pgd_pa,
							  bool stage2);

/* What a visitor is shown; valid during the call only. */
struct hypmem_pgtable_visit_ctx {
	uint64_t addr; /* input address of the (first) entry */
	uint64_t end;  /* end of the walk's range */
	int level;
	uint64_t old;	       /* the (first) descriptor */
	uint64_t nr;	       /* LEAF: entries in the batch; tables: 1 */
	uint64_t ptep;	       /* physical address of the (first) entry */
	uint64_t table_pa;     /* the table page holding it */
	const uint64_t *child; /* TABLE_POST: the child table's entries */
	uint64_t child_pa;     /* TABLE_PRE/POST: the child table page */
	void *arg;
};

typedef struct hypmem_error *(*hypmem_pgtable_visitor_fn)(
    const struct hypmem_pgtable_visit_ctx *ctx, enum hypmem_walk_flags visit);

struct hypmem_pgtable_walker {
	hypmem_pgtable_visitor_fn cb;
	void *arg;
	unsigned int flags; /* HYPMEM_WALK_* */
};

/**
 * hypmem_pgtable_walk() - Visit the entries of [@start, @end) in address order.
 * @src: where table pages are read.
 * @g: the table.
 * @start: first input address (rounded down to a page).
 * @end: end of the range, at most 2^ia_bits.
 * @w: visitor, argument, and which visits it wants.  TABLE_PRE and
 *     TABLE_POST are only made for tables the walker descends into.
 * @findings: where corrupt tables are reported.
 *
 * Return: NULL, the first error a visitor returned, or &hypmem_enomem.
 */
struct hypmem_error *hypmem_pgtable_walk(struct hypmem_source *src,
					 const struct hypmem_pgtable_geometry *g, uint64_t start,
					 uint64_t end, const struct hypmem_pgtable_walker *w,
					 struct hypmem_findings *findings);

/* Page states, as the JSON names them. */
enum hypmem_s2_state {
	HYPMEM_S2_OWNED,
	HYPMEM_S2_SHARED_OWNED,
	HYPMEM_S2_SHARED_BORROWED,
	HYPMEM_S2_NOPAGE,
	HYPMEM_S2_RESERVED,
	HYPMEM_S2_NR_STATES,
	/* 7.x host stage-2 leaves: the state is in the vmemmap; not in by_state. */
	HYPMEM_S2_NOSTATE = HYPMEM_S2_NR_STATES
};

#define HYPMEM_PROT_R 1
#define HYPMEM_PROT_W 2
#define HYPMEM_PROT_X 4

enum hypmem_memattr {
	HYPMEM_MEMATTR_NONE,
	HYPMEM_MEMATTR_NORMAL,
	HYPMEM_MEMATTR_DEVICE,
	HYPMEM_MEMATTR_OTHER,
	HYPMEM_MEMATTR_AS_STAGE1 /* FEAT_S2FWB 0b0111: the stage-1 attributes apply */
};

/* Consecutive leaves of one kind: what hypmem-dump stage2 lists. */
struct hypmem_s2_run {
	uint64_t start, end; /* input addresses, end exclusive */
	uint64_t phys;	     /* output address of start (valid leaves) */
	int level;
	bool valid;
	unsigned int owner; /* owner id of invalid entries; 0 for valid ones */
	unsigned int type;  /* 7.x invalid entries: enum kvm_invalid_pte_type; else 0 */
	uint32_t vm_handle; /* 7.x donation to a guest: its VM handle; else 0 */
	uint64_t gfn;	    /* and the guest frame of @start */
	enum hypmem_s2_state state;
	unsigned int prot;    /* HYPMEM_PROT_*; stage-1: from AP and XN */
	unsigned int memattr; /* enum hypmem_memattr; stage-1: AttrIndx + 16 */
};

struct hypmem_s2_bucket {
	uint64_t count, bytes;
};

/* How to read pKVM's meaning into descriptors; hypmem_stage2_decode() fills it from DWARF. */
struct hypmem_s2_config {
	bool stage1;	     /* the hyp stage-1: no owners, S1 permission bits */
	bool android_refcounts; /* default leaves hold no reference (Android's pte_ops) */
	bool check_identity; /* stage-2 idmap: output address == input address */
	bool keep_runs;
	bool invalid_types;  /* 7.x: enum kvm_invalid_pte_type (type in bits 63:60) */
	bool no_leaf_state;  /* 7.x host stage-2: states live in the vmemmap */
	bool guest;	     /* a guest stage-2: no identity map, owner guest */
	int64_t type_locked, type_donation, type_poisoned; /* from DWARF */
	unsigned int host_owner, guest_owner;	/* PKVM_ID_HOST, PKVM_ID_GUEST */
	unsigned int state_shift;		    /* of the 2 state bits (SW0 = 55) */
	int8_t state_of_raw[4];			    /* 2-bit field -> enum hypmem_s2_state */
	int owner_max;				    /* largest valid owner id; -1: unknown */
	char owner_names[HYPMEM_S2_MAX_OWNERS][16]; /* "" for unknown ids */
	const struct hypmem_ram_range *ram;	    /* memory (vs MMIO) for default leaves */
	size_t nr_ram;
	/* Optional: the hyp_page refcount of a table page (tables are checked against it). */
	struct hypmem_error *(*refcount)(void *arg, uint64_t pa, uint64_t *ret);
	void *refcount_arg;
};

struct hypmem_stage2 {
	bool found; /* false: the target has no such table (reason in @missing) */
	char missing[160];
	char table[16]; /* "host_mmu", "host_kvm" or "pkvm_pgtable" */
	struct hypmem_s2_config cfg;
	struct hypmem_pgtable_geometry geom;
	struct hypmem_ram_range pool; /* range of the tables' pool; {0, 0}: unknown */
	uint64_t pgd;		      /* root pointer as stored (hyp VA) */
	struct hypmem_s2_run *runs;   /* when cfg.keep_runs; owned */
	size_t nr_runs, cap_runs;
	uint64_t nr_runs_total;
	struct hypmem_s2_bucket by_level[HYPMEM_PGTABLE_LEVELS];	/* every leaf */
	struct hypmem_s2_bucket mapped_by_level[HYPMEM_PGTABLE_LEVELS]; /* valid leaves */
	struct hypmem_s2_bucket by_owner[HYPMEM_S2_MAX_OWNERS];
	struct hypmem_s2_bucket by_state[HYPMEM_S2_NR_STATES];
	struct hypmem_s2_bucket by_type[16];	/* 7.x invalid entries, by type */
	/* A level -1 root (5 levels) counts in tables, not in tables_by_level. */
	uint64_t tables, tables_by_level[HYPMEM_PGTABLE_LEVELS];
	uint64_t candidates;	   /* last-level tables holding nothing counted (stage-2) */
	uint64_t *candidate_addrs; /* their input addresses, when cfg.keep_runs; owned */
	size_t nr_candidate_addrs, cap_candidate_addrs;
};

#define HYPMEM_S2_KEEP_RUNS  1U
#define HYPMEM_S2_HYP_STAGE1 2U

/**
 * hypmem_stage2_decode() - Decode the host stage-2 (or, with
 * HYPMEM_S2_HYP_STAGE1, the hyp stage-1) of a target.
 * @t: the target; findings go to its list.
 * @flags: HYPMEM_S2_KEEP_RUNS to keep the run list; HYPMEM_S2_HYP_STAGE1.
 * @ret: filled; release with hypmem_stage2_deinit().  ret->found is false
 *       (and nothing else is) when DWARF has no host_mmu/host_kvm.
 *
 * Return: NULL, or an error that stopped decoding.
 */
struct hypmem_error *hypmem_stage2_decode(struct hypmem_target *t, unsigned int flags,
					  struct hypmem_stage2 *ret);

/**
 * hypmem_stage2_decode_raw() - The same without DWARF: @s->cfg, @s->geom
 * and @s->pool filled by the caller (benchmarks, fuzzing, tests).  A run
 * buffer left in @s->runs/@s->cap_runs by an earlier decode is reused; the
 * counters must start at zero.
 *
 * Return: as hypmem_stage2_decode().
 */
struct hypmem_error *hypmem_stage2_decode_raw(struct hypmem_source *src,
					      struct hypmem_findings *findings,
					      struct hypmem_stage2 *s);

void hypmem_stage2_deinit(struct hypmem_stage2 *s);

/* Names used in text and JSON. */
const char *hypmem_s2_state_name(enum hypmem_s2_state state);
const char *hypmem_s2_prot_name(unsigned int prot);
const char *hypmem_s2_memattr_name(unsigned int memattr, char *buf, size_t len);
const char *hypmem_s2_size_name(int level); /* 4K granule */
/* "16K", "32M"... for the table's granule; @buf holds at least 8 bytes. */
const char *hypmem_s2_level_size_name(const struct hypmem_stage2 *s, int level, char *buf);
/* "locked", "host_donation", "guest_poisoned" or "type<N>". */
const char *hypmem_s2_type_name(const struct hypmem_stage2 *s, unsigned int type, char *buf);
/* "host", "hyp", ... from DWARF, or "owner<N>"; @buf holds at least 16 bytes. */
const char *hypmem_s2_owner_name(const struct hypmem_stage2 *s, unsigned int owner, char *buf);

#endif /* HYPMEM_STAGE2_H */
