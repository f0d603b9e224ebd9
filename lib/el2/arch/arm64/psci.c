// SPDX-License-Identifier: GPL-2.0-only
/*
 * PSCI through the SMC conduit (see psci.h).  SMC Calling Convention:
 * function id in w0, arguments in x1..x3, result in x0; x0..x17 may be
 * clobbered by the callee.
 */
#include "psci.h"

long psci_call(u32 fn, u64 arg0, u64 arg1, u64 arg2)
{
	register u64 x0 __asm__("x0") = fn;
	register u64 x1 __asm__("x1") = arg0;
	register u64 x2 __asm__("x2") = arg1;
	register u64 x3 __asm__("x3") = arg2;

	__asm__ volatile("smc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
			 :
			 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
			   "x15", "x16", "x17", "memory");
	return (long)x0;
}

int psci_cpu_on(u64 mpidr, phys_addr_t entry, u64 context_id)
{
	return (int)psci_call(PSCI_0_2_FN64_CPU_ON, mpidr, entry, context_id);
}

long psci_version(void)
{
	return psci_call(PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0);
}
