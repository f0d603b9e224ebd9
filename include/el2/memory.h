/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The hyp vmemmap: one struct hyp_page per physical page, indexed by PFN,
 * and the hyp linear map (hyp VA = PA - hyp_physvirt_offset).
 *
 * struct hyp_page exists in three layouts, chosen at build time with
 * HYP_PAGE_LAYOUT (the decoder must learn which from DWARF alone):
 *
 *  8  the 7.x era (about v6.15+): u16 refcount, u8 order, 4-bit host
 *     state, 4-bit complemented hyp state, u32 host_share_guest_count.
 *     The free-list node lives inside the free page.  max_order is inclusive.
 *  4  the v6.1 era, after hyp_page shrank to 4 bytes in v5.14 (v5.14..v6.9):
 *     unsigned short refcount, unsigned short order.  Node in the free page.
 *     max_order is exclusive (orders 0..max_order-1).
 *  32 before the shrink (v5.13): unsigned int refcount and order, a pool
 *     pointer and the list node inside struct hyp_page.  max_order exclusive.
 */
#ifndef EL2_MEMORY_H
#define EL2_MEMORY_H

#include "el2/bug.h"
#include "el2/list.h"
#include "el2/types.h"

#ifndef HYP_PAGE_LAYOUT
#define HYP_PAGE_LAYOUT 8
#endif

struct hyp_pool;

#if HYP_PAGE_LAYOUT == 8
/* As enum pkvm_page_state in v6.15 (nvhe/memory.h): small integers. */
enum pkvm_page_state {
	PKVM_PAGE_OWNED = 0ULL,
	PKVM_PAGE_SHARED_OWNED = 1ULL,
	PKVM_PAGE_SHARED_BORROWED = 2ULL,
	PKVM_NOPAGE = 3ULL,
};
#define PKVM_PAGE_STATE_MASK 3

/* As struct hyp_page in v6.15. */
struct hyp_page {
	u16 refcount;
	u8 order;
	/* The host's pkvm_page_state of this page; host_mmu.lock protects it. */
	unsigned __host_state : 4;
	/*
	 * Complement of the hyp state, so that an all-zero vmemmap entry reads
	 * as "hyp: NOPAGE".  Guarded by the hyp stage-1 lock.
	 */
	unsigned __hyp_state_comp : 4;
	u32 host_share_guest_count;
};
#define HYP_NO_ORDER	      0xff
#define HYP_REFCOUNT_MAX      0xffff
#define HYP_FREE_NODE_IN_PAGE 1
typedef u8 hyp_order_t;

static inline enum pkvm_page_state get_host_state(struct hyp_page *p)
{
	return (enum pkvm_page_state)p->__host_state;
}

static inline void set_host_state(struct hyp_page *p, enum pkvm_page_state state)
{
	p->__host_state = state;
}

static inline enum pkvm_page_state get_hyp_state(struct hyp_page *p)
{
	return (enum pkvm_page_state)(p->__hyp_state_comp ^ PKVM_PAGE_STATE_MASK);
}

static inline void set_hyp_state(struct hyp_page *p, enum pkvm_page_state state)
{
	p->__hyp_state_comp = state ^ PKVM_PAGE_STATE_MASK;
}

#elif HYP_PAGE_LAYOUT == 4
/* As struct hyp_page in v6.1. */
struct hyp_page {
	unsigned short refcount;
	unsigned short order;
};
#define HYP_NO_ORDER	      0xffff
#define HYP_REFCOUNT_MAX      0xffff
#define HYP_FREE_NODE_IN_PAGE 1
typedef unsigned short hyp_order_t;

#elif HYP_PAGE_LAYOUT == 32
/* As struct hyp_page in v5.13. */
struct hyp_page {
	unsigned int refcount;
	unsigned int order;
	struct hyp_pool *pool;
	struct list_head node;
};
#define HYP_NO_ORDER	      0xffffffffU
#define HYP_REFCOUNT_MAX      0xffffffffU
#define HYP_FREE_NODE_IN_PAGE 0
typedef unsigned int hyp_order_t;

#else
#error "HYP_PAGE_LAYOUT must be 8, 4 or 32"
#endif

/* The hyp VA of hyp_vmemmap[0], the entry for PFN 0 (a private mapping). */
extern u64 __hyp_vmemmap;
#define hyp_vmemmap ((struct hyp_page *)__hyp_vmemmap)

/* PA - hyp VA for the hyp linear map (which also holds the hyp image). */
extern s64 hyp_physvirt_offset;

#define __hyp_pa(virt) ((phys_addr_t)((u64)(virt) + (u64)hyp_physvirt_offset))
#define __hyp_va(phys) ((void *)((u64)(phys) - (u64)hyp_physvirt_offset))

/*
 * Conversions between a PFN, its PA, its hyp linear-map VA and its vmemmap
 * entry.  A vmemmap entry is only valid for RAM that hyp_back_vmemmap()
 * backed; callers check ranges before they index it.
 */
#define hyp_pfn_to_phys(pfn)   ((phys_addr_t)((pfn) << PAGE_SHIFT))
#define hyp_phys_to_pfn(phys)  ((phys) >> PAGE_SHIFT)
#define hyp_page_to_pfn(page)  ((u64)((struct hyp_page *)(page)-hyp_vmemmap))
#define hyp_phys_to_page(phys) (hyp_vmemmap + hyp_phys_to_pfn(phys))
#define hyp_page_to_phys(page) hyp_pfn_to_phys(hyp_page_to_pfn(page))
#define hyp_page_to_virt(page) __hyp_va(hyp_page_to_phys(page))
#define hyp_virt_to_pfn(virt)  hyp_phys_to_pfn(__hyp_pa(virt))
#define hyp_virt_to_page(virt) hyp_phys_to_page(__hyp_pa(virt))

/* Function forms, for mm_ops. */
static inline phys_addr_t hyp_virt_to_phys(void *addr)
{
	return __hyp_pa(addr);
}

static inline void *hyp_phys_to_virt(phys_addr_t phys)
{
	return __hyp_va(phys);
}

/*
 * Refcount helpers.  Callers hold the owning pool's lock (the helpers have
 * taken no lock themselves since v5.14).  Overflow and underflow are
 * hypervisor bugs.
 */
static inline int hyp_page_count(void *addr)
{
	return hyp_virt_to_page(addr)->refcount;
}

static inline void hyp_page_ref_inc(struct hyp_page *p)
{
	if (unlikely(p->refcount == HYP_REFCOUNT_MAX))
		hyp_panic_str("hyp_page refcount overflow");
	p->refcount++;
}

static inline void hyp_page_ref_dec(struct hyp_page *p)
{
	if (unlikely(!p->refcount))
		hyp_panic_str("hyp_page refcount underflow");
	p->refcount--;
}

static inline int hyp_page_ref_dec_and_test(struct hyp_page *p)
{
	hyp_page_ref_dec(p);
	return p->refcount == 0;
}

static inline void hyp_set_page_refcounted(struct hyp_page *p)
{
	if (unlikely(p->refcount))
		hyp_panic_str("hyp_set_page_refcounted on a referenced page");
	p->refcount = 1;
}

#endif /* EL2_MEMORY_H */
