/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A target: an image with symbols and DWARF (vmlinux or the hypmem EL2
 * image) plus a source of its physical memory (a dump, a raw image, live
 * RAM).  The target owns the translation from the three address spaces a
 * decoder meets to physical addresses:
 *
 *  - kernel image VAs (symbols): + KASLR offset (VMCOREINFO KERNELOFFSET or
 *    the caller's value), then - kimage_voffset (VMCOREINFO, or the dump's
 *    program headers when they carry virtual addresses);
 *  - hyp linear VAs (pointers stored by EL2): + hyp_physvirt_offset, read
 *    from the target;
 *  - hyp private VAs (vmemmap, private mappings): a walk of the hyp stage-1
 *    table pkvm_pgtable.
 *
 * Every translated range is checked against the source before it is read;
 * a miss is a HYPMEM_ERROR_FAULT error carrying the address.
 *
 * All state lives in struct hypmem_target: no globals.  Not thread-safe:
 * use one target per thread.
 */
#ifndef HYPMEM_TARGET_H
#define HYPMEM_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hypmem/dwarf.h"
#include "hypmem/error.h"
#include "hypmem/findings.h"
#include "hypmem/source.h"

struct hypmem_target;
struct hypmem_vmcoreinfo;

struct hypmem_target_config {
	const char *vmlinux;	/* image with symbols + DWARF; required */
	/*
	 * That image already open, or NULL: the target borrows it instead of
	 * opening @vmlinux again (one image, many dumps; fuzzing).  It must
	 * outlive the target.
	 */
	struct hypmem_dwarf *dwarf;
	const char *core;	/* ELF or kdump-compressed dump; or NULL */
	const char *raw_spec;	/* "FILE@PHYS" raw image; or NULL */
	bool kaslr_offset_set;	/* override KERNELOFFSET */
	uint64_t kaslr_offset;
	bool kimage_voffset_set; /* override VMCOREINFO kimage_voffset */
	uint64_t kimage_voffset;
	bool force;		/* open even when the image is not the dump's kernel */
};

/* A physical memory range known to EL2 (hyp_memory[]). */
struct hypmem_ram_range {
	uint64_t start, end;
};

/**
 * hypmem_target_open() - Open the image and the source, find the hyp's
 * translation parameters.
 * @cfg: what to open.
 * @ret: the new target.
 *
 * The image must be the dump's kernel (identity.h: build ID, release,
 * linux_banner, samples of .text); otherwise the error names both, unless
 * cfg->force.  A raw image without offsets given has its VMCOREINFO looked
 * for in RAM.
 *
 * Return: NULL on success; an error naming the file, symbol or struct
 * member that is missing or unreadable otherwise.
 */
struct hypmem_error *hypmem_target_open(const struct hypmem_target_config *cfg,
					struct hypmem_target **ret);

/**
 * hypmem_target_open_source() - Like hypmem_target_open(), with a source the
 * caller already built (tests, fuzzing, live memory).
 * @cfg: cfg->vmlinux and the overrides are used; core/raw_spec are ignored.
 *       No identity check: the caller vouches for the source.
 * @src: the source; the target takes ownership, also on failure.
 * @ret: the new target.
 *
 * Return: as hypmem_target_open().
 */
struct hypmem_error *hypmem_target_open_source(const struct hypmem_target_config *cfg,
					       struct hypmem_source *src,
					       struct hypmem_target **ret);

/** hypmem_target_destroy() - Close everything. @t: may be NULL. */
void hypmem_target_destroy(struct hypmem_target *t);

struct hypmem_dwarf *hypmem_target_dwarf(struct hypmem_target *t);
struct hypmem_hyp_page_layout;
/* Where the target keeps struct hyp_page's layout once vmemmap.c has read it. */
struct hypmem_hyp_page_layout **hypmem_target_hp_layout_memo(struct hypmem_target *t);
struct hypmem_source *hypmem_target_source(struct hypmem_target *t);
struct hypmem_findings *hypmem_target_findings(struct hypmem_target *t);
/* The dump's VMCOREINFO, or NULL. */
const struct hypmem_vmcoreinfo *hypmem_target_vmcoreinfo(const struct hypmem_target *t);

/* Facts about the target. */
struct hypmem_target_info {
	const char *release;	/* VMCOREINFO OSRELEASE or "unknown" */
	uint64_t page_size;	/* the granule: 4K, 16K or 64K */
	unsigned int page_shift; /* log2(page_size) */
	uint64_t kaslr_offset;
	uint64_t kimage_voffset;
	int64_t hyp_physvirt_offset;
	uint64_t vmemmap_base;	/* __hyp_vmemmap */
	uint64_t io_map_base;	/* __io_map_base, 0 if unknown */
	uint64_t hyp_pgd;	/* pkvm_pgtable.pgd (hyp VA) */
	uint32_t hyp_ia_bits;
	int hyp_start_level;
	const struct hypmem_ram_range *ram; /* hyp_memory[] */
	size_t nr_ram;
	bool kaslr_from_user;	/* --kaslr-offset was given */
	const char *source;	/* the source kind: "elf", "kdump", "raw" or "memory" */
};
const struct hypmem_target_info *hypmem_target_info(const struct hypmem_target *t);

/**
 * hypmem_target_symbol_pa() - Physical address of a hyp variable.
 * @t: the target.
 * @name: plain C name ("hpool"); the __kvm_nvhe_ prefix is tried first.
 * @pa_ret: physical address.
 * @type_ret: its DWARF type (may be NULL).
 *
 * Return: NULL, HYPMEM_ERROR_LOOKUP, or a translation error.
 */
struct hypmem_error *hypmem_target_symbol_pa(struct hypmem_target *t, const char *name,
					     uint64_t *pa_ret, struct hypmem_type *type_ret);

/**
 * hypmem_target_kernel_lm_to_pa() - A host kernel linear-map VA (what
 * page_address() gives, e.g. kvm_arm_hyp_percpu_base[]) to PA, from
 * VMCOREINFO's PHYS_OFFSET, VA_BITS and TCR_EL1_T1SZ.
 *
 * Return: NULL; HYPMEM_ERROR_LOOKUP without VMCOREINFO or for a VA outside
 * the linear map, HYPMEM_ERROR_FAULT for a PA outside RAM (*pa_ret is set:
 * hypmem-dump page still names it).
 */
struct hypmem_error *hypmem_target_kernel_lm_to_pa(struct hypmem_target *t, uint64_t va,
						   uint64_t *pa_ret);

/** hypmem_target_kva_to_pa() - Kernel image VA (link-time) to PA. */
struct hypmem_error *hypmem_target_kva_to_pa(struct hypmem_target *t, uint64_t kva,
					     uint64_t *pa_ret);

/**
 * hypmem_target_hyp_to_pa() - Hyp VA to PA through the hyp stage-1.
 * @t: the target.
 * @hva: hyp VA.
 * @pa_ret: physical address.
 * @mapped_ret: bytes from @hva to the end of its mapping (may be NULL).
 *
 * Return: NULL; HYPMEM_ERROR_FAULT if @hva is not mapped or a table page is
 * not in the dump.
 */
struct hypmem_error *hypmem_target_hyp_to_pa(struct hypmem_target *t, uint64_t hva,
					     uint64_t *pa_ret, uint64_t *mapped_ret);

/**
 * hypmem_target_hyp_unmapped() - Whether the hyp stage-1 leaves @hva unmapped.
 * @t: the target.
 * @hva: hyp VA.
 *
 * Tells "not mapped" (the walk reached an invalid descriptor in a table
 * that is in the dump: the kernel never mapped it, or unmapped it) from "not
 * readable" (a table or the page itself missing from the dump).
 *
 * Return: true if @hva is known to be unmapped; false if it is mapped or if
 * the walk could not tell (a table page is not in the dump).
 */
bool hypmem_target_hyp_unmapped(struct hypmem_target *t, uint64_t hva);

/** hypmem_target_read() - Read physical memory. */
struct hypmem_error *hypmem_target_read(struct hypmem_target *t, void *buf, uint64_t pa,
					size_t n);

/** hypmem_target_read_hyp() - Read through hyp VAs (crossing mappings). */
struct hypmem_error *hypmem_target_read_hyp(struct hypmem_target *t, void *buf, uint64_t hva,
					    size_t n);

/** hypmem_target_hyp_linear_to_pa() - PA of a hyp linear-map VA. */
uint64_t hypmem_target_hyp_linear_to_pa(const struct hypmem_target *t, uint64_t hva);

/** hypmem_target_pa_to_hyp_linear() - Hyp linear-map VA of a PA. */
uint64_t hypmem_target_pa_to_hyp_linear(const struct hypmem_target *t, uint64_t pa);

/*
 * A field of a struct as DWARF describes it, ready for extraction from a
 * buffer holding the struct.
 */
struct hypmem_field {
	bool present;
	uint32_t offset;     /* byte offset of the storage unit */
	uint32_t size;	     /* bytes of the storage unit (1..8) */
	uint32_t bit_offset; /* bitfields: LSB-numbered offset within the unit */
	uint32_t bit_size;   /* 0: not a bitfield */
	bool is_signed;
};

/**
 * hypmem_field_lookup() - Fill @ret from a struct member.
 * @t: the target.
 * @type: the struct.
 * @path: member path.
 * @required: if false, a missing member gives ret->present = false.
 * @ret: the field.
 *
 * Return: NULL; HYPMEM_ERROR_LOOKUP naming struct and member when required
 * and missing; HYPMEM_ERROR_FORMAT for a member wider than 8 bytes.
 */
struct hypmem_error *hypmem_field_lookup(struct hypmem_target *t, const struct hypmem_type *type,
					 const char *path, bool required,
					 struct hypmem_field *ret);

/* Little-endian load of 1..8 bytes; the decoders' innermost operation. */
static inline uint64_t hypmem_load_le(const uint8_t *p, uint32_t size)
{
	uint64_t v = 0;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	switch (size) {
	case 1:
		return p[0];
	case 2: {
		uint16_t x;

		memcpy(&x, p, 2);
		return x;
	}
	case 4: {
		uint32_t x;

		memcpy(&x, p, 4);
		return x;
	}
	case 8:
		memcpy(&v, p, 8);
		return v;
	}
#endif
	for (uint32_t i = 0; i < size && i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/**
 * hypmem_field_get() - Extract a field from a buffer holding the struct.
 * @f: the field.
 * @buf: the struct's bytes, little-endian.
 * @len: their number.
 * @ret: the value, sign-extended if the field is signed; 0 when the field is
 *       absent or lies past @len.
 *
 * Inline because the vmemmap decoder calls it for every field of every page.
 *
 * Return: true if the field is present and lay inside @buf.
 */
static inline bool hypmem_field_get(const struct hypmem_field *f, const void *buf, size_t len,
				    uint64_t *ret)
{
	uint64_t v;
	uint32_t bits;

	*ret = 0;
	if (!f->present || f->offset > len || len - f->offset < f->size)
		return false;
	v = hypmem_load_le((const uint8_t *)buf + f->offset, f->size);
	bits = f->size * 8;
	if (f->bit_size) {
		v >>= f->bit_offset;
		bits = f->bit_size;
	}
	if (bits < 64) {
		v &= (1ULL << bits) - 1;
		if (f->is_signed && (v >> (bits - 1)))
			v |= ~0ULL << bits;
	}
	*ret = v;
	return true;
}

#endif /* HYPMEM_TARGET_H */
