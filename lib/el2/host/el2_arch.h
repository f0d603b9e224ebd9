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

static inline void arch_tlbi_s2_all(void)
{
}

/*
 * No MMU walks pkvm_pgtable natively, so a private hyp VA (the heap range)
 * would not reach the page the table points it at.  When a test declares
 * its "RAM" to be a shared memory file (host_alias_ram(), alias.c), these
 * mirror every private mapping with a host mapping of the same file pages,
 * so the heap VA and the linear map alias the same memory, as at EL2.
 * Without a declared RAM they do nothing.
 */
int arch_private_va_alias(unsigned long va, unsigned long phys, unsigned long size);
void arch_private_va_unalias(unsigned long va, unsigned long size);
/* @fd backs @ram, which plays physical [@phys, @phys + @size); fd < 0: none. */
void host_alias_ram(int fd, void *ram, unsigned long phys, unsigned long size);

#endif /* EL2_ARCH_HOST_H */
