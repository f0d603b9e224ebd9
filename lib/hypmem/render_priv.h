/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the render modules (render_*.c): json-c construction with one allocation check per
 * object, and sizes in the style of top and slabtop ("1.5M").  Internal:
 * static inline, so the library exports no generic names.
 */
#ifndef HYPMEM_RENDER_PRIV_H
#define HYPMEM_RENDER_PRIV_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#include "hypmem/render.h"

/* A hex string "0x..." (addresses in the JSON schema), or NULL. */
static inline struct json_object *jhex(uint64_t v)
{
	char buf[32];

	return json_object_new_string(hypmem_hex(buf, v));
}

/*
 * Add @val to @obj as @key.  Either may be NULL (an allocation that
 * failed): then @val is released and false returned, so a chain of adds
 * needs one check at its end.
 */
static inline bool jadd(struct json_object *obj, const char *key, struct json_object *val)
{
	if (!obj || !val) {
		json_object_put(val);
		return false;
	}
	return json_object_object_add(obj, key, val) == 0;
}

/* @bytes as "512B", "1.5K", "2.0G"... */
static inline void human(char *buf, size_t len, uint64_t bytes)
{
	static const char units[] = "BKMGTP";
	unsigned int u = 0;
	double v = (double)bytes;

	while (v >= 1024 && u + 1 < sizeof(units) - 1) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 "B", bytes);
	else
		snprintf(buf, len, "%.1f%c", v, units[u]);
}

#endif /* HYPMEM_RENDER_PRIV_H */
