/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * struct kvm_hyp_memcache: a stack of free pages handed between the host
 * and EL2 (asm/kvm_host.h in the kernel).  The pages link themselves: the
 * first 8 bytes of each page hold the physical address of the next one, and
 * @head is the physical address of the first.  Only @nr_pages says where the
 * chain ends; the last page's link is not looked at.
 *
 * The address conversions are passed in because the two sides reach the
 * pages differently: EL2 through its linear map, the host through its own.
 */
#ifndef EL2_MEMCACHE_H
#define EL2_MEMCACHE_H

#include "el2/types.h"

struct kvm_hyp_memcache {
	phys_addr_t head;
	unsigned long nr_pages;
};

static inline void push_hyp_memcache(struct kvm_hyp_memcache *mc, phys_addr_t *p,
				     phys_addr_t (*to_pa)(void *virt))
{
	*p = mc->head;
	mc->head = to_pa(p);
	mc->nr_pages++;
}

static inline void *pop_hyp_memcache(struct kvm_hyp_memcache *mc, void *(*to_va)(phys_addr_t phys))
{
	phys_addr_t *p;

	if (!mc->nr_pages)
		return NULL;
	p = to_va(mc->head);
	mc->head = *p;
	mc->nr_pages--;
	return p;
}

#endif /* EL2_MEMCACHE_H */
