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

struct pkvm_hyp_vm vm_table[KVM_MAX_PVMS];
struct pkvm_vm_stats pkvm_vm_stats;
static hyp_spinlock_t vm_table_lock;

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

int __pkvm_host_donate_guest(pkvm_handle_t handle, u64 pfn, u64 nr_pages)
{
	u64 addr = hyp_pfn_to_phys(pfn), size = nr_pages << PAGE_SHIFT;
	struct pkvm_hyp_vm *vm;
	int ret = -ENOENT;

	if (!nr_pages)
		return -EINVAL;
	hyp_spin_lock(&vm_table_lock);
	vm = get_vm_by_handle(handle);
	if (!vm || vm->is_dying)
		goto unlock;
	ret = -ENOSPC;
	if (vm->nr_ranges == PKVM_MAX_VM_RANGES)
		goto unlock;

	host_lock_component();
	ret = __host_check_page_state_range(addr, size, PKVM_PAGE_OWNED);
	if (!ret)
		ret = host_stage2_set_owner_locked(addr, size, PKVM_ID_GUEST);
	if (!ret)
		pkvm_set_page_states(addr, size, PKVM_NOPAGE, PKVM_NOPAGE);
	host_unlock_component();
	if (ret)
		goto unlock;

	vm->ranges[vm->nr_ranges++] = (struct pkvm_mem_range){pfn, nr_pages};
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

	hyp_spin_lock(&vm_table_lock);
	vm = get_vm_by_handle(handle);
	if (!vm || vm->is_dying)
		goto unlock;
	ret = __pkvm_hyp_donate_host(vm->metadata.pfn, vm->metadata.nr_pages);
	if (ret)
		goto unlock;
	vm->is_dying = true;
	pkvm_vm_stats.torn_down++;
	if (!vm->nr_ranges) {
		vm->handle = 0;
		pkvm_vm_stats.freed++;
	}
unlock:
	hyp_spin_unlock(&vm_table_lock);
	return ret;
}

static int find_vm_range(struct pkvm_hyp_vm *vm, u64 pfn, u64 nr_pages)
{
	unsigned int i;

	for (i = 0; i < vm->nr_ranges; i++) {
		struct pkvm_mem_range *r = &vm->ranges[i];

		if (pfn >= r->pfn && pfn + nr_pages <= r->pfn + r->nr_pages && pfn + nr_pages > pfn)
			return (int)i;
	}
	return -ENOENT;
}

/* Drop [pfn, pfn + nr) from range @i; a hole in the middle splits it. */
static int vm_range_remove(struct pkvm_hyp_vm *vm, int i, u64 pfn, u64 nr_pages)
{
	struct pkvm_mem_range *r = &vm->ranges[i];
	u64 end = r->pfn + r->nr_pages;

	if (pfn > r->pfn && pfn + nr_pages < end) {
		if (vm->nr_ranges == PKVM_MAX_VM_RANGES)
			return -ENOSPC;
		vm->ranges[vm->nr_ranges++] =
		    (struct pkvm_mem_range){pfn + nr_pages, end - pfn - nr_pages};
		r->nr_pages = pfn - r->pfn;
	} else if (pfn == r->pfn) {
		r->pfn += nr_pages;
		r->nr_pages -= nr_pages;
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

	host_lock_component();
	ret = __host_check_page_owner_range(addr, size, PKVM_ID_GUEST);
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
	if (!vm->nr_ranges) {
		vm->handle = 0;
		pkvm_vm_stats.freed++;
	}
unlock:
	hyp_spin_unlock(&vm_table_lock);
	return ret;
}
