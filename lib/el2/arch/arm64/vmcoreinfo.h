/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VMCOREINFO, as Linux publishes it: an ELF note "VMCOREINFO" whose text is
 * KEY=VALUE lines, handed to QEMU through fw_cfg "etc/vmcoreinfo" (needs
 * -device vmcoreinfo).  dump-guest-memory then puts it in both the ELF and
 * the kdump-compressed dumps.  Value formats follow the kernel's.
 */
#ifndef EL2_ARM64_VMCOREINFO_H
#define EL2_ARM64_VMCOREINFO_H

#include "el2/types.h"

void vmcoreinfo_append(const char *fmt, ...) __attribute__((__format__(__printf__, 1, 2)));
void vmcoreinfo_symbol(const char *name, u64 addr);	 /* SYMBOL(name)=%lx */
void vmcoreinfo_number(const char *name, s64 value);	 /* NUMBER(name)=%ld */
void vmcoreinfo_number_hex(const char *name, u64 value); /* NUMBER(name)=0x%llx */
int vmcoreinfo_publish(void);

#endif
