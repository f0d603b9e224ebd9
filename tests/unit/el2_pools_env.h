/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The EL2 core's page allocator state built natively, as the decoder tests
 * and the decoder fuzz harness both need it: 32 MiB of "RAM" (by default) at PA
 * 0x40000000 (a host buffer; host pointers are hyp VAs), the vmemmap at its
 * start mapped through a real hyp stage-1 (pkvm_pgtable), then hpool and
 * host_s2_pool churned by the workload, which checks itself.
 */
#ifndef HYPMEM_TEST_EL2_POOLS_ENV_H
#define HYPMEM_TEST_EL2_POOLS_ENV_H

/* A user may shrink the state (the fuzz harness: less to scan per input). */
#ifndef POOLS_ENV_RAM_MIB
#define POOLS_ENV_RAM_MIB     32
#define POOLS_ENV_POOL1_PAGES 1500
#define POOLS_ENV_POOL2_PAGES 1030
#endif

#define RAM_PA	  0x40000000ULL
#define RAM_SIZE  ((u64)POOLS_ENV_RAM_MIB << 20)
#define RAM_PAGES (RAM_SIZE >> PAGE_SHIFT)

struct pools_env {
	u8 *ram; /* RAM_SIZE bytes, 2 MiB aligned; kept across builds */
	struct workload wl;
	u64 s1_first_pfn, pool1_pfn, pool2_pfn;
	unsigned int pool1_pages, pool2_pages;
};

static inline void pools_env_build(struct pools_env *e, u64 seed)
{
	u64 vmemmap_bytes = RAM_PAGES * sizeof(struct hyp_page);
	u64 vmemmap_pages = PAGE_ALIGN(vmemmap_bytes) >> PAGE_SHIFT;

	if (!e->ram && posix_memalign((void **)&e->ram, 2 << 20, RAM_SIZE))
		abort();
	memset(e->ram, 0, RAM_SIZE);
	hyp_physvirt_offset = (s64)(RAM_PA - (u64)e->ram);
	hyp_memory[0].base = RAM_PA;
	hyp_memory[0].size = RAM_SIZE;
	hyp_memblock_nr = 1;

	/* The vmemmap lives at the start of RAM, reached through stage-1. */
	__hyp_vmemmap = (u64)e->ram - (RAM_PA >> PAGE_SHIFT) * sizeof(struct hyp_page);
	e->s1_first_pfn = (RAM_PA >> PAGE_SHIFT) + vmemmap_pages;
	hyp_early_alloc_init(e->ram + (vmemmap_pages << PAGE_SHIFT), 64 * PAGE_SIZE);
	memset(&pkvm_pgtable, 0, sizeof(pkvm_pgtable));
	if (kvm_pgtable_hyp_init(&pkvm_pgtable, 48, &hyp_early_alloc_mm_ops))
		abort();
	hyp_spin_lock_init(&pkvm_pgd_lock);
	if (kvm_pgtable_hyp_map(&pkvm_pgtable, (u64)e->ram, PAGE_ALIGN(vmemmap_bytes), RAM_PA,
				PAGE_HYP))
		abort();

	e->pool1_pages = POOLS_ENV_POOL1_PAGES;
	e->pool2_pages = POOLS_ENV_POOL2_PAGES;
	e->pool1_pfn = e->s1_first_pfn + 64;
	e->pool2_pfn = e->pool1_pfn + e->pool1_pages + 3;
	memset(&hpool, 0, sizeof(hpool));
	memset(&host_s2_pool, 0, sizeof(host_s2_pool));
	if (hyp_pool_init(&hpool, e->pool1_pfn, e->pool1_pages, 5) ||
	    hyp_pool_init(&host_s2_pool, e->pool2_pfn, e->pool2_pages, 0))
		abort();
	workload_init(&e->wl, seed, 8000);
	workload_add_pool(&e->wl, "hpool", &hpool);
	workload_add_pool(&e->wl, "host_s2_pool", &host_s2_pool);
	workload_run(&e->wl);
	if (workload_verify(&e->wl))
		abort();
}

#endif /* HYPMEM_TEST_EL2_POOLS_ENV_H */
