// SPDX-License-Identifier: GPL-2.0-only
/*
 * ELF cores: QEMU's dump-guest-memory (format "elf") and kdump ELF vmcores.
 *
 * libelf reads the headers; the file is also mmap()ed so that reads are a
 * memcpy and views point straight into the page cache.  PT_LOAD p_paddr is
 * the physical address; bytes past p_filesz (up to p_memsz) read as zero.
 * Every program header is checked against the file size: a dump cut short
 * keeps the bytes it has, and what its PT_LOADs claim past the end of the
 * file is listed as missing (hypmem_source_missing()), not read as zeroes.  PT_NOTE contents are walked with a bounded cursor to find
 * the VMCOREINFO note.
 */
#include <errno.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "source_priv.h"

struct elf_priv {
	const uint8_t *map;
	uint64_t size;
	uint64_t *offset; /* per segment: file offset of its first byte */
	uint64_t *filesz; /* per segment: bytes present in the file */
};

static struct hypmem_error *elf_read(struct hypmem_source *src, size_t seg, void *buf,
				     uint64_t phys, size_t n)
{
	struct elf_priv *p = src->priv;
	uint64_t off = phys - src->segments[seg].phys_start;
	uint8_t *out = buf;

	if (off < p->filesz[seg]) {
		size_t chunk = p->filesz[seg] - off < n ? (size_t)(p->filesz[seg] - off) : n;

		memcpy(out, p->map + p->offset[seg] + off, chunk);
		out += chunk;
		n -= chunk;
	}
	memset(out, 0, n);
	return NULL;
}

static struct hypmem_error *elf_view(struct hypmem_source *src, size_t seg, uint64_t phys,
				     size_t n, const void **ret)
{
	struct elf_priv *p = src->priv;
	uint64_t off = phys - src->segments[seg].phys_start;

	if (off > p->filesz[seg] || p->filesz[seg] - off < n)
		return hypmem_error_create(HYPMEM_ERROR_LOOKUP, "zero-filled range has no view");
	*ret = p->map + p->offset[seg] + off;
	return NULL;
}

static void elf_destroy(struct hypmem_source *src)
{
	struct elf_priv *p = src->priv;

	if (!p)
		return;
	if (p->map)
		munmap((void *)p->map, p->size);
	free(p->offset);
	free(p->filesz);
	free(p);
}

static const struct hypmem_source_ops elf_ops = {
	.read = elf_read,
	.view = elf_view,
	.destroy = elf_destroy,
};

/* Walk the notes in [off, off+len) of the file, keep VMCOREINFO's text. */
static struct hypmem_error *elf_notes(struct hypmem_source *src, const char *path,
				      uint64_t off, uint64_t len)
{
	struct elf_priv *p = src->priv;
	const uint8_t *pos = p->map + off, *end = pos + len;

	while (end - pos >= 12) {
		uint32_t namesz, descsz;
		const uint8_t *name, *desc;

		memcpy(&namesz, pos, 4);
		memcpy(&descsz, pos + 4, 4);
		pos += 12;
		if ((uint64_t)(end - pos) < ((namesz + 3ULL) & ~3ULL))
			return hypmem_error_create(HYPMEM_ERROR_FORMAT,
						   "%s: a note's name runs past its segment", path);
		name = pos;
		pos += (namesz + 3ULL) & ~3ULL;
		if ((uint64_t)(end - pos) < descsz)
			return hypmem_error_create(HYPMEM_ERROR_FORMAT,
						   "%s: a note's data runs past its segment", path);
		desc = pos;
		pos += (uint64_t)(end - pos) < ((descsz + 3ULL) & ~3ULL) ? descsz :
									      ((descsz + 3ULL) & ~3ULL);
		if (namesz == 11 && !memcmp(name, "VMCOREINFO", 11) && !src->vmcoreinfo) {
			src->vmcoreinfo = strndup((const char *)desc, descsz);
			if (!src->vmcoreinfo)
				return &hypmem_enomem;
		}
	}
	return NULL;
}

static struct hypmem_error *elf_parse(struct hypmem_source *src, const char *path, Elf *elf)
{
	struct elf_priv *p = src->priv;
	size_t phnum, nr = 0;
	GElf_Ehdr ehdr;
	struct hypmem_error *err;

	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &ehdr))
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "%s: not a valid ELF file", path);
	if (ehdr.e_ident[EI_CLASS] != ELFCLASS64 || ehdr.e_ident[EI_DATA] != ELFDATA2LSB)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "%s: only little-endian ELF64 cores are supported", path);
	if (ehdr.e_type != ET_CORE)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "%s: ELF file is not a core dump (e_type %u)", path,
					   ehdr.e_type);
	if (ehdr.e_phnum != PN_XNUM &&
	    (ehdr.e_phoff > p->size || (p->size - ehdr.e_phoff) / sizeof(Elf64_Phdr) < ehdr.e_phnum))
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "%s: truncated: %u program headers at offset 0x%" PRIx64
					   " run past the end of the file (0x%" PRIx64 ")",
					   path, ehdr.e_phnum, (uint64_t)ehdr.e_phoff, p->size);
	if (elf_getphdrnum(elf, &phnum))
		return hypmem_error_libelf(path);
	src->segments = realloc(src->segments, (phnum ? phnum : 1) * sizeof(*src->segments));
	p->offset = calloc(phnum ? phnum : 1, sizeof(*p->offset));
	p->filesz = calloc(phnum ? phnum : 1, sizeof(*p->filesz));
	if (!src->segments || !p->offset || !p->filesz)
		return &hypmem_enomem;

	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		uint64_t present;

		if (!gelf_getphdr(elf, (int)i, &ph))
			return hypmem_error_libelf(path);
		/* Cut short: keep what the file holds, note the rest as missing. */
		present = ph.p_filesz;
		if (ph.p_offset > p->size || p->size - ph.p_offset < ph.p_filesz)
			present = ph.p_offset >= p->size ? 0 : p->size - ph.p_offset;
		if (ph.p_type == PT_NOTE && present) {
			err = elf_notes(src, path, ph.p_offset, present);
			if (err && present < ph.p_filesz) {
				hypmem_error_destroy(err); /* a note cut in the middle */
				err = NULL;
			}
			if (err)
				return err;
		}
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (ph.p_filesz > ph.p_memsz)
			return hypmem_error_create(HYPMEM_ERROR_FORMAT,
						   "%s: segment %zu has filesz > memsz", path, i);
		if (present < ph.p_filesz) {
			if (ph.p_paddr + ph.p_memsz - 1 < ph.p_paddr)
				return hypmem_error_create(HYPMEM_ERROR_FORMAT,
							   "%s: segment %zu wraps around", path, i);
			err = hypmem_source_add_missing(src, ph.p_paddr + present,
							ph.p_memsz - present);
			if (err)
				return err;
			if (!present)
				continue;
			ph.p_memsz = ph.p_filesz = present;
		}
		src->segments[nr] = (struct hypmem_segment){
			.phys_start = ph.p_paddr,
			.size = ph.p_memsz,
			.virt_start = ph.p_vaddr != ph.p_paddr ? ph.p_vaddr : 0,
		};
		p->offset[nr] = ph.p_offset;
		p->filesz[nr] = ph.p_filesz;
		nr++;
	}
	src->nr_segments = nr;
	/* Sort segments with their file data (insertion sort: few segments). */
	for (size_t i = 1; i < nr; i++) {
		for (size_t j = i; j && src->segments[j].phys_start < src->segments[j - 1].phys_start;
		     j--) {
			struct hypmem_segment s = src->segments[j];
			uint64_t o = p->offset[j], f = p->filesz[j];

			src->segments[j] = src->segments[j - 1];
			p->offset[j] = p->offset[j - 1];
			p->filesz[j] = p->filesz[j - 1];
			src->segments[j - 1] = s;
			p->offset[j - 1] = o;
			p->filesz[j - 1] = f;
		}
	}
	if (!nr)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "%s: core has no PT_LOAD segment",
					   path);
	return hypmem_source_finish(src, path);
}

struct hypmem_error *hypmem_source_open_elf(const char *path, int fd, struct hypmem_source **ret)
{
	struct hypmem_source *src = NULL;
	struct hypmem_error *err;
	struct elf_priv *p;
	Elf *elf;

	elf_version(EV_CURRENT);
	err = hypmem_source_alloc(HYPMEM_SOURCE_ELF, &elf_ops, 0, &src);
	if (err)
		return err;
	p = calloc(1, sizeof(*p));
	src->priv = p;
	if (!p) {
		hypmem_source_destroy(src);
		return &hypmem_enomem;
	}
	err = hypmem_map_file(path, fd, &p->map, &p->size);
	if (err) {
		hypmem_source_destroy(src);
		return err;
	}
	elf = elf_memory((char *)p->map, p->size);
	if (!elf) {
		err = hypmem_error_libelf(path);
	} else {
		err = elf_parse(src, path, elf);
		elf_end(elf);
	}
	if (err) {
		hypmem_source_destroy(src);
		return err;
	}
	*ret = src;
	return NULL;
}
