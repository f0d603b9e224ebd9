// SPDX-License-Identifier: GPL-2.0-only
/*
 * The page source of the hyp stage-1 while it is being rebuilt, before the
 * vmemmap exists and so before any hyp_pool can work.  It only moves a
 * cursor forward through the start of hpool's part of the carve-out; pages
 * are never given back.  hyp_pool_init() later treats the pages handed out
 * here as reserved (allocated, one reference each), and setup.c recounts
 * the references the tables in them hold.
 */
#include "el2/mm.h"
#include "el2/string.h"

struct kvm_pgtable_mm_ops hyp_early_alloc_mm_ops;

/* [first, limit) was given to us; everything below @next is handed out. */
static struct {
	unsigned long first;
	unsigned long next;
	unsigned long limit;
} bump;

unsigned long hyp_early_alloc_nr_used_pages(void)
{
	return (bump.next - bump.first) / PAGE_SIZE;
}

/* @nr_pages zeroed, physically contiguous pages, or NULL if they do not fit. */
void *hyp_early_alloc_contig(unsigned int nr_pages)
{
	unsigned long bytes = (unsigned long)nr_pages * PAGE_SIZE;
	void *pages;

	if (nr_pages == 0 || bytes > bump.limit - bump.next)
		return NULL;

	pages = (void *)bump.next;
	bump.next += bytes;
	memset(pages, 0, bytes);
	return pages;
}

void *hyp_early_alloc_page(void *arg __maybe_unused)
{
	return hyp_early_alloc_contig(1);
}

/* References are not counted yet: setup.c counts them all at once later. */
static void hyp_early_ref_ignored(void *addr __maybe_unused)
{
}

void hyp_early_alloc_init(void *virt, unsigned long size)
{
	bump.first = (unsigned long)virt;
	bump.next = bump.first;
	bump.limit = bump.first + size;

	hyp_early_alloc_mm_ops = (struct kvm_pgtable_mm_ops){
	    .zalloc_page = hyp_early_alloc_page,
	    .get_page = hyp_early_ref_ignored,
	    .put_page = hyp_early_ref_ignored,
	    .phys_to_virt = hyp_phys_to_virt,
	    .virt_to_phys = hyp_virt_to_phys,
	};
}
