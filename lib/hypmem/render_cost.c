// SPDX-License-Identifier: GPL-2.0-only
/*
 * The metadata cost (cost.c) as text and as JSON.
 */
#include <inttypes.h>

#include <json-c/json.h>

#include "hypmem/render.h"

#define GIB (1ULL << 30)

static const char *human(uint64_t v, char *buf, size_t len)
{
	if (v >= (1ULL << 20))
		snprintf(buf, len, "%.2f MiB", (double)v / (1 << 20));
	else if (v >= 1024)
		snprintf(buf, len, "%.1f KiB", (double)v / 1024);
	else
		snprintf(buf, len, "%" PRIu64 " B", v);
	return buf;
}

void hypmem_text_cost(FILE *out, const struct hypmem_cost *c)
{
	char a[32], b[32];

	fprintf(out,
		"Metadata cost: %s of RAM tracked, %" PRIu64 "-byte pages, %" PRIu64
		"-byte struct hyp_page\n",
		human(c->ram_bytes, a, sizeof(a)), c->page_size, c->entry_size);
	fprintf(out, "  %-14s %10s %14s %14s\n", "WHAT", "COUNT", "BYTES", "PER GiB");
	for (int i = 0; i < HYPMEM_COST_NR; i++)
		fprintf(out, "  %-14s %10" PRIu64 " %14" PRIu64 " %14s\n", c->items[i].name,
			c->items[i].count, c->items[i].bytes,
			human(hypmem_cost_per_gib(c, c->items[i].bytes), b, sizeof(b)));
	fprintf(out, "  %-14s %10s %14" PRIu64 " %14s\n", "total", "", c->total,
		human(hypmem_cost_per_gib(c, c->total), b, sizeof(b)));
	fprintf(out, "  vmemmap per GiB with each struct hyp_page layout:");
	for (int i = 0; i < 3; i++)
		fprintf(out, " %" PRIu64 " B: %s%s", c->layout_sizes[i],
			human(c->layout_per_gib[i], a, sizeof(a)),
			c->layout_sizes[i] == c->entry_size ? " (this kernel)" : "");
	fprintf(out, "\n");
	if (!c->nr_derivable)
		fprintf(out, "  no stored struct hyp_page field that hypmem knows how to derive\n");
	for (size_t i = 0; i < c->nr_derivable; i++)
		fprintf(out, "  derivable: %s (%" PRIu64 " bits, %s per GiB): %s\n",
			c->derivable[i].field, c->derivable[i].bits,
			human(c->page_size ? GIB / c->page_size * c->derivable[i].bits / 8 : 0, a,
			      sizeof(a)),
			c->derivable[i].how);
}

struct json_object *hypmem_json_cost(const struct hypmem_cost *c)
{
	struct json_object *o = json_object_new_object(), *items, *layouts, *der;

	if (!o)
		return NULL;
	items = json_object_new_object();
	layouts = json_object_new_array();
	der = json_object_new_array();
	json_object_object_add(o, "ram_bytes", json_object_new_uint64(c->ram_bytes));
	json_object_object_add(o, "page_size", json_object_new_uint64(c->page_size));
	json_object_object_add(o, "entry_size", json_object_new_uint64(c->entry_size));
	for (int i = 0; items && i < HYPMEM_COST_NR; i++) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "count", json_object_new_uint64(c->items[i].count));
		json_object_object_add(e, "bytes", json_object_new_uint64(c->items[i].bytes));
		json_object_object_add(
		    e, "per_gib",
		    json_object_new_uint64(hypmem_cost_per_gib(c, c->items[i].bytes)));
		json_object_object_add(items, c->items[i].name, e);
	}
	json_object_object_add(o, "items", items);
	json_object_object_add(o, "total_bytes", json_object_new_uint64(c->total));
	json_object_object_add(o, "total_per_gib",
			       json_object_new_uint64(hypmem_cost_per_gib(c, c->total)));
	for (int i = 0; layouts && i < 3; i++) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "entry_size", json_object_new_uint64(c->layout_sizes[i]));
		json_object_object_add(e, "vmemmap_per_gib",
				       json_object_new_uint64(c->layout_per_gib[i]));
		json_object_array_add(layouts, e);
	}
	json_object_object_add(o, "layouts", layouts);
	for (size_t i = 0; der && i < c->nr_derivable; i++) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "field", json_object_new_string(c->derivable[i].field));
		json_object_object_add(e, "bits", json_object_new_uint64(c->derivable[i].bits));
		json_object_object_add(e, "how", json_object_new_string(c->derivable[i].how));
		json_object_array_add(der, e);
	}
	json_object_object_add(o, "derivable", der);
	return o;
}
