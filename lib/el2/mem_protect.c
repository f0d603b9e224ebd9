// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host stage-2 bookkeeping.  For now only the pool that backs the host
 * stage-2 page tables; the tables themselves arrive with the stage-2 work.
 */
#include "el2/mem_protect.h"
#include "el2/setup.h"

struct hyp_pool host_s2_pool;

int prepare_s2_pool(void *pgt_pool_base)
{
	unsigned long nr_pages = host_s2_pgtable_pages();
	u64 pfn = hyp_virt_to_pfn(pgt_pool_base);

	return hyp_pool_init(&host_s2_pool, pfn, nr_pages, 0);
}

/* Pages of the carve-out belong to EL2 from boot: the host cannot give them. */
static bool range_in_carveout(u64 pfn, u64 nr_pages)
{
	phys_addr_t start = hyp_pfn_to_phys(pfn), end = start + (nr_pages << PAGE_SHIFT);

	return start < hyp_mem_base + hyp_mem_size && end > hyp_mem_base;
}

int __pkvm_host_donate_hyp(u64 pfn, u64 nr_pages)
{
	void *virt = hyp_phys_to_virt(hyp_pfn_to_phys(pfn));
	int ret;

	if (!nr_pages || range_in_carveout(pfn, nr_pages))
		return -EPERM;
	/* The host stage-2 first: it checks the host owns every page. */
	ret = host_stage2_donate_hyp(pfn, nr_pages);
	if (ret)
		return ret;
	ret = pkvm_create_mappings(virt, (char *)virt + (nr_pages << PAGE_SHIFT), PAGE_HYP);
	if (ret)
		WARN_ON(host_stage2_reclaim_from_hyp(pfn, nr_pages));
	return ret;
}

int __pkvm_hyp_donate_host(u64 pfn, u64 nr_pages)
{
	void *virt = hyp_phys_to_virt(hyp_pfn_to_phys(pfn));

	if (!nr_pages || range_in_carveout(pfn, nr_pages))
		return -EPERM;
	pkvm_remove_mappings(virt, (char *)virt + (nr_pages << PAGE_SHIFT));
	return host_stage2_reclaim_from_hyp(pfn, nr_pages);
}
