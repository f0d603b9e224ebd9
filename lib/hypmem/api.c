// SPDX-License-Identifier: GPL-2.0-only
/*
 * The public API (hypmem.h) over the internal modules: a handle holds the
 * target and, from the first call that needs it, the page-query decode
 * (query.h), whose pools, tables and heaps every list below comes from, so
 * that the findings are those of one decode whatever the order of calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypmem/hypmem.h"
#include "hypmem/query.h"
#include "hypmem_version.h" /* generated: VERSION */

struct hypmem_options {
	struct hypmem_target_config cfg;
	char *vmlinux, *core, *raw;
};

struct hypmem {
	struct hypmem_target *t;
	struct hypmem_query *q;	  /* NULL until needed */
	struct hypmem_chunk_info *chunks; /* every heap's chunks, flattened */
	size_t nr_chunks;
};

const char *hypmem_version(void)
{
	return HYPMEM_VERSION;
}

/* --- errors --- */

const char *hypmem_error_message(const struct hypmem_error *err)
{
	return err->message ? err->message : hypmem_error_name(err->code);
}

const char *hypmem_error_kind(const struct hypmem_error *err)
{
	return hypmem_error_name(err->code);
}

bool hypmem_error_address(const struct hypmem_error *err, uint64_t *ret)
{
	if (err->code != HYPMEM_ERROR_FAULT || !err->has_address)
		return false;
	*ret = err->address;
	return true;
}

/* --- options --- */

struct hypmem_error *hypmem_options_create(struct hypmem_options **ret)
{
	*ret = calloc(1, sizeof(**ret));
	return *ret ? NULL : &hypmem_enomem;
}

void hypmem_options_destroy(struct hypmem_options *opts)
{
	if (!opts)
		return;
	free(opts->vmlinux);
	free(opts->core);
	free(opts->raw);
	free(opts);
}

/* Replace *@slot by a copy of @s (NULL clears it). */
static struct hypmem_error *set_string(char **slot, const char *s)
{
	char *copy = NULL;

	if (s && !(copy = strdup(s)))
		return &hypmem_enomem;
	free(*slot);
	*slot = copy;
	return NULL;
}

struct hypmem_error *hypmem_options_set_vmlinux(struct hypmem_options *opts, const char *path)
{
	return set_string(&opts->vmlinux, path);
}

struct hypmem_error *hypmem_options_set_core(struct hypmem_options *opts, const char *path)
{
	return set_string(&opts->core, path);
}

struct hypmem_error *hypmem_options_set_raw(struct hypmem_options *opts, const char *spec)
{
	return set_string(&opts->raw, spec);
}

void hypmem_options_set_kaslr_offset(struct hypmem_options *opts, uint64_t offset)
{
	opts->cfg.kaslr_offset = offset;
	opts->cfg.kaslr_offset_set = true;
}

void hypmem_options_set_kimage_voffset(struct hypmem_options *opts, uint64_t offset)
{
	opts->cfg.kimage_voffset = offset;
	opts->cfg.kimage_voffset_set = true;
}

void hypmem_options_set_force(struct hypmem_options *opts, bool force)
{
	opts->cfg.force = force;
}

/* --- the handle --- */

struct hypmem_error *hypmem_open(const struct hypmem_options *opts, struct hypmem **ret)
{
	struct hypmem_target_config cfg = opts->cfg;
	struct hypmem_error *err;
	struct hypmem *hm;

	*ret = NULL;
	if (!opts->vmlinux)
		return hypmem_error_create(HYPMEM_ERROR_INVALID_ARGUMENT, "no vmlinux given");
	if (opts->core && opts->raw)
		return hypmem_error_create(HYPMEM_ERROR_INVALID_ARGUMENT,
					   "give either a core or a raw image, not both");
	hm = calloc(1, sizeof(*hm));
	if (!hm)
		return &hypmem_enomem;
	cfg.vmlinux = opts->vmlinux;
	cfg.core = opts->core;
	cfg.raw_spec = opts->raw;
	err = hypmem_target_open(&cfg, &hm->t);
	if (err) {
		free(hm);
		return err;
	}
	*ret = hm;
	return NULL;
}

void hypmem_close(struct hypmem *hm)
{
	if (!hm)
		return;
	free(hm->chunks);
	hypmem_query_destroy(hm->q);
	hypmem_target_destroy(hm->t);
	free(hm);
}

/* The one decode every list comes from. */
static struct hypmem_error *decoded(struct hypmem *hm)
{
	return hm->q ? NULL : hypmem_query_open(hm->t, &hm->q);
}

static struct hypmem_error *out_of_range(const char *what, size_t i, size_t nr)
{
	return hypmem_error_create(HYPMEM_ERROR_INVALID_ARGUMENT, "%s %zu: there are %zu", what, i,
				   nr);
}

/* --- the target --- */

static const struct hypmem_target_info *info(const struct hypmem *hm)
{
	return hypmem_target_info(hm->t);
}

const char *hypmem_release(const struct hypmem *hm)
{
	return info(hm)->release;
}

uint64_t hypmem_page_size(const struct hypmem *hm)
{
	return info(hm)->page_size;
}

const char *hypmem_core_format(const struct hypmem *hm)
{
	return hypmem_source_kind_name(hypmem_source_kind(hypmem_target_source(hm->t)));
}

uint64_t hypmem_kaslr_offset(const struct hypmem *hm)
{
	return info(hm)->kaslr_offset;
}

uint64_t hypmem_kimage_voffset(const struct hypmem *hm)
{
	return info(hm)->kimage_voffset;
}

int64_t hypmem_hyp_physvirt_offset(const struct hypmem *hm)
{
	return info(hm)->hyp_physvirt_offset;
}

uint64_t hypmem_vmemmap_base(const struct hypmem *hm)
{
	return info(hm)->vmemmap_base;
}

size_t hypmem_nr_ram(const struct hypmem *hm)
{
	return info(hm)->nr_ram;
}

bool hypmem_get_ram(const struct hypmem *hm, size_t i, uint64_t *start, uint64_t *end)
{
	if (i >= info(hm)->nr_ram)
		return false;
	*start = info(hm)->ram[i].start;
	*end = info(hm)->ram[i].end;
	return true;
}

/* --- pools and vmemmap --- */

struct hypmem_error *hypmem_nr_pools(struct hypmem *hm, size_t *nr_ret)
{
	struct hypmem_error *err = decoded(hm);

	*nr_ret = 0;
	if (!err)
		hypmem_query_pools(hm->q, nr_ret);
	return err;
}

struct hypmem_error *hypmem_get_pool(struct hypmem *hm, size_t i, struct hypmem_pool_info *ret)
{
	const struct hypmem_pool *p;
	struct hypmem_error *err = decoded(hm);
	size_t nr;

	memset(ret, 0, sizeof(*ret));
	if (err)
		return err;
	p = hypmem_query_pools(hm->q, &nr);
	if (i >= nr)
		return out_of_range("pool", i, nr);
	p += i;
	snprintf(ret->name, sizeof(ret->name), "%s", p->name);
	ret->address = p->addr;
	ret->range_start = p->range_start;
	ret->range_end = p->range_end;
	ret->max_order = p->max_order;
	ret->nr_pages = p->nr_pages;
	ret->free_pages = p->free_pages;
	ret->nr_orders = p->nr_orders < HYPMEM_ORDERS ? p->nr_orders : HYPMEM_ORDERS;
	memcpy(ret->free_pages_by_order, p->free_pages_by_order,
	       ret->nr_orders * sizeof(ret->free_pages_by_order[0]));
	memcpy(ret->free_blocks_by_order, p->free_blocks_by_order,
	       ret->nr_orders * sizeof(ret->free_blocks_by_order[0]));
	ret->findings = p->findings;
	return NULL;
}

static void vmemmap_entry(const struct hypmem_page *p, const struct hypmem_page_state_names *n,
			  struct hypmem_vmemmap_entry *e)
{
	char buf[16];

	memset(e, 0, sizeof(*e));
	e->pfn = p->pfn;
	e->phys = p->phys;
	e->refcount = p->refcount;
	e->order = p->order;
	e->no_order = p->no_order;
	e->has_state = p->has_state;
	e->host_state = p->host_state;
	e->hyp_state = p->hyp_state;
	e->host_share_guest_count = p->host_share_guest_count;
	if (p->has_state) {
		snprintf(e->host_state_name, sizeof(e->host_state_name), "%s",
			 hypmem_page_state_name(n, p->host_state, buf));
		snprintf(e->hyp_state_name, sizeof(e->hyp_state_name), "%s",
			 hypmem_page_state_name(n, p->hyp_state, buf));
	}
}

/* Entries of [@pfn, @pfn + @nr) into @buf; those the dump lacks are skipped. */
static struct hypmem_error *read_entries(struct hypmem *hm, uint64_t pfn, size_t nr,
					 const struct hypmem_page_state_names *names,
					 struct hypmem_page *pages, struct hypmem_vmemmap_entry *buf,
					 size_t *n)
{
	struct hypmem_error *err = hypmem_vmemmap_read(hm->t, pfn, nr, pages);

	if (!err) {
		for (size_t i = 0; i < nr; i++)
			vmemmap_entry(&pages[i], names, &buf[(*n)++]);
		return NULL;
	}
	if (!hypmem_error_catch(&err, HYPMEM_ERROR_FAULT))
		return err;
	/* Some entry is not in the dump: one at a time. */
	for (size_t i = 0; i < nr; i++) {
		err = hypmem_vmemmap_read(hm->t, pfn + i, 1, pages);
		if (err && hypmem_error_catch(&err, HYPMEM_ERROR_FAULT))
			continue;
		if (err)
			return err;
		vmemmap_entry(pages, names, &buf[(*n)++]);
	}
	return NULL;
}

#define VMEMMAP_BATCH 512

struct hypmem_error *hypmem_get_vmemmap(struct hypmem *hm, uint64_t first,
					struct hypmem_vmemmap_entry *buf, size_t cap,
					size_t *nr_ret)
{
	const struct hypmem_target_info *ti = info(hm);
	struct hypmem_page_state_names names;
	struct hypmem_page *pages;
	struct hypmem_error *err = NULL;
	size_t n = 0;

	*nr_ret = 0;
	pages = malloc(VMEMMAP_BATCH * sizeof(*pages));
	if (!pages)
		return &hypmem_enomem;
	hypmem_page_state_names(hm->t, &names);
	/* hyp_memory[] is sorted; read in batches. */
	for (size_t r = 0; !err && r < ti->nr_ram && n < cap; r++) {
		uint64_t pfn = ti->ram[r].start >> ti->page_shift;
		uint64_t end = ti->ram[r].end >> ti->page_shift;

		if (pfn < first)
			pfn = first;
		while (!err && pfn < end && n < cap) {
			size_t nr = VMEMMAP_BATCH;

			if (nr > cap - n)
				nr = cap - n;
			if (nr > end - pfn)
				nr = (size_t)(end - pfn);
			err = read_entries(hm, pfn, nr, &names, pages, buf, &n);
			pfn += nr;
		}
	}
	free(pages);
	*nr_ret = n;
	return err;
}

/* --- tables --- */

static void run_info(const struct hypmem_stage2 *s, const struct hypmem_s2_run *r,
		     struct hypmem_run_info *ret)
{
	char buf[16];

	memset(ret, 0, sizeof(*ret));
	ret->start = r->start;
	ret->end = r->end;
	ret->level = r->level;
	ret->valid = r->valid;
	if (r->valid || s->cfg.stage1)
		ret->phys = r->phys;
	snprintf(ret->size, sizeof(ret->size), "%s", hypmem_s2_level_size_name(s, r->level, buf));
	if (!s->cfg.stage1)
		snprintf(ret->owner, sizeof(ret->owner), "%s",
			 hypmem_s2_owner_name(s, r->owner, buf));
	if (!r->valid && s->cfg.invalid_types)
		snprintf(ret->type, sizeof(ret->type), "%s", hypmem_s2_type_name(s, r->type, buf));
	snprintf(ret->state, sizeof(ret->state), "%s", hypmem_s2_state_name(r->state));
	snprintf(ret->prot, sizeof(ret->prot), "%s", hypmem_s2_prot_name(r->prot));
	snprintf(ret->memattr, sizeof(ret->memattr), "%s",
		 hypmem_s2_memattr_name(r->memattr, buf, sizeof(buf)));
	ret->vm_handle = r->vm_handle;
	ret->gfn = r->gfn;
}

struct hypmem_error *hypmem_nr_runs(struct hypmem *hm, enum hypmem_table table, size_t *nr_ret)
{
	const struct hypmem_stage2 *s;
	struct hypmem_error *err = decoded(hm);

	*nr_ret = 0;
	if (err)
		return err;
	s = hypmem_query_stage2(hm->q, table == HYPMEM_HYP_STAGE1);
	*nr_ret = s ? s->nr_runs : 0;
	return NULL;
}

struct hypmem_error *hypmem_get_run(struct hypmem *hm, enum hypmem_table table, size_t i,
				    struct hypmem_run_info *ret)
{
	const struct hypmem_stage2 *s;
	struct hypmem_error *err;
	size_t nr;

	memset(ret, 0, sizeof(*ret));
	err = hypmem_nr_runs(hm, table, &nr);
	if (err)
		return err;
	if (i >= nr)
		return out_of_range("run", i, nr);
	s = hypmem_query_stage2(hm->q, table == HYPMEM_HYP_STAGE1);
	run_info(s, &s->runs[i], ret);
	return NULL;
}

/* --- heap --- */

static void chunk_info(const char *heap, const struct hypmem_heap_chunk *c,
		       struct hypmem_chunk_info *ret)
{
	memset(ret, 0, sizeof(*ret));
	snprintf(ret->heap, sizeof(ret->heap), "%s", heap);
	ret->addr = c->addr;
	ret->pa = c->pa;
	ret->size = c->size;
	ret->mapped = c->mapped;
	ret->used = c->used;
	ret->is_used = c->is_used;
	ret->hash_ok = c->hash_ok;
}

struct hypmem_error *hypmem_nr_chunks(struct hypmem *hm, size_t *nr_ret)
{
	const struct hypmem_heap *heaps;
	struct hypmem_error *err = decoded(hm);
	size_t nr_heaps, n = 0;

	*nr_ret = 0;
	if (err)
		return err;
	if (!hm->chunks) {
		heaps = hypmem_query_heaps(hm->q, &nr_heaps);
		for (size_t h = 0; h < nr_heaps; h++)
			n += heaps[h].nr_chunks;
		hm->chunks = calloc(n ? n : 1, sizeof(*hm->chunks));
		if (!hm->chunks)
			return &hypmem_enomem;
		n = 0;
		for (size_t h = 0; h < nr_heaps; h++)
			for (size_t c = 0; c < heaps[h].nr_chunks; c++)
				chunk_info(heaps[h].name, &heaps[h].chunks[c], &hm->chunks[n++]);
		hm->nr_chunks = n;
	}
	*nr_ret = hm->nr_chunks;
	return NULL;
}

struct hypmem_error *hypmem_get_chunk(struct hypmem *hm, size_t i, struct hypmem_chunk_info *ret)
{
	struct hypmem_error *err;
	size_t nr;

	memset(ret, 0, sizeof(*ret));
	err = hypmem_nr_chunks(hm, &nr);
	if (err)
		return err;
	if (i >= nr)
		return out_of_range("chunk", i, nr);
	*ret = hm->chunks[i];
	return NULL;
}

/* --- one address --- */

static void page_info(const struct hypmem_page_query *r, const struct hypmem_page_state_names *n,
		      struct hypmem_page_info *ret)
{
	snprintf(ret->why, sizeof(ret->why), "%s", r->why);
	snprintf(ret->kind, sizeof(ret->kind), "%s", r->kind);
	ret->resolved = r->resolved;
	ret->pa = r->pa;
	if (!r->resolved)
		return;
	ret->page_pa = r->page_pa;
	ret->pfn = r->pfn;
	ret->in_ram = r->in_ram;
	ret->has_entry = r->has_page;
	if (r->has_page) {
		vmemmap_entry(&r->page, n, &ret->entry);
		/* The query's names are those of this target too; keep its spelling. */
		snprintf(ret->entry.host_state_name, sizeof(ret->entry.host_state_name), "%s",
			 r->host_state);
		snprintf(ret->entry.hyp_state_name, sizeof(ret->entry.hyp_state_name), "%s",
			 r->hyp_state);
	}
	ret->in_pool = r->in_pool;
	snprintf(ret->pool, sizeof(ret->pool), "%s", r->pool);
	ret->is_free = r->is_free;
	ret->block_pfn = r->block_pfn;
	ret->block_order = r->block_order;
	ret->block_index = r->block_index;
}

struct hypmem_error *hypmem_get_page(struct hypmem *hm, const char *addr,
				     struct hypmem_page_info *ret)
{
	struct hypmem_page_state_names names;
	struct hypmem_page_query *r;
	struct hypmem_addr in;
	struct hypmem_error *err;

	memset(ret, 0, sizeof(*ret));
	if (!addr || !hypmem_query_parse(addr, &in))
		return hypmem_error_create(HYPMEM_ERROR_INVALID_ARGUMENT, "bad address '%s'",
					   addr ? addr : "(null)");
	err = decoded(hm);
	if (err)
		return err;
	r = malloc(sizeof(*r)); /* a few KiB: not on the caller's stack */
	if (!r)
		return &hypmem_enomem;
	err = hypmem_query_page(hm->q, &in, r);
	if (err) {
		free(r);
		return err;
	}
	hypmem_page_state_names(hm->t, &names);
	page_info(r, &names, ret);
	if (r->resolved && r->s2_mapped) {
		const struct hypmem_stage2 *s = hypmem_query_stage2(hm->q, false);

		ret->s2_mapped = true;
		if (s)
			run_info(s, &r->s2, &ret->s2);
		ret->s2_desc = r->s2_desc;
		ret->s2_table_pa = r->s2_table_pa;
	}
	for (size_t i = 0; i < r->nr_hyp && ret->nr_hyp < HYPMEM_PAGE_MAX_MAPS; i++)
		ret->hyp_va[ret->nr_hyp++] = r->hyp[i].va;
	for (size_t i = 0; i < r->nr_guest && ret->nr_guest < HYPMEM_PAGE_MAX_MAPS; i++) {
		ret->guest_vm[ret->nr_guest] = r->guest[i].vm_handle;
		ret->guest_ipa[ret->nr_guest++] = r->guest[i].va;
	}
	for (size_t i = 0; i < r->nr_chunks && ret->nr_chunks < HYPMEM_PAGE_MAX_CHUNKS; i++) {
		struct hypmem_chunk_info *c = &ret->chunks[ret->nr_chunks++];

		memset(c, 0, sizeof(*c));
		snprintf(c->heap, sizeof(c->heap), "%s", r->chunks[i].heap);
		c->addr = r->chunks[i].addr;
		c->size = r->chunks[i].size;
		c->used = r->chunks[i].used;
		c->is_used = r->chunks[i].is_used;
	}
	ret->nr_findings = r->nr_findings_total;
	free(r);
	return NULL;
}

/* --- findings --- */

struct hypmem_error *hypmem_nr_findings(struct hypmem *hm, size_t *nr_ret, size_t *total_ret)
{
	const struct hypmem_findings *f;
	struct hypmem_error *err = decoded(hm);

	*nr_ret = 0;
	if (total_ret)
		*total_ret = 0;
	if (err)
		return err;
	f = hypmem_target_findings(hm->t);
	*nr_ret = f->nr;
	if (total_ret)
		*total_ret = f->total;
	return NULL;
}

struct hypmem_error *hypmem_get_finding(struct hypmem *hm, size_t i,
					struct hypmem_finding_info *ret)
{
	const struct hypmem_findings *f;
	struct hypmem_error *err;
	size_t nr;

	memset(ret, 0, sizeof(*ret));
	err = hypmem_nr_findings(hm, &nr, NULL);
	if (err)
		return err;
	if (i >= nr)
		return out_of_range("finding", i, nr);
	f = hypmem_target_findings(hm->t);
	ret->kind = hypmem_finding_key(f->items[i].kind);
	ret->address = f->items[i].address;
	ret->message = f->items[i].message;
	return NULL;
}
