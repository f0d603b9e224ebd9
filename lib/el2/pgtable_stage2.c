// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stage-2 page tables: init, map, owner annotations, and the coalescing of
 * host mappings on ownership reclaim that Android added in android14-6.1
 * ("KVM: arm64: Coalesce host stage2 entries on ownership reclaim").
 *
 * Which descriptors hold a reference on the table page that contains them
 * is pgt->pte_ops' decision (NULL: every valid entry and every annotation).
 * For the host stage-2 it is whatever a host fault could not rebuild by
 * itself: annotations, table descriptors, and leaves whose attributes or
 * page-state bits differ from the default.  So a host table page whose
 * refcount is back to 1 (its own allocation) can only hold holes and
 * default mappings, and can be thrown away:
 *
 *   level 2                       level 3
 *   +-----------+                 +-----------+
 *   | ...       |                 | 0         |  refcount(child) == 1
 *   | table ----+---------------> | def entry |  -> zap: parent entry = 0,
 *   | ...       |                 | 0         |     child page back to the
 *   +-----------+                 +-----------+     pool; the next host fault
 *                                                   maps a 2M block there.
 *
 * That check runs when a table's walk is over (TABLE_POST), on annotation
 * walks only, and only where the parent level could hold a block.  The
 * fault path never zaps: it would undo the mapping it has just made.
 */
#include "el2/bug.h"
#include "el2/mem_protect.h"
#include "el2/pgtable.h"
#include "el2_arch.h"

#define KVM_PHYS_INVALID (~0ULL)

/* VTCR_EL2 fields, 4K granule. */
#define VTCR_EL2_T0SZ_MASK  0x3fULL
#define VTCR_EL2_SL0_SHIFT  6
#define VTCR_EL2_SL0_MASK   (3ULL << VTCR_EL2_SL0_SHIFT)
#define VTCR_EL2_IRGN0_WBWA (1ULL << 8)
#define VTCR_EL2_ORGN0_WBWA (1ULL << 10)
#define VTCR_EL2_SH0_INNER  (3ULL << 12)
#define VTCR_EL2_PS_SHIFT   16
#define VTCR_EL2_RES1	    (1ULL << 31)
#define VTCR_EL2_SL0_BASE   2 /* 4K: SL0 = 2 - start level */
#define PARANGE_48	    5

struct stage2_map_data {
	u64 phys;	/* KVM_PHYS_INVALID for an annotation */
	kvm_pte_t attr; /* leaf attributes, or the annotation itself */
	bool force_pte;
	void *memcache;
	struct kvm_pgtable *pgt;
};

static u32 vtcr_ia_bits(u64 vtcr)
{
	return 64 - (u32)(vtcr & VTCR_EL2_T0SZ_MASK);
}

static s8 vtcr_start_level(u64 vtcr)
{
	return VTCR_EL2_SL0_BASE - (s8)((vtcr & VTCR_EL2_SL0_MASK) >> VTCR_EL2_SL0_SHIFT);
}

/*
 * Up to 16 tables may be concatenated at the start level, so the walk needs
 * one level less for every 4 extra bits: the kernel's stage2_pgtable_levels()
 * is the stage-1 level count for (ipa - 4) bits.
 */
static s8 stage2_start_level(u32 ia_bits)
{
	u32 levels = (ia_bits - 4 - 4) / (PAGE_SHIFT - 3);

	return KVM_PGTABLE_MAX_LEVELS - (s8)levels;
}

u64 kvm_get_vtcr(u64 mmfr0, u32 phys_shift)
{
	u64 parange = mmfr0 & 0xf;
	s8 start_level = stage2_start_level(phys_shift);
	u64 vtcr = VTCR_EL2_RES1 | VTCR_EL2_IRGN0_WBWA | VTCR_EL2_ORGN0_WBWA | VTCR_EL2_SH0_INNER;

	if (parange > PARANGE_48)
		parange = PARANGE_48;
	vtcr |= parange << VTCR_EL2_PS_SHIFT;
	vtcr |= (64 - phys_shift) & VTCR_EL2_T0SZ_MASK;
	vtcr |= (u64)(VTCR_EL2_SL0_BASE - start_level) << VTCR_EL2_SL0_SHIFT;
	return vtcr;
}

size_t kvm_pgtable_stage2_pgd_size(u64 vtcr)
{
	u32 ia_bits = vtcr_ia_bits(vtcr);
	s8 start_level = vtcr_start_level(vtcr);
	u64 covered = kvm_granule_shift(start_level) + (PAGE_SHIFT - 3);

	if (ia_bits <= covered)
		return PAGE_SIZE;
	return PAGE_SIZE << (ia_bits - covered);
}

int kvm_pgtable_stage2_init(struct kvm_pgtable *pgt, struct kvm_s2_mmu *mmu,
			    struct kvm_pgtable_mm_ops *mm_ops, enum kvm_pgtable_stage2_flags flags,
			    struct kvm_pgtable_pte_ops *pte_ops)
{
	u64 vtcr = mmu->arch->vtcr;
	size_t pgd_sz = kvm_pgtable_stage2_pgd_size(vtcr);

	if (pgd_sz > 16 * PAGE_SIZE || vtcr_start_level(vtcr) < KVM_PGTABLE_FIRST_LEVEL)
		return -EINVAL;
	pgt->pgd = mm_ops->zalloc_pages_exact(pgd_sz);
	if (!pgt->pgd)
		return -ENOMEM;

	pgt->ia_bits = vtcr_ia_bits(vtcr);
	pgt->start_level = vtcr_start_level(vtcr);
	pgt->mm_ops = mm_ops;
	pgt->mmu = mmu;
	pgt->flags = flags;
#if HYP_PAGE_LAYOUT == 8
	pgt->force_pte_cb = pte_ops ? pte_ops->force_pte_cb : NULL;
#else
	pgt->pte_ops = pte_ops;
#endif
	arch_dsb_ishst();
	return 0;
}

/*
 * Layout 8 (7.x): whatever is not zero holds a reference.  Older layouts:
 * pte_ops decides (Android), else valid entries and owner annotations.
 */
static bool stage2_pte_is_counted(struct kvm_pgtable *pgt, kvm_pte_t pte, s8 level)
{
#if HYP_PAGE_LAYOUT == 8
	(void)pgt;
	(void)level;
	return pte != 0;
#else
	if (pgt->pte_ops && pgt->pte_ops->pte_is_counted_cb)
		return pgt->pte_ops->pte_is_counted_cb(pte, level);
	return kvm_pte_valid(pte) || (pte & KVM_INVALID_PTE_OWNER_MASK);
#endif
}

bool kvm_pgtable_stage2_pte_is_counted(struct kvm_pgtable *pgt, kvm_pte_t pte, s8 level)
{
	return stage2_pte_is_counted(pgt, pte, level);
}

static kvm_pgtable_force_pte_cb_t stage2_force_pte_cb(struct kvm_pgtable *pgt)
{
#if HYP_PAGE_LAYOUT == 8
	return pgt->force_pte_cb;
#else
	return pgt->pte_ops ? pgt->pte_ops->force_pte_cb : NULL;
#endif
}

/*
 * Empty the entry in @ctx.  If it held a reference on its table page, that
 * reference goes with it; if it was a live mapping, the TLBs forget it.
 */
static void stage2_drop_entry(const struct kvm_pgtable_visit_ctx *ctx, struct kvm_pgtable *pgt)
{
	bool counted = stage2_pte_is_counted(pgt, ctx->old, ctx->level);

	if (!ctx->old && !counted)
		return;
	WRITE_ONCE(*ctx->ptep, 0);
	if (kvm_pte_valid(ctx->old))
		arch_tlbi_s2_all();
	if (counted)
		ctx->mm_ops->put_page(ctx->ptep);
}

/* Fill an empty entry with @pte, referencing the table page if it counts. */
static void stage2_install(const struct kvm_pgtable_visit_ctx *ctx, struct kvm_pgtable *pgt,
			   kvm_pte_t pte)
{
	WRITE_ONCE(*ctx->ptep, pte);
	if (stage2_pte_is_counted(pgt, pte, ctx->level))
		ctx->mm_ops->get_page(ctx->ptep);
}

/*
 * Can the whole entry in @ctx take the new content as one leaf (or one
 * annotation)?  Level 3 always can.  Above it, the entry's range must lie
 * inside the request and, for a mapping, the output must be aligned like
 * the input; pte_ops may insist on pages.
 */
static bool stage2_leaf_fits(const struct kvm_pgtable_visit_ctx *ctx,
			     const struct stage2_map_data *data)
{
	u64 size = kvm_granule_size(ctx->level);
	u64 pa;

	if (ctx->level == KVM_PGTABLE_LAST_LEVEL)
		return true;
	if (data->force_pte || ctx->level < KVM_PGTABLE_MIN_BLOCK_LEVEL)
		return false;
	if (!IS_ALIGNED(ctx->addr, size) || ctx->end - ctx->addr < size)
		return false;
	if (data->phys == KVM_PHYS_INVALID)
		return true;
	pa = data->phys + (ctx->addr - ctx->start);
	return IS_ALIGNED(pa, size);
}

/* The descriptor a fitting entry gets: a mapping, or the annotation as is. */
static kvm_pte_t stage2_leaf_for(const struct kvm_pgtable_visit_ctx *ctx,
				 const struct stage2_map_data *data)
{
	u64 pa;

	if (data->phys == KVM_PHYS_INVALID)
		return data->attr;
	pa = data->phys + (ctx->addr - ctx->start);
	return kvm_init_valid_leaf_pte(pa, data->attr, ctx->level);
}

/*
 * LEAF visit of a map or annotate walk.  Where the new content fits, the
 * old entry is replaced by it (break, then make; an annotation of 0 leaves
 * a plain hole).  Where it does not, the entry becomes an empty table, which
 * the walk then descends into; whatever block stood there is dropped and
 * the parts of it outside the request come back on the next host fault.
 */
static int stage2_map_leaf(const struct kvm_pgtable_visit_ctx *ctx, struct stage2_map_data *data)
{
	struct kvm_pgtable *pgt = data->pgt;
	kvm_pte_t *child;

	if (stage2_leaf_fits(ctx, data)) {
		kvm_pte_t leaf = stage2_leaf_for(ctx, data);

		if (leaf != ctx->old) {
			stage2_drop_entry(ctx, pgt);
			if (leaf)
				stage2_install(ctx, pgt, leaf);
		}
		return 0;
	}

	/* A hole given back to the host stays a hole: no table needed. */
	if (data->phys == KVM_PHYS_INVALID && !data->attr && !ctx->old)
		return 0;

	child = ctx->mm_ops->zalloc_page(data->memcache);
	if (!child)
		return -ENOMEM;
	stage2_drop_entry(ctx, pgt);
	stage2_install(ctx, pgt, kvm_init_table_pte(child, ctx->mm_ops));
	return 0;
}

/*
 * TABLE_POST visit, on the host's ownership walks only (pte_ops set, no
 * output address): a table back at refcount 1 holds nothing the fault
 * handler could not map again, so at a level that can hold a block it is
 * unlinked and its page returned; the next fault there maps a block.
 */
static int stage2_try_coalesce(const struct kvm_pgtable_visit_ctx *ctx,
			       const struct stage2_map_data *data)
{
	struct kvm_pgtable_mm_ops *mm_ops = ctx->mm_ops;
	kvm_pte_t *child;

	if (HYP_PAGE_LAYOUT == 8 || !stage2_force_pte_cb(data->pgt) ||
	    data->phys != KVM_PHYS_INVALID || ctx->level < KVM_PGTABLE_MIN_BLOCK_LEVEL)
		return 0;

	child = kvm_pte_follow(ctx->old, mm_ops);
	if (mm_ops->page_count(child) != 1)
		return 0;

	/* The table entry always holds a reference on its own table page. */
	WRITE_ONCE(*ctx->ptep, 0);
	arch_tlbi_s2_all();
	mm_ops->put_page(ctx->ptep);
	mm_ops->put_page(child);
	host_stage2_coalesced(ctx->addr, ctx->level);
	return 0;
}

/*
 * A table no longer linked from anywhere: every counted entry drops its
 * reference, tables below it first, and the last reference, the table's
 * own, returns the page to its pool.
 */
static void stage2_free_unlinked(struct kvm_pgtable *pgt, struct kvm_pgtable_mm_ops *mm_ops,
				 kvm_pte_t *table, s8 level)
{
	unsigned int i;

	for (i = 0; i < PTRS_PER_PTE; i++) {
		kvm_pte_t pte = table[i];

		if (kvm_pte_table(pte, level))
			stage2_free_unlinked(pgt, mm_ops, kvm_pte_follow(pte, mm_ops), level + 1);
		if (stage2_pte_is_counted(pgt, pte, level))
			mm_ops->put_page(&table[i]);
	}
	mm_ops->put_page(table);
}

/*
 * TABLE_PRE visit of a map walk, layout 8 (7.x): when the request covers
 * the table's whole range with a mapping a block can express, the block
 * takes the table's place and the table goes back to the pool.  On the
 * host this is how memory given back becomes a block again.
 */
static int stage2_map_table_pre(const struct kvm_pgtable_visit_ctx *ctx,
				struct stage2_map_data *data)
{
	struct kvm_pgtable *pgt = data->pgt;
	kvm_pte_t *child;

	if (HYP_PAGE_LAYOUT != 8 || data->phys == KVM_PHYS_INVALID || !stage2_leaf_fits(ctx, data))
		return 0;
	child = kvm_pte_follow(ctx->old, ctx->mm_ops);
	stage2_drop_entry(ctx, pgt);
	stage2_free_unlinked(pgt, ctx->mm_ops, child, ctx->level + 1);
	stage2_install(ctx, pgt, stage2_leaf_for(ctx, data));
	if (pgt->flags & KVM_PGTABLE_S2_IDMAP)
		host_stage2_coalesced(ctx->addr, ctx->level);
	return 0;
}

static int stage2_map_visit(const struct kvm_pgtable_visit_ctx *ctx,
			    enum kvm_pgtable_walk_flags visit)
{
	if (visit == KVM_PGTABLE_WALK_TABLE_PRE)
		return stage2_map_table_pre(ctx, ctx->arg);
	if (visit == KVM_PGTABLE_WALK_TABLE_POST)
		return stage2_try_coalesce(ctx, ctx->arg);
	return stage2_map_leaf(ctx, ctx->arg);
}

/*
 * Leaf attributes of a stage-2 mapping, without FWB (MemAttr carries the
 * memory type itself): access flag and inner-shareable always, S2AP from
 * R/W, XN unless executable; device memory may not be executable.
 */
static int stage2_leaf_attr(enum kvm_pgtable_prot prot, kvm_pte_t *out)
{
	bool device = prot & KVM_PGTABLE_PROT_DEVICE;
	bool exec = prot & KVM_PGTABLE_PROT_X;
	kvm_pte_t attr = KVM_PTE_LEAF_ATTR_LO_S2_AF | (KVM_PTE_LEAF_ATTR_LO_S2_SH_IS << 8);

	if (device && exec)
		return -EINVAL;

	attr |= (device ? MT_S2_DEVICE_nGnRE : MT_S2_NORMAL) << 2;
	attr |= exec ? 0 : KVM_PTE_LEAF_ATTR_HI_S2_XN;
	attr |= (prot & KVM_PGTABLE_PROT_R) ? KVM_PTE_LEAF_ATTR_LO_S2_S2AP_R : 0;
	attr |= (prot & KVM_PGTABLE_PROT_W) ? KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W : 0;
	*out = attr | (prot & KVM_PTE_LEAF_ATTR_HI_SW);
	return 0;
}

int kvm_pgtable_stage2_map(struct kvm_pgtable *pgt, u64 addr, u64 size, u64 phys,
			   enum kvm_pgtable_prot prot, void *mc)
{
	struct stage2_map_data map_data = {
	    .phys = ALIGN_DOWN(phys, PAGE_SIZE),
	    .memcache = mc,
	    .pgt = pgt,
	};
	struct kvm_pgtable_walker walker = {
	    .cb = stage2_map_visit,
	    .flags =
		KVM_PGTABLE_WALK_LEAF | (HYP_PAGE_LAYOUT == 8 ? KVM_PGTABLE_WALK_TABLE_PRE : 0),
	    .arg = &map_data,
	};
	kvm_pgtable_force_pte_cb_t force_pte_cb = stage2_force_pte_cb(pgt);
	int ret;

	if (force_pte_cb)
		map_data.force_pte = force_pte_cb(addr, addr + size, prot);
	ret = stage2_leaf_attr(prot, &map_data.attr);
	if (ret)
		return ret;

	ret = kvm_pgtable_walk(pgt, addr, size, &walker);
	arch_dsb_ishst();
	return ret;
}

#if HYP_PAGE_LAYOUT == 8
/* Layout 8: annotations are typed (bits 63:60), page by page. */
int kvm_pgtable_stage2_annotate(struct kvm_pgtable *pgt, u64 addr, u64 size, void *mc,
				enum kvm_invalid_pte_type type, kvm_pte_t annotation)
{
	struct stage2_map_data map_data = {
	    .phys = KVM_PHYS_INVALID,
	    .memcache = mc,
	    .pgt = pgt,
	    .force_pte = true,
	    .attr = ((kvm_pte_t)type << KVM_INVALID_PTE_TYPE_SHIFT) |
		    (annotation & ~(KVM_INVALID_PTE_TYPE_MASK | KVM_PTE_VALID)),
	};
	struct kvm_pgtable_walker walker = {
	    .cb = stage2_map_visit,
	    .flags = KVM_PGTABLE_WALK_LEAF,
	    .arg = &map_data,
	};
	int ret;

	if (!type || type > KVM_GUEST_INVALID_PTE_TYPE_POISONED)
		return -EINVAL;
	ret = kvm_pgtable_walk(pgt, addr, size, &walker);
	arch_dsb_ishst();
	return ret;
}
#else
/* Annotate [addr, addr + size) with @owner_id, page by page. */
int kvm_pgtable_stage2_set_owner(struct kvm_pgtable *pgt, u64 addr, u64 size, void *mc, u8 owner_id)
{
	struct stage2_map_data map_data = {
	    .phys = KVM_PHYS_INVALID,
	    .memcache = mc,
	    .pgt = pgt,
	    .force_pte = true,
	    .attr = ((kvm_pte_t)owner_id << 2) & KVM_INVALID_PTE_OWNER_MASK,
	};
	struct kvm_pgtable_walker walker = {
	    .cb = stage2_map_visit,
	    .flags = KVM_PGTABLE_WALK_LEAF | KVM_PGTABLE_WALK_TABLE_POST,
	    .arg = &map_data,
	};
	int ret;

	ret = kvm_pgtable_walk(pgt, addr, size, &walker);
	arch_dsb_ishst();
	return ret;
}
#endif
