// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host stage-2 bookkeeping.  For now only the pool that backs the host
 * stage-2 page tables; the tables themselves arrive with the stage-2 work.
 */
#include "el2/setup.h"

struct hyp_pool host_s2_pool;

int prepare_s2_pool(void *pgt_pool_base)
{
	unsigned long nr_pages = host_s2_pgtable_pages();
	u64 pfn = hyp_virt_to_pfn(pgt_pool_base);

	return hyp_pool_init(&host_s2_pool, pfn, nr_pages, 0);
}
