/* SPDX-License-Identifier: GPL-2.0-only */
/* Tracing set-up and live mode of the hypmem image (trace_boot.c). */
#ifndef EL2_ARM64_TRACE_BOOT_H
#define EL2_ARM64_TRACE_BOOT_H

#include "el2/trace.h"
#include "el2/types.h"

struct workload;

extern phys_addr_t hyp_trace_area_pa;
extern u64 hyp_trace_area_bytes;

void hyp_trace_boot(phys_addr_t carveout);
void hyp_trace_idle(struct workload *wl) __noreturn;

#endif
