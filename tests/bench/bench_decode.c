// SPDX-License-Identifier: GPL-2.0-only
/*
 * Decoder speed against a raw read of the same bytes, in one process.
 *
 * Baseline: read, through the same source, the physical pages that back the
 * vmemmap entries of all RAM and the pages of every pool (what a decode
 * must touch at least once), and sum them so the reads cannot be dropped.
 * Decode: the pools and the vmemmap summary, the work to compare
 * (every free list walked and checked, the
 * vmemmap histogrammed).  Each is run a few times; the best time counts.
 * Peak RSS comes from getrusage().
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "hypmem/render.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t sink;

static struct hypmem_error *raw_read(struct hypmem_target *t, const struct hypmem_report *r,
				     uint64_t *bytes)
{
	const struct hypmem_target_info *info = hypmem_target_info(t);
	static uint64_t buf[4096 / 8];
	struct hypmem_error *err;

	*bytes = 0;
	for (size_t i = 0; i < info->nr_ram; i++) {
		uint64_t va = info->vmemmap_base + (info->ram[i].start >> 12) * r->vmemmap.entry_size;
		uint64_t end = info->vmemmap_base + (info->ram[i].end >> 12) * r->vmemmap.entry_size;

		for (; va < end; va += sizeof(buf)) {
			err = hypmem_target_read_hyp(t, buf, va, sizeof(buf));
			if (err)
				return err;
			for (size_t j = 0; j < 512; j++)
				sink += buf[j];
			*bytes += sizeof(buf);
		}
	}
	for (size_t i = 0; i < r->nr_pools; i++) {
		for (uint64_t pa = r->pools[i].range_start; pa < r->pools[i].range_end; pa += 4096) {
			err = hypmem_target_read(t, buf, pa, 16);
			if (err)
				return err;
			sink += buf[0];
			*bytes += 4096;
		}
	}
	return NULL;
}

/* The decode the ratio is about: every pool's free lists, then the vmemmap. */
static struct hypmem_error *decode_pools_vmemmap(struct hypmem_target *t, struct hypmem_report *r)
{
	struct hypmem_error *err;

	memset(r, 0, sizeof(*r));
	err = hypmem_pools_decode(t, &r->pools, &r->nr_pools);
	if (!err)
		err = hypmem_vmemmap_for_each(t, 0, UINT64_MAX, NULL, NULL, &r->vmemmap);
	return err;
}

int main(int argc, char **argv)
{
	struct hypmem_target_config cfg = { 0 };
	struct hypmem_target *t;
	struct hypmem_report r;
	struct hypmem_error *err;
	double best_raw = 1e9, best_dec = 1e9, best_full;
	struct rusage ru;
	uint64_t bytes = 0;
	int runs = 10;

	if (argc != 3) {
		fprintf(stderr, "usage: %s IMAGE DUMP\n", argv[0]);
		return 2;
	}
	cfg.vmlinux = argv[1];
	cfg.core = argv[2];
	err = hypmem_target_open(&cfg, &t);
	if (err)
		goto fail;
	for (int i = 0; i < runs; i++) {
		double t0 = now(), t1;

		err = decode_pools_vmemmap(t, &r);
		if (err)
			goto fail;
		t1 = now();
		if (t1 - t0 < best_dec)
			best_dec = t1 - t0;
		t0 = now();
		err = raw_read(t, &r, &bytes);
		if (err)
			goto fail;
		t1 = now();
		if (t1 - t0 < best_raw)
			best_raw = t1 - t0;
		if (i + 1 < runs)
			hypmem_report_deinit(&r);
	}
	/* For information: the whole report hypmem-stat prints (heap, stage-2 too). */
	{
		struct hypmem_report full;
		double t0 = now();

		err = hypmem_report_collect(t, &full);
		if (err)
			goto fail;
		best_full = now() - t0;
		hypmem_report_deinit(&full);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("target: %s, %" PRIu64 " vmemmap entries, %zu pools, source %s\n",
	       hypmem_target_info(t)->release, r.vmemmap.nr_entries, r.nr_pools,
	       hypmem_source_kind_name(hypmem_source_kind(hypmem_target_source(t))));
	printf("raw read of the same bytes: %.1f ms (%.1f MiB)\n", best_raw * 1e3,
	       (double)bytes / (1 << 20));
	printf("decode (vmemmap + every free list): %.1f ms\n", best_dec * 1e3);
	printf("ratio decode/raw: %.2fx (goal <= 1.5x)\n", best_dec / best_raw);
	printf("whole report (pools, vmemmap, heap, stage-2), one run: %.1f ms\n", best_full * 1e3);
	printf("peak RSS: %.1f MiB (goal < 64 MiB)\n", (double)ru.ru_maxrss / 1024);
	hypmem_report_deinit(&r);
	hypmem_target_destroy(t);
	return sink == 42 ? 3 : 0;
fail:
	hypmem_error_fprint(stderr, argv[0], err);
	hypmem_error_destroy(err);
	return 2;
}
