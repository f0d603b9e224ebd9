// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stage-2 page tables: init, map, ownership annotations, and the coalescing
 * of seed 002 ("Coalesce host stage2 entries on ownership reclaim").
 *
 * Descriptors a table page counts (its hyp_page refcount is one for being
 * allocated plus one per counted descriptor) come from pgt->pte_ops.  The
 * host stage-2 counts what the fault handler could not re-create by itself:
 * owner annotations (non-zero invalid entries), table descriptors, and
 * leaves with non-default attributes or page-state bits.  A default leaf is
 * not counted.  So a table whose refcount is back at 1 holds nothing but
 * default mappings and holes:
 *
 *   level 2                       level 3
 *   +-----------+                 +-----------+
 *   | ...       |                 | 0         |  refcount(child) == 1
 *   | table ----+---------------> | def entry |  -> zap: parent entry = 0,
 *   | ...       |                 | 0         |     child page back to the
 *   +-----------+                 +-----------+     pool; the next host fault
 *                                                   maps a 2M block there.
 *
 * The zap happens after the children are walked (TABLE_POST), only on the
 * ownership path, and only for entries at a level that can hold a block;
 * the fault path never zaps (it would remove the mapping it just made).
 *
 * Mapping over a valid block with a smaller range replaces the block by an
 * empty table: the rest of the old block is mapped again lazily, on fault.
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
	pgt->pte_ops = pte_ops;
	arch_dsb_ishst();
	return 0;
}

/* Upstream's rule: valid entries and owner annotations hold a reference. */
static bool stage2_pte_is_counted(struct kvm_pgtable *pgt, kvm_pte_t pte, s8 level)
{
	if (pgt->pte_ops && pgt->pte_ops->pte_is_counted_cb)
		return pgt->pte_ops->pte_is_counted_cb(pte, level);
	return kvm_pte_valid(pte) || (pte & KVM_INVALID_PTE_OWNER_MASK);
}

/* Clear an entry without touching the refcount; a live mapping is flushed. */
static void stage2_clear_pte(const struct kvm_pgtable_visit_ctx *ctx)
{
	WRITE_ONCE(*ctx->ptep, 0);
	if (kvm_pte_valid(ctx->old))
		arch_tlbi_s2_all();
}

/* Clear an entry that held a reference on its table page. */
static void stage2_put_pte(const struct kvm_pgtable_visit_ctx *ctx)
{
	stage2_clear_pte(ctx);
	ctx->mm_ops->put_page(ctx->ptep);
}

static bool stage2_leaf_mapping_allowed(const struct kvm_pgtable_visit_ctx *ctx,
					const struct stage2_map_data *data)
{
	u64 granule = kvm_granule_size(ctx->level);

	if (ctx->level == KVM_PGTABLE_LAST_LEVEL)
		return true;
	if (data->force_pte || ctx->level < KVM_PGTABLE_MIN_BLOCK_LEVEL)
		return false;
	if (granule > ctx->end - ctx->addr || !IS_ALIGNED(ctx->addr, granule))
		return false;
	return data->phys == KVM_PHYS_INVALID ||
	       IS_ALIGNED(data->phys + (ctx->addr - ctx->start), granule);
}

static kvm_pte_t stage2_new_leaf(const struct kvm_pgtable_visit_ctx *ctx,
				 const struct stage2_map_data *data)
{
	if (data->phys == KVM_PHYS_INVALID)
		return data->attr;
	return kvm_init_valid_leaf_pte(data->phys + (ctx->addr - ctx->start), data->attr,
				       ctx->level);
}

/* Install a leaf here, or return -E2BIG when a table is needed instead. */
static int stage2_map_walker_try_leaf(const struct kvm_pgtable_visit_ctx *ctx,
				      struct stage2_map_data *data)
{
	struct kvm_pgtable *pgt = data->pgt;
	kvm_pte_t new;

	if (!stage2_leaf_mapping_allowed(ctx, data))
		return -E2BIG;

	new = stage2_new_leaf(ctx, data);
	if (new == ctx->old)
		return 0;

	/* Break before make: the old entry goes, with its reference. */
	if (stage2_pte_is_counted(pgt, ctx->old, ctx->level))
		stage2_put_pte(ctx);
	else if (ctx->old)
		stage2_clear_pte(ctx);

	if (!new)
		return 0;
	WRITE_ONCE(*ctx->ptep, new);
	if (stage2_pte_is_counted(pgt, new, ctx->level))
		ctx->mm_ops->get_page(ctx->ptep);
	return 0;
}

static int stage2_map_walk_leaf(const struct kvm_pgtable_visit_ctx *ctx,
				struct stage2_map_data *data)
{
	struct kvm_pgtable_mm_ops *mm_ops = ctx->mm_ops;
	kvm_pte_t *childp, new;
	int ret;

	ret = stage2_map_walker_try_leaf(ctx, data);
	if (ret != -E2BIG)
		return ret;
	if (WARN_ON(ctx->level == KVM_PGTABLE_LAST_LEVEL))
		return -EINVAL;

	/* Giving a hole back to the host: there is nothing below to clear. */
	if (data->phys == KVM_PHYS_INVALID && !data->attr && !ctx->old)
		return 0;

	childp = mm_ops->zalloc_page(data->memcache);
	if (!childp)
		return -ENOMEM;

	/* A block in the way goes; accesses beyond the range fault it back. */
	if (stage2_pte_is_counted(data->pgt, ctx->old, ctx->level))
		stage2_put_pte(ctx);
	else if (ctx->old)
		stage2_clear_pte(ctx);

	new = kvm_init_table_pte(childp, mm_ops);
	WRITE_ONCE(*ctx->ptep, new);
	if (stage2_pte_is_counted(data->pgt, new, ctx->level))
		mm_ops->get_page(ctx->ptep);
	return 0;
}

/*
 * Seed 002: after the children of a table were walked on the ownership
 * path, a table left with only its allocation reference holds nothing the
 * fault handler cannot re-create.  Zap it and give its page back.
 */
static int stage2_coalesce_walk_table_post(const struct kvm_pgtable_visit_ctx *ctx,
					   struct stage2_map_data *data)
{
	struct kvm_pgtable_mm_ops *mm_ops = ctx->mm_ops;
	kvm_pte_t *childp;

	if (!data->pgt->pte_ops || data->phys != KVM_PHYS_INVALID)
		return 0;
	if (ctx->level < KVM_PGTABLE_MIN_BLOCK_LEVEL)
		return 0;

	childp = kvm_pte_follow(ctx->old, mm_ops);
	if (mm_ops->page_count(childp) != 1)
		return 0;

	stage2_put_pte(ctx);
	mm_ops->put_page(childp);
	host_stage2_coalesced(ctx->addr, ctx->level);
	return 0;
}

static int stage2_map_walker(const struct kvm_pgtable_visit_ctx *ctx,
			     enum kvm_pgtable_walk_flags visit)
{
	struct stage2_map_data *data = ctx->arg;

	if (visit == KVM_PGTABLE_WALK_TABLE_POST)
		return stage2_coalesce_walk_table_post(ctx, data);
	return stage2_map_walk_leaf(ctx, data);
}

/* Stage-2 leaf attributes for @prot (no FWB: MemAttr holds the type). */
static int stage2_set_prot_attr(enum kvm_pgtable_prot prot, kvm_pte_t *ptep)
{
	bool device = prot & KVM_PGTABLE_PROT_DEVICE;
	kvm_pte_t attr = (device ? MT_S2_DEVICE_nGnRE : MT_S2_NORMAL) << 2;

	if (device && (prot & KVM_PGTABLE_PROT_X))
		return -EINVAL;
	if (!(prot & KVM_PGTABLE_PROT_X))
		attr |= KVM_PTE_LEAF_ATTR_HI_S2_XN;
	if (prot & KVM_PGTABLE_PROT_R)
		attr |= KVM_PTE_LEAF_ATTR_LO_S2_S2AP_R;
	if (prot & KVM_PGTABLE_PROT_W)
		attr |= KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W;
	attr |= KVM_PTE_LEAF_ATTR_LO_S2_SH_IS << 8;
	attr |= KVM_PTE_LEAF_ATTR_LO_S2_AF;
	attr |= prot & KVM_PTE_LEAF_ATTR_HI_SW;
	*ptep = attr;
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
	    .cb = stage2_map_walker,
	    .flags = KVM_PGTABLE_WALK_LEAF,
	    .arg = &map_data,
	};
	int ret;

	if (pgt->pte_ops && pgt->pte_ops->force_pte_cb)
		map_data.force_pte = pgt->pte_ops->force_pte_cb(addr, addr + size, prot);
	ret = stage2_set_prot_attr(prot, &map_data.attr);
	if (ret)
		return ret;

	ret = kvm_pgtable_walk(pgt, addr, size, &walker);
	arch_dsb_ishst();
	return ret;
}

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
	    .cb = stage2_map_walker,
	    .flags = KVM_PGTABLE_WALK_LEAF | KVM_PGTABLE_WALK_TABLE_POST,
	    .arg = &map_data,
	};
	int ret;

	ret = kvm_pgtable_walk(pgt, addr, size, &walker);
	arch_dsb_ishst();
	return ret;
}
