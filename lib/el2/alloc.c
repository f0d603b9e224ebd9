// SPDX-License-Identifier: GPL-2.0-only
/*
 * The hypervisor heap allocator ("KVM: arm64: Introduce pKVM hypervisor
 * heap allocator", May 2026; its "UP" design, see include/el2/alloc.h).
 *
 * The heap owns [start, end) of hyp private VA.  Chunks tile it from start:
 * each is a 16-byte header followed by data, and its *span* runs from its
 * header to the next header (or to end, for the tail).  No size is stored:
 * it is the distance to the next header.  Each span is a mapped prefix
 * followed by at most one unmapped suffix, which starts at the page
 * __unmapped points to.  Example, with 4 KiB pages P0..P3 at start:
 *
 *   P0               P1               P2               P3
 *   [A|data A....][B|data B.......................][C|data C ...
 *    ^A.next ----->^                               ^
 *                   B.__unmapped = P2 - B | used:  P2 is unmapped
 *                   (a hole: B's suffix [P2, C) holds no mapping ...
 *
 * ... except that C's header must be mapped, so C sits at a page start (or
 * further into a page) and the hole ends at PAGE_ALIGN_DOWN(C).  Holes
 * appear when reclaim unmaps pages no chunk uses.  Two free neighbours are
 * merged only when the first has no hole: merging across one would leave
 * mapped pages after the hole that no chunk's prefix accounts for.
 *
 * Header placement: a header never straddles a page, and never starts 1..31
 * bytes into a page.  The latter keeps room for a minimal chunk (header +
 * 16 bytes) at every page start before a header, which is where reclaim
 * puts a new free chunk when it unmaps the upper pages of a chunk whose
 * next header shares a page with them (the "page-aligned split").
 *
 * Sizes: requests are raised to MIN_ALLOC_SIZE and rounded up to it.  A used
 * chunk's used size is its mapped data size, except for the tail, whose used
 * data ends at last_used.  When the tail is freed and stays the tail,
 * last_used drops back to its data: a free tail uses nothing.
 *
 * Every header change recomputes its hash; every header reached through a
 * link is checked (a mismatch warns).
 */
#include "el2/alloc.h"
#include "el2/hash.h"
#include "el2/mem_protect.h"
#include "el2/mm.h"
#include "el2/percpu.h"
#include "el2/string.h"

#define U32_MAX 0xffffffffUL

struct hyp_allocator hyp_allocator;
static int hyp_allocator_errno[HYP_MAX_CPUS];
static u32 hyp_allocator_topup_needed[HYP_MAX_CPUS];

/*
 * Not in the kernel: how many chunks are free, so that the best-fit search
 * can skip its walk when none is.  Allocating into a heap without free
 * chunks then costs O(1) instead of O(chunks), which the benchmark needs to
 * build a 100 000-chunk heap; the choices made are the same.
 */
static unsigned long nr_free_chunks;

/* --- headers --- */

static inline unsigned long chunk_hdr_size(void)
{
	return sizeof(struct chunk_hdr);
}

static inline unsigned long chunk_min_size(void)
{
	return chunk_hdr_size() + MIN_ALLOC_SIZE;
}

static inline unsigned long chunk_addr(const struct chunk_hdr *chunk)
{
	return (unsigned long)chunk;
}

static inline unsigned long chunk_data(const struct chunk_hdr *chunk)
{
	return (unsigned long)chunk->data;
}

static inline bool chunk_is_used(const struct chunk_hdr *chunk)
{
	return chunk->__unmapped & USED_BIT_MASK;
}

u32 chunk_hash_compute(const struct chunk_hdr *chunk)
{
	u64 links = (u64)chunk->next | (u64)chunk->prev << 32;

	return hash_64(links, 32) ^ hash_32(chunk->__unmapped, 32);
}

static inline void chunk_set_hash(struct chunk_hdr *chunk)
{
	chunk->hash = chunk_hash_compute(chunk);
}

static inline bool chunk_hash_ok(const struct chunk_hdr *chunk)
{
	return !WARN_ON(chunk->hash != chunk_hash_compute(chunk));
}

static struct chunk_hdr *chunk_get_next(const struct chunk_hdr *chunk)
{
	struct chunk_hdr *next;

	if (!chunk->next)
		return NULL;
	next = (struct chunk_hdr *)(chunk_addr(chunk) + chunk->next);
	chunk_hash_ok(next);
	return next;
}

static struct chunk_hdr *chunk_get_prev(const struct chunk_hdr *chunk)
{
	struct chunk_hdr *prev;

	if (!chunk->prev)
		return NULL;
	prev = (struct chunk_hdr *)(chunk_addr(chunk) - chunk->prev);
	chunk_hash_ok(prev);
	return prev;
}

/* Where the span ends: the next header, or the end of the range. */
static unsigned long chunk_end(const struct hyp_allocator *a, const struct chunk_hdr *chunk)
{
	return chunk->next ? chunk_addr(chunk) + chunk->next : (unsigned long)a->end;
}

/* The first unmapped page of the span, or 0 when all of it is mapped. */
static unsigned long chunk_unmapped(const struct chunk_hdr *chunk)
{
	u32 off = chunk->__unmapped & ~USED_BIT_MASK;

	return off ? chunk_addr(chunk) + off : 0;
}

static unsigned long chunk_mapped_end(const struct hyp_allocator *a, const struct chunk_hdr *chunk)
{
	unsigned long unmapped = chunk_unmapped(chunk);

	return unmapped ? unmapped : chunk_end(a, chunk);
}

static unsigned long chunk_size(const struct hyp_allocator *a, const struct chunk_hdr *chunk)
{
	return chunk_end(a, chunk) - chunk_data(chunk);
}

static unsigned long chunk_mapped_size(const struct hyp_allocator *a, const struct chunk_hdr *chunk)
{
	return chunk_mapped_end(a, chunk) - chunk_data(chunk);
}

static unsigned long chunk_used_size(const struct hyp_allocator *a, const struct chunk_hdr *chunk)
{
	if (chunk == a->tail)
		return (unsigned long)a->last_used - chunk_data(chunk);
	return chunk_is_used(chunk) ? chunk_mapped_size(a, chunk) : 0;
}

/* Set the first unmapped page (0, or the span end: none), keeping the used bit. */
static void chunk_set_unmapped(const struct hyp_allocator *a, struct chunk_hdr *chunk,
			       unsigned long unmapped)
{
	u32 used = chunk->__unmapped & USED_BIT_MASK;

	if (unmapped >= chunk_end(a, chunk))
		unmapped = 0;
	chunk->__unmapped = (unmapped ? (u32)(unmapped - chunk_addr(chunk)) : 0) | used;
	chunk_set_hash(chunk);
}

static void chunk_set_used(struct chunk_hdr *chunk, bool used)
{
	if (used)
		chunk->__unmapped |= USED_BIT_MASK;
	else
		chunk->__unmapped &= ~USED_BIT_MASK;
	chunk_set_hash(chunk);
}

/*
 * Where a header for data ending at @addr may go: 16-aligned, not
 * straddling a page, and either at a page start or at least a minimal
 * chunk into the page.
 */
static unsigned long chunk_start(unsigned long addr)
{
	unsigned long off;

	addr = ALIGN(addr, MIN_ALLOC_SIZE);
	off = addr & ~PAGE_MASK;
	if (off && PAGE_SIZE - off < chunk_hdr_size())
		return PAGE_ALIGN(addr);
	if (off && off < chunk_min_size())
		return (addr & PAGE_MASK) + chunk_min_size();
	return addr;
}

/* --- mapping --- */

static void *hyp_allocator_pop_page(struct hyp_allocator *a)
{
	return pop_hyp_memcache(&a->mc, hyp_phys_to_virt);
}

static void hyp_allocator_push_page(struct kvm_hyp_memcache *mc, void *page)
{
	push_hyp_memcache(mc, page, hyp_virt_to_phys);
}

/*
 * Map the pages of @chunk's span (of the empty range when @chunk is NULL)
 * from its first unmapped page up to @target, one memcache page at a time.
 * Progress is recorded after every page and kept on failure: the next
 * attempt carries on where this one stopped.
 */
static int __hyp_allocator_map(struct hyp_allocator *a, struct chunk_hdr *chunk,
			       unsigned long target)
{
	unsigned long va = chunk ? chunk_unmapped(chunk) : (unsigned long)a->first_unmapped;
	int ret;

	hyp_assert_lock_held(&a->lock);
	if (!va)
		return 0;
	target = PAGE_ALIGN(target);
	while (va < target) {
		void *page = hyp_allocator_pop_page(a);

		if (!page) {
			*this_cpu_ptr(a->topup_needed) = (target - va) >> PAGE_SHIFT;
			return -ENOMEM;
		}
		ret = pkvm_map_private_va_range(va, hyp_virt_to_phys(page), PAGE_SIZE);
		if (ret) {
			hyp_allocator_push_page(&a->mc, page);
			return ret;
		}
		va += PAGE_SIZE;
		if (chunk)
			chunk_set_unmapped(a, chunk, va);
		else
			a->first_unmapped = (void *)va;
	}
	return 0;
}

/*
 * Put a header at @addr, right after @prev (or as the first chunk when
 * @prev is NULL).  The pages under it are mapped already.  The new chunk
 * takes over the unmapped suffix of the span it cuts: [addr, old end) was
 * the end of @prev's span (or of the empty range).
 */
static struct chunk_hdr *chunk_install(struct hyp_allocator *a, struct chunk_hdr *prev,
				       unsigned long addr, bool used)
{
	struct chunk_hdr *chunk = (struct chunk_hdr *)addr;
	struct chunk_hdr *next = prev ? chunk_get_next(prev) : NULL;
	unsigned long unmapped = prev ? chunk_unmapped(prev) : (unsigned long)a->first_unmapped;

	chunk->next = next ? (u32)(chunk_addr(next) - addr) : 0;
	chunk->prev = prev ? (u32)(addr - chunk_addr(prev)) : 0;
	chunk->__unmapped = 0;
	chunk_set_used(chunk, used);
	nr_free_chunks += !used;
	chunk_set_unmapped(a, chunk, unmapped);

	if (prev) {
		prev->next = chunk->prev;
		chunk_set_unmapped(a, prev, 0);
	} else {
		a->head = chunk;
	}
	if (next) {
		next->prev = chunk->next;
		chunk_set_hash(next);
	} else {
		a->tail = chunk;
	}
	return chunk;
}

/* --- allocation --- */

/*
 * Best fit, weighted by mapping cost: among free chunks big enough, the one
 * that needs the fewest new pages, then the smallest.
 */
static struct chunk_hdr *hyp_allocator_find_efficient_chunk(struct hyp_allocator *a,
							    unsigned long size)
{
	unsigned long best_missing = ~0UL, best_size = ~0UL;
	struct chunk_hdr *chunk, *best = NULL;

	if (!nr_free_chunks)
		return NULL;
	for (chunk = a->head; chunk; chunk = chunk_get_next(chunk)) {
		unsigned long csize, mapped, missing;

		if (chunk_is_used(chunk))
			continue;
		csize = chunk_size(a, chunk);
		if (csize < size)
			continue;
		mapped = chunk_mapped_size(a, chunk);
		missing = size > mapped ? DIV_ROUND_UP(size - mapped, PAGE_SIZE) : 0;
		if (missing < best_missing || (missing == best_missing && csize < best_size)) {
			best = chunk;
			best_missing = missing;
			best_size = csize;
		}
	}
	return best;
}

/* Reuse free @chunk for @size bytes, splitting off what is left if it can. */
static void *chunk_recycle(struct hyp_allocator *a, struct chunk_hdr *chunk, unsigned long size,
			   int *err)
{
	unsigned long data = chunk_data(chunk), split;

	if (chunk == a->tail) {
		*err = __hyp_allocator_map(a, chunk, data + size);
		if (*err)
			return NULL;
		chunk_set_used(chunk, true);
		nr_free_chunks--;
		a->last_used = (void *)(data + size);
		return (void *)data;
	}

	split = chunk_start(data + size);
	if (split + chunk_min_size() <= chunk_end(a, chunk)) {
		/* One mapping pass covers our data and the new header. */
		*err = __hyp_allocator_map(a, chunk, split + chunk_hdr_size());
		if (*err)
			return NULL;
		chunk_install(a, chunk, split, false);
	} else {
		*err = __hyp_allocator_map(a, chunk, data + size);
		if (*err)
			return NULL;
	}
	chunk_set_used(chunk, true);
	nr_free_chunks--;
	return (void *)data;
}

/* A new chunk after the tail (or the first one, at start). */
static void *chunk_append(struct hyp_allocator *a, unsigned long size, int *err)
{
	struct chunk_hdr *tail = a->tail, *chunk;
	unsigned long addr =
	    tail ? chunk_start((unsigned long)a->last_used) : (unsigned long)a->start;

	if (addr > (unsigned long)a->end ||
	    (unsigned long)a->end - addr < chunk_hdr_size() + size) {
		*err = -E2BIG;
		return NULL;
	}
	*err = __hyp_allocator_map(a, tail, addr + chunk_hdr_size() + size);
	if (*err)
		return NULL;
	chunk = chunk_install(a, tail, addr, true);
	a->last_used = (void *)(chunk_data(chunk) + size);
	return chunk->data;
}

static void *__hyp_allocator_alloc(struct hyp_allocator *a, unsigned long size, int *err)
{
	struct chunk_hdr *chunk;

	hyp_assert_lock_held(&a->lock);
	chunk = hyp_allocator_find_efficient_chunk(a, size);
	if (chunk)
		return chunk_recycle(a, chunk, size, err);
	return chunk_append(a, size, err);
}

void *hyp_alloc(size_t size)
{
	struct hyp_allocator *a = &hyp_allocator;
	unsigned long range = (unsigned long)a->end - (unsigned long)a->start;
	void *ret = NULL;
	int err = -E2BIG;

	size = max(size, (size_t)MIN_ALLOC_SIZE);
	if (size <= U32_MAX) {
		size = ALIGN(size, MIN_ALLOC_SIZE);
		if (range > chunk_hdr_size() && size <= range - chunk_hdr_size()) {
			hyp_spin_lock(&a->lock);
			ret = __hyp_allocator_alloc(a, size, &err);
			hyp_spin_unlock(&a->lock);
		}
	}
	if (!ret) {
		*this_cpu_ptr(a->errno) = err;
		return NULL;
	}
	memset(ret, 0, size);
	return ret;
}

/* --- free --- */

/*
 * Merge @chunk into the chunk before it, if the rules allow: @chunk is
 * free; the previous one is free too, or @chunk is the tail (a used chunk
 * may absorb a free tail); and the previous one has no hole.
 */
static bool hyp_allocator_destroy_chunk(struct hyp_allocator *a, struct chunk_hdr *chunk)
{
	struct chunk_hdr *prev = chunk_get_prev(chunk), *next;
	unsigned long unmapped;

	if (!prev || chunk_is_used(chunk))
		return false;
	if (chunk_is_used(prev) && chunk != a->tail)
		return false;
	if (chunk_unmapped(prev))
		return false;

	next = chunk_get_next(chunk);
	unmapped = chunk_unmapped(chunk);
	prev->next = next ? (u32)(chunk_addr(next) - chunk_addr(prev)) : 0;
	chunk_set_unmapped(a, prev, unmapped);
	if (next) {
		next->prev = prev->next;
		chunk_set_hash(next);
	} else {
		a->tail = prev;
		a->last_used = chunk_is_used(prev) ? (void *)chunk : (void *)prev->data;
	}
	memset(chunk, 0, sizeof(*chunk));
	nr_free_chunks--;
	return true;
}

static void __hyp_allocator_free(struct hyp_allocator *a, struct chunk_hdr *chunk)
{
	struct chunk_hdr *next;

	hyp_assert_lock_held(&a->lock);
	if (WARN_ON(!chunk_is_used(chunk)))
		return;
	chunk_set_used(chunk, false);
	nr_free_chunks++;
	if (chunk == a->tail)
		a->last_used = chunk->data;
	next = chunk_get_next(chunk);
	if (next)
		hyp_allocator_destroy_chunk(a, next);
	hyp_allocator_destroy_chunk(a, chunk);
}

void hyp_free(void *addr)
{
	struct hyp_allocator *a = &hyp_allocator;
	unsigned long data = (unsigned long)addr;
	struct chunk_hdr *chunk;

	if (!addr)
		return;
	if (WARN_ON(!IS_ALIGNED(data, MIN_ALLOC_SIZE) ||
		    data < (unsigned long)a->start + chunk_hdr_size() ||
		    data >= (unsigned long)a->end))
		return;

	chunk = (struct chunk_hdr *)(data - chunk_hdr_size());
	hyp_spin_lock(&a->lock);
	if (chunk_hash_ok(chunk))
		__hyp_allocator_free(a, chunk);
	hyp_spin_unlock(&a->lock);
}

/* --- reclaim --- */

/*
 * The mapped pages of @chunk that no data uses, as [*lo, *hi):
 *
 *   sole free chunk      [header, unmapped or end)    the chunk itself goes
 *   tail, used or free   [PAGE_ALIGN(used data end), unmapped or end)
 *   other free chunk     [PAGE_ALIGN(data), unmapped or PAGE_ALIGN_DOWN(next))
 *   other used chunk     nothing
 *
 * Return: the number of pages.
 */
static unsigned long hyp_allocator_chunk_reclaimable(const struct hyp_allocator *a,
						     const struct chunk_hdr *chunk,
						     unsigned long *lo, unsigned long *hi)
{
	unsigned long unmapped = chunk_unmapped(chunk), l, h;

	if (chunk == a->head && chunk == a->tail && !chunk_is_used(chunk)) {
		l = chunk_addr(chunk);
		h = unmapped ? unmapped : (unsigned long)a->end;
	} else if (chunk == a->tail) {
		l = PAGE_ALIGN(chunk_data(chunk) + chunk_used_size(a, chunk));
		h = unmapped ? unmapped : (unsigned long)a->end;
	} else if (!chunk_is_used(chunk)) {
		l = PAGE_ALIGN(chunk_data(chunk));
		h = unmapped ? unmapped : ALIGN_DOWN(chunk_end(a, chunk), PAGE_SIZE);
	} else {
		return 0;
	}
	if (h <= l)
		return 0;
	*lo = l;
	*hi = h;
	return (h - l) >> PAGE_SHIFT;
}

/*
 * Unmap the top @nr pages of @chunk's reclaimable region [lo, hi) into the
 * memcache.  When hi is below the next header (that header's page must
 * stay mapped), a free chunk is first put at hi to own [hi, next): the
 * page-aligned split.  The header placement rule guarantees it fits.
 */
static void chunk_reclaim_pages(struct hyp_allocator *a, struct chunk_hdr *chunk, unsigned long hi,
				unsigned long nr)
{
	unsigned long from = hi - (nr << PAGE_SHIFT), va;
	bool sole = chunk == a->head && chunk == a->tail;

	if (chunk != a->tail && !chunk_unmapped(chunk) && hi != chunk_end(a, chunk))
		chunk_install(a, chunk, hi, false);

	for (va = from; va < hi; va += PAGE_SIZE)
		hyp_allocator_push_page(&a->mc, hyp_phys_to_virt(pkvm_private_va_range_pa(va)));
	if (sole && from == chunk_addr(chunk)) {
		/* The last chunk is gone with its header's page. */
		a->head = a->tail = NULL;
		a->last_used = a->start;
		a->first_unmapped = (void *)from;
		nr_free_chunks--;
	} else {
		chunk_set_unmapped(a, chunk, from);
	}
	pkvm_remove_mappings((void *)from, (void *)hi);
}

/* The chunk with the most reclaimable pages; on a tie, the later one. */
static struct chunk_hdr *hyp_allocator_best_reclaim(const struct hyp_allocator *a,
						    unsigned long *nr, unsigned long *hi)
{
	struct chunk_hdr *chunk, *best = NULL;
	unsigned long lo, h;

	*nr = 0;
	for (chunk = a->head; chunk; chunk = chunk_get_next(chunk)) {
		unsigned long n = hyp_allocator_chunk_reclaimable(a, chunk, &lo, &h);

		if (n && n >= *nr) {
			best = chunk;
			*nr = n;
			*hi = h;
		}
	}
	return best;
}

static unsigned long __hyp_allocator_reclaim(struct hyp_allocator *a,
					     struct kvm_hyp_memcache *host_mc, unsigned long target)
{
	unsigned long done = 0;

	hyp_assert_lock_held(&a->lock);
	while (a->mc.nr_pages < target) {
		unsigned long nr, hi;
		struct chunk_hdr *chunk = hyp_allocator_best_reclaim(a, &nr, &hi);

		if (!chunk)
			break;
		chunk_reclaim_pages(a, chunk, hi, min(nr, target - a->mc.nr_pages));
	}

	while (done < target && a->mc.nr_pages) {
		void *page = hyp_allocator_pop_page(a);

		/* No hyp data may leak to the host. */
		memset(page, 0, PAGE_SIZE);
		hyp_allocator_push_page(host_mc, page);
		WARN_ON(__pkvm_hyp_donate_host(hyp_virt_to_pfn(page), 1));
		done++;
	}
	return done;
}

unsigned long hyp_alloc_reclaim(struct kvm_hyp_memcache *host_mc, unsigned long target)
{
	struct hyp_allocator *a = &hyp_allocator;
	unsigned long done;

	hyp_spin_lock(&a->lock);
	done = __hyp_allocator_reclaim(a, host_mc, target);
	hyp_spin_unlock(&a->lock);
	return done;
}

unsigned long hyp_alloc_reclaimable(void)
{
	struct hyp_allocator *a = &hyp_allocator;
	unsigned long total, lo, hi;
	struct chunk_hdr *chunk;

	hyp_spin_lock(&a->lock);
	/* Pages of a stalled topup count too: they can go back at once. */
	total = a->mc.nr_pages;
	for (chunk = a->head; chunk; chunk = chunk_get_next(chunk))
		total += hyp_allocator_chunk_reclaimable(a, chunk, &lo, &hi);
	hyp_spin_unlock(&a->lock);
	return total;
}

/* --- topup, errors, init --- */

/* Take the first page of @host_mc: donated to us, then off the host's list. */
static void *admit_host_page(struct kvm_hyp_memcache *host_mc)
{
	if (!host_mc->nr_pages)
		return NULL;
	if (__pkvm_host_donate_hyp(hyp_phys_to_pfn(host_mc->head), 1))
		return NULL;
	return pop_hyp_memcache(host_mc, hyp_phys_to_virt);
}

int hyp_alloc_topup(struct kvm_hyp_memcache *host_mc)
{
	struct hyp_allocator *a = &hyp_allocator;
	int ret = 0;

	hyp_spin_lock(&a->lock);
	while (host_mc->nr_pages) {
		void *page = admit_host_page(host_mc);

		if (!page) {
			ret = -EPERM;
			break;
		}
		hyp_allocator_push_page(&a->mc, page);
	}
	hyp_spin_unlock(&a->lock);
	return ret;
}

int hyp_alloc_errno(void)
{
	int *p = this_cpu_ptr(hyp_allocator.errno), ret = *p;

	*p = 0;
	return ret;
}

u32 hyp_alloc_topup_needed(void)
{
	u32 *p = this_cpu_ptr(hyp_allocator.topup_needed), ret = *p;

	*p = 0;
	return ret;
}

void hyp_alloc_for_each_chunk(void (*fn)(const struct hyp_alloc_chunk_info *info, void *arg),
			      void *arg)
{
	struct hyp_allocator *a = &hyp_allocator;
	struct chunk_hdr *chunk;

	hyp_spin_lock(&a->lock);
	for (chunk = a->head; chunk; chunk = chunk_get_next(chunk)) {
		struct hyp_alloc_chunk_info info = {
		    .addr = chunk_addr(chunk),
		    .size = chunk_size(a, chunk),
		    .mapped = chunk_mapped_size(a, chunk),
		    .used = chunk_is_used(chunk) ? chunk_used_size(a, chunk) : 0,
		    .unmapped = chunk_unmapped(chunk),
		    .end = chunk_end(a, chunk),
		    .is_used = chunk_is_used(chunk),
		    .is_tail = chunk == a->tail,
		};

		fn(&info, arg);
	}
	hyp_spin_unlock(&a->lock);
}

int hyp_allocator_init(unsigned long start, size_t size)
{
	struct hyp_allocator *a = &hyp_allocator;

	size = PAGE_ALIGN(size);
	if (!size || size > U32_MAX || !IS_ALIGNED(start, PAGE_SIZE) || start + size < start)
		return -EINVAL;

	memset(a, 0, sizeof(*a));
	hyp_spin_lock_init(&a->lock);
	a->start = (void *)start;
	a->end = (void *)(start + size);
	a->last_used = a->start;
	a->first_unmapped = a->start;
	a->errno = hyp_allocator_errno;
	a->topup_needed = hyp_allocator_topup_needed;
	memset(hyp_allocator_errno, 0, sizeof(hyp_allocator_errno));
	memset(hyp_allocator_topup_needed, 0, sizeof(hyp_allocator_topup_needed));
	nr_free_chunks = 0;
	return 0;
}

int hyp_alloc_init(size_t size)
{
	unsigned long start;
	int ret;

	size = PAGE_ALIGN(size);
	if (!size || size > U32_MAX)
		return -EINVAL;
	ret = pkvm_alloc_private_va_range(size, &start);
	if (ret)
		return ret;
	return hyp_allocator_init(start, size);
}
