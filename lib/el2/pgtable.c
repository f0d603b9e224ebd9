// SPDX-License-Identifier: GPL-2.0-only
/*
 * The page-table walker shared by the hyp stage-1 and the host stage-2, and
 * the hyp stage-1 map/unmap operations on top of it.
 *
 * The walker is a loop over an explicit stack with one frame per level
 * (at most KVM_PGTABLE_MAX_LEVELS), not a recursion.  A frame remembers the
 * table page it scans, the next slot, and the visit context of the entry
 * that led to it, so that TABLE_POST can be delivered when the frame is
 * popped.  The cursor (walk->addr) only moves forward: past a leaf or a
 * hole it jumps to the end of that entry's range; past a table it is
 * wherever the child frame left it.  A frame is popped when its slots run
 * out or the cursor reaches the end of the range, whichever comes first.
 *
 * Visitor contract, relied on by the stage-2 code and the refcount fixup:
 *  - a non-table entry is shown as LEAF; a table entry as TABLE_PRE before
 *    its children and TABLE_POST after them, with ->addr the cursor at the
 *    time the entry was first reached;
 *  - a LEAF visitor may install a table in the entry it was shown; the walk
 *    reads the entry again and descends into it; likewise a TABLE_PRE
 *    visitor may replace the table by a leaf, and the walk steps over it;
 *  - a non-zero return ends the whole walk at once (no TABLE_POST for the
 *    tables above) and becomes the walk's result.
 *
 * The root of a stage-2 may be several concatenated pages (up to 16); the
 * root frame simply has more than 512 slots.
 */
#include "el2/pgtable.h"
#include "el2/bug.h"
#include "el2/string.h"
#include "el2_arch.h"

struct walk_frame {
	kvm_pte_t *slots;
	u32 next;
	u32 nr_slots;
	/* How we got here: the parent's entry, shown again at TABLE_POST. */
	struct kvm_pgtable_visit_ctx via;
};

struct walk {
	struct kvm_pgtable_walker *walker;
	struct kvm_pgtable_mm_ops *mm_ops;
	u64 start;
	u64 addr;
	u64 end;
	s8 root_level;
	int top; /* index of the innermost frame, -1 when done */
	struct walk_frame stack[KVM_PGTABLE_MAX_LEVELS];
};

/* Slot of @addr in a (non-root) table at @level. */
static u32 slot_at(u64 addr, s8 level)
{
	return (u32)(addr >> kvm_granule_shift(level)) % PTRS_PER_PTE;
}

static bool wants(const struct walk *w, enum kvm_pgtable_walk_flags what)
{
	return w->walker->flags & what;
}

/* Move the cursor to the first address after the entry at @level. */
static void skip_entry(struct walk *w, s8 level)
{
	u64 size = kvm_granule_size(level);

	w->addr = ALIGN_DOWN(w->addr, size) + size;
}

static void push_table(struct walk *w, const struct kvm_pgtable_visit_ctx *via)
{
	struct walk_frame *f = &w->stack[++w->top];

	f->slots = kvm_pte_follow(via->old, w->mm_ops);
	f->next = slot_at(w->addr, via->level + 1);
	f->nr_slots = PTRS_PER_PTE;
	f->via = *via;
}

/* Drop the innermost frame; tell the visitor about its entry if asked. */
static int pop_table(struct walk *w)
{
	struct walk_frame *f = &w->stack[w->top--];

	if (w->top < 0 || !wants(w, KVM_PGTABLE_WALK_TABLE_POST))
		return 0;
	return w->walker->cb(&f->via, KVM_PGTABLE_WALK_TABLE_POST);
}

/* Show the visitor one entry, then step over it or into it. */
static int visit_slot(struct walk *w, kvm_pte_t *ptep, s8 level)
{
	struct kvm_pgtable_visit_ctx ctx = {
	    .ptep = ptep,
	    .old = READ_ONCE(*ptep),
	    .arg = w->walker->arg,
	    .mm_ops = w->mm_ops,
	    .start = w->start,
	    .addr = w->addr,
	    .end = w->end,
	    .level = level,
	    .flags = w->walker->flags,
	};
	bool descend = kvm_pte_table(ctx.old, level);
	int ret = 0;

	if (descend) {
		if (wants(w, KVM_PGTABLE_WALK_TABLE_PRE)) {
			ret = w->walker->cb(&ctx, KVM_PGTABLE_WALK_TABLE_PRE);
			/* It may have put a block in the table's place. */
			ctx.old = READ_ONCE(*ptep);
			descend = kvm_pte_table(ctx.old, level);
		}
	} else if (wants(w, KVM_PGTABLE_WALK_LEAF)) {
		ret = w->walker->cb(&ctx, KVM_PGTABLE_WALK_LEAF);
		ctx.old = READ_ONCE(*ptep);
		descend = kvm_pte_table(ctx.old, level);
	}
	if (ret)
		return ret;

	if (descend)
		push_table(w, &ctx);
	else
		skip_entry(w, level);
	return 0;
}

static int run_walk(struct walk *w)
{
	while (w->top >= 0) {
		struct walk_frame *f = &w->stack[w->top];
		int ret;

		if (f->next < f->nr_slots && w->addr < w->end)
			ret = visit_slot(w, &f->slots[f->next++], w->root_level + w->top);
		else
			ret = pop_table(w);
		if (ret)
			return ret;
	}
	return 0;
}

int kvm_pgtable_walk(struct kvm_pgtable *pgt, u64 addr, u64 size, struct kvm_pgtable_walker *walker)
{
	u64 span = BIT(pgt->ia_bits);
	u32 root_shift;
	struct walk w = {
	    .walker = walker,
	    .mm_ops = pgt->mm_ops,
	    .start = ALIGN_DOWN(addr, PAGE_SIZE),
	    .addr = ALIGN_DOWN(addr, PAGE_SIZE),
	    .end = PAGE_ALIGN(addr + size),
	    .root_level = pgt->start_level,
	    .top = 0,
	};

	if (w.addr > span || w.end > span)
		return -ERANGE;
	if (!pgt->pgd)
		return -EINVAL;
	if (WARN_ON(w.root_level < KVM_PGTABLE_FIRST_LEVEL ||
		    w.root_level > KVM_PGTABLE_LAST_LEVEL))
		return -EINVAL;

	/* The root indexes the whole input range, across concatenated pages. */
	root_shift = kvm_granule_shift(w.root_level);
	w.stack[0].slots = pgt->pgd;
	w.stack[0].next = (u32)((w.addr & (span - 1)) >> root_shift);
	w.stack[0].nr_slots = (u32)(span >> root_shift);
	return run_walk(&w);
}

/*
 * The entry that translates @addr and its level: follow table entries from
 * the root until something else (a leaf, a hole, an annotation) is found.
 */
int kvm_pgtable_get_leaf(struct kvm_pgtable *pgt, u64 addr, kvm_pte_t *ptep, s8 *level)
{
	u64 span = BIT(pgt->ia_bits);
	u64 va = ALIGN_DOWN(addr, PAGE_SIZE);
	s8 lvl = pgt->start_level;
	kvm_pte_t *table = pgt->pgd;
	kvm_pte_t pte;
	u32 slot;

	if (va > span || va + PAGE_SIZE > span)
		return -ERANGE;
	if (!table)
		return -EINVAL;

	slot = (u32)((va & (span - 1)) >> kvm_granule_shift(lvl));
	for (;;) {
		pte = READ_ONCE(table[slot]);
		if (!kvm_pte_table(pte, lvl))
			break;
		table = kvm_pte_follow(pte, pgt->mm_ops);
		slot = slot_at(va, ++lvl);
	}

	if (ptep)
		*ptep = pte;
	if (level)
		*level = lvl;
	return 0;
}

/* --- hyp stage-1 --- */

/*
 * Leaf attributes of a hyp mapping: AttrIndx picks the MAIR_EL2 slot, AP
 * and SH as the architecture encodes them for EL2, AF always set so no
 * access fault is taken, XN unless executable.  A mapping is always
 * readable, and W^X holds: nothing is both writable and executable, and
 * device memory is never executable.
 */
static int hyp_leaf_attr(enum kvm_pgtable_prot prot, kvm_pte_t *out)
{
	bool device = prot & KVM_PGTABLE_PROT_DEVICE;
	bool writable = prot & KVM_PGTABLE_PROT_W;
	bool exec = prot & KVM_PGTABLE_PROT_X;
	kvm_pte_t attr = KVM_PTE_LEAF_ATTR_LO_S1_AF;

	if (!(prot & KVM_PGTABLE_PROT_R) || (exec && (writable || device)))
		return -EINVAL;

	attr |= (kvm_pte_t)(device ? MT_DEVICE_nGnRE : MT_NORMAL) << 2;
	attr |= (writable ? KVM_PTE_LEAF_ATTR_LO_S1_AP_RW : KVM_PTE_LEAF_ATTR_LO_S1_AP_RO) << 6;
	attr |= KVM_PTE_LEAF_ATTR_LO_S1_SH_IS << 8;
	if (!exec)
		attr |= KVM_PTE_LEAF_ATTR_HI_S1_XN;
	*out = attr | (prot & KVM_PTE_LEAF_ATTR_HI_SW);
	return 0;
}

/*
 * Make a hyp stage-1 update visible before the caller goes on: new entries
 * need only the stores ordered, removed ones the TLB invalidations done.
 */
static void hyp_s1_sync(bool removed)
{
	if (removed)
		arch_dsb_ish();
	else
		arch_dsb_ishst();
	arch_isb();
}

struct hyp_map_data {
	u64 phys;
	kvm_pte_t attr;
};

/* May the entry in @ctx map [ctx->addr, +granule) to @pa as one leaf? */
static bool hyp_leaf_fits(const struct kvm_pgtable_visit_ctx *ctx, u64 pa)
{
	u64 size = kvm_granule_size(ctx->level);

	return ctx->level >= KVM_PGTABLE_MIN_BLOCK_LEVEL && ctx->end - ctx->addr >= size &&
	       IS_ALIGNED(ctx->addr | pa, size);
}

/*
 * Fill one hole of the hyp stage-1: with a leaf if the range allows one
 * here, otherwise with an empty table for the walk to descend into.  A live
 * entry is never replaced (only an identical leaf is accepted as done).
 * Every new entry takes a reference on the table page that holds it.
 */
static int hyp_map_visit(const struct kvm_pgtable_visit_ctx *ctx,
			 enum kvm_pgtable_walk_flags visit __maybe_unused)
{
	struct hyp_map_data *data = ctx->arg;
	u64 pa = data->phys + (ctx->addr - ctx->start);
	kvm_pte_t fill = 0;

	if (hyp_leaf_fits(ctx, pa)) {
		fill = kvm_init_valid_leaf_pte(pa, data->attr, ctx->level);
		if (fill == ctx->old)
			return 0;
	} else if (ctx->level == KVM_PGTABLE_LAST_LEVEL) {
		return -EINVAL;
	}

	if (kvm_pte_valid(ctx->old))
		return -EBUSY;

	if (!fill) {
		kvm_pte_t *child = ctx->mm_ops->zalloc_page(NULL);

		if (!child)
			return -ENOMEM;
		fill = kvm_init_table_pte(child, ctx->mm_ops);
	}
	ctx->mm_ops->get_page(ctx->ptep);
	WRITE_ONCE(*ctx->ptep, fill);
	return 0;
}

int kvm_pgtable_hyp_map(struct kvm_pgtable *pgt, u64 addr, u64 size, u64 phys,
			enum kvm_pgtable_prot prot)
{
	struct hyp_map_data data = {.phys = ALIGN_DOWN(phys, PAGE_SIZE)};
	struct kvm_pgtable_walker walker = {
	    .cb = hyp_map_visit,
	    .arg = &data,
	    .flags = KVM_PGTABLE_WALK_LEAF,
	};
	int err = hyp_leaf_attr(prot, &data.attr);

	if (!err) {
		err = kvm_pgtable_walk(pgt, addr, size, &walker);
		hyp_s1_sync(false);
	}
	return err;
}

/* Zero a live hyp entry, flush its VA, and release its table-page ref. */
static void hyp_clear_entry(const struct kvm_pgtable_visit_ctx *ctx)
{
	WRITE_ONCE(*ctx->ptep, 0);
	arch_tlbi_vae2is(ctx->addr);
	ctx->mm_ops->put_page(ctx->ptep);
}

/*
 * Unmap leaves whole (a range that covers only part of a block is refused),
 * and on the way back up free every table left holding nothing but its own
 * allocation reference.  @ctx->arg counts the bytes unmapped.
 */
static int hyp_unmap_visit(const struct kvm_pgtable_visit_ctx *ctx,
			   enum kvm_pgtable_walk_flags visit)
{
	u64 *unmapped = ctx->arg;
	u64 size = kvm_granule_size(ctx->level);
	kvm_pte_t *child;

	if (!kvm_pte_valid(ctx->old))
		return 0;

	if (visit == KVM_PGTABLE_WALK_LEAF) {
		if (!IS_ALIGNED(ctx->addr, size) || ctx->end - ctx->addr < size)
			return -EINVAL;
		hyp_clear_entry(ctx);
		*unmapped += size;
		return 0;
	}

	child = kvm_pte_follow(ctx->old, ctx->mm_ops);
	if (ctx->mm_ops->page_count(child) == 1) {
		hyp_clear_entry(ctx);
		ctx->mm_ops->put_page(child);
	}
	return 0;
}

u64 kvm_pgtable_hyp_unmap(struct kvm_pgtable *pgt, u64 addr, u64 size)
{
	u64 unmapped = 0;
	struct kvm_pgtable_walker walker = {
	    .flags = KVM_PGTABLE_WALK_LEAF | KVM_PGTABLE_WALK_TABLE_POST,
	    .cb = hyp_unmap_visit,
	    .arg = &unmapped,
	};

	/* Without refcounts (the early allocator) nothing can be freed. */
	if (!pgt->mm_ops->page_count)
		return 0;

	kvm_pgtable_walk(pgt, addr, size, &walker);
	hyp_s1_sync(true);
	return unmapped;
}

int kvm_pgtable_hyp_init(struct kvm_pgtable *pgt, u32 va_bits, struct kvm_pgtable_mm_ops *mm_ops)
{
	/* Each level resolves PAGE_SHIFT - 3 bits above the page offset. */
	u32 levels = DIV_ROUND_UP(va_bits - PAGE_SHIFT, PAGE_SHIFT - 3);
	kvm_pte_t *root;

	if (va_bits > 48 || levels > KVM_PGTABLE_MAX_LEVELS)
		return -EINVAL;

	root = mm_ops->zalloc_page(NULL);
	if (!root)
		return -ENOMEM;

	pgt->pgd = root;
	pgt->mm_ops = mm_ops;
	pgt->ia_bits = va_bits;
	pgt->start_level = (s8)(KVM_PGTABLE_MAX_LEVELS - levels);
	pgt->mmu = NULL;
#if HYP_PAGE_LAYOUT == 8
	pgt->force_pte_cb = NULL;
#else
	pgt->pte_ops = NULL;
#endif
	return 0;
}
