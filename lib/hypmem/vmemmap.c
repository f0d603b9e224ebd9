// SPDX-License-Identifier: GPL-2.0-only
/*
 * The hyp vmemmap: struct hyp_page entries indexed by PFN at __hyp_vmemmap,
 * a private hyp VA range reached through the hyp stage-1.  Entries are read
 * a mapping at a time (zero-copy where the source allows) and decoded with
 * the layout DWARF gives, so memory use does not grow with the target.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hypmem/decode.h"
#include "array.h"

void hypmem_histogram_deinit(struct hypmem_histogram *h)
{
	free(h->keys);
	free(h->counts);
	memset(h, 0, sizeof(*h));
}

struct hypmem_error *hypmem_histogram_add(struct hypmem_histogram *h, uint64_t key,
					  uint64_t count)
{
	size_t lo = 0, hi = h->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h->keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < h->nr && h->keys[lo] == key) {
		h->counts[lo] += count;
		return NULL;
	}
	if (h->nr == h->cap) {
		size_t cap_keys = h->cap, cap_counts = h->cap;

		/* Both arrays end up the same size; the first may have grown alone. */
		if (!hypmem_grow((void **)&h->keys, &cap_keys, h->nr + 1, sizeof(*h->keys)) ||
		    !hypmem_grow((void **)&h->counts, &cap_counts, cap_keys, sizeof(*h->counts)))
			return &hypmem_enomem;
		h->cap = cap_keys;
	}
	memmove(&h->keys[lo + 1], &h->keys[lo], (h->nr - lo) * sizeof(*h->keys));
	memmove(&h->counts[lo + 1], &h->counts[lo], (h->nr - lo) * sizeof(*h->counts));
	h->keys[lo] = key;
	h->counts[lo] = count;
	h->nr++;
	return NULL;
}

static struct hypmem_error *read_hyp_page_layout(struct hypmem_target *t,
						 struct hypmem_hyp_page_layout *ret)
{
	struct hypmem_dwarf *dw = hypmem_target_dwarf(t);
	struct hypmem_type type;
	struct hypmem_member node;
	struct hypmem_error *err;
	uint32_t bits;

	memset(ret, 0, sizeof(*ret));
	err = hypmem_dwarf_find_type(dw, "struct hyp_page", &type);
	if (err)
		return err;
	if (type.size == 0 || type.size > 256)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "struct hyp_page has size %" PRIu64, type.size);
	ret->size = type.size;
	if ((err = hypmem_field_lookup(t, &type, "refcount", true, &ret->refcount)) ||
	    (err = hypmem_field_lookup(t, &type, "order", true, &ret->order)))
		return err;
	/* Page-state fields: named __host_state / host_state across versions. */
	err = hypmem_field_lookup(t, &type, "__host_state", false, &ret->host_state);
	if (!err && !ret->host_state.present)
		err = hypmem_field_lookup(t, &type, "host_state", false, &ret->host_state);
	if (!err)
		err = hypmem_field_lookup(t, &type, "__hyp_state_comp", false,
					  &ret->hyp_state_comp);
	if (!err)
		err = hypmem_field_lookup(t, &type, "host_share_guest_count", false,
					  &ret->host_share_guest_count);
	if (err)
		return err;
	/* Before the shrink (v5.13) the free-list node was in struct hyp_page. */
	if (hypmem_dwarf_has_member(dw, &type, "node", &node)) {
		ret->node_in_page = false;
		ret->node_offset = (uint32_t)node.offset;
	} else {
		ret->node_in_page = true;
	}
	bits = ret->order.bit_size ? ret->order.bit_size : ret->order.size * 8;
	ret->no_order = bits >= 64 ? UINT64_MAX : (1ULL << bits) - 1;
	return NULL;
}

/*
 * Every vmemmap read wants the layout, and a pool walk reads the vmemmap
 * once per free block: DWARF is asked once per target, the answer kept.
 */
struct hypmem_error *hypmem_hyp_page_layout(struct hypmem_target *t,
					    struct hypmem_hyp_page_layout *ret)
{
	struct hypmem_hyp_page_layout **memo = hypmem_target_hp_layout_memo(t);
	struct hypmem_error *err;

	if (*memo) {
		*ret = **memo;
		return NULL;
	}
	err = read_hyp_page_layout(t, ret);
	if (err)
		return err;
	*memo = malloc(sizeof(**memo));
	if (*memo)
		**memo = *ret;
	return NULL;
}

/* Decode one entry from its bytes. */
static void decode_entry(const struct hypmem_hyp_page_layout *l, uint64_t state_mask,
			 const uint8_t *buf, uint64_t pfn, struct hypmem_page *p)
{
	uint64_t v;

	memset(p, 0, sizeof(*p));
	p->pfn = pfn;
	hypmem_field_get(&l->refcount, buf, l->size, &p->refcount);
	hypmem_field_get(&l->order, buf, l->size, &p->order);
	p->no_order = p->order == l->no_order;
	if (l->host_state.present) {
		p->has_state = true;
		hypmem_field_get(&l->host_state, buf, l->size, &v);
		p->host_state = (unsigned int)v;
		if (l->hyp_state_comp.present) {
			hypmem_field_get(&l->hyp_state_comp, buf, l->size, &v);
			p->hyp_state = (unsigned int)(v ^ state_mask);
		}
	}
	if (l->host_share_guest_count.present)
		hypmem_field_get(&l->host_share_guest_count, buf, l->size,
				 &p->host_share_guest_count);
}

void hypmem_page_state_names(struct hypmem_target *t, struct hypmem_page_state_names *ret)
{
	static const char *const names[] = {"PKVM_PAGE_OWNED", "PKVM_PAGE_SHARED_OWNED",
					     "PKVM_PAGE_SHARED_BORROWED", "PKVM_NOPAGE",
					     "PKVM_POISON", "PKVM_PAGE_MMIO_DMA"};
	int64_t v;

	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct hypmem_error *err =
		    hypmem_dwarf_enumerator(hypmem_target_dwarf(t), names[i], &v);
		const char *n = names[i] + (strncmp(names[i], "PKVM_PAGE_", 10) ? 5 : 10);
		char *o;

		if (err) {
			hypmem_error_destroy(err);
			continue;
		}
		if (v < 0 || v >= HYPMEM_PAGE_STATES)
			continue;
		o = ret->name[v];
		snprintf(o, sizeof(ret->name[v]), "%s", n);
		for (; *o; o++)
			*o = (char)(*o >= 'A' && *o <= 'Z' ? *o - 'A' + 'a' : *o);
	}
}

const char *hypmem_page_state_name(const struct hypmem_page_state_names *n, unsigned int state,
				   char *buf)
{
	if (state < HYPMEM_PAGE_STATES && n->name[state][0])
		return n->name[state];
	snprintf(buf, 16, "state%u", state);
	return buf;
}

/* The hyp state is stored complemented so that zero reads as PKVM_NOPAGE. */
static uint64_t hyp_state_mask(struct hypmem_target *t)
{
	int64_t v;
	struct hypmem_error *err = hypmem_dwarf_enumerator(hypmem_target_dwarf(t), "PKVM_NOPAGE", &v);

	if (err) {
		hypmem_error_destroy(err);
		return 3;
	}
	return (uint64_t)v;
}

struct hypmem_error *hypmem_vmemmap_read(struct hypmem_target *t, uint64_t first, uint64_t nr,
					 struct hypmem_page *pages)
{
	const struct hypmem_target_info *info = hypmem_target_info(t);
	struct hypmem_hyp_page_layout l;
	struct hypmem_error *err;
	uint64_t mask;
	uint8_t buf[256];

	err = hypmem_hyp_page_layout(t, &l);
	if (err)
		return err;
	mask = hyp_state_mask(t);
	for (uint64_t i = 0; i < nr; i++) {
		uint64_t va = info->vmemmap_base + (first + i) * l.size;

		err = hypmem_target_read_hyp(t, buf, va, l.size);
		if (err)
			return err;
		decode_entry(&l, mask, buf, first + i, &pages[i]);
		pages[i].phys = (first + i) << info->page_shift;
	}
	return NULL;
}

/* Direct counters for small keys, flushed into the sorted histograms. */
#define SMALL_KEYS 1024
struct small_hist {
	uint64_t c[SMALL_KEYS];
};

static struct hypmem_error *small_flush(struct small_hist *s, struct hypmem_histogram *h)
{
	for (unsigned int i = 0; i < SMALL_KEYS; i++) {
		if (s->c[i]) {
			struct hypmem_error *err = hypmem_histogram_add(h, i, s->c[i]);

			if (err)
				return err;
		}
	}
	return NULL;
}

static struct hypmem_error *count(struct small_hist *s, struct hypmem_histogram *h, uint64_t key)
{
	if (key < SMALL_KEYS) {
		s->c[key]++;
		return NULL;
	}
	return hypmem_histogram_add(h, key, 1);
}

/*
 * The summary's fast path.  When every field a summary counts lies in one
 * little-endian word of 4 or 8 bytes inside the entry (true of every
 * hyp_page layout so far), an entry costs one load and a few shifts: no
 * struct hypmem_page, no callback.  A field is then (word >> shift) & mask.
 */
struct fast_field {
	bool present;
	uint32_t shift;
	uint64_t mask;
};

struct fast_layout {
	bool ok;
	uint32_t base;	/* offset of the word in the entry */
	uint32_t wsize; /* 4 or 8 */
	struct fast_field refcount, order, host_state, hyp_state;
};

static void fast_layout_init(const struct hypmem_hyp_page_layout *l, struct fast_layout *fl)
{
	const struct hypmem_field *f[] = { &l->refcount, &l->order, &l->host_state,
					   &l->hyp_state_comp };
	struct fast_field *ff[] = { &fl->refcount, &fl->order, &fl->host_state, &fl->hyp_state };
	uint32_t lo = UINT32_MAX, hi = 0;

	memset(fl, 0, sizeof(*fl));
	for (size_t i = 0; i < 4; i++) {
		if (!f[i]->present)
			continue;
		if (f[i]->is_signed)
			return;
		if (f[i]->offset < lo)
			lo = f[i]->offset;
		if (f[i]->offset + f[i]->size > hi)
			hi = f[i]->offset + f[i]->size;
	}
	if (hi <= lo)
		return;
	if (lo + 8 <= l->size && hi - lo <= 8)
		fl->wsize = 8;
	else if (lo + 4 <= l->size && hi - lo <= 4)
		fl->wsize = 4;
	else
		return;
	fl->base = lo;
	for (size_t i = 0; i < 4; i++) {
		uint32_t bits = f[i]->bit_size ? f[i]->bit_size : f[i]->size * 8;

		if (!f[i]->present)
			continue;
		ff[i]->present = true;
		ff[i]->shift = (f[i]->offset - lo) * 8 + f[i]->bit_offset;
		ff[i]->mask = bits >= 64 ? UINT64_MAX : (1ULL << bits) - 1;
	}
	fl->ok = true;
}

struct walk_state {
	struct hypmem_target *t;
	const struct hypmem_hyp_page_layout *l;
	uint64_t mask;
	hypmem_page_fn fn;
	void *arg;
	struct hypmem_vmemmap_summary *sum;
	struct small_hist *refs, *orders, *host_states, *hyp_states;
	struct fast_layout fast;
	struct hypmem_page_state_names names;
	unsigned int page_shift;
};

/* Count @n entries whose word is @word. */
static struct hypmem_error *fast_count(struct walk_state *w, uint64_t word, uint64_t n)
{
	const struct fast_layout *fl = &w->fast;
	uint64_t r = (word >> fl->refcount.shift) & fl->refcount.mask;
	uint64_t o = (word >> fl->order.shift) & fl->order.mask;
	struct hypmem_error *err;

	if (r < SMALL_KEYS)
		w->refs->c[r] += n;
	else if ((err = hypmem_histogram_add(&w->sum->refcount, r, n)))
		return err;
	if (o < SMALL_KEYS)
		w->orders->c[o] += n;
	else if ((err = hypmem_histogram_add(&w->sum->order, o, n)))
		return err;
	if (fl->host_state.present) {
		/* 4-bit (at most 8-bit) fields: always below SMALL_KEYS. */
		w->host_states->c[((word >> fl->host_state.shift) & fl->host_state.mask) %
				  SMALL_KEYS] += n;
		if (fl->hyp_state.present)
			w->hyp_states->c[(((word >> fl->hyp_state.shift) & fl->hyp_state.mask) ^
					  w->mask) %
					 SMALL_KEYS] += n;
	}
	return NULL;
}

/*
 * Summary only, through the fast layout.  Most of a vmemmap is runs of
 * identical entries (untouched RAM, the tails of big blocks), so equal
 * words are counted as a run and decoded once.  Inlined once per word size
 * so that the loop has no size test.
 */
static inline __attribute__((always_inline)) struct hypmem_error *
fast_entries_w(struct walk_state *w, const uint8_t *e, uint64_t nr, const uint32_t wsize)
{
	uint64_t esz = w->l->size, prev = 0, run = 0;
	struct hypmem_error *err;

	for (uint64_t i = 0; i < nr; i++, e += esz) {
		uint64_t v;

		if (wsize == 8) {
			memcpy(&v, e, 8);
		} else {
			uint32_t x;

			memcpy(&x, e, 4);
			v = x;
		}
		if (v == prev) {
			run++;
			continue;
		}
		if (run && (err = fast_count(w, prev, run)))
			return err;
		prev = v;
		run = 1;
	}
	return run ? fast_count(w, prev, run) : NULL;
}

static struct hypmem_error *fast_entries(struct walk_state *w, const uint8_t *buf, uint64_t nr)
{
	w->sum->nr_entries += nr;
	if (w->fast.wsize == 8)
		return fast_entries_w(w, buf + w->fast.base, nr, 8);
	return fast_entries_w(w, buf + w->fast.base, nr, 4);
}

static struct hypmem_error *visit_entries(struct walk_state *w, const uint8_t *buf, uint64_t pfn,
					  uint64_t nr)
{
	struct hypmem_error *err;
	struct hypmem_page p;

	if (!w->fn && w->sum && w->fast.ok)
		return fast_entries(w, buf, nr);
	for (uint64_t i = 0; i < nr; i++) {
		char hb[16], yb[16];

		decode_entry(w->l, w->mask, buf + i * w->l->size, pfn + i, &p);
		p.phys = (pfn + i) << w->page_shift;
		if (p.has_state) {
			p.host_state_name = hypmem_page_state_name(&w->names, p.host_state, hb);
			p.hyp_state_name = hypmem_page_state_name(&w->names, p.hyp_state, yb);
		}
		if (w->sum) {
			w->sum->nr_entries++;
			if ((err = count(w->refs, &w->sum->refcount, p.refcount)) ||
			    (err = count(w->orders, &w->sum->order, p.order)))
				return err;
			if (p.has_state) {
				if ((err = count(w->host_states, &w->sum->host_state, p.host_state)))
					return err;
				if (w->l->hyp_state_comp.present &&
				    (err = count(w->hyp_states, &w->sum->hyp_state, p.hyp_state)))
					return err;
			}
		}
		if (w->fn && (err = w->fn(&p, w->arg)))
			return err;
	}
	return NULL;
}

/* Visit PFNs [first, end), a mapping (or a page of the source) at a time. */
static struct hypmem_error *walk_range(struct walk_state *w, uint64_t first, uint64_t end)
{
	const struct hypmem_target_info *info = hypmem_target_info(w->t);
	uint64_t esz = w->l->size, page = info->page_size;
	uint8_t buf[4096]; /* entries decoded per batch, not a page */

	while (first < end) {
		uint64_t va = info->vmemmap_base + first * esz, pa, mapped, nr;
		struct hypmem_error *err = hypmem_target_hyp_to_pa(w->t, va, &pa, &mapped);
		const void *view;

		if (err) {
			uint64_t skip = (page - (va & (page - 1)) + esz - 1) / esz;

			hypmem_error_destroy(err);
			if (skip > end - first)
				skip = end - first;
			/*
			 * Never mapped: not corruption.  v6.1 backs only the
			 * vmemmap of the hyp carve-out (seen in Debian's 6.1);
			 * 6.12 backs all of hyp_memory.  Pools check that their
			 * own pages have entries (buddy.c).
			 */
			if (hypmem_target_hyp_unmapped(w->t, va)) {
				if (w->sum) {
					uint64_t *b = &w->sum->backing_bytes;

					w->sum->nr_unbacked += skip;
					*b -= *b < page ? *b : page;
				}
				first += skip;
				continue;
			}
			/* Mapped but not in the dump: count it, report it, go on. */
			if (w->sum)
				w->sum->nr_unreadable += skip;
			err = hypmem_findings_add(hypmem_target_findings(w->t),
						  HYPMEM_FINDING_VMEMMAP_UNMAPPED, va,
						  "vmemmap entries of PFNs 0x%" PRIx64 "-0x%" PRIx64
						  " are not mapped or not in the dump (hyp VA 0x%" PRIx64
						  ")",
						  first, first + skip - 1, va);
			if (err)
				return err;
			first += skip;
			continue;
		}
		if (mapped < esz) {
			/* An entry straddling two mappings: read it piecewise. */
			err = hypmem_target_read_hyp(w->t, buf, va, esz);
			if (err)
				return err;
			nr = 1;
		} else {
			nr = mapped / esz;
			if (nr > end - first)
				nr = end - first;
			if (nr > sizeof(buf) / esz)
				nr = sizeof(buf) / esz;
			err = hypmem_source_view(hypmem_target_source(w->t), pa, nr * esz, &view);
			if (!err) {
				err = visit_entries(w, view, first, nr);
				if (err)
					return err;
				first += nr;
				continue;
			}
			hypmem_error_destroy(err);
			err = hypmem_source_read(hypmem_target_source(w->t), buf, pa, nr * esz);
			if (err) {
				hypmem_error_destroy(err);
				nr = 1;
				if (w->sum)
					w->sum->nr_unreadable++;
				first++;
				continue;
			}
		}
		err = visit_entries(w, buf, first, nr);
		if (err)
			return err;
		first += nr;
	}
	return NULL;
}

struct hypmem_error *hypmem_vmemmap_for_each(struct hypmem_target *t, uint64_t first,
					     uint64_t end, hypmem_page_fn fn, void *arg,
					     struct hypmem_vmemmap_summary *summary)
{
	const struct hypmem_target_info *info = hypmem_target_info(t);
	struct hypmem_hyp_page_layout l;
	struct hypmem_error *err;
	struct walk_state w = { .t = t, .l = &l, .fn = fn, .arg = arg, .sum = summary };
	uint64_t prev_end = 0;

	if (summary)
		memset(summary, 0, sizeof(*summary));
	err = hypmem_hyp_page_layout(t, &l);
	if (err)
		return err;
	w.mask = hyp_state_mask(t);
	w.page_shift = info->page_shift;
	if (l.host_state.present)
		hypmem_page_state_names(t, &w.names);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	fast_layout_init(&l, &w.fast);
#endif
	if (summary) {
		summary->base = info->vmemmap_base;
		summary->entry_size = l.size;
		summary->no_order = l.no_order;
		summary->names = w.names;
		w.refs = calloc(1, sizeof(*w.refs));
		w.orders = calloc(1, sizeof(*w.orders));
		w.host_states = calloc(1, sizeof(*w.host_states));
		w.hyp_states = calloc(1, sizeof(*w.hyp_states));
		if (!w.refs || !w.orders || !w.host_states || !w.hyp_states) {
			err = &hypmem_enomem;
			goto out;
		}
	}
	for (size_t i = 0; i < info->nr_ram; i++) {
		uint64_t s = info->ram[i].start >> info->page_shift;
		uint64_t e = info->ram[i].end >> info->page_shift;
		uint64_t bs, be;

		if (summary) {
			/* Backing the kernel maps: page-rounded, shared pages once. */
			bs = (info->vmemmap_base + s * l.size) & ~(info->page_size - 1);
			be = (info->vmemmap_base + e * l.size + info->page_size - 1) &
			     ~(info->page_size - 1);
			if (bs < prev_end)
				bs = prev_end;
			if (be > bs)
				summary->backing_bytes += be - bs;
			prev_end = be > prev_end ? be : prev_end;
		}
		if (s < first)
			s = first;
		if (e > end)
			e = end;
		if (s >= e)
			continue;
		err = walk_range(&w, s, e);
		if (err)
			goto out;
	}
	if (summary && ((err = small_flush(w.refs, &summary->refcount)) ||
			(err = small_flush(w.orders, &summary->order)) ||
			(err = small_flush(w.host_states, &summary->host_state)) ||
			(err = small_flush(w.hyp_states, &summary->hyp_state))))
		goto out;
out:
	free(w.refs);
	free(w.orders);
	free(w.host_states);
	free(w.hyp_states);
	return err;
}

void hypmem_vmemmap_summary_deinit(struct hypmem_vmemmap_summary *s)
{
	hypmem_histogram_deinit(&s->refcount);
	hypmem_histogram_deinit(&s->order);
	hypmem_histogram_deinit(&s->host_state);
	hypmem_histogram_deinit(&s->hyp_state);
}
