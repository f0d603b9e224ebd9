/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libhypmem's public interface: the one header libhypmem.so.0 exports.
 *
 * It owns opening a target (a vmlinux, or the hypmem EL2 image, with an ELF
 * or kdump-compressed dump or a raw memory image), decoding the pKVM
 * hypervisor's memory structures once, and handing out what they hold:
 * the target's facts, the hyp_pools, vmemmap entries (struct hyp_page),
 * the runs of the host stage-2 and of the hyp stage-1, the hyp heap's
 * chunks, the answer for one address (what "hypmem-dump page" prints) and
 * the findings: what the decoders found inconsistent, each with an address.
 *
 * It leaves to the layer above everything about presentation (text, JSON,
 * SVG: the commands do that), threads (a handle is used by one thread at a
 * time) and policy (what a finding means for an exit status).
 *
 * Conventions: handles are opaque.  Records (struct hypmem_*_info) are
 * caller storage the library fills and the caller only reads; their
 * strings are arrays inside them, except hypmem_finding_info.message,
 * which lives as long as the handle.  A function that can fail returns a
 * struct hypmem_error *, NULL meaning success; the caller destroys a
 * non-NULL one.  Decoding happens on the first call that needs it and is
 * kept: later calls are cheap.  Corrupt data in the dump is a finding, not
 * an error; errors are for what stops decoding (a missing file, a vmlinux
 * without the DWARF needed, an address the dump does not hold, no memory).
 */
#ifndef HYPMEM_HYPMEM_H
#define HYPMEM_HYPMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** hypmem_version() - The library's version, e.g. "0.1" (the VERSION file). */
const char *hypmem_version(void);

/* --- errors --- */

struct hypmem_error;

/** hypmem_error_message() - One line, no newline; valid until the error is destroyed. */
const char *hypmem_error_message(const struct hypmem_error *err);
/**
 * hypmem_error_kind() - A short stable name: "NO_MEMORY", "INVALID_ARGUMENT",
 * "OS", "ELF", "DWARF", "KDUMP", "FORMAT", "FAULT" (an address the target
 * does not hold), "LOOKUP" (not found), "OVERFLOW", "STOP" or "OTHER".
 */
const char *hypmem_error_kind(const struct hypmem_error *err);
/** hypmem_error_address() - For "FAULT": true and the address in *@ret. */
bool hypmem_error_address(const struct hypmem_error *err, uint64_t *ret);
/** hypmem_error_destroy() - Free an error; NULL is ignored. */
void hypmem_error_destroy(struct hypmem_error *err);

/* --- opening a target: the options of the commands (hypmem-dump(1)) --- */

struct hypmem_options;

/** hypmem_options_create() - Empty options; destroy with hypmem_options_destroy(). */
struct hypmem_error *hypmem_options_create(struct hypmem_options **ret);
void hypmem_options_destroy(struct hypmem_options *opts);
/** hypmem_options_set_vmlinux() - The image with symbols and DWARF (required; copied). */
struct hypmem_error *hypmem_options_set_vmlinux(struct hypmem_options *opts, const char *path);
/** hypmem_options_set_core() - An ELF or kdump-compressed dump (copied). */
struct hypmem_error *hypmem_options_set_core(struct hypmem_options *opts, const char *path);
/** hypmem_options_set_raw() - A raw memory image, "FILE@PHYS" as --raw (copied). */
struct hypmem_error *hypmem_options_set_raw(struct hypmem_options *opts, const char *spec);
/** hypmem_options_set_kaslr_offset() - As --kaslr-offset. */
void hypmem_options_set_kaslr_offset(struct hypmem_options *opts, uint64_t offset);
/** hypmem_options_set_kimage_voffset() - As --kimage-voffset. */
void hypmem_options_set_kimage_voffset(struct hypmem_options *opts, uint64_t offset);
/** hypmem_options_set_force() - As --force: open even when the vmlinux is not the dump's kernel. */
void hypmem_options_set_force(struct hypmem_options *opts, bool force);

struct hypmem;

/**
 * hypmem_open() - Open a target.
 * @opts: what to open; not kept.
 * @ret: the new handle; close it with hypmem_close().
 *
 * Return: NULL; or an error naming the file, symbol or struct member that
 * is missing, or both kernels when the vmlinux is not the dump's.
 */
struct hypmem_error *hypmem_open(const struct hypmem_options *opts, struct hypmem **ret);
/** hypmem_close() - Close everything; @hm may be NULL. */
void hypmem_close(struct hypmem *hm);

/* --- the target --- */

/** hypmem_release() - VMCOREINFO's OSRELEASE, or "unknown". */
const char *hypmem_release(const struct hypmem *hm);
/** hypmem_page_size() - The granule: 4096, 16384 or 65536. */
uint64_t hypmem_page_size(const struct hypmem *hm);
/** hypmem_core_format() - "elf", "kdump", "raw" or "memory". */
const char *hypmem_core_format(const struct hypmem *hm);
uint64_t hypmem_kaslr_offset(const struct hypmem *hm);
uint64_t hypmem_kimage_voffset(const struct hypmem *hm);
int64_t hypmem_hyp_physvirt_offset(const struct hypmem *hm);
/** hypmem_vmemmap_base() - __hyp_vmemmap, a hyp VA. */
uint64_t hypmem_vmemmap_base(const struct hypmem *hm);
/** hypmem_nr_ram() - Number of hyp_memory[] ranges. */
size_t hypmem_nr_ram(const struct hypmem *hm);
/** hypmem_get_ram() - Range @i of hyp_memory[]: [*@start, *@end); false past the end. */
bool hypmem_get_ram(const struct hypmem *hm, size_t i, uint64_t *start, uint64_t *end);

/* --- the hyp page allocator: pools and vmemmap --- */

#define HYPMEM_ORDERS 16

/* One struct hyp_pool. */
struct hypmem_pool_info {
	char name[64];	  /* the variable: "hpool", "host_s2_pool"... */
	uint64_t address; /* PA of the struct */
	uint64_t range_start, range_end; /* PAs, end exclusive */
	uint64_t max_order;
	uint64_t nr_pages, free_pages;
	unsigned int nr_orders; /* entries of the two arrays in use */
	uint64_t free_pages_by_order[HYPMEM_ORDERS];
	uint64_t free_blocks_by_order[HYPMEM_ORDERS];
	uint64_t findings; /* findings this pool produced */
};

struct hypmem_error *hypmem_nr_pools(struct hypmem *hm, size_t *nr_ret);
/** hypmem_get_pool() - Pool @i (0 <= @i < hypmem_nr_pools()); INVALID_ARGUMENT past the end. */
struct hypmem_error *hypmem_get_pool(struct hypmem *hm, size_t i, struct hypmem_pool_info *ret);

/* One struct hyp_page. */
struct hypmem_vmemmap_entry {
	uint64_t pfn, phys;
	uint64_t refcount;
	uint64_t order;	   /* meaningless when no_order */
	bool no_order;	   /* HYP_NO_ORDER */
	bool has_state;	   /* the layout has host/hyp page-state fields */
	unsigned int host_state, hyp_state;
	uint64_t host_share_guest_count;
	char host_state_name[24], hyp_state_name[24]; /* "" without states */
};

/**
 * hypmem_get_vmemmap() - The entries of the hyp_memory[] PFNs from @first on,
 * in order, skipping entries the dump does not hold.
 * @hm: the handle.
 * @first: the first PFN to look at.
 * @buf: room for @cap entries.
 * @cap: at most this many.
 * @nr_ret: how many were filled; fewer than @cap only at the end of RAM.
 *
 * Continue from buf[*nr_ret - 1].pfn + 1.
 *
 * Return: NULL, or an error that stopped decoding.
 */
struct hypmem_error *hypmem_get_vmemmap(struct hypmem *hm, uint64_t first,
					struct hypmem_vmemmap_entry *buf, size_t cap,
					size_t *nr_ret);

/* --- page tables: runs of leaves of one kind --- */

enum hypmem_table {
	HYPMEM_HOST_STAGE2 = 0, /* host_mmu / host_kvm */
	HYPMEM_HYP_STAGE1 = 1,	/* pkvm_pgtable */
};

struct hypmem_run_info {
	uint64_t start, end; /* input addresses, end exclusive */
	uint64_t phys;	     /* output address of start, valid leaves */
	int level;
	bool valid;
	char size[8];	  /* leaf size: "4K", "2M", "1G"... */
	char owner[16];	  /* stage-2: "host" (valid leaves), "hyp", ...; stage-1: "" */
	char type[24];	  /* 7.x invalid stage-2 entries: the kvm_invalid_pte_type; else "" */
	char state[24];	  /* "owned", "shared_owned", ..., "nostate" (7.x host leaves) */
	char prot[8];	  /* "rwx", "r--" ... */
	char memattr[16]; /* "normal", "device", ... */
	uint32_t vm_handle; /* 7.x donation to a guest: its handle; else 0 */
	uint64_t gfn;	    /* and the guest frame of start */
};

/** hypmem_nr_runs() - Number of runs; 0 when the kernel has no such table. */
struct hypmem_error *hypmem_nr_runs(struct hypmem *hm, enum hypmem_table table, size_t *nr_ret);
struct hypmem_error *hypmem_get_run(struct hypmem *hm, enum hypmem_table table, size_t i,
				    struct hypmem_run_info *ret);

/* --- the hyp heap (struct hyp_allocator) --- */

struct hypmem_chunk_info {
	char heap[64];	   /* the allocator's variable */
	uint64_t addr;	   /* hyp VA of the header */
	uint64_t pa;	   /* its PA */
	uint64_t size;	   /* data bytes up to the next header */
	uint64_t mapped;   /* data bytes before the first unmapped page */
	uint64_t used;	   /* data bytes in use; 0 when free */
	bool is_used;
	bool hash_ok;	   /* the header's hash checks */
};

/** hypmem_nr_chunks() - Chunks of every heap, heap after heap; 0 without a heap. */
struct hypmem_error *hypmem_nr_chunks(struct hypmem *hm, size_t *nr_ret);
struct hypmem_error *hypmem_get_chunk(struct hypmem *hm, size_t i,
				      struct hypmem_chunk_info *ret);

/* --- one address: what hypmem-dump page answers --- */

#define HYPMEM_PAGE_MAX_MAPS   16
#define HYPMEM_PAGE_MAX_CHUNKS 8

struct hypmem_page_info {
	bool resolved;	/* false: @why says why the address names no page */
	char why[160];
	char kind[8];	/* how the input was read: "pa", "pfn", "hyp", "kva", "linear", "sym" */
	uint64_t pa;	/* the address named */
	uint64_t page_pa, pfn;
	bool in_ram;	/* in hyp_memory[] */

	bool has_entry;	/* the vmemmap entry could be read */
	struct hypmem_vmemmap_entry entry;

	bool in_pool;	/* a pool's range holds the page */
	char pool[64];
	bool is_free;	/* on a free list, in the block below */
	uint64_t block_pfn;
	unsigned int block_order;
	uint64_t block_index; /* 0-based position in the block */

	bool s2_mapped;	/* a host stage-2 entry covers the page */
	struct hypmem_run_info s2; /* the run holding it */
	uint64_t s2_desc, s2_table_pa;

	size_t nr_hyp;	/* hyp stage-1 mappings of the page (hyp VAs) */
	uint64_t hyp_va[HYPMEM_PAGE_MAX_MAPS];
	size_t nr_guest; /* guest stage-2 mappings: VM handle and IPA */
	uint64_t guest_vm[HYPMEM_PAGE_MAX_MAPS], guest_ipa[HYPMEM_PAGE_MAX_MAPS];
	size_t nr_chunks; /* heap chunks overlapping the page */
	struct hypmem_chunk_info chunks[HYPMEM_PAGE_MAX_CHUNKS];
	size_t nr_findings; /* findings about the page (all of them) */
};

/**
 * hypmem_get_page() - Everything about the page an address names.
 * @hm: the handle.
 * @addr: as hypmem-dump page takes it: "pa:X", "pfn:N", "hyp:X", "kva:X",
 *        "sym:NAME" or a bare number.
 * @ret: filled; ret->resolved false when the address names no page.
 *
 * Return: NULL; INVALID_ARGUMENT for a malformed @addr; an error that
 * stopped decoding.
 */
struct hypmem_error *hypmem_get_page(struct hypmem *hm, const char *addr,
				     struct hypmem_page_info *ret);

/* --- findings --- */

struct hypmem_finding_info {
	const char *kind;    /* stable key, as in JSON: "list_cycle", "bad_owner"... */
	uint64_t address;    /* a PA unless the message says otherwise */
	const char *message; /* valid until hypmem_close() */
};

/**
 * hypmem_nr_findings() - Decode everything (what hypmem-dump page decodes)
 * and count what was found inconsistent.  Past 10000 findings only the
 * total grows: @total_ret (may be NULL) counts them all.
 */
struct hypmem_error *hypmem_nr_findings(struct hypmem *hm, size_t *nr_ret, size_t *total_ret);
struct hypmem_error *hypmem_get_finding(struct hypmem *hm, size_t i,
					struct hypmem_finding_info *ret);

#ifdef __cplusplus
}
#endif

#endif /* HYPMEM_HYPMEM_H */
