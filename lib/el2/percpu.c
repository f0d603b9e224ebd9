// SPDX-License-Identifier: GPL-2.0-only
/*
 * The hyp's per-CPU copies (el2/percpu.h).  Upstream the host allocates
 * them and the hypervisor maps them; here the code playing the host passes
 * pages it mapped into the hyp linear map, and its record of them,
 * kvm_arm_hyp_percpu_base[], holds what a host kernel would: linear-map
 * addresses.  The image's VMCOREINFO gives that linear map (PAGE_OFFSET from
 * VA_BITS, PHYS_OFFSET the start of RAM), so a dump reader turns them into
 * physical addresses as it does for a real kernel.
 */
#include "el2/mm.h"
#include "el2/percpu.h"
#include "el2/string.h"

unsigned long kvm_arm_hyp_percpu_base[HYP_MAX_CPUS];
unsigned long hyp_percpu_offset[HYP_MAX_CPUS];

static unsigned long host_linear_address(void *copy)
{
#ifdef EL2_ARCH_HOST_H
	return (unsigned long)copy; /* natively the host is this process */
#else
	return hyp_virt_to_phys(copy) - hyp_memory[0].base - (1UL << HYP_VA_BITS);
#endif
}

int hyp_percpu_init(void *pages, unsigned int nr_cpus)
{
	unsigned long size = (unsigned long)(__per_cpu_end - __per_cpu_start);
	unsigned int cpu;

	if (!nr_cpus || nr_cpus > HYP_MAX_CPUS || size > HYP_PERCPU_SIZE)
		return -EINVAL;
	memset(kvm_arm_hyp_percpu_base, 0, sizeof(kvm_arm_hyp_percpu_base));
	for (cpu = 0; cpu < nr_cpus; cpu++) {
		u8 *copy = (u8 *)pages + (unsigned long)cpu * HYP_PERCPU_SIZE;

		memset(copy, 0, HYP_PERCPU_SIZE);
		hyp_percpu_offset[cpu] = (unsigned long)copy - (unsigned long)__per_cpu_start;
		kvm_arm_hyp_percpu_base[cpu] = host_linear_address(copy);
	}
	return 0;
}
