// SPDX-License-Identifier: GPL-2.0-only
/*
 * A bump allocator for the pages the hyp needs before its pools exist (the
 * first hyp stage-1 tables).  Pages handed out here are the "reserved" pages
 * of hpool: hyp_pool_init() keeps them referenced.
 */
#include "el2/mm.h"
#include "el2/string.h"

struct kvm_pgtable_mm_ops hyp_early_alloc_mm_ops;

static unsigned long base;
static unsigned long end;
static unsigned long cur;

unsigned long hyp_early_alloc_nr_used_pages(void)
{
	return (cur - base) >> PAGE_SHIFT;
}

void *hyp_early_alloc_contig(unsigned int nr_pages)
{
	unsigned long size = (unsigned long)nr_pages << PAGE_SHIFT;
	void *ret = (void *)cur;

	if (!nr_pages || size > end - cur)
		return NULL;

	cur += size;
	memset(ret, 0, size);
	return ret;
}

void *hyp_early_alloc_page(void *arg __maybe_unused)
{
	return hyp_early_alloc_contig(1);
}

/* Table-page refcounts are fixed up once hpool owns these pages. */
static void hyp_early_get_page(void *addr __maybe_unused)
{
}

static void hyp_early_put_page(void *addr __maybe_unused)
{
}

void hyp_early_alloc_init(void *virt, unsigned long size)
{
	base = cur = (unsigned long)virt;
	end = base + size;

	hyp_early_alloc_mm_ops.zalloc_page = hyp_early_alloc_page;
	hyp_early_alloc_mm_ops.get_page = hyp_early_get_page;
	hyp_early_alloc_mm_ops.put_page = hyp_early_put_page;
	hyp_early_alloc_mm_ops.page_count = NULL;
	hyp_early_alloc_mm_ops.phys_to_virt = hyp_phys_to_virt;
	hyp_early_alloc_mm_ops.virt_to_phys = hyp_virt_to_phys;
}
