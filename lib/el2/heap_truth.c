// SPDX-License-Identifier: GPL-2.0-only
/*
 * The heap's ground truth, in the hypmem JSON schema's key names
 * (man 5 hypmem-json, "heap"): the EL2 core walks its own chunk list and
 * asks its own stage-1 what is mapped.  The decoder must reproduce every
 * value from a dump.  The host's record of the run goes under
 * "heap_workload" (the decoder cannot know it).
 */
#include "el2/alloc.h"
#include "el2/heap_workload.h"
#include "el2/mm.h"
#include "el2/printk.h"

struct mapped_count {
	unsigned long pages;
};

static int count_leaf(const struct kvm_pgtable_visit_ctx *ctx,
		      enum kvm_pgtable_walk_flags visit __maybe_unused)
{
	struct mapped_count *m = ctx->arg;

	if (kvm_pte_valid(ctx->old))
		m->pages += kvm_granule_size(ctx->level) >> PAGE_SHIFT;
	return 0;
}

unsigned long heap_mapped_pages(void)
{
	struct mapped_count m = {0};
	struct kvm_pgtable_walker walker = {
	    .cb = count_leaf,
	    .arg = &m,
	    .flags = KVM_PGTABLE_WALK_LEAF,
	};
	unsigned long start = (unsigned long)hyp_allocator.start;

	hyp_spin_lock(&pkvm_pgd_lock);
	kvm_pgtable_walk(&pkvm_pgtable, start, (unsigned long)hyp_allocator.end - start, &walker);
	hyp_spin_unlock(&pkvm_pgd_lock);
	return m.pages;
}

struct heap_sums {
	unsigned long nr, nr_used, used, free, largest_free, nr_holes, hole_pages;
	const char *sep;
	bool print_chunks, print_holes;
};

static void sum_chunk(const struct hyp_alloc_chunk_info *c, void *arg)
{
	struct heap_sums *s = arg;

	s->nr++;
	if (c->is_used) {
		s->nr_used++;
		s->used += c->used;
	} else {
		s->free += c->mapped;
		s->largest_free = max(s->largest_free, c->mapped);
	}
	if (c->unmapped && !c->is_tail) {
		s->nr_holes++;
		s->hole_pages += (c->end - c->unmapped) >> PAGE_SHIFT;
	}
}

static void print_chunk(const struct hyp_alloc_chunk_info *c, void *arg)
{
	struct heap_sums *s = arg;

	hyp_printf("%s\n      {\"address\": \"0x%lx\", \"pa\": \"0x%llx\", \"size\": %lu, "
		   "\"state\": \"%s\", \"mapped\": %lu, \"used\": %lu}",
		   s->sep, c->addr, (unsigned long long)pkvm_private_va_range_pa(c->addr), c->size,
		   c->is_used ? "used" : "free", c->mapped, c->used);
	s->sep = ",";
}

static void print_hole(const struct hyp_alloc_chunk_info *c, void *arg)
{
	struct heap_sums *s = arg;

	if (!c->unmapped || c->is_tail)
		return;
	hyp_printf("%s\n      {\"start\": \"0x%lx\", \"end\": \"0x%lx\", \"pages\": %lu}", s->sep,
		   c->unmapped, c->end, (c->end - c->unmapped) >> PAGE_SHIFT);
	s->sep = ",";
}

static void print_heap(void)
{
	struct hyp_allocator *a = &hyp_allocator;
	struct heap_sums s = {0};
	unsigned long top;

	hyp_alloc_for_each_chunk(sum_chunk, &s);
	if (!a->head)
		top = (unsigned long)a->first_unmapped;
	else if (a->tail->__unmapped & ~USED_BIT_MASK)
		top = (unsigned long)a->tail + (a->tail->__unmapped & ~USED_BIT_MASK);
	else
		top = (unsigned long)a->end;

	hyp_printf("  \"heap\": [\n    {\"name\": \"hyp_allocator\", \"address\": \"0x%llx\", "
		   "\"start\": \"0x%lx\", \"end\": \"0x%lx\",\n",
		   (unsigned long long)hyp_virt_to_phys(a), (unsigned long)a->start,
		   (unsigned long)a->end);
	hyp_printf("     \"last_used\": \"0x%lx\", \"top\": \"0x%lx\", \"nr_chunks\": %lu, "
		   "\"nr_used\": %lu, \"nr_free\": %lu,\n",
		   (unsigned long)a->last_used, top, s.nr, s.nr_used, s.nr - s.nr_used);
	hyp_printf("     \"used_bytes\": %lu, \"free_bytes\": %lu, \"largest_free\": %lu, "
		   "\"mapped_pages\": %lu, \"memcache_pages\": %lu,\n",
		   s.used, s.free, s.largest_free, heap_mapped_pages(), a->mc.nr_pages);
	hyp_printf("     \"reclaimable_pages\": %lu, \"nr_holes\": %lu, \"hole_pages\": %lu,\n",
		   hyp_alloc_reclaimable(), s.nr_holes, s.hole_pages);
	hyp_printf("     \"chunks\": [");
	s.sep = "";
	hyp_alloc_for_each_chunk(print_chunk, &s);
	hyp_printf("],\n     \"holes\": [");
	s.sep = "";
	hyp_alloc_for_each_chunk(print_hole, &s);
	hyp_printf("]}\n  ],\n");
}

void heap_truth_print(const struct heap_workload *hw)
{
	print_heap();
	hyp_printf("  \"heap_workload\": {\"ops\": %llu, \"calls\": %llu, \"requests\": %llu, "
		   "\"topup_pages\": %llu, \"reclaim_calls\": %llu, \"reclaimed_pages\": %llu,\n",
		   (unsigned long long)hw->ops, (unsigned long long)hw->calls,
		   (unsigned long long)hw->requests, (unsigned long long)hw->topup_pages,
		   (unsigned long long)hw->reclaim_calls, (unsigned long long)hw->reclaimed_pages);
	hyp_printf("    \"shrinks\": %llu, \"shrink_counted\": %llu, \"shrunk_pages\": %llu, "
		   "\"vms_created\": %llu, \"vms_destroyed\": %llu, \"vcpus_created\": %llu,\n",
		   (unsigned long long)hw->shrinks, (unsigned long long)hw->shrink_counted,
		   (unsigned long long)hw->shrunk_pages, (unsigned long long)hw->vms_created,
		   (unsigned long long)hw->vms_destroyed, (unsigned long long)hw->vcpus_created);
	hyp_printf("    \"live_vms\": %u, \"trace_pages\": %u, \"trace_loads\": %llu, "
		   "\"host_pages\": %u, \"host_free_pages\": %u, \"failures\": %llu},\n",
		   hw->nr_vms, hw->trace_pages, (unsigned long long)hw->trace_loads,
		   hw->host.nr_pages, hw->host.nr_free, (unsigned long long)hw->failures);
}
