// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the decoders (target.c, vmemmap.c, buddy.c,
 * report.c): structure-aware, one binary per hyp_page layout.
 *
 * Random bytes would rarely get past the target's first consistency check,
 * so the harness starts from a real, consistent state and lets the fuzzer
 * corrupt it.  At start-up the EL2 core builds its state natively, as
 * tests/unit/el2_decode.c does: a host buffer plays RAM at PA 0x40000000,
 * with a vmemmap mapped through the hyp stage-1 (kvm_pgtable_hyp_map) and
 * two pools churned by the workload; this binary is the "vmlinux", its
 * DWARF describes the EL2 core's structs and its symbols locate hpool and
 * friends.  Pristine copies are kept of RAM and of the binary's data pages
 * (where hpool, host_s2_pool, pkvm_pgtable, __hyp_vmemmap and
 * hyp_physvirt_offset live).
 *
 * An input is a list of patches, records of
 *   u8 where	0 RAM, 1 hpool, 2 host_s2_pool, 3 pkvm_pgtable,
 *		4 the 16 bytes of __hyp_vmemmap then hyp_physvirt_offset
 *   u32 offset	little-endian, modulo the region's size
 *   u8 len	1 + len % 16 bytes follow
 * Each is applied, a target is opened over the patched memory through a
 * memory source (the binary's DWARF stays open across inputs: reopening it
 * cost more than the decoding), the report is collected and rendered (JSON and text), a
 * vmemmap range is dumped, everything is destroyed, and the patched bytes
 * are restored from the pristine copies.
 *
 * The source reads the binary's data pages from a copy, not in place:
 * under ASan the live pages hold poisoned redzones between globals, which
 * a corrupted pointer would make the decoder read, and those reads are
 * legitimate reads of "dump" memory, not bugs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "el2/gfp.h"
#include "el2/mm.h"
#include "el2/setup.h"
#include "el2/workload.h"
#include "hypmem/report.h"
#include "hypmem/render.h"
/*
 * 8 MiB of RAM, not the unit tests' 32: every input decodes the whole
 * vmemmap, so its length sets the rate (gen_corpus.py knows this size).
 */
#define POOLS_ENV_RAM_MIB     8
#define POOLS_ENV_POOL1_PAGES 600
#define POOLS_ENV_POOL2_PAGES 412
#include "../unit/el2_pools_env.h"

#define MAX_PATCHES 64
#define DUMP_PAGES  64 /* vmemmap entries dumped per input */

enum where { WHERE_RAM, WHERE_HPOOL, WHERE_S2POOL, WHERE_PGTABLE, WHERE_VARS, WHERE_NR };

struct patch {
	enum where where;
	u32 off;
	u32 len;
	const u8 *bytes;
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern char __data_start[], _end[];

static u8 *ram, *ram_pristine;
static u8 *image, *image_pristine; /* the binary's data pages */
static u64 image_va, image_size;
static struct pools_env env;
static u64 pool1_pfn;
static char vmcoreinfo[256];
static FILE *devnull;
static struct hypmem_dwarf *image_dwarf; /* this binary's DWARF, open for the whole run */

/* Lay out RAM as tests/unit/el2_decode.c does, and run the workload. */
static void build_el2_state(u64 seed)
{
	pools_env_build(&env, seed);
	ram = env.ram;
	pool1_pfn = env.pool1_pfn;
}

/*
 * Copy memory that may hold ASan redzones (the data pages between
 * globals): not instrumented, and volatile so that it does not become a
 * call to the intercepted memcpy().
 */
__attribute__((no_sanitize("address"))) static void raw_copy(u8 *dst, const u8 *src, u64 n)
{
	const volatile u8 *s = src;
	volatile u8 *d = dst;

	for (u64 i = 0; i < n; i++)
		d[i] = s[i];
}

static u64 image_off(const void *var)
{
	return (u64)var - image_va;
}

/* The byte @off of region @where in RAM/image (@pristine: in the copies). */
static u8 *locate(enum where where, u64 off, bool pristine)
{
	u8 *r = pristine ? ram_pristine : ram, *img = pristine ? image_pristine : image;

	switch (where) {
	case WHERE_RAM:
		return r + off % RAM_SIZE;
	case WHERE_HPOOL:
		return img + image_off(&hpool) + off % sizeof(hpool);
	case WHERE_S2POOL:
		return img + image_off(&host_s2_pool) + off % sizeof(host_s2_pool);
	case WHERE_PGTABLE:
		return img + image_off(&pkvm_pgtable) + off % sizeof(pkvm_pgtable);
	default:
		off %= 16;
		if (off < 8)
			return img + image_off(&__hyp_vmemmap) + off;
		return img + image_off(&hyp_physvirt_offset) + off - 8;
	}
}

static size_t parse_patches(const u8 *data, size_t size, struct patch *p)
{
	size_t n = 0;

	while (size >= 6 && n < MAX_PATCHES) {
		u32 len = 1 + data[5] % 16;

		p[n].where = (enum where)(data[0] % WHERE_NR);
		p[n].off =
		    (u32)data[1] | (u32)data[2] << 8 | (u32)data[3] << 16 | (u32)data[4] << 24;
		data += 6;
		size -= 6;
		if (len > size)
			len = (u32)size;
		if (!len)
			break;
		p[n].len = len;
		p[n].bytes = data;
		data += len;
		size -= len;
		n++;
	}
	return n;
}

static void apply(const struct patch *p, size_t n, bool restore)
{
	for (size_t i = 0; i < n; i++)
		for (u32 j = 0; j < p[i].len; j++)
			*locate(p[i].where, (u64)p[i].off + j, false) =
			    restore ? *locate(p[i].where, (u64)p[i].off + j, true) : p[i].bytes[j];
}

static struct hypmem_target *open_target(struct hypmem_error **err_ret)
{
	struct hypmem_target_config cfg = {.vmlinux = "/proc/self/exe", .dwarf = image_dwarf};
	struct hypmem_segment segs[2];
	const void *data[2];
	struct hypmem_source *src;
	struct hypmem_target *t = NULL;

	segs[0] = (struct hypmem_segment){.phys_start = RAM_PA, .size = RAM_SIZE};
	data[0] = ram;
	segs[1] = (struct hypmem_segment){.phys_start = image_va + (u64)hyp_physvirt_offset,
					  .size = image_size};
	data[1] = image;
	*err_ret = hypmem_source_create_memory(segs, data, 2, vmcoreinfo, &src);
	if (*err_ret)
		return NULL;
	*err_ret = hypmem_target_open_source(&cfg, src, &t);
	return *err_ret ? NULL : t;
}

static struct hypmem_error *dump_page(const struct hypmem_page *p, void *arg)
{
	(void)arg;
	hypmem_text_page(devnull, p);
	json_object_put(hypmem_json_page(p));
	return NULL;
}

/* What hypmem-stat and hypmem-dump do with a target. */
static void decode(struct hypmem_target *t)
{
	struct hypmem_vmemmap_summary sum;
	struct hypmem_page pages[16];
	struct hypmem_report r;
	struct hypmem_error *err;

	err = hypmem_report_collect(t, &r);
	if (!err) {
		json_object_put(hypmem_json_report(t, &r));
		hypmem_text_summary(devnull, t, &r);
		hypmem_text_pools(devnull, r.pools, r.nr_pools);
	}
	hypmem_error_destroy(err);
	hypmem_report_deinit(&r);

	hypmem_text_page_header(devnull);
	err = hypmem_vmemmap_for_each(t, pool1_pfn - 8, pool1_pfn + DUMP_PAGES, dump_page, NULL,
				      &sum);
	if (!err)
		json_object_put(hypmem_json_vmemmap(&sum));
	hypmem_error_destroy(err);
	hypmem_vmemmap_summary_deinit(&sum);

	hypmem_error_destroy(hypmem_vmemmap_read(t, pool1_pfn, 16, pages));
	hypmem_text_findings(devnull, hypmem_target_findings(t), 32);
}

/*
 * The unpatched state must decode to the EL2 core's own statistics, with
 * no finding about the pools or the vmemmap: otherwise the harness would
 * be fuzzing a state the decoder does not understand to begin with.
 * (Findings about structures this harness does not build are allowed.)
 */
static void self_check(void)
{
	struct hyp_pool *pools[] = {&hpool, &host_s2_pool};
	struct hypmem_error *err;
	struct hypmem_target *t = open_target(&err);
	const struct hypmem_findings *f;
	struct hypmem_report r;
	size_t matched = 0, pool_findings = 0;

	if (!t || (err = hypmem_report_collect(t, &r))) {
		fprintf(stderr, "fuzz_decode: pristine state does not decode: %s\n",
			err ? err->message : "?");
		abort();
	}
	f = hypmem_target_findings(t);
	for (size_t i = 0; i < r.nr_pools; i++) {
		pool_findings += r.pools[i].findings;
		for (size_t j = 0; j < 2; j++) {
			struct pool_free_stats st;

			pool_free_stats(pools[j], &st);
			if (r.pools[i].range_start == pools[j]->range_start &&
			    r.pools[i].free_pages == st.free_pages)
				matched++;
		}
	}
	if (r.nr_pools != 2 || matched != 2 || pool_findings || r.vmemmap.nr_unreadable ||
	    r.vmemmap.nr_entries != RAM_PAGES || f->by_kind[HYPMEM_FINDING_VMEMMAP_UNMAPPED]) {
		fprintf(stderr,
			"fuzz_decode: pristine state decodes wrong: %zu pools, %zu match, "
			"%zu pool findings, %llu/%llu vmemmap entries unreadable\n",
			r.nr_pools, matched, pool_findings,
			(unsigned long long)r.vmemmap.nr_unreadable,
			(unsigned long long)r.vmemmap.nr_entries);
		hypmem_text_findings(stderr, f, 10);
		abort();
	}
	hypmem_report_deinit(&r);
	hypmem_target_destroy(t);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct hypmem_error *err;
	uint64_t hpool_elf;

	(void)argc;
	(void)argv;
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	build_el2_state(3);

	image_va = (u64)__data_start & PAGE_MASK;
	image_size = PAGE_ALIGN((u64)_end) - image_va;
	if (image_off(&hpool) >= image_size || image_off(&hyp_physvirt_offset) >= image_size ||
	    image_off(&__hyp_vmemmap) >= image_size || image_off(&pkvm_pgtable) >= image_size ||
	    image_off(&host_s2_pool) >= image_size) {
		fprintf(stderr, "fuzz_decode: EL2 globals outside [__data_start, _end)\n");
		abort();
	}
	image = malloc(image_size);
	image_pristine = malloc(image_size);
	ram_pristine = malloc(RAM_SIZE);
	if (!image || !image_pristine || !ram_pristine)
		abort();
	raw_copy(image, (const u8 *)image_va, image_size);
	memcpy(image_pristine, image, image_size);
	memcpy(ram_pristine, ram, RAM_SIZE);

	err = hypmem_dwarf_open("/proc/self/exe", &image_dwarf);
	if (!err)
		err = hypmem_dwarf_find_symbol(image_dwarf, "hpool", &hpool_elf, NULL);
	if (err) {
		fprintf(stderr, "fuzz_decode: %s\n", err->message);
		abort();
	}
	snprintf(vmcoreinfo, sizeof(vmcoreinfo),
		 "OSRELEASE=fuzz-L%d\nPAGESIZE=4096\nNUMBER(kimage_voffset)=0x%llx\n"
		 "KERNELOFFSET=%llx\n",
		 HYP_PAGE_LAYOUT, (unsigned long long)-(u64)hyp_physvirt_offset,
		 (unsigned long long)((u64)&hpool - hpool_elf));
	self_check();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct patch p[MAX_PATCHES];
	size_t n = parse_patches(data, size, p);
	struct hypmem_error *err;
	struct hypmem_target *t;

	apply(p, n, false);
	t = open_target(&err);
	if (t)
		decode(t);
	hypmem_error_destroy(err);
	hypmem_target_destroy(t);
	apply(p, n, true);
	return 0;
}
