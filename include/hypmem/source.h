/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Sources: how the bytes of a target's physical memory are read.
 *
 * A source answers one question: "give me N bytes at physical address P".
 * ELF cores (QEMU dump-guest-memory, kdump ELF vmcores), kdump-compressed
 * files (through libkdumpfile), raw memory images with a base address, and a
 * live shared-RAM file all sit behind this interface.  The format is detected
 * from the file's contents, never from its name.
 *
 * A source also hands out what the file itself carries about the target: its
 * physical memory map (segments) and the VMCOREINFO text when present.
 *
 * What a source leaves to others: it knows nothing of virtual addresses
 * (target.h), symbols or types (dwarf.h).  It does not cache: file-backed
 * formats are mmap()ed and the page cache is the cache.
 *
 * Every read is bounds-checked against the segments; a range that is not
 * wholly inside the file's data is a HYPMEM_ERROR_FAULT error carrying the
 * first missing address.  A segment whose memsz exceeds its filesz reads as
 * zeroes past filesz (the ELF rule).
 */
#ifndef HYPMEM_SOURCE_H
#define HYPMEM_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hypmem/error.h"

enum hypmem_source_kind {
	HYPMEM_SOURCE_ELF,   /* ELF core: QEMU dump-guest-memory, kdump ELF vmcore */
	HYPMEM_SOURCE_KDUMP, /* kdump-compressed ("KDUMP   " signature), libkdumpfile */
	HYPMEM_SOURCE_RAW,   /* raw image of physical memory at a base address */
	HYPMEM_SOURCE_MEMORY /* caller-provided buffers (tests, fuzzing) */
};

/* One contiguous range of physical memory the source holds. */
struct hypmem_segment {
	uint64_t phys_start; /* first physical address */
	uint64_t size;       /* bytes of address space covered */
	uint64_t virt_start; /* p_vaddr for ELF cores, 0 when the file has none */
};

struct hypmem_source;

/**
 * hypmem_source_open() - Open a dump file, detecting its format.
 * @path: the file.
 * @ret: on success, the new source; the caller destroys it.
 *
 * Recognises ELF64 cores (ET_CORE) and kdump-compressed files.
 *
 * Return: NULL on success; HYPMEM_ERROR_OS if the file cannot be opened,
 * HYPMEM_ERROR_FORMAT if it is neither format or is malformed (truncated
 * program headers, segments past the end of file, ...).
 */
struct hypmem_error *hypmem_source_open(const char *path, struct hypmem_source **ret);

/**
 * hypmem_source_missing() - What the file claims but does not hold.
 * @src: the source.
 * @nr_ret: number of ranges.
 *
 * A dump cut short (an ELF core whose PT_LOADs run past the end of the file,
 * a kdump whose page data does) is opened with the bytes it has; the ranges
 * its headers describe but its bytes do not reach are listed here (sorted,
 * not in the segments, so reading them is a FAULT).  Targets report each as
 * a "dump_truncated" finding.
 *
 * Return: the ranges, owned by @src.
 */
const struct hypmem_segment *hypmem_source_missing(const struct hypmem_source *src,
						   size_t *nr_ret);

/**
 * hypmem_source_open_raw() - Open a raw physical memory image.
 * @path: the file; its byte 0 is physical address @base.
 * @base: physical address of the first byte.
 * @ret: on success, the new source.
 *
 * Return: NULL on success, HYPMEM_ERROR_OS or HYPMEM_ERROR_OVERFLOW.
 */
struct hypmem_error *hypmem_source_open_raw(const char *path, uint64_t base,
					    struct hypmem_source **ret);

/**
 * hypmem_source_parse_raw_spec() - Parse "FILE@PHYS" (crash's convention).
 * @spec: the string; PHYS is decimal or 0x-hex.
 * @path_ret: on success, a malloc()ed copy of FILE.
 * @base_ret: on success, PHYS.
 *
 * Return: NULL on success, HYPMEM_ERROR_INVALID_ARGUMENT if there is no '@' or
 * PHYS does not parse.
 */
struct hypmem_error *hypmem_source_parse_raw_spec(const char *spec, char **path_ret,
						  uint64_t *base_ret);

/**
 * hypmem_source_create_memory() - A source over caller-owned buffers.
 * @segments: @nr segments; segment i's bytes are @data[i] (size bytes each).
 * @data: borrowed; must outlive the source.
 * @nr: number of segments.
 * @vmcoreinfo: optional VMCOREINFO text (copied), may be NULL.
 * @ret: the new source.
 *
 * Used by unit tests and fuzz harnesses to build targets in code.
 *
 * Return: NULL on success, HYPMEM_ERROR_NO_MEMORY.
 */
struct hypmem_error *hypmem_source_create_memory(const struct hypmem_segment *segments,
						 const void *const *data, size_t nr,
						 const char *vmcoreinfo, struct hypmem_source **ret);

/** hypmem_source_destroy() - Close a source. @src: may be NULL. */
void hypmem_source_destroy(struct hypmem_source *src);

/**
 * hypmem_source_read() - Read physical memory.
 * @src: the source.
 * @buf: destination, @n bytes.
 * @phys: physical address.
 * @n: byte count; the range may span segments as long as every byte is held.
 *
 * Return: NULL on success; HYPMEM_ERROR_FAULT (with the first missing address)
 * if any byte is not in the source; HYPMEM_ERROR_KDUMP on a libkdumpfile error.
 */
struct hypmem_error *hypmem_source_read(struct hypmem_source *src, void *buf, uint64_t phys,
					size_t n);

/**
 * hypmem_source_view() - Zero-copy access to physical memory.
 * @src: the source.
 * @phys: physical address.
 * @n: byte count.
 * @ret: on success, a pointer valid until the source is destroyed.
 *
 * Return: NULL on success; HYPMEM_ERROR_FAULT if the range is not held;
 * HYPMEM_ERROR_LOOKUP if this source cannot hand out views for that range
 * (compressed data, a range straddling segments, a zero-filled tail): the
 * caller then falls back to hypmem_source_read().
 */
struct hypmem_error *hypmem_source_view(struct hypmem_source *src, uint64_t phys, size_t n,
					const void **ret);

/** hypmem_source_contains() - Whether every byte of [@phys, @phys+@n) is held. */
bool hypmem_source_contains(const struct hypmem_source *src, uint64_t phys, uint64_t n);

/** hypmem_source_kind() - The detected format. */
enum hypmem_source_kind hypmem_source_kind(const struct hypmem_source *src);

/** hypmem_source_kind_name() - "elf", "kdump", "raw" or "memory". */
const char *hypmem_source_kind_name(enum hypmem_source_kind kind);

/**
 * hypmem_source_segments() - The physical memory map, sorted by address.
 * @src: the source.
 * @nr_ret: number of segments.
 *
 * Return: borrowed array, valid for the source's lifetime.
 */
const struct hypmem_segment *hypmem_source_segments(const struct hypmem_source *src,
						    size_t *nr_ret);

/**
 * hypmem_source_vmcoreinfo() - The VMCOREINFO note text, if the file has one.
 * @src: the source.
 *
 * Return: borrowed NUL-terminated text ("KEY=VALUE\n" lines), or NULL.
 */
const char *hypmem_source_vmcoreinfo(const struct hypmem_source *src);

#endif /* HYPMEM_SOURCE_H */
