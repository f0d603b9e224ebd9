/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Entry of a secondary CPU, started by PSCI CPU_ON (smp.c): at EL2, MMU
 * off, at this code's physical address, x0 = the context id, which is the
 * PA of the CPU's struct hyp_secondary_boot:
 *
 *	0 MAIR_EL2   8 TCR_EL2   16 TTBR0_EL2   24 SCTLR_EL2
 *	32 VBAR_EL2 (hyp VA)   40 SP (hyp VA)   48 CPU number   56 entry (hyp VA)
 *
 * All copied from the boot CPU, so the secondary turns its MMU on with the
 * same tables (pkvm_pgtable), through which this section is identity-mapped
 * (.hyp.idmap.text, as the kernel's __hyp_idmap_text), then moves to its
 * stack and jumps to the hyp VA of hyp_secondary_main(cpu).  TPIDR_EL2
 * holds the CPU number (el2/percpu.h).  Everything is loaded from the
 * struct before the MMU goes on: its PA is not mapped afterwards.
 */
#include "el2_arch.h"

#define SCTLR_EL2_RES1	0x30c50830

	.section .hyp.idmap.text, "ax"
	.globl	__hyp_secondary_entry
	.type	__hyp_secondary_entry, %function
__hyp_secondary_entry:
	msr	daifset, #0xf
	ldr	x1, =SCTLR_EL2_RES1
	msr	sctlr_el2, x1
	isb

	ldp	x1, x2, [x0]			/* MAIR, TCR */
	ldp	x3, x4, [x0, #16]		/* TTBR0, SCTLR */
	ldp	x5, x6, [x0, #32]		/* VBAR, SP */
	ldp	x7, x8, [x0, #48]		/* CPU, entry */

	msr	tpidr_el2, x7
	msr	mair_el2, x1
	msr	tcr_el2, x2
	msr	ttbr0_el2, x3
	isb
	tlbi	alle2
	dsb	nsh
	isb
	msr	sctlr_el2, x4
	isb

	msr	vbar_el2, x5
	mov	sp, x6
	mov	x0, x7
	mov	x29, xzr
	mov	x30, xzr
	isb
	br	x8
	.size	__hyp_secondary_entry, . - __hyp_secondary_entry
	.ltorg
