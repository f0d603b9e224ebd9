/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The hypervisor's VMs (vm_table, v6.12 onwards): each slot's struct
 * pkvm_hyp_vm, its handle, vCPU count (kvm.created_vcpus), pool, and its
 * guest stage-2 walked with the stage-2 decoder (owner guest, page states
 * from the leaves' software bits, 7.x invalid-entry types).
 *
 * And the invariants that tie the host stage-2, the vmemmap and the guest
 * stage-2s together in the 7.x era, where each fact is recorded twice:
 * findings (findings.h, "cross_state") with the address of the page.
 */
#ifndef HYPMEM_VMS_H
#define HYPMEM_VMS_H

#include <stdio.h>

#include "hypmem/stage2.h"

/*
 * vm_table: the slots read (the kernel allots at most KVM_MAX_PVMS, fewer
 * than this), and the value of a slot reserved while its VM is created
 * (RESERVED_ENTRY in pkvm.c, which DWARF does not carry).
 */
#define HYPMEM_VM_TABLE_SLOTS	 512
#define HYPMEM_VM_TABLE_RESERVED 0xa110ca7edULL

struct hypmem_vm {
	unsigned int slot;  /* index in vm_table */
	uint64_t handle;    /* kvm.arch.pkvm.handle */
	uint64_t va;	    /* hyp VA of the struct pkvm_hyp_vm */
	uint64_t nr_vcpus;  /* kvm.created_vcpus */
	struct hypmem_ram_range pool;
	struct hypmem_stage2 s2; /* the guest stage-2; runs kept */
};

struct hypmem_vms {
	bool found;	      /* false: no vm_table in DWARF, or it is empty */
	struct hypmem_vm *vms; /* owned */
	size_t nr;
	uint64_t nr_reserved; /* slots reserved for a VM being created */
};

/**
 * hypmem_vms_decode() - Find every VM of vm_table and walk its guest stage-2.
 * @t: the target; corrupt VMs and tables are findings on it.
 * @ret: filled; release with hypmem_vms_deinit().
 *
 * Return: NULL, or an error that stopped decoding (out of memory).
 */
struct hypmem_error *hypmem_vms_decode(struct hypmem_target *t, struct hypmem_vms *ret);
void hypmem_vms_deinit(struct hypmem_vms *v);

/**
 * hypmem_vms_check() - Cross-structure invariants of the 7.x era, as findings:
 * a host stage-2 donation to the hyp has host state NOPAGE in the vmemmap
 * (and the hyp's own state OWNED); a page the hyp owns is host NOPAGE;
 * a host NOPAGE page the host stage-2
 * still maps is read-only (the hyp text); host SHARED_OWNED pages are the
 * hyp's SHARED_BORROWED ones or ones shared with guests, and the reverse;
 * host_share_guest_count equals the guest stage-2 SHARED_BORROWED mappings
 * of the page; a donation to a guest names a VM vm_table holds, is host
 * NOPAGE, and is the page that VM's stage-2 owns at the recorded gfn (and
 * every page a guest owns was so donated); each VM's pool lies in memory
 * donated to the hyp.  Does nothing when the
 * vmemmap has no page states.
 * @t: target.
 * @host: the host stage-2, decoded with HYPMEM_S2_KEEP_RUNS.
 * @vms: the VMs.
 * @nr_checked: pages checked (may be NULL).
 *
 * Return: NULL, or an error that stopped checking.
 */
struct hypmem_error *hypmem_vms_check(struct hypmem_target *t, const struct hypmem_stage2 *host,
				      const struct hypmem_vms *vms, uint64_t *nr_checked);

/* vm_table as read: where the variable is, the table it points to, its slots. */
struct hypmem_vm_table {
	uint64_t var_pa; /* PA of the vm_table variable */
	uint64_t table;	 /* its value: hyp VA of the slot page; 0 when none */
	size_t nr;	 /* slots read: HYPMEM_VM_TABLE_SLOTS, or 0 */
	uint64_t slots[HYPMEM_VM_TABLE_SLOTS];
};

/**
 * hypmem_vm_table_read() - Internal to the library (buddy.c's per-VM pools,
 * vms.c): read vm_table when the kernel has one typed as a pointer to
 * pointers (@typed: to struct pkvm_hyp_vm).
 * @unreadable: set (caller owns it) when the slot page cannot be read;
 * the caller files the finding, in its own terms.
 *
 * Return: NULL (@vt->nr 0 when there is no table), or an error that stopped
 * reading the variable itself.
 */
struct hypmem_error *hypmem_vm_table_read(struct hypmem_target *t, bool typed,
					  struct hypmem_vm_table *vt, struct hypmem_error **unreadable);

/* Internal to the library: stage2.c's DWARF knowledge for a guest table. */
void hypmem_stage2_learn_guest(struct hypmem_target *t, struct hypmem_s2_config *cfg);

#endif /* HYPMEM_VMS_H */
