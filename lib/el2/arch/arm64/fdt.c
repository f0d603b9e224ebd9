// SPDX-License-Identifier: GPL-2.0-only
/*
 * Flattened device tree, read-only.  The tree is untrusted input like any
 * other: every offset is checked against totalsize before it is used, and
 * 32-bit big-endian cells are assembled byte by byte (the MMU may be off,
 * so no unaligned word loads).
 */
#include "fdt.h"

#define FDT_MAGIC      0xd00dfeedU
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_NOP	       4
#define FDT_END	       9
#define FDT_MAX_DEPTH  16

struct fdt_cursor {
	const u8 *base;
	u32 size;	/* totalsize */
	u32 pos;	/* offset of the next token */
	u32 end;	/* end of the structure block */
	u32 strings, strings_size;
};

static u32 get32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

int fdt_check(const void *fdt, size_t max)
{
	const u8 *p = fdt;
	u32 size, off_struct, off_strings, size_struct, size_strings;

	if (get32(p) != FDT_MAGIC)
		return -EINVAL;
	size = get32(p + 4);
	off_struct = get32(p + 8);
	off_strings = get32(p + 12);
	size_strings = get32(p + 32);
	size_struct = get32(p + 36);
	if (size < 40 || size > max || off_struct > size || size - off_struct < size_struct ||
	    off_strings > size || size - off_strings < size_strings)
		return -EINVAL;
	return 0;
}

static void cursor_init(struct fdt_cursor *c, const void *fdt)
{
	const u8 *p = fdt;

	c->base = p;
	c->size = get32(p + 4);
	c->pos = get32(p + 8);
	c->end = c->pos + get32(p + 36);
	c->strings = get32(p + 12);
	c->strings_size = get32(p + 32);
}

/* Skip a NUL-terminated string and the padding to 4 bytes. */
static int skip_name(struct fdt_cursor *c, const char **name)
{
	u32 i = c->pos;

	*name = (const char *)c->base + c->pos;
	while (i < c->end && c->base[i])
		i++;
	if (i >= c->end)
		return -EINVAL;
	c->pos = ALIGN(i + 1, 4U);
	return 0;
}

static bool prefix(const char *s, const char *p)
{
	while (*p)
		if (*s++ != *p++)
			return false;
	return true;
}

static bool streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static u64 get_cells(const u8 *p, u32 cells)
{
	u64 v = 0;

	while (cells--) {
		v = v << 32 | get32(p);
		p += 4;
	}
	return v;
}

struct fdt_scan {
	u32 addr_cells, size_cells;
	bool have_mem;
	u64 mem_base, mem_size;
	int cpus;
};

static int fdt_scan(const void *fdt, struct fdt_scan *s)
{
	const char *names[FDT_MAX_DEPTH];
	struct fdt_cursor c;
	int depth = 0;

	s->addr_cells = 2;
	s->size_cells = 2;
	s->have_mem = false;
	s->cpus = 0;
	cursor_init(&c, fdt);
	while (c.end - c.pos >= 4) {
		u32 token = get32(c.base + c.pos);
		const char *name;
		u32 len, nameoff;

		c.pos += 4;
		switch (token) {
		case FDT_BEGIN_NODE:
			if (skip_name(&c, &name) || depth >= FDT_MAX_DEPTH)
				return -EINVAL;
			names[depth++] = name;
			if (depth == 3 && streq(names[1], "cpus") && prefix(name, "cpu@"))
				s->cpus++;
			break;
		case FDT_END_NODE:
			if (!depth--)
				return -EINVAL;
			break;
		case FDT_PROP:
			if (c.end - c.pos < 8)
				return -EINVAL;
			len = get32(c.base + c.pos);
			nameoff = get32(c.base + c.pos + 4);
			c.pos += 8;
			if (c.end - c.pos < len || nameoff >= c.strings_size || !depth)
				return -EINVAL;
			name = (const char *)c.base + c.strings + nameoff;
			if (depth == 1 && len == 4 && streq(name, "#address-cells"))
				s->addr_cells = get32(c.base + c.pos);
			else if (depth == 1 && len == 4 && streq(name, "#size-cells"))
				s->size_cells = get32(c.base + c.pos);
			else if (depth == 2 && !s->have_mem && prefix(names[1], "memory") &&
				 streq(name, "reg") && s->addr_cells <= 2 && s->size_cells <= 2 &&
				 len >= 4 * (s->addr_cells + s->size_cells)) {
				s->mem_base = get_cells(c.base + c.pos, s->addr_cells);
				s->mem_size = get_cells(c.base + c.pos + 4 * s->addr_cells,
							s->size_cells);
				s->have_mem = true;
			}
			c.pos = ALIGN(c.pos + len, 4U);
			break;
		case FDT_NOP:
			break;
		case FDT_END:
			return 0;
		default:
			return -EINVAL;
		}
	}
	return -EINVAL;
}

int fdt_memory_range(const void *fdt, u64 *base, u64 *size)
{
	struct fdt_scan s;
	int ret = fdt_scan(fdt, &s);

	if (ret)
		return ret;
	if (!s.have_mem || !s.mem_size)
		return -ENOENT;
	*base = s.mem_base;
	*size = s.mem_size;
	return 0;
}

int fdt_cpu_count(const void *fdt)
{
	struct fdt_scan s;
	int ret = fdt_scan(fdt, &s);

	return ret ? ret : s.cpus;
}
