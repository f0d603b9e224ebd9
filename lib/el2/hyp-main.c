// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host hypercalls (nvhe/hyp-main.c in the kernel): one handler per function
 * id, each reading its arguments from the saved host registers and leaving
 * its result in x1.  The arch code (arch/arm64/host_boot.c) decodes the
 * trap and calls handle_host_hcall() for an HVC.
 */
#include "el2/kvm_asm.h"
#include "el2/mem_protect.h"
#include "el2/pkvm.h"
#include "el2/printk.h"

#define DECLARE_REG(type, name, ctxt, reg) type name = (type)cpu_reg(ctxt, (reg))

static void handle___pkvm_host_share_hyp(struct kvm_cpu_context *host_ctxt)
{
	DECLARE_REG(u64, pfn, host_ctxt, 1);

	cpu_reg(host_ctxt, 1) = (u64)(long)__pkvm_host_share_hyp(pfn);
}

static void handle___pkvm_host_unshare_hyp(struct kvm_cpu_context *host_ctxt)
{
	DECLARE_REG(u64, pfn, host_ctxt, 1);

	cpu_reg(host_ctxt, 1) = (u64)(long)__pkvm_host_unshare_hyp(pfn);
}

static void handle___pkvm_host_donate_hyp(struct kvm_cpu_context *host_ctxt)
{
	DECLARE_REG(u64, pfn, host_ctxt, 1);
	DECLARE_REG(u64, nr_pages, host_ctxt, 2);

	cpu_reg(host_ctxt, 1) = (u64)(long)__pkvm_host_donate_hyp(pfn, nr_pages);
}

static void handle___pkvm_init_vm(struct kvm_cpu_context *host_ctxt)
{
	DECLARE_REG(u64, pfn, host_ctxt, 1);
	DECLARE_REG(u64, nr_pages, host_ctxt, 2);

	cpu_reg(host_ctxt, 1) = (u64)__pkvm_init_vm(pfn, nr_pages);
}

static void handle___pkvm_host_donate_guest(struct kvm_cpu_context *host_ctxt)
{
	DECLARE_REG(pkvm_handle_t, handle, host_ctxt, 1);
	DECLARE_REG(u64, pfn, host_ctxt, 2);
	DECLARE_REG(u64, nr_pages, host_ctxt, 3);

	cpu_reg(host_ctxt, 1) = (u64)(long)__pkvm_host_donate_guest(handle, pfn, nr_pages);
}

static void handle___pkvm_teardown_vm(struct kvm_cpu_context *host_ctxt)
{
	DECLARE_REG(pkvm_handle_t, handle, host_ctxt, 1);

	cpu_reg(host_ctxt, 1) = (u64)(long)__pkvm_teardown_vm(handle);
}

static void handle___pkvm_reclaim_dying_guest_page(struct kvm_cpu_context *host_ctxt)
{
	DECLARE_REG(pkvm_handle_t, handle, host_ctxt, 1);
	DECLARE_REG(u64, pfn, host_ctxt, 2);
	DECLARE_REG(u64, nr_pages, host_ctxt, 3);

	cpu_reg(host_ctxt, 1) = (u64)(long)__pkvm_reclaim_dying_guest_page(handle, pfn, nr_pages);
}

#if HYP_PAGE_LAYOUT == 8
static void handle___pkvm_host_share_guest(struct kvm_cpu_context *host_ctxt)
{
	DECLARE_REG(pkvm_handle_t, handle, host_ctxt, 1);
	DECLARE_REG(u64, pfn, host_ctxt, 2);

	cpu_reg(host_ctxt, 1) = (u64)(long)__pkvm_host_share_guest(handle, pfn);
}
#endif

/*
 * A switch of calls rather than the kernel's table of function pointers:
 * the image runs at two addresses that differ from its link address, so it
 * must not hold link-time pointers in data (check-image.sh), and a switch
 * that returned function pointers would be turned into exactly such a table.
 */
#define HANDLE_FUNC(x)                                                                             \
	case __KVM_HOST_SMCCC_FUNC_##x:                                                            \
		handle_##x(host_ctxt);                                                             \
		return true

static bool host_hcall(u64 id, struct kvm_cpu_context *host_ctxt)
{
	switch (id) {
		HANDLE_FUNC(__pkvm_host_share_hyp);
		HANDLE_FUNC(__pkvm_host_unshare_hyp);
		HANDLE_FUNC(__pkvm_host_donate_hyp);
		HANDLE_FUNC(__pkvm_init_vm);
		HANDLE_FUNC(__pkvm_host_donate_guest);
		HANDLE_FUNC(__pkvm_teardown_vm);
		HANDLE_FUNC(__pkvm_reclaim_dying_guest_page);
#if HYP_PAGE_LAYOUT == 8
		HANDLE_FUNC(__pkvm_host_share_guest);
#endif
	default:
		return false;
	}
}

int handle_host_hcall(struct kvm_cpu_context *host_ctxt)
{
	DECLARE_REG(u64, fn, host_ctxt, 0);
	u64 id = fn - KVM_HOST_SMCCC_ID(0);

	if (id == __KVM_HOST_SMCCC_FUNC___hypmem_host_exit)
		return 1;
	if (id == __KVM_HOST_SMCCC_FUNC___hypmem_host_panic) {
		hyp_printf("HYPMEM-PANIC host exception %llu: ESR_EL1 0x%llx ELR_EL1 0x%llx "
			   "FAR_EL1 0x%llx\n",
			   (unsigned long long)cpu_reg(host_ctxt, 1),
			   (unsigned long long)cpu_reg(host_ctxt, 2),
			   (unsigned long long)cpu_reg(host_ctxt, 3),
			   (unsigned long long)cpu_reg(host_ctxt, 4));
		hyp_panic_str("the host took an exception at EL1");
	}
	cpu_reg(host_ctxt, 0) = SMCCC_RET_SUCCESS;
	if (!host_hcall(id, host_ctxt))
		cpu_reg(host_ctxt, 0) = SMCCC_RET_NOT_SUPPORTED;
	return 0;
}
