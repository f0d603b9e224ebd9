/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A decoder target over the EL2 core's state built natively in a test.
 *
 * The EL2 core runs in this process: a host buffer plays physical RAM at
 * @ram_pa, and host pointers are hyp VAs (hyp_physvirt_offset = RAM PA -
 * buffer address).  The decoder reads it back through a memory source with
 * this very binary as the "vmlinux": its DWARF describes the structs the
 * core used and its symbols locate the core's globals.  The binary's data
 * pages are a second segment, placed where the hyp linear map says they
 * are, so kimage_voffset = -hyp_physvirt_offset; KERNELOFFSET is the load
 * bias of this PIE, measured on one symbol (@anchor at @anchor_addr).
 *
 * [@hole_start, @hole_end) is cut out of RAM when not empty, to test what
 * the decoder does with bytes the dump lacks.  Included by the el2_* tests
 * that decode; needs test.h, hypmem/target.h and el2/memory.h before it.
 */
#ifndef HYPMEM_TEST_NATIVE_TARGET_H
#define HYPMEM_TEST_NATIVE_TARGET_H

extern char __data_start[], _end[];

/* As native_target_open(), the target borrowing @borrow (this binary's DWARF) if not NULL. */
static inline struct hypmem_target *native_target_open_dw(const void *ram, u64 ram_pa, u64 ram_size,
							  const char *anchor,
							  const void *anchor_addr, u64 hole_start,
							  u64 hole_end, struct hypmem_dwarf *borrow)
{
	struct hypmem_target_config cfg = {.vmlinux = borrow ? NULL : "/proc/self/exe",
					   .dwarf = borrow};
	struct hypmem_segment segs[3];
	const void *data[3];
	struct hypmem_dwarf *dw;
	struct hypmem_source *src;
	struct hypmem_target *t = NULL;
	uint64_t anchor_elf;
	char vmcoreinfo[256];
	u64 data_va = (u64)__data_start & PAGE_MASK;
	size_t n = 0;

	if (!CHECK_NO_ERR(hypmem_dwarf_open("/proc/self/exe", &dw)))
		return NULL;
	if (!CHECK_NO_ERR(hypmem_dwarf_find_symbol(dw, anchor, &anchor_elf, NULL))) {
		hypmem_dwarf_destroy(dw);
		return NULL;
	}
	hypmem_dwarf_destroy(dw);
	if (hole_end > hole_start) {
		segs[n] =
		    (struct hypmem_segment){.phys_start = ram_pa, .size = hole_start - ram_pa};
		data[n++] = ram;
		segs[n] = (struct hypmem_segment){.phys_start = hole_end,
						  .size = ram_pa + ram_size - hole_end};
		data[n++] = (const uint8_t *)ram + (hole_end - ram_pa);
	} else {
		segs[n] = (struct hypmem_segment){.phys_start = ram_pa, .size = ram_size};
		data[n++] = ram;
	}
	segs[n] = (struct hypmem_segment){.phys_start = data_va + (u64)hyp_physvirt_offset,
					  .size = PAGE_ALIGN((u64)_end) - data_va};
	data[n++] = (void *)data_va;
	snprintf(vmcoreinfo, sizeof(vmcoreinfo),
		 "OSRELEASE=native-L%d\nPAGESIZE=4096\nNUMBER(kimage_voffset)=0x%llx\n"
		 "KERNELOFFSET=%llx\n",
		 HYP_PAGE_LAYOUT, (unsigned long long)-(u64)hyp_physvirt_offset,
		 (unsigned long long)((u64)anchor_addr - anchor_elf));
	if (!CHECK_NO_ERR(hypmem_source_create_memory(segs, data, n, vmcoreinfo, &src)))
		return NULL;
	if (!CHECK_NO_ERR(hypmem_target_open_source(&cfg, src, &t)))
		return NULL;
	return t;
}

static inline struct hypmem_target *native_target_open(const void *ram, u64 ram_pa, u64 ram_size,
						       const char *anchor, const void *anchor_addr,
						       u64 hole_start, u64 hole_end)
{
	return native_target_open_dw(ram, ram_pa, ram_size, anchor, anchor_addr, hole_start,
				     hole_end, NULL);
}

#endif /* HYPMEM_TEST_NATIVE_TARGET_H */
