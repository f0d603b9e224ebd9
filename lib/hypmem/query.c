// SPDX-License-Identifier: GPL-2.0-only
/*
 * Page queries (query.h): one decode of the target, then per address a
 * lookup in the decoded runs, pools and chunks plus a few reads.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hypmem/query.h"
#include "hypmem/report.h"
#include "hypmem/vmcoreinfo.h"

struct hypmem_query {
	struct hypmem_target *t;
	struct hypmem_hyp_page_layout layout;
	bool has_layout;
	struct hypmem_page_state_names names;
	struct hypmem_pool *pools;
	size_t nr_pools;
	struct hypmem_stage2 host, s1;
	struct hypmem_vms vms;
	struct hypmem_heap *heaps;
	size_t nr_heaps;
};

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && !*end;
}

bool hypmem_query_parse(const char *s, struct hypmem_addr *ret)
{
	static const struct {
		const char *prefix;
		enum hypmem_addr_kind kind;
	} prefixes[] = {
	    {"pa:", HYPMEM_ADDR_PA},   {"pfn:", HYPMEM_ADDR_PFN},    {"hyp:", HYPMEM_ADDR_HYP_VA},
	    {"kva:", HYPMEM_ADDR_KVA}, {"sym:", HYPMEM_ADDR_SYMBOL},
	};
	const char *rest = s;

	memset(ret, 0, sizeof(*ret));
	if (strlen(s) >= sizeof(ret->text))
		return false;
	snprintf(ret->text, sizeof(ret->text), "%s", s);
	ret->kind = HYPMEM_ADDR_AUTO;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i].prefix);

		if (!strncmp(s, prefixes[i].prefix, n)) {
			ret->kind = prefixes[i].kind;
			rest = s + n;
			break;
		}
	}
	if (ret->kind == HYPMEM_ADDR_SYMBOL)
		return *rest != '\0';
	return parse_u64(rest, &ret->value);
}

void hypmem_query_destroy(struct hypmem_query *q)
{
	if (!q)
		return;
	free(q->pools);
	hypmem_stage2_deinit(&q->host);
	hypmem_stage2_deinit(&q->s1);
	hypmem_vms_deinit(&q->vms);
	hypmem_heaps_free(q->heaps, q->nr_heaps);
	free(q);
}

const struct hypmem_pool *hypmem_query_pools(const struct hypmem_query *q, size_t *nr_ret)
{
	*nr_ret = q->nr_pools;
	return q->pools;
}

const struct hypmem_stage2 *hypmem_query_stage2(const struct hypmem_query *q, bool hyp_stage1)
{
	const struct hypmem_stage2 *s = hyp_stage1 ? &q->s1 : &q->host;

	return s->found ? s : NULL;
}

const struct hypmem_heap *hypmem_query_heaps(const struct hypmem_query *q, size_t *nr_ret)
{
	*nr_ret = q->nr_heaps;
	return q->heaps;
}

/* A missing structure (an older kernel) is not an error for a query. */
static struct hypmem_error *absent_ok(struct hypmem_error *err)
{
	if (err && (hypmem_error_catch(&err, HYPMEM_ERROR_LOOKUP) ||
		    hypmem_error_catch(&err, HYPMEM_ERROR_FORMAT)))
		return NULL;
	return err;
}

struct hypmem_error *hypmem_query_open(struct hypmem_target *t, struct hypmem_query **ret)
{
	struct hypmem_query *q = calloc(1, sizeof(*q));
	struct hypmem_error *err;

	*ret = NULL;
	if (!q)
		return &hypmem_enomem;
	q->t = t;
	err = hypmem_hyp_page_layout(t, &q->layout);
	q->has_layout = !err;
	hypmem_error_destroy(err);
	hypmem_page_state_names(t, &q->names);
	err = hypmem_pools_decode(t, &q->pools, &q->nr_pools);
	if (!err)
		err = absent_ok(hypmem_stage2_decode(t, HYPMEM_S2_KEEP_RUNS, &q->host));
	if (!err)
		err = absent_ok(
		    hypmem_stage2_decode(t, HYPMEM_S2_KEEP_RUNS | HYPMEM_S2_HYP_STAGE1, &q->s1));
	if (!err)
		err = hypmem_vms_decode(t, &q->vms);
	if (!err && q->host.found)
		err = hypmem_vms_check(t, &q->host, &q->vms, NULL);
	if (!err)
		err = absent_ok(hypmem_heaps_decode(t, true, &q->heaps, &q->nr_heaps));
	if (err) {
		hypmem_query_destroy(q);
		return err;
	}
	*ret = q;
	return NULL;
}

static unsigned int pshift(const struct hypmem_query *q)
{
	return hypmem_target_info(q->t)->page_shift;
}

unsigned int hypmem_query_page_shift(const struct hypmem_query *q)
{
	return pshift(q);
}

const struct hypmem_findings *hypmem_query_findings(const struct hypmem_query *q)
{
	return hypmem_target_findings(q->t);
}

static bool in_ram(const struct hypmem_query *q, uint64_t pa)
{
	const struct hypmem_target_info *info = hypmem_target_info(q->t);

	for (size_t i = 0; i < info->nr_ram; i++)
		if (pa >= info->ram[i].start && pa < info->ram[i].end)
			return true;
	return false;
}

/* Input address of the leaf size at @level for the table's granule. */
static unsigned int level_shift(unsigned int ps, int level)
{
	if (level < 0 || level > 3)
		return ps;
	return ps + (unsigned int)(3 - level) * (ps - 3);
}

/* A kernel linear-map VA (hypmem_target_kernel_lm_to_pa()), also outside RAM. */
static bool linear_kva(struct hypmem_query *q, uint64_t va, uint64_t *pa)
{
	struct hypmem_error *err = hypmem_target_kernel_lm_to_pa(q->t, va, pa);
	bool ok = !err || err->code == HYPMEM_ERROR_FAULT;

	hypmem_error_destroy(err);
	return ok;
}

static struct hypmem_error *resolve(struct hypmem_query *q, const struct hypmem_addr *in,
				    struct hypmem_page_query *r)
{
	const struct hypmem_target_info *info = hypmem_target_info(q->t);
	struct hypmem_error *err;
	uint64_t pa;

	switch (in->kind) {
	case HYPMEM_ADDR_PA:
		snprintf(r->kind, sizeof(r->kind), "pa");
		r->pa = in->value;
		return NULL;
	case HYPMEM_ADDR_PFN:
		snprintf(r->kind, sizeof(r->kind), "pfn");
		if (in->value >> (64 - info->page_shift)) {
			snprintf(r->why, sizeof(r->why), "PFN 0x%" PRIx64 " is too large",
				 in->value);
			return NULL;
		}
		r->pa = in->value << info->page_shift;
		return NULL;
	case HYPMEM_ADDR_KVA:
		break;
	case HYPMEM_ADDR_SYMBOL: {
		const char *name = in->text + 4;

		snprintf(r->kind, sizeof(r->kind), "sym");
		err = hypmem_target_symbol_pa(q->t, name, &r->pa, NULL);
		if (err && hypmem_error_catch(&err, HYPMEM_ERROR_LOOKUP)) {
			snprintf(r->why, sizeof(r->why), "no variable '%s' in the image", name);
			return NULL;
		}
		return err;
	}
	case HYPMEM_ADDR_HYP_VA:
		snprintf(r->kind, sizeof(r->kind), "hyp");
		err = hypmem_target_hyp_to_pa(q->t, in->value, &r->pa, NULL);
		if (err) {
			snprintf(r->why, sizeof(r->why), "hyp VA 0x%" PRIx64 " is not mapped%s",
				 in->value,
				 hypmem_target_hyp_unmapped(q->t, in->value)
				     ? ""
				     : " (or its tables are not in the dump)");
			hypmem_error_destroy(err);
		}
		return NULL;
	case HYPMEM_ADDR_AUTO:
		break;
	}
	if (in->kind == HYPMEM_ADDR_KVA || (in->value >> 48) == 0xffff) {
		if (linear_kva(q, in->value, &r->pa)) {
			snprintf(r->kind, sizeof(r->kind), "linear");
			return NULL;
		}
		snprintf(r->kind, sizeof(r->kind), "kva");
		return hypmem_target_kva_to_pa(q->t, in->value, &r->pa);
	}
	if (in_ram(q, in->value)) {
		snprintf(r->kind, sizeof(r->kind), "pa");
		r->pa = in->value;
		return NULL;
	}
	err = hypmem_target_hyp_to_pa(q->t, in->value, &pa, NULL);
	if (!err) {
		snprintf(r->kind, sizeof(r->kind), "hyp");
		r->pa = pa;
		return NULL;
	}
	hypmem_error_destroy(err);
	snprintf(r->kind, sizeof(r->kind), "pa");
	r->pa = in->value;
	return NULL;
}

static void vmemmap_part(struct hypmem_query *q, struct hypmem_page_query *r)
{
	struct hypmem_error *err;
	char buf[16];

	if (!q->has_layout || !r->in_ram)
		return;
	r->entry_va = hypmem_target_info(q->t)->vmemmap_base + r->pfn * q->layout.size;
	err = hypmem_vmemmap_read(q->t, r->pfn, 1, &r->page);
	if (err) {
		hypmem_error_destroy(err);
		return;
	}
	r->has_page = true;
	if (r->page.has_state) {
		snprintf(r->host_state, sizeof(r->host_state), "%s",
			 hypmem_page_state_name(&q->names, r->page.host_state, buf));
		snprintf(r->hyp_state, sizeof(r->hyp_state), "%s",
			 hypmem_page_state_name(&q->names, r->page.hyp_state, buf));
	}
}

/*
 * The block holding @pfn: going up the orders, the first aligned head
 * with an order is the block's head if the block reaches @pfn.  Free when
 * that head's refcount is 0.  Heads are checked against the pool's range.
 */
static void pool_part(struct hypmem_query *q, struct hypmem_page_query *r)
{
	const struct hypmem_findings *f = hypmem_target_findings(q->t);
	unsigned int ps = pshift(q);
	const struct hypmem_pool *pool = NULL;

	for (size_t i = 0; i < q->nr_pools; i++)
		if (r->page_pa >= q->pools[i].range_start && r->page_pa < q->pools[i].range_end) {
			pool = &q->pools[i];
			break;
		}
	if (!pool)
		return;
	r->in_pool = true;
	snprintf(r->pool, sizeof(r->pool), "%s", pool->name);
	if (!q->has_layout)
		return;
	for (unsigned int o = 0; o < HYPMEM_MAX_ORDERS && o <= pool->max_order; o++) {
		uint64_t head = r->pfn & ~((1ULL << o) - 1);
		struct hypmem_page e;
		struct hypmem_error *err;

		if ((head << ps) < pool->range_start)
			break;
		err = hypmem_vmemmap_read(q->t, head, 1, &e);
		if (err) {
			hypmem_error_destroy(err);
			break;
		}
		if (e.no_order)
			continue;
		if (e.order >= 64 || r->pfn - head >= (1ULL << e.order) || e.refcount)
			break;
		r->is_free = true;
		r->block_pfn = head;
		r->block_order = (unsigned int)e.order;
		r->block_index = r->pfn - head;
		for (size_t i = 0; i < f->nr; i++)
			if (f->items[i].kind == HYPMEM_FINDING_FREE_HEAD_NOT_LISTED &&
			    f->items[i].address == head << ps)
				r->block_unlisted = true;
		break;
	}
}

struct entry_find {
	uint64_t pa;
	unsigned int ps;
	bool found;
	uint64_t desc, ptep, table_pa;
};

static struct hypmem_error *find_entry(const struct hypmem_pgtable_visit_ctx *ctx,
				       enum hypmem_walk_flags visit)
{
	struct entry_find *e = ctx->arg;
	unsigned int sh = level_shift(e->ps, ctx->level);
	uint64_t idx;

	(void)visit;
	if (e->pa < ctx->addr)
		return NULL;
	idx = (e->pa - ctx->addr) >> sh;
	if (idx >= ctx->nr)
		return NULL;
	e->found = true;
	e->ptep = ctx->ptep + idx * 8;
	e->table_pa = ctx->table_pa;
	e->desc = ctx->old;
	return NULL;
}

static const struct hypmem_s2_run *find_run(const struct hypmem_stage2 *s, uint64_t ia)
{
	size_t lo = 0, hi = s->nr_runs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->runs[mid].end <= ia)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->nr_runs && s->runs[lo].start <= ia)
		return &s->runs[lo];
	return NULL;
}

static void host_s2_part(struct hypmem_query *q, struct hypmem_page_query *r)
{
	struct hypmem_findings scratch;
	struct entry_find e = {.pa = r->page_pa};
	struct hypmem_pgtable_walker w = {find_entry, &e, HYPMEM_WALK_LEAF};
	const struct hypmem_s2_run *run;
	struct hypmem_error *err;
	uint64_t step;
	char buf[16];

	r->s2_found = q->host.found;
	if (!q->host.found || !(run = find_run(&q->host, r->page_pa)))
		return;
	r->s2_mapped = true;
	r->s2 = *run;

	snprintf(r->s2_size, sizeof(r->s2_size), "%s",
		 hypmem_s2_level_size_name(&q->host, run->level, buf));
	if (!run->valid)
		snprintf(r->s2_owner, sizeof(r->s2_owner), "%s",
			 hypmem_s2_owner_name(&q->host, run->owner, buf));
	snprintf(r->s2_state, sizeof(r->s2_state), "%s", hypmem_s2_state_name(run->state));
	if (q->host.cfg.invalid_types && !run->valid)
		snprintf(r->s2_type, sizeof(r->s2_type), "%s",
			 hypmem_s2_type_name(&q->host, run->type, buf));
	snprintf(r->s2_memattr, sizeof(r->s2_memattr), "%s",
		 hypmem_s2_memattr_name(run->memattr, buf, sizeof(buf)));
	/* The table page holding the entry: one walk of one page, findings discarded. */
	e.ps = q->host.geom.page_shift ? q->host.geom.page_shift : 12;
	step = 1ULL << e.ps;
	hypmem_findings_init(&scratch);
	err = hypmem_pgtable_walk(hypmem_target_source(q->t), &q->host.geom, r->page_pa,
				  r->page_pa + step, &w, &scratch);
	hypmem_findings_deinit(&scratch);
	hypmem_error_destroy(err);
	if (e.found) {
		r->s2_desc = e.desc;
		r->s2_ptep = e.ptep;
		r->s2_table_pa = e.table_pa;
	}
	if (r->s2.vm_handle && !r->s2.valid && r->nr_guest < HYPMEM_QUERY_MAX_MAPS) {
		struct hypmem_query_map *m = &r->guest[r->nr_guest++];

		memset(m, 0, sizeof(*m));
		m->donation = true;
		m->vm_handle = r->s2.vm_handle;
		m->va = (r->s2.gfn << e.ps) + (r->page_pa - r->s2.start);
		m->level = r->s2.level;
		r->nr_guest_total++;
	}
}

/* Leaves of @s whose output covers the page: hyp stage-1 or a guest's stage-2. */
static void maps_of(const struct hypmem_stage2 *s, const struct hypmem_page_query *r,
		    uint64_t vm_handle, struct hypmem_query_map *maps, size_t *nr, size_t *total)
{
	unsigned int ps = s->geom.page_shift ? s->geom.page_shift : 12;
	char buf[16];

	for (size_t i = 0; i < s->nr_runs; i++) {
		const struct hypmem_s2_run *run = &s->runs[i];
		struct hypmem_query_map *m;

		if (!run->valid || r->page_pa < run->phys ||
		    r->page_pa - run->phys >= run->end - run->start)
			continue;
		if ((*total)++ >= HYPMEM_QUERY_MAX_MAPS)
			continue;
		m = &maps[(*nr)++];
		memset(m, 0, sizeof(*m));
		m->va = run->start + (r->page_pa - run->phys);
		m->vm_handle = vm_handle;
		m->level = run->level;
		m->block = level_shift(ps, run->level) > ps;
		snprintf(m->size, sizeof(m->size), "%s",
			 hypmem_s2_level_size_name(s, run->level, buf));
		if (run->state != HYPMEM_S2_NOSTATE)
			snprintf(m->state, sizeof(m->state), "%s",
				 hypmem_s2_state_name(run->state));
		m->prot = run->prot;
		m->memattr = run->memattr;
	}
}

static void add_chunk(struct hypmem_page_query *r, const struct hypmem_heap *heap,
		      const struct hypmem_heap_chunk *c, bool holds)
{
	struct hypmem_query_chunk *qc;

	if (r->nr_chunks_total++ >= HYPMEM_QUERY_MAX_CHUNKS)
		return;
	qc = &r->chunks[r->nr_chunks++];
	snprintf(qc->heap, sizeof(qc->heap), "%s", heap->name);
	qc->addr = c->addr;
	qc->size = c->size;
	qc->used = c->used;
	qc->is_used = c->is_used;
	qc->holds = holds;
}

/*
 * Chunks overlapping the page through each hyp mapping in a heap's range;
 * the one holding the address asked about comes first.
 */
static void heap_part(struct hypmem_query *q, struct hypmem_page_query *r)
{
	uint64_t page = 1ULL << pshift(q);

	for (int pass = 0; pass < 2; pass++) {
		for (size_t m = 0; m < r->nr_hyp; m++) {
			uint64_t va = r->hyp[m].va & ~(page - 1);
			uint64_t exact = va + (r->pa & (page - 1));

			for (size_t h = 0; h < q->nr_heaps; h++) {
				const struct hypmem_heap *heap = &q->heaps[h];

				if (va < heap->start || va >= heap->end)
					continue;
				for (size_t i = 0; i < heap->nr_chunks; i++) {
					const struct hypmem_heap_chunk *c = &heap->chunks[i];
					uint64_t end = i + 1 < heap->nr_chunks
							   ? heap->chunks[i + 1].addr
							   : heap->end;
					bool holds = exact >= c->addr && exact < end;

					if (end <= va || c->addr >= va + page || holds != !pass)
						continue;
					add_chunk(r, heap, c, holds);
				}
			}
		}
	}
}

static void findings_part(struct hypmem_query *q, struct hypmem_page_query *r)
{
	const struct hypmem_findings *f = hypmem_target_findings(q->t);
	uint64_t page = 1ULL << pshift(q);

	for (size_t i = 0; i < f->nr; i++) {
		if (f->items[i].address - r->page_pa >= page)
			continue;
		if (r->nr_findings_total++ < HYPMEM_QUERY_MAX_FINDINGS)
			r->findings[r->nr_findings++] = i;
	}
}

struct hypmem_error *hypmem_query_page(struct hypmem_query *q, const struct hypmem_addr *in,
				       struct hypmem_page_query *r)
{
	struct hypmem_error *err;
	unsigned int ps = pshift(q);

	memset(r, 0, sizeof(*r));
	r->in = *in;
	err = resolve(q, in, r);
	if (err)
		return err;
	if (r->why[0])
		return NULL;
	r->resolved = true;
	r->page_pa = r->pa & ~((1ULL << ps) - 1);
	r->pfn = r->pa >> ps;
	r->in_ram = in_ram(q, r->pa);
	vmemmap_part(q, r);
	pool_part(q, r);
	host_s2_part(q, r);
	maps_of(&q->s1, r, 0, r->hyp, &r->nr_hyp, &r->nr_hyp_total);
	for (size_t i = 0; i < q->vms.nr; i++)
		maps_of(&q->vms.vms[i].s2, r, q->vms.vms[i].handle, r->guest, &r->nr_guest,
			&r->nr_guest_total);
	heap_part(q, r);
	findings_part(q, r);
	return NULL;
}
