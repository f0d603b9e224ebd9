/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Running the EL1 host (host_boot.c): stage-2 on, drop to EL1, handle its
 * traps until it says it is done.  The host itself is host_payload.c.
 */
#ifndef EL2_ARM64_HOST_BOOT_H
#define EL2_ARM64_HOST_BOOT_H

#include "el2/types.h"

/* What the host is told at entry, in x0..x7 (host_main()'s arguments). */
struct host_boot_args {
	u64 ram_base, ram_size;
	u64 free_start, free_end;	  /* memory the host may use and give away */
	u64 reserved_start, reserved_end; /* ... except this (lent elsewhere) */
	u64 shared_start, shared_end;	  /* pages EL2 maps that the host lent it */
	u64 seed;
	u64 rounds; /* guest lifetimes to play */
};

/* The host's stack, in the payload's section. */
#define HOST_STACK_WORDS 2048
extern u64 __host_stack[HOST_STACK_WORDS];

/* Implemented by the payload; runs at EL1. */
void host_main(u64 ram_base, u64 ram_size, u64 free_start, u64 free_end, u64 reserved_start,
	       u64 reserved_end, u64 seed, u64 rounds) __noreturn;

/* Run the host to completion; returns its exit code (0: ran to the end). */
int pkvm_host_run(const struct host_boot_args *args);

#endif /* EL2_ARM64_HOST_BOOT_H */
