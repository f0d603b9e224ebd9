// SPDX-License-Identifier: GPL-2.0-only
/*
 * The arm64 translation-table walker (lib/hypmem/pgwalk.h).
 *
 * Walking: each table page is read once, zero-copy when the source can
 * hand out a view; table pointers are checked before they are followed
 * (allowed ranges, present in the dump, not seen before); leaves are
 * batched per table so that the common case, long runs of identical
 * leaves, is one load and one compare per entry.  A lookup reads one
 * descriptor per level and applies the same leaf checks.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hypmem/decode.h"
#include "pgwalk.h"

/* Entries in a table page of the largest granule (64K). */
#define MAX_PTES 8192

struct hypmem_error *hypmem_pgtable_geometry_init(struct hypmem_pgtable_geometry *g,
						  uint32_t ia_bits, int start_level,
						  uint64_t pgd_pa, bool stage2)
{
	return hypmem_pgtable_geometry_init_granule(g, 12, ia_bits, start_level, pgd_pa, stage2);
}

struct hypmem_error *hypmem_pgtable_geometry_init_granule(struct hypmem_pgtable_geometry *g,
							  unsigned int page_shift, uint32_t ia_bits,
							  int start_level, uint64_t pgd_pa,
							  bool stage2)
{
	unsigned int covered;

	memset(g, 0, sizeof(*g));
	if (!granule_ok(page_shift))
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "no arm64 granule of %u bits",
					   page_shift);
	/* Level -1 exists only for 4K pages with 52-bit input addresses (FEAT_LPA2). */
	if (ia_bits < 25 || ia_bits > 52 || start_level < (page_shift == 12 && ia_bits > 48 ? -1 : 0) ||
	    start_level > 3 ||
	    level_shift(start_level, page_shift) >= ia_bits + (stage2 ? 4 : 0))
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "page table of %u input bits from level %d", ia_bits,
					   start_level);
	covered = level_shift(start_level, page_shift) + level_bits(page_shift);
	g->pgd_pages = 1;
	if (ia_bits > covered) {
		if (!stage2 || ia_bits - covered > 4)
			return hypmem_error_create(HYPMEM_ERROR_FORMAT,
						   "%u input bits need %u root pages at level %d",
						   ia_bits, 1U << (ia_bits - covered), start_level);
		g->pgd_pages = 1U << (ia_bits - covered);
	}
	if (pgd_pa & ((g->pgd_pages << page_shift) - 1))
		return hypmem_error_create(
		    HYPMEM_ERROR_FORMAT, "root table 0x%" PRIx64 " is not aligned to its %u pages",
		    pgd_pa, g->pgd_pages);
	g->ia_bits = ia_bits;
	g->start_level = start_level;
	g->pgd_pa = pgd_pa;
	g->page_shift = page_shift;
	g->lpa2 = ia_bits > 48;
	return NULL;
}

/* --- the walker --- */

/* Table pages seen: open addressing over their physical addresses. */
struct pa_set {
	uint64_t *slots; /* PA | 1; 0 = empty */
	size_t cap, nr;
};

static size_t pa_hash(uint64_t pa, size_t cap)
{
	return (size_t)(((pa >> 12) * 0x9e3779b97f4a7c15ULL) >> 20) & (cap - 1);
}

static struct hypmem_error *pa_set_grow(struct pa_set *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1024;
	uint64_t *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return &hypmem_enomem;
	for (size_t i = 0; i < s->cap; i++) {
		size_t j;

		if (!s->slots[i])
			continue;
		for (j = pa_hash(s->slots[i], cap); slots[j]; j = (j + 1) & (cap - 1))
			;
		slots[j] = s->slots[i];
	}
	free(s->slots);
	s->slots = slots;
	s->cap = cap;
	return NULL;
}

/* Add @pa; *added is false when it was there already. */
static struct hypmem_error *pa_set_add(struct pa_set *s, uint64_t pa, bool *added)
{
	struct hypmem_error *err;
	size_t j;

	if ((s->nr + 1) * 2 > s->cap) {
		err = pa_set_grow(s);
		if (err)
			return err;
	}
	/* Tables are page aligned: bit 0 marks a used slot, even for PA 0. */
	for (j = pa_hash(pa, s->cap); s->slots[j]; j = (j + 1) & (s->cap - 1)) {
		if (s->slots[j] == (pa | 1)) {
			*added = false;
			return NULL;
		}
	}
	s->slots[j] = pa | 1;
	s->nr++;
	*added = true;
	return NULL;
}

struct walk {
	struct hypmem_source *src;
	const struct hypmem_pgtable_geometry *g;
	const struct hypmem_pgtable_walker *w;
	struct hypmem_findings *f;
	uint64_t start, end;
	uint64_t max_tables, nr_tables;
	unsigned int page_shift, nr_ptes;
	/* Tables seen: a bit per page of the first allowed range, a set elsewhere. */
	uint64_t *bitmap, bitmap_start, bitmap_pages;
	struct pa_set seen;
	uint64_t buf[HYPMEM_PGTABLE_LEVELS + 1][MAX_PTES]; /* per level + 1, when no view */
};

static struct hypmem_error *mark_seen(struct walk *wk, uint64_t pa, bool *added)
{
	uint64_t page = (pa - wk->bitmap_start) >> wk->page_shift;

	if (wk->bitmap && pa >= wk->bitmap_start && page < wk->bitmap_pages) {
		uint64_t bit = 1ULL << (page & 63);

		*added = !(wk->bitmap[page / 64] & bit);
		wk->bitmap[page / 64] |= bit;
		return NULL;
	}
	return pa_set_add(&wk->seen, pa, added);
}

/* The entries of the table page at @pa, or NULL after a finding. */
static struct hypmem_error *read_table(struct walk *wk, uint64_t pa, int level,
				       const uint64_t **ret)
{
	struct hypmem_error *err;
	const void *view;

	*ret = NULL;
	uint64_t size = 1ULL << wk->page_shift;

	err = hypmem_source_view(wk->src, pa, size, &view);
	if (!err && !((uintptr_t)view & 7)) {
		*ret = view;
		return NULL;
	}
	if (err && err->code == HYPMEM_ERROR_NO_MEMORY)
		return err;
	hypmem_error_destroy(err);
	err = hypmem_source_read(wk->src, wk->buf[level + 1], pa, size);
	if (!err) {
		*ret = wk->buf[level + 1];
		return NULL;
	}
	if (err->code == HYPMEM_ERROR_NO_MEMORY)
		return err;
	hypmem_error_destroy(err);
	return hypmem_findings_add(wk->f, HYPMEM_FINDING_TABLE_UNREADABLE, pa,
				   "level %d table page 0x%" PRIx64 " is not (wholly) in the dump",
				   level, pa);
}

static bool in_ranges(const struct hypmem_pgtable_geometry *g, uint64_t pa)
{
	if (!g->table_ranges)
		return true;
	for (size_t i = 0; i < g->nr_table_ranges; i++)
		if (pa >= g->table_ranges[i].start && pa < g->table_ranges[i].end)
			return true;
	return false;
}

/* May the table page at @pa be walked?  *ok false after a finding. */
static struct hypmem_error *check_table(struct walk *wk, uint64_t ptep, uint64_t pa, int level,
					bool *ok)
{
	struct hypmem_error *err;
	bool added;

	*ok = false;
	if (!in_ranges(wk->g, pa)) {
		err = hypmem_findings_add(wk->f, HYPMEM_FINDING_TABLE_OUTSIDE_POOL, ptep,
					  "table descriptor at 0x%" PRIx64 " points at 0x%" PRIx64
					  ", outside the tables' pool",
					  ptep, pa);
		if (err)
			return err;
		/* Still worth reading: report what it maps, if it is in the dump. */
	}
	if (wk->nr_tables >= wk->max_tables)
		return hypmem_findings_add(wk->f, HYPMEM_FINDING_TABLE_LOOP, ptep,
					   "more than %" PRIu64 " table pages: walk stopped here",
					   wk->max_tables);
	err = mark_seen(wk, pa, &added);
	if (err)
		return err;
	wk->nr_tables += added;
	if (!added)
		return hypmem_findings_add(wk->f, HYPMEM_FINDING_TABLE_LOOP, ptep,
					   "level %d table descriptor at 0x%" PRIx64
					   " points at table page 0x%" PRIx64
					   ", already reached (a loop or a shared table)",
					   level, ptep, pa);
	*ok = true;
	return NULL;
}

const char *pgwalk_reserved_leaf(uint64_t pte, int level, bool lpa2, unsigned int ps)
{
	if (!(pte & PTE_VALID))
		return NULL;
	if (level == 3 && !(pte & PTE_TYPE))
		return "block descriptor at level 3";
	if (level < 0)
		return "block descriptor at level -1";
	if (level == 0)
		return "block descriptor at level 0";
	/* 16K and 64K granules have level-1 blocks only with 52-bit descriptors. */
	if (level == 1 && ps != 12 && !lpa2)
		return "block descriptor at level 1";
	if (pte_oa(pte, lpa2, ps) & ((1ULL << level_shift(level, ps)) - 1))
		return "block output address not aligned to the block";
	return NULL;
}

static struct hypmem_error *walk_table(struct walk *wk, const uint64_t *table, uint64_t table_pa,
				       int level, uint64_t base, uint64_t start);

static struct hypmem_error *walk_child(struct walk *wk, struct hypmem_pgtable_visit_ctx *ctx)
{
	const struct hypmem_pgtable_walker *w = wk->w;
	uint64_t child_pa = pte_oa(ctx->old, wk->g->lpa2, wk->page_shift);
	struct hypmem_error *err;
	const uint64_t *child;
	bool ok;

	err = check_table(wk, ctx->ptep, child_pa, ctx->level + 1, &ok);
	if (err || !ok)
		return err;
	err = read_table(wk, child_pa, ctx->level + 1, &child);
	if (err)
		return err;
	if (!child) {
		ctx->child_pa = child_pa;
		return (w->flags & PGWALK_UNREADABLE) ? w->cb(ctx, PGWALK_UNREADABLE) : NULL;
	}
	ctx->child_pa = child_pa;
	if (w->flags & HYPMEM_WALK_TABLE_PRE) {
		err = w->cb(ctx, HYPMEM_WALK_TABLE_PRE);
		if (err)
			return err;
	}
	err = walk_table(wk, child, child_pa, ctx->level + 1, ctx->addr,
			 wk->start > ctx->addr ? wk->start : ctx->addr);
	if (err)
		return err;
	if (!(w->flags & HYPMEM_WALK_TABLE_POST))
		return NULL;
	/* The child was read into a per-level buffer, still intact here. */
	ctx->child = child;
	return w->cb(ctx, HYPMEM_WALK_TABLE_POST);
}

static struct hypmem_error *walk_table(struct walk *wk, const uint64_t *table, uint64_t table_pa,
				       int level, uint64_t base, uint64_t start)
{
	unsigned int shift = level_shift(level, wk->page_shift);
	uint64_t granule = 1ULL << shift;
	struct hypmem_pgtable_visit_ctx ctx = {
	    .end = wk->end, .level = level, .table_pa = table_pa, .arg = wk->w->arg};
	struct hypmem_error *err;
	size_t idx = start > base ? (size_t)((start - base) >> shift) : 0, last;

	if (wk->end <= base)
		return NULL;
	last = (wk->end - base + granule - 1) >> shift;
	if (last > wk->nr_ptes)
		last = wk->nr_ptes;

	while (idx < last) {
		uint64_t pte = table[idx], step, next;
		const char *why;
		size_t j;

		if (!pte) {
			idx++;
			continue;
		}
		ctx.addr = base + (idx << shift);
		ctx.old = pte;
		ctx.ptep = table_pa + idx * 8;
		ctx.nr = 1;
		ctx.child = NULL;
		ctx.child_pa = 0;
		if (level < 3 && (pte & (PTE_VALID | PTE_TYPE)) == (PTE_VALID | PTE_TYPE)) {
			err = walk_child(wk, &ctx);
			if (err)
				return err;
			idx++;
			continue;
		}
		why = pgwalk_reserved_leaf(pte, level, wk->g->lpa2, wk->page_shift);
		if (why) {
			err = hypmem_findings_add(wk->f, HYPMEM_FINDING_RESERVED_ENCODING, ctx.ptep,
						  "level %d entry 0x%016" PRIx64 " at 0x%" PRIx64
						  " (IA 0x%" PRIx64 "): %s",
						  level, pte, ctx.ptep, ctx.addr, why);
			if (err)
				return err;
			idx++;
			continue;
		}
		/* A batch: the same leaf, moved on by a granule (or repeated). */
		step = (pte & PTE_VALID) ? granule : 0;
		next = pte + step;
		for (j = idx + 1; j < last && table[j] == next; j++)
			next += step;
		ctx.nr = j - idx;
		if (wk->w->flags & HYPMEM_WALK_LEAF) {
			err = wk->w->cb(&ctx, HYPMEM_WALK_LEAF);
			if (err)
				return err;
		}
		idx = j;
	}
	return NULL;
}

struct hypmem_error *hypmem_pgtable_walk(struct hypmem_source *src,
					 const struct hypmem_pgtable_geometry *g, uint64_t start,
					 uint64_t end, const struct hypmem_pgtable_walker *w,
					 struct hypmem_findings *findings)
{
	uint64_t limit = 1ULL << g->ia_bits, root_span, page = 1ULL << geom_shift(g);
	struct hypmem_error *err = NULL;
	struct walk *wk;

	if (g->pgd_pages < 1 || g->pgd_pages > HYPMEM_PGTABLE_MAX_PGD_PAGES ||
	    g->start_level < (geom_shift(g) == 12 ? -1 : 0) || g->start_level > 3 || g->ia_bits > 52 ||
	    !granule_ok(geom_shift(g)))
		return hypmem_error_create(HYPMEM_ERROR_INVALID_ARGUMENT,
					   "page-table geometry not initialised");
	start &= ~(page - 1);
	if (end > limit)
		end = limit;
	if (start >= end)
		return NULL;
	wk = calloc(1, sizeof(*wk));
	if (!wk)
		return &hypmem_enomem;
	*wk = (struct walk){.src = src,
			    .g = g,
			    .w = w,
			    .f = findings,
			    .start = start,
			    .end = end,
			    .max_tables = g->max_tables ? g->max_tables : 1ULL << 22,
			    .page_shift = geom_shift(g),
			    .nr_ptes = 1U << level_bits(geom_shift(g))};
	if (g->nr_table_ranges && g->table_ranges[0].end > g->table_ranges[0].start &&
	    (g->table_ranges[0].end - g->table_ranges[0].start) >> wk->page_shift < (1ULL << 32)) {
		wk->bitmap_start = g->table_ranges[0].start & ~(page - 1);
		wk->bitmap_pages =
		    (g->table_ranges[0].end - wk->bitmap_start + page - 1) >> wk->page_shift;
		wk->bitmap = calloc((wk->bitmap_pages + 63) / 64, sizeof(uint64_t));
		if (!wk->bitmap) {
			free(wk);
			return &hypmem_enomem;
		}
	}
	root_span = 1ULL << (level_shift(g->start_level, wk->page_shift) + level_bits(wk->page_shift));
	for (unsigned int p = 0; p < g->pgd_pages && !err; p++) {
		uint64_t base = (uint64_t)p * root_span, pa = g->pgd_pa + p * page;
		const uint64_t *root;
		bool added;

		if (base + root_span <= start || base >= end)
			continue;
		err = mark_seen(wk, pa, &added);
		if (err)
			break;
		wk->nr_tables++;
		err = read_table(wk, pa, g->start_level, &root);
		if (!err && root)
			err = walk_table(wk, root, pa, g->start_level, base, start);
		else if (!err && (w->flags & PGWALK_UNREADABLE)) {
			struct hypmem_pgtable_visit_ctx ctx = {.addr = base,
							       .end = end,
							       .level = g->start_level,
							       .nr = wk->nr_ptes,
							       .ptep = pa,
							       .table_pa = pa,
							       .child_pa = pa,
							       .arg = w->arg};

			err = w->cb(&ctx, PGWALK_UNREADABLE);
		}
	}
	free(wk->seen.slots);
	free(wk->bitmap);
	free(wk);
	return err;
}

/* --- one address --- */

struct hypmem_error *pgwalk_lookup(struct hypmem_source *src,
				   const struct hypmem_pgtable_geometry *g, uint64_t addr,
				   struct pgwalk_lookup *ret)
{
	unsigned int ps = geom_shift(g), bits = level_bits(ps);
	uint64_t table = g->pgd_pa;

	/* Level -1 exists only for 4K pages with 52-bit descriptors (FEAT_LPA2). */
	if (!granule_ok(ps) || g->start_level < (ps == 12 ? -1 : 0) || g->start_level > 3 ||
	    g->ia_bits > 52)
		return hypmem_error_create(HYPMEM_ERROR_INVALID_ARGUMENT,
					   "page-table geometry not initialised");
	memset(ret, 0, sizeof(*ret));
	for (int level = g->start_level; level <= 3; level++) {
		unsigned int shift = level_shift(level, ps);
		uint64_t idx = (addr >> shift) & ((1ULL << bits) - 1), pte;
		struct hypmem_error *err;

		/* A root of several pages: the start level indexes all of them. */
		if (level == g->start_level && g->ia_bits > shift + bits)
			idx = (addr & ((1ULL << g->ia_bits) - 1)) >> shift;
		ret->level = level;
		ret->table_pa = table;
		err = hypmem_source_read(src, &pte, table + idx * 8, 8);
		if (err) {
			if (err->code == HYPMEM_ERROR_NO_MEMORY)
				return err;
			hypmem_error_destroy(err);
			ret->end = PGWALK_UNREACHABLE;
			return NULL;
		}
		ret->pte = pte;
		if (!(pte & PTE_VALID)) {
			ret->end = PGWALK_INVALID;
			return NULL;
		}
		if (level == 3 || !(pte & PTE_TYPE)) {
			ret->why = pgwalk_reserved_leaf(pte, level, g->lpa2, ps);
			if (ret->why) {
				ret->end = PGWALK_RESERVED;
				return NULL;
			}
			ret->size = 1ULL << shift;
			ret->pa = pte_oa(pte, g->lpa2, ps) | (addr & (ret->size - 1));
			ret->end = PGWALK_MAPPED;
			return NULL;
		}
		table = pte_oa(pte, g->lpa2, ps);
	}
	/* Not reached: level 3 always ends the loop. */
	ret->end = PGWALK_RESERVED;
	ret->why = "walk did not end";
	return NULL;
}
