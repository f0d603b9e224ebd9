/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The heap workload: the host's side of the hypervisor heap series
 * (alloc.h), played by the EL2 image (and natively by the unit tests) until
 * the EL1 host payload takes over.
 *
 * The host owns a range of pages it donates on PKVM_HYP_REQ_HYP_ALLOC
 * requests (building a kvm_hyp_memcache chain in them, as the kernel's host
 * does), creates and tears down VMs with their vCPUs and loads tracing
 * metadata through the heap calls (hyp_req.h), reclaims pages, and runs a
 * shrinker: count the reclaimable pages, then scan half of them.  It keeps
 * its own record of what exists and how many requests it served; this,
 * and the EL2 core's structures, are the heap's ground truth.
 *
 * Host pages are touched through one private hyp VA (a fixmap slot): the
 * EL2 image has no other view of host memory.
 */
#ifndef EL2_HEAP_WORKLOAD_H
#define EL2_HEAP_WORKLOAD_H

#include "el2/hyp_req.h"

#define HEAP_HOST_MAX_PAGES 2048

struct heap_host {
	phys_addr_t free[HEAP_HOST_MAX_PAGES]; /* pages the host can donate */
	unsigned int nr_free;
	unsigned int nr_pages; /* all the host's pages */
	unsigned long fixmap;  /* the private VA host pages are seen through */
};

struct heap_workload_vm {
	u32 handle;
	u32 nr_vcpus;
	u32 nr_vcpus_inited;
};

struct heap_workload {
	u64 seed;
	u64 ops;
	u64 rng;
	struct heap_host host;
	struct heap_workload_vm vms[HYP_HEAP_MAX_VMS];
	unsigned int nr_vms;
	u32 trace_pages; /* 0: tracing metadata not loaded */
	/* What the host did. */
	u64 calls;	 /* heap calls issued, retries included */
	u64 requests;	 /* PKVM_HYP_REQ_HYP_ALLOC requests served */
	u64 topup_pages; /* pages EL2 took */
	u64 reclaim_calls, reclaimed_pages;
	u64 shrinks, shrink_counted, shrunk_pages;
	u64 vms_created, vms_destroyed, vcpus_created, trace_loads, trace_unloads;
	u64 failures; /* calls that failed for good */
};

/**
 * heap_workload_init() - Prepare the host side: @nr_pages host pages from
 * @host_base, a fixmap slot, and the generator for @seed.  @ops scales the
 * number of operations (as for the page workload).
 *
 * Return: 0, or -ENOMEM when no private VA is left for the fixmap.
 */
int heap_workload_init(struct heap_workload *hw, u64 seed, u64 ops, phys_addr_t host_base,
		       unsigned int nr_pages);
void heap_workload_run(struct heap_workload *hw);
/* Returns the number of disagreements (each printed), 0 when all agree. */
int heap_workload_verify(struct heap_workload *hw);

/* init, run and verify (which must agree, or EL2 panics): the image's entry. */
void heap_workload_boot(struct heap_workload *hw, u64 seed, u64 ops, phys_addr_t host_base,
			unsigned int nr_pages);

/* Pages mapped in the heap's range, counted from the hyp stage-1. */
unsigned long heap_mapped_pages(void);

/*
 * The ground truth's "heap" array and "heap_workload" object (heap_truth.c),
 * each line indented for the top level and followed by ",\n".
 */
void heap_truth_print(const struct heap_workload *hw);

#endif /* EL2_HEAP_WORKLOAD_H */
