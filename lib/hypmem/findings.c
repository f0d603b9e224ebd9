// SPDX-License-Identifier: GPL-2.0-only
/* The findings list. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypmem/findings.h"
#include "array.h"

static const char *const finding_keys[] = {
#define X(name, key) [HYPMEM_FINDING_##name] = key,
	HYPMEM_FINDING_KINDS
#undef X
};

const char *hypmem_finding_key(enum hypmem_finding_kind kind)
{
	if ((unsigned int)kind >= HYPMEM_FINDING_NR)
		return "unknown";
	return finding_keys[kind];
}

void hypmem_findings_init(struct hypmem_findings *f)
{
	memset(f, 0, sizeof(*f));
}

void hypmem_findings_deinit(struct hypmem_findings *f)
{
	for (size_t i = 0; i < f->nr; i++)
		free(f->items[i].message);
	free(f->items);
	memset(f, 0, sizeof(*f));
}

struct hypmem_error *hypmem_findings_add(struct hypmem_findings *f, enum hypmem_finding_kind kind,
					 uint64_t address, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	int n;

	f->total++;
	f->by_kind[kind]++;
	if (f->nr >= HYPMEM_FINDINGS_MAX)
		return NULL;
	if (!hypmem_grow((void **)&f->items, &f->cap, f->nr + 1, sizeof(*f->items)))
		return &hypmem_enomem;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return &hypmem_enomem;
	f->items[f->nr++] = (struct hypmem_finding){ kind, address, msg };
	return NULL;
}
