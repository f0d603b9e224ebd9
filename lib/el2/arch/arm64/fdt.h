/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A minimal, bounds-checked flattened device tree reader: what the EL2
 * image needs to learn RAM and CPUs from QEMU's DTB.  Functions return 0 or
 * a negative errno on malformed input; they never read past totalsize.
 */
#ifndef EL2_ARM64_FDT_H
#define EL2_ARM64_FDT_H

#include "el2/types.h"

int fdt_check(const void *fdt, size_t max);
int fdt_memory_range(const void *fdt, u64 *base, u64 *size);
int fdt_cpu_count(const void *fdt);

#endif
