/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-CPU variables, reduced to what the EL2 core needs: an array with one
 * slot per CPU, indexed by the current CPU, so that code reads as it does
 * upstream ("this_cpu_ptr(a->errno)").
 *
 * The current CPU is the logical number in TPIDR_EL2: 0 on the boot CPU
 * (start.S), the number PSCI CPU_ON was given for a secondary
 * (arch/arm64/smp.c).  Natively (unit tests) it is a per-thread variable,
 * so threads play CPUs (lib/el2/host/trace_host.c).
 */
#ifndef EL2_PERCPU_H
#define EL2_PERCPU_H

#include "el2_arch.h"

#define HYP_MAX_CPUS 8

#ifdef EL2_ARCH_HOST_H
extern __thread unsigned int host_cpu_id;

static inline unsigned int hyp_smp_processor_id(void)
{
	return host_cpu_id;
}
#else
static inline unsigned int hyp_smp_processor_id(void)
{
	return (unsigned int)read_sysreg(tpidr_el2);
}
#endif

/* @base points at an array of HYP_MAX_CPUS elements. */
#define this_cpu_ptr(base) (&(base)[hyp_smp_processor_id()])

#endif /* EL2_PERCPU_H */
