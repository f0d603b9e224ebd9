// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sources: format detection, segment lookup, bounds checks, and the two
 * formats simple enough to live here (raw images and caller memory).
 *
 * Reads are split at segment boundaries and every byte must be held by some
 * segment; the first missing address is reported in a FAULT error.  The
 * lookup is a binary search with a one-entry hint, since decoders read small
 * fields one after another from the same region.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source_priv.h"
#include "array.h"

const char *hypmem_source_kind_name(enum hypmem_source_kind kind)
{
	switch (kind) {
	case HYPMEM_SOURCE_ELF:
		return "elf";
	case HYPMEM_SOURCE_KDUMP:
		return "kdump";
	case HYPMEM_SOURCE_RAW:
		return "raw";
	case HYPMEM_SOURCE_MEMORY:
		return "memory";
	}
	return "unknown";
}

enum hypmem_source_kind hypmem_source_kind(const struct hypmem_source *src)
{
	return src->kind;
}

const struct hypmem_segment *hypmem_source_segments(const struct hypmem_source *src,
						    size_t *nr_ret)
{
	*nr_ret = src->nr_segments;
	return src->segments;
}

const char *hypmem_source_vmcoreinfo(const struct hypmem_source *src)
{
	return src->vmcoreinfo;
}

const struct hypmem_segment *hypmem_source_missing(const struct hypmem_source *src,
						   size_t *nr_ret)
{
	*nr_ret = src->nr_missing;
	return src->missing;
}

/* At most this many ranges are kept; the last one then grows to cover the rest. */
#define MISSING_MAX 4096

struct hypmem_error *hypmem_source_add_missing(struct hypmem_source *src, uint64_t phys,
					       uint64_t size)
{
	struct hypmem_segment *m;

	if (!size)
		return NULL;
	if (src->nr_missing == MISSING_MAX) {
		m = &src->missing[src->nr_missing - 1];
		if (phys + size > m->phys_start + m->size)
			m->size = phys + size - m->phys_start;
		return NULL;
	}
	if (!hypmem_grow((void **)&src->missing, &src->cap_missing, src->nr_missing + 1,
			 sizeof(*src->missing)))
		return &hypmem_enomem;
	m = src->missing;
	m[src->nr_missing++] = (struct hypmem_segment){.phys_start = phys, .size = size};
	/* Keep them sorted (insertion: they mostly come in order). */
	for (size_t j = src->nr_missing - 1; j && m[j].phys_start < m[j - 1].phys_start; j--) {
		struct hypmem_segment t = m[j];

		m[j] = m[j - 1];
		m[j - 1] = t;
	}
	return NULL;
}

struct hypmem_error *hypmem_source_alloc(enum hypmem_source_kind kind,
					 const struct hypmem_source_ops *ops, size_t nr,
					 struct hypmem_source **ret)
{
	struct hypmem_source *src = calloc(1, sizeof(*src));

	if (!src)
		return &hypmem_enomem;
	src->segments = calloc(nr ? nr : 1, sizeof(*src->segments));
	if (!src->segments) {
		free(src);
		return &hypmem_enomem;
	}
	src->kind = kind;
	src->ops = ops;
	src->nr_segments = nr;
	*ret = src;
	return NULL;
}

struct hypmem_error *hypmem_source_finish(struct hypmem_source *src, const char *path)
{
	/* Formats keep per-segment state by index: sort only if they allow it. */
	for (size_t i = 0; i < src->nr_segments; i++) {
		const struct hypmem_segment *s = &src->segments[i];

		if (s->size && s->phys_start + s->size - 1 < s->phys_start)
			return hypmem_error_create(HYPMEM_ERROR_FORMAT,
						   "%s: segment at 0x%" PRIx64 " wraps around",
						   path, s->phys_start);
		if (i && s->phys_start < src->segments[i - 1].phys_start)
			return hypmem_error_create(HYPMEM_ERROR_FORMAT,
						   "%s: segments are not sorted by address", path);
		if (i && s->phys_start - src->segments[i - 1].phys_start <
				 src->segments[i - 1].size)
			return hypmem_error_create(HYPMEM_ERROR_FORMAT,
						   "%s: segments overlap at 0x%" PRIx64, path,
						   s->phys_start);
	}
	return NULL;
}

/* Index of the segment holding @phys, or nr_segments. */
static size_t find_segment(struct hypmem_source *src, uint64_t phys)
{
	size_t lo = 0, hi = src->nr_segments;
	const struct hypmem_segment *s;

	if (src->last < src->nr_segments) {
		s = &src->segments[src->last];
		if (phys - s->phys_start < s->size)
			return src->last;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		s = &src->segments[mid];
		if (phys < s->phys_start)
			hi = mid;
		else if (phys - s->phys_start >= s->size)
			lo = mid + 1;
		else
			return src->last = mid;
	}
	return src->nr_segments;
}

bool hypmem_source_contains(const struct hypmem_source *src, uint64_t phys, uint64_t n)
{
	struct hypmem_source *s = (struct hypmem_source *)src;

	while (n) {
		size_t i = find_segment(s, phys);
		uint64_t left;

		if (i == s->nr_segments)
			return false;
		left = s->segments[i].size - (phys - s->segments[i].phys_start);
		if (left >= n)
			return true;
		n -= left;
		phys += left;
	}
	return true;
}

struct hypmem_error *hypmem_source_read(struct hypmem_source *src, void *buf, uint64_t phys,
					size_t n)
{
	uint8_t *out = buf;

	if (n && phys + n - 1 < phys)
		return hypmem_error_fault(phys, "read of %zu bytes at 0x%" PRIx64 " wraps around", n,
					  phys);
	while (n) {
		size_t i = find_segment(src, phys), chunk;
		uint64_t left;
		struct hypmem_error *err;

		if (i == src->nr_segments)
			return hypmem_error_fault(phys, "physical address 0x%" PRIx64
						  " is not in the dump", phys);
		left = src->segments[i].size - (phys - src->segments[i].phys_start);
		chunk = left < n ? (size_t)left : n;
		err = src->ops->read(src, i, out, phys, chunk);
		if (err)
			return err;
		out += chunk;
		phys += chunk;
		n -= chunk;
	}
	return NULL;
}

struct hypmem_error *hypmem_source_view(struct hypmem_source *src, uint64_t phys, size_t n,
					const void **ret)
{
	size_t i = find_segment(src, phys);

	if (i == src->nr_segments)
		return hypmem_error_fault(phys, "physical address 0x%" PRIx64 " is not in the dump",
					  phys);
	if (src->segments[i].size - (phys - src->segments[i].phys_start) < n || !src->ops->view)
		return hypmem_error_create(HYPMEM_ERROR_LOOKUP, "no view for this range");
	return src->ops->view(src, i, phys, n, ret);
}

void hypmem_source_destroy(struct hypmem_source *src)
{
	if (!src)
		return;
	if (src->ops->destroy)
		src->ops->destroy(src);
	free(src->segments);
	free(src->missing);
	free(src->vmcoreinfo);
	free(src);
}

struct hypmem_error *hypmem_map_file(const char *path, int fd, const uint8_t **map_ret,
				     uint64_t *size_ret)
{
	struct stat st;
	void *map;

	if (fstat(fd, &st))
		return hypmem_error_os(errno, "%s", path);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "%s: not a regular file", path);
	if (st.st_size == 0)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "%s: empty file", path);
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return hypmem_error_os(errno, "mmap(%s)", path);
	*map_ret = map;
	*size_ret = (uint64_t)st.st_size;
	return NULL;
}

/* --- raw images and caller memory: bytes at a fixed place per segment --- */

struct flat_priv {
	const uint8_t *map; /* raw: the mapping; unused for memory */
	uint64_t map_size;
	const uint8_t **data; /* per segment */
};

static struct hypmem_error *flat_read(struct hypmem_source *src, size_t seg, void *buf,
				      uint64_t phys, size_t n)
{
	struct flat_priv *p = src->priv;

	memcpy(buf, p->data[seg] + (phys - src->segments[seg].phys_start), n);
	return NULL;
}

static struct hypmem_error *flat_view(struct hypmem_source *src, size_t seg, uint64_t phys,
				      size_t n, const void **ret)
{
	struct flat_priv *p = src->priv;

	(void)n;
	*ret = p->data[seg] + (phys - src->segments[seg].phys_start);
	return NULL;
}

static void flat_destroy(struct hypmem_source *src)
{
	struct flat_priv *p = src->priv;

	if (!p)
		return;
	if (p->map)
		munmap((void *)p->map, p->map_size);
	free(p->data);
	free(p);
}

static const struct hypmem_source_ops flat_ops = {
	.read = flat_read,
	.view = flat_view,
	.destroy = flat_destroy,
};

struct hypmem_error *hypmem_source_create_memory(const struct hypmem_segment *segments,
						 const void *const *data, size_t nr,
						 const char *vmcoreinfo, struct hypmem_source **ret)
{
	struct hypmem_source *src = NULL;
	struct flat_priv *p;
	struct hypmem_error *err;
	size_t *order;

	err = hypmem_source_alloc(HYPMEM_SOURCE_MEMORY, &flat_ops, nr, &src);
	if (err)
		return err;
	p = calloc(1, sizeof(*p));
	order = calloc(nr ? nr : 1, sizeof(*order));
	src->priv = p;
	if (!p || !order || !(p->data = calloc(nr ? nr : 1, sizeof(*p->data)))) {
		free(order);
		hypmem_source_destroy(src);
		return &hypmem_enomem;
	}
	/* Sort by address, keeping each segment with its bytes. */
	for (size_t i = 0; i < nr; i++)
		order[i] = i;
	for (size_t i = 1; i < nr; i++)
		for (size_t j = i; j && segments[order[j]].phys_start <
					    segments[order[j - 1]].phys_start; j--) {
			size_t tmp = order[j];

			order[j] = order[j - 1];
			order[j - 1] = tmp;
		}
	for (size_t i = 0; i < nr; i++) {
		src->segments[i] = segments[order[i]];
		p->data[i] = data[order[i]];
	}
	free(order);
	if (vmcoreinfo && !(src->vmcoreinfo = strdup(vmcoreinfo))) {
		hypmem_source_destroy(src);
		return &hypmem_enomem;
	}
	err = hypmem_source_finish(src, "memory");
	if (err) {
		hypmem_source_destroy(src);
		return err;
	}
	*ret = src;
	return NULL;
}

struct hypmem_error *hypmem_source_parse_raw_spec(const char *spec, char **path_ret,
						  uint64_t *base_ret)
{
	const char *at = strrchr(spec, '@'), *num;
	char *end;
	unsigned long long v;
	int base = 10;

	if (!at || at == spec || !at[1])
		return hypmem_error_create(HYPMEM_ERROR_INVALID_ARGUMENT,
					   "raw image '%s': expected FILE@PHYS", spec);
	/* Decimal or 0x-hex only: no octal, and no sign or space strtoull() would skip. */
	num = at + 1;
	if (num[0] == '0' && (num[1] == 'x' || num[1] == 'X')) {
		num += 2;
		base = 16;
	}
	errno = 0;
	v = strtoull(num, &end, base);
	if (errno || *end || !isalnum((unsigned char)*num))
		return hypmem_error_create(HYPMEM_ERROR_INVALID_ARGUMENT,
					   "raw image '%s': bad physical address '%s'", spec, at + 1);
	*path_ret = strndup(spec, (size_t)(at - spec));
	if (!*path_ret)
		return &hypmem_enomem;
	*base_ret = v;
	return NULL;
}

struct hypmem_error *hypmem_source_open_raw(const char *path, uint64_t base,
					    struct hypmem_source **ret)
{
	struct hypmem_source *src = NULL;
	struct hypmem_error *err;
	struct flat_priv *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return hypmem_error_os(errno, "%s", path);
	err = hypmem_source_alloc(HYPMEM_SOURCE_RAW, &flat_ops, 1, &src);
	if (err) {
		close(fd);
		return err;
	}
	p = calloc(1, sizeof(*p));
	src->priv = p;
	if (!p || !(p->data = calloc(1, sizeof(*p->data)))) {
		close(fd);
		hypmem_source_destroy(src);
		return &hypmem_enomem;
	}
	err = hypmem_map_file(path, fd, &p->map, &p->map_size);
	close(fd);
	if (!err && base + p->map_size - 1 < base)
		err = hypmem_error_create(HYPMEM_ERROR_OVERFLOW,
					  "%s: %" PRIu64 " bytes at 0x%" PRIx64 " wrap around", path,
					  p->map_size, base);
	if (err) {
		hypmem_source_destroy(src);
		return err;
	}
	p->data[0] = p->map;
	src->segments[0] = (struct hypmem_segment){ .phys_start = base, .size = p->map_size };
	*ret = src;
	return NULL;
}

/* --- detection --- */

struct hypmem_error *hypmem_source_open(const char *path, struct hypmem_source **ret)
{
	uint8_t magic[16];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct hypmem_error *err;

	if (fd < 0)
		return hypmem_error_os(errno, "%s", path);
	n = pread(fd, magic, sizeof(magic), 0);
	if (n < 0) {
		err = hypmem_error_os(errno, "%s", path);
	} else if (n >= 16 && !memcmp(magic, "\177ELF", 4)) {
		err = hypmem_source_open_elf(path, fd, ret);
	} else if (n >= 8 && (!memcmp(magic, "KDUMP   ", 8) || !memcmp(magic, "DISKDUMP", 8) ||
			      !memcmp(magic, "makedumpfile", 12))) {
		err = hypmem_source_open_kdump(path, fd, ret);
	} else {
		err = hypmem_error_create(HYPMEM_ERROR_FORMAT,
					  "%s: not an ELF core or a kdump-compressed dump "
					  "(for a raw memory image use --raw FILE@PHYS)",
					  path);
	}
	close(fd);
	return err;
}
