// SPDX-License-Identifier: GPL-2.0-only
/*
 * VMCOREINFO parsing: "KEY=VALUE" lines into a sorted array of entries.
 *
 * The text is copied once; each line's '=' and line end are overwritten with
 * NULs so that entries point into the copy.  The entries are sorted by key
 * (ties by position, so that the first of duplicates sorts first), the
 * duplicates dropped, and lookups are a binary search.  Keys such as
 * "NUMBER(name)" are compared piecewise against the entries, so a lookup
 * never allocates.
 *
 * Numbers are parsed here rather than with strtoull(), which skips leading
 * blanks, accepts partial input and silently negates: a VMCOREINFO value
 * either parses completely or is a FORMAT error.
 *
 * What this leaves to others: finding the note in a dump (source_*.c) and
 * deciding what the values mean (target.c).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hypmem/vmcoreinfo.h"

/* At most this much of a bad value is quoted in an error message. */
#define QUOTE_MAX 64

struct vmci_entry {
	const char *key;
	const char *value;
	size_t pos; /* line number, to keep the first of duplicates */
};

struct hypmem_vmcoreinfo {
	char *text; /* the copy that keys and values point into */
	struct vmci_entry *entries;
	size_t nr;
};

static int entry_cmp(const void *a, const void *b)
{
	const struct vmci_entry *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

struct hypmem_error *hypmem_vmcoreinfo_parse(const char *text, struct hypmem_vmcoreinfo **ret)
{
	struct hypmem_vmcoreinfo *vmci;
	size_t len, lines = 1, nr = 0, kept = 0;
	char *p, *end;

	if (!text)
		return hypmem_error_create(HYPMEM_ERROR_INVALID_ARGUMENT, "no VMCOREINFO text");
	len = strnlen(text, HYPMEM_VMCOREINFO_MAX_TEXT + 1);
	if (len > HYPMEM_VMCOREINFO_MAX_TEXT)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "VMCOREINFO is longer than %d bytes",
					   HYPMEM_VMCOREINFO_MAX_TEXT);
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	if (lines > HYPMEM_VMCOREINFO_MAX_ENTRIES)
		lines = HYPMEM_VMCOREINFO_MAX_ENTRIES;

	vmci = calloc(1, sizeof(*vmci));
	if (!vmci)
		return &hypmem_enomem;
	vmci->text = malloc(len + 1);
	vmci->entries = calloc(lines, sizeof(*vmci->entries));
	if (!vmci->text || !vmci->entries) {
		hypmem_vmcoreinfo_destroy(vmci);
		return &hypmem_enomem;
	}
	memcpy(vmci->text, text, len);
	vmci->text[len] = '\0';

	end = vmci->text + len;
	for (p = vmci->text; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *line_end = nl ? nl : end;
		char *eq;

		*line_end = '\0';
		if (line_end > p && line_end[-1] == '\r')
			*--line_end = '\0';
		eq = memchr(p, '=', (size_t)(line_end - p));
		if (eq && eq != p) {
			if (nr == HYPMEM_VMCOREINFO_MAX_ENTRIES) {
				hypmem_vmcoreinfo_destroy(vmci);
				return hypmem_error_create(HYPMEM_ERROR_FORMAT,
							   "VMCOREINFO has more than %d entries",
							   HYPMEM_VMCOREINFO_MAX_ENTRIES);
			}
			*eq = '\0';
			vmci->entries[nr] = (struct vmci_entry){
			    .key = p,
			    .value = eq + 1,
			    .pos = nr,
			};
			nr++;
		}
		if (!nl)
			break;
		p = nl + 1;
	}

	qsort(vmci->entries, nr, sizeof(*vmci->entries), entry_cmp);
	for (size_t i = 0; i < nr; i++) {
		if (kept && !strcmp(vmci->entries[kept - 1].key, vmci->entries[i].key))
			continue;
		vmci->entries[kept++] = vmci->entries[i];
	}
	vmci->nr = kept;
	*ret = vmci;
	return NULL;
}

void hypmem_vmcoreinfo_destroy(struct hypmem_vmcoreinfo *vmci)
{
	if (!vmci)
		return;
	free(vmci->entries);
	free(vmci->text);
	free(vmci);
}

size_t hypmem_vmcoreinfo_count(const struct hypmem_vmcoreinfo *vmci)
{
	return vmci ? vmci->nr : 0;
}

/* strcmp(@key, @pre @mid @post) without building the right-hand side. */
static int key_cmp(const char *key, const char *pre, const char *mid, const char *post)
{
	const char *parts[3] = {pre, mid, post};

	for (int i = 0; i < 3; i++) {
		for (const char *c = parts[i]; *c; c++, key++) {
			if (*key != *c)
				return (unsigned char)*key - (unsigned char)*c;
		}
	}
	return (unsigned char)*key;
}

/* The entry whose key is @pre @mid @post, or NULL. */
static const struct vmci_entry *find(const struct hypmem_vmcoreinfo *vmci, const char *pre,
				     const char *mid, const char *post)
{
	size_t lo = 0, hi;

	if (!vmci)
		return NULL;
	hi = vmci->nr;
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		int c = key_cmp(vmci->entries[m].key, pre, mid, post);

		if (!c)
			return &vmci->entries[m];
		if (c < 0)
			lo = m + 1;
		else
			hi = m;
	}
	return NULL;
}

const char *hypmem_vmcoreinfo_get(const struct hypmem_vmcoreinfo *vmci, const char *key)
{
	const struct vmci_entry *e = find(vmci, "", key, "");

	return e ? e->value : NULL;
}

enum parse_result {
	PARSE_OK,
	PARSE_BAD,
	PARSE_OVERFLOW,
};

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/* One or more digits of @base and nothing else. */
static enum parse_result parse_digits(const char *s, unsigned int base, uint64_t *ret)
{
	uint64_t v = 0;
	bool overflow = false;

	if (!*s)
		return PARSE_BAD;
	for (; *s; s++) {
		unsigned int d = (unsigned int)digit_value(*s);

		if (d >= base)
			return PARSE_BAD;
		if (v > (UINT64_MAX - d) / base)
			overflow = true;
		v = v * base + d;
	}
	if (overflow)
		return PARSE_OVERFLOW;
	*ret = v;
	return PARSE_OK;
}

/* Hex with an optional 0x prefix (SYMBOL(), KERNELOFFSET). */
static enum parse_result parse_hex(const char *s, uint64_t *ret)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	return parse_digits(s, 16, ret);
}

/* C's base 0 with an optional sign; negatives as two's complement. */
static enum parse_result parse_c_number(const char *s, uint64_t *ret)
{
	bool neg = false;
	unsigned int base = 10;
	enum parse_result r;
	uint64_t v;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && s[1]) {
		base = 8;
		s++;
	}
	r = parse_digits(s, base, &v);
	if (r != PARSE_OK)
		return r;
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return PARSE_OVERFLOW;
		v = 0 - v;
	}
	*ret = v;
	return PARSE_OK;
}

static struct hypmem_error *bad_value(const struct vmci_entry *e, enum parse_result r,
				      const char *expected)
{
	size_t n = strlen(e->value);

	return hypmem_error_create(HYPMEM_ERROR_FORMAT, "VMCOREINFO %s=%.*s%s: %s", e->key,
				   (int)(n > QUOTE_MAX ? QUOTE_MAX : n), e->value,
				   n > QUOTE_MAX ? "..." : "",
				   r == PARSE_OVERFLOW ? "does not fit in 64 bits" : expected);
}

struct hypmem_error *hypmem_vmcoreinfo_number(const struct hypmem_vmcoreinfo *vmci,
					      const char *name, uint64_t *ret)
{
	const struct vmci_entry *e = find(vmci, "NUMBER(", name, ")");
	enum parse_result r;

	if (!e)
		e = find(vmci, "", name, "");
	if (!e)
		return hypmem_error_create(HYPMEM_ERROR_LOOKUP,
					   "VMCOREINFO has neither NUMBER(%s) nor %s", name, name);
	r = parse_c_number(e->value, ret);
	return r == PARSE_OK ? NULL : bad_value(e, r, "not a number");
}

struct hypmem_error *hypmem_vmcoreinfo_symbol(const struct hypmem_vmcoreinfo *vmci,
					      const char *name, uint64_t *ret)
{
	const struct vmci_entry *e = find(vmci, "SYMBOL(", name, ")");
	enum parse_result r;

	if (!e)
		return hypmem_error_create(HYPMEM_ERROR_LOOKUP, "VMCOREINFO has no SYMBOL(%s)",
					   name);
	r = parse_hex(e->value, ret);
	return r == PARSE_OK ? NULL : bad_value(e, r, "not a hexadecimal address");
}

struct hypmem_error *hypmem_vmcoreinfo_kerneloffset(const struct hypmem_vmcoreinfo *vmci,
						    uint64_t *ret)
{
	const struct vmci_entry *e = find(vmci, "", "KERNELOFFSET", "");
	enum parse_result r;

	if (!e)
		return hypmem_error_create(HYPMEM_ERROR_LOOKUP, "VMCOREINFO has no KERNELOFFSET");
	r = parse_hex(e->value, ret);
	return r == PARSE_OK ? NULL : bad_value(e, r, "not a hexadecimal offset");
}
