/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The host -> EL2 hypercall ABI (asm/kvm_asm.h in the kernel): an SMCCC
 * fast call in the vendor-hypervisor range, function id in x0, arguments in
 * x1..x3; EL2 answers x0 = SMCCC_RET_SUCCESS and the function's result in x1
 * (a negative errno or a value).  Shared by EL2 and the EL1 host payload.
 *
 * The ids are ours; the names are the kernel's, except __hypmem_*, which
 * only the hypmem host uses (end of the host workload, report an EL1
 * exception).
 */
#ifndef EL2_KVM_ASM_H
#define EL2_KVM_ASM_H

#include "el2/types.h"

#define ARM_SMCCC_FAST_CALL	   (1U << 31)
#define ARM_SMCCC_SMC_64	   (1U << 30)
#define ARM_SMCCC_OWNER_VENDOR_HYP 6U
#define KVM_HOST_SMCCC_ID(id)                                                                      \
	(ARM_SMCCC_FAST_CALL | ARM_SMCCC_SMC_64 | (ARM_SMCCC_OWNER_VENDOR_HYP << 24) | (id))
#define KVM_HOST_SMCCC_FUNC(name) KVM_HOST_SMCCC_ID(__KVM_HOST_SMCCC_FUNC_##name)

#define SMCCC_RET_SUCCESS	0UL
#define SMCCC_RET_NOT_SUPPORTED (~0UL)

enum __kvm_host_smccc_func {
	__KVM_HOST_SMCCC_FUNC___pkvm_host_share_hyp = 1,
	__KVM_HOST_SMCCC_FUNC___pkvm_host_unshare_hyp,
	__KVM_HOST_SMCCC_FUNC___pkvm_host_donate_hyp,
	__KVM_HOST_SMCCC_FUNC___pkvm_init_vm,
	__KVM_HOST_SMCCC_FUNC___pkvm_host_donate_guest,
	__KVM_HOST_SMCCC_FUNC___pkvm_teardown_vm,
	__KVM_HOST_SMCCC_FUNC___pkvm_reclaim_dying_guest_page,
	__KVM_HOST_SMCCC_FUNC___hypmem_host_exit,
	__KVM_HOST_SMCCC_FUNC___hypmem_host_panic,
	__KVM_HOST_SMCCC_FUNC___pkvm_host_share_guest, /* layout 8 */
	__KVM_HOST_SMCCC_NR_FUNCS
};

/* The host's registers while it is in EL2 (kvm_cpu_context, GPRs only). */
struct kvm_cpu_context {
	u64 regs[31];
};
#define cpu_reg(ctxt, r) ((ctxt)->regs[r])

/*
 * handle_host_hcall() - Run the host's hypercall in @host_ctxt.
 *
 * Return: 0 to resume the host, 1 when the host asked to stop
 * (__hypmem_host_exit).
 */
int handle_host_hcall(struct kvm_cpu_context *host_ctxt);

#endif /* EL2_KVM_ASM_H */
