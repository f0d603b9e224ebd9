/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PSCI calls from EL2 (psci.c).  Under QEMU's virt machine with
 * virtualization=on and no EL3 firmware, QEMU itself implements PSCI and
 * takes the calls through the SMC conduit (the DTB's /psci says
 * method = "smc"): an SMC at EL2 is the call.
 */
#ifndef EL2_ARM64_PSCI_H
#define EL2_ARM64_PSCI_H

#include "el2/types.h"

#define PSCI_0_2_FN_PSCI_VERSION    0x84000000U
#define PSCI_0_2_FN64_CPU_ON	    0xc4000003U
#define PSCI_0_2_FN64_AFFINITY_INFO 0xc4000004U

#define PSCI_RET_SUCCESS	  0
#define PSCI_RET_NOT_SUPPORTED	  -1
#define PSCI_RET_INVALID_PARAMS	  -2
#define PSCI_RET_DENIED		  -3
#define PSCI_RET_ALREADY_ON	  -4
#define PSCI_RET_ON_PENDING	  -5
#define PSCI_RET_INTERNAL_FAILURE -6

/* One SMC with function id @fn and three arguments; returns x0. */
long psci_call(u32 fn, u64 arg0, u64 arg1, u64 arg2);

/* Start the CPU @mpidr at physical @entry, MMU off, at EL2, x0 = @context_id. */
int psci_cpu_on(u64 mpidr, phys_addr_t entry, u64 context_id);

/* Major << 16 | minor, or a negative PSCI error. */
long psci_version(void);

#endif
