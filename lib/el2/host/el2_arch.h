/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Native shim for the EL2 core: barriers become compiler fences and TLB
 * maintenance does nothing, because natively no MMU walks these tables.
 */
#ifndef EL2_ARCH_HOST_H
#define EL2_ARCH_HOST_H

static inline void arch_dsb_ish(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline void arch_dsb_ishst(void)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void arch_isb(void)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static inline void arch_tlbi_vae2is(unsigned long va)
{
	(void)va;
}

#endif /* EL2_ARCH_HOST_H */
