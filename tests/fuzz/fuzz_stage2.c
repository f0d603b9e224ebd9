// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the page-table walker and the stage-2 / stage-1
 * decoders (lib/hypmem/stage2.c, render_stage2.c).
 *
 * Structure-aware, as fuzz_decode.c is: at start-up the EL2 core builds a
 * real host stage-2 natively (tests/unit/el2_stage2_env.h) and plays a host
 * on it (faults, shares, donations, guests created and torn down), so the
 * tables hold blocks, pages, owner annotations and state bits; the fuzzer
 * corrupts that.  Pristine copies are kept of both pools' pages and of
 * their vmemmap entries (the refcounts the decoder checks).
 *
 * An input is one flags byte, then patch records
 *   u8 where	0 host_s2_pool pages, 1 hpool pages, 2 their vmemmap entries
 *   u32 offset	little-endian, modulo the region's size
 *   u8 len	1 + len % 16 bytes follow
 * Flags: bit 0 decode the hyp stage-1 instead, bit 1 also render JSON,
 * text and SVG, bits 2-3 move the root (0: in place, else a pool page).
 * The decoder runs without DWARF (hypmem_stage2_decode_raw()), with the
 * configuration a v6.1-era Android kernel's DWARF gives; every patched
 * byte is restored afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../unit/el2_stage2_env.h"
#include "hypmem/stage2.h"
#include "hypmem/render.h"
#include "../lib/rng.h"
#include "../lib/fakeram.h"

#define MAX_PATCHES 64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct s2env env;
static struct hypmem_source *src;
static struct hypmem_ram_range ram_range, s2pool_range, hpool_range;
static u8 *pristine[3];
static u64 region_size[3];
static FILE *devnull;

static u8 *region(unsigned int where)
{
	switch (where) {
	case 0:
		return hyp_phys_to_virt(host_s2_pool.range_start);
	case 1:
		return hyp_phys_to_virt(hpool.range_start);
	default:
		return (u8 *)hyp_phys_to_page(hpool.range_start);
	}
}

static void play_host(void)
{
	u64 x = 0x2545f4914f6cdd1dULL;
	long vm = 0;

	for (int op = 0; op < 300; op++) {
		u64 pa = hyp_pfn_to_phys(env.host_first_pfn);

		test_rng_next(&x);
		pa += (x >> 8) % (256ULL << 20) & PAGE_MASK;
		switch (x % 5) {
		case 0:
		case 1:
			handle_host_mem_abort(pa);
			break;
		case 2:
			if (vm <= 0)
				vm = __pkvm_init_vm(pa >> PAGE_SHIFT, 1);
			else
				__pkvm_host_donate_guest(vm, pa >> PAGE_SHIFT, 1 + (x >> 40) % 600);
			break;
		case 3:
			__pkvm_host_share_hyp(pa >> PAGE_SHIFT);
			break;
		default:
			__pkvm_host_donate_hyp(pa >> PAGE_SHIFT, 1 + x % 3);
			break;
		}
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (s2env_init(&env, 40, S2ENV_S2POOL_PAGES))
		abort();
	play_host();
	ram_range = (struct hypmem_ram_range){S2ENV_RAM_PA, S2ENV_RAM_PA + S2ENV_RAM_SIZE};
	s2pool_range = (struct hypmem_ram_range){host_s2_pool.range_start, host_s2_pool.range_end};
	hpool_range = (struct hypmem_ram_range){hpool.range_start, hpool.range_end};
	region_size[0] = s2pool_range.end - s2pool_range.start;
	region_size[1] = hpool_range.end - hpool_range.start;
	/* hpool's and host_s2_pool's vmemmap entries are contiguous. */
	region_size[2] =
	    ((s2pool_range.end - hpool_range.start) >> PAGE_SHIFT) * sizeof(struct hyp_page);
	for (int i = 0; i < 3; i++) {
		pristine[i] = malloc(region_size[i]);
		if (!pristine[i])
			abort();
		memcpy(pristine[i], region(i), region_size[i]);
	}
	src = fakeram_source(S2ENV_RAM_PA, env.ram, S2ENV_RAM_SIZE);
	if (!src)
		abort();
	devnull = fopen("/dev/null", "w");
	return devnull ? 0 : 1;
}

static struct hypmem_error *refcount(void *arg, uint64_t pa, uint64_t *ret)
{
	(void)arg;
	if (pa < ram_range.start || pa >= ram_range.end)
		return hypmem_error_fault(pa, "no vmemmap entry for 0x%llx",
					  (unsigned long long)pa);
	*ret = hyp_phys_to_page(pa)->refcount;
	return NULL;
}

static void configure(struct hypmem_stage2 *s, bool stage1, unsigned int root)
{
	static const char *const owners[] = {"host", "hyp", "guest", "ffa", "protected"};
	struct kvm_pgtable *pgt = stage1 ? &pkvm_pgtable : &host_mmu.pgt;
	u64 pgd = hyp_virt_to_phys(pgt->pgd);

	memset(s, 0, sizeof(*s));
	s->cfg.stage1 = stage1;
	s->cfg.android_refcounts = true;
	s->cfg.check_identity = !stage1;
	s->cfg.keep_runs = true;
	s->cfg.state_shift = 55;
	s->cfg.state_of_raw[0] = HYPMEM_S2_OWNED;
	s->cfg.state_of_raw[1] = HYPMEM_S2_SHARED_OWNED;
	s->cfg.state_of_raw[2] = HYPMEM_S2_SHARED_BORROWED;
	s->cfg.state_of_raw[3] = -1;
	s->cfg.owner_max = 4;
	for (int i = 0; i < 5; i++)
		snprintf(s->cfg.owner_names[i], sizeof(s->cfg.owner_names[i]), "%s", owners[i]);
	s->cfg.ram = &ram_range;
	s->cfg.nr_ram = 1;
	s->cfg.refcount = refcount;
	s->pool = stage1 ? hpool_range : s2pool_range;
	if (root)
		pgd = s->pool.start + (u64)root * 2 * PAGE_SIZE;
	if (hypmem_pgtable_geometry_init(&s->geom, pgt->ia_bits, pgt->start_level, pgd, !stage1))
		s->geom.pgd_pages = 0; /* no walk */
	s->geom.table_ranges = &s->pool;
	s->geom.nr_table_ranges = 1;
	snprintf(s->table, sizeof(s->table), stage1 ? "pkvm_pgtable" : "host_mmu");
	s->found = true;
}

static void render(struct hypmem_stage2 *s)
{
	struct hypmem_target_info info = {.ram = &ram_range, .nr_ram = 1};
	struct json_object *o = hypmem_json_stage2(s);

	if (o)
		fputs(json_object_to_json_string(o), devnull);
	json_object_put(o);
	hypmem_text_stage2(devnull, s);
	hypmem_text_stage2_line(devnull, s);
	hypmem_error_destroy(hypmem_svg_stage2(devnull, s, &info));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct {
		unsigned int where;
		u64 off, len;
	} patches[MAX_PATCHES];
	unsigned int nr = 0, flags;
	struct hypmem_findings findings;
	struct hypmem_stage2 s;
	struct hypmem_error *err;
	size_t pos = 1;

	if (!size)
		return 0;
	flags = data[0];
	while (nr < MAX_PATCHES && size - pos >= 6) {
		unsigned int where = data[pos] % 3;
		u64 off, len = 1 + data[pos + 5] % 16;

		off = (u64)data[pos + 1] | (u64)data[pos + 2] << 8 | (u64)data[pos + 3] << 16 |
		      (u64)data[pos + 4] << 24;
		pos += 6;
		if (size - pos < len)
			len = size - pos;
		off %= region_size[where];
		if (len > region_size[where] - off)
			len = region_size[where] - off;
		memcpy(region(where) + off, data + pos, len);
		patches[nr++] = (typeof(patches[0])){where, off, len};
		pos += len;
	}

	configure(&s, flags & 1, (flags >> 2) & 3);
	hypmem_findings_init(&findings);
	if (s.geom.pgd_pages) {
		err = hypmem_stage2_decode_raw(src, &findings, &s);
		if (err && err->code != HYPMEM_ERROR_NO_MEMORY)
			abort(); /* only out-of-memory may stop a decode */
		hypmem_error_destroy(err);
		if (flags & 2)
			render(&s);
	}
	hypmem_stage2_deinit(&s);
	hypmem_findings_deinit(&findings);

	while (nr--)
		memcpy(region(patches[nr].where) + patches[nr].off,
		       pristine[patches[nr].where] + patches[nr].off, patches[nr].len);
	return 0;
}
