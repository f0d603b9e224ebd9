/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Findings: inconsistencies detected in the target's data.  A finding is not
 * an error: decoding goes on, and the commands exit with status 1 when any
 * were recorded.  Each has a kind (a stable JSON key), the address it is
 * about (a physical address unless the message says otherwise) and a
 * message.
 */
#ifndef HYPMEM_FINDINGS_H
#define HYPMEM_FINDINGS_H

#include <stddef.h>
#include <stdint.h>

#include "hypmem/error.h"

/* X(name, json_key): one list for the enum, the names and the JSON keys. */
#define HYPMEM_FINDING_KINDS                                                   \
	X(LIST_CYCLE, "list_cycle")                                            \
	X(LIST_BROKEN, "list_broken")                                          \
	X(LIST_TOO_LONG, "list_too_long")                                      \
	X(LIST_PREV_MISMATCH, "list_prev_mismatch")                            \
	X(LIST_UNINITIALISED, "list_uninitialised")                            \
	X(NODE_OUTSIDE_POOL, "node_outside_pool")                              \
	X(NODE_MISALIGNED, "node_misaligned")                                  \
	X(ORDER_MISMATCH, "order_mismatch")                                    \
	X(FREE_PAGE_REFERENCED, "free_page_referenced")                        \
	X(FREE_TAIL_NOT_NO_ORDER, "free_tail_has_order")                       \
	X(BUDDIES_BOTH_FREE, "buddies_both_free")                              \
	X(BLOCK_ON_TWO_LISTS, "block_on_two_lists")                            \
	X(FREE_HEAD_NOT_LISTED, "free_head_not_listed")                        \
	X(POOL_INVALID, "pool_invalid")                                        \
	X(VMEMMAP_UNMAPPED, "vmemmap_unmapped")                                \
	X(BAD_ORDER, "bad_order")                                              \
	X(TRANSLATION, "translation")                                          \
	X(TABLE_LOOP, "table_loop")                                            \
	X(RESERVED_ENCODING, "reserved_encoding")                              \
	X(TABLE_OUTSIDE_POOL, "table_outside_pool")                            \
	X(TABLE_UNREADABLE, "table_unreadable")                                \
	X(TABLE_REFCOUNT, "table_refcount")                                    \
	X(BAD_OWNER, "bad_owner")                                              \
	X(NOT_IDENTITY, "not_identity")                                        \
	X(STATE_MISMATCH, "state_mismatch")                                    \
	X(SHARE_COUNT_MISMATCH, "share_count_mismatch")                        \
	X(VM_INVALID, "vm_invalid")                                            \
	X(HEAP_INVALID, "heap_invalid")                                        \
	X(HEAP_HASH_MISMATCH, "heap_hash_mismatch")                            \
	X(HEAP_OFFSET_OUT_OF_RANGE, "heap_offset_out_of_range")                \
	X(HEAP_CHUNK_IN_HOLE, "heap_chunk_in_hole")                            \
	X(HEAP_SIZE_INCONSISTENT, "heap_size_inconsistent")                    \
	X(HEAP_ORPHAN_MAPPING, "heap_orphan_mapping")                          \
	X(HEAP_LOOP, "heap_loop")                                              \
	X(HEAP_MEMCACHE_BROKEN, "heap_memcache_broken")                        \
	X(TRACE_PAGE_INVALID, "trace_page_invalid")                            \
	X(TRACE_LOST_MISMATCH, "trace_lost_mismatch")                          \
	X(DUMP_TRUNCATED, "dump_truncated")                                    \
	X(TRACE_TIME_BACKWARDS, "trace_time_backwards")

enum hypmem_finding_kind {
#define X(name, key) HYPMEM_FINDING_##name,
	HYPMEM_FINDING_KINDS
#undef X
	HYPMEM_FINDING_NR
};

struct hypmem_finding {
	enum hypmem_finding_kind kind;
	uint64_t address;
	char *message; /* owned */
};

/*
 * A growing list.  Past HYPMEM_FINDINGS_MAX entries only the count per kind
 * grows, so a target corrupt everywhere cannot exhaust memory.
 */
#define HYPMEM_FINDINGS_MAX 10000
struct hypmem_findings {
	struct hypmem_finding *items;
	size_t nr, cap;
	size_t total;		    /* recorded, including dropped ones */
	size_t by_kind[HYPMEM_FINDING_NR];
};

void hypmem_findings_init(struct hypmem_findings *f);
void hypmem_findings_deinit(struct hypmem_findings *f);

/**
 * hypmem_findings_add() - Record a finding.
 * @f: the list.
 * @kind: what kind.
 * @address: the address it is about.
 * @fmt: message.
 *
 * Return: NULL, or &hypmem_enomem.
 */
struct hypmem_error *hypmem_findings_add(struct hypmem_findings *f, enum hypmem_finding_kind kind,
					 uint64_t address, const char *fmt, ...)
	__attribute__((__format__(__printf__, 4, 5)));

/** hypmem_finding_key() - The JSON key of @kind, e.g. "list_cycle". */
const char *hypmem_finding_key(enum hypmem_finding_kind kind);

#endif /* HYPMEM_FINDINGS_H */
