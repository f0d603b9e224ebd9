/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Protected VMs, reduced to what the host stage-2 sees of them (nvhe/pkvm.h
 * in the kernel): a handle, the pages the host donated for the VM's
 * metadata (owned by EL2 while the VM lives), and the guest memory the host
 * donated (annotated PKVM_ID_GUEST).  No guest ever runs.
 *
 * Lifetime: __pkvm_init_vm() -> __pkvm_host_donate_guest()* ->
 * __pkvm_teardown_vm() (metadata back to the host, the VM is dying) ->
 * __pkvm_reclaim_dying_guest_page()* (guest memory back to the host; the
 * slot is freed with the last range).
 */
#ifndef EL2_PKVM_H
#define EL2_PKVM_H

#include "el2/types.h"

#define KVM_MAX_PVMS	   32
#define PKVM_MAX_VM_RANGES 64
#define HANDLE_OFFSET	   0x1000

typedef u32 pkvm_handle_t;

struct pkvm_mem_range {
	u64 pfn;
	u64 nr_pages;
};

struct pkvm_hyp_vm {
	pkvm_handle_t handle; /* 0: free slot */
	bool is_dying;
	struct pkvm_mem_range metadata;
	unsigned int nr_ranges;
	struct pkvm_mem_range ranges[PKVM_MAX_VM_RANGES];
	u64 nr_guest_pages;
};

/* The EL2 core's record, for the ground truth. */
struct pkvm_vm_stats {
	u64 created, torn_down, freed;
	u64 donated_pages, reclaimed_pages;
};
extern struct pkvm_hyp_vm vm_table[KVM_MAX_PVMS];
extern struct pkvm_vm_stats pkvm_vm_stats;

/* Returns a handle (> 0) or a negative errno. */
long __pkvm_init_vm(u64 metadata_pfn, u64 nr_pages);
int __pkvm_host_donate_guest(pkvm_handle_t handle, u64 pfn, u64 nr_pages);
int __pkvm_teardown_vm(pkvm_handle_t handle);
int __pkvm_reclaim_dying_guest_page(pkvm_handle_t handle, u64 pfn, u64 nr_pages);

#endif /* EL2_PKVM_H */
