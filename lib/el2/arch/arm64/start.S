/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Entry at EL2 with the MMU off, at the image's physical load address.
 *
 *  1. refuse to run anywhere but EL2;
 *  2. boot stack, zeroed .bss, exception vectors;
 *  3. hyp_early_init() (C, MMU off): RAM from the DTB, workload arguments
 *     from fw_cfg, the hyp VA tag, and a temporary table that maps the
 *     image both at its PA (idmap) and at its hyp linear VA;
 *  4. MMU on, then jump to the hyp VA of hyp_main() with SP moved likewise.
 *
 * This section is identity-mapped in pkvm_pgtable too, as the kernel's
 * __hyp_idmap_text is.
 */
#include "el2_arch.h"

#define SCTLR_EL2_RES1	0x30c50830
#define SCTLR_ELx_M	(1 << 0)
#define SCTLR_ELx_C	(1 << 2)
#define SCTLR_ELx_I	(1 << 12)

	.macro	adr_l, reg, sym
	adrp	\reg, \sym
	add	\reg, \reg, :lo12:\sym
	.endm

	.section .hyp.idmap.text, "ax"
	.globl	_start
_start:
	mov	x20, x0				/* DTB pointer, if the loader gave one */
	mrs	x9, CurrentEL
	lsr	x9, x9, #2
	cmp	x9, #2
	b.eq	1f
	/* Not at EL2: say so on the UART (MMU is off, PA works) and stop. */
	mov	x1, #VIRT_UART_PA
	adr_l	x2, not_el2_msg
0:	ldrb	w3, [x2], #1
	cbz	w3, 9f
	strb	w3, [x1]
	b	0b
9:	wfi
	b	9b

1:	msr	daifset, #0xf
	msr	tpidr_el2, xzr			/* CPU 0 (el2/percpu.h) */
	ldr	x0, =SCTLR_EL2_RES1
	msr	sctlr_el2, x0
	isb

	adr_l	x0, __boot_stack_end
	mov	sp, x0

	adr_l	x0, __bss_start
	adr_l	x1, __bss_end
2:	cmp	x0, x1
	b.hs	3f
	stp	xzr, xzr, [x0], #16
	b	2b

3:	adr_l	x0, __hyp_vectors
	msr	vbar_el2, x0
	isb

	mov	x0, x20
	bl	hyp_early_init			/* returns TTBR0 for the temporary table */

	/* MAIR: attr0 normal WBWA, attr1 device-nGnRE. */
	mov	x1, #0x04ff
	msr	mair_el2, x1
	mrs	x2, id_aa64mmfr0_el1
	and	x2, x2, #7			/* PARange -> TCR_EL2.PS */
	/* TCR_EL2: RES1 bits 31 and 23, PS, SH0 inner, WBWA walks, T0SZ=16. */
	mov	x1, #(16 | (1 << 8) | (1 << 10) | (3 << 12))
	orr	x1, x1, x2, lsl #16
	orr	x1, x1, #(1 << 23)
	orr	x1, x1, #(1 << 31)
	msr	tcr_el2, x1
	msr	ttbr0_el2, x0
	isb
	tlbi	alle2
	dsb	ish
	isb
	ldr	x0, =(SCTLR_EL2_RES1 | SCTLR_ELx_M | SCTLR_ELx_C | SCTLR_ELx_I)
	msr	sctlr_el2, x0
	isb

	/* Now at PA through the idmap; move PC, SP and VBAR to the hyp VA. */
	adr_l	x1, hyp_physvirt_offset
	ldr	x1, [x1]
	mov	x2, sp
	sub	x2, x2, x1
	mov	sp, x2
	adr_l	x0, __hyp_vectors
	sub	x0, x0, x1
	msr	vbar_el2, x0
	adr_l	x0, hyp_main
	sub	x0, x0, x1
	isb
	br	x0

	/*
	 * Exception vectors: every entry reports and stops.  Nothing at EL2
	 * here is expected to take an exception.
	 */
	.macro	vector, type
	.balign	0x80
	mov	x0, #\type
	b	__hyp_bad_exception
	.endm

	.balign	0x800
__hyp_vectors:
	.irp	t, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vector	\t
	.endr

__hyp_bad_exception:
	mrs	x1, esr_el2
	mrs	x2, elr_el2
	mrs	x3, far_el2
	b	hyp_bad_exception

	.section .rodata
not_el2_msg:
	.asciz	"HYPMEM-PANIC not running at EL2 (QEMU needs -M virt,virtualization=on)\r\n"

	.section .bss
	.balign	16
__boot_stack:
	.space	16384
__boot_stack_end:
