/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Ownership transfers between the host and EL2 (nvhe/mem_protect.h).  The
 * host stage-2 does not exist yet in this core, so a transfer is only its
 * EL2 half: the page appears in (or leaves) the hyp linear map.  Pages of
 * the hyp carve-out are never the host's to give.
 */
#ifndef EL2_MEM_PROTECT_H
#define EL2_MEM_PROTECT_H

#include "el2/memory.h"
#include "el2/pgtable.h"
#include "el2/spinlock.h"

/* Host pages -> EL2: mapped at their hyp linear VAs.  0, -EPERM or a mapping error. */
int __pkvm_host_donate_hyp(u64 pfn, u64 nr_pages);
/* EL2 pages -> host: unmapped from the hyp linear map.  0 or -EPERM. */
int __pkvm_hyp_donate_host(u64 pfn, u64 nr_pages);

/*
 * The host stage-2 (host_stage2.c), in two eras.
 *
 * Layout 8, the 7.x era: the host's and the hyp's page states live only in
 * struct hyp_page; host leaves carry none.  A page given away is an invalid
 * entry of type KVM_HOST_INVALID_PTE_TYPE_DONATION with the new owner in
 * bits 3:1 and metadata in 59:4: nothing for the hyp, the VM's handle
 * (metadata 15:0) and the gfn (metadata 55:16) for a guest.  Guest stage-2
 * leaves keep the guest's state in software bits 56:55.  Component ids as
 * 7.2's enum pkvm_component_id.
 *
 * Layouts 4 and 32, the Android android14-6.1 era (the tree Android's host
 * stage-2 coalescing was written for): an invalid entry with bits 9:2 set
 * says who owns the page instead of the host; a valid leaf carries the
 * host's page state in software bits 56:55.  Component ids as
 * android14-6.1's.
 */
#if HYP_PAGE_LAYOUT == 8
enum pkvm_component_id {
	PKVM_ID_HOST,
	PKVM_ID_HYP,
	PKVM_ID_GUEST,
};

#define KVM_HOST_DONATION_PTE_OWNER_MASK  GENMASK(3, 1)
#define KVM_HOST_DONATION_PTE_OWNER_SHIFT 1
#define KVM_HOST_DONATION_PTE_EXTRA_MASK  GENMASK(59, 4)
#define KVM_HOST_DONATION_PTE_EXTRA_SHIFT 4
/* A guest donation's metadata: VM handle, then the guest frame number. */
#define KVM_HOST_PTE_OWNER_GUEST_HANDLE_MASK GENMASK(15, 0)
#define KVM_HOST_PTE_OWNER_GUEST_GFN_SHIFT   16
#define KVM_HOST_PTE_OWNER_GUEST_GFN_MASK    GENMASK(55, 16)
#else
enum pkvm_component_id {
	PKVM_ID_HOST,
	PKVM_ID_HYP,
	PKVM_ID_GUEST,
	PKVM_ID_FFA,
	PKVM_ID_PROTECTED,
	PKVM_ID_MAX = PKVM_ID_PROTECTED,
};
#endif

#define PKVM_PAGE_STATE_PROT_MASK (KVM_PGTABLE_PROT_SW0 | KVM_PGTABLE_PROT_SW1)
#if HYP_PAGE_LAYOUT == 8
/* Small integers (memory.h), placed in the software bits of guest leaves. */
static inline enum kvm_pgtable_prot pkvm_mkstate(enum kvm_pgtable_prot prot,
						 enum pkvm_page_state state)
{
	return (enum kvm_pgtable_prot)((prot & ~PKVM_PAGE_STATE_PROT_MASK) | ((u64)state << 55));
}

static inline enum pkvm_page_state pkvm_getstate(enum kvm_pgtable_prot prot)
{
	return (enum pkvm_page_state)((prot & PKVM_PAGE_STATE_PROT_MASK) >> 55);
}
#else
/* v6.1: the states are the software-bit masks themselves. */
enum pkvm_page_state {
	PKVM_PAGE_OWNED = 0ULL,
	PKVM_PAGE_SHARED_OWNED = KVM_PGTABLE_PROT_SW0,
	PKVM_PAGE_SHARED_BORROWED = KVM_PGTABLE_PROT_SW1,
	__PKVM_PAGE_RESERVED = KVM_PGTABLE_PROT_SW0 | KVM_PGTABLE_PROT_SW1,
	PKVM_NOPAGE,
};

static inline enum kvm_pgtable_prot pkvm_mkstate(enum kvm_pgtable_prot prot,
						 enum pkvm_page_state state)
{
	return (enum kvm_pgtable_prot)((prot & ~PKVM_PAGE_STATE_PROT_MASK) | state);
}

static inline enum pkvm_page_state pkvm_getstate(enum kvm_pgtable_prot prot)
{
	return (enum pkvm_page_state)(prot & PKVM_PAGE_STATE_PROT_MASK);
}
#endif

#define PKVM_HOST_MEM_PROT  (KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_W | KVM_PGTABLE_PROT_X)
#define PKVM_HOST_MMIO_PROT (KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_W)

/* The attribute bits of the default leaves, which are not refcounted. */
#define KVM_HOST_S2_DEFAULT_MASK (KVM_PTE_LEAF_ATTR_HI | KVM_PTE_LEAF_ATTR_LO)
#define KVM_HOST_S2_DEFAULT_MEM_PTE                                                                \
	((MT_S2_NORMAL << 2) | KVM_PTE_LEAF_ATTR_LO_S2_S2AP_R | KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W |   \
	 KVM_PTE_LEAF_ATTR_LO_S2_AF | (KVM_PTE_LEAF_ATTR_LO_S2_SH_IS << 8))
#define KVM_HOST_S2_DEFAULT_MMIO_PTE (KVM_HOST_S2_DEFAULT_MEM_PTE | KVM_PTE_LEAF_ATTR_HI_S2_XN)

/*
 * struct kvm_vmid, kvm_s2_mmu and kvm_arch: the members the EL2 core uses,
 * in the order of v6.1 (others left out).
 */
struct kvm_vmid {
	u64 id;
};

struct kvm_arch;
struct kvm_s2_mmu {
	struct kvm_vmid vmid;
	phys_addr_t pgd_phys;
	struct kvm_pgtable *pgt;
	struct kvm_arch *arch;
};

typedef u32 pkvm_handle_t;

/* Layout 8: a VM's handle, where 7.x keeps it (kvm.arch.pkvm.handle). */
struct kvm_protected_vm {
	pkvm_handle_t handle;
};

struct kvm_arch {
	struct kvm_s2_mmu mmu;
	u64 vtcr;
#if HYP_PAGE_LAYOUT == 8
	struct kvm_protected_vm pkvm;
#endif
};

/*
 * As struct host_mmu in v6.2+; v6.1 and earlier call it struct host_kvm
 * (layouts 4 and 32).
 */
#if HYP_PAGE_LAYOUT != 8
#define host_mmu host_kvm
#endif
struct host_mmu {
	struct kvm_arch arch;
	struct kvm_pgtable pgt;
	struct kvm_pgtable_mm_ops mm_ops;
	hyp_spinlock_t lock;
};

/* Not the kernel's: the EL2 core's own record, for the ground truth. */
struct host_s2_stats {
	u64 faults; /* host aborts that mapped something */
	u64 faults_by_level[KVM_PGTABLE_MAX_LEVELS];
	u64 coalesce_events; /* tables zapped on ownership reclaim */
	u64 coalesced_by_level[KVM_PGTABLE_MAX_LEVELS];
	u64 table_pages; /* pages the table holds from host_s2_pool */
	u64 table_pages_peak;
};
extern struct host_s2_stats host_s2_stats;

/* The host stage-2 (named host_kvm in layouts 4 and 32, see above). */
extern struct host_mmu host_mmu;

/* Set before __pkvm_init_finalise(), as the kernel's host sets them. */
extern u64 id_aa64mmfr0_el1_sys_val;
extern u32 hyp_host_ipa_bits; /* 0: from ID_AA64MMFR0_EL1.PARange */

int kvm_host_prepare_stage2(void);
int fix_host_ownership(void);
int handle_host_mem_abort(u64 addr);
bool addr_is_memory(phys_addr_t phys);
void host_lock_component(void);
void host_unlock_component(void);
int host_stage2_set_owner_locked(phys_addr_t addr, u64 size, enum pkvm_component_id owner_id);
#if HYP_PAGE_LAYOUT == 8
/* A donation to @owner_id recording @meta (7.x); not to the host. */
int host_stage2_set_owner_metadata_locked(phys_addr_t addr, u64 size,
					  enum pkvm_component_id owner_id, u64 meta);
#endif
int __host_check_page_state_range(u64 addr, u64 size, enum pkvm_page_state state);
int __host_check_page_owner_range(u64 addr, u64 size, enum pkvm_component_id owner_id);
void host_stage2_coalesced(u64 addr, s8 level);
/* Layout 8 keeps the host and hyp states of memory pages in struct hyp_page. */
void pkvm_set_page_states(u64 addr, u64 size, enum pkvm_page_state host, enum pkvm_page_state hyp);

int __pkvm_host_share_hyp(u64 pfn);
int host_stage2_mark_shared(u64 addr, u64 size);
int __pkvm_host_unshare_hyp(u64 pfn);
/* The host stage-2 halves of the donations above (no-ops before the stage-2 exists). */
int host_stage2_donate_hyp(u64 pfn, u64 nr_pages);
int host_stage2_reclaim_from_hyp(u64 pfn, u64 nr_pages);

#endif /* EL2_MEM_PROTECT_H */
