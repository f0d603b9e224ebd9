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

/* As struct kvm_hyp_memcache in v6.1. */
struct kvm_hyp_memcache {
	phys_addr_t head;
	unsigned long nr_pages;
};

/* Put the page at @page on top of the stack: its first word links the old top. */
static inline void push_hyp_memcache(struct kvm_hyp_memcache *mc, phys_addr_t *page,
				     phys_addr_t (*to_pa)(void *virt))
{
	phys_addr_t below = mc->head;

	mc->nr_pages++;
	mc->head = to_pa(page);
	*page = below;
}

/* Take the top page off the stack, or NULL when it is empty. */
static inline void *pop_hyp_memcache(struct kvm_hyp_memcache *mc, void *(*to_va)(phys_addr_t phys))
{
	phys_addr_t *top;

	if (mc->nr_pages == 0)
		return NULL;
	top = to_va(mc->head);
	mc->nr_pages--;
	mc->head = *top;
	return top;
}

#endif /* EL2_MEMCACHE_H */
