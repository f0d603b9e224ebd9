// SPDX-License-Identifier: GPL-2.0-only
/*
 * The heap decoder (lib/hypmem/heap.c) against the EL2 heap allocator,
 * natively, once per hyp_page layout.
 *
 * The heap workload (lib/el2/heap_workload.c, the same code the image runs)
 * churns a heap on the stage of el2_heap_env.h; the decoder then reads it
 * back through a memory source over the RAM memfd, with this binary as the
 * "vmlinux" (its DWARF describes the EL2 structs, its symbols locate
 * hyp_allocator and pkvm_pgtable).  Ground truth is the EL2 core's own
 * view: hyp_alloc_for_each_chunk(), hyp_alloc_reclaimable(), its stage-1
 * (pkvm_private_va_range_pa(), heap_mapped_pages()).  The host hash is
 * checked against the EL2 one.  Then corruptions, made in memory or in the
 * stage-1, must give the matching finding.
 */
#include "el2/heap_workload.h"
#include "el2_heap_env.h"
#include "hypmem/heap.h"
#include "test.h"
#include "../lib/rng.h"
#include "native_target.h"

static struct heap_workload hw;

struct chunk_list {
	struct hyp_alloc_chunk_info c[2048];
	unsigned int nr;
};

static void collect_fn(const struct hyp_alloc_chunk_info *info, void *arg)
{
	struct chunk_list *l = arg;

	if (l->nr < ARRAY_SIZE(l->c))
		l->c[l->nr++] = *info;
}

static struct chunk_list *chunks(void)
{
	static struct chunk_list l;

	l.nr = 0;
	hyp_alloc_for_each_chunk(collect_fn, &l);
	return &l;
}

static void build_heap(u64 seed, u64 ops)
{
	env_setup(HYP_HEAP_VA_SIZE);
	if (heap_workload_init(&hw, seed, ops, env_host_page(0), HEAP_HOST_MAX_PAGES))
		abort();
	heap_workload_run(&hw);
	if (heap_workload_verify(&hw))
		abort();
}

static struct hypmem_target *open_target(void)
{
	return native_target_open(env_ram, RAM_PA, RAM_SIZE, "hyp_allocator", &hyp_allocator, 0,
				  0);
}

/* Decode the one heap; NULL (and a failed check) if that does not work. */
static struct hypmem_heap *decode(struct hypmem_target **tp)
{
	struct hypmem_heap *heaps = NULL;
	size_t nr = 0;

	*tp = open_target();
	if (!*tp)
		return NULL;
	if (!CHECK_NO_ERR(hypmem_heaps_decode(*tp, true, &heaps, &nr)) || nr != 1) {
		CHECK_EQ_U64(nr, 1);
		hypmem_heaps_free(heaps, nr);
		hypmem_target_destroy(*tp);
		*tp = NULL;
		return NULL;
	}
	return heaps;
}

static bool has_finding(struct hypmem_target *t, enum hypmem_finding_kind kind)
{
	return hypmem_target_findings(t)->by_kind[kind] > 0;
}

static void print_findings(struct hypmem_target *t)
{
	const struct hypmem_findings *f = hypmem_target_findings(t);

	for (size_t i = 0; i < f->nr && i < 8; i++)
		printf("#   finding %s: %s\n", hypmem_finding_key(f->items[i].kind),
		       f->items[i].message);
}

/* Agreement only: el2_alloc.c pins both to known answers (hash_vectors.py). */
TEST(host_hash_matches_el2_hash)
{
	struct chunk_hdr hdr;
	u64 x = 99;

	for (int i = 0; i < 100000; i++) {
		test_rng_next(&x);
		hdr.next = (u32)x;
		hdr.prev = (u32)(x >> 21);
		hdr.__unmapped = (u32)(x >> 32);
		if (hypmem_heap_hash(hdr.next, hdr.prev, hdr.__unmapped) !=
		    chunk_hash_compute(&hdr)) {
			CHECK_EQ_U64(hypmem_heap_hash(hdr.next, hdr.prev, hdr.__unmapped),
				     chunk_hash_compute(&hdr));
			break;
		}
	}
	/* And over every header of a real heap, as stored. */
	build_heap(2, 4000);
	for (unsigned int i = 0; i < chunks()->nr; i++) {
		const struct chunk_hdr *h = (const void *)chunks()->c[i].addr;

		CHECK_EQ_U64(hypmem_heap_hash(h->next, h->prev, h->__unmapped), h->hash);
	}
}

static void compare_with_el2(u64 seed, u64 ops)
{
	struct hypmem_target *t;
	struct hypmem_heap *h;
	struct chunk_list *l;
	unsigned long used = 0, free = 0, largest = 0, nr_used = 0, holes = 0, hole_pages = 0;
	size_t hole = 0;

	build_heap(seed, ops);
	h = decode(&t);
	REQUIRE(h);
	l = chunks();
	CHECK_EQ_U64(h->start, (u64)hyp_allocator.start);
	CHECK_EQ_U64(h->end, (u64)hyp_allocator.end);
	CHECK_EQ_U64(h->last_used, (u64)hyp_allocator.last_used);
	CHECK_EQ_U64(h->mc_pages, hyp_allocator.mc.nr_pages);
	CHECK_EQ_U64(h->mc_walked, hyp_allocator.mc.nr_pages);
	CHECK_EQ_U64(h->nr_chunks, l->nr);
	for (unsigned int i = 0; i < l->nr && i < h->nr_chunks; i++) {
		const struct hyp_alloc_chunk_info *e = &l->c[i];
		const struct hypmem_heap_chunk *c = &h->chunks[i];

		CHECK_EQ_U64(c->addr, e->addr);
		CHECK_EQ_U64(c->pa, pkvm_private_va_range_pa(e->addr));
		CHECK_EQ_U64(c->size, e->size);
		CHECK_EQ_U64(c->mapped, e->mapped);
		CHECK_EQ_U64(c->used, e->used);
		CHECK_EQ_U64(c->is_used, e->is_used);
		CHECK_EQ_U64(c->unmapped, e->unmapped);
		CHECK(c->hash_ok);
		if (e->is_used) {
			nr_used++;
			used += e->used;
		} else {
			free += e->mapped;
			largest = max(largest, e->mapped);
		}
		if (e->unmapped && !e->is_tail) {
			holes++;
			hole_pages += (e->end - e->unmapped) >> PAGE_SHIFT;
			if (hole < h->nr_holes) {
				CHECK_EQ_U64(h->holes[hole].start, e->unmapped);
				CHECK_EQ_U64(h->holes[hole].end, e->end);
			}
			hole++;
		}
	}
	CHECK_EQ_U64(h->nr_used, nr_used);
	CHECK_EQ_U64(h->used_bytes, used);
	CHECK_EQ_U64(h->free_bytes, free);
	CHECK_EQ_U64(h->largest_free, largest);
	CHECK_EQ_U64(h->nr_holes, holes);
	CHECK_EQ_U64(h->hole_pages, hole_pages);
	CHECK_EQ_U64(h->mapped_pages, heap_mapped_pages());
	CHECK_EQ_U64(h->reclaimable_pages, hyp_alloc_reclaimable());
	CHECK(h->complete);
	CHECK_EQ_U64(hypmem_target_findings(t)->total, 0);
	print_findings(t);
	printf("#   seed %llu: %zu chunks, %zu holes, %llu mapped, %llu reclaimable, %llu in "
	       "the memcache\n",
	       (unsigned long long)seed, h->nr_chunks, h->nr_holes,
	       (unsigned long long)h->mapped_pages, (unsigned long long)h->reclaimable_pages,
	       (unsigned long long)h->mc_pages);
	hypmem_heaps_free(h, 1);
	hypmem_target_destroy(t);
}

TEST(decode_matches_el2_seed_1)
{
	compare_with_el2(1, 20000);
}

TEST(decode_matches_el2_seed_7)
{
	compare_with_el2(7, 60000);
}

TEST(decode_matches_el2_seed_11)
{
	compare_with_el2(11, 5000);
}

TEST(empty_heap)
{
	struct hypmem_target *t;
	struct hypmem_heap *h;

	env_setup(HYP_HEAP_VA_SIZE);
	h = decode(&t);
	REQUIRE(h);
	CHECK_EQ_U64(h->nr_chunks, 0);
	CHECK_EQ_U64(h->mapped_pages, 0);
	CHECK_EQ_U64(h->top, (u64)hyp_allocator.start);
	CHECK(h->complete);
	CHECK_EQ_U64(hypmem_target_findings(t)->total, 0);
	hypmem_heaps_free(h, 1);
	hypmem_target_destroy(t);
}

/* --- corruption --- */

/* A chunk of the heap that is not the head or the tail, used or free as asked. */
static struct chunk_hdr *pick(bool used, unsigned int skip)
{
	struct chunk_list *l = chunks();

	for (unsigned int i = 1; i + 1 < l->nr; i++)
		if (l->c[i].is_used == used && !skip--)
			return (struct chunk_hdr *)l->c[i].addr;
	printf("#   no suitable chunk: the workload changed?\n");
	abort();
}

static void rehash(struct chunk_hdr *c)
{
	c->hash = chunk_hash_compute(c);
}

static void expect(void (*corrupt)(void), enum hypmem_finding_kind kind)
{
	struct hypmem_target *t;
	struct hypmem_heap *h;

	build_heap(3, 20000);
	corrupt();
	h = decode(&t);
	REQUIRE(h);
	CHECK(has_finding(t, kind));
	if (!has_finding(t, kind)) {
		printf("#   expected finding %s\n", hypmem_finding_key(kind));
		print_findings(t);
	}
	hypmem_heaps_free(h, 1);
	hypmem_target_destroy(t);
}

static void corrupt_hash(void)
{
	pick(true, 2)->hash ^= 0x100;
}

static void corrupt_next(void)
{
	struct chunk_hdr *c = pick(true, 1);

	c->next = 0x7ffffff0;
	rehash(c);
}

static void corrupt_misaligned_next(void)
{
	struct chunk_hdr *c = pick(true, 3);

	c->next += 8;
	rehash(c);
}

static void corrupt_prev(void)
{
	struct chunk_hdr *c = pick(true, 4);

	c->prev += 16;
	rehash(c);
}

/* The next offset of a later chunk points back at an earlier one, mod 2^32. */
static void corrupt_loop(void)
{
	struct chunk_hdr *a = pick(true, 1), *b = pick(true, 5);

	b->next = (u32) - (u32)((unsigned long)b - (unsigned long)a);
	rehash(b);
}

/* The stage-1 loses the page of a chunk header (the memory stays, natively). */
static void corrupt_unmap_header_page(void)
{
	struct chunk_hdr *c = pick(true, 6);

	kvm_pgtable_hyp_unmap(&pkvm_pgtable, (unsigned long)c & PAGE_MASK, PAGE_SIZE);
}

/* A page mapped above the top of the heap: no chunk accounts for it. */
static void corrupt_orphan(void)
{
	struct chunk_list *l = chunks();
	const struct hyp_alloc_chunk_info *tail = &l->c[l->nr - 1];

	if (!tail->unmapped)
		abort();
	kvm_pgtable_hyp_map(&pkvm_pgtable, tail->unmapped + 2 * PAGE_SIZE, PAGE_SIZE,
			    env_host_page(ENV_HOST_PAGES - 1), PAGE_HYP);
}

static void corrupt_unmapped_offset(void)
{
	struct chunk_hdr *c = pick(false, 0);

	c->__unmapped = (c->__unmapped & USED_BIT_MASK) | 0x810;
	rehash(c);
}

static void corrupt_last_used(void)
{
	hyp_allocator.last_used = (char *)hyp_allocator.end + 4096;
}

static void corrupt_memcache_loop(void)
{
	struct kvm_hyp_memcache *mc = &hyp_allocator.mc;
	/* Host pages past the workload's. */
	unsigned long next = HEAP_HOST_MAX_PAGES;
	phys_addr_t first;

	/* Stalled topup pages: three of them, then the last points back at the first. */
	env_topup(3, &next);
	(void)next;
	first = mc->head;
	*(phys_addr_t *)hyp_phys_to_virt(*(phys_addr_t *)hyp_phys_to_virt(first)) = first;
	mc->nr_pages += 2;
}

static void corrupt_memcache_outside(void)
{
	unsigned long next = HEAP_HOST_MAX_PAGES;

	env_topup(2, &next);
	*(phys_addr_t *)hyp_phys_to_virt(hyp_allocator.mc.head) = 0x1000;
}

static void corrupt_range(void)
{
	hyp_allocator.end = (char *)hyp_allocator.start + 4095;
}

TEST(finding_hash_mismatch)
{
	expect(corrupt_hash, HYPMEM_FINDING_HEAP_HASH_MISMATCH);
}

TEST(finding_next_out_of_range)
{
	expect(corrupt_next, HYPMEM_FINDING_HEAP_OFFSET_OUT_OF_RANGE);
}

TEST(finding_next_misaligned)
{
	expect(corrupt_misaligned_next, HYPMEM_FINDING_HEAP_OFFSET_OUT_OF_RANGE);
}

TEST(finding_prev_mismatch)
{
	expect(corrupt_prev, HYPMEM_FINDING_HEAP_OFFSET_OUT_OF_RANGE);
}

TEST(finding_loop)
{
	expect(corrupt_loop, HYPMEM_FINDING_HEAP_LOOP);
}

TEST(finding_header_in_hole)
{
	expect(corrupt_unmap_header_page, HYPMEM_FINDING_HEAP_CHUNK_IN_HOLE);
}

TEST(finding_orphan_mapping)
{
	expect(corrupt_orphan, HYPMEM_FINDING_HEAP_ORPHAN_MAPPING);
}

TEST(finding_bad_unmapped_offset)
{
	expect(corrupt_unmapped_offset, HYPMEM_FINDING_HEAP_SIZE_INCONSISTENT);
}

TEST(finding_last_used)
{
	expect(corrupt_last_used, HYPMEM_FINDING_HEAP_SIZE_INCONSISTENT);
}

TEST(finding_memcache_loop)
{
	expect(corrupt_memcache_loop, HYPMEM_FINDING_HEAP_LOOP);
}

TEST(finding_memcache_outside_ram)
{
	expect(corrupt_memcache_outside, HYPMEM_FINDING_HEAP_MEMCACHE_BROKEN);
}

TEST(finding_bad_range)
{
	expect(corrupt_range, HYPMEM_FINDING_HEAP_INVALID);
}

TEST_MAIN
