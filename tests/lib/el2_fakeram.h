/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fake RAM for the EL2 core built natively (lib/el2/host): RAM_PAGES pages
 * of physical address RAM_BASE (both defined by the includer), filled with
 * 0xa5 so that nothing relies on zeroed memory, and a zeroed vmemmap for
 * them, wired into hyp_physvirt_offset and __hyp_vmemmap as setup.c would.
 * fake_ram_init() may be called again: it resets both.
 */
#ifndef HYPMEM_TESTS_EL2_FAKERAM_H
#define HYPMEM_TESTS_EL2_FAKERAM_H

#include <stdlib.h>
#include <string.h>

#include "el2/memory.h"

static void *ram;
static struct hyp_page *vmemmap_array;

static void fake_ram_init(void)
{
	if (!ram) {
		if (posix_memalign(&ram, 4 << 20, RAM_PAGES * PAGE_SIZE))
			abort();
		vmemmap_array = calloc(RAM_PAGES, sizeof(struct hyp_page));
		if (!vmemmap_array)
			abort();
	}
	memset(ram, 0xa5, RAM_PAGES * PAGE_SIZE);
	memset(vmemmap_array, 0, RAM_PAGES * sizeof(struct hyp_page));
	hyp_physvirt_offset = (s64)(RAM_BASE - (u64)ram);
	__hyp_vmemmap = (u64)vmemmap_array - (RAM_BASE >> PAGE_SHIFT) * sizeof(struct hyp_page);
}

#endif /* HYPMEM_TESTS_EL2_FAKERAM_H */
