// SPDX-License-Identifier: GPL-2.0-only
/* The memory each VM holds, for the memory map (see include/hypmem/vm_ranges.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypmem/dwarf.h"
#include "hypmem/error.h"
#include "hypmem/vm_ranges.h"
#include "hypmem/vms.h"

#define VM_MAX_SIZE  65536 /* a struct pkvm_hyp_vm larger than this is not the one we know */
#define VM_MAX_SLOTS 4096

void hypmem_vm_mems_deinit(struct hypmem_vm_mems *m)
{
	for (size_t i = 0; i < m->nr; i++)
		free(m->vms[i].ranges);
	free(m->vms);
	memset(m, 0, sizeof(*m));
}

static int range_cmp(const void *a, const void *b)
{
	const struct hypmem_vm_mem_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Sort and merge touching or overlapping ranges. */
static void normalise(struct hypmem_vm_mem *vm)
{
	size_t n = 0;

	if (!vm->nr_ranges)
		return;
	qsort(vm->ranges, vm->nr_ranges, sizeof(*vm->ranges), range_cmp);
	for (size_t i = 1; i < vm->nr_ranges; i++) {
		struct hypmem_vm_mem_range *last = &vm->ranges[n];

		if (vm->ranges[i].start <= last->end) {
			if (vm->ranges[i].end > last->end)
				last->end = vm->ranges[i].end;
		} else {
			vm->ranges[++n] = vm->ranges[i];
		}
	}
	vm->nr_ranges = n + 1;
}

/* --- struct pkvm_hyp_vm's ranges[] --- */

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
		struct hypmem_error *e;

		if (err->code == HYPMEM_ERROR_NO_MEMORY)
			return err;
		e = hypmem_error_create(HYPMEM_ERROR_LOOKUP, "no per-VM memory ranges in DWARF: %s",
					err->message);
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

struct hypmem_error *hypmem_vm_mems_decode(struct hypmem_target *t, struct hypmem_vm_mems *ret)
{
	unsigned int shift = hypmem_target_info(t)->page_shift;
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
		struct hypmem_vm_mem *vm = &ret->vms[ret->nr];
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
			if (!pages || pages > (UINT64_MAX >> shift) || pfn > (UINT64_MAX >> shift) - pages)
				continue;
			vm->ranges[vm->nr_ranges++] = (struct hypmem_vm_mem_range){
				.start = pfn << shift, .end = (pfn + pages) << shift
			};
		}
		normalise(vm);
	}
	free(buf);
	return err;
}

/* --- guest stage-2s --- */

static struct hypmem_error *from_stage2(const struct hypmem_vm *v, struct hypmem_vm_mem *vm)
{
	const struct hypmem_stage2 *s = &v->s2;

	vm->handle = v->handle;
	vm->from_stage2 = true;
	vm->ranges = calloc(s->nr_runs ? s->nr_runs : 1, sizeof(*vm->ranges));
	if (!vm->ranges)
		return &hypmem_enomem;
	for (size_t k = 0; k < s->nr_runs; k++) {
		const struct hypmem_s2_run *r = &s->runs[k];

		if (!r->valid || r->end <= r->start || r->phys > UINT64_MAX - (r->end - r->start))
			continue;
		vm->ranges[vm->nr_ranges++] = (struct hypmem_vm_mem_range){
			.start = r->phys, .end = r->phys + (r->end - r->start)
		};
	}
	normalise(vm);
	return NULL;
}

struct hypmem_error *hypmem_vm_mems_from_vms(const struct hypmem_vms *vms,
					     struct hypmem_vm_mems *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (!vms->nr)
		return NULL;
	ret->vms = calloc(vms->nr, sizeof(*ret->vms));
	if (!ret->vms)
		return &hypmem_enomem;
	for (size_t i = 0; i < vms->nr; i++) {
		if (!vms->vms[i].s2.found)
			continue;
		/* Counted first: deinit frees what is there. */
		ret->nr++;
		if (from_stage2(&vms->vms[i], &ret->vms[ret->nr - 1]))
			return &hypmem_enomem;
	}
	return NULL;
}

struct hypmem_error *hypmem_vm_mems_collect(struct hypmem_target *t, struct hypmem_vm_mems *ret)
{
	struct hypmem_vm_mems ranges = { 0 };
	struct hypmem_vms vms;
	struct hypmem_error *err;
	size_t with_s2;

	memset(ret, 0, sizeof(*ret));
	err = hypmem_vms_decode(t, &vms);
	if (!err)
		err = hypmem_vm_mems_from_vms(&vms, ret);
	hypmem_vms_deinit(&vms);
	if (err)
		return err;
	/* VMs without a guest stage-2: their ranges[], when the kernel keeps them. */
	err = hypmem_vm_mems_decode(t, &ranges);
	if (err && err->code != HYPMEM_ERROR_NO_MEMORY) {
		hypmem_error_destroy(err);
		err = NULL;
	}
	with_s2 = ret->nr;
	for (size_t i = 0; !err && i < ranges.nr; i++) {
		struct hypmem_vm_mem *grown;
		bool known = false;

		for (size_t j = 0; j < with_s2 && !known; j++)
			known = ret->vms[j].handle == ranges.vms[i].handle;
		if (known)
			continue;
		grown = realloc(ret->vms, (ret->nr + 1) * sizeof(*ret->vms));
		if (!grown) {
			err = &hypmem_enomem;
			break;
		}
		ret->vms = grown;
		ret->vms[ret->nr++] = ranges.vms[i];
		ranges.vms[i].ranges = NULL; /* moved */
	}
	hypmem_vm_mems_deinit(&ranges);
	return err;
}

/* Read a u64 hyp variable; false when the kernel has none or it cannot be read. */
static bool read_u64_var(struct hypmem_target *t, const char *name, uint64_t *ret)
{
	struct hypmem_error *err;
	uint64_t pa;

	err = hypmem_target_symbol_pa(t, name, &pa, NULL);
	if (!err)
		err = hypmem_target_read(t, ret, pa, sizeof(*ret));
	hypmem_error_destroy(err);
	return !err;
}

/* See the header: carve-out, then each pool's range, read from the struct alone. */
size_t hypmem_map_marks(struct hypmem_target *t, struct hypmem_svg_mark *marks, size_t max)
{
	struct hypmem_dwarf *dw = hypmem_target_dwarf(t);
	struct hypmem_field lo, hi;
	struct hypmem_type pool;
	uint64_t base, size;
	char **names = NULL;
	size_t n = 0, nr_names = 0;
	struct hypmem_error *err;

	if (read_u64_var(t, "hyp_mem_base", &base) && read_u64_var(t, "hyp_mem_size", &size) &&
	    size && base + size > base) {
		snprintf(marks[n].label, sizeof(marks[n].label), "hyp carve-out");
		marks[n].start = base;
		marks[n++].end = base + size;
	}
	err = hypmem_dwarf_find_type(dw, "struct hyp_pool", &pool);
	if (!err && !(err = hypmem_field_lookup(t, &pool, "range_start", true, &lo)) &&
	    !(err = hypmem_field_lookup(t, &pool, "range_end", true, &hi)))
		err = hypmem_dwarf_variables_of_type(dw, "struct hyp_pool", &names, &nr_names);
	hypmem_error_destroy(err);
	for (size_t i = 0; i < nr_names; i++) {
		uint8_t buf[512];
		uint64_t pa, start = 0, end = 0;

		if (n < max && pool.size <= sizeof(buf) &&
		    !(err = hypmem_target_symbol_pa(t, names[i], &pa, NULL)) &&
		    !(err = hypmem_target_read(t, buf, pa, pool.size)) &&
		    hypmem_field_get(&lo, buf, pool.size, &start) &&
		    hypmem_field_get(&hi, buf, pool.size, &end) && start < end) {
			snprintf(marks[n].label, sizeof(marks[n].label), "pool %s", names[i]);
			marks[n].start = start;
			marks[n++].end = end;
		}
		hypmem_error_destroy(err);
		err = NULL;
		free(names[i]);
	}
	free(names);
	return n;
}
