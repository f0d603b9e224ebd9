// SPDX-License-Identifier: GPL-2.0-only
/*
 * The EL1 host: turning on its stage-2 and dropping to it, and what EL2
 * does with its traps (nvhe/hyp-main.c's handle_trap()).
 *
 * The host runs with its own MMU off, so its virtual addresses are its
 * IPAs, which the host stage-2 maps one to one.  Its code and stack are in
 * the image (host_payload.c, linked into their own section after the hyp's
 * data), in pages EL2 never maps, so they are the host's like any RAM.
 */
#include "el2/kvm_asm.h"
#include "el2/mem_protect.h"
#include "el2/printk.h"
#include "el2_arch.h"
#include "host_boot.h"

#define HCR_VM	BIT(0)
#define HCR_RW	BIT(31)
#define HCR_APK BIT(40)
#define HCR_API BIT(41)

/* EL1h, D, A, I and F masked. */
#define PSR_MODE_EL1h_DAIF 0x3c5

/* SCTLR_EL1 RES1 bits, MMU and caches off, I-cache on. */
#define SCTLR_EL1_HOST 0x30d01800UL

#define ESR_ELx_EC(esr)	      (((esr) >> 26) & 0x3f)
#define ESR_ELx_EC_HVC64      0x16
#define ESR_ELx_EC_IABT_LOW   0x20
#define ESR_ELx_EC_DABT_LOW   0x24
#define ESR_ELx_FSC_TYPE(esr) ((esr)&0x3c)
#define ESR_ELx_FSC_FAULT     0x04 /* translation fault, any level */

extern struct kvm_cpu_context host_cpu_ctxt;
extern char __host_el1_vectors[];
int __host_enter(struct kvm_cpu_context *ctxt);
int handle_trap(struct kvm_cpu_context *host_ctxt);

static int handle_host_abort(u64 esr)
{
	u64 far = read_sysreg(far_el2);
	u64 addr = ((read_sysreg(hpfar_el2) >> 4) << PAGE_SHIFT) | (far & ~PAGE_MASK);
	int ret;

	if (ESR_ELx_FSC_TYPE(esr) != ESR_ELx_FSC_FAULT) {
		hyp_printf("HYPMEM-PANIC host abort ESR 0x%llx at IPA 0x%llx (not a translation "
			   "fault)\n",
			   (unsigned long long)esr, (unsigned long long)addr);
		hyp_panic_str("unexpected host abort");
	}
	ret = handle_host_mem_abort(addr);
	if (ret) {
		hyp_printf("HYPMEM-PANIC host access to IPA 0x%llx (PC 0x%llx): %d\n",
			   (unsigned long long)addr, (unsigned long long)read_sysreg(elr_el2), ret);
		hyp_panic_str("host stage-2 fault not handled");
	}
	return 0;
}

/* Called from __kvm_hyp_host_vector; 0 resumes the host, 1 ends its run. */
int handle_trap(struct kvm_cpu_context *host_ctxt)
{
	u64 esr = read_sysreg(esr_el2);

	switch (ESR_ELx_EC(esr)) {
	case ESR_ELx_EC_HVC64:
		return handle_host_hcall(host_ctxt);
	case ESR_ELx_EC_IABT_LOW:
	case ESR_ELx_EC_DABT_LOW:
		return handle_host_abort(esr);
	default:
		hyp_printf("HYPMEM-PANIC host trap ESR 0x%llx ELR 0x%llx\n",
			   (unsigned long long)esr, (unsigned long long)read_sysreg(elr_el2));
		hyp_panic_str("unexpected host trap");
	}
}

int pkvm_host_run(const struct host_boot_args *args)
{
	struct kvm_cpu_context *ctxt = &host_cpu_ctxt;
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(ctxt->regs); i++)
		cpu_reg(ctxt, i) = 0;
	cpu_reg(ctxt, 0) = args->ram_base;
	cpu_reg(ctxt, 1) = args->ram_size;
	cpu_reg(ctxt, 2) = args->free_start;
	cpu_reg(ctxt, 3) = args->free_end;
	cpu_reg(ctxt, 4) = args->reserved_start;
	cpu_reg(ctxt, 5) = args->reserved_end;
	cpu_reg(ctxt, 6) = args->seed;
	cpu_reg(ctxt, 7) = args->rounds;

	/* Pages lent to EL2 before the host ran (trace buffers) are shared. */
	if (args->shared_end > args->shared_start) {
		ret = host_stage2_mark_shared(args->shared_start,
					      args->shared_end - args->shared_start);
		if (ret)
			return ret;
	}

	write_sysreg(host_mmu.arch.vtcr, vtcr_el2);
	write_sysreg(host_mmu.arch.mmu.pgd_phys, vttbr_el2);
	write_sysreg(HCR_RW | HCR_VM | HCR_API | HCR_APK, hcr_el2);
	arch_isb();
	arch_tlbi_s2_all();

	write_sysreg(SCTLR_EL1_HOST, sctlr_el1);
	write_sysreg(__hyp_pa(__host_el1_vectors), vbar_el1);
	write_sysreg(__hyp_pa(&__host_stack[HOST_STACK_WORDS]), sp_el1);
	write_sysreg(PSR_MODE_EL1h_DAIF, spsr_el2);
	write_sysreg(__hyp_pa(host_main), elr_el2);
	arch_isb();

	ret = __host_enter(ctxt);

	/* The host is gone for good: stage-2 off again. */
	write_sysreg(HCR_RW, hcr_el2);
	arch_isb();
	return ret ? ret : (int)cpu_reg(ctxt, 1);
}
