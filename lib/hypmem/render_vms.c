// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VMs of vm_table (vms.c) as JSON ("vms") and as text, one line each.
 */
#include <inttypes.h>

#include <json-c/json.h>

#include "hypmem/render.h"
#include "render_priv.h"

/* --- output --- */

struct json_object *hypmem_json_vms(const struct hypmem_vms *v)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; a && i < v->nr; i++) {
		const struct hypmem_vm *vm = &v->vms[i];
		const struct hypmem_stage2 *s = &vm->s2;
		struct json_object *o = json_object_new_object();
		uint64_t mapped = 0, pages = 0;
		bool ok;

		for (int l = 0; l < HYPMEM_PGTABLE_LEVELS; l++) {
			mapped += s->mapped_by_level[l].bytes;
			pages += s->mapped_by_level[l].bytes >> (s->geom.page_shift ? s->geom.page_shift : 12);
		}
		ok = jadd(o, "slot", json_object_new_uint64(vm->slot)) &&
		     jadd(o, "handle", jhex(vm->handle)) && jadd(o, "address", jhex(vm->va)) &&
		     jadd(o, "nr_vcpus", json_object_new_uint64(vm->nr_vcpus)) &&
		     jadd(o, "pool_start", jhex(vm->pool.start)) &&
		     jadd(o, "pool_end", jhex(vm->pool.end)) &&
		     jadd(o, "mapped_bytes", json_object_new_uint64(mapped)) &&
		     jadd(o, "mapped_pages", json_object_new_uint64(pages)) &&
		     jadd(o, "stage2", hypmem_json_stage2(s));
		if (!ok || json_object_array_add(a, o)) {
			json_object_put(o);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

void hypmem_text_vms(FILE *out, const struct hypmem_vms *v)
{
	char b[32], head[96], tail[160];
	int head_len;

	if (!v->found)
		return;
	fprintf(out, "VMs:    %zu in vm_table", v->nr);
	if (v->nr_reserved)
		fprintf(out, " (%" PRIu64 " slot(s) reserved)", v->nr_reserved);
	fprintf(out, "\n");
	for (size_t i = 0; i < v->nr; i++) {
		const struct hypmem_vm *vm = &v->vms[i];
		const struct hypmem_stage2 *s = &vm->s2;
		uint64_t mapped = 0, n = 0;

		for (int l = 0; l < HYPMEM_PGTABLE_LEVELS; l++) {
			mapped += s->mapped_by_level[l].bytes;
			n += s->mapped_by_level[l].count;
		}
		human(b, sizeof(b), mapped);
		head_len = snprintf(head, sizeof(head), "  vm_table[%u] handle 0x%" PRIx64
				    ", %" PRIu64 " vCPU(s),", vm->slot, vm->handle, vm->nr_vcpus);
		if (s->found)
			snprintf(tail, sizeof(tail), "guest stage-2 %u-bit from level %d: %" PRIu64
				 " leaf(s) map %s, %" PRIu64 " table(s)",
				 s->geom.ia_bits, s->geom.start_level, n, b, s->tables);
		else
			snprintf(tail, sizeof(tail), "%s", s->missing);
		/* Under 100 columns: the stage-2 on a line of its own when it does not fit. */
		fprintf(out, "%s%s%s\n", head,
			head_len + 1 + strlen(tail) > 99 ? "\n    " : " ", tail);
	}
}
