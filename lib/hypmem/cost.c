// SPDX-License-Identifier: GPL-2.0-only
/* What pKVM's metadata costs here (cost.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hypmem/cost.h"

#define GIB (1ULL << 30)

/* struct hyp_page members that could be derived, and from what. */
static const struct {
	const char *field;
	const char *how;
} derivable_rules[] = {
    {"node", "the free-list node can live in the free page itself (the v5.14 shrink)"},
    {"pool", "the pool follows from the page's address: pool ranges do not overlap"},
    {"__host_state", "the host stage-2 entry of the page (leaf software bits, owner "
		     "annotations), where kernels before v6.15 keep it"},
    {"__hyp_state_comp", "the hyp stage-1 entry of the page"},
    {"host_share_guest_count", "the guest stage-2 leaves mapping the page (a walk of "
			       "the VMs' tables)"},
};

uint64_t hypmem_cost_per_gib(const struct hypmem_cost *c, uint64_t bytes)
{
	if (!c->ram_bytes)
		return 0;
	/* bytes * 2^30 / ram without overflow for any realistic size. */
	return (uint64_t)((unsigned __int128)bytes * GIB / c->ram_bytes);
}

static uint64_t type_size(struct hypmem_target *t, const char *name)
{
	struct hypmem_type type;
	struct hypmem_error *err = hypmem_dwarf_find_type(hypmem_target_dwarf(t), name, &type);

	if (err) {
		hypmem_error_destroy(err);
		return 0;
	}
	return type.size;
}

static void find_derivable(struct hypmem_target *t, struct hypmem_cost *c)
{
	struct hypmem_dwarf *dw = hypmem_target_dwarf(t);
	const struct hypmem_member *m;
	struct hypmem_type type;
	struct hypmem_error *err;
	size_t nr;

	err = hypmem_dwarf_find_type(dw, "struct hyp_page", &type);
	if (!err)
		err = hypmem_dwarf_members(dw, &type, &m, &nr);
	if (err) {
		hypmem_error_destroy(err);
		return;
	}
	for (size_t i = 0; i < nr; i++) {
		for (size_t k = 0; k < sizeof(derivable_rules) / sizeof(derivable_rules[0]); k++) {
			struct hypmem_cost_derivable *d;

			if (!m[i].name || strcmp(m[i].name, derivable_rules[k].field) ||
			    c->nr_derivable == HYPMEM_COST_MAX_DERIVABLE)
				continue;
			d = &c->derivable[c->nr_derivable++];
			snprintf(d->field, sizeof(d->field), "%s", m[i].name);
			d->bits = m[i].bit_size ? m[i].bit_size : 8 * m[i].type.size;
			d->how = derivable_rules[k].how;
		}
	}
}

struct hypmem_error *hypmem_cost_compute(struct hypmem_target *t, const struct hypmem_report *r,
					 struct hypmem_cost *c)
{
	const struct hypmem_target_info *info = hypmem_target_info(t);
	struct hypmem_stage2 s1 = {0};
	struct hypmem_error *err;
	uint64_t hdr = type_size(t, "struct chunk_hdr");
	static const uint64_t sizes[3] = {32, 8, 4};

	memset(c, 0, sizeof(*c));
	c->page_size = info->page_size;
	c->entry_size = r->vmemmap.entry_size;
	for (size_t i = 0; i < info->nr_ram; i++)
		c->ram_bytes += info->ram[i].end - info->ram[i].start;

	c->items[HYPMEM_COST_VMEMMAP] = (struct hypmem_cost_item){
	    "vmemmap", r->vmemmap.nr_entries * r->vmemmap.entry_size, r->vmemmap.nr_entries};
	c->items[HYPMEM_COST_POOLS] = (struct hypmem_cost_item){
	    "pools", r->nr_pools * type_size(t, "struct hyp_pool"), r->nr_pools};
	err = hypmem_stage2_decode(t, HYPMEM_S2_HYP_STAGE1, &s1);
	if (err && (hypmem_error_catch(&err, HYPMEM_ERROR_LOOKUP) ||
		    hypmem_error_catch(&err, HYPMEM_ERROR_FORMAT)))
		err = NULL;
	if (err) {
		hypmem_stage2_deinit(&s1);
		return err;
	}
	c->items[HYPMEM_COST_HYP_STAGE1] =
	    (struct hypmem_cost_item){"hyp_stage1", s1.tables * c->page_size, s1.tables};
	hypmem_stage2_deinit(&s1);
	if (r->stage2 && r->stage2->found)
		c->items[HYPMEM_COST_HOST_STAGE2] = (struct hypmem_cost_item){
		    "host_stage2", r->stage2->tables * c->page_size, r->stage2->tables};
	else
		c->items[HYPMEM_COST_HOST_STAGE2].name = "host_stage2";
	c->items[HYPMEM_COST_GUEST_STAGE2].name = "guest_stage2";
	for (size_t i = 0; i < r->vms.nr; i++) {
		c->items[HYPMEM_COST_GUEST_STAGE2].count += r->vms.vms[i].s2.tables;
		c->items[HYPMEM_COST_GUEST_STAGE2].bytes += r->vms.vms[i].s2.tables * c->page_size;
	}
	c->items[HYPMEM_COST_HEAP].name = "heap_headers";
	for (size_t i = 0; i < r->nr_heaps; i++) {
		c->items[HYPMEM_COST_HEAP].count += r->heaps[i].nr_chunks;
		c->items[HYPMEM_COST_HEAP].bytes += r->heaps[i].nr_chunks * hdr;
	}
	for (int i = 0; i < HYPMEM_COST_NR; i++)
		c->total += c->items[i].bytes;
	for (int i = 0; i < 3; i++) {
		c->layout_sizes[i] = sizes[i];
		c->layout_per_gib[i] = c->page_size ? GIB / c->page_size * sizes[i] : 0;
	}
	find_derivable(t, c);
	return NULL;
}
