// SPDX-License-Identifier: GPL-2.0-only
/*
 * The hyp heap decoder (include/hypmem/heap.h).
 *
 * Every value read from the target is a claim.  The walk trusts nothing it
 * cannot check against something else:
 *
 *  - a header's address must be 16-byte aligned inside [start, end), at a
 *    page start or at least a minimal chunk into its page, and in a page the
 *    stage-1 maps (else "heap_chunk_in_hole": the chain runs into a hole);
 *  - its hash is recomputed; prev must lead back to where the walk came
 *    from; next must lead forward to a place a chunk can start.  A next
 *    offset that only makes sense as a negative 32-bit number pointing back
 *    at a chunk already walked is a loop ("heap_loop"): the forward-only
 *    encoding cannot loop otherwise, so comparing addresses replaces a
 *    cycle-finding walk here, while the memcache's absolute PA chain gets
 *    Brent's algorithm;
 *  - what a chunk says is mapped (from its header to its first unmapped
 *    page) must be mapped, and what it says is not must not be: a page the
 *    stage-1 maps that no chunk accounts for is an orphan;
 *  - last_used must fall inside the tail's mapped data.
 *
 * The census of the range (which page maps where) comes from one walk of
 * the hyp stage-1 over the range, so the chunk walk asks about a page in
 * O(1) and reads each page at most once in a row (zero-copy when the source
 * allows), which keeps decoding close to the cost of reading the range.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypmem/heap.h"
#include "array.h"
#include "pgwalk.h"

#define DEFAULT_PAGE	  ((uint64_t)4096) /* a walk whose caller names no page size */
#define HEAP_ALIGN	  ((uint64_t)16) /* MIN_ALLOC_SIZE: data alignment and minimum size */
#define USED_BIT	  1U		 /* bit 0 of __unmapped */
#define HEAP_MAX_RANGE	  (1ULL << 32)	 /* offsets are u32 */
#define HDR_MAX		  64
#define ALLOCATOR_MAX	  1024
#define CENSUS_UNREADABLE 1ULL /* not a PA: the table was not in the source */

uint32_t hypmem_heap_hash(uint32_t next, uint32_t prev, uint32_t unmapped)
{
	uint64_t links = (uint64_t)next | (uint64_t)prev << 32;

	/* hash_64(links, 32) ^ hash_32(unmapped, 32), golden-ratio constants. */
	return (uint32_t)((links * 0x61C8864680B583EBULL) >> 32) ^
	       (uint32_t)(unmapped * 0x61C88647U);
}

double hypmem_heap_fragmentation(const struct hypmem_heap *h)
{
	if (!h->free_bytes)
		return 0.0;
	return 1.0 - (double)h->largest_free / (double)h->free_bytes;
}

struct walk {
	const struct hypmem_heap_layout *l;
	const struct hypmem_heap_mem *mem;
	struct hypmem_findings *f;
	struct hypmem_heap *h;
	bool keep;
	uint64_t nr_pages;
	uint8_t *claimed; /* per page: a chunk says it is mapped */
	uint64_t *addrs;  /* headers walked, increasing */
	size_t nr_addrs, cap_addrs;
	size_t cap_chunks, cap_holes;
	uint64_t reached; /* the walk accounted for [start, reached) */
	uint64_t page;	  /* the granule */
	struct hypmem_error *oom;
};

static uint64_t page_align(const struct walk *w, uint64_t x)
{
	return (x + w->page - 1) & (~(w->page - 1));
}

/* --- the walk --- */


static enum hypmem_heap_page_state page_state(struct walk *w, uint64_t va, uint64_t *pa)
{
	*pa = 0;
	return w->mem->page(w->mem->arg, va & (~(w->page - 1)), NULL, pa);
}

static void add_finding(struct walk *w, enum hypmem_finding_kind kind, uint64_t addr,
			const char *fmt, ...) __attribute__((__format__(__printf__, 4, 5)));

static void add_finding(struct walk *w, enum hypmem_finding_kind kind, uint64_t addr,
			const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	struct hypmem_error *err;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err = hypmem_findings_add(w->f, kind, addr, "%s: %s", w->h->name, msg);
	if (err && !w->oom)
		w->oom = err;
}

static bool walked(const struct walk *w, uint64_t addr)
{
	size_t lo = 0, hi = w->nr_addrs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w->addrs[mid] == addr)
			return true;
		if (w->addrs[mid] < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/*
 * Pages [from, to) are claimed mapped by @what at @addr.  Reports the first
 * one that is not (one finding per claim).
 */
static void claim_mapped(struct walk *w, uint64_t from, uint64_t to, uint64_t addr)
{
	const struct hypmem_heap *h = w->h;
	bool reported = false;
	uint64_t va, pa;

	from &= (~(w->page - 1));
	to = page_align(w, to);
	if (from < h->start)
		from = h->start;
	if (to > h->end)
		to = h->end;
	for (va = from; va < to; va += w->page) {
		w->claimed[(va - h->start) / w->page] = 1;
		if (!reported && page_state(w, va, &pa) == HYPMEM_HEAP_PAGE_UNMAPPED) {
			add_finding(w, HYPMEM_FINDING_HEAP_CHUNK_IN_HOLE, addr,
				    "chunk 0x%" PRIx64 " says [0x%" PRIx64 ", 0x%" PRIx64
				    ") is mapped, but page 0x%" PRIx64 " is not",
				    addr, from, to, va);
			reported = true;
		}
	}
}

static void add_hole(struct walk *w, uint64_t start, uint64_t end)
{
	struct hypmem_heap *h = w->h;
	uint64_t last = end & ~(w->page - 1);
	uint64_t pages = last > start ? (last - start) / w->page : 0;

	h->hole_pages += pages;
	if (!w->keep) {
		h->nr_holes++;
		return;
	}
	if (!hypmem_grow((void **)&h->holes, &w->cap_holes, h->nr_holes + 1, sizeof(*h->holes))) {
		w->oom = &hypmem_enomem;
		return;
	}
	h->holes[h->nr_holes++] = (struct hypmem_heap_hole){start, end, pages};
}

static void add_chunk(struct walk *w, const struct hypmem_heap_chunk *c)
{
	struct hypmem_heap *h = w->h;

	if (!hypmem_grow((void **)&w->addrs, &w->cap_addrs, w->nr_addrs + 1, sizeof(*w->addrs))) {
		w->oom = &hypmem_enomem;
		return;
	}
	w->addrs[w->nr_addrs++] = c->addr;
	if (!w->keep) {
		h->nr_chunks++;
		return;
	}
	if (!hypmem_grow((void **)&h->chunks, &w->cap_chunks, h->nr_chunks + 1, sizeof(*h->chunks))) {
		w->oom = &hypmem_enomem;
		return;
	}
	h->chunks[h->nr_chunks++] = *c;
}

/* The reclaimable pages of a chunk, by the rules of hyp_allocator_chunk_reclaimable(). */
static uint64_t chunk_reclaimable(const struct walk *w, const struct hypmem_heap_chunk *c,
				  bool head, bool tail, uint64_t end, uint64_t tail_used)
{
	uint64_t data = c->addr + w->l->hdr_size, lo, hi;

	if (head && tail && !c->is_used) {
		lo = c->addr;
		hi = c->unmapped ? c->unmapped : w->h->end;
	} else if (tail) {
		lo = page_align(w, data + tail_used);
		hi = c->unmapped ? c->unmapped : w->h->end;
	} else if (!c->is_used) {
		lo = page_align(w, data);
		hi = c->unmapped ? c->unmapped : end & (~(w->page - 1));
	} else {
		return 0;
	}
	return hi > lo ? (hi - lo) / w->page : 0;
}

/*
 * Where the chunk at @cur says the next one is, or 0 when it is the tail or
 * the offset cannot be followed (reported).  *@bad is set for the latter.
 */
static uint64_t follow_next(struct walk *w, uint64_t cur, uint32_t next, bool *bad)
{
	const struct hypmem_heap *h = w->h;
	uint64_t min_chunk = w->l->hdr_size + HEAP_ALIGN, to = cur + next, back;

	*bad = false;
	if (!next)
		return 0;
	/* Compared as distances, so that nothing wraps. */
	if (!(next % HEAP_ALIGN) && next >= min_chunk && next < h->end - cur &&
	    h->end - cur - next >= min_chunk)
		return to;
	*bad = true;
	back = HEAP_MAX_RANGE - next;
	if (!(back % HEAP_ALIGN) && back <= cur - h->start && walked(w, cur - back)) {
		add_finding(w, HYPMEM_FINDING_HEAP_LOOP, cur,
			    "chunk 0x%" PRIx64 ": next offset 0x%x, read as a negative 32-bit "
			    "offset, leads back to chunk 0x%" PRIx64 ", walked already",
			    cur, next, cur - back);
	} else {
		add_finding(w, HYPMEM_FINDING_HEAP_OFFSET_OUT_OF_RANGE, cur,
			    "chunk 0x%" PRIx64 ": next offset 0x%x leads to 0x%" PRIx64
			    ", where no chunk can start (range [0x%" PRIx64 ", 0x%" PRIx64 "))",
			    cur, next, to, h->start, h->end);
	}
	return 0;
}

/* Check the header address @cur before reading it; false: stop. */
static bool header_ok(struct walk *w, uint64_t cur)
{
	const struct hypmem_heap *h = w->h;
	uint64_t off = cur & (w->page - 1);

	if (cur < h->start || cur >= h->end || h->end - cur < w->l->hdr_size || cur % HEAP_ALIGN ||
	    off + w->l->hdr_size > w->page) {
		add_finding(w, HYPMEM_FINDING_HEAP_OFFSET_OUT_OF_RANGE, cur,
			    "chunk header 0x%" PRIx64 " is outside the range or misaligned", cur);
		return false;
	}
	if (off && off < w->l->hdr_size + HEAP_ALIGN)
		add_finding(w, HYPMEM_FINDING_HEAP_SIZE_INCONSISTENT, cur,
			    "chunk header 0x%" PRIx64 " starts %" PRIu64
			    " bytes into its page (headers sit at a page start or at least %" PRIu64
			    " bytes in)",
			    cur, off, w->l->hdr_size + HEAP_ALIGN);
	return true;
}

/* Read the header at @cur into @c; false (reported) when its page cannot be read. */
static bool read_header(struct walk *w, uint64_t cur, struct hypmem_heap_chunk *c)
{
	const struct hypmem_heap_layout *l = w->l;
	const uint8_t *bytes = NULL;
	uint64_t pa = 0, v;
	enum hypmem_heap_page_state st;

	st = w->mem->page(w->mem->arg, cur & (~(w->page - 1)), &bytes, &pa);
	if (st == HYPMEM_HEAP_PAGE_UNMAPPED) {
		add_finding(w, HYPMEM_FINDING_HEAP_CHUNK_IN_HOLE, cur,
			    "chunk header 0x%" PRIx64 " lies in an unmapped page", cur);
		return false;
	}
	if (st != HYPMEM_HEAP_PAGE_MAPPED || !bytes) {
		add_finding(w, HYPMEM_FINDING_TRANSLATION, cur,
			    "chunk header 0x%" PRIx64 " is mapped but not in the dump", cur);
		return false;
	}
	bytes += cur & (w->page - 1);
	memset(c, 0, sizeof(*c));
	c->addr = cur;
	c->pa = pa + (cur & (w->page - 1));
	hypmem_field_get(&l->next, bytes, l->hdr_size, &v);
	c->next = (uint32_t)v;
	hypmem_field_get(&l->prev, bytes, l->hdr_size, &v);
	c->prev = (uint32_t)v;
	hypmem_field_get(&l->unmapped, bytes, l->hdr_size, &v);
	c->unmapped_off = (uint32_t)v;
	hypmem_field_get(&l->hash, bytes, l->hdr_size, &v);
	c->hash = (uint32_t)v;
	return true;
}

/* Sizes, holes, claims and checks of one chunk whose span ends at @end. */
static void account_chunk(struct walk *w, struct hypmem_heap_chunk *c, uint64_t end, bool head,
			  bool tail)
{
	struct hypmem_heap *h = w->h;
	uint64_t data = c->addr + w->l->hdr_size, mend, tail_used = 0;
	uint32_t off = c->unmapped_off & ~USED_BIT;

	c->is_used = c->unmapped_off & USED_BIT;
	if (off) {
		c->unmapped = c->addr + off;
		if (c->unmapped % w->page || c->unmapped >= end) {
			add_finding(w, HYPMEM_FINDING_HEAP_SIZE_INCONSISTENT, c->addr,
				    "chunk 0x%" PRIx64
				    ": unmapped offset 0x%x is not a page boundary "
				    "inside the chunk (which ends at 0x%" PRIx64 ")",
				    c->addr, off, end);
			c->unmapped = 0;
		} else if (!tail && end % w->page) {
			add_finding(w, HYPMEM_FINDING_HEAP_SIZE_INCONSISTENT, c->addr,
				    "chunk 0x%" PRIx64 " has a hole but ends inside page 0x%" PRIx64
				    ", which holds the next header",
				    c->addr, end & (~(w->page - 1)));
		}
	}
	mend = c->unmapped ? c->unmapped : end;
	c->size = end > data ? end - data : 0;
	c->mapped = mend > data ? mend - data : 0;
	if (tail) {
		if (h->last_used >= data && h->last_used <= mend) {
			tail_used = h->last_used - data;
		} else if (c->is_used) {
			add_finding(w, HYPMEM_FINDING_HEAP_SIZE_INCONSISTENT, h->last_used,
				    "last_used 0x%" PRIx64
				    " is outside the tail's mapped data [0x%" PRIx64 ", 0x%" PRIx64
				    "]",
				    h->last_used, data, mend);
			tail_used = c->mapped;
		}
	}
	c->used = !c->is_used ? 0 : tail ? tail_used : c->mapped;

	claim_mapped(w, c->addr, mend, c->addr);
	if (c->unmapped && !tail)
		add_hole(w, c->unmapped, end);
	if (c->is_used) {
		h->nr_used++;
		h->used_bytes += c->used;
	} else {
		h->free_bytes += c->mapped;
		if (c->mapped > h->largest_free)
			h->largest_free = c->mapped;
	}
	h->reclaimable_pages += chunk_reclaimable(w, c, head, tail, end, tail_used);
	w->reached = end;
}

static void walk_chunks(struct walk *w)
{
	struct hypmem_heap *h = w->h;
	uint64_t cur = h->head, from = 0, max_steps = (h->end - h->start) / 32 + 1;
	struct hypmem_heap_chunk c;

	if (cur != h->start)
		add_finding(w, HYPMEM_FINDING_HEAP_OFFSET_OUT_OF_RANGE, cur,
			    "head 0x%" PRIx64 " is not the range start 0x%" PRIx64, cur, h->start);
	for (uint64_t steps = 0; !w->oom && steps < max_steps; steps++) {
		uint64_t next;
		bool bad;

		if (!header_ok(w, cur) || !read_header(w, cur, &c))
			return;
		c.hash_ok = c.hash == hypmem_heap_hash(c.next, c.prev, c.unmapped_off);
		if (!c.hash_ok)
			add_finding(w, HYPMEM_FINDING_HEAP_HASH_MISMATCH, cur,
				    "chunk 0x%" PRIx64 ": hash 0x%08x, computed 0x%08x", cur,
				    c.hash, hypmem_heap_hash(c.next, c.prev, c.unmapped_off));
		if (c.prev != (from ? cur - from : 0))
			add_finding(w, HYPMEM_FINDING_HEAP_OFFSET_OUT_OF_RANGE, cur,
				    "chunk 0x%" PRIx64 ": prev offset 0x%x, but the walk came from "
				    "0x%" PRIx64,
				    cur, c.prev, from);
		next = follow_next(w, cur, c.next, &bad);
		if (bad) {
			/* The span is unknown: keep the header, check nothing past its page. */
			c.is_used = c.unmapped_off & USED_BIT;
			claim_mapped(w, cur, cur + w->l->hdr_size, cur);
			add_chunk(w, &c);
			w->reached = page_align(w, cur + w->l->hdr_size);
			return;
		}
		account_chunk(w, &c, next ? next : h->end, !from, !next);
		add_chunk(w, &c);
		if (!next) {
			h->complete = true;
			h->top = c.unmapped ? c.unmapped : h->end;
			if (cur != h->tail)
				add_finding(w, HYPMEM_FINDING_HEAP_SIZE_INCONSISTENT, h->tail,
					    "tail is 0x%" PRIx64
					    " but the chain ends at 0x%" PRIx64,
					    h->tail, cur);
			return;
		}
		from = cur;
		cur = next;
	}
	add_finding(w, HYPMEM_FINDING_HEAP_LOOP, cur,
		    "more chunks than the range can hold: walk stopped at 0x%" PRIx64, cur);
}

static void walk_empty(struct walk *w)
{
	struct hypmem_heap *h = w->h;
	uint64_t fu = h->first_unmapped;

	if (h->tail)
		add_finding(w, HYPMEM_FINDING_HEAP_SIZE_INCONSISTENT, h->tail,
			    "tail 0x%" PRIx64 " but no head", h->tail);
	if (fu < h->start || fu > h->end || fu % w->page) {
		add_finding(
		    w, HYPMEM_FINDING_HEAP_SIZE_INCONSISTENT, fu,
		    "no chunks, and first_unmapped 0x%" PRIx64 " is not a page of the range", fu);
		fu = h->start;
	}
	claim_mapped(w, h->start, fu, h->start);
	h->top = fu;
	h->complete = true;
	w->reached = h->end;
}

/* Mapped pages that no chunk accounts for, one finding per run. */
static void find_orphans(struct walk *w)
{
	const struct hypmem_heap *h = w->h;
	uint64_t run = 0, i, pa, limit = (w->reached - h->start) / w->page;

	for (i = 0; i <= limit && i <= w->nr_pages; i++) {
		bool orphan = i < limit && i < w->nr_pages && !w->claimed[i] &&
			      page_state(w, h->start + i * w->page, &pa) != HYPMEM_HEAP_PAGE_UNMAPPED;

		if (orphan) {
			run++;
			continue;
		}
		if (run)
			add_finding(w, HYPMEM_FINDING_HEAP_ORPHAN_MAPPING,
				    h->start + (i - run) * w->page,
				    "%" PRIu64 " page(s) from 0x%" PRIx64
				    " are mapped but no chunk accounts for them",
				    run, h->start + (i - run) * w->page);
		run = 0;
	}
}

struct hypmem_error *hypmem_heap_walk(const struct hypmem_heap_layout *l,
				      const struct hypmem_heap_mem *mem, bool chunks,
				      struct hypmem_findings *f, struct hypmem_heap *h)
{
	struct walk w = {.l = l, .mem = mem, .f = f, .h = h, .keep = chunks,
			 .page = mem->page_size ? mem->page_size : DEFAULT_PAGE};
	size_t before = f->total;
	uint64_t pa;

	h->chunks = NULL;
	h->holes = NULL;
	h->nr_chunks = h->nr_holes = 0;
	h->top = h->nr_used = h->used_bytes = h->free_bytes = h->largest_free = 0;
	h->mapped_pages = h->hole_pages = h->reclaimable_pages = 0;
	h->complete = false;
	/* All zero: hyp_alloc_init() never ran (pKVM not initialised). Nothing to walk. */
	if (!h->start && !h->end && !h->head && !h->tail) {
		h->complete = true;
		goto out;
	}
	if (l->hdr_size < 12 || l->hdr_size > HDR_MAX || h->start >= h->end || h->start % w.page ||
	    h->end % w.page || h->end - h->start > HEAP_MAX_RANGE) {
		add_finding(&w, HYPMEM_FINDING_HEAP_INVALID, h->addr,
			    "range [0x%" PRIx64 ", 0x%" PRIx64 ") is not a page-aligned range of "
			    "at most 4 GiB",
			    h->start, h->end);
		goto out;
	}
	w.nr_pages = (h->end - h->start) / w.page;
	w.claimed = calloc(w.nr_pages, 1);
	if (!w.claimed) {
		w.oom = &hypmem_enomem;
		goto out;
	}
	for (uint64_t i = 0; i < w.nr_pages; i++)
		if (page_state(&w, h->start + i * w.page, &pa) != HYPMEM_HEAP_PAGE_UNMAPPED && pa)
			h->mapped_pages++;

	if (h->head)
		walk_chunks(&w);
	else
		walk_empty(&w);
	if (!w.oom)
		find_orphans(&w);
	h->reclaimable_pages += h->mc_pages;
out:
	free(w.claimed);
	free(w.addrs);
	h->findings = f->total - before;
	return w.oom;
}

/* --- a target's heaps --- */

struct hypmem_error *hypmem_heap_check_design(struct hypmem_dwarf *dw)
{
	struct hypmem_member m;
	struct hypmem_type hdr;
	struct hypmem_error *err;

	err = hypmem_dwarf_find_type(dw, "struct chunk_hdr", &hdr);
	if (err) {
		/* No header type at all: the layout check that follows says so. */
		hypmem_error_destroy(err);
		return NULL;
	}
	if (hypmem_dwarf_has_member(dw, &hdr, "alloc_size", &m) &&
	    hypmem_dwarf_has_member(dw, &hdr, "mapped_size", &m))
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "the hyp heap is Android's list-based design (struct "
					   "chunk_hdr with alloc_size, mapped_size and a list node), "
					   "which hypmem does not decode");
	return NULL;
}

struct allocator_layout {
	struct hypmem_type type;
	struct hypmem_field start, end, last_used, first_unmapped, head, tail, mc_head, mc_pages;
};

static struct hypmem_error *allocator_layout(struct hypmem_target *t, struct allocator_layout *a,
					     struct hypmem_heap_layout *l)
{
	struct hypmem_dwarf *dw = hypmem_target_dwarf(t);
	struct hypmem_type hdr;
	struct hypmem_error *err;

	memset(a, 0, sizeof(*a));
	memset(l, 0, sizeof(*l));
	err = hypmem_dwarf_find_type(dw, "struct hyp_allocator", &a->type);
	if (err && hypmem_error_catch(&err, HYPMEM_ERROR_LOOKUP))
		return hypmem_error_create(HYPMEM_ERROR_LOOKUP, HYPMEM_NO_HEAP
					   " (no struct hyp_allocator in its DWARF)");
	if (err)
		return err;
	err = hypmem_heap_check_design(dw);
	if (err)
		return err;
	if (a->type.size == 0 || a->type.size > ALLOCATOR_MAX)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "struct hyp_allocator has size %" PRIu64, a->type.size);
	if ((err = hypmem_field_lookup(t, &a->type, "start", true, &a->start)) ||
	    (err = hypmem_field_lookup(t, &a->type, "end", true, &a->end)) ||
	    (err = hypmem_field_lookup(t, &a->type, "last_used", true, &a->last_used)) ||
	    (err = hypmem_field_lookup(t, &a->type, "head", true, &a->head)) ||
	    (err = hypmem_field_lookup(t, &a->type, "tail", true, &a->tail)) ||
	    (err = hypmem_field_lookup(t, &a->type, "first_unmapped", false, &a->first_unmapped)) ||
	    (err = hypmem_field_lookup(t, &a->type, "mc.head", false, &a->mc_head)) ||
	    (err = hypmem_field_lookup(t, &a->type, "mc.nr_pages", false, &a->mc_pages)))
		goto format;

	err = hypmem_dwarf_find_type(dw, "struct chunk_hdr", &hdr);
	if (err)
		goto format;
	l->hdr_size = (uint32_t)hdr.size;
	if ((err = hypmem_field_lookup(t, &hdr, "next", true, &l->next)) ||
	    (err = hypmem_field_lookup(t, &hdr, "prev", true, &l->prev)) ||
	    (err = hypmem_field_lookup(t, &hdr, "__unmapped", true, &l->unmapped)) ||
	    (err = hypmem_field_lookup(t, &hdr, "hash", true, &l->hash)))
		goto format;
	if (l->next.size != 4 || l->prev.size != 4 || hdr.size < 16 || hdr.size > HDR_MAX)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "struct chunk_hdr has no 32-bit relative links: not the "
					   "heap design hypmem decodes");
	return NULL;
format : {
	struct hypmem_error *f = hypmem_error_create(
	    HYPMEM_ERROR_FORMAT, "unsupported hyp heap layout: %s", err->message);

	hypmem_error_destroy(err);
	return f;
}
}

/* The hyp stage-1 over the heap's range: per page, its PA (0: unmapped). */
struct census {
	struct hypmem_target *t;
	uint64_t va, va_end;
	uint64_t *pa;
	/* One page of bytes, for the walk. */
	uint64_t cached_va;
	const uint8_t *cached;
	uint64_t page;	 /* the granule */
	unsigned int page_shift;
	bool lpa2; /* 52-bit descriptors */
	uint8_t *buf;
};

static void census_fill(struct census *c, uint64_t va, uint64_t size, uint64_t pa)
{
	uint64_t lo = va > c->va ? va : c->va;
	uint64_t hi = va + size < c->va_end ? va + size : c->va_end;

	for (uint64_t x = lo; x < hi; x += c->page)
		c->pa[(x - c->va) / c->page] = pa == CENSUS_UNREADABLE ? pa : pa + (x - va);
}

/* A walker visitor: valid leaves fill in their PAs, lost tables their span. */
static struct hypmem_error *census_visit(const struct hypmem_pgtable_visit_ctx *ctx,
					 enum hypmem_walk_flags visit)
{
	struct census *c = ctx->arg;
	uint64_t span = ctx->nr << level_shift(ctx->level, c->page_shift);

	if ((unsigned int)visit == PGWALK_UNREADABLE)
		census_fill(c, ctx->addr, span, CENSUS_UNREADABLE);
	else if (ctx->old & PTE_VALID)
		census_fill(c, ctx->addr, span, pte_oa(ctx->old, c->lpa2, c->page_shift));
	return NULL;
}

/*
 * The hyp stage-1 over [va, va_end).  The walk's findings are dropped: the
 * stage-1 decoder reports them; here a page behind a corrupt table is
 * simply not mapped.
 */
static struct hypmem_error *census_build(struct census *c)
{
	const struct hypmem_target_info *info = hypmem_target_info(c->t);
	int level = info->hyp_start_level;
	unsigned int shift = level_shift(level, c->page_shift), bits = level_bits(c->page_shift);
	struct hypmem_pgtable_geometry g = {.ia_bits = info->hyp_ia_bits,
					    .start_level = level,
					    .pgd_pa = hypmem_target_hyp_linear_to_pa(c->t, info->hyp_pgd),
					    .pgd_pages = 1,
					    .page_shift = c->page_shift,
					    .lpa2 = info->hyp_ia_bits > 48};
	struct hypmem_pgtable_walker w = {census_visit, c, HYPMEM_WALK_LEAF | PGWALK_UNREADABLE};
	struct hypmem_findings scratch;
	struct hypmem_error *err;

	/* A root of several pages: the start level indexes all of them. */
	if (info->hyp_ia_bits > shift + bits && info->hyp_ia_bits - shift - bits < 32)
		g.pgd_pages = 1U << (info->hyp_ia_bits - shift - bits);
	c->lpa2 = g.lpa2;
	hypmem_findings_init(&scratch);
	err = hypmem_pgtable_walk(hypmem_target_source(c->t), &g, c->va, c->va_end, &w, &scratch);
	hypmem_findings_deinit(&scratch);
	if (err && err->code != HYPMEM_ERROR_NO_MEMORY) {
		/* A shape the walker refuses: every page stays unmapped. */
		hypmem_error_destroy(err);
		err = NULL;
	}
	return err;
}

static enum hypmem_heap_page_state census_page(void *arg, uint64_t va, const uint8_t **bytes,
					       uint64_t *pa)
{
	struct census *c = arg;
	struct hypmem_error *err;
	const void *view;
	uint64_t p;

	if (va < c->va || va >= c->va_end)
		return HYPMEM_HEAP_PAGE_UNMAPPED;
	p = c->pa[(va - c->va) / c->page];
	if (!p)
		return HYPMEM_HEAP_PAGE_UNMAPPED;
	if (p == CENSUS_UNREADABLE)
		return HYPMEM_HEAP_PAGE_UNREADABLE;
	*pa = p;
	if (!bytes)
		return HYPMEM_HEAP_PAGE_MAPPED;
	if (c->cached && c->cached_va == va) {
		*bytes = c->cached;
		return HYPMEM_HEAP_PAGE_MAPPED;
	}
	c->cached = NULL;
	err = hypmem_source_view(hypmem_target_source(c->t), p, c->page, &view);
	if (!err) {
		/*
		 * Copied, not used in place: the walk follows headers one after
		 * the other, each load waiting for the previous one, while a
		 * page copy streams (as a raw read does) and leaves the page in
		 * cache for every header on it.
		 */
		memcpy(c->buf, view, c->page);
		c->cached = c->buf;
	} else {
		hypmem_error_destroy(err);
		err = hypmem_target_read(c->t, c->buf, p, c->page);
		if (err) {
			hypmem_error_destroy(err);
			return HYPMEM_HEAP_PAGE_UNREADABLE;
		}
		c->cached = c->buf;
	}
	c->cached_va = va;
	*bytes = c->cached;
	return HYPMEM_HEAP_PAGE_MAPPED;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool pa_in_ram(const struct hypmem_target_info *info, uint64_t pa)
{
	for (size_t i = 0; i < info->nr_ram; i++)
		if (pa >= info->ram[i].start && pa < info->ram[i].end)
			return true;
	return false;
}

/*
 * The memcache: nr_pages pages chained through their first 8 bytes by PA.
 * Every page must be RAM and not mapped in the heap; the chain must not
 * loop (Brent) before nr_pages.
 */
static struct hypmem_error *walk_memcache(struct hypmem_target *t, struct census *c,
					  struct hypmem_heap *h)
{
	const struct hypmem_target_info *info = hypmem_target_info(t);
	struct hypmem_findings *f = hypmem_target_findings(t);
	uint64_t nr = (c->va_end - c->va) / c->page, nr_mapped = 0, ram_pages = 0;
	uint64_t pa = h->mc_head, tortoise = pa, power = 1, lam = 1, limit;
	uint64_t *mapped;
	struct hypmem_error *err = NULL;

	if (!h->mc_pages)
		return NULL;
	for (size_t i = 0; i < info->nr_ram; i++)
		ram_pages += (info->ram[i].end - info->ram[i].start) / c->page;
	limit = h->mc_pages;
	if (limit > ram_pages) {
		err =
		    hypmem_findings_add(f, HYPMEM_FINDING_HEAP_MEMCACHE_BROKEN, h->addr,
					"%s: memcache claims %" PRIu64 " pages, more than RAM has",
					h->name, h->mc_pages);
		limit = ram_pages;
	}
	mapped = malloc((nr ? nr : 1) * sizeof(*mapped));
	if (!mapped)
		return &hypmem_enomem;
	for (uint64_t i = 0; i < nr; i++)
		if (c->pa[i] && c->pa[i] != CENSUS_UNREADABLE)
			mapped[nr_mapped++] = c->pa[i] & (~(c->page - 1));
	qsort(mapped, nr_mapped, sizeof(*mapped), cmp_u64);

	for (uint64_t i = 0; !err && i < limit; i++) {
		uint64_t next;

		if (pa % c->page || !pa_in_ram(info, pa)) {
			err = hypmem_findings_add(f, HYPMEM_FINDING_HEAP_MEMCACHE_BROKEN, pa,
						  "%s: memcache page %" PRIu64 " of %" PRIu64
						  " at PA 0x%" PRIx64 " is not a RAM page",
						  h->name, i + 1, h->mc_pages, pa);
			break;
		}
		if (bsearch(&pa, mapped, nr_mapped, sizeof(*mapped), cmp_u64))
			err = hypmem_findings_add(f, HYPMEM_FINDING_HEAP_MEMCACHE_BROKEN, pa,
						  "%s: memcache page PA 0x%" PRIx64
						  " is also mapped in the heap",
						  h->name, pa);
		h->mc_walked++;
		if (i + 1 == limit)
			break;
		err = hypmem_target_read(t, &next, pa, sizeof(next));
		if (err) {
			hypmem_error_destroy(err);
			err = hypmem_findings_add(
			    f, HYPMEM_FINDING_HEAP_MEMCACHE_BROKEN, pa,
			    "%s: memcache page PA 0x%" PRIx64 " is not in the dump", h->name, pa);
			break;
		}
		pa = next;
		/* Brent: the tortoise jumps to the hare at powers of two. */
		if (pa == tortoise) {
			err = hypmem_findings_add(f, HYPMEM_FINDING_HEAP_LOOP, pa,
						  "%s: memcache chain loops back to PA 0x%" PRIx64
						  " after %" PRIu64 " of %" PRIu64 " pages",
						  h->name, pa, i + 1, h->mc_pages);
			break;
		}
		if (lam == power) {
			tortoise = pa;
			power *= 2;
			lam = 0;
		}
		lam++;
	}
	free(mapped);
	return err;
}

static struct hypmem_error *decode_heap(struct hypmem_target *t, const struct allocator_layout *a,
					const struct hypmem_heap_layout *l, const char *name,
					uint64_t pa, bool chunks, struct hypmem_heap *h)
{
	struct hypmem_findings *f = hypmem_target_findings(t);
	size_t before = f->total;
	uint8_t buf[ALLOCATOR_MAX];
	struct census *c = NULL;
	struct hypmem_error *err;

	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->addr = pa;
	err = hypmem_target_read(t, buf, pa, a->type.size);
	if (err)
		return err;
	hypmem_field_get(&a->start, buf, a->type.size, &h->start);
	hypmem_field_get(&a->end, buf, a->type.size, &h->end);
	hypmem_field_get(&a->last_used, buf, a->type.size, &h->last_used);
	hypmem_field_get(&a->first_unmapped, buf, a->type.size, &h->first_unmapped);
	hypmem_field_get(&a->head, buf, a->type.size, &h->head);
	hypmem_field_get(&a->tail, buf, a->type.size, &h->tail);
	hypmem_field_get(&a->mc_head, buf, a->type.size, &h->mc_head);
	hypmem_field_get(&a->mc_pages, buf, a->type.size, &h->mc_pages);

	c = calloc(1, sizeof(*c));
	if (!c)
		return &hypmem_enomem;
	c->t = t;
	c->page = hypmem_target_info(t)->page_size;
	c->page_shift = hypmem_target_info(t)->page_shift;
	c->buf = malloc(c->page);
	if (!c->buf) {
		free(c);
		return &hypmem_enomem;
	}
	if (h->start < h->end && h->end - h->start <= HEAP_MAX_RANGE && !(h->start % c->page) &&
	    !(h->end % c->page)) {
		c->va = h->start;
		c->va_end = h->end;
		c->pa = calloc((h->end - h->start) / c->page, sizeof(*c->pa));
		if (!c->pa) {
			free(c->buf);
			free(c);
			return &hypmem_enomem;
		}
		err = census_build(c);
		if (err) {
			free(c->pa);
			free(c->buf);
			free(c);
			return err;
		}
	}
	err = hypmem_heap_walk(l, &(struct hypmem_heap_mem){census_page, c, c->page}, chunks, f,
			       h);
	if (!err && c->pa)
		err = walk_memcache(t, c, h);
	h->findings = f->total - before;
	free(c->pa);
	free(c->buf);
	free(c);
	return err;
}

void hypmem_heaps_free(struct hypmem_heap *heaps, size_t nr)
{
	for (size_t i = 0; heaps && i < nr; i++) {
		free(heaps[i].chunks);
		free(heaps[i].holes);
	}
	free(heaps);
}

struct hypmem_error *hypmem_heaps_decode(struct hypmem_target *t, bool chunks,
					 struct hypmem_heap **heaps_ret, size_t *nr_ret)
{
	struct allocator_layout a;
	struct hypmem_heap_layout l;
	struct hypmem_heap *heaps = NULL;
	struct hypmem_error *err;
	char **names = NULL;
	size_t nr_names = 0, nr = 0;

	*heaps_ret = NULL;
	*nr_ret = 0;
	err = allocator_layout(t, &a, &l);
	if (err)
		return err;
	err = hypmem_dwarf_variables_of_type(hypmem_target_dwarf(t), "struct hyp_allocator", &names,
					     &nr_names);
	if (err)
		return err;
	if (!nr_names) {
		free(names);
		return hypmem_error_create(HYPMEM_ERROR_LOOKUP, HYPMEM_NO_HEAP
					   " (no variable of type struct hyp_allocator)");
	}
	heaps = calloc(nr_names ? nr_names : 1, sizeof(*heaps));
	if (!heaps) {
		err = &hypmem_enomem;
		goto out;
	}
	for (size_t i = 0; i < nr_names; i++) {
		uint64_t pa;

		err = hypmem_target_symbol_pa(t, names[i], &pa, NULL);
		if (!err)
			err = decode_heap(t, &a, &l, names[i], pa, chunks, &heaps[nr]);
		if (err)
			goto out;
		nr++;
	}
	*heaps_ret = heaps;
	*nr_ret = nr;
	heaps = NULL;
out:
	for (size_t i = 0; i < nr_names; i++)
		free(names[i]);
	free(names);
	hypmem_heaps_free(heaps, nr + (err && heaps ? 1 : 0));
	return err;
}
