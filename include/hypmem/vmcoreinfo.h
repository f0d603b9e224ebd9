/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VMCOREINFO: the "KEY=VALUE\n" text a Linux kernel leaves for dump tools.
 *
 * The parser splits the text into entries once and answers lookups by exact
 * key.  It knows the kernel's value conventions: SYMBOL(x) and KERNELOFFSET
 * are hexadecimal without a 0x prefix, NUMBER(x) is C-style (decimal, 0x-hex
 * or 0-octal, possibly negative), PAGESIZE is decimal.
 *
 * What it leaves to others: where the text comes from (a source finds the
 * note, see source.h) and what the values mean (target.c decides which
 * ones it trusts and how they combine with the DWARF).
 *
 * The text is untrusted.  Lines without '=' and empty lines are skipped, a
 * CR before the LF is dropped, the last line needs no LF, and the first of
 * two entries with the same key wins.  Texts longer than
 * HYPMEM_VMCOREINFO_MAX_TEXT bytes or with more than
 * HYPMEM_VMCOREINFO_MAX_ENTRIES entries are rejected.
 */
#ifndef HYPMEM_VMCOREINFO_H
#define HYPMEM_VMCOREINFO_H

#include <stddef.h>
#include <stdint.h>

#include "hypmem/error.h"

#define HYPMEM_VMCOREINFO_MAX_TEXT    65536
#define HYPMEM_VMCOREINFO_MAX_ENTRIES 4096

struct hypmem_vmcoreinfo;

/**
 * hypmem_vmcoreinfo_parse() - Split VMCOREINFO text into entries.
 * @text: NUL-terminated text; the first NUL ends it.  Copied, so the caller
 *        may free it afterwards.
 * @ret: on success, the parsed VMCOREINFO; destroy it with
 *       hypmem_vmcoreinfo_destroy().
 *
 * Return: NULL on success; HYPMEM_ERROR_FORMAT if the text or the number of
 * entries is over its limit; HYPMEM_ERROR_INVALID_ARGUMENT if @text is
 * NULL; HYPMEM_ERROR_NO_MEMORY.
 */
struct hypmem_error *hypmem_vmcoreinfo_parse(const char *text, struct hypmem_vmcoreinfo **ret);

/** hypmem_vmcoreinfo_destroy() - Free a parsed VMCOREINFO. @vmci: may be NULL. */
void hypmem_vmcoreinfo_destroy(struct hypmem_vmcoreinfo *vmci);

/**
 * hypmem_vmcoreinfo_get() - The raw value of an entry.
 * @vmci: the parsed VMCOREINFO (NULL behaves as empty).
 * @key: the exact key, e.g. "OSRELEASE" or "SYMBOL(swapper_pg_dir)".
 *
 * Return: the value (the text after the first '='), borrowed for the
 * lifetime of @vmci; NULL if there is no such key.
 */
const char *hypmem_vmcoreinfo_get(const struct hypmem_vmcoreinfo *vmci, const char *key);

/**
 * hypmem_vmcoreinfo_number() - A numeric entry.
 * @vmci: the parsed VMCOREINFO (NULL behaves as empty).
 * @name: "kimage_voffset" looks up "NUMBER(kimage_voffset)", then the plain
 *        key "kimage_voffset"; so "PAGESIZE" finds "PAGESIZE=4096".
 * @ret: on success, the value; a negative decimal is returned as its two's
 *       complement ("-1" gives UINT64_MAX).
 *
 * The value is parsed like C's strtoull() with base 0 (decimal, 0x-hex,
 * 0-octal, optional sign), but must be consumed completely, with no
 * surrounding blanks.
 *
 * Return: NULL on success; HYPMEM_ERROR_LOOKUP if neither key exists;
 * HYPMEM_ERROR_FORMAT if the value is not a number or does not fit in 64
 * bits (a negative one in 63 bits and a sign).
 */
struct hypmem_error *hypmem_vmcoreinfo_number(const struct hypmem_vmcoreinfo *vmci,
					      const char *name, uint64_t *ret);

/**
 * hypmem_vmcoreinfo_symbol() - A SYMBOL(@name) entry.
 * @vmci: the parsed VMCOREINFO (NULL behaves as empty).
 * @name: the symbol, e.g. "swapper_pg_dir".
 * @ret: on success, the address.
 *
 * The kernel writes the address in hex without a 0x prefix; a 0x prefix is
 * accepted too.
 *
 * Return: NULL on success; HYPMEM_ERROR_LOOKUP if there is no such entry;
 * HYPMEM_ERROR_FORMAT if the value is not hex or does not fit in 64 bits.
 */
struct hypmem_error *hypmem_vmcoreinfo_symbol(const struct hypmem_vmcoreinfo *vmci,
					      const char *name, uint64_t *ret);

/**
 * hypmem_vmcoreinfo_kerneloffset() - The KERNELOFFSET entry (KASLR slide).
 * @vmci: the parsed VMCOREINFO (NULL behaves as empty).
 * @ret: on success, the offset.
 *
 * Hex without a 0x prefix (accepted too), as the kernel writes it.
 *
 * Return: NULL on success; HYPMEM_ERROR_LOOKUP if absent;
 * HYPMEM_ERROR_FORMAT if malformed.
 */
struct hypmem_error *hypmem_vmcoreinfo_kerneloffset(const struct hypmem_vmcoreinfo *vmci,
						    uint64_t *ret);

/**
 * hypmem_vmcoreinfo_count() - Number of entries kept.
 * @vmci: the parsed VMCOREINFO (NULL behaves as empty).
 *
 * Return: the number of distinct keys (duplicates are not counted).
 */
size_t hypmem_vmcoreinfo_count(const struct hypmem_vmcoreinfo *vmci);

#endif /* HYPMEM_VMCOREINFO_H */
