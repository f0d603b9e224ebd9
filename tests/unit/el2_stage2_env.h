/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A native host stage-2 for tests (el2_stage2.c, el2_stage2_decode.c) and
 * the stage-2 fuzz harness: the EL2 core's own code, over a host buffer
 * playing RAM.
 *
 * Physical layout, with RAM at S2ENV_RAM_PA (1 GiB) of S2ENV_RAM_SIZE:
 *   [vmemmap backing][hpool][host_s2_pool][the host's memory ...]
 * The vmemmap entries of RAM land at the start of the buffer, so their hyp
 * VA is also the linear VA of the backing pages: the hyp stage-1 maps that
 * range once and it serves as both (hyp_physvirt_offset = PA - buffer).
 * The pools are linear-mapped too, as the kernel's carve-out is, so
 * fix_host_ownership() annotates all of it PKVM_ID_HYP.  pkvm_pgtable's
 * pages come from hpool with proper refcounts from the start.
 *
 * RAM is an anonymous mapping; only the pages the tests touch cost memory,
 * so it can be 2 GiB and hold a whole 1 GiB block.
 */
#ifndef EL2_STAGE2_ENV_H
#define EL2_STAGE2_ENV_H

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "el2/gfp.h"
#include "el2/mem_protect.h"
#include "el2/mm.h"
#include "el2/pkvm.h"
#include "el2/setup.h"
#include "el2/string.h"

/*
 * Pages a VM's metadata takes: layout 8 also builds the VM's guest stage-2
 * from them (its pool), so it needs room for a few tables.
 */
#if HYP_PAGE_LAYOUT == 8
#define S2ENV_VM_PAGES(n) ((n) + 24)
#else
#define S2ENV_VM_PAGES(n) (n)
#endif

#define S2ENV_RAM_PA	   0x40000000ULL
#define S2ENV_RAM_SIZE	   (2ULL << 30)
#define S2ENV_HPOOL_PAGES  1024
#define S2ENV_S2POOL_PAGES 1024

struct s2env {
	u8 *ram;
	u64 vmemmap_pages;
	u64 hpool_pfn, s2pool_pfn;
	u64 host_first_pfn; /* first page nobody but the host owns */
};

static struct kvm_pgtable_mm_ops s2env_hyp_mm_ops;

static void *s2env_hyp_zalloc(void *arg)
{
	void *p = hyp_alloc_pages(&hpool, 0);

	(void)arg;
	if (p)
		memset(p, 0, PAGE_SIZE);
	return p;
}

static void s2env_hyp_get(void *addr)
{
	hyp_get_page(&hpool, (void *)((u64)addr & PAGE_MASK));
}

static void s2env_hyp_put(void *addr)
{
	hyp_put_page(&hpool, (void *)((u64)addr & PAGE_MASK));
}

/*
 * s2env_init() - Build the state; @ipa_bits 0 means 48 (from a PARange of
 * 48 bits), otherwise the host stage-2's IPA size.  @s2pool_pages sizes
 * host_s2_pool.  Returns 0 or a negative errno from the EL2 core.
 */
static int s2env_init(struct s2env *e, u32 ipa_bits, unsigned int s2pool_pages)
{
	u64 ram_pfn = S2ENV_RAM_PA >> PAGE_SHIFT;
	u64 vmemmap_bytes = (S2ENV_RAM_SIZE >> PAGE_SHIFT) * sizeof(struct hyp_page);
	int ret;

	if (!e->ram) {
		u8 *p = mmap(NULL, S2ENV_RAM_SIZE + (2 << 20), PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (p == MAP_FAILED)
			abort();
		e->ram = (u8 *)ALIGN((u64)p, 2ULL << 20);
	} else {
		/* Give the touched pages back: a fresh, zeroed RAM. */
		madvise(e->ram, S2ENV_RAM_SIZE, MADV_DONTNEED);
	}
	hyp_physvirt_offset = (s64)(S2ENV_RAM_PA - (u64)e->ram);
	memset(hyp_memory, 0, sizeof(hyp_memory));
	hyp_memory[0].base = S2ENV_RAM_PA;
	hyp_memory[0].size = S2ENV_RAM_SIZE;
	hyp_memblock_nr = 1;
	__hyp_vmemmap = (u64)e->ram - ram_pfn * sizeof(struct hyp_page);

	e->vmemmap_pages = PAGE_ALIGN(vmemmap_bytes) >> PAGE_SHIFT;
	e->hpool_pfn = ram_pfn + e->vmemmap_pages;
	e->s2pool_pfn = e->hpool_pfn + S2ENV_HPOOL_PAGES;
	e->host_first_pfn = e->s2pool_pfn + s2pool_pages;
	memset(&hpool, 0, sizeof(hpool));
	memset(&host_s2_pool, 0, sizeof(host_s2_pool));
	if (hyp_pool_init(&hpool, e->hpool_pfn, S2ENV_HPOOL_PAGES, 0) ||
	    hyp_pool_init(&host_s2_pool, e->s2pool_pfn, s2pool_pages, 0))
		return -EINVAL;

	s2env_hyp_mm_ops = (struct kvm_pgtable_mm_ops){
	    .zalloc_page = s2env_hyp_zalloc,
	    .get_page = s2env_hyp_get,
	    .put_page = s2env_hyp_put,
	    .page_count = hyp_page_count,
	    .phys_to_virt = hyp_phys_to_virt,
	    .virt_to_phys = hyp_virt_to_phys,
	};
	memset(&pkvm_pgtable, 0, sizeof(pkvm_pgtable));
	hyp_spin_lock_init(&pkvm_pgd_lock);
	ret = kvm_pgtable_hyp_init(&pkvm_pgtable, 48, &s2env_hyp_mm_ops);
	if (ret)
		return ret;
	/* vmemmap backing and both pools: the "carve-out", linear-mapped. */
	ret = pkvm_create_mappings(e->ram, e->ram + ((e->host_first_pfn - ram_pfn) << PAGE_SHIFT),
				   PAGE_HYP);
	if (ret)
		return ret;

	memset(&host_mmu, 0, sizeof(host_mmu));
#if HYP_PAGE_LAYOUT == 8
	if (vm_table)
		memset(vm_table, 0, PAGE_SIZE);
#else
	memset(vm_table, 0, sizeof(vm_table));
#endif
	memset(&pkvm_vm_stats, 0, sizeof(pkvm_vm_stats));
	id_aa64mmfr0_el1_sys_val = 5; /* PARange: 48 bits */
	hyp_host_ipa_bits = ipa_bits;
	ret = kvm_host_prepare_stage2();
	if (ret)
		return ret;
	return fix_host_ownership();
}

static inline u64 s2env_pa(u64 off)
{
	return S2ENV_RAM_PA + off;
}

#endif /* EL2_STAGE2_ENV_H */
