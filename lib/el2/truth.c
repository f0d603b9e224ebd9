// SPDX-License-Identifier: GPL-2.0-only
/*
 * Ground truth: the EL2 core describes its own memory in the hypmem JSON
 * schema (man 5 hypmem-json), from its live structures: the pools' free
 * lists and the vmemmap.  The launcher saves it as truth.json and the
 * integration tests compare the decoder's --json output with it.
 */
#include "el2/heap_workload.h"
#include "el2/stage2_truth.h"
#include "el2/mm.h"
#include "el2/pkvm.h"
#include "el2/printk.h"
#include "el2/smp_workload.h"
#include "el2/string.h"
#include "el2/trace.h"
#include "el2/workload.h"

#define HIST_DIRECT 1024
#define HIST_EXTRA  64

struct histogram {
	u64 direct[HIST_DIRECT];
	unsigned int nr_extra;
	u64 extra_key[HIST_EXTRA];
	u64 extra_count[HIST_EXTRA];
	u64 overflow; /* values that fit nowhere (never expected) */
};

static struct histogram refcount_hist, order_hist;

static void hist_add(struct histogram *h, u64 key)
{
	unsigned int i;

	if (key < HIST_DIRECT) {
		h->direct[key]++;
		return;
	}
	for (i = 0; i < h->nr_extra; i++) {
		if (h->extra_key[i] == key) {
			h->extra_count[i]++;
			return;
		}
	}
	if (h->nr_extra < HIST_EXTRA) {
		h->extra_key[h->nr_extra] = key;
		h->extra_count[h->nr_extra++] = 1;
		return;
	}
	h->overflow++;
}

/* Keys in ascending order; @no_order names HYP_NO_ORDER "none". */
static void hist_print(const char *name, struct histogram *h, bool no_order)
{
	const char *sep = "";
	unsigned int i, j;

	hyp_printf("    \"%s\": {", name);
	for (i = 0; i < HIST_DIRECT; i++) {
		if (!h->direct[i])
			continue;
		if (no_order && i == HYP_NO_ORDER)
			hyp_printf("%s\"none\": %llu", sep, (unsigned long long)h->direct[i]);
		else
			hyp_printf("%s\"%u\": %llu", sep, i, (unsigned long long)h->direct[i]);
		sep = ", ";
	}
	/* Few extra keys: a selection sort keeps the output ordered. */
	for (i = 0; i < h->nr_extra; i++) {
		for (j = i + 1; j < h->nr_extra; j++) {
			if (h->extra_key[j] < h->extra_key[i]) {
				u64 k = h->extra_key[i], c = h->extra_count[i];

				h->extra_key[i] = h->extra_key[j];
				h->extra_count[i] = h->extra_count[j];
				h->extra_key[j] = k;
				h->extra_count[j] = c;
			}
		}
		if (no_order && h->extra_key[i] == HYP_NO_ORDER)
			hyp_printf("%s\"none\": %llu", sep, (unsigned long long)h->extra_count[i]);
		else
			hyp_printf("%s\"%llu\": %llu", sep, (unsigned long long)h->extra_key[i],
				   (unsigned long long)h->extra_count[i]);
		sep = ", ";
	}
	hyp_printf("}");
}

static void print_u64_array(const u64 *v, unsigned int n)
{
	unsigned int i;

	hyp_printf("[");
	for (i = 0; i < n; i++)
		hyp_printf("%s%llu", i ? ", " : "", (unsigned long long)v[i]);
	hyp_printf("]");
}

static void print_pool(const char *name, struct hyp_pool *pool, bool last)
{
	unsigned int limit = hyp_pool_order_limit(pool);
	struct pool_free_stats st;

	pool_free_stats(pool, &st);
	hyp_printf("    {\"name\": \"%s\", \"range_start\": \"0x%llx\", \"range_end\": \"0x%llx\", "
		   "\"max_order\": %u,\n", name, (unsigned long long)pool->range_start,
		   (unsigned long long)pool->range_end, (unsigned int)pool->max_order);
	hyp_printf("     \"nr_pages\": %llu, \"free_pages\": %llu,\n",
		   (unsigned long long)((pool->range_end - pool->range_start) >> PAGE_SHIFT),
		   (unsigned long long)st.free_pages);
	hyp_printf("     \"free_pages_by_order\": ");
	print_u64_array(st.free_pages_by_order, limit);
	hyp_printf(",\n     \"free_blocks_by_order\": ");
	print_u64_array(st.free_blocks_by_order, limit);
	hyp_printf("}%s\n", last ? "" : ",");
}

/* Does a VM with its own pool sit in vm_table at or after @from? */
static bool vm_pools_left(unsigned int from)
{
	for (; HYP_PAGE_LAYOUT == 8 && from < KVM_MAX_PVMS; from++)
		if (pkvm_vm_slot(from))
			return true;
	return false;
}

void truth_print(struct workload *wl, const struct truth_target *tgt)
{
	u64 nr_entries = 0;
	unsigned int i;

	memset(&refcount_hist, 0, sizeof(refcount_hist));
	memset(&order_hist, 0, sizeof(order_hist));
	for (i = 0; i < hyp_memblock_nr; i++) {
		u64 pfn = hyp_memory[i].base >> PAGE_SHIFT;
		u64 end = (hyp_memory[i].base + hyp_memory[i].size) >> PAGE_SHIFT;

		for (; pfn < end; pfn++, nr_entries++) {
			hist_add(&refcount_hist, hyp_vmemmap[pfn].refcount);
			hist_add(&order_hist, hyp_vmemmap[pfn].order);
		}
	}

	hyp_printf("HYPMEM-TRUTH-BEGIN\n{\n  \"schema\": 1,\n");
	hyp_printf("  \"target\": {\"release\": \"%s\", \"page_size\": %lu, \"ram_ranges\": [",
		   tgt->release, PAGE_SIZE);
	for (i = 0; i < hyp_memblock_nr; i++)
		hyp_printf("%s{\"start\": \"0x%llx\", \"end\": \"0x%llx\"}", i ? ", " : "",
			   (unsigned long long)hyp_memory[i].base,
			   (unsigned long long)(hyp_memory[i].base + hyp_memory[i].size));
	hyp_printf("]},\n");
	hyp_printf("  \"hyp\": {\"hyp_physvirt_offset\": \"0x%llx\", \"kimage_voffset\": \"0x%llx\", "
		   "\"carveout_base\": \"0x%llx\", \"carveout_size\": %llu, \"io_map_base\": \"0x%llx\"},\n",
		   (unsigned long long)hyp_physvirt_offset, (unsigned long long)tgt->kimage_voffset,
		   (unsigned long long)tgt->carveout_base, (unsigned long long)tgt->carveout_size,
		   (unsigned long long)__io_map_base);

	hyp_printf("  \"pools\": [\n");
	for (i = 0; i < wl->nr_pools; i++)
		print_pool(wl->pools[i].name, wl->pools[i].pool,
			   i + 1 == wl->nr_pools && !vm_pools_left(0));
#if HYP_PAGE_LAYOUT == 8
	/* Layout 8: each VM's own pool, named as the decoder names it. */
	for (i = 0; i < KVM_MAX_PVMS; i++) {
		struct pkvm_hyp_vm *vm = pkvm_vm_slot(i);
		char name[24] = "vm_table[";
		unsigned int n = 9, d = 1;

		if (!vm)
			continue;
		while (d * 10 <= i)
			d *= 10;
		for (; d; d /= 10)
			name[n++] = (char)('0' + i / d % 10);
		memcpy(name + n, "].pool", 7);
		print_pool(name, &vm->pool, !vm_pools_left(i + 1));
	}
#endif
	hyp_printf("  ],\n");

	hyp_printf("  \"vmemmap\": {\"base\": \"0x%llx\", \"entry_size\": %lu, \"nr_entries\": %llu,\n",
		   (unsigned long long)__hyp_vmemmap, (unsigned long)sizeof(struct hyp_page),
		   (unsigned long long)nr_entries);
	hist_print("refcount_histogram", &refcount_hist, false);
	hyp_printf(",\n");
	hist_print("order_histogram", &order_hist, true);
	hyp_printf("\n  },\n");
	if (tgt->heap)
		heap_truth_print(tgt->heap);
	stage2_truth_print();
	vms_truth_print();
	smp_truth_print();
	hyp_printf("  \"findings\": [],\n");

	hyp_printf("  \"workload\": {\"seed\": %llu, \"ops\": %llu, \"held_blocks\": %u, \"pools\": [",
		   (unsigned long long)wl->seed, (unsigned long long)wl->ops, wl->nr_blocks);
	for (i = 0; i < wl->nr_pools; i++) {
		struct workload_pool *wp = &wl->pools[i];

		hyp_printf("%s{\"name\": \"%s\", \"held_pages\": %llu, \"allocs\": %llu, "
			   "\"alloc_failures\": %llu, \"frees\": %llu, \"gets\": %llu, \"splits\": %llu}",
			   i ? ", " : "", wp->name, (unsigned long long)wp->held_pages,
			   (unsigned long long)wp->allocs, (unsigned long long)wp->alloc_failures,
			   (unsigned long long)wp->frees, (unsigned long long)wp->gets,
			   (unsigned long long)wp->splits);
	}
	hyp_printf("]},\n  ");
	hyp_trace_truth_print();
	hyp_printf("\n}\nHYPMEM-TRUTH-END\n");
}
