/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Secondary CPUs of the hypmem image (smp.c): started through PSCI, they run
 * their share of the workload in the SMP phase (el2/smp_workload.h).
 *
 * Sequence on the boot CPU (hyp_main()):
 *   hyp_smp_boot()      after the hyp page table and tracing are set up:
 *                       CPU_ON every CPU of the DTB; they wait;
 *   ...                 the single-CPU workloads and the EL1 host;
 *   hyp_smp_run()       the SMP phase on every online CPU, then the check
 *                       that the pools are as before (panics if not);
 *   hyp_smp_release()   after the ground truth: secondaries park (wfi) or,
 *                       in live mode, run their streams forever.
 */
#ifndef EL2_ARM64_SMP_H
#define EL2_ARM64_SMP_H

#include "el2/types.h"

void hyp_smp_boot(void);
void hyp_smp_run(void);
void hyp_smp_release(bool live);
unsigned int hyp_smp_nr_online(void);

#endif
