// SPDX-License-Identifier: GPL-2.0-only
/*
 * The host stage-2: an identity map of the host's memory that EL2 builds
 * lazily.  A host access to an address with no mapping faults to EL2, which
 * maps the largest block that fits inside one memory (or MMIO) range and
 * does not cover anything annotated (host_stage2_idmap()).  Pages given to
 * someone else are annotated in an invalid entry.  Only default mappings
 * may be blocks: anything else is forced to pages.
 *
 * Layout 8 (7.x): the annotation is a typed donation (owner and metadata,
 * mem_protect.h), page states are only in struct hyp_page, every non-zero
 * entry is refcounted, and pages given back to the host are mapped again
 * at once (as blocks where the range allows, replacing their tables).
 *
 * Layouts 4 and 32 (android14-6.1): the owner id is the annotation, pages
 * shared with EL2 carry a page state in the software bits, and default
 * leaves are not counted (see pgtable_stage2.c), so giving pages back to
 * the host (host_stage2_set_owner_locked(..., PKVM_ID_HOST)) zaps the
 * tables left holding only default leaves, and the next fault maps the
 * block again.
 *
 * Locking: host_mmu.lock (host_lock_component()) guards the table; the hyp
 * stage-1 lock, pkvm_pgd_lock, nests inside it.
 */
#include "el2/gfp.h"
#include "el2/mem_protect.h"
#include "el2/mm.h"
#include "el2/setup.h"
#include "el2/string.h"
#include "el2_arch.h"

struct host_mmu host_mmu;
struct host_s2_stats host_s2_stats;
u64 id_aa64mmfr0_el1_sys_val;
u32 hyp_host_ipa_bits;

struct kvm_mem_range {
	u64 start;
	u64 end;
};

void host_lock_component(void)
{
	hyp_spin_lock(&host_mmu.lock);
}

void host_unlock_component(void)
{
	hyp_spin_unlock(&host_mmu.lock);
}

static bool host_stage2_ready(void)
{
	return host_mmu.pgt.pgd != NULL;
}

/* --- table pages, from host_s2_pool --- */

static void host_s2_account(long pages)
{
	host_s2_stats.table_pages += pages;
	if (host_s2_stats.table_pages > host_s2_stats.table_pages_peak)
		host_s2_stats.table_pages_peak = host_s2_stats.table_pages;
}

static void *host_s2_zalloc_pages_exact(size_t size)
{
	unsigned int order = get_order(size), i;
	void *addr = hyp_alloc_pages(&host_s2_pool, order);

	if (!addr)
		return NULL;
	/* A concatenated PGD: independent pages, the unused tail goes back. */
	hyp_split_page(hyp_virt_to_page(addr));
	for (i = size >> PAGE_SHIFT; i < (1U << order); i++)
		hyp_put_page(&host_s2_pool, (char *)addr + ((u64)i << PAGE_SHIFT));
	memset(addr, 0, size);
	host_s2_account((long)(size >> PAGE_SHIFT));
	return addr;
}

static void *host_s2_zalloc_page(void *pool)
{
	void *addr = hyp_alloc_pages(pool, 0);

	if (!addr)
		return NULL;
	memset(addr, 0, PAGE_SIZE);
	host_s2_account(1);
	return addr;
}

static void host_s2_get_page(void *addr)
{
	hyp_get_page(&host_s2_pool, addr);
}

static void host_s2_put_page(void *addr)
{
	void *page = (void *)ALIGN_DOWN((u64)addr, PAGE_SIZE);

	if (hyp_page_count(page) == 1)
		host_s2_account(-1);
	hyp_put_page(&host_s2_pool, page);
}

/* --- memory ranges and default attributes --- */

/* The hyp_memory region holding @addr, or the MMIO gap around it. */
static struct memblock_region *find_mem_range(phys_addr_t addr, struct kvm_mem_range *range)
{
	u64 prev_end = 0;
	unsigned int i;

	for (i = 0; i < hyp_memblock_nr; i++) {
		struct memblock_region *reg = &hyp_memory[i];

		if (addr < reg->base) {
			range->start = prev_end;
			range->end = reg->base;
			return NULL;
		}
		if (addr < reg->base + reg->size) {
			range->start = reg->base;
			range->end = reg->base + reg->size;
			return reg;
		}
		prev_end = reg->base + reg->size;
	}
	range->start = prev_end;
	range->end = BIT(host_mmu.pgt.ia_bits);
	return NULL;
}

bool addr_is_memory(phys_addr_t phys)
{
	struct kvm_mem_range range;

	return find_mem_range(phys, &range) != NULL;
}

static bool range_is_memory(u64 start, u64 end)
{
	struct kvm_mem_range r;

	if (!find_mem_range(start, &r))
		return false;
	return end <= r.end;
}

static enum kvm_pgtable_prot default_host_prot(bool is_memory)
{
	return is_memory ? PKVM_HOST_MEM_PROT : PKVM_HOST_MMIO_PROT;
}

/* Anything but the default mapping must stay at page granularity. */
static bool host_stage2_force_pte_cb(u64 addr, u64 end, enum kvm_pgtable_prot prot)
{
	return prot != default_host_prot(range_is_memory(addr, end));
}

#if HYP_PAGE_LAYOUT != 8
/*
 * Android's coalescing on reclaim ("KVM: arm64: Coalesce host stage2
 * entries on ownership reclaim"): what the fault handler cannot re-create
 * holds a reference.
 */
static bool host_stage2_pte_is_counted(kvm_pte_t pte, s8 level)
{
	if (!kvm_pte_valid(pte))
		return pte != 0;
	if (kvm_pte_table(pte, level))
		return true;
	if (addr_is_memory(kvm_pte_to_phys(pte)))
		return (pte & KVM_HOST_S2_DEFAULT_MASK) != KVM_HOST_S2_DEFAULT_MEM_PTE;
	return (pte & KVM_HOST_S2_DEFAULT_MASK) != KVM_HOST_S2_DEFAULT_MMIO_PTE;
}
#endif

/* Filled at run time: the image must hold no link-time pointers in data. */
static struct kvm_pgtable_pte_ops host_s2_pte_ops;

/* --- set-up --- */

static u32 parange_to_phys_shift(u64 parange)
{
	static const u8 shifts[] = {32, 36, 40, 42, 44, 48};

	return parange < ARRAY_SIZE(shifts) ? shifts[parange] : 48;
}

static u32 host_stage2_phys_shift(void)
{
	u32 shift = parange_to_phys_shift(id_aa64mmfr0_el1_sys_val & 0xf);

	if (hyp_host_ipa_bits && hyp_host_ipa_bits < shift)
		shift = hyp_host_ipa_bits;
	return shift;
}

int kvm_host_prepare_stage2(void)
{
	struct kvm_s2_mmu *mmu = &host_mmu.arch.mmu;
	u32 phys_shift = host_stage2_phys_shift();
	unsigned int i;
	int ret;

	for (i = 0; i < hyp_memblock_nr; i++)
		if (hyp_memory[i].base + hyp_memory[i].size > BIT(phys_shift))
			return -ERANGE;

	hyp_spin_lock_init(&host_mmu.lock);
	memset(&host_s2_stats, 0, sizeof(host_s2_stats));
	host_mmu.arch.vtcr = kvm_get_vtcr(id_aa64mmfr0_el1_sys_val, phys_shift);
	/* One by one: a compound literal would be a table of link-time pointers. */
	host_mmu.mm_ops.zalloc_pages_exact = host_s2_zalloc_pages_exact;
	host_mmu.mm_ops.zalloc_page = host_s2_zalloc_page;
	host_mmu.mm_ops.phys_to_virt = hyp_phys_to_virt;
	host_mmu.mm_ops.virt_to_phys = hyp_virt_to_phys;
	host_mmu.mm_ops.page_count = hyp_page_count;
	host_mmu.mm_ops.get_page = host_s2_get_page;
	host_mmu.mm_ops.put_page = host_s2_put_page;
	host_s2_pte_ops.force_pte_cb = host_stage2_force_pte_cb;
#if HYP_PAGE_LAYOUT != 8
	host_s2_pte_ops.pte_is_counted_cb = host_stage2_pte_is_counted;
#endif
	mmu->arch = &host_mmu.arch;
	ret =
	    kvm_pgtable_stage2_init(&host_mmu.pgt, mmu, &host_mmu.mm_ops,
				    KVM_PGTABLE_S2_NOFWB | KVM_PGTABLE_S2_IDMAP, &host_s2_pte_ops);
	if (ret)
		return ret;
	mmu->pgd_phys = __hyp_pa(host_mmu.pgt.pgd);
	mmu->pgt = &host_mmu.pgt;
	mmu->vmid.id = 0;
	return 0;
}

/* --- page states and owners --- */

void pkvm_set_page_states(u64 addr, u64 size, enum pkvm_page_state host, enum pkvm_page_state hyp)
{
#if HYP_PAGE_LAYOUT == 8
	u64 end = addr + size;

	for (; addr < end; addr += PAGE_SIZE) {
		if (!addr_is_memory(addr))
			continue;
		set_host_state(hyp_phys_to_page(addr), host);
		set_hyp_state(hyp_phys_to_page(addr), hyp);
	}
#else
	(void)addr;
	(void)size;
	(void)host;
	(void)hyp;
#endif
}

static int host_stage2_idmap_locked(phys_addr_t addr, u64 size, enum kvm_pgtable_prot prot)
{
	hyp_assert_lock_held(&host_mmu.lock);
	return kvm_pgtable_stage2_map(&host_mmu.pgt, addr, size, addr, prot, &host_s2_pool);
}

#if HYP_PAGE_LAYOUT == 8
int host_stage2_set_owner_metadata_locked(phys_addr_t addr, u64 size,
					  enum pkvm_component_id owner_id, u64 meta)
{
	kvm_pte_t annotation;

	hyp_assert_lock_held(&host_mmu.lock);
	if (owner_id == PKVM_ID_HOST || owner_id > PKVM_ID_GUEST ||
	    !range_is_memory(addr, addr + size))
		return -EINVAL;
	if (meta > (KVM_HOST_DONATION_PTE_EXTRA_MASK >> KVM_HOST_DONATION_PTE_EXTRA_SHIFT))
		return -EINVAL;
	annotation = ((kvm_pte_t)owner_id << KVM_HOST_DONATION_PTE_OWNER_SHIFT) |
		     (meta << KVM_HOST_DONATION_PTE_EXTRA_SHIFT);
	return kvm_pgtable_stage2_annotate(&host_mmu.pgt, addr, size, &host_s2_pool,
					   KVM_HOST_INVALID_PTE_TYPE_DONATION, annotation);
}

/* Back to the host: mapped again by default; to the hyp: a bare donation. */
int host_stage2_set_owner_locked(phys_addr_t addr, u64 size, enum pkvm_component_id owner_id)
{
	hyp_assert_lock_held(&host_mmu.lock);
	if (owner_id == PKVM_ID_HOST) {
		if (!range_is_memory(addr, addr + size))
			return -EPERM;
		return host_stage2_idmap_locked(addr, size, PKVM_HOST_MEM_PROT);
	}
	if (owner_id == PKVM_ID_HYP)
		return host_stage2_set_owner_metadata_locked(addr, size, owner_id, 0);
	return -EINVAL; /* a guest's donation names the VM and gfn */
}
#else
int host_stage2_set_owner_locked(phys_addr_t addr, u64 size, enum pkvm_component_id owner_id)
{
	hyp_assert_lock_held(&host_mmu.lock);
	if (owner_id > PKVM_ID_MAX)
		return -EINVAL;
	return kvm_pgtable_stage2_set_owner(&host_mmu.pgt, addr, size, &host_s2_pool, owner_id);
}
#endif

void host_stage2_coalesced(u64 addr __maybe_unused, s8 level)
{
	host_s2_stats.coalesce_events++;
	host_s2_stats.coalesced_by_level[level]++;
}

#if HYP_PAGE_LAYOUT != 8
static enum pkvm_page_state host_get_page_state(kvm_pte_t pte)
{
	if (!kvm_pte_valid(pte) && pte)
		return PKVM_NOPAGE;
	return pkvm_getstate((enum kvm_pgtable_prot)(pte & PKVM_PAGE_STATE_PROT_MASK));
}

static enum pkvm_page_state hyp_get_page_state(kvm_pte_t pte)
{
	if (!kvm_pte_valid(pte))
		return PKVM_NOPAGE;
	return pkvm_getstate((enum kvm_pgtable_prot)(pte & PKVM_PAGE_STATE_PROT_MASK));
}
#endif

/*
 * The ownership checks ask one question of every leaf in a range, and fail
 * with -EPERM at the first leaf that does not pass.
 */
struct leaf_test {
	bool (*pass)(kvm_pte_t pte, u64 expect);
	u64 expect;
};

static int leaf_test_visit(const struct kvm_pgtable_visit_ctx *ctx,
			   enum kvm_pgtable_walk_flags visit __maybe_unused)
{
	const struct leaf_test *test = ctx->arg;

	return test->pass(ctx->old, test->expect) ? 0 : -EPERM;
}

static int test_leaves(struct kvm_pgtable *pgt, u64 addr, u64 size,
		       bool (*pass)(kvm_pte_t pte, u64 expect), u64 expect)
{
	struct leaf_test test = {.pass = pass, .expect = expect};
	struct kvm_pgtable_walker walker = {
	    .flags = KVM_PGTABLE_WALK_LEAF,
	    .cb = leaf_test_visit,
	    .arg = &test,
	};

	return kvm_pgtable_walk(pgt, addr, size, &walker);
}

#if HYP_PAGE_LAYOUT != 8
static bool host_leaf_in_state(kvm_pte_t pte, u64 state)
{
	return host_get_page_state(pte) == (enum pkvm_page_state)state;
}

static bool hyp_leaf_in_state(kvm_pte_t pte, u64 state)
{
	return hyp_get_page_state(pte) == (enum pkvm_page_state)state;
}

/* An annotation (invalid, non-zero) naming @owner. */
static bool leaf_owned_by(kvm_pte_t pte, u64 owner)
{
	if (!pte || kvm_pte_valid(pte))
		return false;
	return (pte & KVM_INVALID_PTE_OWNER_MASK) >> 2 == owner;
}

int __host_check_page_state_range(u64 addr, u64 size, enum pkvm_page_state state)
{
	hyp_assert_lock_held(&host_mmu.lock);
	return test_leaves(&host_mmu.pgt, addr, size, host_leaf_in_state, state);
}

static int __hyp_check_page_state_range(u64 addr, u64 size, enum pkvm_page_state state)
{
	hyp_assert_lock_held(&pkvm_pgd_lock);
	return test_leaves(&pkvm_pgtable, (u64)__hyp_va(addr), size, hyp_leaf_in_state, state);
}
#else
/* Layout 8: the vmemmap is the only record of states; the range must be RAM. */
static int check_page_states(u64 addr, u64 size, bool host, enum pkvm_page_state state)
{
	u64 end = addr + size;

	if (!range_is_memory(addr, end))
		return -EPERM;
	for (; addr < end; addr += PAGE_SIZE) {
		struct hyp_page *p = hyp_phys_to_page(addr);

		if ((host ? get_host_state(p) : get_hyp_state(p)) != state)
			return -EPERM;
	}
	return 0;
}

int __host_check_page_state_range(u64 addr, u64 size, enum pkvm_page_state state)
{
	hyp_assert_lock_held(&host_mmu.lock);
	return check_page_states(addr, size, true, state);
}

static int __hyp_check_page_state_range(u64 addr, u64 size, enum pkvm_page_state state)
{
	hyp_assert_lock_held(&pkvm_pgd_lock);
	return check_page_states(addr, size, false, state);
}

/* A donation entry whose owner field is @owner. */
static bool leaf_owned_by(kvm_pte_t pte, u64 owner)
{
	if (!pte || kvm_pte_valid(pte) ||
	    (pte >> KVM_INVALID_PTE_TYPE_SHIFT) != KVM_HOST_INVALID_PTE_TYPE_DONATION)
		return false;
	return ((pte & KVM_HOST_DONATION_PTE_OWNER_MASK) >> KVM_HOST_DONATION_PTE_OWNER_SHIFT) ==
	       owner;
}
#endif

int __host_check_page_owner_range(u64 addr, u64 size, enum pkvm_component_id owner_id)
{
	hyp_assert_lock_held(&host_mmu.lock);
	return test_leaves(&host_mmu.pgt, addr, size, leaf_owned_by, owner_id);
}

/* --- host faults --- */

/* The naturally aligned block of @level that contains @addr. */
static struct kvm_mem_range block_around(u64 addr, s8 level)
{
	u64 size = kvm_granule_size(level);
	struct kvm_mem_range blk = {.start = ALIGN_DOWN(addr, size)};

	blk.end = blk.start + size;
	return blk;
}

static bool range_contains(const struct kvm_mem_range *outer, const struct kvm_mem_range *inner)
{
	return inner->start >= outer->start && inner->end <= outer->end;
}

/*
 * Narrow @range (the memory or MMIO range @addr is in) to what one fault
 * maps: the hole the walk ends at is empty at its level, so any block of
 * that level or below is free to take; use the largest one that stays
 * inside @range, a page if nothing larger does.  A valid entry there means
 * another CPU mapped it first (-EAGAIN, the host retries); an annotation
 * means the page is not the host's (-EPERM).
 */
static int host_stage2_adjust_range(u64 addr, struct kvm_mem_range *range)
{
	struct kvm_mem_range blk;
	kvm_pte_t pte;
	s8 level;
	int ret;

	hyp_assert_lock_held(&host_mmu.lock);
	ret = kvm_pgtable_get_leaf(&host_mmu.pgt, addr, &pte, &level);
	if (ret)
		return ret;
	if (pte)
		return kvm_pte_valid(pte) ? -EAGAIN : -EPERM;

	blk = block_around(addr, level);
	while (level < KVM_PGTABLE_LAST_LEVEL &&
	       (level < KVM_PGTABLE_MIN_BLOCK_LEVEL || !range_contains(range, &blk)))
		blk = block_around(addr, ++level);
	*range = blk;
	return 0;
}

static int host_stage2_idmap(u64 addr)
{
	struct kvm_mem_range range;
	bool is_memory = find_mem_range(addr, &range) != NULL;
	enum kvm_pgtable_prot prot = default_host_prot(is_memory);
	s8 level;
	int ret;

	host_lock_component();
	ret = host_stage2_adjust_range(addr, &range);
	if (ret)
		goto unlock;
	ret = host_stage2_idmap_locked(range.start, range.end - range.start, prot);
	if (ret)
		goto unlock;
	for (level = KVM_PGTABLE_LAST_LEVEL; kvm_granule_size(level) < range.end - range.start;)
		level--;
	host_s2_stats.faults++;
	host_s2_stats.faults_by_level[level]++;
unlock:
	host_unlock_component();
	return ret;
}

/* A stage-2 translation fault of the host at IPA @addr. */
int handle_host_mem_abort(u64 addr)
{
	int ret = host_stage2_idmap(addr);

	/* Mapped meanwhile (or a spurious fault): the host just retries. */
	return ret == -EAGAIN ? 0 : ret;
}

/* --- boot-time ownership --- */

/* Every page the hyp stage-1 maps as the hyp's own belongs to EL2. */
static int fix_host_ownership_walker(const struct kvm_pgtable_visit_ctx *ctx,
				     enum kvm_pgtable_walk_flags visit __maybe_unused)
{
	u64 granule = kvm_granule_size(ctx->level);
	u64 off = ctx->addr & (granule - 1);
	u64 size = min(granule - off, ctx->end - ctx->addr);
	phys_addr_t phys;

	if (!kvm_pte_valid(ctx->old))
		return 0;
	phys = kvm_pte_to_phys(ctx->old) + off;
#if HYP_PAGE_LAYOUT != 8
	/* Layout 8's hyp stage-1 carries no states: what it maps is the hyp's. */
	if (hyp_get_page_state(ctx->old) != PKVM_PAGE_OWNED)
		return -EINVAL;
#endif
	pkvm_set_page_states(phys, size, PKVM_NOPAGE, PKVM_PAGE_OWNED);
	/*
	 * Layout 8, as 7.x: the host keeps a read-only view of the hyp's text
	 * (to inspect it after a panic); the page is still the hyp's.
	 */
	if (HYP_PAGE_LAYOUT == 8 && phys >= hyp_text_phys_start && phys + size <= hyp_text_phys_end)
		return host_stage2_idmap_locked(phys, size, KVM_PGTABLE_PROT_R);
	return host_stage2_set_owner_locked(phys, size, PKVM_ID_HYP);
}

int fix_host_ownership(void)
{
	struct kvm_pgtable_walker walker = {
	    .cb = fix_host_ownership_walker,
	    .flags = KVM_PGTABLE_WALK_LEAF,
	};
	unsigned int i;
	int ret = 0;

	host_lock_component();
	for (i = 0; i < hyp_memblock_nr && !ret; i++) {
		struct memblock_region *reg = &hyp_memory[i];

		ret = kvm_pgtable_walk(&pkvm_pgtable, (u64)__hyp_va(reg->base), reg->size, &walker);
	}
	host_unlock_component();
	return ret;
}

/* --- transitions between the host and EL2 --- */

int host_stage2_donate_hyp(u64 pfn, u64 nr_pages)
{
	u64 addr = hyp_pfn_to_phys(pfn), size = nr_pages << PAGE_SHIFT;
	int ret;

	if (!host_stage2_ready())
		return 0;
	host_lock_component();
	ret = __host_check_page_state_range(addr, size, PKVM_PAGE_OWNED);
	if (!ret)
		ret = host_stage2_set_owner_locked(addr, size, PKVM_ID_HYP);
	if (!ret)
		pkvm_set_page_states(addr, size, PKVM_NOPAGE, PKVM_PAGE_OWNED);
	host_unlock_component();
	return ret;
}

int host_stage2_reclaim_from_hyp(u64 pfn, u64 nr_pages)
{
	u64 addr = hyp_pfn_to_phys(pfn), size = nr_pages << PAGE_SHIFT;
	int ret;

	if (!host_stage2_ready())
		return 0;
	host_lock_component();
	ret = __host_check_page_owner_range(addr, size, PKVM_ID_HYP);
	if (!ret)
		ret = host_stage2_set_owner_locked(addr, size, PKVM_ID_HOST);
	if (!ret)
		pkvm_set_page_states(addr, size, PKVM_PAGE_OWNED, PKVM_NOPAGE);
	host_unlock_component();
	return ret;
}

int __pkvm_host_share_hyp(u64 pfn)
{
	u64 addr = hyp_pfn_to_phys(pfn);
	void *virt = __hyp_va(addr);
	int ret;

	if (!host_stage2_ready() || !addr_is_memory(addr))
		return -EINVAL;
	host_lock_component();
	hyp_spin_lock(&pkvm_pgd_lock);
	ret = __host_check_page_state_range(addr, PAGE_SIZE, PKVM_PAGE_OWNED);
	if (!ret)
		ret = __hyp_check_page_state_range(addr, PAGE_SIZE, PKVM_NOPAGE);
	if (ret)
		goto unlock;
	/* Layout 8: the host's mapping does not change, the vmemmap says it all. */
	if (HYP_PAGE_LAYOUT != 8)
		ret = host_stage2_idmap_locked(
		    addr, PAGE_SIZE, pkvm_mkstate(PKVM_HOST_MEM_PROT, PKVM_PAGE_SHARED_OWNED));
	if (ret)
		goto unlock;
	ret = pkvm_create_mappings_locked(
	    virt, (char *)virt + PAGE_SIZE,
	    HYP_PAGE_LAYOUT == 8 ? PAGE_HYP : pkvm_mkstate(PAGE_HYP, PKVM_PAGE_SHARED_BORROWED));
	if (!ret)
		pkvm_set_page_states(addr, PAGE_SIZE, PKVM_PAGE_SHARED_OWNED,
				     PKVM_PAGE_SHARED_BORROWED);
unlock:
	hyp_spin_unlock(&pkvm_pgd_lock);
	host_unlock_component();
	return ret;
}

/*
 * Unsharing maps the page back with the default attributes, which drops
 * its reference but does not zap the table: only the ownership path
 * coalesces, so the 2M range stays mapped by pages (a "coalescing
 * candidate" for hypmem-stat).
 */
int __pkvm_host_unshare_hyp(u64 pfn)
{
	u64 addr = hyp_pfn_to_phys(pfn);
	u64 virt = (u64)__hyp_va(addr);
	int ret;

	if (!host_stage2_ready() || !addr_is_memory(addr))
		return -EINVAL;
	host_lock_component();
	hyp_spin_lock(&pkvm_pgd_lock);
	ret = __host_check_page_state_range(addr, PAGE_SIZE, PKVM_PAGE_SHARED_OWNED);
	if (!ret)
		ret = __hyp_check_page_state_range(addr, PAGE_SIZE, PKVM_PAGE_SHARED_BORROWED);
	if (ret)
		goto unlock;
	if (HYP_PAGE_LAYOUT != 8)
		ret = host_stage2_idmap_locked(addr, PAGE_SIZE, PKVM_HOST_MEM_PROT);
	if (ret)
		goto unlock;
	if (kvm_pgtable_hyp_unmap(&pkvm_pgtable, virt, PAGE_SIZE) != PAGE_SIZE)
		ret = -EIO;
	else
		pkvm_set_page_states(addr, PAGE_SIZE, PKVM_PAGE_OWNED, PKVM_NOPAGE);
unlock:
	hyp_spin_unlock(&pkvm_pgd_lock);
	host_unlock_component();
	return ret;
}

/*
 * Pages the host lent EL2 before it ran (the trace buffers, mapped by the
 * boot code): the host's, shared, as if it had shared them page by page.
 */
int host_stage2_mark_shared(u64 addr, u64 size)
{
	int ret;

	host_lock_component();
	ret = __host_check_page_state_range(addr, size, PKVM_PAGE_OWNED);
	if (!ret && HYP_PAGE_LAYOUT != 8)
		ret = host_stage2_idmap_locked(
		    addr, size, pkvm_mkstate(PKVM_HOST_MEM_PROT, PKVM_PAGE_SHARED_OWNED));
	if (!ret)
		pkvm_set_page_states(addr, size, PKVM_PAGE_SHARED_OWNED, PKVM_PAGE_SHARED_BORROWED);
	host_unlock_component();
	return ret;
}
