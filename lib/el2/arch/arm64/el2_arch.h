/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * aarch64 EL2 primitives used by the generic core, and the image's fixed
 * addresses.  The native build has its own el2_arch.h (lib/el2/host/).
 */
#ifndef EL2_ARCH_ARM64_H
#define EL2_ARCH_ARM64_H

/* Link address of the image (a kernel-image VA) and where QEMU loads it. */
#define KIMAGE_VADDR 0xffff800080000000UL
#define KIMAGE_LOAD_PA 0x40200000UL

/* QEMU virt platform devices. */
#define VIRT_UART_PA   0x09000000UL
#define VIRT_FW_CFG_PA 0x09020000UL
#define VIRT_RAM_BASE  0x40000000UL

#define HYP_VA_BITS 48

#ifndef __ASSEMBLY__
static inline void arch_dsb_ish(void)
{
	__asm__ volatile("dsb ish" ::: "memory");
}

static inline void arch_dsb_ishst(void)
{
	__asm__ volatile("dsb ishst" ::: "memory");
}

static inline void arch_isb(void)
{
	__asm__ volatile("isb" ::: "memory");
}

static inline void arch_tlbi_vae2is(unsigned long va)
{
	__asm__ volatile("dsb ishst\n\ttlbi vae2is, %0\n\tdsb ish\n\tisb" ::"r"(va >> 12)
			 : "memory");
}

/* Every stage-1 and stage-2 entry of the current VMID (the host's). */
static inline void arch_tlbi_s2_all(void)
{
	__asm__ volatile("dsb ishst\n\ttlbi vmalls12e1is\n\tdsb ish\n\tisb" ::: "memory");
}

/*
 * Private hyp VAs need nothing beyond the stage-1 entry here: the MMU
 * follows it.  (The native build mirrors them with host mappings.)
 */
static inline int arch_private_va_alias(unsigned long va, unsigned long phys, unsigned long size)
{
	(void)va;
	(void)phys;
	(void)size;
	return 0;
}

static inline void arch_private_va_unalias(unsigned long va, unsigned long size)
{
	(void)va;
	(void)size;
}

#define read_sysreg(r)                                                         \
	({                                                                     \
		unsigned long __v;                                             \
		__asm__ volatile("mrs %0, " #r : "=r"(__v));                   \
		__v;                                                           \
	})
#define write_sysreg(v, r) __asm__ volatile("msr " #r ", %0" ::"r"((unsigned long)(v)))
#endif

#endif /* EL2_ARCH_ARM64_H */
