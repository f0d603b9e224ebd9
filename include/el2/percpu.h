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

/*
 * Per-CPU variables the way the kernel's hyp object has them, for state a
 * host reads from memory (the trace rings): DEFINE_PER_CPU() puts the
 * variable in the hyp's per-CPU section, [__per_cpu_start, __per_cpu_end),
 * which is only a template.  The host gives each CPU a copy of it and
 * records the copy's host linear-map address in kvm_arm_hyp_percpu_base[cpu];
 * CPU n's instance of a variable is at the same offset from its copy as the
 * template variable is from __per_cpu_start, so a reader of a dump finds it
 * from the two symbols and that array alone.
 *
 * Only zero-initialised variables: copies start zeroed, the template's
 * bytes are never copied.  The section is "hyp_percpu": the image's linker
 * script places it (with the zeroes, at the end of .bss) and names its
 * bounds; natively the linker names them (__start_/__stop_ of a section
 * whose name is an identifier).
 */
#ifdef EL2_ARCH_HOST_H
#define __per_cpu_start __start_hyp_percpu
#define __per_cpu_end	__stop_hyp_percpu
#endif
extern char __per_cpu_start[], __per_cpu_end[];

#define DEFINE_PER_CPU(type, name) __attribute__((section("hyp_percpu"))) __typeof__(type) name

#define HYP_PERCPU_SIZE PAGE_SIZE /* bytes of each CPU's copy */

/* Host linear-map addresses of each CPU's copy; 0: no copy (CPU absent). */
extern unsigned long kvm_arm_hyp_percpu_base[HYP_MAX_CPUS];
/* Hyp VA of CPU n's copy minus __per_cpu_start. */
extern unsigned long hyp_percpu_offset[HYP_MAX_CPUS];

/* @cpu's instance of the per-CPU variable at @ptr (its template address). */
#define per_cpu_ptr(ptr, cpu) ((__typeof__(ptr))((unsigned long)(ptr) + hyp_percpu_offset[cpu]))

/*
 * hyp_percpu_init() - Play the host: @pages (hyp VA, @nr_cpus times
 * HYP_PERCPU_SIZE bytes of host memory the hyp maps) become the zeroed
 * per-CPU copies of CPUs 0..@nr_cpus-1, published in
 * kvm_arm_hyp_percpu_base[].  Return: 0, or -EINVAL when @nr_cpus is out of
 * range or the section is larger than a copy.
 */
int hyp_percpu_init(void *pages, unsigned int nr_cpus);

#endif /* EL2_PERCPU_H */
