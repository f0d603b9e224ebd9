/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Symbols and layouts of a target image (vmlinux or the hypmem EL2 image).
 *
 * This module opens the ELF file, reads its symbol table and its DWARF
 * (libdw), and answers layout questions: the size of a struct, the offset of
 * a member (with bit offset and bit size for bitfields, taken from
 * DW_AT_data_bit_offset or the DWARF 2/3 DW_AT_bit_offset form), the length
 * and stride of an array, the value of an enumerator, the address and type of
 * a global variable.  Typedefs and qualifiers are followed through a bounded
 * chain.  Every answer is computed once and cached in the handle.
 *
 * Names: pKVM's nVHE objects are renamed with objcopy so every ELF symbol
 * carries the "__kvm_nvhe_" prefix, while DWARF keeps the plain C name.
 * hypmem_dwarf_find_variable() therefore accepts the plain name ("hpool") and
 * tries, in order: the ELF symbol "__kvm_nvhe_<name>", the ELF symbol
 * "<name>", then a DWARF variable DIE named <name> with a DW_OP_addr location
 * (static variables that the symbol table lacks).  Compile units whose name
 * contains "/nvhe/" or "/el2/" are searched first, so a full vmlinux is not
 * scanned for hyp names.  Types, enumerators and variables without an ELF
 * symbol are looked up in those units only (indexing the rest of a distro
 * vmlinux takes seconds); an image with no such unit is indexed whole.
 *
 * What it leaves to others: addresses it returns are link-time virtual
 * addresses as the ELF file states them.  Relocating them (KASLR) and
 * translating them to physical addresses is the target's job (target.h).  It never reads
 * target memory.
 */
#ifndef HYPMEM_DWARF_H
#define HYPMEM_DWARF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hypmem/error.h"

struct hypmem_dwarf;

/* A resolved type: what the decoders need of it. */
enum hypmem_type_kind {
	HYPMEM_TYPE_VOID,
	HYPMEM_TYPE_INT, /* base types, bool, char */
	HYPMEM_TYPE_ENUM,
	HYPMEM_TYPE_POINTER,
	HYPMEM_TYPE_STRUCT,
	HYPMEM_TYPE_UNION,
	HYPMEM_TYPE_ARRAY,
	HYPMEM_TYPE_FUNCTION,
	HYPMEM_TYPE_OTHER
};

/*
 * A handle on a DWARF type, after typedefs and qualifiers are stripped.
 * The handle is plain data owned by the struct hypmem_dwarf (valid until it is
 * destroyed); copy it freely.
 */
struct hypmem_type {
	enum hypmem_type_kind kind;
	const char *name; /* "hyp_page" (no "struct "), or NULL if anonymous */
	uint64_t size;	  /* byte size; for arrays: total size if known, else 0 */
	bool is_signed;	  /* INT and ENUM */
	/* ARRAY: element type, number of elements (0 if unknown/flexible). */
	uint64_t nr_elements;
	/* Private: the DIE offset, used to look up members/elements. */
	uint64_t die_offset;
	uintptr_t cu_cookie;
};

/* A member of a struct or union, flattened from DWARF. */
struct hypmem_member {
	const char *name;	 /* borrowed from the dwarf handle; NULL if anonymous */
	uint64_t offset;	 /* byte offset of the storage unit holding the member */
	uint32_t bit_offset;	 /* for bitfields: bit offset from @offset*8 (LSB numbering) */
	uint32_t bit_size;	 /* 0 if not a bitfield */
	struct hypmem_type type; /* member type, typedefs stripped */
	const char *type_name;	 /* type as written, e.g. "u16" or "struct list_head" */
};

/**
 * hypmem_dwarf_open() - Open an ELF image with its symbols and DWARF.
 * @path: vmlinux, a vmlinux with a separate .debug file already merged, or the
 *        hypmem EL2 image.
 * @ret: the new handle.
 *
 * Return: NULL on success; HYPMEM_ERROR_OS (cannot open), HYPMEM_ERROR_ELF
 * (not ELF), HYPMEM_ERROR_DWARF if the file has no DWARF ("... has no debug
 * info; install the -dbg package" style message naming @path).
 */
struct hypmem_error *hypmem_dwarf_open(const char *path, struct hypmem_dwarf **ret);

/** hypmem_dwarf_destroy() - Close. @dw: may be NULL. */
void hypmem_dwarf_destroy(struct hypmem_dwarf *dw);

/**
 * hypmem_dwarf_find_symbol() - Look up an ELF symbol value (link-time VA).
 * @dw: the handle.
 * @name: exact ELF symbol name, e.g. "__kvm_nvhe_hpool".
 * @value_ret: symbol value.
 * @size_ret: symbol size (may be NULL).
 *
 * Return: NULL on success, HYPMEM_ERROR_LOOKUP if absent.
 */
struct hypmem_error *hypmem_dwarf_find_symbol(struct hypmem_dwarf *dw, const char *name,
					      uint64_t *value_ret, uint64_t *size_ret);

/**
 * hypmem_dwarf_find_variable() - Address and type of a hyp global variable.
 * @dw: the handle.
 * @name: plain C name, e.g. "hpool" or "hyp_physvirt_offset".
 * @addr_ret: link-time virtual address.
 * @type_ret: the variable's type (may be NULL).
 *
 * Return: NULL on success; HYPMEM_ERROR_LOOKUP naming the variable if neither
 * the symbol table nor DWARF has it.
 */
struct hypmem_error *hypmem_dwarf_find_variable(struct hypmem_dwarf *dw, const char *name,
						uint64_t *addr_ret, struct hypmem_type *type_ret);

/**
 * hypmem_dwarf_image_sample() - Bytes of the image that RAM holds unchanged.
 * @dw: the handle.
 * @buf: filled with *@len_ret bytes (at most @max).
 * @max: room in @buf.
 * @len_ret: how many were taken (at least 64).
 * @vaddr_ret: their link-time VA.
 *
 * A kernel's linux_banner (text: never relocated, never patched), else the
 * start of the first executable segment (the hypmem EL2 image, which has
 * no alternatives).  Used to find where the image sits in a raw dump of RAM.
 *
 * Return: NULL, or HYPMEM_ERROR_LOOKUP if neither is there.
 */
struct hypmem_error *hypmem_dwarf_image_sample(struct hypmem_dwarf *dw, void *buf, size_t max,
					       size_t *len_ret, uint64_t *vaddr_ret);

/**
 * hypmem_dwarf_check_pkvm() - Is this the image of a pKVM hypervisor?
 *
 * Return: NULL if DWARF describes struct hyp_page and struct hyp_pool;
 * else HYPMEM_ERROR_FORMAT with one sentence naming the file.
 */
struct hypmem_error *hypmem_dwarf_check_pkvm(struct hypmem_dwarf *dw);

/**
 * hypmem_dwarf_find_type() - Find a named type.
 * @dw: the handle.
 * @name: "struct hyp_page", "union foo", "enum pkvm_page_state", or a
 *        typedef / base type name ("hyp_spinlock_t", "u64").
 * @ret: the type, typedefs and qualifiers stripped.
 *
 * Prefers a complete definition (not a declaration).
 *
 * Return: NULL on success, HYPMEM_ERROR_LOOKUP naming the type.
 */
struct hypmem_error *hypmem_dwarf_find_type(struct hypmem_dwarf *dw, const char *name,
					    struct hypmem_type *ret);

/**
 * hypmem_dwarf_member() - Find a member of a struct/union type.
 * @dw: the handle.
 * @type: a STRUCT or UNION type.
 * @path: member name, or a dotted path through nested structs/unions
 *        ("arch.mmu.pgd_phys"); anonymous struct/union members are searched
 *        transparently.
 * @ret: the member; @ret->offset is relative to the start of @type.
 *
 * Return: NULL on success; HYPMEM_ERROR_LOOKUP with a message naming the
 * struct and the member ("struct hyp_page has no member 'order'").
 */
struct hypmem_error *hypmem_dwarf_member(struct hypmem_dwarf *dw, const struct hypmem_type *type,
					 const char *path, struct hypmem_member *ret);

/**
 * hypmem_dwarf_has_member() - Like hypmem_dwarf_member() but a missing member
 * is not an error.
 *
 * Return: true if present (and *@ret filled when @ret is not NULL).
 */
bool hypmem_dwarf_has_member(struct hypmem_dwarf *dw, const struct hypmem_type *type,
			     const char *path, struct hypmem_member *ret);

/**
 * hypmem_dwarf_members() - List the direct members of a struct/union.
 * @dw: the handle.
 * @type: STRUCT or UNION.
 * @members_ret: borrowed array owned by @dw, valid until destroy.
 * @nr_ret: its length.
 *
 * Return: NULL on success, HYPMEM_ERROR_INVALID_ARGUMENT if @type is not a
 * struct or union.
 */
struct hypmem_error *hypmem_dwarf_members(struct hypmem_dwarf *dw, const struct hypmem_type *type,
					  const struct hypmem_member **members_ret, size_t *nr_ret);

/**
 * hypmem_dwarf_array_element() - Element type of an ARRAY (or target of a
 * POINTER).
 * @dw: the handle.
 * @type: ARRAY or POINTER.
 * @ret: element/target type (kind VOID for void *).
 *
 * Return: NULL on success, HYPMEM_ERROR_INVALID_ARGUMENT otherwise.
 */
struct hypmem_error *hypmem_dwarf_element_type(struct hypmem_dwarf *dw,
					       const struct hypmem_type *type,
					       struct hypmem_type *ret);

/**
 * hypmem_dwarf_enumerator() - Value of a named enumerator, searched in all
 * enums (hyp CUs first).
 * @dw: the handle.
 * @name: e.g. "PKVM_PAGE_OWNED".
 * @value_ret: value (sign-extended if the enum is signed).
 *
 * Return: NULL on success, HYPMEM_ERROR_LOOKUP.
 */
struct hypmem_error *hypmem_dwarf_enumerator(struct hypmem_dwarf *dw, const char *name,
					     int64_t *value_ret);

/**
 * hypmem_dwarf_type_name() - Format a type's name as C would write it
 * ("struct list_head", "u16 *", "char[64]") into @buf.
 *
 * Return: @buf.
 */
char *hypmem_dwarf_type_name(struct hypmem_dwarf *dw, const struct hypmem_type *type, char *buf,
			     size_t len);

/** hypmem_dwarf_path() - The file the handle was opened on (borrowed). */
const char *hypmem_dwarf_path(const struct hypmem_dwarf *dw);

/**
 * hypmem_dwarf_variables_of_type() - The hyp global variables of a type.
 * @dw: the handle.
 * @type_name: e.g. "struct hyp_pool".
 * @names_ret: malloc()ed array of malloc()ed plain names, sorted; the caller
 *             frees each name and the array.
 * @nr_ret: their number (0 is not an error).
 *
 * Only variables defined (with a location) in hyp compile units count, so
 * a vmlinux's host-side declarations are not listed.
 *
 * Return: NULL on success, HYPMEM_ERROR_LOOKUP if the type is unknown.
 */
struct hypmem_error *hypmem_dwarf_variables_of_type(struct hypmem_dwarf *dw, const char *type_name,
						    char ***names_ret, size_t *nr_ret);

/**
 * hypmem_dwarf_struct_names() - The structs defined in hyp compile units
 * whose names start with @prefix ("remote_event_format_").
 * @names_ret: malloc()ed array of malloc()ed names, sorted by strcmp(), no
 *             duplicates; the caller frees each and the array.
 * @nr_ret: their number (0 is not an error).
 *
 * Return: NULL or HYPMEM_ERROR_NO_MEMORY.
 */
struct hypmem_error *hypmem_dwarf_struct_names(struct hypmem_dwarf *dw, const char *prefix,
					       char ***names_ret, size_t *nr_ret);

/* --- the image file itself (identity checks) --- */

/**
 * hypmem_dwarf_image_read() - Bytes of the image file at link-time VA @va,
 * from an allocated section with contents.
 *
 * Return: NULL; HYPMEM_ERROR_LOOKUP when [@va, @va+@n) is not in one such section.
 */
struct hypmem_error *hypmem_dwarf_image_read(struct hypmem_dwarf *dw, uint64_t va, void *buf,
					     size_t n);

/** hypmem_dwarf_section() - VA and size of the section named @name; false if absent. */
bool hypmem_dwarf_section(struct hypmem_dwarf *dw, const char *name, uint64_t *addr,
			  uint64_t *size);

/**
 * hypmem_dwarf_build_id() - The image's GNU build ID as lower-case hex in
 * @buf (@len bytes, at least 129).
 *
 * Return: false when the image has none.
 */
bool hypmem_dwarf_build_id(struct hypmem_dwarf *dw, char *buf, size_t len);

#endif /* HYPMEM_DWARF_H */
