// SPDX-License-Identifier: GPL-2.0-only
/*
 * kdump-compressed dumps ("KDUMP   " / "DISKDUMP"), read through
 * libkdumpfile, and makedumpfile's flattened format, reassembled first.
 *
 * Flattened files ("makedumpfile" signature: what QEMU's dump-guest-memory
 * writes for the kdump-* formats, and makedumpfile -F) are a stream of
 * (offset, size, data) records meant to be written back at their offsets.
 * libkdumpfile 0.5.1 cannot read them, so the records are replayed into an
 * anonymous memory file (memfd), bounds-checked one by one.  The result
 * costs about as much memory as the compressed file.  If it holds an ELF
 * core (makedumpfile -E -F), the ELF source takes it over.
 *
 * Reads use libkdumpfile's machine physical address space, which is the
 * format's own index (page frame numbers in the dump's bitmap); the kernel
 * physical address space would need libkdumpfile's address translation,
 * which wants an architecture and a Linux OS release that a QEMU dump of a
 * bare hypervisor image does not provide.  Outside Xen dumps the two are
 * the same.
 *
 * libkdumpfile 0.5.1 quirks worked around:
 *  - it lets VMCOREINFO's PAGESIZE override the dump's block size, but
 *    page descriptors and bitmaps are per block, and QEMU writes 64 KiB
 *    blocks for aarch64 guests whatever their page size: the block size
 *    read from the header is put back after opening;
 *  - it reads past the end of the file as zeroes (and with mmap, SIGBUS):
 *    mmap is turned off, and the header, bitmaps, page descriptors and the
 *    data they point to are checked against the file size at open, so a
 *    truncated file is a FORMAT error rather than pages of zeroes;
 *  - its "memory.pagemap" leaks: the bitmaps are read here instead;
 *  - a failed diskdump open leaves a page-size override pointing into
 *    freed memory, which kdump_free() then reads: a header whose geometry
 *    its probe would refuse is a FORMAT error before libkdumpfile sees it.
 *
 * Segments are the RAM runs of the dump's first bitmap; pages excluded from
 * the dump (filtered by makedumpfile) stay inside the segments and read as
 * a FAULT error naming the first missing address.  There is no zero-copy
 * view: the data is compressed.
 *
 * What this leaves to others: bounds checks against segments and splitting
 * reads at segment boundaries (source.c), the VMCOREINFO's meaning
 * (vmcoreinfo.c, target.c).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h> /* memfd_create() */
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h> /* vasprintf() */

#include <libkdumpfile/kdumpfile.h>

#include "array.h"
#include "source_priv.h"

/* makedumpfile's flattened format. */
#define FLAT_SIGNATURE	  "makedumpfile"
#define FLAT_HEADER_SIZE  4096
#define FLAT_TYPE	  1	       /* TYPE_FLAT_HEADER */
#define FLAT_VERSION	  1	       /* VERSION_FLAT_HEADER */
#define FLAT_END	  (-1)	       /* offset of the end marker */
#define FLAT_MAX_OFFSET	  (1ULL << 44) /* no dump file is 16 TiB */
#define FLAT_SLACK_BUDGET (64ULL << 20)

/* Diskdump header fields we read ourselves (little-endian, 64-bit layout). */
#define DISKDUMP_BLOCK_SIZE_OFF64 428
#define DISKDUMP_BLOCK_SIZE_OFF32 416
#define DISKDUMP_MIN_BLOCK	  4096
#define DISKDUMP_MAX_BLOCK	  (1U << 18)

#define KDUMP_MAX_SEGMENTS (1U << 20)
#define COPY_CHUNK	   (256U << 10) /* bytes per pread() when copying or scanning */
#define DESC_SIZE	   24 /* page_desc: s64 offset, u32 size, u32 flags, u64 page_flags */
#define KDUMP_CACHE_PAGES  64 /* libkdumpfile's page cache: 16 MiB at most */

/* Byte ranges of the reassembled file that a flattened dump's records wrote. */
struct extents {
	uint64_t (*r)[2]; /* [start, end), sorted and merged once replayed */
	size_t nr, cap;
	bool partial; /* the stream ended before its end marker */
};

#define FLAT_MAX_EXTENTS (1U << 20)

struct kdump_priv {
	kdump_ctx_t *ctx;
	int fd; /* owned: a dup of the caller's, or the reassembled memfd */
	char *path;
	struct extents ex; /* flattened dumps only (ex.r == NULL otherwise) */
	uint64_t file_size;
};

/* The one wrapper of libkdumpfile's error state: "context: detail". */
static struct hypmem_error *kdump_error(kdump_ctx_t *ctx, kdump_status status, const char *fmt, ...)
    __attribute__((__format__(__printf__, 3, 4)));

static struct hypmem_error *kdump_error(kdump_ctx_t *ctx, kdump_status status, const char *fmt, ...)
{
	const char *detail = ctx ? kdump_get_err(ctx) : NULL;
	struct hypmem_error *err;
	char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		what = NULL;
	va_end(ap);
	if (!what)
		return &hypmem_enomem;
	err = hypmem_error_create(HYPMEM_ERROR_KDUMP, "%s: %s", what,
				  detail ? detail : kdump_strerror(status));
	free(what);
	return err;
}

/* pread() all of @n bytes; false on error or end of file. */
static bool pread_full(int fd, void *buf, size_t n, uint64_t off)
{
	uint8_t *p = buf;

	while (n) {
		ssize_t r = pread(fd, p, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO; /* end of file */
			return false;
		}
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return true;
}

static bool pwrite_full(int fd, const void *buf, size_t n, uint64_t off)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t r = pwrite(fd, p, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return false;
		}
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return true;
}

static int64_t get_be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return (int64_t)be64toh(v);
}

/* --- flattened format --- */

static struct hypmem_error *extent_add(struct extents *ex, uint64_t off, uint64_t len)
{
	if (!len)
		return NULL;
	if (ex->nr && ex->r[ex->nr - 1][1] == off) {
		ex->r[ex->nr - 1][1] += len;
		return NULL;
	}
	if (ex->nr >= FLAT_MAX_EXTENTS)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "flattened dump has more than %u scattered records",
					   FLAT_MAX_EXTENTS);
	if (!hypmem_grow((void **)&ex->r, &ex->cap, ex->nr + 1, sizeof(*ex->r)))
		return &hypmem_enomem;
	ex->r[ex->nr][0] = off;
	ex->r[ex->nr][1] = off + len;
	ex->nr++;
	return NULL;
}

static int extent_cmp(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

static void extents_merge(struct extents *ex)
{
	size_t n = 0;

	if (!ex->nr)
		return;
	qsort(ex->r, ex->nr, sizeof(*ex->r), extent_cmp);
	for (size_t i = 1; i < ex->nr; i++) {
		if (ex->r[i][0] <= ex->r[n][1]) {
			if (ex->r[i][1] > ex->r[n][1])
				ex->r[n][1] = ex->r[i][1];
		} else {
			ex->r[++n][0] = ex->r[i][0];
			ex->r[n][1] = ex->r[i][1];
		}
	}
	ex->nr = n + 1;
}

/* Are the @len bytes at @off of the (reassembled) file really there? */
static bool in_file(const struct kdump_priv *p, uint64_t off, uint64_t len)
{
	size_t lo = 0, hi = p->ex.nr;

	if (off > p->file_size || p->file_size - off < len)
		return false;
	if (!p->ex.r)
		return true;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (off < p->ex.r[mid][0])
			hi = mid;
		else if (off >= p->ex.r[mid][1])
			lo = mid + 1;
		else
			return p->ex.r[mid][1] - off >= len;
	}
	return false;
}

/*
 * Replay the records of flattened @fd into @out, noting what they wrote in
 * @ex.  A stream cut short keeps the records it has (ex->partial).
 */
static struct hypmem_error *flat_replay(const char *path, int fd, uint64_t size, int out,
					struct extents *ex)
{
	uint64_t pos = FLAT_HEADER_SIZE, budget = 0;
	struct hypmem_error *err = NULL;
	uint8_t *buf = malloc(size < COPY_CHUNK ? (size_t)size : COPY_CHUNK);

	if (!buf)
		return &hypmem_enomem;
	for (;;) {
		uint8_t rec[16];
		int64_t off, len;

		if (size - pos < sizeof(rec) || !pread_full(fd, rec, sizeof(rec), pos)) {
			ex->partial = true; /* cut short: keep what was replayed */
			break;
		}
		pos += sizeof(rec);
		off = get_be64(rec);
		len = get_be64(rec + 8);
		if (off == FLAT_END)
			break;
		if (off < 0 || len < 0 || (uint64_t)off > FLAT_MAX_OFFSET ||
		    (uint64_t)len > FLAT_MAX_OFFSET - (uint64_t)off) {
			err = hypmem_error_create(HYPMEM_ERROR_FORMAT,
						  "%s: flattened record at offset 0x%" PRIx64
						  " has a bad target range (offset %" PRId64
						  ", size %" PRId64 ")",
						  path, pos - sizeof(rec), off, len);
			break;
		}
		if ((uint64_t)len > size - pos) {
			ex->partial = true; /* the last record cut short: keep its bytes */
			len = (int64_t)(size - pos);
		}
		err = extent_add(ex, (uint64_t)off, (uint64_t)len);
		if (err)
			break;
		/* Each record may touch two partial pages of the memfd. */
		budget += (uint64_t)len + 2 * 4096;
		if (budget > 2 * size + FLAT_SLACK_BUDGET) {
			err = hypmem_error_create(
			    HYPMEM_ERROR_FORMAT,
			    "%s: flattened dump is too fragmented to reassemble", path);
			break;
		}
		while (len) {
			size_t chunk = (uint64_t)len < COPY_CHUNK ? (size_t)len : COPY_CHUNK;

			if (!pread_full(fd, buf, chunk, pos)) {
				err = hypmem_error_os(errno, "%s", path);
				break;
			}
			if (!pwrite_full(out, buf, chunk, (uint64_t)off)) {
				err =
				    hypmem_error_os(errno, "%s: reassembling flattened dump", path);
				break;
			}
			pos += chunk;
			off += (int64_t)chunk;
			len -= (int64_t)chunk;
		}
		if (err || ex->partial)
			break;
	}
	free(buf);
	if (!err)
		extents_merge(ex);
	return err;
}

/* Reassemble flattened @fd into a new memfd, returned in *@out_ret. */
static struct hypmem_error *flat_reassemble(const char *path, int fd, int *out_ret,
					    struct extents *ex)
{
	uint8_t hdr[32];
	struct hypmem_error *err;
	struct stat st;
	int out;

	if (fstat(fd, &st))
		return hypmem_error_os(errno, "%s", path);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "%s: not a regular file", path);
	if ((uint64_t)st.st_size < FLAT_HEADER_SIZE || !pread_full(fd, hdr, sizeof(hdr), 0))
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "%s: truncated flattened dump header", path);
	if (memcmp(hdr, FLAT_SIGNATURE, sizeof(FLAT_SIGNATURE)) ||
	    get_be64(hdr + 16) != FLAT_TYPE || get_be64(hdr + 24) != FLAT_VERSION)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "%s: unknown flattened dump type %" PRId64
					   " or version %" PRId64,
					   path, get_be64(hdr + 16), get_be64(hdr + 24));
	out = memfd_create("hypmem-kdump", MFD_CLOEXEC);
	if (out < 0)
		return hypmem_error_os(errno, "memfd_create");
	err = flat_replay(path, fd, (uint64_t)st.st_size, out, ex);
	if (err) {
		close(out);
		return err;
	}
	*out_ret = out;
	return NULL;
}

/* --- diskdump header and bitmaps, read directly --- */

/* The diskdump header fields read here, not through libkdumpfile. */
struct diskdump_hdr {
	uint32_t block_size;
	uint32_t sub_hdr_size; /* in blocks */
	uint32_t bitmap_blocks;
	uint32_t max_mapnr;
};

/*
 * Read the diskdump header of @fd into @h if it passes libkdumpfile's own
 * sanity checks (block size range, bitmap covering max_mapnr).
 * Little-endian only; the 64-bit layout is tried first.
 */
static bool diskdump_header(int fd, struct diskdump_hdr *h)
{
	static const unsigned int offs[] = {DISKDUMP_BLOCK_SIZE_OFF64, DISKDUMP_BLOCK_SIZE_OFF32};
	uint8_t hdr[DISKDUMP_BLOCK_SIZE_OFF64 + 16];

	if (!pread_full(fd, hdr, sizeof(hdr), 0) ||
	    (memcmp(hdr, "KDUMP   ", 8) && memcmp(hdr, "DISKDUMP", 8)))
		return false;
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		uint32_t f[4];

		memcpy(f, hdr + offs[i], sizeof(f));
		*h = (struct diskdump_hdr){
		    .block_size = le32toh(f[0]),
		    .sub_hdr_size = le32toh(f[1]),
		    .bitmap_blocks = le32toh(f[2]),
		    .max_mapnr = le32toh(f[3]),
		};
		if (h->block_size < DISKDUMP_MIN_BLOCK || h->block_size > DISKDUMP_MAX_BLOCK ||
		    (h->block_size & (h->block_size - 1)))
			continue;
		if ((uint64_t)8 * h->bitmap_blocks * h->block_size < h->max_mapnr)
			continue;
		return true;
	}
	return false;
}

/*
 * libkdumpfile 0.5.1 frees its diskdump state on some failed opens and then
 * reads it again in kdump_free() (fixed upstream later: "diskdump: Delay
 * private data initialization").  The failures that reach that path are a
 * header version it does not know and sub-header offsets (VMCOREINFO,
 * notes, erase info) past the end of the file, so check those first and
 * never hand such a file to the library.  Little-endian 64-bit layout (the
 * only one an arm64 dump has): header_version is the s32 after the
 * signature; the sub-header starts at the second block, with
 * {offset, size} pairs at 32 (version 3 and later), 48 (4+) and 64 (5+).
 */
#define DISKDUMP_MAX_VERSION 6

/*
 * libkdumpfile 0.5.1 turns VMCOREINFO keys into attribute paths split at
 * dots, and crashes (SEGV at open) on an empty component: ".PAGESIZE",
 * "A..B", "A.", also on a line with no '=' at all (".KERNEL"; the second
 * crash fuzz_source found).  Such keys are a FORMAT error here.
 */
/*
 * PAGESIZE=N must be a power of two libkdumpfile accepts: a value it
 * refuses fails the open down the same path that frees its diskdump state
 * and reads it again in kdump_free() (a SEGV without ASan, whose quarantine
 * hides it: found by the coverage build replaying fuzz_source's corpus).
 */
static bool pagesize_ok(const uint8_t *val, const uint8_t *stop)
{
	const uint8_t *c = val;
	uint64_t v = 0;

	while (c < stop && c - val < 8 && *c >= '0' && *c <= '9')
		v = v * 10 + (uint64_t)(*c++ - '0');
	if (c == val)
		return false;
	/* Only line-end debris may follow the digits. */
	for (; c < stop; c++)
		if (*c != '\0' && *c != '\r' && *c != ' ')
			return false;
	return v >= 512 && v <= (1U << 20) && !(v & (v - 1));
}

static bool vmcoreinfo_keys_ok(const uint8_t *text, size_t len)
{
	const uint8_t *line = text, *end = text + len;

	while (line < end) {
		const uint8_t *nl = memchr(line, '\n', (size_t)(end - line));
		const uint8_t *stop = nl ? nl : end, *eq = memchr(line, '=', (size_t)(stop - line));

		if (eq && eq - line == 8 && !memcmp(line, "PAGESIZE", 8) && !pagesize_ok(eq + 1, stop))
			return false;
		/* A line without '=' is all key to the library: check it the same. */
		if (!eq)
			eq = stop;
		if (eq > line) {
			if (line[0] == '.' || eq[-1] == '.')
				return false;
			for (const uint8_t *c = line; c + 1 < eq; c++)
				if (c[0] == '.' && c[1] == '.')
					return false;
		}
		line = stop + 1;
	}
	return true;
}

/* The VMCOREINFO notes among the ELF notes @buf[0..len), checked as above. */
static bool notes_keys_ok(const uint8_t *buf, size_t len)
{
	size_t pos = 0;

	while (len - pos >= 12) {
		uint32_t namesz, descsz;
		uint64_t name_end, desc_end;

		memcpy(&namesz, buf + pos, 4);
		memcpy(&descsz, buf + pos + 4, 4);
		name_end = pos + 12 + ((le32toh(namesz) + 3ULL) & ~3ULL);
		desc_end = name_end + le32toh(descsz);
		if (desc_end > len)
			return true; /* libkdumpfile stops at a note past the end */
		if (le32toh(namesz) >= 10 && !memcmp(buf + pos + 12, "VMCOREINFO", 10) &&
		    !vmcoreinfo_keys_ok(buf + name_end, le32toh(descsz)))
			return false;
		pos = (size_t)((desc_end + 3) & ~3ULL);
		if (pos > len)
			break;
	}
	return true;
}

#define VMCOREINFO_MAX (1U << 20)

static struct hypmem_error *diskdump_subheader_ok(struct kdump_priv *p, uint64_t file_size)
{
	static const struct {
		unsigned int off;
		int32_t since;
		const char *what;
	} ranges[] = {
		{ 32, 3, "VMCOREINFO" },
		{ 48, 4, "ELF notes" },
		{ 64, 5, "erase info" },
	};
	uint8_t hdr[DISKDUMP_BLOCK_SIZE_OFF64 + 4], sub[80];
	uint32_t block;
	int32_t version;

	if (!pread_full(p->fd, hdr, sizeof(hdr), 0))
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "%s: truncated kdump header",
					   p->path);
	memcpy(&version, hdr + 8, 4);
	version = (int32_t)le32toh((uint32_t)version);
	if (version < 1 || version > DISKDUMP_MAX_VERSION)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "%s: unsupported kdump header version %" PRId32
					   " (only little-endian versions 1-%d are read)",
					   p->path, version, DISKDUMP_MAX_VERSION);
	memcpy(&block, hdr + DISKDUMP_BLOCK_SIZE_OFF64, 4);
	block = le32toh(block);
	if (version < 3 || block < DISKDUMP_MIN_BLOCK || block > DISKDUMP_MAX_BLOCK)
		return NULL;
	if (!pread_full(p->fd, sub, sizeof(sub), block))
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "%s: truncated kdump sub-header",
					   p->path);
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		uint64_t off, size;

		if (version < ranges[i].since)
			continue;
		memcpy(&off, sub + ranges[i].off, 8);
		memcpy(&size, sub + ranges[i].off + 8, 8);
		off = le64toh(off);
		size = le64toh(size);
		if (size && (off > file_size || file_size - off < size))
			return hypmem_error_create(HYPMEM_ERROR_FORMAT,
						   "%s: truncated or corrupt: %s at offset 0x%" PRIx64
						   " (+%" PRIu64 ") past the end of the file",
						   p->path, ranges[i].what, off, size);
		if (i < 2 && size) {
			uint8_t *buf;
			bool ok;

			if (size > VMCOREINFO_MAX)
				return hypmem_error_create(HYPMEM_ERROR_FORMAT,
							   "%s: %s of %" PRIu64 " bytes (at most %u)",
							   p->path, ranges[i].what, size,
							   VMCOREINFO_MAX);
			buf = malloc((size_t)size);
			if (!buf)
				return &hypmem_enomem;
			ok = pread_full(p->fd, buf, (size_t)size, off) &&
			     (i ? notes_keys_ok(buf, (size_t)size)
				: vmcoreinfo_keys_ok(buf, (size_t)size));
			free(buf);
			if (!ok)
				return hypmem_error_create(HYPMEM_ERROR_FORMAT,
							   "%s: %s has a line libkdumpfile "
							   "would fail on (a key with an empty "
							   "dotted component, or a PAGESIZE "
							   "that is not a power of two)",
							   p->path, ranges[i].what);
		}
	}
	return NULL;
}

/* File offset of the bitmaps, and of the page descriptors after them. */
static uint64_t diskdump_bitmap_off(const struct diskdump_hdr *h)
{
	return ((uint64_t)1 + h->sub_hdr_size) * h->block_size;
}

static uint64_t diskdump_table_off(const struct diskdump_hdr *h)
{
	return diskdump_bitmap_off(h) + (uint64_t)h->bitmap_blocks * h->block_size;
}

/* Called for each run [start, stop) of set bits. */
typedef struct hypmem_error *run_fn(void *arg, uint64_t start, uint64_t stop);

/* Walk the runs of set bits among the first @nbits of the bitmap at @off. */
static struct hypmem_error *file_bitmap_runs(struct kdump_priv *p, uint64_t off, uint64_t nbits,
					     run_fn *fn, void *arg)
{
	uint64_t nbytes = (nbits + 7) / 8, start = 0;
	struct hypmem_error *err = NULL;
	bool in = false;
	uint8_t *buf = malloc(nbytes && nbytes < COPY_CHUNK ? (size_t)nbytes : COPY_CHUNK);

	if (!buf)
		return &hypmem_enomem;
	for (uint64_t byte = 0; byte < nbytes && !err;) {
		size_t n = nbytes - byte < COPY_CHUNK ? (size_t)(nbytes - byte) : COPY_CHUNK;

		if (!pread_full(p->fd, buf, n, off + byte)) {
			err = hypmem_error_os(errno, "%s: page bitmap", p->path);
			break;
		}
		for (size_t i = 0; i < n && !err; i++) {
			/* Whole bytes that do not end or start a run. */
			if (buf[i] == (in ? 0xff : 0))
				continue;
			for (unsigned int k = 0; k < 8; k++) {
				uint64_t bit = (byte + i) * 8 + k;
				bool set = buf[i] >> k & 1; /* PFN n is bit n % 8 of byte n / 8 */

				if (bit >= nbits)
					break;
				if (set && !in) {
					in = true;
					start = bit;
				} else if (!set && in) {
					in = false;
					err = fn(arg, start, bit);
					if (err)
						break;
				}
			}
		}
		byte += n;
	}
	if (!err && in)
		err = fn(arg, start, nbits);
	free(buf);
	return err;
}

/*
 * The two bitmaps, as libkdumpfile lays them out: when max_pfn fits in half
 * the bitmap blocks, the first half says which frames are RAM and the second
 * which are in the file; otherwise one bitmap says both.
 */
static void diskdump_bitmaps(const struct diskdump_hdr *h, uint64_t max_pfn, uint64_t *ram_off,
			     uint64_t *dumped_off, uint64_t *nbits)
{
	uint64_t bytes = (uint64_t)h->bitmap_blocks * h->block_size;

	*ram_off = *dumped_off = diskdump_bitmap_off(h);
	if (max_pfn <= bytes * 8 / 2) {
		bytes = (uint64_t)(h->bitmap_blocks / 2) * h->block_size;
		*dumped_off += bytes;
	}
	*nbits = max_pfn < bytes * 8 ? max_pfn : bytes * 8;
}

/* Before anything reads the bitmaps: are they in the file? */
static struct hypmem_error *diskdump_check_bitmaps(struct kdump_priv *p,
						   const struct diskdump_hdr *h, uint64_t file_size)
{
	if (diskdump_table_off(h) > file_size)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "%s: truncated: the header and bitmaps end at offset "
					   "0x%" PRIx64 " but the file ends at 0x%" PRIx64,
					   p->path, diskdump_table_off(h), file_size);
	/*
	 * A flattened file's records may land anywhere below 16 TiB: the
	 * bitmaps must have been written, not be a hole libkdumpfile would
	 * read (and allocate) whole.
	 */
	if (p->ex.r && !in_file(p, diskdump_bitmap_off(h),
				diskdump_table_off(h) - diskdump_bitmap_off(h)))
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "%s: the flattened records do not hold the bitmaps "
					   "(offset 0x%" PRIx64 ", 0x%" PRIx64 " bytes)",
					   p->path, diskdump_bitmap_off(h),
					   diskdump_table_off(h) - diskdump_bitmap_off(h));
	return NULL;
}

static struct hypmem_error *count_run(void *arg, uint64_t start, uint64_t stop)
{
	*(uint64_t *)arg += stop - start;
	return NULL;
}

/* The scan of every page descriptor of a cut-short file. */
struct desc_scan {
	struct kdump_priv *p;
	struct hypmem_source *src;
	unsigned int shift;
	uint32_t block_size;	      /* no page's data is longer */
	uint64_t table, idx;	      /* next descriptor's index */
	uint8_t *buf;		      /* descriptors [buf_idx, buf_idx + buf_nr) */
	uint64_t buf_idx, buf_nr;
	uint64_t miss_start, miss_end; /* the open run of missing PFNs */
	struct hypmem_error *err;
};

static struct hypmem_error *scan_flush(struct desc_scan *d)
{
	struct hypmem_error *err = NULL;

	if (d->miss_end > d->miss_start)
		err = hypmem_source_add_missing(d->src, d->miss_start << d->shift,
						(d->miss_end - d->miss_start) << d->shift);
	d->miss_start = d->miss_end = 0;
	return err;
}

/*
 * A page is stored raw (exactly one block) or compressed (only when that is
 * shorter), so no descriptor's size exceeds the block size.  libkdumpfile
 * (bookworm's 0.5) reads a raw page's size bytes into a one-page buffer
 * without checking: a longer size overflows its heap (found by fuzz_source).
 */
static struct hypmem_error *desc_too_long(const struct kdump_priv *p, uint64_t idx,
					  uint32_t size, uint32_t block_size)
{
	return hypmem_error_create(HYPMEM_ERROR_FORMAT,
				   "%s: page descriptor %" PRIu64 " claims %" PRIu32
				   " bytes of data, more than the %" PRIu32 "-byte block size",
				   p->path, idx, size, block_size);
}

/* Is the page of the next descriptor whole in the file? */
static bool scan_one(struct desc_scan *d)
{
	uint64_t pos = d->table + d->idx * DESC_SIZE, off;
	uint32_t size;
	const uint8_t *e;

	if (!in_file(d->p, pos, DESC_SIZE))
		return false;
	if (d->idx - d->buf_idx >= d->buf_nr) {
		uint64_t left = (d->p->file_size - pos) / DESC_SIZE;

		d->buf_idx = d->idx;
		d->buf_nr = left < COPY_CHUNK / DESC_SIZE ? left : COPY_CHUNK / DESC_SIZE;
		if (!pread_full(d->p->fd, d->buf, d->buf_nr * DESC_SIZE, pos)) {
			d->buf_nr = 0;
			return false;
		}
	}
	e = d->buf + (d->idx - d->buf_idx) * DESC_SIZE;
	memcpy(&off, e, 8);
	memcpy(&size, e + 8, 4);
	off = le64toh(off);
	size = le32toh(size);
	if (size > d->block_size) {
		d->err = desc_too_long(d->p, d->idx, size, d->block_size);
		return false;
	}
	return off <= INT64_MAX && size && in_file(d->p, off, size);
}

static struct hypmem_error *scan_run(void *arg, uint64_t start, uint64_t stop)
{
	struct desc_scan *d = arg;
	struct hypmem_error *err;

	for (uint64_t pfn = start; pfn < stop; pfn++, d->idx++) {
		if (scan_one(d))
			continue;
		if (d->err)
			return d->err;
		if (d->miss_end != pfn) {
			err = scan_flush(d);
			if (err)
				return err;
			d->miss_start = pfn;
		}
		d->miss_end = pfn + 1;
	}
	return NULL;
}

/*
 * libkdumpfile reads past the end of the file as zeroes, so a truncated
 * diskdump would quietly read as zero-filled pages.  Check that the file
 * holds the page descriptor table (one per dumped page) and the data those
 * descriptors point to, and that no descriptor is longer than a block
 * (desc_too_long), reading the whole table once.  A file cut short (or a
 * flattened stream that ended early) has every descriptor checked again, and
 * the pages whose descriptor or data is missing are listed as missing
 * (dump_truncated).
 */
static struct hypmem_error *diskdump_check_data(struct hypmem_source *src,
						const struct diskdump_hdr *h, uint64_t max_pfn,
						unsigned int shift)
{
	struct kdump_priv *p = src->priv;
	uint64_t ram_off, dumped_off, nbits, nr_pages = 0, table = diskdump_table_off(h);
	uint64_t table_end, pos, data_end = 0, file_size = p->file_size;
	struct hypmem_error *err;
	size_t chunk = COPY_CHUNK / DESC_SIZE * DESC_SIZE;
	struct desc_scan d = {
	    .p = p, .src = src, .shift = shift, .block_size = h->block_size, .table = table};
	uint8_t *buf;

	diskdump_bitmaps(h, max_pfn, &ram_off, &dumped_off, &nbits);
	err = file_bitmap_runs(p, dumped_off, nbits, count_run, &nr_pages);
	if (err)
		return err;
	if (p->ex.partial || nr_pages > (file_size - table) / DESC_SIZE)
		goto scan_all;
	/* Every descriptor: each one's size must be checked (desc_too_long). */
	table_end = table + nr_pages * DESC_SIZE;
	pos = table;
	if (table_end - pos < chunk)
		chunk = (size_t)(table_end - pos);
	if (!chunk)
		return NULL;
	buf = malloc(chunk);
	if (!buf)
		return &hypmem_enomem;
	while (pos < table_end) {
		size_t n = table_end - pos < chunk ? (size_t)(table_end - pos) : chunk;

		if (!pread_full(p->fd, buf, n, pos)) {
			free(buf);
			return hypmem_error_os(errno, "%s: page descriptors", p->path);
		}
		for (size_t i = 0; i < n; i += DESC_SIZE) {
			uint64_t off;
			uint32_t size;

			memcpy(&off, buf + i, 8);
			memcpy(&size, buf + i + 8, 4);
			off = le64toh(off);
			size = le32toh(size);
			if (size > h->block_size) {
				err = desc_too_long(p, (pos + i - table) / DESC_SIZE, size,
						    h->block_size);
				free(buf);
				return err;
			}
			/* Nonsense offsets are libkdumpfile's to report, page by page. */
			if (off <= INT64_MAX && off + size > data_end)
				data_end = off + size;
		}
		pos += n;
	}
	free(buf);
	if (data_end <= file_size)
		return NULL;

scan_all:
	d.buf = malloc(COPY_CHUNK);
	if (!d.buf)
		return &hypmem_enomem;
	err = file_bitmap_runs(p, dumped_off, nbits, scan_run, &d);
	if (!err)
		err = scan_flush(&d);
	free(d.buf);
	if (!err && !src->nr_missing)
		err = hypmem_error_create(HYPMEM_ERROR_FORMAT,
					  "%s: page data runs to offset 0x%" PRIx64
					  " but the file ends at 0x%" PRIx64
					  ", yet every page descriptor points inside the file",
					  p->path, data_end, file_size);
	return err;
}

/* --- the source --- */

static struct hypmem_error *kdump_read_op(struct hypmem_source *src, size_t seg, void *buf,
					  uint64_t phys, size_t n)
{
	struct kdump_priv *p = src->priv;
	uint8_t *out = buf;

	(void)seg;
	/* Pages a cut-short file lost: a FAULT, not libkdumpfile's zeroes. */
	for (size_t i = 0; i < src->nr_missing; i++) {
		const struct hypmem_segment *m = &src->missing[i];

		if (m->phys_start < phys + n && m->phys_start + m->size > phys)
			return hypmem_error_fault(m->phys_start > phys ? m->phys_start : phys,
						  "physical address 0x%" PRIx64 " is not in %s: "
						  "the file is cut short",
						  m->phys_start > phys ? m->phys_start : phys, p->path);
	}
	while (n) {
		size_t len = n;
		kdump_status st = kdump_read(p->ctx, KDUMP_MACHPHYSADDR, phys, out, &len);

		if (len > n)
			len = n;
		out += len;
		phys += len;
		n -= len;
		if (st == KDUMP_ERR_NODATA)
			return hypmem_error_fault(phys,
						  "physical address 0x%" PRIx64 " is not in %s: %s",
						  phys, p->path, kdump_get_err(p->ctx));
		if (st != KDUMP_OK)
			return kdump_error(p->ctx, st, "%s: reading physical address 0x%" PRIx64,
					   p->path, phys);
		if (!len && n)
			return hypmem_error_create(HYPMEM_ERROR_KDUMP,
						   "%s: no progress reading physical address "
						   "0x%" PRIx64,
						   p->path, phys);
	}
	return NULL;
}

static void kdump_destroy_op(struct hypmem_source *src)
{
	struct kdump_priv *p = src->priv;

	if (!p)
		return;
	if (p->ctx)
		kdump_free(p->ctx);
	if (p->fd >= 0)
		close(p->fd);
	free(p->path);
	free(p->ex.r);
	free(p);
}

static const struct hypmem_source_ops kdump_ops = {
    .read = kdump_read_op,
    .view = NULL,
    .destroy = kdump_destroy_op,
};

struct segment_builder {
	struct hypmem_source *src;
	size_t cap;
	unsigned int shift;
};

static struct hypmem_error *add_segment(void *arg, uint64_t start, uint64_t stop)
{
	struct segment_builder *b = arg;
	struct hypmem_source *src = b->src;

	if (src->nr_segments >= KDUMP_MAX_SEGMENTS)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "memory map has more than %u ranges",
					   KDUMP_MAX_SEGMENTS);
	if (!hypmem_grow((void **)&src->segments, &b->cap, src->nr_segments + 1,
			 sizeof(*src->segments)))
		return &hypmem_enomem;
	src->segments[src->nr_segments++] = (struct hypmem_segment){
	    .phys_start = start << b->shift,
	    .size = (stop - start) << b->shift,
	};
	return NULL;
}

/* Segments from libkdumpfile's bitmap of dumped pages (formats without our header). */
static struct hypmem_error *kdump_bitmap_runs(struct kdump_priv *p, uint64_t limit, run_fn *fn,
					      void *arg)
{
	struct hypmem_error *err = NULL;
	kdump_addr_t idx = 0;
	kdump_status st;
	kdump_attr_t attr;
	kdump_bmp_t *bmp;

	/* Not memory.pagemap: libkdumpfile 0.5.1 leaks its diskdump run list. */
	st = kdump_get_attr(p->ctx, KDUMP_ATTR_FILE_PAGEMAP, &attr);
	if (st != KDUMP_OK || attr.type != KDUMP_BITMAP || !attr.val.bitmap) {
		kdump_clear_err(p->ctx);
		return hypmem_error_create(HYPMEM_ERROR_LOOKUP, "%s: no page map", p->path);
	}
	bmp = attr.val.bitmap;
	kdump_bmp_incref(bmp);
	while (idx < limit) {
		kdump_addr_t start = idx, stop;

		st = kdump_bmp_find_set(bmp, &start);
		if (st == KDUMP_ERR_NODATA || (st == KDUMP_OK && start >= limit))
			break;
		stop = start;
		if (st == KDUMP_OK)
			st = kdump_bmp_find_clear(bmp, &stop);
		if (st != KDUMP_OK) {
			err = hypmem_error_create(HYPMEM_ERROR_KDUMP, "%s: page map: %s", p->path,
						  kdump_bmp_get_err(bmp));
			break;
		}
		if (start < idx || stop <= start) {
			err = hypmem_error_create(HYPMEM_ERROR_FORMAT,
						  "%s: page map: inconsistent runs at 0x%" PRIx64,
						  p->path, (uint64_t)start);
			break;
		}
		err = fn(arg, start, stop < limit ? stop : limit);
		if (err)
			break;
		idx = stop;
	}
	kdump_bmp_decref(bmp);
	return err;
}

/* VMCOREINFO as libkdumpfile found it (a blob: it may lack a NUL). */
static struct hypmem_error *kdump_vmcoreinfo(struct hypmem_source *src)
{
	struct kdump_priv *p = src->priv;
	kdump_attr_t attr;
	void *data;
	size_t size;

	if (kdump_get_attr(p->ctx, "linux.vmcoreinfo.raw", &attr) != KDUMP_OK ||
	    attr.type != KDUMP_BLOB || !attr.val.blob) {
		kdump_clear_err(p->ctx);
		return NULL;
	}
	data = kdump_blob_pin(attr.val.blob);
	size = kdump_blob_size(attr.val.blob);
	if (data && size)
		src->vmcoreinfo = strndup(data, size);
	kdump_blob_unpin(attr.val.blob);
	if (data && size && !src->vmcoreinfo)
		return &hypmem_enomem;
	return NULL;
}

/*
 * Open with libkdumpfile, fix its page size, build the memory map and check
 * the file is whole.  Segments are the RAM runs of the diskdump bitmap;
 * without a header we understand, libkdumpfile's map of dumped pages, and
 * failing that [0, max_pfn).
 */
static struct hypmem_error *kdump_setup(struct hypmem_source *src)
{
	struct kdump_priv *p = src->priv;
	struct segment_builder b = {.src = src};
	struct diskdump_hdr h = {0};
	bool has_hdr = diskdump_header(p->fd, &h);
	uint64_t limit, ram_off, dumped_off, nbits;
	kdump_num_t page_size, max_pfn;
	struct hypmem_error *err;
	kdump_status st;
	struct stat sb;

	if (fstat(p->fd, &sb))
		return hypmem_error_os(errno, "%s", p->path);
	p->file_size = (uint64_t)sb.st_size;
	if (has_hdr) {
		err = diskdump_check_bitmaps(p, &h, (uint64_t)sb.st_size);
		if (err)
			return err;
	}
	err = diskdump_subheader_ok(p, (uint64_t)sb.st_size);
	if (err)
		return err;
	/*
	 * Only headers read here (little-endian, either layout) go on: with
	 * another byte order or layout libkdumpfile picks its own geometry,
	 * which the checks above never saw (a 1 MiB block and 512 bitmap
	 * blocks in an 18 KiB file: a 512 MiB allocation, found by fuzz_source).
	 */
	if (!has_hdr)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "%s: not a diskdump (bad block size or bitmap size in "
					   "the header)",
					   p->path);
	p->ctx = kdump_new();
	if (!p->ctx)
		return &hypmem_enomem;
	/* read(2), not mmap(2): a truncated or shrinking file must not SIGBUS. */
	st = kdump_set_number_attr(p->ctx, KDUMP_ATTR_FILE_MMAP_POLICY, KDUMP_MMAP_NEVER);
	if (st != KDUMP_OK)
		return kdump_error(p->ctx, st, "%s: setting the mmap policy", p->path);
	/*
	 * libkdumpfile caches 1024 pages by default, allocated at open: with
	 * the 256 KiB blocks a header may claim, 512 MiB for an 18 KiB file
	 * (found by fuzz_source).  Decoders read a few pages at a time.
	 */
	st = kdump_set_number_attr(p->ctx, "cache.size", KDUMP_CACHE_PAGES);
	if (st != KDUMP_OK)
		return kdump_error(p->ctx, st, "%s: setting the cache size", p->path);
	st = kdump_open_fd(p->ctx, p->fd);
	if (st != KDUMP_OK)
		return kdump_error(p->ctx, st, "%s: cannot open", p->path);
	if (has_hdr &&
	    (kdump_get_number_attr(p->ctx, KDUMP_ATTR_PAGE_SIZE, &page_size) != KDUMP_OK ||
	     page_size != h.block_size)) {
		st = kdump_set_number_attr(p->ctx, KDUMP_ATTR_PAGE_SIZE, h.block_size);
		if (st != KDUMP_OK)
			return kdump_error(p->ctx, st, "%s: setting the page size to %" PRIu32,
					   p->path, h.block_size);
	}
	if (kdump_get_number_attr(p->ctx, KDUMP_ATTR_PAGE_SIZE, &page_size) != KDUMP_OK)
		return kdump_error(p->ctx, KDUMP_ERR_NODATA, "%s: page size", p->path);
	if (page_size < 512 || page_size > (1U << 30) || (page_size & (page_size - 1)))
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "%s: bad page size %" PRIu64,
					   p->path, (uint64_t)page_size);
	b.shift = (unsigned int)__builtin_ctzll(page_size);
	limit = UINT64_MAX >> b.shift;
	if (kdump_get_number_attr(p->ctx, "max_pfn", &max_pfn) == KDUMP_OK && max_pfn < limit)
		limit = max_pfn;
	kdump_clear_err(p->ctx);

	if (has_hdr) {
		diskdump_bitmaps(&h, limit, &ram_off, &dumped_off, &nbits);
		err = file_bitmap_runs(p, ram_off, nbits, add_segment, &b);
		if (!err)
			err = diskdump_check_data(src, &h, limit, b.shift);
	} else {
		err = kdump_bitmap_runs(p, limit, add_segment, &b);
		if (hypmem_error_catch(&err, HYPMEM_ERROR_LOOKUP) &&
		    limit != UINT64_MAX >> b.shift && limit)
			err = add_segment(&b, 0, limit);
	}
	if (err)
		return err;
	if (!src->nr_segments)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "%s: the dump holds no memory",
					   p->path);
	return kdump_vmcoreinfo(src);
}

struct hypmem_error *hypmem_source_open_kdump(const char *path, int fd, struct hypmem_source **ret)
{
	struct hypmem_source *src;
	struct hypmem_error *err;
	struct kdump_priv *p;
	struct extents ex = {0};
	uint8_t magic[16];
	int own = -1;

	if (!pread_full(fd, magic, sizeof(magic), 0))
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "%s: too short for a dump", path);
	if (!memcmp(magic, FLAT_SIGNATURE, sizeof(FLAT_SIGNATURE))) {
		err = flat_reassemble(path, fd, &own, &ex);
		if (err) {
			free(ex.r);
			return err;
		}
		if (pread_full(own, magic, 4, 0) && !memcmp(magic, "\177ELF", 4)) {
			free(ex.r);
			err = hypmem_source_open_elf(path, own, ret);
			close(own);
			return err;
		}
		if (!ex.r && !(ex.r = calloc(1, sizeof(*ex.r)))) {
			close(own);
			return &hypmem_enomem;
		}
	} else {
		own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (own < 0)
			return hypmem_error_os(errno, "dup(%s)", path);
	}

	err = hypmem_source_alloc(HYPMEM_SOURCE_KDUMP, &kdump_ops, 0, &src);
	if (err) {
		free(ex.r);
		close(own);
		return err;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		free(ex.r);
		close(own);
		hypmem_source_destroy(src);
		return &hypmem_enomem;
	}
	p->ex = ex; /* freed by kdump_destroy_op() from here on */
	p->fd = own; /* closed by kdump_destroy_op() from here on */
	src->priv = p;
	p->path = strdup(path);
	err = p->path ? kdump_setup(src) : &hypmem_enomem;
	if (!err)
		err = hypmem_source_finish(src, path);
	if (err) {
		hypmem_source_destroy(src);
		return err;
	}
	*ret = src;
	return NULL;
}
