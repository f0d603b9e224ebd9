/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Protected VMs as the memory map shows them: for each live slot of the
 * hypervisor's vm_table, its handle and the physical ranges of guest memory
 * the host donated to it (struct pkvm_hyp_vm's ranges[], as the EL2 core
 * keeps them).  Everything is learnt from DWARF; a kernel whose VMs do not
 * record their ranges that way gets HYPMEM_ERROR_LOOKUP, and the map then
 * colours all guest memory alike.  Knows nothing of drawing (stage2_report.c).
 */
#ifndef HYPMEM_VMS_H
#define HYPMEM_VMS_H

#include <stddef.h>
#include <stdint.h>

#include "hypmem/target.h"

struct hypmem_vm_range {
	uint64_t start, end; /* physical, end exclusive */
};

struct hypmem_vm {
	uint64_t handle;
	size_t nr_ranges;
	struct hypmem_vm_range *ranges; /* owned */
};

struct hypmem_vms {
	size_t nr;
	struct hypmem_vm *vms; /* owned */
};

/**
 * hypmem_vms_decode() - Read vm_table.
 * @t: the target.
 * @ret: filled; release with hypmem_vms_deinit() (also after an error).
 *
 * Return: NULL; HYPMEM_ERROR_LOOKUP when DWARF has no such table; an error
 * reading it.
 */
struct hypmem_error *hypmem_vms_decode(struct hypmem_target *t, struct hypmem_vms *ret);
void hypmem_vms_deinit(struct hypmem_vms *vms);

#endif /* HYPMEM_VMS_H */
