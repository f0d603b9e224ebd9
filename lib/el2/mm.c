// SPDX-License-Identifier: GPL-2.0-only
/*
 * The hyp stage-1 address space: linear mappings, private VA range,
 * vmemmap backing, and the sizing helpers for the carve-out.
 */
#include "el2/gfp.h"
#include "el2/mm.h"
#include "el2/string.h"
#include "el2_arch.h"

/* The hyp stage-1 and its lock; the lock also guards the private VA cursor. */
struct kvm_pgtable pkvm_pgtable;
hyp_spinlock_t pkvm_pgd_lock;

/* hyp VA = PA - hyp_physvirt_offset, for the whole hyp linear map. */
s64 hyp_physvirt_offset;

/* RAM as the host described it at boot: sorted, disjoint regions. */
struct memblock_region hyp_memory[HYP_MEMBLOCK_REGIONS];
unsigned int hyp_memblock_nr;

/* Private VAs are handed out upwards from __io_map_base, never returned. */
u64 __io_map_base;
static u64 __io_map_next;

/* Map into the hyp stage-1 for a caller that does not hold pkvm_pgd_lock. */
static int hyp_s1_map(u64 va, u64 size, phys_addr_t pa, enum kvm_pgtable_prot prot)
{
	int ret;

	hyp_spin_lock(&pkvm_pgd_lock);
	ret = kvm_pgtable_hyp_map(&pkvm_pgtable, va, size, pa, prot);
	hyp_spin_unlock(&pkvm_pgd_lock);
	return ret;
}

/* Map the linear-map VAs [from, to), rounded out to pages, at their PAs. */
static int map_linear(void *from, void *to, enum kvm_pgtable_prot prot)
{
	u64 va = ALIGN_DOWN((u64)from, PAGE_SIZE);
	u64 va_end = PAGE_ALIGN((u64)to);

	if (va_end <= va)
		return -EINVAL;
	return kvm_pgtable_hyp_map(&pkvm_pgtable, va, va_end - va, __hyp_pa(va), prot);
}

int pkvm_create_mappings_locked(void *from, void *to, enum kvm_pgtable_prot prot)
{
	hyp_assert_lock_held(&pkvm_pgd_lock);
	return map_linear(from, to, prot);
}

int pkvm_create_mappings(void *from, void *to, enum kvm_pgtable_prot prot)
{
	int ret;

	hyp_spin_lock(&pkvm_pgd_lock);
	ret = map_linear(from, to, prot);
	hyp_spin_unlock(&pkvm_pgd_lock);
	return ret;
}

/* Reserve @size bytes of private VA, page aligned, below __hyp_vmemmap. */
int pkvm_alloc_private_va_range(size_t size, unsigned long *haddr)
{
	u64 base, end;

	hyp_spin_lock(&pkvm_pgd_lock);
	base = __io_map_next;
	end = base + PAGE_ALIGN(size);
	if (end < base || end > __hyp_vmemmap) {
		hyp_spin_unlock(&pkvm_pgd_lock);
		return -ENOMEM;
	}
	__io_map_next = end;
	hyp_spin_unlock(&pkvm_pgd_lock);
	*haddr = base;
	return 0;
}

int __pkvm_create_private_mapping(phys_addr_t phys, size_t size, enum kvm_pgtable_prot prot,
				  unsigned long *haddr)
{
	unsigned long addr;
	int ret;

	size = PAGE_ALIGN(size + (phys & ~PAGE_MASK));
	ret = pkvm_alloc_private_va_range(size, &addr);
	if (ret)
		return ret;

	ret = hyp_s1_map(addr, size, phys, prot);
	if (ret)
		return ret;

	*haddr = addr + (phys & ~PAGE_MASK);
	return 0;
}

/* Map @size bytes of @phys at a private VA that was reserved earlier. */
int pkvm_map_private_va_range(unsigned long va, phys_addr_t phys, size_t size)
{
	int ret;

	if (!IS_ALIGNED(va | phys | size, PAGE_SIZE))
		return -EINVAL;
	if (va < __io_map_base || va + size > __io_map_next)
		return -ERANGE;

	ret = hyp_s1_map(va, size, phys, PAGE_HYP);
	if (!ret)
		ret = arch_private_va_alias(va, phys, size);
	return ret;
}

/*
 * Unmap [from, to), page-rounded.  Only for page-granular mappings: a block
 * in the way is left alone and warned about.
 */
void pkvm_remove_mappings(void *from, void *to)
{
	unsigned long start = ALIGN_DOWN((unsigned long)from, PAGE_SIZE);
	unsigned long end = PAGE_ALIGN((unsigned long)to);
	u64 unmapped;

	if (end <= start)
		return;
	hyp_spin_lock(&pkvm_pgd_lock);
	unmapped = kvm_pgtable_hyp_unmap(&pkvm_pgtable, start, end - start);
	hyp_spin_unlock(&pkvm_pgd_lock);
	WARN_ON(unmapped != end - start);
	if (start >= __io_map_base && end <= __io_map_next)
		arch_private_va_unalias(start, end - start);
}

/* The PA behind a private VA, or 0 when it is not mapped. */
phys_addr_t pkvm_private_va_range_pa(unsigned long va)
{
	kvm_pte_t pte = 0;
	s8 level = 0;

	hyp_spin_lock(&pkvm_pgd_lock);
	kvm_pgtable_get_leaf(&pkvm_pgtable, va, &pte, &level);
	hyp_spin_unlock(&pkvm_pgd_lock);
	if (!kvm_pte_valid(pte))
		return 0;
	return kvm_pte_to_phys(pte) + (va & (kvm_granule_size(level) - 1));
}

/*
 * Back the vmemmap entries of every hyp_memory region with pages taken, in
 * order, from the physically contiguous block at @back.  Neighbouring
 * regions may share a vmemmap page; it is mapped once.
 */
int hyp_back_vmemmap(phys_addr_t back)
{
	u64 prev_end = 0;
	unsigned int i;
	int ret;

	for (i = 0; i < hyp_memblock_nr; i++) {
		struct memblock_region *reg = &hyp_memory[i];
		u64 start = ALIGN_DOWN((u64)hyp_phys_to_page(reg->base), PAGE_SIZE);
		u64 end = PAGE_ALIGN((u64)hyp_phys_to_page(reg->base + reg->size));

		start = max(start, prev_end);
		if (start >= end)
			continue;

		ret = hyp_s1_map(start, end - start, back, PAGE_HYP);
		if (ret)
			return ret;
		/* Zero through the linear alias: the new table is not live yet. */
		memset(hyp_phys_to_virt(back), 0, end - start);
		back += end - start;
		prev_end = end;
	}
	return 0;
}

/*
 * Place the idmap, then derive the private range and the vmemmap from it as
 * the kernel does: the private range is the quarter of the VA space that
 * does not hold the idmap, and the vmemmap sits in its upper half.
 */
int hyp_create_idmap(u32 hyp_va_bits, phys_addr_t idmap_start, phys_addr_t idmap_end)
{
	u64 io_map_base;
	int ret;

	ret = hyp_s1_map(idmap_start, idmap_end - idmap_start, idmap_start, PAGE_HYP_EXEC);
	if (ret)
		return ret;

	io_map_base = (idmap_start & BIT(hyp_va_bits - 2)) ^ BIT(hyp_va_bits - 2);
	pkvm_private_va_init(io_map_base, io_map_base | BIT(hyp_va_bits - 3));
	return 0;
}

void pkvm_private_va_init(u64 io_map_base, u64 vmemmap)
{
	__io_map_base = io_map_base;
	__io_map_next = io_map_base;
	__hyp_vmemmap = vmemmap;
}

/*
 * Table pages needed, at worst, to map @nr_pages with 4K leaves anywhere:
 * each level needs one table page per 512 entries of the level below.
 */
unsigned long __hyp_pgtable_max_pages(unsigned long nr_pages)
{
	unsigned long tables = 0, entries = nr_pages;
	int levels = KVM_PGTABLE_MAX_LEVELS;

	while (levels-- > 0) {
		entries = DIV_ROUND_UP(entries, PTRS_PER_PTE);
		tables += entries;
	}
	return tables;
}

unsigned long __hyp_pgtable_total_pages(void)
{
	unsigned long res = 0;
	unsigned int i;

	for (i = 0; i < hyp_memblock_nr; i++)
		res += __hyp_pgtable_max_pages(hyp_memory[i].size >> PAGE_SHIFT);
	return res;
}

unsigned long hyp_s1_pgtable_pages(void)
{
	/* All of memory, plus 1 GiB of private mappings. */
	return __hyp_pgtable_total_pages() + __hyp_pgtable_max_pages(SZ_1G >> PAGE_SHIFT);
}

unsigned long host_s2_pgtable_pages(void)
{
	/* 16 pages cover the worst concatenated PGD; 1 GiB for MMIO. */
	return __hyp_pgtable_total_pages() + 16 + __hyp_pgtable_max_pages(SZ_1G >> PAGE_SHIFT);
}

unsigned long hyp_vmemmap_pages(size_t vmemmap_entry_size)
{
	unsigned long res = 0;
	u64 prev_end = 0;
	unsigned int i;

	for (i = 0; i < hyp_memblock_nr; i++) {
		u64 first = hyp_memory[i].base >> PAGE_SHIFT;
		u64 last = (hyp_memory[i].base + hyp_memory[i].size) >> PAGE_SHIFT;
		u64 start = ALIGN_DOWN(first * vmemmap_entry_size, PAGE_SIZE);
		u64 end = PAGE_ALIGN(last * vmemmap_entry_size);

		start = max(start, prev_end);
		if (start < end)
			res += (end - start) >> PAGE_SHIFT;
		prev_end = max(prev_end, end);
	}
	return res;
}
