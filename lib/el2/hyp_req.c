// SPDX-License-Identifier: GPL-2.0-only
/*
 * The heap's host calls (include/el2/hyp_req.h): topup, reclaim,
 * reclaimable, and the stand-in users that allocate from the heap.
 *
 * A user call that gets NULL from hyp_alloc() ends with errno_to_smccc():
 * -ENOMEM plus the number of missing pages becomes a PKVM_HYP_REQ_HYP_ALLOC
 * request, and the call must leave no trace, because the host will issue it
 * again after the topup.  So every user call allocates everything first and
 * commits (publishes the object) last.
 */
#include "el2/alloc.h"
#include "el2/hyp_req.h"
#include "el2/setup.h"
#include "el2/string.h"

static struct hyp_heap_vm *heap_vms[HYP_HEAP_MAX_VMS];
static struct hyp_heap_trace *heap_trace;
static hyp_spinlock_t heap_users_lock;

/* --- the request in the result registers --- */

static void pkvm_hyp_req_to_smccc(const struct pkvm_hyp_req *req, struct kvm_cpu_context *ctxt)
{
	u64 regs[2] = {0, 0};

	if (req->type != PKVM_HYP_NO_REQ && req->type < __PKVM_HYP_REQ_TYPE_MAX)
		memcpy(regs, req, sizeof(*req));
	cpu_reg(ctxt, 2) = regs[0];
	cpu_reg(ctxt, 3) = regs[1];
}

/* x1 = @ret; x2/x3 = a topup request when @ret is -ENOMEM with pages missing. */
static void errno_to_smccc(long ret, struct kvm_cpu_context *ctxt)
{
	struct pkvm_hyp_req req = {.type = PKVM_HYP_NO_REQ};
	u32 nr_pages;

	if (ret == -ENOMEM && (nr_pages = hyp_alloc_topup_needed())) {
		req.type = PKVM_HYP_REQ_HYP_ALLOC;
		req.mem.nr_pages = nr_pages;
	}
	cpu_reg(ctxt, 1) = (u64)ret;
	pkvm_hyp_req_to_smccc(&req, ctxt);
}

/* hyp_alloc() or -errno in *@err. */
static void *heap_alloc(size_t size, long *err)
{
	void *p = hyp_alloc(size);

	if (!p && !*err)
		*err = hyp_alloc_errno();
	return p;
}

/* --- topup, reclaim --- */

static void handle___pkvm_hyp_topup(struct kvm_cpu_context *host_ctxt)
{
	struct kvm_hyp_memcache host_mc = {
	    .head = cpu_reg(host_ctxt, 2),
	    .nr_pages = cpu_reg(host_ctxt, 3),
	};
	long ret = -EINVAL;

	if (cpu_reg(host_ctxt, 1) == PKVM_TOPUP_HYP_ALLOC)
		ret = hyp_alloc_topup(&host_mc);
	cpu_reg(host_ctxt, 1) = (u64)ret;
	/* What was not taken goes back to the host. */
	cpu_reg(host_ctxt, 2) = host_mc.head;
	cpu_reg(host_ctxt, 3) = host_mc.nr_pages;
}

static void handle___pkvm_hyp_reclaim(struct kvm_cpu_context *host_ctxt)
{
	struct kvm_hyp_memcache host_mc = {0};
	unsigned long target = min(cpu_reg(host_ctxt, 2), (u64)PKVM_HYP_RECLAIM_BATCH);
	long ret = -EINVAL;

	if (cpu_reg(host_ctxt, 1) == PKVM_TOPUP_HYP_ALLOC) {
		hyp_alloc_reclaim(&host_mc, target);
		ret = 0;
	}
	cpu_reg(host_ctxt, 1) = (u64)ret;
	cpu_reg(host_ctxt, 2) = host_mc.head;
	cpu_reg(host_ctxt, 3) = host_mc.nr_pages;
}

static void handle___pkvm_hyp_reclaimable(struct kvm_cpu_context *host_ctxt)
{
	u64 pages = 0;

	if (cpu_reg(host_ctxt, 1) == PKVM_TOPUP_HYP_ALLOC)
		pages = hyp_alloc_reclaimable();
	cpu_reg(host_ctxt, 1) = pages;
}

/* --- the users --- */

static struct hyp_heap_vm **heap_vm_slot(u32 handle)
{
	u32 idx = handle - HYP_HEAP_HANDLE;

	hyp_assert_lock_held(&heap_users_lock);
	if (idx >= HYP_HEAP_MAX_VMS || !heap_vms[idx])
		return NULL;
	return &heap_vms[idx];
}

struct hyp_heap_vm *hyp_heap_vm_get(u32 handle)
{
	struct hyp_heap_vm **slot;

	hyp_spin_lock(&heap_users_lock);
	slot = heap_vm_slot(handle);
	hyp_spin_unlock(&heap_users_lock);
	return slot ? *slot : NULL;
}

void hyp_heap_users_init(void)
{
	memset(heap_vms, 0, sizeof(heap_vms));
	heap_trace = NULL;
	hyp_spin_lock_init(&heap_users_lock);
}

struct hyp_heap_trace *hyp_heap_trace_get(void)
{
	return heap_trace;
}

static long __hypmem_heap_init_vm(u64 nr_vcpus)
{
	struct hyp_heap_vm *vm;
	long err = 0;
	u32 idx;

	if (!nr_vcpus || nr_vcpus > HYP_HEAP_MAX_VCPUS)
		return -EINVAL;
	vm = heap_alloc(hyp_heap_vm_size(nr_vcpus), &err);
	if (!vm)
		return err;
	hyp_spin_lock(&heap_users_lock);
	for (idx = 0; idx < HYP_HEAP_MAX_VMS && heap_vms[idx]; idx++)
		;
	if (idx < HYP_HEAP_MAX_VMS) {
		vm->handle = HYP_HEAP_HANDLE + idx;
		vm->nr_vcpus = (u32)nr_vcpus;
		vm->refcount = 1;
		heap_vms[idx] = vm;
	}
	hyp_spin_unlock(&heap_users_lock);
	if (idx == HYP_HEAP_MAX_VMS) {
		hyp_free(vm);
		return -ENOSPC;
	}
	return vm->handle;
}

static long __hypmem_heap_init_vcpu(u64 handle)
{
	struct hyp_heap_vcpu *vcpu;
	struct hyp_heap_vm **slot;
	long err = 0;

	vcpu = heap_alloc(sizeof(*vcpu), &err);
	if (!vcpu)
		return err;
	hyp_spin_lock(&heap_users_lock);
	slot = heap_vm_slot((u32)handle);
	if (!slot) {
		err = -ENOENT;
	} else if ((*slot)->nr_vcpus_inited == (*slot)->nr_vcpus) {
		err = -EINVAL;
	} else {
		vcpu->vm = *slot;
		vcpu->vcpu_idx = (*slot)->nr_vcpus_inited;
		vcpu->fp_regs.fpcr = 0x3000000;
		(*slot)->vcpus[(*slot)->nr_vcpus_inited++] = vcpu;
	}
	hyp_spin_unlock(&heap_users_lock);
	if (err)
		hyp_free(vcpu);
	return err;
}

static long __hypmem_heap_teardown_vm(u64 handle)
{
	struct hyp_heap_vm **slot, *vm = NULL;
	u32 i;

	hyp_spin_lock(&heap_users_lock);
	slot = heap_vm_slot((u32)handle);
	if (slot) {
		vm = *slot;
		*slot = NULL;
	}
	hyp_spin_unlock(&heap_users_lock);
	if (!vm)
		return -ENOENT;
	for (i = 0; i < vm->nr_vcpus_inited; i++)
		hyp_free(vm->vcpus[i]);
	hyp_free(vm);
	return 0;
}

static void heap_trace_free(struct hyp_heap_trace *trace)
{
	u32 cpu;

	for (cpu = 0; cpu < trace->nr_cpus; cpu++)
		hyp_free(trace->bpages[cpu]);
	hyp_free(trace);
}

static long __hypmem_heap_trace_load(u64 nr_pages)
{
	u32 nr_cpus = hyp_nr_cpus ? (u32)hyp_nr_cpus : 1, cpu, i;
	struct hyp_heap_trace *trace;
	long err = 0;

	if (!nr_pages || nr_pages > 1024)
		return -EINVAL;
	if (heap_trace)
		return -EBUSY;
	trace = heap_alloc(sizeof(*trace) + nr_cpus * sizeof(trace->bpages[0]), &err);
	if (!trace)
		return err;
	trace->nr_cpus = nr_cpus;
	trace->nr_pages = (u32)nr_pages;
	for (cpu = 0; cpu < nr_cpus; cpu++) {
		struct hyp_heap_bpage *b = heap_alloc(nr_pages * sizeof(*b), &err);

		if (!b) {
			heap_trace_free(trace);
			return err;
		}
		/* A ring: each descriptor links to its neighbours. */
		for (i = 0; i < nr_pages; i++) {
			b[i].next = &b[(i + 1) % nr_pages];
			b[i].prev = &b[(i + nr_pages - 1) % nr_pages];
			b[i].id = i;
		}
		trace->bpages[cpu] = b;
	}
	heap_trace = trace;
	return 0;
}

static long __hypmem_heap_trace_unload(void)
{
	if (!heap_trace)
		return -ENOENT;
	heap_trace_free(heap_trace);
	heap_trace = NULL;
	return 0;
}

bool hyp_heap_hcall(struct kvm_cpu_context *host_ctxt)
{
	u64 id = cpu_reg(host_ctxt, 0) - KVM_HOST_SMCCC_ID(0);
	u64 a1 = cpu_reg(host_ctxt, 1);
	long ret;

	switch (id) {
	case __KVM_HOST_SMCCC_FUNC___pkvm_hyp_topup:
		handle___pkvm_hyp_topup(host_ctxt);
		goto done;
	case __KVM_HOST_SMCCC_FUNC___pkvm_hyp_reclaim:
		handle___pkvm_hyp_reclaim(host_ctxt);
		goto done;
	case __KVM_HOST_SMCCC_FUNC___pkvm_hyp_reclaimable:
		handle___pkvm_hyp_reclaimable(host_ctxt);
		goto done;
	case __KVM_HOST_SMCCC_FUNC___hypmem_heap_init_vm:
		ret = __hypmem_heap_init_vm(a1);
		break;
	case __KVM_HOST_SMCCC_FUNC___hypmem_heap_init_vcpu:
		ret = __hypmem_heap_init_vcpu(a1);
		break;
	case __KVM_HOST_SMCCC_FUNC___hypmem_heap_teardown_vm:
		ret = __hypmem_heap_teardown_vm(a1);
		break;
	case __KVM_HOST_SMCCC_FUNC___hypmem_heap_trace_load:
		ret = __hypmem_heap_trace_load(a1);
		break;
	case __KVM_HOST_SMCCC_FUNC___hypmem_heap_trace_unload:
		ret = __hypmem_heap_trace_unload();
		break;
	default:
		return false;
	}
	errno_to_smccc(ret, host_ctxt);
done:
	cpu_reg(host_ctxt, 0) = SMCCC_RET_SUCCESS;
	return true;
}
