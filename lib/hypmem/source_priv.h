/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internals shared by the source implementations (source_*.c).  A format
 * fills in its segments (sorted, non-overlapping) and its ops; source.c does
 * the bounds checks, the segment lookup and the dispatch.
 */
#ifndef HYPMEM_SOURCE_PRIV_H
#define HYPMEM_SOURCE_PRIV_H

#include "hypmem/source.h"

struct hypmem_source_ops {
	/*
	 * Read @n bytes at @phys, all inside segment @seg (source.c split the
	 * request at segment boundaries).
	 */
	struct hypmem_error *(*read)(struct hypmem_source *src, size_t seg, void *buf,
				     uint64_t phys, size_t n);
	/* Optional: a pointer to bytes inside segment @seg, or LOOKUP. */
	struct hypmem_error *(*view)(struct hypmem_source *src, size_t seg, uint64_t phys,
				     size_t n, const void **ret);
	void (*destroy)(struct hypmem_source *src);
};

struct hypmem_source {
	const struct hypmem_source_ops *ops;
	enum hypmem_source_kind kind;
	struct hypmem_segment *segments; /* owned, sorted by phys_start */
	size_t nr_segments;
	size_t last;			 /* index of the last segment hit */
	char *vmcoreinfo;		 /* owned, NUL-terminated, or NULL */
	struct hypmem_segment *missing;	 /* owned: claimed but past the end of the file */
	size_t nr_missing, cap_missing;
	void *priv;			 /* the format's own state */
};

/* Allocate a source with @nr zeroed segments. */
struct hypmem_error *hypmem_source_alloc(enum hypmem_source_kind kind,
					 const struct hypmem_source_ops *ops, size_t nr,
					 struct hypmem_source **ret);

/* Note a range the file's headers claim but its bytes do not hold. */
struct hypmem_error *hypmem_source_add_missing(struct hypmem_source *src, uint64_t phys,
					       uint64_t size);

/* Sort segments and reject overlaps and wrap-arounds (FORMAT errors). */
struct hypmem_error *hypmem_source_finish(struct hypmem_source *src, const char *path);

/* mmap() a whole file read-only; *size_ret its size. */
struct hypmem_error *hypmem_map_file(const char *path, int fd, const uint8_t **map_ret,
				     uint64_t *size_ret);

struct hypmem_error *hypmem_source_open_elf(const char *path, int fd,
					    struct hypmem_source **ret);
struct hypmem_error *hypmem_source_open_kdump(const char *path, int fd,
					      struct hypmem_source **ret);

#endif /* HYPMEM_SOURCE_PRIV_H */
