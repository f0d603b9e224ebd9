/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The hypervisor heap allocator ("KVM: arm64: Introduce pKVM hypervisor
 * heap allocator", May 2026; nvhe/alloc.h and alloc.c upstream).
 *
 * hyp_alloc() hands out 16-byte aligned chunks from a reserved range of hyp
 * private VA.  Nothing is mapped at boot: pages donated by the host wait in
 * the allocator's memcache and are mapped behind the chunks that need them.
 * Reclaim unmaps pages again and gives them back, leaving unmapped holes in
 * the range.  When the memcache runs dry, hyp_alloc() fails with -ENOMEM
 * and hyp_alloc_topup_needed() says how many pages the host must donate
 * (the PKVM_HYP_REQ_HYP_ALLOC request, pkvm.h).
 *
 * Chunk metadata lives in the range itself: a 16-byte struct chunk_hdr in
 * front of each chunk's data, linked to its neighbours by 32-bit relative
 * offsets and protected by a 32-bit hash.  The layout and the rules are
 * described at the top of lib/el2/alloc.c; the host decoder
 * (lib/hypmem/heap.c) reads the same structures from a dump.
 *
 * What this module leaves to others: who donates pages and when (the host,
 * through the hypercalls in pkvm.c), and the hyp stage-1 itself (mm.c).
 */
#ifndef EL2_ALLOC_H
#define EL2_ALLOC_H

#include "el2/memcache.h"
#include "el2/spinlock.h"
#include "el2/types.h"

/* The VA range __pkvm_init() reserves for the heap (SZ_128M upstream). */
#define HYP_HEAP_VA_SIZE (128UL << 20)

/* Smallest allocation, and the alignment of every chunk's data. */
#define MIN_ALLOC_SIZE 16
/* Bit 0 of chunk_hdr.__unmapped: the chunk is in use. */
#define USED_BIT_MASK 1U

/*
 * struct chunk_hdr - the header in front of every chunk.
 * @next: bytes from this header forward to the next one; 0 for the tail.
 * @prev: bytes from this header back to the previous one; 0 for the head.
 * @__unmapped: bit 0 is the used flag (USED_BIT_MASK); the other bits are
 *	the offset from this header to the first unmapped page of the chunk's
 *	span, 0 when the whole span is mapped.
 * @hash: chunk_hash_compute() of the three words above.
 * @data: the chunk's payload.
 */
struct chunk_hdr {
	u32 next;
	u32 prev;
	u32 __unmapped;
	u32 hash;
	char data[] __aligned(MIN_ALLOC_SIZE);
};

/*
 * struct hyp_allocator - one heap.
 * @start, @end: the reserved VA range.
 * @last_used: end of the tail chunk's used data (a size cannot be derived
 *	from a next header there).
 * @first_unmapped: first unmapped page while there are no chunks.
 * @head, @tail: first and last chunk; NULL when there are none.
 * @mc: donated pages not mapped yet.
 * @lock: protects all of the above and every chunk header.
 * @errno: per-CPU, the last allocation error; reading it clears it.
 * @topup_needed: per-CPU, pages missing at the last -ENOMEM; cleared on read.
 */
struct hyp_allocator {
	void *start;
	void *end;
	void *last_used;
	void *first_unmapped;
	struct chunk_hdr *head;
	struct chunk_hdr *tail;
	struct kvm_hyp_memcache mc;
	hyp_spinlock_t lock;
	int *errno;
	u32 *topup_needed;
};

extern struct hyp_allocator hyp_allocator;

/**
 * hyp_alloc_init() - Reserve @size bytes of hyp private VA (rounded up to
 * pages) and start an empty heap there.
 *
 * Return: 0; -EINVAL for a size of 0 or above U32_MAX; -ENOMEM when the
 * private VA area is exhausted.
 */
int hyp_alloc_init(size_t size);

/**
 * hyp_allocator_init() - Start an empty heap over [@start, @start + @size),
 * already reserved by the caller (hyp_alloc_init(), or a native test).
 *
 * Return: 0, or -EINVAL for a misaligned start or a bad size.
 */
int hyp_allocator_init(unsigned long start, size_t size);

/**
 * hyp_alloc() - Allocate @size bytes, zeroed, 16-byte aligned.
 *
 * May map pages into the hyp stage-1: the caller must not hold
 * pkvm_pgd_lock.
 *
 * Return: the data, or NULL with hyp_alloc_errno() set to -ENOMEM (the
 * memcache ran dry; hyp_alloc_topup_needed() pages are missing) or -E2BIG
 * (the request, or what is left of the VA range, is too big).
 */
void *hyp_alloc(size_t size);

/**
 * hyp_free() - Free what hyp_alloc() returned.  NULL does nothing.  Any
 * other address is a hypervisor bug: misaligned or out-of-range addresses
 * and corrupt headers are refused with a warning.
 */
void hyp_free(void *addr);

/** hyp_alloc_errno() - This CPU's last hyp_alloc() error (0: none); clears it. */
int hyp_alloc_errno(void);

/** hyp_alloc_topup_needed() - Pages missing at this CPU's last -ENOMEM; clears it. */
u32 hyp_alloc_topup_needed(void);

/**
 * hyp_alloc_topup() - Take every page of @host_mc into the allocator's
 * memcache, donating each from the host (__pkvm_host_donate_hyp()).
 *
 * Return: 0, or the donation error; pages already taken stay taken and
 * @host_mc keeps the rest.
 */
int hyp_alloc_topup(struct kvm_hyp_memcache *host_mc);

/**
 * hyp_alloc_reclaim() - Give up to @target unused pages back to the host.
 *
 * Pages waiting in the memcache go first; then mapped pages no chunk uses
 * are unmapped, from the chunk with the most of them.  Each page is zeroed,
 * pushed onto @host_mc and donated to the host.
 *
 * Return: the number of pages given back.
 */
unsigned long hyp_alloc_reclaim(struct kvm_hyp_memcache *host_mc, unsigned long target);

/** hyp_alloc_reclaimable() - Pages hyp_alloc_reclaim() could give back now. */
unsigned long hyp_alloc_reclaimable(void);

/** chunk_hash_compute() - The hash of @chunk's next, prev and __unmapped. */
u32 chunk_hash_compute(const struct chunk_hdr *chunk);

/*
 * A chunk as the heap's users and the ground truth see it.  Addresses are
 * hyp VAs; sizes are bytes of data (after the header).
 */
struct hyp_alloc_chunk_info {
	unsigned long addr;	/* the header */
	unsigned long size;	/* data bytes up to the next header (or end) */
	unsigned long mapped;	/* data bytes before the first unmapped page */
	unsigned long used;	/* data bytes in use; 0 when free */
	unsigned long unmapped; /* first unmapped page of the span, 0: none */
	unsigned long end;	/* the next header, or the range end */
	bool is_used;
	bool is_tail;
};

/**
 * hyp_alloc_for_each_chunk() - Call @fn on every chunk, head to tail, with
 * the allocator's lock held (@fn must not allocate or free).
 */
void hyp_alloc_for_each_chunk(void (*fn)(const struct hyp_alloc_chunk_info *info, void *arg),
			      void *arg);

#endif /* EL2_ALLOC_H */
