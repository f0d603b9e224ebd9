// SPDX-License-Identifier: GPL-2.0-only
/*
 * The heap, natively (the stage of tests/unit/el2_heap_env.h):
 *
 *  1. hyp_alloc()/hyp_free() latency against the page allocator
 *     (hyp_alloc_pages()/hyp_put_page() of the order that holds the same
 *     size), in a steady state of LIVE objects: each step frees a random
 *     live object and allocates a new one of the same size.  Every call is
 *     timed; median and 99th percentile in nanoseconds.  The heap is topped
 *     up beforehand, so no call fails for want of pages (mapping pages on
 *     demand is part of the cost).
 *
 *  2. The decoder on a heap of NR_CHUNKS chunks (one in three freed)
 *     against a raw read of the same range: every mapped page of the heap,
 *     read through the hyp stage-1 from the same source and summed.  Best
 *     of a few runs; the ratio is the figure of merit (goal: <= 2).
 *
 * Ratios are printed, never asserted: this is make bench, not make check.
 */
#include <inttypes.h>
#include <time.h>

#include "el2_heap_env.h"
#include "hypmem/heap.h"
#include "../lib/rng.h"

#define LIVE	  1000
#define STEPS	  20000
#define NR_CHUNKS 100000
#define RUNS	  5

extern char __data_start[], _end[];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t rnd(void)
{
	return test_rng_next(&rng);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct stats {
	uint64_t median, p99;
};

static struct stats percentiles(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return (struct stats){v[n / 2], v[n * 99 / 100]};
}

static uint64_t alloc_ns[STEPS], free_ns[STEPS];
static void *live[LIVE];
/* The page allocator under test: a pool of host pages, big enough for LIVE 16 KiB blocks. */
static struct hyp_pool bench_pool;
#define BENCH_POOL_PAGES 8192

/* Steady-state churn of @size-byte objects; fills alloc_ns/free_ns. */
static void churn(size_t size, bool heap)
{
	unsigned int order = get_order(size);
	unsigned long next = 0;

	env_setup(HYP_HEAP_VA_SIZE);
	if (heap && env_topup((LIVE + 64) * (PAGE_ALIGN(size + 64) >> PAGE_SHIFT) + 64, &next))
		abort();
	if (!heap &&
	    hyp_pool_init(&bench_pool, hyp_phys_to_pfn(env_host_page(0)), BENCH_POOL_PAGES, 0))
		abort();
	for (int i = 0; i < LIVE; i++) {
		live[i] =
		    heap ? hyp_alloc(size) : hyp_alloc_pages(&bench_pool, (unsigned short)order);
		if (!live[i])
			abort();
	}
	for (int i = 0; i < STEPS; i++) {
		unsigned int k = rnd() % LIVE;
		uint64_t t0 = now_ns(), t1, t2;

		if (heap)
			hyp_free(live[k]);
		else
			hyp_put_page(&bench_pool, live[k]);
		t1 = now_ns();
		live[k] =
		    heap ? hyp_alloc(size) : hyp_alloc_pages(&bench_pool, (unsigned short)order);
		t2 = now_ns();
		if (!live[k])
			abort();
		free_ns[i] = t1 - t0;
		alloc_ns[i] = t2 - t1;
	}
}

static void latency(void)
{
	static const size_t sizes[] = {64, 512, sizeof(struct hyp_page) * 262, 4096, 16384};

	printf("== heap vs page allocator, %d live objects, %d steps (ns, median / p99)\n", LIVE,
	       STEPS);
	printf("%8s %20s %20s %20s %20s %8s\n", "SIZE", "hyp_alloc", "hyp_alloc_pages", "hyp_free",
	       "hyp_put_page", "ALLOC x");
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct stats ha, hf, pa, pf;

		churn(sizes[i], true);
		ha = percentiles(alloc_ns, STEPS);
		hf = percentiles(free_ns, STEPS);
		churn(sizes[i], false);
		pa = percentiles(alloc_ns, STEPS);
		pf = percentiles(free_ns, STEPS);
		printf("%8zu %9" PRIu64 " / %-8" PRIu64 " %9" PRIu64 " / %-8" PRIu64 " %9" PRIu64
		       " / %-8" PRIu64 " %9" PRIu64 " / %-8" PRIu64 " %8.1f\n",
		       sizes[i], ha.median, ha.p99, pa.median, pa.p99, hf.median, hf.p99, pf.median,
		       pf.p99, pa.median ? (double)ha.median / (double)pa.median : 0.0);
	}
}

/* --- the decoder --- */

static struct hypmem_target *open_target(void)
{
	struct hypmem_target_config cfg = {.vmlinux = "/proc/self/exe"};
	struct hypmem_segment segs[2];
	const void *data[2];
	struct hypmem_dwarf *dw;
	struct hypmem_source *src;
	struct hypmem_target *t;
	struct hypmem_error *err;
	uint64_t sym;
	char vmcoreinfo[256];
	u64 data_va = (u64)__data_start & PAGE_MASK;

	if ((err = hypmem_dwarf_open("/proc/self/exe", &dw)) ||
	    (err = hypmem_dwarf_find_symbol(dw, "hyp_allocator", &sym, NULL)))
		goto fail;
	hypmem_dwarf_destroy(dw);
	segs[0] = (struct hypmem_segment){.phys_start = RAM_PA, .size = RAM_SIZE};
	data[0] = env_ram;
	segs[1] = (struct hypmem_segment){.phys_start = data_va + (u64)hyp_physvirt_offset,
					  .size = PAGE_ALIGN((u64)_end) - data_va};
	data[1] = (void *)data_va;
	snprintf(
	    vmcoreinfo, sizeof(vmcoreinfo),
	    "OSRELEASE=bench\nPAGESIZE=4096\nNUMBER(kimage_voffset)=0x%llx\nKERNELOFFSET=%llx\n",
	    (unsigned long long)-(u64)hyp_physvirt_offset,
	    (unsigned long long)((u64)&hyp_allocator - sym));
	if ((err = hypmem_source_create_memory(segs, data, 2, vmcoreinfo, &src)) ||
	    (err = hypmem_target_open_source(&cfg, src, &t)))
		goto fail;
	return t;
fail:
	fprintf(stderr, "bench_heap: %s\n", err->message);
	exit(2);
}

static uint64_t sink;

/* Every mapped page of the range, read through the stage-1 and summed. */
static uint64_t raw_read(struct hypmem_target *t, uint64_t *bytes)
{
	static uint64_t buf[PAGE_SIZE / 8];
	uint64_t va, t0 = now_ns();

	*bytes = 0;
	for (va = (u64)hyp_allocator.start; va < (u64)hyp_allocator.end; va += PAGE_SIZE) {
		struct hypmem_error *err = hypmem_target_read_hyp(t, buf, va, PAGE_SIZE);

		if (err) {
			/* Unmapped: the decoder pays for finding that out too. */
			hypmem_error_destroy(err);
			continue;
		}
		for (size_t j = 0; j < ARRAY_SIZE(buf); j++)
			sink += buf[j];
		*bytes += PAGE_SIZE;
	}
	return now_ns() - t0;
}

static void decoder(void)
{
	static void *objs[NR_CHUNKS];
	uint64_t best_raw = UINT64_MAX, best_dec = UINT64_MAX, bytes = 0;
	struct hypmem_target *t;
	unsigned long next = 0;
	size_t nr_chunks = 0;

	env_setup(HYP_HEAP_VA_SIZE);
	if (env_topup(ENV_HOST_PAGES - 16, &next))
		abort();
	for (int i = 0; i < NR_CHUNKS; i++) {
		objs[i] = hyp_alloc(16 + rnd() % 1008);
		if (!objs[i]) {
			fprintf(stderr, "bench_heap: the heap is full after %d chunks\n", i);
			exit(2);
		}
	}
	for (int i = 0; i < NR_CHUNKS; i += 3)
		hyp_free(objs[i]);

	t = open_target();
	for (int run = 0; run < RUNS; run++) {
		struct hypmem_heap *heaps;
		size_t nr;
		uint64_t t0, d;
		struct hypmem_error *err;

		d = raw_read(t, &bytes);
		best_raw = d < best_raw ? d : best_raw;
		t0 = now_ns();
		err = hypmem_heaps_decode(t, true, &heaps, &nr);
		d = now_ns() - t0;
		if (err || nr != 1 || hypmem_target_findings(t)->total) {
			fprintf(stderr, "bench_heap: decode failed or found something\n");
			exit(2);
		}
		nr_chunks = heaps[0].nr_chunks;
		best_dec = d < best_dec ? d : best_dec;
		hypmem_heaps_free(heaps, nr);
	}
	printf("== heap decoder, %zu chunks, %.1f MiB mapped of a %lu MiB range (best of %d)\n",
	       nr_chunks, (double)bytes / (1 << 20), HYP_HEAP_VA_SIZE >> 20, RUNS);
	printf("raw read of the range  %8.2f ms\n", (double)best_raw / 1e6);
	printf("hypmem_heaps_decode    %8.2f ms  (%.0f ns per chunk)\n", (double)best_dec / 1e6,
	       (double)best_dec / (double)nr_chunks);
	printf("ratio decode / raw     %8.2f  (goal <= 2)\n", (double)best_dec / (double)best_raw);
	hypmem_target_destroy(t);
}

int main(void)
{
	latency();
	decoder();
	return sink == 42; /* keep the reads */
}
