// SPDX-License-Identifier: GPL-2.0-only
/*
 * The heap as JSON ("heap" in man 5 hypmem-json) and as text: a summary
 * line per heap for hypmem-stat, and for hypmem-dump heap a header and one
 * line per chunk, holes in place, in the style of slabtop and pahole.
 */
#include <inttypes.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "hypmem/heap.h"
#include "hypmem/render.h"
#include "render_priv.h"

static struct json_object *json_chunk(const struct hypmem_heap_chunk *c)
{
	struct json_object *o = json_object_new_object();

	if (!jadd(o, "address", jhex(c->addr)) || !jadd(o, "pa", jhex(c->pa)) ||
	    !jadd(o, "size", json_object_new_uint64(c->size)) ||
	    !jadd(o, "state", json_object_new_string(c->is_used ? "used" : "free")) ||
	    !jadd(o, "mapped", json_object_new_uint64(c->mapped)) ||
	    !jadd(o, "used", json_object_new_uint64(c->used)) ||
	    !jadd(o, "hash_ok", json_object_new_boolean(c->hash_ok))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *json_hole(const struct hypmem_heap_hole *hole)
{
	struct json_object *o = json_object_new_object();

	if (!jadd(o, "start", jhex(hole->start)) || !jadd(o, "end", jhex(hole->end)) ||
	    !jadd(o, "pages",
		  json_object_new_uint64(hole->pages))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static bool json_lists(struct json_object *o, const struct hypmem_heap *h)
{
	struct json_object *chunks = json_object_new_array(), *holes = json_object_new_array();
	bool ok = chunks && holes;

	for (size_t i = 0; ok && i < h->nr_chunks; i++) {
		struct json_object *c = json_chunk(&h->chunks[i]);

		ok = c && !json_object_array_add(chunks, c);
		if (!ok)
			json_object_put(c);
	}
	for (size_t i = 0; ok && i < h->nr_holes; i++) {
		struct json_object *x = json_hole(&h->holes[i]);

		ok = x && !json_object_array_add(holes, x);
		if (!ok)
			json_object_put(x);
	}
	if (!ok) {
		json_object_put(chunks);
		json_object_put(holes);
		return false;
	}
	return jadd(o, "chunks", chunks) && jadd(o, "holes", holes);
}

static struct json_object *json_heap(const struct hypmem_heap *h)
{
	struct json_object *o = json_object_new_object();

	if (!jadd(o, "name", json_object_new_string(h->name)) ||
	    !jadd(o, "address", jhex(h->addr)) || !jadd(o, "start", jhex(h->start)) ||
	    !jadd(o, "end", jhex(h->end)) || !jadd(o, "last_used", jhex(h->last_used)) ||
	    !jadd(o, "top", jhex(h->top)) ||
	    !jadd(o, "nr_chunks", json_object_new_uint64(h->nr_chunks)) ||
	    !jadd(o, "nr_used", json_object_new_uint64(h->nr_used)) ||
	    !jadd(o, "nr_free", json_object_new_uint64(h->nr_chunks - h->nr_used)) ||
	    !jadd(o, "used_bytes", json_object_new_uint64(h->used_bytes)) ||
	    !jadd(o, "free_bytes", json_object_new_uint64(h->free_bytes)) ||
	    !jadd(o, "largest_free", json_object_new_uint64(h->largest_free)) ||
	    !jadd(o, "fragmentation", json_object_new_double(hypmem_heap_fragmentation(h))) ||
	    !jadd(o, "mapped_pages", json_object_new_uint64(h->mapped_pages)) ||
	    !jadd(o, "memcache_pages", json_object_new_uint64(h->mc_pages)) ||
	    !jadd(o, "reclaimable_pages", json_object_new_uint64(h->reclaimable_pages)) ||
	    !jadd(o, "nr_holes", json_object_new_uint64(h->nr_holes)) ||
	    !jadd(o, "hole_pages", json_object_new_uint64(h->hole_pages)) ||
	    !jadd(o, "complete", json_object_new_boolean(h->complete)) ||
	    !jadd(o, "findings", json_object_new_uint64(h->findings)) ||
	    ((h->chunks || h->holes || (!h->nr_chunks && !h->nr_holes)) && !json_lists(o, h))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct json_object *hypmem_json_heaps(const struct hypmem_heap *heaps, size_t nr)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; a && i < nr; i++) {
		struct json_object *o = json_heap(&heaps[i]);

		if (!o || json_object_array_add(a, o)) {
			json_object_put(o);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

void hypmem_text_heap_summary(FILE *out, const struct hypmem_heap *heaps, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		const struct hypmem_heap *h = &heaps[i];
		char range[16], used[16], free[16];

		human(range, sizeof(range), h->end - h->start);
		human(used, sizeof(used), h->used_bytes);
		human(free, sizeof(free), h->free_bytes);
		fprintf(out,
			"Heap:   %s, %s of VA, %" PRIu64 " pages mapped, %zu chunks (%" PRIu64
			" used)\n",
			h->name, range, h->mapped_pages, h->nr_chunks, h->nr_used);
		fprintf(out, "        used %s, free %s, fragmentation %.2f, %zu holes (%" PRIu64
			" pages)\n",
			used, free, hypmem_heap_fragmentation(h), h->nr_holes, h->hole_pages);
		fprintf(out, "        reclaimable %" PRIu64 " pages (%" PRIu64 " in the memcache)%s\n",
			h->reclaimable_pages, h->mc_pages,
			h->complete ? "" : ", chunk walk incomplete");
	}
}

void hypmem_text_heap(FILE *out, const struct hypmem_heap *h)
{
	size_t hole = 0;
	char range[16];

	human(range, sizeof(range), h->end - h->start);
	fprintf(out, "%s: struct hyp_allocator at PA 0x%" PRIx64 "\n", h->name, h->addr);
	fprintf(out, "  range      [0x%" PRIx64 ", 0x%" PRIx64 ") %s, mapped up to 0x%" PRIx64 "\n",
		h->start, h->end, range, h->top);
	fprintf(out,
		"  chunks     %zu (%" PRIu64 " used, %" PRIu64 " free), used %" PRIu64
		" B, free %" PRIu64 " B, largest free %" PRIu64 " B, fragmentation %.2f\n",
		h->nr_chunks, h->nr_used, h->nr_chunks - h->nr_used, h->used_bytes, h->free_bytes,
		h->largest_free, hypmem_heap_fragmentation(h));
	fprintf(out,
		"  pages      %" PRIu64 " mapped, %zu holes (%" PRIu64 " pages), %" PRIu64
		" reclaimable, %" PRIu64 " in the memcache\n",
		h->mapped_pages, h->nr_holes, h->hole_pages, h->reclaimable_pages, h->mc_pages);
	if (!h->nr_chunks) {
		fprintf(out, "  (no chunks)\n");
		return;
	}
	fprintf(out, "\n  %-18s %-12s %10s %10s %10s %-5s %s\n", "ADDRESS", "PA", "SIZE", "MAPPED",
		"USED", "STATE", "");
	for (size_t i = 0; i < h->nr_chunks; i++) {
		const struct hypmem_heap_chunk *c = &h->chunks[i];

		fprintf(out,
			"  0x%-16" PRIx64 " 0x%-10" PRIx64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64
			" %-5s%s\n",
			c->addr, c->pa, c->size, c->mapped, c->used, c->is_used ? "used" : "free",
			c->hash_ok ? "" : " (bad hash)");
		uint64_t next = i + 1 < h->nr_chunks ? h->chunks[i + 1].addr : h->end;

		for (; hole < h->nr_holes && h->holes[hole].start < next; hole++)
			fprintf(out,
				"  %-18s -- hole 0x%" PRIx64 "-0x%" PRIx64 ", %" PRIu64
				" pages --\n",
				"", h->holes[hole].start, h->holes[hole].end,
				h->holes[hole].pages);
	}
	if (!h->complete)
		fprintf(out, "  (the chunk walk stopped early: see the findings)\n");
}
