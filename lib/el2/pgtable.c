// SPDX-License-Identifier: GPL-2.0-only
/*
 * Generic page-table walker and the hyp stage-1 operations.
 *
 * The walker recurses from the table's start level down to level 3, visiting
 * entries that overlap [addr, end).  It bounds the input range against the
 * table's input size before starting, so a caller can never index past a
 * table page.  Visitors may replace the entry they are given (to install a
 * table, a leaf or zero); the walker re-reads it after a leaf visit and
 * descends into whatever table is there then.
 *
 * Refcounting: every table page carries one reference for being allocated,
 * plus one per valid entry it holds.  Unmapping drops the entry's reference
 * and, when only the allocation reference remains, frees the table page and
 * clears the parent's entry (TABLE_POST).
 */
#include "el2/pgtable.h"
#include "el2/bug.h"
#include "el2/string.h"
#include "el2_arch.h"

struct kvm_pgtable_walk_data {
	struct kvm_pgtable_walker *walker;
	u64 start;
	u64 addr;
	u64 end;
};

static u32 kvm_pgd_page_idx(struct kvm_pgtable *pgt, u64 addr)
{
	u64 shift = kvm_granule_shift(pgt->start_level - 1);
	u64 mask = BIT(pgt->ia_bits) - 1;

	return (addr & mask) >> shift;
}

static u32 kvm_pgtable_idx(struct kvm_pgtable_walk_data *data, s8 level)
{
	u64 shift = kvm_granule_shift(level);

	return (data->addr >> shift) & (PTRS_PER_PTE - 1);
}

static int __kvm_pgtable_walk(struct kvm_pgtable_walk_data *data,
			      struct kvm_pgtable_mm_ops *mm_ops, kvm_pte_t *pgtable, s8 level);

static int __kvm_pgtable_visit(struct kvm_pgtable_walk_data *data,
			       struct kvm_pgtable_mm_ops *mm_ops, kvm_pte_t *ptep, s8 level)
{
	enum kvm_pgtable_walk_flags flags = data->walker->flags;
	struct kvm_pgtable_visit_ctx ctx = {
		.ptep = ptep,
		.old = READ_ONCE(*ptep),
		.arg = data->walker->arg,
		.mm_ops = mm_ops,
		.start = data->start,
		.addr = data->addr,
		.end = data->end,
		.level = level,
		.flags = flags,
	};
	bool table = kvm_pte_table(ctx.old, level);
	kvm_pte_t *childp;
	int ret = 0;

	if (table && (flags & KVM_PGTABLE_WALK_TABLE_PRE))
		ret = data->walker->cb(&ctx, KVM_PGTABLE_WALK_TABLE_PRE);

	if (!table && (flags & KVM_PGTABLE_WALK_LEAF)) {
		ret = data->walker->cb(&ctx, KVM_PGTABLE_WALK_LEAF);
		/* The visitor may have installed a table: descend into it. */
		ctx.old = READ_ONCE(*ptep);
		table = kvm_pte_table(ctx.old, level);
	}
	if (ret)
		return ret;

	if (!table) {
		data->addr = ALIGN_DOWN(data->addr, kvm_granule_size(level));
		data->addr += kvm_granule_size(level);
		return 0;
	}

	childp = kvm_pte_follow(ctx.old, mm_ops);
	ret = __kvm_pgtable_walk(data, mm_ops, childp, level + 1);
	if (ret)
		return ret;

	if (flags & KVM_PGTABLE_WALK_TABLE_POST)
		ret = data->walker->cb(&ctx, KVM_PGTABLE_WALK_TABLE_POST);
	return ret;
}

static int __kvm_pgtable_walk(struct kvm_pgtable_walk_data *data,
			      struct kvm_pgtable_mm_ops *mm_ops, kvm_pte_t *pgtable, s8 level)
{
	u32 idx;
	int ret = 0;

	if (WARN_ON(level < KVM_PGTABLE_FIRST_LEVEL || level > KVM_PGTABLE_LAST_LEVEL))
		return -EINVAL;

	for (idx = kvm_pgtable_idx(data, level); idx < PTRS_PER_PTE; ++idx) {
		if (data->addr >= data->end)
			break;
		ret = __kvm_pgtable_visit(data, mm_ops, &pgtable[idx], level);
		if (ret)
			break;
	}
	return ret;
}

static int _kvm_pgtable_walk(struct kvm_pgtable *pgt, struct kvm_pgtable_walk_data *data)
{
	u64 limit = BIT(pgt->ia_bits);
	u32 idx;
	int ret = 0;

	if (data->addr > limit || data->end > limit)
		return -ERANGE;
	if (!pgt->pgd)
		return -EINVAL;

	/* A concatenated PGD is one table of several pages at the start level. */
	for (idx = kvm_pgd_page_idx(pgt, data->addr); data->addr < data->end; ++idx) {
		kvm_pte_t *ptep = &pgt->pgd[idx * PTRS_PER_PTE];

		ret = __kvm_pgtable_walk(data, pgt->mm_ops, ptep, pgt->start_level);
		if (ret)
			break;
	}
	return ret;
}

int kvm_pgtable_walk(struct kvm_pgtable *pgt, u64 addr, u64 size,
		     struct kvm_pgtable_walker *walker)
{
	struct kvm_pgtable_walk_data walk_data = {
		.start = ALIGN_DOWN(addr, PAGE_SIZE),
		.addr = ALIGN_DOWN(addr, PAGE_SIZE),
		.end = PAGE_ALIGN(addr + size),
		.walker = walker,
	};

	return _kvm_pgtable_walk(pgt, &walk_data);
}

struct leaf_walk_data {
	kvm_pte_t pte;
	s8 level;
};

static int leaf_walker(const struct kvm_pgtable_visit_ctx *ctx,
		       enum kvm_pgtable_walk_flags visit __maybe_unused)
{
	struct leaf_walk_data *data = ctx->arg;

	data->pte = ctx->old;
	data->level = ctx->level;
	return 0;
}

int kvm_pgtable_get_leaf(struct kvm_pgtable *pgt, u64 addr, kvm_pte_t *ptep, s8 *level)
{
	struct leaf_walk_data data;
	struct kvm_pgtable_walker walker = {
		.cb = leaf_walker,
		.flags = KVM_PGTABLE_WALK_LEAF,
		.arg = &data,
	};
	int ret;

	ret = kvm_pgtable_walk(pgt, ALIGN_DOWN(addr, PAGE_SIZE), PAGE_SIZE, &walker);
	if (!ret) {
		if (ptep)
			*ptep = data.pte;
		if (level)
			*level = data.level;
	}
	return ret;
}

/* --- hyp stage-1 --- */

struct hyp_map_data {
	u64 phys;
	kvm_pte_t attr;
};

static int hyp_set_prot_attr(enum kvm_pgtable_prot prot, kvm_pte_t *ptep)
{
	bool device = prot & KVM_PGTABLE_PROT_DEVICE;
	u32 mtype = device ? MT_DEVICE_nGnRE : MT_NORMAL;
	kvm_pte_t attr = (kvm_pte_t)mtype << 2;
	u32 sh = KVM_PTE_LEAF_ATTR_LO_S1_SH_IS;
	u32 ap = (prot & KVM_PGTABLE_PROT_W) ? KVM_PTE_LEAF_ATTR_LO_S1_AP_RW :
					       KVM_PTE_LEAF_ATTR_LO_S1_AP_RO;

	if (!(prot & KVM_PGTABLE_PROT_R))
		return -EINVAL;
	if (prot & KVM_PGTABLE_PROT_X) {
		/* W^X, and no executable device memory. */
		if ((prot & KVM_PGTABLE_PROT_W) || device)
			return -EINVAL;
	} else {
		attr |= KVM_PTE_LEAF_ATTR_HI_S1_XN;
	}

	attr |= (kvm_pte_t)ap << 6;
	attr |= (kvm_pte_t)sh << 8;
	attr |= KVM_PTE_LEAF_ATTR_LO_S1_AF;
	attr |= prot & KVM_PTE_LEAF_ATTR_HI_SW;
	*ptep = attr;
	return 0;
}

static bool kvm_block_mapping_supported(const struct kvm_pgtable_visit_ctx *ctx, u64 phys)
{
	u64 granule = kvm_granule_size(ctx->level);

	if (ctx->level < KVM_PGTABLE_MIN_BLOCK_LEVEL)
		return false;
	if (granule > (ctx->end - ctx->addr))
		return false;
	return IS_ALIGNED(phys, granule) && IS_ALIGNED(ctx->addr, granule);
}

static int hyp_map_walker(const struct kvm_pgtable_visit_ctx *ctx,
			  enum kvm_pgtable_walk_flags visit __maybe_unused)
{
	struct hyp_map_data *data = ctx->arg;
	struct kvm_pgtable_mm_ops *mm_ops = ctx->mm_ops;
	u64 phys = data->phys + (ctx->addr - ctx->start);
	kvm_pte_t *childp, new;

	if (kvm_block_mapping_supported(ctx, phys)) {
		new = kvm_init_valid_leaf_pte(phys, data->attr, ctx->level);
		if (ctx->old == new)
			return 0;
		/* Changing a live mapping in place is not something we do. */
		if (kvm_pte_valid(ctx->old))
			return -EBUSY;
		mm_ops->get_page(ctx->ptep);
		WRITE_ONCE(*ctx->ptep, new);
		return 0;
	}

	if (ctx->level == KVM_PGTABLE_LAST_LEVEL)
		return -EINVAL;
	if (kvm_pte_valid(ctx->old))
		return -EBUSY; /* a block in the way */

	childp = mm_ops->zalloc_page(NULL);
	if (!childp)
		return -ENOMEM;

	new = kvm_init_table_pte(childp, mm_ops);
	mm_ops->get_page(ctx->ptep);
	WRITE_ONCE(*ctx->ptep, new);
	return 0;
}

int kvm_pgtable_hyp_map(struct kvm_pgtable *pgt, u64 addr, u64 size, u64 phys,
			enum kvm_pgtable_prot prot)
{
	struct hyp_map_data map_data = {
		.phys = ALIGN_DOWN(phys, PAGE_SIZE),
	};
	struct kvm_pgtable_walker walker = {
		.cb = hyp_map_walker,
		.flags = KVM_PGTABLE_WALK_LEAF,
		.arg = &map_data,
	};
	int ret;

	ret = hyp_set_prot_attr(prot, &map_data.attr);
	if (ret)
		return ret;

	ret = kvm_pgtable_walk(pgt, addr, size, &walker);
	arch_dsb_ishst();
	arch_isb();
	return ret;
}

struct hyp_unmap_data {
	u64 unmapped;
};

static int hyp_unmap_walker(const struct kvm_pgtable_visit_ctx *ctx,
			    enum kvm_pgtable_walk_flags visit)
{
	struct kvm_pgtable_mm_ops *mm_ops = ctx->mm_ops;
	struct hyp_unmap_data *data = ctx->arg;
	u64 granule = kvm_granule_size(ctx->level);

	if (!kvm_pte_valid(ctx->old))
		return 0;

	if (visit == KVM_PGTABLE_WALK_TABLE_POST) {
		kvm_pte_t *childp = kvm_pte_follow(ctx->old, mm_ops);

		/* Only the allocation reference left: the table is empty. */
		if (mm_ops->page_count(childp) != 1)
			return 0;
		WRITE_ONCE(*ctx->ptep, 0);
		arch_tlbi_vae2is(ctx->addr);
		mm_ops->put_page(ctx->ptep);
		mm_ops->put_page(childp);
		return 0;
	}

	/* Partial unmaps of blocks are not supported: map with pages instead. */
	if (ctx->end - ctx->addr < granule || !IS_ALIGNED(ctx->addr, granule))
		return -EINVAL;

	WRITE_ONCE(*ctx->ptep, 0);
	arch_tlbi_vae2is(ctx->addr);
	data->unmapped += granule;
	mm_ops->put_page(ctx->ptep);
	return 0;
}

u64 kvm_pgtable_hyp_unmap(struct kvm_pgtable *pgt, u64 addr, u64 size)
{
	struct hyp_unmap_data unmap_data = { 0 };
	struct kvm_pgtable_walker walker = {
		.cb = hyp_unmap_walker,
		.arg = &unmap_data,
		.flags = KVM_PGTABLE_WALK_LEAF | KVM_PGTABLE_WALK_TABLE_POST,
	};

	if (!pgt->mm_ops->page_count)
		return 0;

	kvm_pgtable_walk(pgt, addr, size, &walker);
	arch_dsb_ish();
	arch_isb();
	return unmap_data.unmapped;
}

int kvm_pgtable_hyp_init(struct kvm_pgtable *pgt, u32 va_bits,
			 struct kvm_pgtable_mm_ops *mm_ops)
{
	/* Levels needed to translate va_bits with 9 bits per level. */
	s8 start_level = KVM_PGTABLE_LAST_LEVEL + 1 - DIV_ROUND_UP(va_bits - PAGE_SHIFT, 9);

	if (va_bits > 48 || start_level < KVM_PGTABLE_FIRST_LEVEL)
		return -EINVAL;

	pgt->pgd = mm_ops->zalloc_page(NULL);
	if (!pgt->pgd)
		return -ENOMEM;

	pgt->ia_bits = va_bits;
	pgt->start_level = start_level;
	pgt->mm_ops = mm_ops;
	pgt->mmu = NULL;
	pgt->pte_ops = NULL;
	return 0;
}
