// SPDX-License-Identifier: GPL-2.0-only
/*
 * The heap workload (include/el2/heap_workload.h).  Deterministic for a
 * seed: a xorshift generator picks, at every step, one of
 *
 *   create a VM (1..8 vCPUs: one call for the VM, one per vCPU)   35%
 *   tear a VM down                                               25%
 *   load or unload tracing metadata (8..128 pages per CPU)        10%
 *   reclaim 1..16 pages                                          18%
 *   shrink: count the reclaimable pages, reclaim half            12%
 *
 * and ends with two teardowns, a reclaim of 8 pages and one more VM.
 * Every call goes through host_call(), the host's request loop: on -ENOMEM
 * with a PKVM_HYP_REQ_HYP_ALLOC request, donate the pages asked for (and,
 * as a host may, up to two more) and call again.  Tearing down VMs between
 * reclaims leaves free chunks whose pages go back to the host: the holes.
 */
#include "el2/alloc.h"
#include "el2/heap_workload.h"
#include "el2/mm.h"
#include "el2/printk.h"
#include "el2/string.h"

#define HOST_CALL_TRIES 8

static u64 hw_rand(struct heap_workload *hw)
{
	u64 x = hw->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	hw->rng = x;
	return x;
}

/* --- host memory, through the fixmap slot --- */

static u64 *host_map(struct heap_host *h, phys_addr_t pa)
{
	if (pkvm_map_private_va_range(h->fixmap, pa & PAGE_MASK, PAGE_SIZE))
		hyp_panic_str("heap workload: cannot map a host page");
	return (u64 *)(h->fixmap + (pa & ~PAGE_MASK));
}

static void host_unmap(struct heap_host *h)
{
	pkvm_remove_mappings((void *)h->fixmap, (void *)(h->fixmap + PAGE_SIZE));
}

/* Pages EL2 gave back (or did not take): a memcache chain, back to the free stack. */
static void host_free_chain(struct heap_host *h, phys_addr_t head, unsigned long nr)
{
	while (nr--) {
		phys_addr_t next = *host_map(h, head);

		host_unmap(h);
		if (h->nr_free == HEAP_HOST_MAX_PAGES)
			hyp_panic_str("heap workload: more pages back than the host had");
		h->free[h->nr_free++] = head;
		head = next;
	}
}

/* --- calls --- */

static void host_hcall(struct heap_workload *hw, struct kvm_cpu_context *ctxt, u64 func, u64 a1,
		       u64 a2, u64 a3)
{
	memset(ctxt, 0, sizeof(*ctxt));
	cpu_reg(ctxt, 0) = KVM_HOST_SMCCC_ID(func);
	cpu_reg(ctxt, 1) = a1;
	cpu_reg(ctxt, 2) = a2;
	cpu_reg(ctxt, 3) = a3;
	hw->calls++;
	if (!hyp_heap_hcall(ctxt) || cpu_reg(ctxt, 0) != SMCCC_RET_SUCCESS)
		hyp_panic_str("heap workload: heap call not supported");
}

/* Donate @nr_pages (as a memcache chain) to the heap; leftovers come back. */
static int host_topup(struct heap_workload *hw, unsigned long nr_pages)
{
	struct heap_host *h = &hw->host;
	struct kvm_cpu_context ctxt;
	phys_addr_t head = 0;
	unsigned long i;

	if (nr_pages > h->nr_free)
		return -ENOMEM;
	for (i = 0; i < nr_pages; i++) {
		phys_addr_t pa = h->free[--h->nr_free];

		*host_map(h, pa) = head;
		host_unmap(h);
		head = pa;
	}
	host_hcall(hw, &ctxt, __KVM_HOST_SMCCC_FUNC___pkvm_hyp_topup, PKVM_TOPUP_HYP_ALLOC, head,
		   nr_pages);
	hw->topup_pages += nr_pages - cpu_reg(&ctxt, 3);
	host_free_chain(h, cpu_reg(&ctxt, 2), cpu_reg(&ctxt, 3));
	return (int)(long)cpu_reg(&ctxt, 1);
}

/*
 * pkvm_call_hyp_req(): issue @func; while EL2 answers with a topup request,
 * serve it and issue @func again.  Returns x1 (0, a value or -errno).
 */
static long host_call(struct heap_workload *hw, u64 func, u64 a1)
{
	struct kvm_cpu_context ctxt;
	struct pkvm_hyp_req req;
	unsigned int tries;
	long ret = -EBUSY;

	for (tries = 0; tries < HOST_CALL_TRIES; tries++) {
		host_hcall(hw, &ctxt, func, a1, 0, 0);
		ret = (long)cpu_reg(&ctxt, 1);
		if (!ret)
			return 0;
		memcpy(&req, &ctxt.regs[2], sizeof(req));
		if (req.type != PKVM_HYP_REQ_HYP_ALLOC)
			return ret;
		hw->requests++;
		if (host_topup(hw, req.mem.nr_pages + hw_rand(hw) % 3))
			break;
	}
	hw->failures++;
	return ret;
}

/* Reclaim up to @target pages, PKVM_HYP_RECLAIM_BATCH per call. */
static unsigned long host_reclaim(struct heap_workload *hw, unsigned long target)
{
	struct kvm_cpu_context ctxt;
	unsigned long done = 0;

	while (done < target) {
		u64 nr;

		host_hcall(hw, &ctxt, __KVM_HOST_SMCCC_FUNC___pkvm_hyp_reclaim,
			   PKVM_TOPUP_HYP_ALLOC,
			   min(target - done, (unsigned long)PKVM_HYP_RECLAIM_BATCH), 0);
		hw->reclaim_calls++;
		nr = cpu_reg(&ctxt, 3);
		host_free_chain(&hw->host, cpu_reg(&ctxt, 2), nr);
		done += nr;
		if (!nr)
			break;
	}
	hw->reclaimed_pages += done;
	return done;
}

/* The host shrinker: count_objects, then scan_objects for half of it. */
static void host_shrink(struct heap_workload *hw)
{
	struct kvm_cpu_context ctxt;
	u64 count;

	host_hcall(hw, &ctxt, __KVM_HOST_SMCCC_FUNC___pkvm_hyp_reclaimable, PKVM_TOPUP_HYP_ALLOC, 0,
		   0);
	count = cpu_reg(&ctxt, 1);
	hw->shrinks++;
	hw->shrink_counted += count;
	if (count)
		hw->shrunk_pages += host_reclaim(hw, count / 2 + 1);
}

/* --- operations --- */

static void op_create_vm(struct heap_workload *hw)
{
	struct heap_workload_vm *vm;
	u32 nr_vcpus = 1 + hw_rand(hw) % HYP_HEAP_MAX_VCPUS;
	long handle;

	if (hw->nr_vms == HYP_HEAP_MAX_VMS)
		return;
	handle = host_call(hw, __KVM_HOST_SMCCC_FUNC___hypmem_heap_init_vm, nr_vcpus);
	if (handle <= 0)
		return;
	vm = &hw->vms[hw->nr_vms++];
	vm->handle = (u32)handle;
	vm->nr_vcpus = nr_vcpus;
	vm->nr_vcpus_inited = 0;
	hw->vms_created++;
	while (vm->nr_vcpus_inited < nr_vcpus &&
	       !host_call(hw, __KVM_HOST_SMCCC_FUNC___hypmem_heap_init_vcpu, vm->handle)) {
		vm->nr_vcpus_inited++;
		hw->vcpus_created++;
	}
}

static void op_destroy_vm(struct heap_workload *hw)
{
	unsigned int i;

	if (!hw->nr_vms)
		return;
	i = hw_rand(hw) % hw->nr_vms;
	if (host_call(hw, __KVM_HOST_SMCCC_FUNC___hypmem_heap_teardown_vm, hw->vms[i].handle))
		return;
	hw->vms[i] = hw->vms[--hw->nr_vms];
	hw->vms_destroyed++;
}

static void op_trace(struct heap_workload *hw)
{
	u32 nr_pages = 8 + hw_rand(hw) % 121;

	if (hw->trace_pages) {
		if (!host_call(hw, __KVM_HOST_SMCCC_FUNC___hypmem_heap_trace_unload, 0)) {
			hw->trace_pages = 0;
			hw->trace_unloads++;
		}
	} else if (!host_call(hw, __KVM_HOST_SMCCC_FUNC___hypmem_heap_trace_load, nr_pages)) {
		hw->trace_pages = nr_pages;
		hw->trace_loads++;
	}
}

int heap_workload_init(struct heap_workload *hw, u64 seed, u64 ops, phys_addr_t host_base,
		       unsigned int nr_pages)
{
	unsigned int i;
	int ret;

	memset(hw, 0, sizeof(*hw));
	hw->seed = seed;
	hw->ops = 100 + ops / 200;
	hw->rng = (seed ^ 0xd1b54a32d192ed03ULL) * 0x9e3779b97f4a7c15ULL;
	if (!hw->rng)
		hw->rng = 1;
	nr_pages = min(nr_pages, (unsigned int)HEAP_HOST_MAX_PAGES);
	/* Popped from the top: the lowest pages go first. */
	for (i = 0; i < nr_pages; i++)
		hw->host.free[i] = host_base + ((phys_addr_t)(nr_pages - 1 - i) << PAGE_SHIFT);
	hw->host.nr_free = hw->host.nr_pages = nr_pages;
	ret = pkvm_alloc_private_va_range(PAGE_SIZE, &hw->host.fixmap);
	return ret;
}

void heap_workload_run(struct heap_workload *hw)
{
	u64 op;

	for (op = 0; op < hw->ops; op++) {
		unsigned int r = hw_rand(hw) % 100;

		if (r < 35)
			op_create_vm(hw);
		else if (r < 60)
			op_destroy_vm(hw);
		else if (r < 70)
			op_trace(hw);
		else if (r < 88)
			host_reclaim(hw, 1 + hw_rand(hw) % PKVM_HYP_RECLAIM_BATCH);
		else
			host_shrink(hw);
	}
	/*
	 * The end state a dump should show: VMs gone from the middle of the
	 * heap and part of their pages reclaimed (holes, reclaimable pages
	 * left), then a new VM whose topups may leave stalled pages.
	 */
	if (hw->nr_vms >= 3) {
		op_destroy_vm(hw);
		op_destroy_vm(hw);
	}
	host_reclaim(hw, 8);
	op_create_vm(hw);
}

/* --- verification --- */

struct used_chunks {
	unsigned long nr_used;
	unsigned long claimed_pages; /* mapped pages the chunks account for */
	unsigned long prev_end;	     /* end of the last page claimed */
};

static void count_chunk(const struct hyp_alloc_chunk_info *c, void *arg)
{
	struct used_chunks *u = arg;
	unsigned long from = ALIGN_DOWN(c->addr, PAGE_SIZE);
	unsigned long to = PAGE_ALIGN(c->unmapped ? c->unmapped : c->end);

	u->nr_used += c->is_used;
	if (from < u->prev_end)
		from = u->prev_end;
	if (to > from)
		u->claimed_pages += (to - from) >> PAGE_SHIFT;
	u->prev_end = max(u->prev_end, to);
}

/* Is @p the data of a used chunk of at least @size bytes? */
struct find_chunk {
	unsigned long data, size;
	bool found;
};

static void find_chunk_fn(const struct hyp_alloc_chunk_info *c, void *arg)
{
	struct find_chunk *f = arg;

	if (c->addr + sizeof(struct chunk_hdr) == f->data && c->is_used && c->used >= f->size)
		f->found = true;
}

static int check_object(const void *p, size_t size, const char *what)
{
	struct find_chunk f = {.data = (unsigned long)p, .size = size};

	hyp_alloc_for_each_chunk(find_chunk_fn, &f);
	if (f.found)
		return 0;
	hyp_printf("heap verify: %s at %p is not a used chunk of %lu bytes\n", what, p,
		   (unsigned long)size);
	return 1;
}

int heap_workload_verify(struct heap_workload *hw)
{
	struct hyp_heap_trace *trace = hyp_heap_trace_get();
	struct used_chunks u = {0};
	unsigned long objects = 0, mapped;
	unsigned int i, j;
	int bad = 0;

	for (i = 0; i < hw->nr_vms; i++) {
		struct heap_workload_vm *rec = &hw->vms[i];
		struct hyp_heap_vm *vm = hyp_heap_vm_get(rec->handle);

		if (!vm || vm->nr_vcpus != rec->nr_vcpus ||
		    vm->nr_vcpus_inited != rec->nr_vcpus_inited) {
			hyp_printf("heap verify: VM 0x%x: EL2 has %u/%u vCPUs, the host %u/%u\n",
				   rec->handle, vm ? vm->nr_vcpus_inited : 0, vm ? vm->nr_vcpus : 0,
				   rec->nr_vcpus_inited, rec->nr_vcpus);
			bad++;
			continue;
		}
		bad += check_object(vm, hyp_heap_vm_size(vm->nr_vcpus), "VM");
		for (j = 0; j < vm->nr_vcpus_inited; j++)
			bad += check_object(vm->vcpus[j], sizeof(struct hyp_heap_vcpu), "vCPU");
		objects += 1 + vm->nr_vcpus_inited;
	}
	if (!!trace != !!hw->trace_pages || (trace && trace->nr_pages != hw->trace_pages)) {
		hyp_printf("heap verify: tracing metadata: EL2 %u pages, the host %u\n",
			   trace ? trace->nr_pages : 0, hw->trace_pages);
		bad++;
	} else if (trace) {
		bad += check_object(trace, sizeof(*trace) + trace->nr_cpus * sizeof(void *),
				    "tracing metadata");
		for (j = 0; j < trace->nr_cpus; j++)
			bad += check_object(trace->bpages[j],
					    trace->nr_pages * sizeof(struct hyp_heap_bpage),
					    "tracing descriptors");
		objects += 1 + trace->nr_cpus;
	}

	hyp_alloc_for_each_chunk(count_chunk, &u);
	if (!hyp_allocator.head)
		u.claimed_pages = ((unsigned long)hyp_allocator.first_unmapped -
				   (unsigned long)hyp_allocator.start) >>
				  PAGE_SHIFT;
	if (u.nr_used != objects) {
		hyp_printf("heap verify: %lu used chunks, %lu live objects\n", u.nr_used, objects);
		bad++;
	}
	mapped = heap_mapped_pages();
	if (mapped != u.claimed_pages) {
		hyp_printf(
		    "heap verify: stage-1 maps %lu pages of the heap, chunks account for %lu\n",
		    mapped, u.claimed_pages);
		bad++;
	}
	/* Every page is somewhere: with the host, mapped, or waiting in the memcache. */
	if (hw->host.nr_free + mapped + hyp_allocator.mc.nr_pages != hw->host.nr_pages) {
		hyp_printf("heap verify: host %u + mapped %lu + memcache %lu != %u pages\n",
			   hw->host.nr_free, mapped, hyp_allocator.mc.nr_pages, hw->host.nr_pages);
		bad++;
	}
	return bad;
}

void heap_workload_boot(struct heap_workload *hw, u64 seed, u64 ops, phys_addr_t host_base,
			unsigned int nr_pages)
{
	if (heap_workload_init(hw, seed, ops, host_base, nr_pages))
		hyp_panic_str("heap workload: no private VA left for the host's fixmap");
	heap_workload_run(hw);
	if (heap_workload_verify(hw))
		hyp_panic_str("heap workload record and the heap disagree");
}
