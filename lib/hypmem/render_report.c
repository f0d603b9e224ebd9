// SPDX-License-Identifier: GPL-2.0-only
/*
 * The one-shot report, pools, vmemmap, findings and pages as JSON (json-c)
 * and as text.  Text follows the habits of /proc/buddyinfo (one row per
 * pool, one column per order) and of top/slabtop (a short header, then a
 * table).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hypmem/identity.h"
#include "hypmem/render.h"
#include "render_priv.h"

/* json-c helpers: every add checks for allocation failure once, at the end. */
static struct json_object *ju64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static struct json_object *ju64_array(const uint64_t *v, size_t n)
{
	struct json_object *a = json_object_new_array_ext((int)n);

	for (size_t i = 0; a && i < n; i++) {
		if (json_object_array_add(a, ju64(v[i]))) {
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

/* Histogram as an object {"key": count}, keys in ascending numeric order. */
static struct json_object *jhistogram(const struct hypmem_histogram *h, bool has_none,
				      uint64_t none)
{
	struct json_object *o = json_object_new_object();
	char key[32];

	for (size_t i = 0; o && i < h->nr; i++) {
		if (has_none && h->keys[i] == none)
			snprintf(key, sizeof(key), "none");
		else
			snprintf(key, sizeof(key), "%" PRIu64, h->keys[i]);
		if (!jadd(o, key, ju64(h->counts[i]))) {
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

/* Image against dump (identity.h): what each side says and how much .text agrees. */
static struct json_object *json_identity(struct hypmem_target *t)
{
	struct json_object *o;
	struct hypmem_identity id;
	struct hypmem_error *err = hypmem_target_identity(t, &id);

	if (err) {
		hypmem_error_destroy(err);
		return NULL;
	}
	o = json_object_new_object();
	if (!o || !jadd(o, "image_release", json_object_new_string(id.image_release)) ||
	    !jadd(o, "image_build_id", json_object_new_string(id.image_build_id)) ||
	    !jadd(o, "dump_release", json_object_new_string(id.dump_release)) ||
	    !jadd(o, "dump_build_id", json_object_new_string(id.dump_build_id)) ||
	    !jadd(o, "text_samples", ju64(id.readable)) ||
	    !jadd(o, "text_samples_matching", ju64(id.matching)) ||
	    !jadd(o, "match", json_object_new_boolean(!id.mismatch))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct json_object *hypmem_json_target(struct hypmem_target *t)
{
	const struct hypmem_target_info *info = hypmem_target_info(t);
	struct json_object *o = json_object_new_object(), *ram = json_object_new_array();

	for (size_t i = 0; ram && i < info->nr_ram; i++) {
		struct json_object *r = json_object_new_object();

		if (!jadd(r, "start", jhex(info->ram[i].start)) ||
		    !jadd(r, "end", jhex(info->ram[i].end)) || json_object_array_add(ram, r)) {
			json_object_put(r);
			json_object_put(ram);
			ram = NULL;
		}
	}
	if (!jadd(o, "release", json_object_new_string(info->release)) ||
	    !jadd(o, "page_size", ju64(info->page_size)) || !jadd(o, "ram_ranges", ram) ||
	    !jadd(o, "identity", json_identity(t)) ||
	    !jadd(o, "source", json_object_new_string(info->source))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct json_object *hypmem_json_hyp(struct hypmem_target *t)
{
	const struct hypmem_target_info *info = hypmem_target_info(t);
	struct json_object *o = json_object_new_object();

	if (!jadd(o, "hyp_physvirt_offset", jhex((uint64_t)info->hyp_physvirt_offset)) ||
	    !jadd(o, "kimage_voffset", jhex(info->kimage_voffset)) ||
	    !jadd(o, "kaslr_offset", jhex(info->kaslr_offset)) ||
	    !jadd(o, "io_map_base", jhex(info->io_map_base)) ||
	    !jadd(o, "pgd", jhex(info->hyp_pgd)) ||
	    !jadd(o, "va_bits", ju64(info->hyp_ia_bits)) ||
	    !jadd(o, "start_level", json_object_new_int(info->hyp_start_level))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct json_object *hypmem_json_pools(const struct hypmem_pool *pools, size_t nr)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; a && i < nr; i++) {
		const struct hypmem_pool *p = &pools[i];
		struct json_object *o = json_object_new_object();

		if (!jadd(o, "name", json_object_new_string(p->name)) ||
		    !jadd(o, "address", jhex(p->addr)) ||
		    !jadd(o, "range_start", jhex(p->range_start)) ||
		    !jadd(o, "range_end", jhex(p->range_end)) ||
		    !jadd(o, "max_order", ju64(p->max_order)) ||
		    !jadd(o, "nr_pages", ju64(p->nr_pages)) ||
		    !jadd(o, "free_pages", ju64(p->free_pages)) ||
		    !jadd(o, "free_pages_by_order", ju64_array(p->free_pages_by_order, p->nr_orders)) ||
		    !jadd(o, "free_blocks_by_order",
			  ju64_array(p->free_blocks_by_order, p->nr_orders)) ||
		    !jadd(o, "findings", ju64(p->findings)) || json_object_array_add(a, o)) {
			json_object_put(o);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

/* A state histogram keyed by the states' DWARF names. */
static struct json_object *jstates(const struct hypmem_histogram *h,
				   const struct hypmem_page_state_names *n)
{
	struct json_object *o = json_object_new_object();
	char buf[16];

	for (size_t i = 0; o && i < h->nr; i++)
		if (!jadd(o, hypmem_page_state_name(n, (unsigned int)h->keys[i], buf),
			  ju64(h->counts[i]))) {
			json_object_put(o);
			return NULL;
		}
	return o;
}

struct json_object *hypmem_json_vmemmap(const struct hypmem_vmemmap_summary *s)
{
	struct json_object *o = json_object_new_object();

	if (!jadd(o, "base", jhex(s->base)) || !jadd(o, "entry_size", ju64(s->entry_size)) ||
	    !jadd(o, "nr_entries", ju64(s->nr_entries)) ||
	    !jadd(o, "nr_unreadable", ju64(s->nr_unreadable)) ||
	    !jadd(o, "nr_unbacked", ju64(s->nr_unbacked)) ||
	    !jadd(o, "backing_bytes", ju64(s->backing_bytes)) ||
	    !jadd(o, "refcount_histogram", jhistogram(&s->refcount, false, 0)) ||
	    !jadd(o, "order_histogram", jhistogram(&s->order, true, s->no_order))) {
		json_object_put(o);
		return NULL;
	}
	if (s->host_state.nr && !jadd(o, "host_state_histogram", jhistogram(&s->host_state, false, 0)))
		return NULL;
	if (s->hyp_state.nr && !jadd(o, "hyp_state_histogram", jhistogram(&s->hyp_state, false, 0)))
		return NULL;
	if (s->host_state.nr && !jadd(o, "host_states", jstates(&s->host_state, &s->names)))
		return NULL;
	if (s->hyp_state.nr && !jadd(o, "hyp_states", jstates(&s->hyp_state, &s->names)))
		return NULL;
	return o;
}

struct json_object *hypmem_json_findings(const struct hypmem_findings *f)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; a && i < f->nr; i++) {
		struct json_object *o = json_object_new_object();

		if (!jadd(o, "kind", json_object_new_string(hypmem_finding_key(f->items[i].kind))) ||
		    !jadd(o, "address", jhex(f->items[i].address)) ||
		    !jadd(o, "message", json_object_new_string(f->items[i].message)) ||
		    json_object_array_add(a, o)) {
			json_object_put(o);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

struct json_object *hypmem_json_page(const struct hypmem_page *p)
{
	struct json_object *o = json_object_new_object();

	if (!jadd(o, "pfn", jhex(p->pfn)) || !jadd(o, "refcount", ju64(p->refcount)) ||
	    !jadd(o, "order", p->no_order ? json_object_new_string("none") : ju64(p->order))) {
		json_object_put(o);
		return NULL;
	}
	if (p->has_state && p->host_state_name &&
	    (!jadd(o, "host_state_name", json_object_new_string(p->host_state_name)) ||
	     !jadd(o, "hyp_state_name", json_object_new_string(p->hyp_state_name)))) {
		json_object_put(o);
		return NULL;
	}
	if (p->has_state && (!jadd(o, "host_state", ju64(p->host_state)) ||
			     !jadd(o, "hyp_state", ju64(p->hyp_state)) ||
			     !jadd(o, "host_share_guest_count", ju64(p->host_share_guest_count)))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct json_object *hypmem_json_report(struct hypmem_target *t, const struct hypmem_report *r)
{
	struct json_object *o = json_object_new_object();
	const struct hypmem_findings *f = hypmem_target_findings(t);

	if (!jadd(o, "schema", json_object_new_int(HYPMEM_JSON_SCHEMA)) ||
	    !jadd(o, "target", hypmem_json_target(t)) || !jadd(o, "hyp", hypmem_json_hyp(t)) ||
	    !jadd(o, "pools", hypmem_json_pools(r->pools, r->nr_pools)) ||
	    !jadd(o, "vmemmap", hypmem_json_vmemmap(&r->vmemmap)) ||
	    !jadd(o, "heap", hypmem_json_heaps(r->heaps, r->nr_heaps)) ||
	    (!r->nr_heaps && r->heap_note[0] &&
	     !jadd(o, "heap_note", json_object_new_string(r->heap_note))) ||
	    (r->stage2 && !jadd(o, "stage2", hypmem_json_stage2(r->stage2))) ||
	    (r->vms.found && !jadd(o, "vms", hypmem_json_vms(&r->vms))) ||
	    (r->vms.found && !jadd(o, "cross_checked_pages", ju64(r->nr_pages_cross_checked))) ||
	    !jadd(o, "findings", hypmem_json_findings(f)) ||
	    !jadd(o, "findings_total", ju64(f->total))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int hypmem_json_print(FILE *out, struct json_object *obj)
{
	const char *s;
	int ret = 0;

	if (!obj)
		return -1;
	s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
							JSON_C_TO_STRING_SPACED |
							JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s || fprintf(out, "%s\n", s) < 0)
		ret = -1;
	json_object_put(obj);
	return ret;
}

/* --- text --- */

void hypmem_text_pools(FILE *out, const struct hypmem_pool *pools, size_t nr)
{
	unsigned int max_orders = 0;
	uint64_t widest = 99;
	int w = 1;

	/* Order columns as wide as the largest count needs: 11 orders stay in 100 columns. */
	for (size_t i = 0; i < nr; i++) {
		if (pools[i].nr_orders > max_orders)
			max_orders = pools[i].nr_orders;
		for (unsigned int o = 0; o < pools[i].nr_orders; o++)
			if (pools[i].free_blocks_by_order[o] > widest)
				widest = pools[i].free_blocks_by_order[o];
	}
	for (; widest >= 10; widest /= 10)
		w++;
	fprintf(out, "%-16s %7s %7s %4s", "POOL", "PAGES", "FREE", "MAXO");
	for (unsigned int o = 0; o < max_orders; o++)
		fprintf(out, " %*u", w, o);
	fprintf(out, "\n");
	for (size_t i = 0; i < nr; i++) {
		const struct hypmem_pool *p = &pools[i];

		fprintf(out, "%-16s %7" PRIu64 " %7" PRIu64 " %4" PRIu64, p->name, p->nr_pages,
			p->free_pages, p->max_order);
		for (unsigned int o = 0; o < max_orders; o++) {
			if (o < p->nr_orders)
				fprintf(out, " %*" PRIu64, w, p->free_blocks_by_order[o]);
			else
				fprintf(out, " %*s", w, "-");
		}
		fprintf(out, "\n");
	}
	fprintf(out, "(columns 0..%u: free blocks per order, as in /proc/buddyinfo)\n",
		max_orders ? max_orders - 1 : 0);
}

void hypmem_text_findings(FILE *out, const struct hypmem_findings *f, size_t max)
{
	size_t n = f->nr < max ? f->nr : max;

	if (!f->total) {
		fprintf(out, "Findings: none\n");
		return;
	}
	fprintf(out, "Findings: %zu\n", f->total);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "  %-22s 0x%-16" PRIx64 " %s\n", hypmem_finding_key(f->items[i].kind),
			f->items[i].address, f->items[i].message);
	if (f->total > n)
		fprintf(out, "  ... %zu more (use hypmem-dump --json for all)\n", f->total - n);
}

void hypmem_text_summary(FILE *out, struct hypmem_target *t, const struct hypmem_report *r)
{
	const struct hypmem_target_info *info = hypmem_target_info(t);
	const struct hypmem_vmemmap_summary *v = &r->vmemmap;
	uint64_t ram = 0, pool_pages = 0, pool_free = 0;
	char b1[32], b2[32], b3[32];
	size_t shown = 0;
	int col;

	for (size_t i = 0; i < info->nr_ram; i++)
		ram += info->ram[i].end - info->ram[i].start;
	for (size_t i = 0; i < r->nr_pools; i++) {
		pool_pages += r->pools[i].nr_pages;
		pool_free += r->pools[i].free_pages;
	}
	human(b1, sizeof(b1), ram);
	fprintf(out, "Target: %s, page size %" PRIu64 ", RAM %s in %zu range(s), %s dump\n",
		info->release, info->page_size, b1, info->nr_ram, info->source);
	fprintf(out, "Hyp:    hyp_physvirt_offset 0x%" PRIx64 ", stage-1 %u-bit from level %d%s\n",
		(uint64_t)info->hyp_physvirt_offset, info->hyp_ia_bits, info->hyp_start_level,
		info->kaslr_offset ? ", KASLR on" : "");
	human(b1, sizeof(b1), pool_pages * info->page_size);
	human(b2, sizeof(b2), pool_free * info->page_size);
	fprintf(out, "Pools:  %zu, %s total, %s free\n", r->nr_pools, b1, b2);
	hypmem_text_pools(out, r->pools, r->nr_pools);
	human(b1, sizeof(b1), v->backing_bytes);
	human(b3, sizeof(b3), v->nr_entries * v->entry_size);
	fprintf(out,
		"Vmemmap: base 0x%" PRIx64 ", %" PRIu64 "-byte entries, %" PRIu64
		" entries (%s), backed %s, %.2f%% of RAM\n",
		v->base, v->entry_size, v->nr_entries, b3, b1,
		ram ? 100.0 * (double)v->backing_bytes / (double)ram : 0.0);
	/* Under 100 columns: refcounts up to 12 values, orders wrapped. */
	col = fprintf(out, "  refcount:");
	for (size_t i = 0; i < v->refcount.nr && i < 12; i++) {
		char item[48];

		snprintf(item, sizeof(item), " %" PRIu64 ":%" PRIu64, v->refcount.keys[i],
			 v->refcount.counts[i]);
		if (col + (int)strlen(item) > 80)
			break;
		col += fprintf(out, "%s", item);
		shown = i + 1;
	}
	if (v->refcount.nr > shown)
		fprintf(out, " ... (%zu values)", v->refcount.nr);
	col = fprintf(out, "\n  order:   ") - 1;
	for (size_t i = 0; i < v->order.nr; i++) {
		char item[48];

		if (v->order.keys[i] == v->no_order)
			snprintf(item, sizeof(item), " none:%" PRIu64, v->order.counts[i]);
		else
			snprintf(item, sizeof(item), " %" PRIu64 ":%" PRIu64, v->order.keys[i],
				 v->order.counts[i]);
		if (col + (int)strlen(item) > 99)
			col = fprintf(out, "\n           ") - 1;
		col += fprintf(out, "%s", item);
	}
	fprintf(out, "\n");
	for (int which = 0; which < 2; which++) {
		const struct hypmem_histogram *h = which ? &v->hyp_state : &v->host_state;
		char nb[16];

		if (!h->nr)
			continue;
		/* Wrapped under 100 columns, like the orders. */
		col = fprintf(out, "  %s", which ? "hyp states: " : "host states:");
		for (size_t i = 0; i < h->nr; i++) {
			char item[64];

			snprintf(item, sizeof(item), " %s:%" PRIu64,
				 hypmem_page_state_name(&v->names, (unsigned int)h->keys[i], nb),
				 h->counts[i]);
			if (col + (int)strlen(item) > 99)
				col = fprintf(out, "\n              ") - 1;
			col += fprintf(out, "%s", item);
		}
		fprintf(out, "\n");
	}
	if (v->nr_unbacked)
		fprintf(out, "  %" PRIu64 " entries of hyp_memory pages not backed (hyp VA not mapped)\n",
			v->nr_unbacked);
	if (v->nr_unreadable)
		fprintf(out, "  %" PRIu64 " entries unreadable (mapped but not in the dump)\n",
			v->nr_unreadable);
	hypmem_text_heap_summary(out, r->heaps, r->nr_heaps);
	if (!r->nr_heaps && r->heap_note[0])
		fprintf(out, "Heap:   %s\n", r->heap_note);
	if (r->stage2)
		hypmem_text_stage2_line(out, r->stage2);
	hypmem_text_vms(out, &r->vms);
	if (r->nr_pages_cross_checked)
		fprintf(out, "Cross-checked: host stage-2, vmemmap states and guest stage-2s, "
			     "page by page over %" PRIu64 " pages\n",
			r->nr_pages_cross_checked);
	hypmem_text_findings(out, hypmem_target_findings(t), 10);
}

void hypmem_text_page_header(FILE *out)
{
	fprintf(out, "%-14s %-18s %8s %6s %-15s %-15s %8s\n", "PFN", "PHYS", "REFCOUNT", "ORDER",
		"HOST", "HYP", "SHARES");
}

void hypmem_text_page(FILE *out, const struct hypmem_page *p)
{
	char order[16];

	if (p->no_order)
		snprintf(order, sizeof(order), "none");
	else
		snprintf(order, sizeof(order), "%" PRIu64, p->order);
	fprintf(out, "0x%-12" PRIx64 " 0x%-16" PRIx64 " %8" PRIu64 " %6s", p->pfn, p->phys,
		p->refcount, order);
	if (p->has_state && p->host_state_name)
		fprintf(out, " %-15s %-15s %8" PRIu64 "\n", p->host_state_name, p->hyp_state_name,
			p->host_share_guest_count);
	else if (p->has_state)
		fprintf(out, " %-15u %-15u %8" PRIu64 "\n", p->host_state, p->hyp_state,
			p->host_share_guest_count);
	else
		fprintf(out, " %-15s %-15s %8s\n", "-", "-", "-");
}

struct json_object *hypmem_json_envelope(struct hypmem_target *t)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "schema", json_object_new_int(HYPMEM_JSON_SCHEMA));
	if (t) {
		json_object_object_add(o, "target", hypmem_json_target(t));
		json_object_object_add(o, "hyp", hypmem_json_hyp(t));
	}
	return o;
}

struct json_object *hypmem_json_document(struct hypmem_target *t, const char *key,
					 struct json_object *section)
{
	struct json_object *o = hypmem_json_envelope(t);

	if (!o) {
		json_object_put(section);
		return NULL;
	}
	json_object_object_add(o, key, section);
	json_object_object_add(o, "findings", hypmem_json_findings(hypmem_target_findings(t)));
	return o;
}

void hypmem_text_pools_detail(FILE *out, const struct hypmem_pool *pools, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		const struct hypmem_pool *p = &pools[i];

		fprintf(out, "%s: struct hyp_pool at PA 0x%" PRIx64 "\n", p->name, p->addr);
		fprintf(out, "  range      [0x%" PRIx64 ", 0x%" PRIx64 ") %" PRIu64 " pages\n",
			p->range_start, p->range_end, p->nr_pages);
		fprintf(out, "  max_order  %" PRIu64 " (%u free lists in use of %u)\n",
			p->max_order, p->nr_orders, p->nr_areas);
		fprintf(out, "  free       %" PRIu64 " pages (%.1f%%)\n", p->free_pages,
			p->nr_pages ? 100.0 * (double)p->free_pages / (double)p->nr_pages : 0);
		fprintf(out, "  %5s %8s %8s\n", "ORDER", "BLOCKS", "PAGES");
		for (unsigned int o = 0; o < p->nr_orders; o++)
			fprintf(out, "  %5u %8" PRIu64 " %8" PRIu64 "\n", o,
				p->free_blocks_by_order[o], p->free_pages_by_order[o]);
		fprintf(out, "\n");
	}
}

void hypmem_error_fprint(FILE *file, const char *prog, const struct hypmem_error *err)
{
	if (prog)
		fprintf(file, "%s: ", prog);
	fprintf(file, "%s\n", err->message ? err->message : hypmem_error_name(err->code));
}
