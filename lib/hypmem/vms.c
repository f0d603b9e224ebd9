// SPDX-License-Identifier: GPL-2.0-only
/* Protected VMs' donated memory, from vm_table (see include/hypmem/vms.h). */
#include <stdlib.h>
#include <string.h>

#include "hypmem/dwarf.h"
#include "hypmem/error.h"
#include "hypmem/vms.h"

#define VM_MAX_SIZE  65536 /* a struct pkvm_hyp_vm larger than this is not the one we know */
#define VM_MAX_SLOTS 4096

void hypmem_vms_deinit(struct hypmem_vms *vms)
{
	for (size_t i = 0; i < vms->nr; i++)
		free(vms->vms[i].ranges);
	free(vms->vms);
	memset(vms, 0, sizeof(*vms));
}

struct vm_layout {
	struct hypmem_type vm, range;
	struct hypmem_field handle, nr_ranges, pfn, nr_pages;
	uint64_t ranges_off, max_ranges;
};

static struct hypmem_error *vm_layout(struct hypmem_target *t, struct vm_layout *l)
{
	struct hypmem_dwarf *dw = hypmem_target_dwarf(t);
	struct hypmem_member ranges;
	struct hypmem_error *err;

	if ((err = hypmem_dwarf_find_type(dw, "struct pkvm_hyp_vm", &l->vm)) ||
	    (err = hypmem_dwarf_find_type(dw, "struct pkvm_mem_range", &l->range)) ||
	    (err = hypmem_dwarf_member(dw, &l->vm, "ranges", &ranges)) ||
	    (err = hypmem_field_lookup(t, &l->vm, "handle", true, &l->handle)) ||
	    (err = hypmem_field_lookup(t, &l->vm, "nr_ranges", true, &l->nr_ranges)) ||
	    (err = hypmem_field_lookup(t, &l->range, "pfn", true, &l->pfn)) ||
	    (err = hypmem_field_lookup(t, &l->range, "nr_pages", true, &l->nr_pages))) {
		struct hypmem_error *e = hypmem_error_create(
		    HYPMEM_ERROR_LOOKUP, "no per-VM memory ranges in DWARF: %s", err->message);

		hypmem_error_destroy(err);
		return e;
	}
	l->ranges_off = ranges.offset;
	l->max_ranges = ranges.type.nr_elements;
	if (!l->vm.size || l->vm.size > VM_MAX_SIZE || !l->range.size ||
	    l->ranges_off + l->max_ranges * l->range.size > l->vm.size)
		return hypmem_error_create(HYPMEM_ERROR_LOOKUP,
					   "struct pkvm_hyp_vm: ranges[] does not fit the struct");
	return NULL;
}

struct hypmem_error *hypmem_vms_decode(struct hypmem_target *t, struct hypmem_vms *ret)
{
	struct hypmem_type table;
	struct hypmem_error *err;
	struct vm_layout l;
	uint64_t pa, slots;
	uint8_t *buf = NULL;

	memset(ret, 0, sizeof(*ret));
	err = vm_layout(t, &l);
	if (err)
		return err;
	err = hypmem_target_symbol_pa(t, "vm_table", &pa, &table);
	if (err)
		return err;
	slots = table.kind == HYPMEM_TYPE_ARRAY ? table.nr_elements : 0;
	if (!slots || slots > VM_MAX_SLOTS)
		return hypmem_error_create(HYPMEM_ERROR_LOOKUP, "vm_table is not an array of VMs");
	ret->vms = calloc(slots, sizeof(*ret->vms));
	buf = malloc(l.vm.size);
	if (!ret->vms || !buf) {
		free(buf);
		return &hypmem_enomem;
	}
	for (uint64_t i = 0; i < slots; i++) {
		struct hypmem_vm *vm = &ret->vms[ret->nr];
		uint64_t handle = 0, nr = 0;

		err = hypmem_target_read(t, buf, pa + i * l.vm.size, l.vm.size);
		if (err)
			break;
		hypmem_field_get(&l.handle, buf, l.vm.size, &handle);
		hypmem_field_get(&l.nr_ranges, buf, l.vm.size, &nr);
		if (!handle)
			continue;
		/* Untrusted: a count beyond the array is cut to it. */
		if (nr > l.max_ranges)
			nr = l.max_ranges;
		vm->handle = handle;
		vm->ranges = calloc(nr ? nr : 1, sizeof(*vm->ranges));
		if (!vm->ranges) {
			err = &hypmem_enomem;
			break;
		}
		ret->nr++;
		for (uint64_t k = 0; k < nr; k++) {
			const uint8_t *r = buf + l.ranges_off + k * l.range.size;
			uint64_t pfn = 0, pages = 0;

			hypmem_field_get(&l.pfn, r, l.range.size, &pfn);
			hypmem_field_get(&l.nr_pages, r, l.range.size, &pages);
			if (!pages || pfn > (UINT64_MAX >> 12) - pages)
				continue;
			vm->ranges[vm->nr_ranges++] =
			    (struct hypmem_vm_range){ .start = pfn << 12, .end = (pfn + pages) << 12 };
		}
	}
	free(buf);
	return err;
}
