/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Entering and trapping from the EL1 host (nvhe/host.S in the kernel).
 *
 * __host_enter(ctxt) saves EL2's callee-saved registers, stack pointer and
 * VBAR_EL2, installs __kvm_hyp_host_vector, loads the host's x0..x30 from
 * @ctxt and ERETs (ELR_EL2/SPSR_EL2 were set by the caller).  Every trap
 * from the host saves x0..x30 into host_cpu_ctxt and calls handle_trap();
 * a zero return resumes the host, non-zero makes __host_enter() return to
 * its caller, as if the whole host run had been one function call.
 *
 * Traps run on the EL2 stack below __host_enter's frame, so nothing the
 * caller saved is overwritten.  Everything here is PC-relative: it runs at
 * hyp VAs.
 */
#include "el2_arch.h"

#define CTXT_SIZE	(31 * 8)
#define SAVED_SP	(12 * 8)
#define SAVED_VBAR	(13 * 8)

	.macro	adr_l, reg, sym
	adrp	\reg, \sym
	add	\reg, \reg, :lo12:\sym
	.endm

	.text
	.globl	__host_enter
__host_enter:
	adr_l	x1, hyp_saved_ctxt
	stp	x19, x20, [x1, #0]
	stp	x21, x22, [x1, #16]
	stp	x23, x24, [x1, #32]
	stp	x25, x26, [x1, #48]
	stp	x27, x28, [x1, #64]
	stp	x29, x30, [x1, #80]
	mov	x2, sp
	str	x2, [x1, #SAVED_SP]
	mrs	x2, vbar_el2
	str	x2, [x1, #SAVED_VBAR]
	adr_l	x2, __kvm_hyp_host_vector
	msr	vbar_el2, x2
	isb
	b	__host_restore_and_eret

/* x0: the context to load.  Clobbers everything. */
__host_restore_and_eret:
	ldp	x2, x3, [x0, #16]
	ldp	x4, x5, [x0, #32]
	ldp	x6, x7, [x0, #48]
	ldp	x8, x9, [x0, #64]
	ldp	x10, x11, [x0, #80]
	ldp	x12, x13, [x0, #96]
	ldp	x14, x15, [x0, #112]
	ldp	x16, x17, [x0, #128]
	ldp	x18, x19, [x0, #144]
	ldp	x20, x21, [x0, #160]
	ldp	x22, x23, [x0, #176]
	ldp	x24, x25, [x0, #192]
	ldp	x26, x27, [x0, #208]
	ldp	x28, x29, [x0, #224]
	ldr	x30, [x0, #240]
	ldp	x0, x1, [x0, #0]
	eret

__host_trap:
	stp	x0, x1, [sp, #-16]!
	adr_l	x0, host_cpu_ctxt
	stp	x2, x3, [x0, #16]
	stp	x4, x5, [x0, #32]
	stp	x6, x7, [x0, #48]
	stp	x8, x9, [x0, #64]
	stp	x10, x11, [x0, #80]
	stp	x12, x13, [x0, #96]
	stp	x14, x15, [x0, #112]
	stp	x16, x17, [x0, #128]
	stp	x18, x19, [x0, #144]
	stp	x20, x21, [x0, #160]
	stp	x22, x23, [x0, #176]
	stp	x24, x25, [x0, #192]
	stp	x26, x27, [x0, #208]
	stp	x28, x29, [x0, #224]
	str	x30, [x0, #240]
	ldp	x2, x3, [sp], #16
	stp	x2, x3, [x0, #0]
	bl	handle_trap
	cbnz	x0, __host_exit
	adr_l	x0, host_cpu_ctxt
	b	__host_restore_and_eret

/* Back into __host_enter's caller, with EL2's own vectors again. */
__host_exit:
	adr_l	x1, hyp_saved_ctxt
	ldr	x2, [x1, #SAVED_VBAR]
	msr	vbar_el2, x2
	isb
	ldr	x2, [x1, #SAVED_SP]
	mov	sp, x2
	ldp	x19, x20, [x1, #0]
	ldp	x21, x22, [x1, #16]
	ldp	x23, x24, [x1, #32]
	ldp	x25, x26, [x1, #48]
	ldp	x27, x28, [x1, #64]
	ldp	x29, x30, [x1, #80]
	mov	x0, #0
	ret

__host_bad_vector:
	mrs	x1, esr_el2
	mrs	x2, elr_el2
	mrs	x3, far_el2
	b	hyp_bad_exception

	.macro	host_vector, target, type
	.balign	0x80
	.if	\type >= 0
	mov	x0, #\type
	.endif
	b	\target
	.endm

	/* Current EL (SP0, SPx): EL2 itself faulted; lower EL: the host. */
	.balign	0x800
	.globl	__kvm_hyp_host_vector
__kvm_hyp_host_vector:
	host_vector __host_bad_vector, 0
	host_vector __host_bad_vector, 1
	host_vector __host_bad_vector, 2
	host_vector __host_bad_vector, 3
	host_vector __host_bad_vector, 4
	host_vector __host_bad_vector, 5
	host_vector __host_bad_vector, 6
	host_vector __host_bad_vector, 7
	host_vector __host_trap, -1
	host_vector __host_bad_vector, 9
	host_vector __host_bad_vector, 10
	host_vector __host_bad_vector, 11
	host_vector __host_bad_vector, 12
	host_vector __host_bad_vector, 13
	host_vector __host_bad_vector, 14
	host_vector __host_bad_vector, 15

	.bss
	.balign	16
	.globl	host_cpu_ctxt
host_cpu_ctxt:
	.space	CTXT_SIZE + 8
hyp_saved_ctxt:
	.space	14 * 8
