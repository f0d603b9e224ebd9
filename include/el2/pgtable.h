/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Page tables for the EL2 core: the hyp stage-1 (pkvm_pgtable) and, later,
 * the host stage-2.  4K granule, levels 0..3, kernel names and descriptor
 * bits (arch/arm64/include/asm/kvm_pgtable.h).
 *
 * A walk visits entries with a visitor that receives a const context; flags
 * choose whether it sees leaves, tables before their children, and tables
 * after them.  Table pages are refcounted through mm_ops: a table page holds
 * one reference for itself plus one per valid entry (and, on stage-2, per
 * counted invalid entry).
 */
#ifndef EL2_PGTABLE_H
#define EL2_PGTABLE_H

#include "el2/types.h"

typedef u64 kvm_pte_t;

#define KVM_PGTABLE_FIRST_LEVEL	    0
#define KVM_PGTABLE_LAST_LEVEL	    3
#define KVM_PGTABLE_MAX_LEVELS	    4
#define KVM_PGTABLE_MIN_BLOCK_LEVEL 1
#define PTRS_PER_PTE		    512

/*
 * Descriptor bits (Arm ARM D8.3, 4K granule), in bit order.  The names are
 * the kernel's (asm/kvm_pgtable.h), stage-2 as in v6.1: one XN bit.
 *
 * Bits 1:0 -- valid; then table (levels 0-2) or page (level 3) = 1,
 * block (levels 1-2) = 0.
 */
#define KVM_PTE_VALID	   BIT(0)
#define KVM_PTE_TYPE	   BIT(1)
#define KVM_PTE_TYPE_TABLE 1
#define KVM_PTE_TYPE_PAGE  1
#define KVM_PTE_TYPE_BLOCK 0
/* Bits 47:12 -- the next table or the output address. */
#define KVM_PTE_ADDR_MASK GENMASK(47, PAGE_SHIFT)

/* Bits 11:2 -- lower leaf attributes, per stage. */
#define KVM_PTE_LEAF_ATTR_LO		GENMASK(11, 2)
#define KVM_PTE_LEAF_ATTR_LO_S1_ATTRIDX GENMASK(4, 2)
#define KVM_PTE_LEAF_ATTR_LO_S2_MEMATTR GENMASK(5, 2)
#define KVM_PTE_LEAF_ATTR_LO_S1_AP	GENMASK(7, 6)
#define KVM_PTE_LEAF_ATTR_LO_S1_AP_RW	1UL
#define KVM_PTE_LEAF_ATTR_LO_S1_AP_RO	3UL
#define KVM_PTE_LEAF_ATTR_LO_S2_S2AP_R	BIT(6)
#define KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W	BIT(7)
#define KVM_PTE_LEAF_ATTR_LO_S1_SH	GENMASK(9, 8)
#define KVM_PTE_LEAF_ATTR_LO_S2_SH	GENMASK(9, 8)
#define KVM_PTE_LEAF_ATTR_LO_S1_SH_IS	3UL
#define KVM_PTE_LEAF_ATTR_LO_S2_SH_IS	3UL
#define KVM_PTE_LEAF_ATTR_LO_S1_AF	BIT(10)
#define KVM_PTE_LEAF_ATTR_LO_S2_AF	BIT(10)

/* Bits 63:50 -- upper leaf attributes: XN at 54, software bits 58:55. */
#define KVM_PTE_LEAF_ATTR_HI	   GENMASK(63, 50)
#define KVM_PTE_LEAF_ATTR_HI_S1_XN BIT(54)
#define KVM_PTE_LEAF_ATTR_HI_S2_XN BIT(54)
#define KVM_PTE_LEAF_ATTR_HI_SW	   GENMASK(58, 55)

#if HYP_PAGE_LAYOUT == 8
/*
 * The 7.x era: a non-zero invalid stage-2 entry says why in bits 63:60
 * (enum kvm_invalid_pte_type); what else it records depends on the type
 * (a host donation: the new owner in bits 3:1, metadata in 59:4).
 */
#define KVM_INVALID_PTE_TYPE_MASK  GENMASK(63, 60)
#define KVM_INVALID_PTE_TYPE_SHIFT 60
enum kvm_invalid_pte_type {
	KVM_INVALID_PTE_TYPE_LOCKED = 1,	 /* break-before-make under way */
	KVM_HOST_INVALID_PTE_TYPE_DONATION = 2,	 /* host page given to someone else */
	KVM_GUEST_INVALID_PTE_TYPE_POISONED = 3, /* guest page taken back by force */
};
#else
/* Earlier eras: an invalid stage-2 entry may carry an owner id in bits 9:2. */
#define KVM_INVALID_PTE_OWNER_MASK GENMASK(9, 2)
#define KVM_MAX_OWNER_ID	   0xff
#endif

/* Stage-2 MemAttr values without FWB: normal write-back, device nGnRE. */
#define MT_S2_NORMAL	   0xfUL
#define MT_S2_DEVICE_nGnRE 0x1UL

/* MAIR_EL2 indices, as the image programs them. */
#define MT_NORMAL	0
#define MT_DEVICE_nGnRE 1

/* As enum kvm_pgtable_prot in v6.1. */
enum kvm_pgtable_prot {
	KVM_PGTABLE_PROT_X = BIT(0),
	KVM_PGTABLE_PROT_W = BIT(1),
	KVM_PGTABLE_PROT_R = BIT(2),
	KVM_PGTABLE_PROT_DEVICE = BIT(3),
	KVM_PGTABLE_PROT_SW0 = BIT(55),
	KVM_PGTABLE_PROT_SW1 = BIT(56),
	KVM_PGTABLE_PROT_SW2 = BIT(57),
	KVM_PGTABLE_PROT_SW3 = BIT(58),
};

#define PAGE_HYP	(KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_W)
#define PAGE_HYP_EXEC	(KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_X)
#define PAGE_HYP_RO	(KVM_PGTABLE_PROT_R)
#define PAGE_HYP_DEVICE (PAGE_HYP | KVM_PGTABLE_PROT_DEVICE)

/* As struct kvm_pgtable_mm_ops in v6.1 (the members the EL2 core uses). */
struct kvm_pgtable_mm_ops {
	void *(*zalloc_page)(void *arg);
	void *(*zalloc_pages_exact)(size_t size);
	void (*get_page)(void *addr);
	void (*put_page)(void *addr);
	int (*page_count)(void *addr);
	void *(*phys_to_virt)(phys_addr_t phys);
	phys_addr_t (*virt_to_phys)(void *addr);
};

struct kvm_s2_mmu;

/*
 * Stage-2 callbacks, as Android's struct kvm_pgtable_pte_ops in
 * android14-6.1: which mappings must use pages, and which descriptors take a reference on the
 * table page holding them.  NULL pte_ops: upstream rules (valid entries and
 * owner annotations are counted, nothing is forced to pages).
 */
typedef bool (*kvm_pgtable_force_pte_cb_t)(u64 addr, u64 end, enum kvm_pgtable_prot prot);
typedef bool (*kvm_pgtable_pte_is_counted_cb_t)(kvm_pte_t pte, s8 level);

/* As struct kvm_pgtable_pte_ops in android14-6.1. */
struct kvm_pgtable_pte_ops {
	kvm_pgtable_force_pte_cb_t force_pte_cb;
	kvm_pgtable_pte_is_counted_cb_t pte_is_counted_cb;
};

/* As enum kvm_pgtable_stage2_flags in v6.1. */
enum kvm_pgtable_stage2_flags {
	KVM_PGTABLE_S2_NOFWB = BIT(0),
	KVM_PGTABLE_S2_IDMAP = BIT(1),
};

/*
 * struct kvm_pgtable - a page table.  Recent kernels type start_level as s8
 * (LPA2 allows level -1); v6.1 used u32.  Layout 8 follows the former, and
 * like 7.x keeps only the force-pte callback (every non-zero entry is
 * counted there); the older layouts carry Android's pte_ops.
 */
struct kvm_pgtable {
	u32 ia_bits;
#if HYP_PAGE_LAYOUT == 8
	s8 start_level;
	kvm_pte_t *pgd;
	struct kvm_pgtable_mm_ops *mm_ops;
	/* Stage-2 only */
	enum kvm_pgtable_stage2_flags flags;
	kvm_pgtable_force_pte_cb_t force_pte_cb;
	struct kvm_s2_mmu *mmu;
#else
	u32 start_level;
	kvm_pte_t *pgd;
	struct kvm_pgtable_mm_ops *mm_ops;
	/* Stage-2 only */
	struct kvm_s2_mmu *mmu;
	u32 flags;
	/* Android's pte_ops (android14-6.1): force_pte_cb and pte_is_counted_cb. */
	struct kvm_pgtable_pte_ops *pte_ops;
#endif
};

/* As enum kvm_pgtable_walk_flags in v6.1 (the three visit kinds). */
enum kvm_pgtable_walk_flags {
	KVM_PGTABLE_WALK_LEAF = BIT(0),
	KVM_PGTABLE_WALK_TABLE_PRE = BIT(1),
	KVM_PGTABLE_WALK_TABLE_POST = BIT(2),
};

/*
 * A visitor is shown one entry per call (@visit says which kind of visit:
 * LEAF, TABLE_PRE or TABLE_POST); a non-zero return ends the walk.
 */
struct kvm_pgtable_visit_ctx;
typedef int (*kvm_pgtable_visitor_fn_t)(const struct kvm_pgtable_visit_ctx *ctx,
					enum kvm_pgtable_walk_flags visit);

/* As struct kvm_pgtable_visit_ctx in v6.12. */
struct kvm_pgtable_visit_ctx {
	kvm_pte_t *ptep;
	kvm_pte_t old;
	void *arg;
	struct kvm_pgtable_mm_ops *mm_ops;
	u64 start;
	u64 addr;
	u64 end;
	s8 level;
	enum kvm_pgtable_walk_flags flags;
};

/* As struct kvm_pgtable_walker in v6.12. */
struct kvm_pgtable_walker {
	kvm_pgtable_visitor_fn_t cb;
	void *arg;
	enum kvm_pgtable_walk_flags flags;
};

static inline u64 kvm_granule_shift(s8 level)
{
	/* 39, 30, 21, 12 for levels 0..3 */
	return (PAGE_SHIFT - 3) * (4 - level) + 3;
}

static inline u64 kvm_granule_size(s8 level)
{
	return 1UL << kvm_granule_shift(level);
}

static inline bool kvm_pte_valid(kvm_pte_t pte)
{
	return pte & KVM_PTE_VALID;
}

static inline bool kvm_pte_table(kvm_pte_t pte, s8 level)
{
	if (level == KVM_PGTABLE_LAST_LEVEL)
		return false;
	if (!kvm_pte_valid(pte))
		return false;
	return ((pte & KVM_PTE_TYPE) >> 1) == KVM_PTE_TYPE_TABLE;
}

static inline phys_addr_t kvm_pte_to_phys(kvm_pte_t pte)
{
	return pte & KVM_PTE_ADDR_MASK;
}

int kvm_pgtable_walk(struct kvm_pgtable *pgt, u64 addr, u64 size,
		     struct kvm_pgtable_walker *walker);
int kvm_pgtable_get_leaf(struct kvm_pgtable *pgt, u64 addr, kvm_pte_t *ptep, s8 *level);

/* Descriptor constructors, shared by the stage-1 and stage-2 code. */
static inline kvm_pte_t *kvm_pte_follow(kvm_pte_t pte, struct kvm_pgtable_mm_ops *mm_ops)
{
	return mm_ops->phys_to_virt(kvm_pte_to_phys(pte));
}

static inline kvm_pte_t kvm_init_table_pte(kvm_pte_t *childp, struct kvm_pgtable_mm_ops *mm_ops)
{
	return (mm_ops->virt_to_phys(childp) & KVM_PTE_ADDR_MASK) |
	       ((kvm_pte_t)KVM_PTE_TYPE_TABLE << 1) | KVM_PTE_VALID;
}

static inline kvm_pte_t kvm_init_valid_leaf_pte(u64 pa, kvm_pte_t attr, s8 level)
{
	kvm_pte_t type = level == KVM_PGTABLE_LAST_LEVEL ? KVM_PTE_TYPE_PAGE : KVM_PTE_TYPE_BLOCK;

	return (pa & KVM_PTE_ADDR_MASK) | (attr & (KVM_PTE_LEAF_ATTR_LO | KVM_PTE_LEAF_ATTR_HI)) |
	       (type << 1) | KVM_PTE_VALID;
}

int kvm_pgtable_hyp_init(struct kvm_pgtable *pgt, u32 va_bits, struct kvm_pgtable_mm_ops *mm_ops);
int kvm_pgtable_hyp_map(struct kvm_pgtable *pgt, u64 addr, u64 size, u64 phys,
			enum kvm_pgtable_prot prot);
u64 kvm_pgtable_hyp_unmap(struct kvm_pgtable *pgt, u64 addr, u64 size);

/* Stage-2 (pgtable_stage2.c). */
size_t kvm_pgtable_stage2_pgd_size(u64 vtcr);
int kvm_pgtable_stage2_init(struct kvm_pgtable *pgt, struct kvm_s2_mmu *mmu,
			    struct kvm_pgtable_mm_ops *mm_ops, enum kvm_pgtable_stage2_flags flags,
			    struct kvm_pgtable_pte_ops *pte_ops);
int kvm_pgtable_stage2_map(struct kvm_pgtable *pgt, u64 addr, u64 size, u64 phys,
			   enum kvm_pgtable_prot prot, void *mc);
#if HYP_PAGE_LAYOUT == 8
/* Replace [addr, addr + size) by invalid entries of @type carrying @annotation. */
int kvm_pgtable_stage2_annotate(struct kvm_pgtable *pgt, u64 addr, u64 size, void *mc,
				enum kvm_invalid_pte_type type, kvm_pte_t annotation);
#else
int kvm_pgtable_stage2_set_owner(struct kvm_pgtable *pgt, u64 addr, u64 size, void *mc,
				 u8 owner_id);
#endif
/* Does @pte hold a reference on the table page of @pgt that contains it? */
bool kvm_pgtable_stage2_pte_is_counted(struct kvm_pgtable *pgt, kvm_pte_t pte, s8 level);
u64 kvm_get_vtcr(u64 mmfr0, u32 phys_shift);

#endif /* EL2_PGTABLE_H */
