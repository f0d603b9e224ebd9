// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hypervisor initialisation.  The carve-out [hyp_mem_base, +hyp_mem_size)
 * is divided, in this order, into the vmemmap backing, the hyp stage-1 table
 * pages (hpool) and the host stage-2 table pages (host_s2_pool).  The new
 * hyp stage-1 is built from the first pages of the hpool range with a bump
 * allocator; hpool then takes that range over with those pages reserved.
 */
#include "el2/alloc.h"
#include "el2/mem_protect.h"
#include "el2/setup.h"
#include "el2/string.h"

struct hyp_pool hpool;
unsigned long hyp_nr_cpus;
phys_addr_t hyp_mem_base;
u64 hyp_mem_size;

static void *vmemmap_base;
static void *hyp_pgt_base;
static void *host_s2_pgt_base;
static struct kvm_pgtable_mm_ops pkvm_pgtable_mm_ops;

unsigned long hyp_carveout_pages(void)
{
	return hyp_vmemmap_pages(sizeof(struct hyp_page)) + hyp_s1_pgtable_pages() +
	       host_s2_pgtable_pages();
}

static int divide_memory_pool(void *virt, unsigned long size)
{
	u64 cur = (u64)virt, end = cur + size;
	unsigned long nr_pages;

	nr_pages = hyp_vmemmap_pages(sizeof(struct hyp_page));
	vmemmap_base = (void *)cur;
	cur += nr_pages << PAGE_SHIFT;

	nr_pages = hyp_s1_pgtable_pages();
	hyp_pgt_base = (void *)cur;
	cur += nr_pages << PAGE_SHIFT;

	nr_pages = host_s2_pgtable_pages();
	host_s2_pgt_base = (void *)cur;
	cur += nr_pages << PAGE_SHIFT;

	if (cur > end)
		return -ENOMEM;

	hyp_early_alloc_init(hyp_pgt_base, hyp_s1_pgtable_pages() << PAGE_SHIFT);
	return 0;
}

static int recreate_hyp_mappings(phys_addr_t phys, unsigned long size, u32 hyp_va_bits,
				 const struct hyp_image_layout *img)
{
	void *start, *end, *virt = hyp_phys_to_virt(phys);
	int ret;

	ret = kvm_pgtable_hyp_init(&pkvm_pgtable, hyp_va_bits, &hyp_early_alloc_mm_ops);
	if (ret)
		return ret;

	ret = hyp_create_idmap(hyp_va_bits, img->idmap_start, img->idmap_end);
	if (ret)
		return ret;

	ret = pkvm_create_mappings(img->text_start, img->text_end, PAGE_HYP_EXEC);
	if (ret)
		return ret;
	ret = pkvm_create_mappings(img->rodata_start, img->rodata_end, PAGE_HYP_RO);
	if (ret)
		return ret;
	ret = pkvm_create_mappings(img->data_start, img->data_end, PAGE_HYP);
	if (ret)
		return ret;

	/* The whole carve-out is linear-mapped. */
	start = virt;
	end = (char *)virt + size;
	ret = pkvm_create_mappings(start, end, PAGE_HYP);
	if (ret)
		return ret;

	return hyp_back_vmemmap(hyp_virt_to_phys(vmemmap_base));
}

int __pkvm_init(phys_addr_t phys, unsigned long size, unsigned long nr_cpus, u32 hyp_va_bits,
		const struct hyp_image_layout *img)
{
	int ret;

	if (!IS_ALIGNED(phys, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE))
		return -EINVAL;

	hyp_mem_base = phys;
	hyp_mem_size = size;
	hyp_nr_cpus = nr_cpus;

	ret = divide_memory_pool(hyp_phys_to_virt(phys), size);
	if (ret)
		return ret;

	hyp_spin_lock_init(&pkvm_pgd_lock);
	ret = recreate_hyp_mappings(phys, size, hyp_va_bits, img);
	if (ret)
		return ret;

	/* Arbitrary size: nothing is mapped until the heap is used, it costs only VA. */
	return hyp_alloc_init(HYP_HEAP_VA_SIZE);
}

static void *hyp_zalloc_hyp_page(void *arg __maybe_unused)
{
	void *addr = hyp_alloc_pages(&hpool, 0);

	if (addr)
		memset(addr, 0, PAGE_SIZE);
	return addr;
}

static void hpool_get_page(void *addr)
{
	hyp_get_page(&hpool, addr);
}

static void hpool_put_page(void *addr)
{
	hyp_put_page(&hpool, addr);
}

/*
 * The early allocator did not count references.  Give every table page one
 * reference per valid entry it holds, as if the pool had built it.
 */
static int fix_hyp_pgtable_refcnt_walker(const struct kvm_pgtable_visit_ctx *ctx,
					 enum kvm_pgtable_walk_flags visit __maybe_unused)
{
	if (kvm_pte_valid(ctx->old))
		ctx->mm_ops->get_page(ctx->ptep);
	return 0;
}

static int fix_hyp_pgtable_refcnt(void)
{
	struct kvm_pgtable_walker walker = {
		.cb = fix_hyp_pgtable_refcnt_walker,
		.flags = KVM_PGTABLE_WALK_LEAF | KVM_PGTABLE_WALK_TABLE_POST,
	};

	return kvm_pgtable_walk(&pkvm_pgtable, 0, BIT(pkvm_pgtable.ia_bits), &walker);
}

int __pkvm_init_finalise(void)
{
	unsigned long nr_pages, reserved_pages, pfn;
	int ret;

	/* Now that the vmemmap is backed, install the full-fledged allocator */
	pfn = hyp_virt_to_pfn(hyp_pgt_base);
	nr_pages = hyp_s1_pgtable_pages();
	reserved_pages = hyp_early_alloc_nr_used_pages();
	ret = hyp_pool_init(&hpool, pfn, nr_pages, reserved_pages);
	if (ret)
		return ret;

	pkvm_pgtable_mm_ops.zalloc_page = hyp_zalloc_hyp_page;
	pkvm_pgtable_mm_ops.phys_to_virt = hyp_phys_to_virt;
	pkvm_pgtable_mm_ops.virt_to_phys = hyp_virt_to_phys;
	pkvm_pgtable_mm_ops.get_page = hpool_get_page;
	pkvm_pgtable_mm_ops.put_page = hpool_put_page;
	pkvm_pgtable_mm_ops.page_count = hyp_page_count;
	pkvm_pgtable.mm_ops = &pkvm_pgtable_mm_ops;

	ret = fix_hyp_pgtable_refcnt();
	if (ret)
		return ret;

	ret = prepare_s2_pool(host_s2_pgt_base);
	if (ret)
		return ret;
	ret = kvm_host_prepare_stage2();
	if (ret)
		return ret;
	return fix_host_ownership();
}
