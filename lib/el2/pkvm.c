// SPDX-License-Identifier: GPL-2.0-only
/*
 * Protected VMs as the host stage-2 sees them: metadata pages donated to
 * EL2, guest memory annotated PKVM_ID_GUEST, and the way back.  Guest
 * memory returns through host_stage2_set_owner_locked(..., PKVM_ID_HOST),
 * the path on which the host stage-2 tables are coalesced (as Android's
 * android14-6.1 does on ownership reclaim).
 *
 * Locking: vm_table_lock, then the host stage-2 lock.
 */
#include "el2/mem_protect.h"
#include "el2/pkvm.h"
#include "el2/string.h"

struct pkvm_vm_stats pkvm_vm_stats;
static hyp_spinlock_t vm_table_lock;

static struct pkvm_hyp_vm *lock_live_vm(pkvm_handle_t handle);
static struct pkvm_hyp_vm *lock_vm_with_room(pkvm_handle_t handle, int *ret);

#if HYP_PAGE_LAYOUT == 8
/* One page of slots, in the image (a hyp linear VA, like 7.x's carve-out). */
static struct pkvm_hyp_vm *vm_table_page[VM_TABLE_SLOTS] __aligned(PAGE_SIZE);
struct pkvm_hyp_vm **vm_table;
/* The VM whose guest stage-2 is being changed (vm_table_lock held). */
static struct pkvm_hyp_vm *guest_s2_vm;

_Static_assert(sizeof(struct pkvm_hyp_vm) <= PAGE_SIZE, "a VM's struct fits its first page");

struct pkvm_hyp_vm *pkvm_vm_slot(unsigned int idx)
{
	struct pkvm_hyp_vm *vm;

	if (!vm_table || idx >= KVM_MAX_PVMS)
		return NULL;
	vm = vm_table[idx];
	return vm == RESERVED_ENTRY ? NULL : vm;
}

pkvm_handle_t pkvm_vm_handle(const struct pkvm_hyp_vm *vm)
{
	return vm ? vm->kvm.arch.pkvm.handle : 0;
}

static struct pkvm_hyp_vm *get_vm_by_handle(pkvm_handle_t handle)
{
	unsigned int idx = handle - HANDLE_OFFSET;
	struct pkvm_hyp_vm *vm;

	hyp_assert_lock_held(&vm_table_lock);
	vm = pkvm_vm_slot(idx);
	return vm && vm->kvm.arch.pkvm.handle == handle ? vm : NULL;
}

/* --- a VM's guest stage-2, its tables from the VM's pool --- */

static void *guest_s2_zalloc_pages_exact(size_t size)
{
	unsigned int order = get_order(size), i;
	void *addr = hyp_alloc_pages(&guest_s2_vm->pool, order);

	if (!addr)
		return NULL;
	hyp_split_page(hyp_virt_to_page(addr));
	for (i = size >> PAGE_SHIFT; i < (1U << order); i++)
		hyp_put_page(&guest_s2_vm->pool, (char *)addr + ((u64)i << PAGE_SHIFT));
	memset(addr, 0, size);
	return addr;
}

static void *guest_s2_zalloc_page(void *pool)
{
	void *addr = hyp_alloc_pages(pool, 0);

	if (addr)
		memset(addr, 0, PAGE_SIZE);
	return addr;
}

static void guest_s2_get_page(void *addr)
{
	hyp_get_page(&guest_s2_vm->pool, (void *)ALIGN_DOWN((u64)addr, PAGE_SIZE));
}

static void guest_s2_put_page(void *addr)
{
	hyp_put_page(&guest_s2_vm->pool, (void *)ALIGN_DOWN((u64)addr, PAGE_SIZE));
}

static int guest_stage2_init(struct pkvm_hyp_vm *vm, u64 pool_pfn, u64 nr_pool_pages)
{
	struct kvm_s2_mmu *mmu = &vm->kvm.arch.mmu;
	int ret;

	ret = hyp_pool_init(&vm->pool, pool_pfn, (unsigned int)nr_pool_pages, 0);
	if (ret)
		return ret;
	vm->kvm.arch.vtcr = host_mmu.arch.vtcr;
	vm->mm_ops.zalloc_pages_exact = guest_s2_zalloc_pages_exact;
	vm->mm_ops.zalloc_page = guest_s2_zalloc_page;
	vm->mm_ops.phys_to_virt = hyp_phys_to_virt;
	vm->mm_ops.virt_to_phys = hyp_virt_to_phys;
	vm->mm_ops.page_count = hyp_page_count;
	vm->mm_ops.get_page = guest_s2_get_page;
	vm->mm_ops.put_page = guest_s2_put_page;
	mmu->arch = &vm->kvm.arch;
	guest_s2_vm = vm;
	ret = kvm_pgtable_stage2_init(&vm->pgt, mmu, &vm->mm_ops, KVM_PGTABLE_S2_NOFWB, NULL);
	if (ret)
		return ret;
	mmu->pgd_phys = __hyp_pa(vm->pgt.pgd);
	mmu->pgt = &vm->pgt;
	mmu->vmid.id = vm->kvm.arch.pkvm.handle;
	return 0;
}

/* Every leaf of [addr, addr + size) dropped; a block must lie inside it. */
static int guest_unmap_visit(const struct kvm_pgtable_visit_ctx *ctx,
			     enum kvm_pgtable_walk_flags visit __maybe_unused)
{
	u64 granule = kvm_granule_size(ctx->level);

	if (!ctx->old)
		return 0;
	if (!IS_ALIGNED(ctx->addr, granule) || ctx->end - ctx->addr < granule)
		return -EINVAL;
	WRITE_ONCE(*ctx->ptep, 0);
	ctx->mm_ops->put_page(ctx->ptep);
	return 0;
}

static int guest_stage2_unmap(struct pkvm_hyp_vm *vm, u64 ipa, u64 size)
{
	struct kvm_pgtable_walker walker = {
	    .cb = guest_unmap_visit,
	    .flags = KVM_PGTABLE_WALK_LEAF,
	};

	guest_s2_vm = vm;
	return kvm_pgtable_walk(&vm->pgt, ipa, size, &walker);
}

/* The VM's metadata back to the host; its pool and tables go with it. */
static int vm_free_metadata(struct pkvm_hyp_vm *vm, unsigned int idx)
{
	struct pkvm_mem_range meta = vm->metadata;
	u64 i;

	vm_table[idx] = NULL;
	for (i = 0; i < meta.nr_pages; i++) {
		struct hyp_page *p = hyp_phys_to_page(hyp_pfn_to_phys(meta.pfn + i));

		p->refcount = 0;
		p->order = 0;
	}
	return __pkvm_hyp_donate_host(meta.pfn, meta.nr_pages);
}

int __pkvm_host_share_guest(pkvm_handle_t handle, u64 pfn)
{
	u64 addr = hyp_pfn_to_phys(pfn);
	struct pkvm_hyp_vm *vm;
	struct hyp_page *p;
	int ret = -ENOENT;

	vm = lock_vm_with_room(handle, &ret);
	if (!vm)
		goto unlock;
	ret = -EPERM;
	if (!addr_is_memory(addr))
		goto unlock;
	host_lock_component();
	p = hyp_phys_to_page(addr);
	/* The host's own page, or one it already shares with guests only. */
	if (get_host_state(p) == PKVM_PAGE_OWNED ||
	    (get_host_state(p) == PKVM_PAGE_SHARED_OWNED && p->host_share_guest_count)) {
		guest_s2_vm = vm;
		ret = kvm_pgtable_stage2_map(
		    &vm->pgt, vm->next_gfn << PAGE_SHIFT, PAGE_SIZE, addr,
		    pkvm_mkstate(KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_W | KVM_PGTABLE_PROT_X,
				 PKVM_PAGE_SHARED_BORROWED),
		    &vm->pool);
	}
	if (!ret) {
		set_host_state(p, PKVM_PAGE_SHARED_OWNED);
		p->host_share_guest_count++;
	}
	host_unlock_component();
	if (ret)
		goto unlock;
	vm->ranges[vm->nr_ranges++] = (struct pkvm_mem_range_gfn){
	    .pfn = pfn, .nr_pages = 1, .gfn = vm->next_gfn, .shared = true};
	vm->next_gfn++;
unlock:
	hyp_spin_unlock(&vm_table_lock);
	return ret;
}

/* A shared page back from a dying VM: one guest fewer shares it. */
static int reclaim_shared_locked(struct pkvm_hyp_vm *vm, int i)
{
	struct hyp_page *p = hyp_phys_to_page(hyp_pfn_to_phys(vm->ranges[i].pfn));
	int ret;

	if (!p->host_share_guest_count || get_host_state(p) != PKVM_PAGE_SHARED_OWNED)
		return -EPERM;
	ret = guest_stage2_unmap(vm, vm->ranges[i].gfn << PAGE_SHIFT, PAGE_SIZE);
	if (ret)
		return ret;
	if (!--p->host_share_guest_count)
		set_host_state(p, PKVM_PAGE_OWNED);
	return 0;
}

long __pkvm_init_vm(u64 metadata_pfn, u64 nr_pages)
{
	struct pkvm_hyp_vm *vm;
	unsigned int idx;
	long ret;

	if (nr_pages < PKVM_VM_MIN_PAGES)
		return -EINVAL;
	hyp_spin_lock(&vm_table_lock);
	if (!vm_table)
		vm_table = vm_table_page;
	for (idx = 0; idx < KVM_MAX_PVMS && vm_table[idx]; idx++)
		;
	ret = -ENOMEM;
	if (idx == KVM_MAX_PVMS)
		goto unlock;
	vm_table[idx] = RESERVED_ENTRY;
	ret = __pkvm_host_donate_hyp(metadata_pfn, nr_pages);
	if (ret) {
		vm_table[idx] = NULL;
		goto unlock;
	}
	vm = __hyp_va(hyp_pfn_to_phys(metadata_pfn));
	memset(vm, 0, sizeof(*vm));
	vm->kvm.arch.pkvm.handle = HANDLE_OFFSET + idx;
	vm->kvm.created_vcpus = 1 + (int)(idx % 4);
	vm->metadata = (struct pkvm_mem_range){metadata_pfn, nr_pages};
	ret = guest_stage2_init(vm, metadata_pfn + 1, nr_pages - 1);
	if (ret) {
		WARN_ON(__pkvm_hyp_donate_host(metadata_pfn, nr_pages));
		vm_table[idx] = NULL;
		goto unlock;
	}
	vm_table[idx] = vm;
	pkvm_vm_stats.created++;
	ret = HANDLE_OFFSET + idx;
unlock:
	hyp_spin_unlock(&vm_table_lock);
	return ret;
}
#else
struct pkvm_hyp_vm vm_table[KVM_MAX_PVMS];

static void vm_free_slot(struct pkvm_hyp_vm *vm)
{
	vm->handle = 0;
}

struct pkvm_hyp_vm *pkvm_vm_slot(unsigned int idx)
{
	return idx < KVM_MAX_PVMS && vm_table[idx].handle ? &vm_table[idx] : NULL;
}

pkvm_handle_t pkvm_vm_handle(const struct pkvm_hyp_vm *vm)
{
	return vm ? vm->handle : 0;
}

static struct pkvm_hyp_vm *get_vm_by_handle(pkvm_handle_t handle)
{
	unsigned int idx = handle - HANDLE_OFFSET;

	hyp_assert_lock_held(&vm_table_lock);
	if (idx >= KVM_MAX_PVMS || vm_table[idx].handle != handle)
		return NULL;
	return &vm_table[idx];
}

static int insert_vm_table_entry(struct pkvm_hyp_vm **vm_ret)
{
	unsigned int idx;

	hyp_assert_lock_held(&vm_table_lock);
	for (idx = 0; idx < KVM_MAX_PVMS; idx++) {
		if (!vm_table[idx].handle) {
			memset(&vm_table[idx], 0, sizeof(vm_table[idx]));
			vm_table[idx].handle = HANDLE_OFFSET + idx;
			*vm_ret = &vm_table[idx];
			return 0;
		}
	}
	return -ENOMEM;
}

long __pkvm_init_vm(u64 metadata_pfn, u64 nr_pages)
{
	struct pkvm_hyp_vm *vm;
	long ret;

	if (!nr_pages)
		return -EINVAL;
	hyp_spin_lock(&vm_table_lock);
	ret = insert_vm_table_entry(&vm);
	if (ret)
		goto unlock;
	ret = __pkvm_host_donate_hyp(metadata_pfn, nr_pages);
	if (ret) {
		vm->handle = 0;
		goto unlock;
	}
	vm->metadata = (struct pkvm_mem_range){metadata_pfn, nr_pages};
	pkvm_vm_stats.created++;
	ret = vm->handle;
unlock:
	hyp_spin_unlock(&vm_table_lock);
	return ret;
}
#endif

/* Take vm_table_lock (the caller drops it) and find a VM not being torn down. */
static struct pkvm_hyp_vm *lock_live_vm(pkvm_handle_t handle)
{
	struct pkvm_hyp_vm *vm;

	hyp_spin_lock(&vm_table_lock);
	vm = get_vm_by_handle(handle);
	return vm && !vm->is_dying ? vm : NULL;
}

/* lock_live_vm(), and room for one more range: else *ret is -ENOSPC. */
static struct pkvm_hyp_vm *lock_vm_with_room(pkvm_handle_t handle, int *ret)
{
	struct pkvm_hyp_vm *vm = lock_live_vm(handle);

	if (vm && vm->nr_ranges == PKVM_MAX_VM_RANGES) {
		*ret = -ENOSPC;
		return NULL;
	}
	return vm;
}

int __pkvm_host_donate_guest(pkvm_handle_t handle, u64 pfn, u64 nr_pages)
{
	u64 addr = hyp_pfn_to_phys(pfn), size = nr_pages << PAGE_SHIFT;
	struct pkvm_hyp_vm *vm;
	int ret = -ENOENT;
#if HYP_PAGE_LAYOUT == 8
	u64 i;
#endif

	if (!nr_pages)
		return -EINVAL;
	vm = lock_vm_with_room(handle, &ret);
	if (!vm)
		goto unlock;

	host_lock_component();
	ret = __host_check_page_state_range(addr, size, PKVM_PAGE_OWNED);
#if HYP_PAGE_LAYOUT == 8
	/* The guest's stage-2 first: it may run out of table pages. */
	if (!ret) {
		guest_s2_vm = vm;
		ret = kvm_pgtable_stage2_map(
		    &vm->pgt, vm->next_gfn << PAGE_SHIFT, size, addr,
		    pkvm_mkstate(KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_W | KVM_PGTABLE_PROT_X,
				 PKVM_PAGE_OWNED),
		    &vm->pool);
		if (ret)
			WARN_ON(guest_stage2_unmap(vm, vm->next_gfn << PAGE_SHIFT, size));
	}
	for (i = 0; !ret && i < nr_pages; i++)
		ret = host_stage2_set_owner_metadata_locked(
		    addr + (i << PAGE_SHIFT), PAGE_SIZE, PKVM_ID_GUEST,
		    vm->kvm.arch.pkvm.handle |
			((vm->next_gfn + i) << KVM_HOST_PTE_OWNER_GUEST_GFN_SHIFT));
#else
	if (!ret)
		ret = host_stage2_set_owner_locked(addr, size, PKVM_ID_GUEST);
#endif
	if (!ret)
		pkvm_set_page_states(addr, size, PKVM_NOPAGE, PKVM_NOPAGE);
	host_unlock_component();
	if (ret)
		goto unlock;

#if HYP_PAGE_LAYOUT == 8
	vm->ranges[vm->nr_ranges++] =
	    (struct pkvm_mem_range_gfn){.pfn = pfn, .nr_pages = nr_pages, .gfn = vm->next_gfn};
	vm->next_gfn += nr_pages;
#else
	vm->ranges[vm->nr_ranges++] = (struct pkvm_mem_range){pfn, nr_pages};
#endif
	vm->nr_guest_pages += nr_pages;
	pkvm_vm_stats.donated_pages += nr_pages;
unlock:
	hyp_spin_unlock(&vm_table_lock);
	return ret;
}

int __pkvm_teardown_vm(pkvm_handle_t handle)
{
	struct pkvm_hyp_vm *vm;
	int ret = -ENOENT;

	vm = lock_live_vm(handle);
	if (!vm)
		goto unlock;
#if HYP_PAGE_LAYOUT == 8
	/* The metadata holds the VM itself: it goes back with the last guest page. */
	vm->is_dying = true;
	pkvm_vm_stats.torn_down++;
	if (!vm->nr_ranges) {
		pkvm_vm_stats.freed++;
		ret = vm_free_metadata(vm, handle - HANDLE_OFFSET);
	} else {
		ret = 0;
	}
#else
	ret = __pkvm_hyp_donate_host(vm->metadata.pfn, vm->metadata.nr_pages);
	if (ret)
		goto unlock;
	vm->is_dying = true;
	pkvm_vm_stats.torn_down++;
	if (!vm->nr_ranges) {
		pkvm_vm_stats.freed++;
		vm_free_slot(vm);
	}
#endif
unlock:
	hyp_spin_unlock(&vm_table_lock);
	return ret;
}

static int find_vm_range(struct pkvm_hyp_vm *vm, u64 pfn, u64 nr_pages)
{
	unsigned int i;

	for (i = 0; i < vm->nr_ranges; i++) {
		__typeof__(vm->ranges[0]) *r = &vm->ranges[i];

		if (pfn >= r->pfn && pfn + nr_pages <= r->pfn + r->nr_pages && pfn + nr_pages > pfn)
			return (int)i;
	}
	return -ENOENT;
}

/* Drop [pfn, pfn + nr) from range @i; a hole in the middle splits it. */
static int vm_range_remove(struct pkvm_hyp_vm *vm, int i, u64 pfn, u64 nr_pages)
{
	__typeof__(vm->ranges[0]) *r = &vm->ranges[i], tail = *r;
	u64 end = r->pfn + r->nr_pages;

	if (pfn > r->pfn && pfn + nr_pages < end) {
		if (vm->nr_ranges == PKVM_MAX_VM_RANGES)
			return -ENOSPC;
		tail.pfn = pfn + nr_pages;
		tail.nr_pages = end - pfn - nr_pages;
#if HYP_PAGE_LAYOUT == 8
		tail.gfn = r->gfn + (tail.pfn - r->pfn);
#endif
		vm->ranges[vm->nr_ranges++] = tail;
		r->nr_pages = pfn - r->pfn;
	} else if (pfn == r->pfn) {
		r->pfn += nr_pages;
		r->nr_pages -= nr_pages;
#if HYP_PAGE_LAYOUT == 8
		r->gfn += nr_pages;
#endif
	} else {
		r->nr_pages -= nr_pages;
	}
	if (!r->nr_pages)
		vm->ranges[i] = vm->ranges[--vm->nr_ranges];
	return 0;
}

int __pkvm_reclaim_dying_guest_page(pkvm_handle_t handle, u64 pfn, u64 nr_pages)
{
	u64 addr = hyp_pfn_to_phys(pfn), size = nr_pages << PAGE_SHIFT;
	struct pkvm_hyp_vm *vm;
	int ret = -ENOENT, i;

	hyp_spin_lock(&vm_table_lock);
	vm = get_vm_by_handle(handle);
	if (!vm || !vm->is_dying || !nr_pages)
		goto unlock;
	i = find_vm_range(vm, pfn, nr_pages);
	if (i < 0)
		goto unlock;

#if HYP_PAGE_LAYOUT == 8
	if (vm->ranges[i].shared) {
		host_lock_component();
		ret = nr_pages == 1 ? reclaim_shared_locked(vm, i) : -EINVAL;
		host_unlock_component();
		if (!ret)
			vm_range_remove(vm, i, pfn, nr_pages);
		goto freed;
	}
#endif
	host_lock_component();
	ret = __host_check_page_owner_range(addr, size, PKVM_ID_GUEST);
#if HYP_PAGE_LAYOUT == 8
	if (!ret)
		ret = guest_stage2_unmap(
		    vm, (vm->ranges[i].gfn + (pfn - vm->ranges[i].pfn)) << PAGE_SHIFT, size);
#endif
	if (!ret)
		ret = host_stage2_set_owner_locked(addr, size, PKVM_ID_HOST);
	if (!ret)
		pkvm_set_page_states(addr, size, PKVM_PAGE_OWNED, PKVM_NOPAGE);
	host_unlock_component();
	if (ret)
		goto unlock;

	ret = vm_range_remove(vm, i, pfn, nr_pages);
	vm->nr_guest_pages -= nr_pages;
	pkvm_vm_stats.reclaimed_pages += nr_pages;
#if HYP_PAGE_LAYOUT == 8
freed:
#endif
	if (!ret && !vm->nr_ranges) {
		pkvm_vm_stats.freed++;
#if HYP_PAGE_LAYOUT == 8
		ret = vm_free_metadata(vm, handle - HANDLE_OFFSET);
#else
		vm_free_slot(vm);
#endif
	}
unlock:
	hyp_spin_unlock(&vm_table_lock);
	return ret;
}
