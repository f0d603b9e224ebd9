/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The hyp's own address space: RAM description (hyp_memory), the hyp
 * stage-1 table (pkvm_pgtable), the linear map, the private VA range that
 * grows from __io_map_base up to __hyp_vmemmap, and the vmemmap backing.
 *
 * Hyp VA layout with hyp_va_bits = V (here 48), as the kernel lays it out:
 *   idmap          identity-mapped boot text, below BIT(V-2) here
 *   __io_map_base  = BIT(V-2) flipped against the idmap: private mappings
 *   __hyp_vmemmap  = __io_map_base | BIT(V-3)
 *   linear map     PA - hyp_physvirt_offset, in the top half (BIT(V-1))
 */
#ifndef EL2_MM_H
#define EL2_MM_H

#include "el2/memory.h"
#include "el2/pgtable.h"
#include "el2/spinlock.h"

struct memblock_region {
	phys_addr_t base;
	phys_addr_t size;
	u32 flags;
};

#define HYP_MEMBLOCK_REGIONS 128
extern struct memblock_region hyp_memory[HYP_MEMBLOCK_REGIONS];
extern unsigned int hyp_memblock_nr;

extern struct kvm_pgtable pkvm_pgtable;
extern hyp_spinlock_t pkvm_pgd_lock;
extern u64 __io_map_base;

int hyp_create_idmap(u32 hyp_va_bits, phys_addr_t idmap_start, phys_addr_t idmap_end);
int hyp_back_vmemmap(phys_addr_t back);
int pkvm_create_mappings(void *from, void *to, enum kvm_pgtable_prot prot);
int pkvm_create_mappings_locked(void *from, void *to, enum kvm_pgtable_prot prot);
int pkvm_alloc_private_va_range(size_t size, unsigned long *haddr);
int __pkvm_create_private_mapping(phys_addr_t phys, size_t size, enum kvm_pgtable_prot prot,
				  unsigned long *haddr);
int pkvm_map_private_va_range(unsigned long va, phys_addr_t phys, size_t size);
phys_addr_t pkvm_private_va_range_pa(unsigned long va);
void pkvm_remove_mappings(void *from, void *to);
/* Start the private VA range at @io_map_base, the vmemmap at @vmemmap. */
void pkvm_private_va_init(u64 io_map_base, u64 vmemmap);

/* Sizing of the carve-out (asm/kvm_pkvm.h in the kernel). */
unsigned long __hyp_pgtable_max_pages(unsigned long nr_pages);
unsigned long __hyp_pgtable_total_pages(void);
unsigned long hyp_s1_pgtable_pages(void);
unsigned long host_s2_pgtable_pages(void);
unsigned long hyp_vmemmap_pages(size_t vmemmap_entry_size);

/* The early bump allocator used before the pools exist (early_alloc.c). */
void hyp_early_alloc_init(void *virt, unsigned long size);
void *hyp_early_alloc_contig(unsigned int nr_pages);
void *hyp_early_alloc_page(void *arg);
unsigned long hyp_early_alloc_nr_used_pages(void);
extern struct kvm_pgtable_mm_ops hyp_early_alloc_mm_ops;

#endif /* EL2_MM_H */
