// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the EL2 heap allocator (lib/el2/alloc.c), natively, on the
 * stage of el2_heap_env.h: real private mappings, so a page the allocator
 * forgets to map faults here as it would at EL2.
 *
 * Oracles are independent of the allocator's bookkeeping where it matters:
 * the hyp stage-1 (pkvm_private_va_range_pa) says what is mapped; the raw
 * header bytes are re-read and re-hashed (with chunk_hash_compute(), which
 * the hash tests pin to known answers computed by tests/unit/hash_vectors.py
 * from the definition, as they pin the host decoder's copy); a
 * shadow list of live allocations (with a fill pattern) catches overlaps;
 * reclaimable pages are counted page by page from what is mapped and what
 * holds a header or used data.
 */
#include <pthread.h>

#include "el2/hash.h"
#include "el2/percpu.h"
#include "el2_heap_env.h"
#include "hypmem/heap.h"
#include "test.h"
#include "../lib/rng.h"

#include "hash_vectors.h" /* generated: hash32_known, hash64_known, chunk_hash_known */

#define U32_MAX_ 0xffffffffULL

static unsigned long host_next;

/* --- helpers --- */

struct chunk_list {
	struct hyp_alloc_chunk_info c[4096];
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

static bool mapped(unsigned long va)
{
	return pkvm_private_va_range_pa(va) != 0;
}

static u32 rd32(unsigned long addr)
{
	u32 v;

	memcpy(&v, (void *)addr, 4);
	return v;
}

/*
 * Every structural rule, from the raw headers and the stage-1.  Returns the
 * number of violations (each printed).  Two free neighbours without a hole
 * between them are not a violation: a recycled chunk's split remainder can
 * end up before a free chunk that a hole used to keep apart, and nothing
 * merges them until one is freed again.
 */
static int check_heap(void)
{
	struct hyp_allocator *a = &hyp_allocator;
	unsigned long start = (unsigned long)a->start, end = (unsigned long)a->end;
	unsigned long addr = (unsigned long)a->head, prev = 0, claimed = 0, found = 0, va;
	int bad = 0;

#define BAD(...)                                                                                   \
	do {                                                                                       \
		printf("#   heap: " __VA_ARGS__);                                                  \
		printf("\n");                                                                      \
		bad++;                                                                             \
	} while (0)

	if (!addr && a->tail)
		BAD("no head but a tail");
	if (addr && addr != start)
		BAD("head 0x%lx is not start 0x%lx", addr, start);
	while (addr) {
		u32 next = rd32(addr), back = rd32(addr + 4), um = rd32(addr + 8);
		u32 hash = rd32(addr + 12), off = addr & ~PAGE_MASK;
		unsigned long cend = next ? addr + next : end;
		unsigned long hole = (um & ~1U) ? addr + (um & ~1U) : 0;
		unsigned long mend = hole ? hole : cend;

		if (addr & 15)
			BAD("header 0x%lx misaligned", addr);
		if (off && (off < 32 || off > PAGE_SIZE - 16))
			BAD("header 0x%lx at page offset %lu", addr, (unsigned long)off);
		if (hash != chunk_hash_compute((const struct chunk_hdr *)addr))
			BAD("header 0x%lx hash 0x%x, expected 0x%x", addr, hash,
			    chunk_hash_compute((const struct chunk_hdr *)addr));
		if ((prev ? addr - prev : 0) != back)
			BAD("header 0x%lx prev %u, walked from 0x%lx", addr, back, prev);
		if (cend - addr < 32 || cend > end)
			BAD("chunk 0x%lx span to 0x%lx", addr, cend);
		if (hole && ((hole & ~PAGE_MASK) || hole <= addr || hole >= cend))
			BAD("chunk 0x%lx unmapped at 0x%lx", addr, hole);
		/* Mapped prefix mapped, unmapped suffix (up to the next header's page) not. */
		for (va = addr & PAGE_MASK; va < mend; va += PAGE_SIZE)
			if (!mapped(va))
				BAD("chunk 0x%lx: page 0x%lx should be mapped", addr, va);
		if (hole)
			for (va = hole; va < ALIGN_DOWN(cend, PAGE_SIZE); va += PAGE_SIZE)
				if (mapped(va))
					BAD("chunk 0x%lx: page 0x%lx in its hole is mapped", addr,
					    va);
		claimed += (PAGE_ALIGN(mend) - (addr & PAGE_MASK)) >> PAGE_SHIFT;
		if (!next && addr != (unsigned long)a->tail)
			BAD("last chunk 0x%lx is not the tail", addr);
		if (!next &&
		    ((unsigned long)a->last_used < addr + 16 || (unsigned long)a->last_used > mend))
			BAD("last_used 0x%lx outside the tail's mapped data",
			    (unsigned long)a->last_used);
		prev = addr;
		addr = next ? addr + next : 0;
		if (++found > 1000000)
			break;
	}
	/* Pages shared by two chunks (a header page) were claimed twice. */
	for (va = start, found = 0; va < end; va += PAGE_SIZE)
		found += mapped(va);
	if (!a->head)
		claimed = ((unsigned long)a->first_unmapped - start) >> PAGE_SHIFT;
	else {
		unsigned long shared = 0;

		for (addr = (unsigned long)a->head; rd32(addr); addr += rd32(addr)) {
			unsigned long n = addr + rd32(addr);

			if ((n & ~PAGE_MASK) && !(rd32(addr + 8) & ~1U))
				shared++;
		}
		claimed -= shared;
	}
	if (found != claimed)
		BAD("%lu pages mapped in the range, chunks account for %lu", found, claimed);
#undef BAD
	return bad;
}

/*
 * Reclaimable pages by a different route: mapped pages of the range that
 * hold no header and no used data (a sole free chunk's own header page
 * counts: the chunk goes with it), plus the memcache.
 */
static unsigned long oracle_reclaimable(void)
{
	struct hyp_allocator *a = &hyp_allocator;
	struct chunk_list *l = chunks();
	unsigned long va, n = a->mc.nr_pages;

	for (va = (unsigned long)a->start; va < (unsigned long)a->end; va += PAGE_SIZE) {
		bool busy = false;

		if (!mapped(va))
			continue;
		for (unsigned int i = 0; i < l->nr && !busy; i++) {
			const struct hyp_alloc_chunk_info *c = &l->c[i];
			unsigned long data = c->addr + 16;
			bool sole_free = l->nr == 1 && !c->is_used;

			if (!sole_free && c->addr < va + PAGE_SIZE && c->addr + 16 > va)
				busy = true;
			if (c->used && data < va + PAGE_SIZE && data + c->used > va)
				busy = true;
		}
		n += !busy;
	}
	return n;
}

static void heap_fresh(size_t size, unsigned long topup)
{
	env_setup(size);
	host_next = 0;
	if (topup && env_topup(topup, &host_next))
		abort();
}

/* --- tests --- */

/* hash_32() and hash_64(), every width in the table, against Python's answers. */
TEST(hash_known_answers)
{
	for (size_t i = 0; i < sizeof(hash32_known) / sizeof(hash32_known[0]); i++)
		if (hash_32(hash32_known[i].val, hash32_known[i].bits) != hash32_known[i].want) {
			printf("#   hash_32(0x%x, %u)\n", hash32_known[i].val, hash32_known[i].bits);
			CHECK_EQ_U64(hash_32(hash32_known[i].val, hash32_known[i].bits),
				     hash32_known[i].want);
		}
	for (size_t i = 0; i < sizeof(hash64_known) / sizeof(hash64_known[0]); i++)
		if (hash_64(hash64_known[i].val, hash64_known[i].bits) != hash64_known[i].want) {
			printf("#   hash_64(0x%llx, %u)\n", (unsigned long long)hash64_known[i].val,
			       hash64_known[i].bits);
			CHECK_EQ_U64(hash_64(hash64_known[i].val, hash64_known[i].bits),
				     hash64_known[i].want);
		}
}

/* The chunk header hash: the EL2 core's and the host decoder's, same answers. */
TEST(chunk_hash_known_answers)
{
	for (size_t i = 0; i < sizeof(chunk_hash_known) / sizeof(chunk_hash_known[0]); i++) {
		struct chunk_hdr h = {.next = chunk_hash_known[i].next,
				      .prev = chunk_hash_known[i].prev,
				      .__unmapped = chunk_hash_known[i].unmapped};

		CHECK_EQ_U64(chunk_hash_compute(&h), chunk_hash_known[i].want);
		CHECK_EQ_U64(hypmem_heap_hash(h.next, h.prev, h.__unmapped),
			     chunk_hash_known[i].want);
	}
}

TEST(first_allocations_and_placement)
{
	unsigned long start;
	char *p, *q, *r;

	heap_fresh(SZ_2M, 8);
	start = (unsigned long)hyp_allocator.start;
	p = hyp_alloc(1);
	REQUIRE(p);
	/* Minimum 16 bytes, right after the first header at start. */
	CHECK_EQ_U64((unsigned long)p, start + 16);
	q = hyp_alloc(17);
	CHECK_EQ_U64((unsigned long)q, start + 32 + 16);
	/* Data up to 16 bytes before the page end: the next header ends the page. */
	r = hyp_alloc(PAGE_SIZE - 16 - 96);
	CHECK_EQ_U64((unsigned long)r, start + 96);
	p = hyp_alloc(16);
	CHECK_EQ_U64((unsigned long)p, start + PAGE_SIZE);
	/* Data ends at page + 16: the header is pushed to page + 32. */
	q = hyp_alloc(16);
	CHECK_EQ_U64((unsigned long)q, start + PAGE_SIZE + 32 + 16);
	for (int i = 0; i < 16; i++)
		CHECK(!((char *)q)[i]);
	CHECK_EQ_U64(hyp_alloc_errno(), 0);
	CHECK_EQ_U64(check_heap(), 0);
}

TEST(random_sizes_keep_every_rule)
{
	u64 x = 42;

	heap_fresh(8 << 20, 600);
	for (int i = 0; i < 400; i++) {
		size_t size;
		void *p;

		x = x * 6364136223846793005ULL + 1;
		size = 1 + (x >> 33) % 3000;
		p = hyp_alloc(size);
		REQUIRE(p);
		CHECK(!((unsigned long)p & 15));
	}
	CHECK_EQ_U64(check_heap(), 0);
	for (unsigned int i = 0; i < chunks()->nr; i++)
		CHECK(chunks()->c[i].used >= 16);
}

TEST(enomem_reports_the_missing_pages_and_keeps_progress)
{
	void *p;

	heap_fresh(SZ_2M, 0);
	CHECK(!hyp_alloc(100));
	CHECK_EQ_U64(hyp_alloc_errno(), -ENOMEM);
	CHECK_EQ_U64(hyp_alloc_topup_needed(), 1);
	/* Read and cleared. */
	CHECK_EQ_U64(hyp_alloc_errno(), 0);
	CHECK_EQ_U64(hyp_alloc_topup_needed(), 0);

	/* Three pages and a bit: 4 pages, from the first unmapped one. */
	CHECK(!hyp_alloc(3 * PAGE_SIZE + 100));
	CHECK_EQ_U64(hyp_alloc_topup_needed(), 4);
	CHECK_EQ_U64(env_topup(1, &host_next), 0);
	CHECK(!hyp_alloc(3 * PAGE_SIZE + 100));
	/* The page given was mapped before the memcache ran dry: 3 left. */
	CHECK_EQ_U64(hyp_alloc_topup_needed(), 3);
	CHECK_EQ_U64(hyp_alloc_errno(), -ENOMEM);
	CHECK(mapped((unsigned long)hyp_allocator.start));
	CHECK_EQ_U64(env_topup(3, &host_next), 0);
	p = hyp_alloc(3 * PAGE_SIZE + 100);
	CHECK_EQ_U64((unsigned long)p, (unsigned long)hyp_allocator.start + 16);
	CHECK_EQ_U64(hyp_allocator.mc.nr_pages, 0);
	CHECK_EQ_U64(check_heap(), 0);
}

TEST(too_big)
{
	unsigned long n = 0;

	heap_fresh(16 * PAGE_SIZE, 16);
	CHECK(!hyp_alloc(16 * PAGE_SIZE));
	CHECK_EQ_U64(hyp_alloc_errno(), -E2BIG);
	CHECK(!hyp_alloc((size_t)U32_MAX_ + 1));
	CHECK_EQ_U64(hyp_alloc_errno(), -E2BIG);
	/* Exactly the range minus one header fits. */
	CHECK(hyp_alloc(16 * PAGE_SIZE - 16));
	CHECK(!hyp_alloc(16));
	CHECK_EQ_U64(hyp_alloc_errno(), -E2BIG);

	/* Filling a range: E2BIG once the tail reaches the end, never ENOMEM. */
	heap_fresh(16 * PAGE_SIZE, 16);
	while (hyp_alloc(1000))
		n++;
	CHECK_EQ_U64(hyp_alloc_errno(), -E2BIG);
	CHECK(n >= 16 * PAGE_SIZE / (1000 + 32 + 16) - 1);
	CHECK_EQ_U64(check_heap(), 0);
}

TEST(best_fit_prefers_mapped_then_smallest)
{
	char *a, *b, *c, *d, *e, *f, *g;
	struct chunk_list *l;

	heap_fresh(SZ_2M, 64);
	a = hyp_alloc(256);
	b = hyp_alloc(64);
	c = hyp_alloc(1024);
	d = hyp_alloc(64);
	e = hyp_alloc(512);
	f = hyp_alloc(64);
	REQUIRE(a && b && c && d && e && f);
	hyp_free(a);
	hyp_free(c);
	hyp_free(e);
	/* 300 fits c (1024) and e (512), all mapped: the smaller, e. */
	g = hyp_alloc(300);
	CHECK_EQ_U64((unsigned long)g, (unsigned long)e);
	/* 200 fits a (256) exactly-ish, and c: a. */
	g = hyp_alloc(200);
	CHECK_EQ_U64((unsigned long)g, (unsigned long)a);
	/* The split remainder of e is a free chunk now. */
	l = chunks();
	CHECK(l->nr >= 7);
	CHECK_EQ_U64(check_heap(), 0);
}

TEST(recycling_splits_off_the_rest)
{
	char *a, *b, *c;
	struct chunk_list *l;
	unsigned int i;

	heap_fresh(SZ_2M, 16);
	a = hyp_alloc(2000);
	b = hyp_alloc(16);
	REQUIRE(a && b);
	hyp_free(a);
	c = hyp_alloc(100);
	CHECK_EQ_U64((unsigned long)c, (unsigned long)a);
	l = chunks();
	/* a(100+12 rounded to 112), the free rest, b, and nothing else. */
	REQUIRE(l->nr == 3);
	CHECK_EQ_U64(l->c[0].size, 112);
	CHECK(l->c[0].is_used);
	CHECK_EQ_U64(l->c[1].addr, (unsigned long)a + 112);
	CHECK(!l->c[1].is_used);
	CHECK_EQ_U64(l->c[1].size, 2000 - 112 - 16 + 0);
	for (i = 0; i < l->nr; i++)
		CHECK(l->c[i].addr != 0);
	/* Too small to split: the whole chunk is handed out. */
	hyp_free(c);
	c = hyp_alloc(2000 - 16);
	CHECK_EQ_U64(chunks()->nr, 2);
	CHECK_EQ_U64(chunks()->c[0].size, 2000 + 0);
	CHECK_EQ_U64(check_heap(), 0);
}

TEST(freeing_merges_neighbours)
{
	char *a, *b, *c, *d;
	struct chunk_list *l;

	heap_fresh(SZ_2M, 16);
	a = hyp_alloc(64);
	b = hyp_alloc(64);
	c = hyp_alloc(64);
	d = hyp_alloc(64);
	REQUIRE(a && b && c && d);
	hyp_free(b);
	hyp_free(a); /* b merges into a */
	CHECK_EQ_U64(chunks()->nr, 3);
	hyp_free(c); /* c merges into a */
	l = chunks();
	CHECK_EQ_U64(l->nr, 2);
	CHECK_EQ_U64(l->c[0].size, 64 * 3 + 32);
	/* The free tail is absorbed by a used previous chunk... */
	hyp_free(d);
	l = chunks();
	CHECK_EQ_U64(l->nr, 1);
	CHECK(!l->c[0].is_used);
	/* ...here a free one: one free chunk, nothing used. */
	CHECK_EQ_U64((unsigned long)hyp_allocator.last_used,
		     (unsigned long)hyp_allocator.start + 16);

	heap_fresh(SZ_2M, 16);
	a = hyp_alloc(64);
	b = hyp_alloc(64);
	hyp_free(b);
	l = chunks();
	CHECK_EQ_U64(l->nr, 1);
	CHECK(l->c[0].is_used);
	/* The absorber is the tail: its used data ends at the old header. */
	CHECK_EQ_U64((unsigned long)hyp_allocator.last_used, (unsigned long)a + 64);
	CHECK_EQ_U64(l->c[0].used, 64);
	CHECK_EQ_U64(check_heap(), 0);
}

TEST(reclaim_makes_holes_that_block_merging)
{
	char *a, *big, *c;
	struct kvm_hyp_memcache host_mc = {0};
	unsigned long before, got, expect;
	struct chunk_list *l;

	heap_fresh(SZ_2M, 64);
	a = hyp_alloc(64);
	big = hyp_alloc(10 * PAGE_SIZE);
	c = hyp_alloc(64);
	REQUIRE(a && big && c);
	hyp_free(big);
	before = hyp_alloc_reclaimable();
	CHECK_EQ_U64(before, oracle_reclaimable());
	/* The free chunk's pages, minus the two holding headers; plus the tail's slack and the memcache. */
	CHECK(before >= 8);

	got = hyp_alloc_reclaim(&host_mc, 3);
	CHECK_EQ_U64(got, 3);
	CHECK_EQ_U64(host_mc.nr_pages, 3);
	CHECK_EQ_U64(hyp_alloc_reclaimable(), before - 3);
	CHECK_EQ_U64(hyp_alloc_reclaimable(), oracle_reclaimable());
	CHECK_EQ_U64(check_heap(), 0);

	/* Take everything: holes appear in the freed chunk. */
	expect = hyp_alloc_reclaimable();
	got = hyp_alloc_reclaim(&host_mc, 1000);
	CHECK_EQ_U64(got, expect);
	CHECK_EQ_U64(hyp_alloc_reclaimable(), 0);
	CHECK_EQ_U64(oracle_reclaimable(), 0);
	CHECK_EQ_U64(check_heap(), 0);
	l = chunks();
	bool hole = false;
	for (unsigned int i = 0; i < l->nr; i++)
		hole |= l->c[i].unmapped && !l->c[i].is_tail;
	CHECK(hole);

	/* Freeing a: it may not merge with the holed free chunk after it... */
	hyp_free(a);
	CHECK_EQ_U64(check_heap(), 0);
	/* ...and the reclaimed pages came back to the host, zeroed, in its memcache. */
	for (unsigned long i = 0, pa = host_mc.head; i < host_mc.nr_pages; i++) {
		const u64 *page = hyp_phys_to_virt(pa);

		CHECK(page[1] == 0 && page[PAGE_SIZE / 8 - 1] == 0);
		pa = page[0];
	}
}

TEST(reclaiming_the_sole_chunk_empties_the_heap)
{
	struct kvm_hyp_memcache host_mc = {0};
	char *p;

	heap_fresh(SZ_2M, 8);
	p = hyp_alloc(3 * PAGE_SIZE);
	REQUIRE(p);
	hyp_free(p);
	CHECK_EQ_U64(chunks()->nr, 1);
	CHECK_EQ_U64(hyp_alloc_reclaimable(), 8);
	CHECK_EQ_U64(hyp_alloc_reclaim(&host_mc, 100), 8);
	CHECK(!hyp_allocator.head && !hyp_allocator.tail);
	CHECK_EQ_U64((unsigned long)hyp_allocator.first_unmapped,
		     (unsigned long)hyp_allocator.start);
	CHECK(!mapped((unsigned long)hyp_allocator.start));
	/* And it starts again. */
	CHECK_EQ_U64(env_topup(1, &host_next), 0);
	p = hyp_alloc(10);
	CHECK_EQ_U64((unsigned long)p, (unsigned long)hyp_allocator.start + 16);
	CHECK_EQ_U64(check_heap(), 0);
}

TEST(corrupt_header_is_refused)
{
	char *p, *q;

	heap_fresh(SZ_2M, 4);
	p = hyp_alloc(64);
	q = hyp_alloc(64);
	REQUIRE(p && q);
	((struct chunk_hdr *)(p - 16))->hash ^= 1;
	hyp_free(p); /* warns, frees nothing */
	CHECK(((struct chunk_hdr *)(p - 16))->__unmapped & USED_BIT_MASK);
	((struct chunk_hdr *)(p - 16))->hash ^= 1;
	hyp_free(p + 8);			  /* misaligned: refused */
	hyp_free((char *)hyp_allocator.end + 64); /* outside: refused */
	hyp_free(NULL);
	CHECK_EQ_U64(chunks()->nr, 2);
	hyp_free(p);
	hyp_free(p); /* double free: warns */
	CHECK_EQ_U64(check_heap(), 0);
}

/* Many operations, a shadow of every live allocation, and the rules after each batch. */
TEST(random_operations_against_a_shadow)
{
	static struct {
		unsigned char *p;
		size_t size;
		unsigned char fill;
	} live[512];
	struct kvm_hyp_memcache host_mc = {0};
	unsigned int nr = 0, topups = 0, reclaims = 0;
	u64 x = 7;

	heap_fresh(32 << 20, 0);
	for (int op = 0; op < 20000; op++) {
		unsigned int r;

		test_rng_next(&x);
		r = x % 100;
		if (r < 50 && nr < ARRAY_SIZE(live)) {
			size_t size = (x >> 20) % 8 ? 1 + (x >> 24) % 700 : 1 + (x >> 24) % 20000;
			void *p = hyp_alloc(size);

			if (!p) {
				int err = hyp_alloc_errno();
				u32 need = hyp_alloc_topup_needed();

				CHECK_EQ_U64(err, -ENOMEM);
				CHECK(need > 0);
				REQUIRE(!env_topup(need + (x >> 40) % 3, &host_next));
				topups++;
				p = hyp_alloc(size);
				REQUIRE(p);
			}
			for (size_t i = 0; i < size; i++)
				CHECK(!((unsigned char *)p)[i]);
			live[nr].p = p;
			live[nr].size = size;
			live[nr].fill = (unsigned char)(x >> 50);
			memset(p, live[nr].fill, size);
			nr++;
		} else if (r < 92 && nr) {
			unsigned int i = (x >> 30) % nr;

			for (size_t j = 0; j < live[i].size; j++)
				if (live[i].p[j] != live[i].fill) {
					CHECK(!"allocation overwritten");
					break;
				}
			hyp_free(live[i].p);
			live[i] = live[--nr];
		} else {
			unsigned long can = hyp_alloc_reclaimable(), want = 1 + (x >> 33) % 16;

			CHECK_EQ_U64(hyp_alloc_reclaim(&host_mc, want), min(can, want));
			reclaims++;
		}
		if (op % 1000 == 999) {
			REQUIRE(check_heap() == 0);
			CHECK_EQ_U64(hyp_alloc_reclaimable(), oracle_reclaimable());
		}
	}
	printf("#   %u live, %u chunks, %u topups, %u reclaims, %lu pages back\n", nr, chunks()->nr,
	       topups, reclaims, host_mc.nr_pages);
	CHECK(topups > 10 && reclaims > 10);
}

/*
 * Threads play CPUs (host_cpu_id): each allocates, checks and frees its own
 * objects and tops the heap up from its own host pages when its CPU's
 * hyp_alloc_topup_needed() says so.  The per-CPU error slots and the lock
 * are what is tested; the heap must keep every rule.
 */
#define SMP_THREADS 4
#define SMP_OPS	    3000

struct smp_arg {
	unsigned int cpu;
	unsigned long next_host_page;
	unsigned int failures, topups;
};

static void *smp_thread(void *p)
{
	struct smp_arg *arg = p;
	unsigned char *live[64] = { 0 };
	size_t size[64] = { 0 };
	u64 x = 0x9e3779b97f4a7c15ULL * (arg->cpu + 1);

	host_cpu_id = arg->cpu;
	for (int op = 0; op < SMP_OPS; op++) {
		unsigned int i;

		test_rng_next(&x);
		i = x % 64;
		if (live[i]) {
			for (size_t j = 0; j < size[i]; j++)
				if (live[i][j] != (unsigned char)(arg->cpu + i)) {
					arg->failures++;
					break;
				}
			hyp_free(live[i]);
			live[i] = NULL;
			continue;
		}
		size[i] = 1 + (x >> 20) % 3000;
		while (!(live[i] = hyp_alloc(size[i]))) {
			u32 need = hyp_alloc_topup_needed();

			if (hyp_alloc_errno() != -ENOMEM || !need) {
				arg->failures++;
				return NULL;
			}
			if (env_topup(need, &arg->next_host_page))
				return NULL;
			arg->topups++;
		}
		memset(live[i], (unsigned char)(arg->cpu + i), size[i]);
	}
	for (unsigned int i = 0; i < 64; i++)
		hyp_free(live[i]);
	return NULL;
}

TEST(cpus_in_parallel)
{
	pthread_t th[SMP_THREADS];
	struct smp_arg args[SMP_THREADS];
	unsigned int topups = 0;

	heap_fresh(16 << 20, 0);
	for (unsigned int i = 0; i < SMP_THREADS; i++) {
		args[i] = (struct smp_arg){ .cpu = i, .next_host_page = 1000 + i * 8000 };
		REQUIRE(!pthread_create(&th[i], NULL, smp_thread, &args[i]));
	}
	for (unsigned int i = 0; i < SMP_THREADS; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ_U64(args[i].failures, 0);
		topups += args[i].topups;
	}
	host_cpu_id = 0;
	CHECK(topups > SMP_THREADS);
	CHECK_EQ_U64(check_heap(), 0);
	CHECK_EQ_U64(hyp_alloc_reclaimable(), oracle_reclaimable());
	/* Everything was freed: one free chunk (or none after a reclaim), nothing used. */
	for (unsigned int i = 0; i < chunks()->nr; i++)
		CHECK(!chunks()->c[i].is_used);
}

TEST_MAIN
