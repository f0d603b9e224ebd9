/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Growing arrays inside the library: one helper instead of a realloc()
 * dance per call site.  Capacity doubles, so appending n elements one at a
 * time costs O(n) copies, not O(n^2).
 */
#ifndef HYPMEM_ARRAY_H
#define HYPMEM_ARRAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/*
 * hypmem_grow() - Make room for @need elements of @elem bytes.
 * @p: the array (may be NULL), replaced when it moves.
 * @cap: its capacity in elements, updated.
 * @need: elements the caller is about to use.
 * @elem: bytes per element (non-zero).
 *
 * Return: true, or false when the size overflows or memory is short; *@p
 * and *@cap are then unchanged and still valid.
 */
static inline bool hypmem_grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return true;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return false;
		n *= 2;
	}
	if (n > SIZE_MAX / elem)
		return false;
	q = realloc(*p, n * elem);
	if (!q)
		return false;
	*p = q;
	*cap = n;
	return true;
}

#endif /* HYPMEM_ARRAY_H */
