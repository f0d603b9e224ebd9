/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The physical memory each VM of vm_table holds, as the memory map colours
 * it (render_stage2.c).  Two sources:
 *  - a VM's guest stage-2 (vms.h): the output ranges of its valid leaves,
 *    which is what a real 7.x kernel records;
 *  - struct pkvm_hyp_vm's donated ranges[] (pfn, nr_pages), which VMs
 *    without a guest stage-2 keep (the EL2 core's layout-8 VMs), learnt
 *    from DWARF; a kernel without them gets HYPMEM_ERROR_LOOKUP.
 * hypmem_vm_mems_collect() takes a VM's guest stage-2 when it has one and
 * its ranges[] otherwise.  Page size from the target, never assumed.
 */
#ifndef HYPMEM_VM_RANGES_H
#define HYPMEM_VM_RANGES_H

#include <stddef.h>
#include <stdint.h>

#include "hypmem/target.h"

struct hypmem_vms;

/* A range outlined on the map and named in its legend (carve-out, pools). */
struct hypmem_svg_mark {
	char label[48];
	uint64_t start, end; /* physical, end exclusive */
};

/**
 * hypmem_map_marks() - The ranges the memory map outlines: the hyp
 * carve-out (hyp_mem_base/size), then each struct hyp_pool variable's
 * range, read from the struct alone (no free-list walk, so no pool
 * findings in a stage-2 listing).  What cannot be read is left out.
 * @marks: filled, at most @max.
 *
 * Return: how many were filled.
 */
size_t hypmem_map_marks(struct hypmem_target *t, struct hypmem_svg_mark *marks, size_t max);

struct hypmem_vm_mem_range {
	uint64_t start, end; /* physical, end exclusive */
};

struct hypmem_vm_mem {
	uint64_t handle;
	bool from_stage2; /* the guest stage-2's leaves; else ranges[] */
	size_t nr_ranges; /* sorted by start, not overlapping */
	struct hypmem_vm_mem_range *ranges; /* owned */
};

struct hypmem_vm_mems {
	size_t nr;
	struct hypmem_vm_mem *vms; /* owned */
};

/**
 * hypmem_vm_mems_decode() - Read each live VM's ranges[] from vm_table.
 * @t: the target.
 * @ret: filled; release with hypmem_vm_mems_deinit() (also after an error).
 *
 * Return: NULL; HYPMEM_ERROR_LOOKUP when DWARF has no such ranges; an error
 * reading them.
 */
struct hypmem_error *hypmem_vm_mems_decode(struct hypmem_target *t, struct hypmem_vm_mems *ret);

/**
 * hypmem_vm_mems_from_vms() - The memory of every VM of @vms whose guest
 * stage-2 was found (decoded with its runs): its valid leaves' output ranges.
 * @vms: from hypmem_vms_decode().
 * @ret: filled; release with hypmem_vm_mems_deinit() (also after an error).
 *
 * Return: NULL or &hypmem_enomem.
 */
struct hypmem_error *hypmem_vm_mems_from_vms(const struct hypmem_vms *vms,
					     struct hypmem_vm_mems *ret);

/**
 * hypmem_vm_mems_collect() - Each VM's memory: from its guest stage-2 when
 * vm_table's VMs have one, else from its ranges[] (VMs without either are
 * left out).
 * @t: the target; a corrupt guest stage-2 is a finding on it.
 * @ret: filled; release with hypmem_vm_mems_deinit() (also after an error).
 *
 * Return: NULL (also when neither source exists: @ret is then empty), or an
 * error that stopped decoding (out of memory).
 */
struct hypmem_error *hypmem_vm_mems_collect(struct hypmem_target *t, struct hypmem_vm_mems *ret);

void hypmem_vm_mems_deinit(struct hypmem_vm_mems *m);

#endif /* HYPMEM_VM_RANGES_H */
