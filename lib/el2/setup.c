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
phys_addr_t hyp_text_phys_start, hyp_text_phys_end;

/*
 * The three parts of the carve-out, as hyp VAs, in address order: the
 * vmemmap backing, hpool's pages (the hyp stage-1 tables), host_s2_pool's.
 */
static struct {
	void *vmemmap;
	void *hyp_pgt;
	void *host_s2_pgt;
} carveout;
static struct kvm_pgtable_mm_ops pkvm_pgtable_mm_ops;

unsigned long hyp_carveout_pages(void)
{
	return hyp_vmemmap_pages(sizeof(struct hyp_page)) + hyp_s1_pgtable_pages() +
	       host_s2_pgtable_pages();
}

/* Hand out the next @nr_pages of the carve-out at *@cursor. */
static void *carve(u64 *cursor, unsigned long nr_pages)
{
	void *part = (void *)*cursor;

	*cursor += (u64)nr_pages << PAGE_SHIFT;
	return part;
}

static int divide_memory_pool(void *virt, unsigned long size)
{
	u64 cursor = (u64)virt;

	carveout.vmemmap = carve(&cursor, hyp_vmemmap_pages(sizeof(struct hyp_page)));
	carveout.hyp_pgt = carve(&cursor, hyp_s1_pgtable_pages());
	carveout.host_s2_pgt = carve(&cursor, host_s2_pgtable_pages());
	if (cursor > (u64)virt + size)
		return -ENOMEM;

	/* The new hyp stage-1 is built from the start of hpool's part. */
	hyp_early_alloc_init(carveout.hyp_pgt, hyp_s1_pgtable_pages() << PAGE_SHIFT);
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
	hyp_text_phys_start = __hyp_pa(img->text_start);
	hyp_text_phys_end = __hyp_pa(img->text_end);
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

	return hyp_back_vmemmap(hyp_virt_to_phys(carveout.vmemmap));
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

/* hpool as the hyp stage-1's page provider, once the vmemmap exists. */
static void *hpool_zalloc_table(void *arg __maybe_unused)
{
	void *page = hyp_alloc_pages(&hpool, 0);

	return page ? memset(page, 0, PAGE_SIZE) : NULL;
}

static void hpool_ref(void *addr)
{
	hyp_get_page(&hpool, addr);
}

static void hpool_unref(void *addr)
{
	hyp_put_page(&hpool, addr);
}

/*
 * The bump allocator kept no refcounts, so the table pages it gave out
 * have only the reference hyp_pool_init() left on reserved pages.  Add one
 * per valid entry (leaves, and tables when their walk is over), which is
 * what they would hold had hpool built them.
 */
static int count_entry_visit(const struct kvm_pgtable_visit_ctx *ctx,
			     enum kvm_pgtable_walk_flags visit __maybe_unused)
{
	if (kvm_pte_valid(ctx->old))
		ctx->mm_ops->get_page(ctx->ptep);
	return 0;
}

static int recount_hyp_tables(void)
{
	struct kvm_pgtable_walker walker = {
	    .flags = KVM_PGTABLE_WALK_LEAF | KVM_PGTABLE_WALK_TABLE_POST,
	    .cb = count_entry_visit,
	};

	return kvm_pgtable_walk(&pkvm_pgtable, 0, BIT(pkvm_pgtable.ia_bits), &walker);
}

int __pkvm_init_finalise(void)
{
	int ret;

	/*
	 * hpool takes over its part of the carve-out; the pages the bump
	 * allocator used stay allocated (they hold the hyp stage-1).
	 */
	ret = hyp_pool_init(&hpool, hyp_virt_to_pfn(carveout.hyp_pgt), hyp_s1_pgtable_pages(),
			    hyp_early_alloc_nr_used_pages());
	if (ret)
		return ret;

	pkvm_pgtable_mm_ops = (struct kvm_pgtable_mm_ops){
	    .zalloc_page = hpool_zalloc_table,
	    .get_page = hpool_ref,
	    .put_page = hpool_unref,
	    .page_count = hyp_page_count,
	    .phys_to_virt = hyp_phys_to_virt,
	    .virt_to_phys = hyp_virt_to_phys,
	};
	pkvm_pgtable.mm_ops = &pkvm_pgtable_mm_ops;

	ret = recount_hyp_tables();
	if (ret)
		return ret;

	ret = prepare_s2_pool(carveout.host_s2_pgt);
	if (ret)
		return ret;
	ret = kvm_host_prepare_stage2();
	if (ret)
		return ret;
	return fix_host_ownership();
}
