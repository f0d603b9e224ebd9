/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The heap's host interface (the hypervisor heap series, see alloc.h):
 * requests from EL2 to the host in the SMCCC result registers, and the
 * calls the host answers them with.
 *
 * A call that needs heap memory and finds the allocator's memcache empty
 * fails with -ENOMEM and a PKVM_HYP_REQ_HYP_ALLOC request saying how many
 * pages are missing (errno_to_smccc()).  The host donates that many pages
 * with __pkvm_hyp_topup and issues the call again.  __pkvm_hyp_reclaimable
 * and __pkvm_hyp_reclaim let a host shrinker take unused pages back, at most
 * PKVM_HYP_RECLAIM_BATCH per call.
 *
 * The heap's users here are stand-ins for the series' own: VM and vCPU
 * state of the sizes of pkvm_hyp_vm and pkvm_hyp_vcpu, and tracing page
 * descriptors, created and destroyed by the __hypmem_heap_* calls, which
 * only the hypmem host uses.  (The protected-VM code, pkvm.c, still takes
 * its metadata from donated pages; moving it onto the heap is patches 15
 * and 16 of the series.)
 *
 * Calls arrive in a struct kvm_cpu_context (kvm_asm.h) through
 * hyp_heap_hcall(), with their own function ids (below), so that they can
 * be routed from handle_host_hcall() without sharing its enum.
 */
#ifndef EL2_HYP_REQ_H
#define EL2_HYP_REQ_H

#include "el2/kvm_asm.h"
#include "el2/memcache.h"

enum pkvm_hyp_req_type {
	PKVM_HYP_NO_REQ,
	PKVM_HYP_REQ_HYP_ALLOC,
	PKVM_HYP_REQ_HYP_ALLOC_SELFTEST,
	__PKVM_HYP_REQ_TYPE_MAX,
};

/*
 * struct pkvm_hyp_req - copied raw into the result registers from byte 0
 * of x2: for PKVM_HYP_REQ_HYP_ALLOC, x2 = type | nr_pages << 8.
 */
struct pkvm_hyp_req {
	u8 type;
	union {
		struct {
			u32 nr_pages;
		} __attribute__((__packed__)) mem;
		u8 args[15];
	};
} __attribute__((__packed__));

enum pkvm_topup_id {
	PKVM_TOPUP_HYP_ALLOC,
	PKVM_TOPUP_HYP_ALLOC_SELFTEST,
	NR_PKVM_TOPUP_HYP_IDS,
};

#define PKVM_HYP_RECLAIM_BATCH 16

/* Function ids of the heap calls, above those of kvm_asm.h. */
enum hyp_heap_smccc_func {
	__KVM_HOST_SMCCC_FUNC___pkvm_hyp_topup = 0x40,
	__KVM_HOST_SMCCC_FUNC___pkvm_hyp_reclaim,
	__KVM_HOST_SMCCC_FUNC___pkvm_hyp_reclaimable,
	__KVM_HOST_SMCCC_FUNC___hypmem_heap_init_vm,
	__KVM_HOST_SMCCC_FUNC___hypmem_heap_init_vcpu,
	__KVM_HOST_SMCCC_FUNC___hypmem_heap_teardown_vm,
	__KVM_HOST_SMCCC_FUNC___hypmem_heap_trace_load,
	__KVM_HOST_SMCCC_FUNC___hypmem_heap_trace_unload,
};

/* --- the heap's users (stand-ins, see above) --- */

#define HYP_HEAP_MAX_VMS   16
#define HYP_HEAP_MAX_VCPUS 8
#define HYP_HEAP_HANDLE	   0x100
#define NR_SYS_REGS	   160

/* FP/SIMD registers: 16-byte aligned, which MIN_ALLOC_SIZE keeps. */
struct user_fpsimd_state {
	u64 vregs[64] __aligned(16);
	u32 fpsr;
	u32 fpcr;
	u32 __reserved[2];
};

struct hyp_heap_vm;

/* Sized like pkvm_hyp_vcpu: GPRs, FP/SIMD, system registers. */
struct hyp_heap_vcpu {
	struct hyp_heap_vm *vm;
	u32 vcpu_idx;
	u32 flags;
	u64 regs[31];
	u64 sp, pc, pstate;
	struct user_fpsimd_state fp_regs;
	u64 sys_regs[NR_SYS_REGS];
};

/* Sized like pkvm_hyp_vm: a header and one pointer per vCPU. */
struct hyp_heap_vm {
	u32 handle;
	u32 nr_vcpus;
	u32 nr_vcpus_inited;
	u32 refcount;
	u64 vtcr;
	struct hyp_heap_vcpu *vcpus[];
};

/* One ring-buffer page as the tracing code tracks it (simple_buffer_page). */
struct hyp_heap_bpage {
	struct hyp_heap_bpage *next, *prev;
	void *page;
	u64 entries;
	u32 write;
	u32 id;
};

/* Tracing metadata: a descriptor array per CPU. */
struct hyp_heap_trace {
	u32 nr_cpus;
	u32 nr_pages;
	struct hyp_heap_bpage *bpages[];
};

/** hyp_heap_vm_size() - Bytes allocated for a VM with @nr_vcpus. */
static inline size_t hyp_heap_vm_size(unsigned int nr_vcpus)
{
	return sizeof(struct hyp_heap_vm) + nr_vcpus * sizeof(struct hyp_heap_vcpu *);
}

/**
 * hyp_heap_hcall() - Run the heap call in @host_ctxt (x0 = KVM_HOST_SMCCC_ID
 * of an enum hyp_heap_smccc_func id, arguments in x1..x3).
 *
 * Return: false if x0 is not a heap call (nothing changed), true otherwise:
 * x0 = SMCCC_RET_SUCCESS, x1 = the result (0, a value, or -errno), and for
 * -ENOMEM x2 = a struct pkvm_hyp_req when the host must top up first.
 */
bool hyp_heap_hcall(struct kvm_cpu_context *host_ctxt);

/** hyp_heap_users_init() - Forget every user object (a fresh heap follows). */
void hyp_heap_users_init(void);

/** hyp_heap_vm_get() - The VM of @handle, or NULL (checks and ground truth). */
struct hyp_heap_vm *hyp_heap_vm_get(u32 handle);
/** hyp_heap_trace_get() - The loaded tracing metadata, or NULL. */
struct hyp_heap_trace *hyp_heap_trace_get(void);

#endif /* EL2_HYP_REQ_H */
