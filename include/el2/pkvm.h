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

#include "el2/mem_protect.h" /* pkvm_handle_t */

struct pkvm_mem_range {
	u64 pfn;
	u64 nr_pages;
};

#if HYP_PAGE_LAYOUT == 8
#include "el2/gfp.h"
#include "el2/mem_protect.h"

/*
 * Layout 8, as 7.x: vm_table points to a page of struct pkvm_hyp_vm
 * pointers (hyp VAs); a slot holds RESERVED_ENTRY while its VM is being
 * created; a handle is the slot + HANDLE_OFFSET.  The host donates the
 * VM's metadata pages: the first holds struct pkvm_hyp_vm, the others
 * become the VM's own hyp_pool, from which its guest stage-2 is built.
 * Pages donated to the guest are mapped there (owned by the guest) at
 * consecutive gfns from 0.
 */
#define RESERVED_ENTRY ((struct pkvm_hyp_vm *)0xa110ca7edUL)
#define VM_TABLE_SLOTS (PAGE_SIZE / sizeof(void *))

struct kvm {
	struct kvm_arch arch;
	int created_vcpus;
};

struct pkvm_mem_range_gfn {
	u64 pfn;
	u64 nr_pages;
	u64 gfn;
	bool shared; /* the host's page, shared (host_share_guest_count), not donated */
};

struct pkvm_hyp_vm {
	struct kvm kvm;
	struct kvm_pgtable pgt;
	struct kvm_pgtable_mm_ops mm_ops;
	struct hyp_pool pool;
	bool is_dying;
	/* The EL2 core's own record: what to give back, and where it is mapped. */
	struct pkvm_mem_range metadata;
	unsigned int nr_ranges;
	struct pkvm_mem_range_gfn ranges[PKVM_MAX_VM_RANGES];
	u64 nr_guest_pages;
	u64 next_gfn;
};
extern struct pkvm_hyp_vm **vm_table;
/* A VM's pool needs a page besides its struct. */
#define PKVM_VM_MIN_PAGES 2
#else
struct pkvm_hyp_vm {
	pkvm_handle_t handle; /* 0: free slot */
	bool is_dying;
	struct pkvm_mem_range metadata;
	unsigned int nr_ranges;
	struct pkvm_mem_range ranges[PKVM_MAX_VM_RANGES];
	u64 nr_guest_pages;
};
extern struct pkvm_hyp_vm vm_table[KVM_MAX_PVMS];
#endif

/* The EL2 core's record, for the ground truth. */
struct pkvm_vm_stats {
	u64 created, torn_down, freed;
	u64 donated_pages, reclaimed_pages;
};
extern struct pkvm_vm_stats pkvm_vm_stats;

/* The VM in slot @idx of vm_table, or NULL (free or reserved). */
struct pkvm_hyp_vm *pkvm_vm_slot(unsigned int idx);
/* Its handle (0 for a free slot). */
pkvm_handle_t pkvm_vm_handle(const struct pkvm_hyp_vm *vm);

/* Returns a handle (> 0) or a negative errno. */
long __pkvm_init_vm(u64 metadata_pfn, u64 nr_pages);
int __pkvm_host_donate_guest(pkvm_handle_t handle, u64 pfn, u64 nr_pages);
int __pkvm_teardown_vm(pkvm_handle_t handle);
int __pkvm_reclaim_dying_guest_page(pkvm_handle_t handle, u64 pfn, u64 nr_pages);
#if HYP_PAGE_LAYOUT == 8
/*
 * Layout 8: the host shares one of its pages with a VM, which maps it
 * SHARED_BORROWED at its next gfn; the host's state becomes SHARED_OWNED and
 * host_share_guest_count counts the VMs.  Given back with the VM's pages.
 */
int __pkvm_host_share_guest(pkvm_handle_t handle, u64 pfn);
#endif

#endif /* EL2_PKVM_H */
