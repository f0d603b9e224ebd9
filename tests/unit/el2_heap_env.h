/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A native stage for the EL2 heap allocator, shared by tests/unit/el2_alloc.c
 * and el2_heap_decode.c (included once per test binary; everything static).
 *
 * "RAM" is a memfd mapped shared at a host address that plays physical
 * RAM_PA; host pointers into it are hyp linear VAs.  The hyp private VA
 * range is a PROT_NONE host reservation: mapping a private page (the heap,
 * the vmemmap, the host driver's fixmap slot) maps the memfd page of its PA
 * there (lib/el2/host/alias.c), so the heap VA and the linear map alias the
 * same bytes, and touching an unmapped heap page faults, as at EL2.
 *
 * RAM layout (pages from RAM_PA):
 *   [0, VMEMMAP_PAGES)            vmemmap backing, mapped at __hyp_vmemmap
 *   [POOL_FIRST, +POOL_PAGES)     hpool: hyp stage-1 table pages
 *   [HOST_FIRST, RAM_PAGES)       host pages, donated to the heap on topup
 */
#ifndef EL2_HEAP_ENV_H
#define EL2_HEAP_ENV_H

#include <sys/mman.h> /* the memfd playing RAM and its aliases */
#include <unistd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "el2/alloc.h"
#include "el2/gfp.h"
#include "el2/hyp_req.h"
#include "el2/mm.h"
#include "el2/setup.h"
#include "el2_arch.h"

#define RAM_PA	      0x40000000ULL
#define RAM_SIZE      (256ULL << 20)
#define RAM_PAGES     (RAM_SIZE >> PAGE_SHIFT)
#define VMEMMAP_PAGES ((RAM_PAGES * sizeof(struct hyp_page) + PAGE_SIZE - 1) >> PAGE_SHIFT)
#define POOL_FIRST    VMEMMAP_PAGES
#define POOL_PAGES    2048ULL
#define HOST_FIRST    (POOL_FIRST + POOL_PAGES)
#define PRIV_SIZE     (4ULL << 30)
#define VMEMMAP_OFF   (3ULL << 30) /* __hyp_vmemmap, from the private base */

static int env_fd = -1;
static uint8_t *env_ram;  /* the hyp linear map of RAM */
static uint8_t *env_priv; /* the private VA reservation */
static struct kvm_pgtable_mm_ops env_mm_ops;

static inline void *env_zalloc_page(void *arg)
{
	void *p = hyp_alloc_pages(&hpool, 0);

	(void)arg;
	if (p)
		memset(p, 0, PAGE_SIZE);
	return p;
}

static inline void env_get_page(void *addr)
{
	hyp_get_page(&hpool, addr);
}

static inline void env_put_page(void *addr)
{
	hyp_put_page(&hpool, addr);
}

static inline void env_die(const char *what)
{
	perror(what);
	abort();
}

/* Map the vmemmap entries of RAM at their private VAs, backed by RAM's first pages. */
static inline void env_map_vmemmap(void)
{
	u64 first = (u64)__hyp_vmemmap + (RAM_PA >> PAGE_SHIFT) * sizeof(struct hyp_page);
	u64 start = ALIGN_DOWN(first, PAGE_SIZE);

	if (arch_private_va_alias(start, RAM_PA, VMEMMAP_PAGES << PAGE_SHIFT))
		env_die("vmemmap alias");
}

/*
 * Fresh RAM, pool, hyp stage-1 and an empty heap of @heap_size bytes at the
 * start of the private range.  Returns the heap's start.
 */
static inline unsigned long env_setup(size_t heap_size)
{
	u64 first;

	if (env_fd < 0) {
		env_fd = memfd_create("hypmem-ram", MFD_CLOEXEC);
		if (env_fd < 0 || ftruncate(env_fd, RAM_SIZE))
			env_die("memfd");
		env_ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, env_fd, 0);
		env_priv = mmap(NULL, PRIV_SIZE + SZ_2M, PROT_NONE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (env_ram == MAP_FAILED || env_priv == MAP_FAILED)
			env_die("mmap");
		env_priv = (uint8_t *)ALIGN((u64)env_priv, SZ_2M);
	} else {
		/* Drop every private mapping and zero RAM. */
		mmap(env_priv, PRIV_SIZE, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
		if (ftruncate(env_fd, 0) || ftruncate(env_fd, RAM_SIZE))
			env_die("ftruncate");
	}
	host_alias_ram(env_fd, env_ram, RAM_PA, RAM_SIZE);
	hyp_physvirt_offset = (s64)(RAM_PA - (u64)env_ram);
	hyp_memory[0].base = RAM_PA;
	hyp_memory[0].size = RAM_SIZE;
	hyp_memblock_nr = 1;
	hyp_mem_base = RAM_PA + (POOL_FIRST << PAGE_SHIFT);
	hyp_mem_size = POOL_PAGES << PAGE_SHIFT;
	pkvm_private_va_init((u64)env_priv, (u64)env_priv + VMEMMAP_OFF);
	env_map_vmemmap();

	memset(&hpool, 0, sizeof(hpool));
	if (hyp_pool_init(&hpool, (RAM_PA >> PAGE_SHIFT) + POOL_FIRST, POOL_PAGES, 0))
		env_die("hyp_pool_init");
	env_mm_ops = (struct kvm_pgtable_mm_ops){
	    .zalloc_page = env_zalloc_page,
	    .get_page = env_get_page,
	    .put_page = env_put_page,
	    .page_count = hyp_page_count,
	    .phys_to_virt = hyp_phys_to_virt,
	    .virt_to_phys = hyp_virt_to_phys,
	};
	memset(&pkvm_pgtable, 0, sizeof(pkvm_pgtable));
	hyp_spin_lock_init(&pkvm_pgd_lock);
	if (kvm_pgtable_hyp_init(&pkvm_pgtable, 48, &env_mm_ops))
		env_die("kvm_pgtable_hyp_init");
	/* The vmemmap, as the decoder will look for it. */
	first = (u64)__hyp_vmemmap + (RAM_PA >> PAGE_SHIFT) * sizeof(struct hyp_page);
	if (kvm_pgtable_hyp_map(&pkvm_pgtable, ALIGN_DOWN(first, PAGE_SIZE),
				VMEMMAP_PAGES << PAGE_SHIFT, RAM_PA, PAGE_HYP))
		env_die("vmemmap mapping");

	if (heap_size && hyp_alloc_init(heap_size))
		env_die("hyp_alloc_init");
	hyp_heap_users_init();
	return (unsigned long)hyp_allocator.start;
}

/* PA of host page @i (the host's pages follow the pool). */
static inline phys_addr_t env_host_page(unsigned long i)
{
	return RAM_PA + ((HOST_FIRST + i) << PAGE_SHIFT);
}

#define ENV_HOST_PAGES (RAM_PAGES - HOST_FIRST)

/*
 * A host memcache of @n pages starting at host page *@next, built as the
 * host builds it (links written through the host's view: natively, RAM).
 */
static inline void env_host_mc(struct kvm_hyp_memcache *mc, unsigned long n, unsigned long *next)
{
	memset(mc, 0, sizeof(*mc));
	while (n--) {
		phys_addr_t pa = env_host_page((*next)++);

		if (*next > ENV_HOST_PAGES)
			abort();
		push_hyp_memcache(mc, hyp_phys_to_virt(pa), hyp_virt_to_phys);
	}
}

/* Top the heap up with @n fresh host pages. */
static inline int env_topup(unsigned long n, unsigned long *next)
{
	struct kvm_hyp_memcache mc;

	env_host_mc(&mc, n, next);
	return hyp_alloc_topup(&mc);
}

#endif /* EL2_HEAP_ENV_H */
