// SPDX-License-Identifier: GPL-2.0-only
/*
 * Event formats from tracefs-style text (see include/hypmem/events.h).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypmem/events.h"

#define MAX_FIELDS	64
#define MAX_LINE	4096
#define MAX_FIELD_BYTES 65536

void hypmem_event_formats_init(struct hypmem_event_formats *f)
{
	memset(f, 0, sizeof(*f));
}

static void format_deinit(struct hypmem_event_format *ev)
{
	for (size_t i = 0; i < ev->nr_fields; i++) {
		free(ev->fields[i].name);
		free(ev->fields[i].type);
	}
	for (size_t i = 0; i < ev->nr_segs; i++)
		free(ev->segs[i].text);
	free(ev->segs);
	free(ev->fields);
	free(ev->name);
	free(ev->system);
	free(ev->print_fmt);
	memset(ev, 0, sizeof(*ev));
}

void hypmem_event_formats_deinit(struct hypmem_event_formats *f)
{
	for (size_t i = 0; i < f->nr; i++)
		format_deinit(&f->events[i]);
	free(f->events);
	memset(f, 0, sizeof(*f));
}

/* --- a line cursor over untrusted text --- */

struct lines {
	const char *pos, *end;
	unsigned int lineno;
};

/* Next line into @buf (without the newline); false at the end. */
static bool next_line(struct lines *l, char *buf, size_t size)
{
	const char *nl;
	size_t n;

	if (l->pos >= l->end)
		return false;
	nl = memchr(l->pos, '\n', (size_t)(l->end - l->pos));
	n = (size_t)((nl ? nl : l->end) - l->pos);
	if (n >= size)
		n = size - 1;
	memcpy(buf, l->pos, n);
	buf[n] = '\0';
	/* A NUL inside the text ends the line there. */
	l->pos = nl ? nl + 1 : l->end;
	l->lineno++;
	return true;
}

static bool parse_u32(const char *s, uint32_t max, uint32_t *ret)
{
	char *end;
	unsigned long v;

	while (*s == ' ')
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || v > max)
		return false;
	*ret = (uint32_t)v;
	return true;
}

/* "<key>:<value>;" within a field line: the text after "key:". */
static const char *field_attr(const char *line, const char *key)
{
	const char *p = strstr(line, key);

	return p ? p + strlen(key) : NULL;
}

static struct hypmem_error *parse_field(const char *line, unsigned int lineno,
					struct hypmem_event_field *ret)
{
	const char *decl = field_attr(line, "field:"), *semi, *o, *s, *sg;
	char tmp[256], *name, *bracket;
	uint32_t sgn = 0;
	size_t n;

	memset(ret, 0, sizeof(*ret));
	semi = decl ? strchr(decl, ';') : NULL;
	o = field_attr(line, "offset:");
	s = field_attr(line, "size:");
	sg = field_attr(line, "signed:");
	if (!semi || !o || !s || (size_t)(semi - decl) >= sizeof(tmp))
		goto bad;
	n = (size_t)(semi - decl);
	memcpy(tmp, decl, n);
	tmp[n] = '\0';
	name = strrchr(tmp, ' ');
	if (!name || !name[1])
		goto bad;
	*name++ = '\0';
	bracket = strchr(name, '[');
	if (bracket) {
		*bracket = '\0';
		if (!parse_u32(bracket + 1, MAX_FIELD_BYTES, &ret->array_len))
			ret->array_len = 0;
		if (!ret->array_len)
			ret->array_len = 1;
	}
	if (!parse_u32(o, MAX_FIELD_BYTES, &ret->offset) ||
	    !parse_u32(s, MAX_FIELD_BYTES, &ret->size) || (sg && !parse_u32(sg, 1, &sgn)))
		goto bad;
	ret->is_signed = sgn;
	ret->is_common = !strncmp(name, "common_", 7);
	ret->name = strdup(name);
	ret->type = strdup(tmp);
	if (!ret->name || !ret->type) {
		free(ret->name);
		free(ret->type);
		return &hypmem_enomem;
	}
	return NULL;
bad:
	return hypmem_error_create(HYPMEM_ERROR_FORMAT, "format line %u: malformed field '%.80s'",
				   lineno, line);
}

/* --- print fmt: "text %conv text", REC->a, REC->b --- */

static int field_index(const struct hypmem_event_format *ev, const char *name, size_t n)
{
	for (size_t i = 0; i < ev->nr_fields; i++)
		if (strlen(ev->fields[i].name) == n && !strncmp(ev->fields[i].name, name, n))
			return (int)i;
	return -1;
}

static bool add_seg(struct hypmem_event_format *ev, const char *text, size_t n, const char *spec,
		    size_t spec_len, int field)
{
	struct hypmem_print_seg *segs = realloc(ev->segs, (ev->nr_segs + 1) * sizeof(*segs));
	struct hypmem_print_seg *seg;

	if (!segs)
		return false;
	ev->segs = segs;
	seg = &segs[ev->nr_segs];
	memset(seg, 0, sizeof(*seg));
	seg->text = strndup(text, n);
	if (!seg->text)
		return false;
	memcpy(seg->spec, spec, spec_len);
	seg->field = field;
	ev->nr_segs++;
	return true;
}

/*
 * Compile @ev->print_fmt.  Returns false for anything beyond "string, then
 * REC->field arguments": the caller then prints name=value pairs.
 */
static bool compile_print_fmt(struct hypmem_event_format *ev)
{
	const char *p = ev->print_fmt, *args;
	char fmt[1024];
	size_t n = 0;
	const char *lit, *q;

	while (*p == ' ')
		p++;
	if (*p++ != '"')
		return false;
	/* Unescape the C string. */
	while (*p && *p != '"') {
		char c = *p++;

		if (c == '\\') {
			c = *p++;
			if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			else if (c != '\\' && c != '"')
				return false;
		}
		if (n + 1 >= sizeof(fmt))
			return false;
		fmt[n++] = c;
	}
	if (*p != '"')
		return false;
	fmt[n] = '\0';
	args = p + 1;

	lit = fmt;
	for (q = fmt; *q; q++) {
		const char *spec, *a, *name;
		int field;

		if (*q != '%')
			continue;
		if (q[1] == '%') {
			q++;
			continue;
		}
		spec = q++;
		while (*q && strchr("-+ #0123456789.", *q))
			q++;
		while (*q && strchr("hlzjt", *q))
			q++;
		if (!*q || !strchr("diuxXocsp", *q) ||
		    (size_t)(q - spec + 1) >= sizeof(ev->segs->spec))
			return false;
		/* The next argument must be REC->field. */
		a = args;
		while (*a == ' ' || *a == ',')
			a++;
		if (strncmp(a, "REC->", 5))
			return false;
		name = a + 5;
		a = name;
		while (isalnum((unsigned char)*a) || *a == '_')
			a++;
		field = field_index(ev, name, (size_t)(a - name));
		if (field < 0)
			return false;
		while (*a == ' ')
			a++;
		if (*a && *a != ',')
			return false;
		args = a;
		if (!add_seg(ev, lit, (size_t)(spec - lit), spec, (size_t)(q - spec + 1), field))
			return false;
		lit = q + 1;
	}
	while (*args == ' ')
		args++;
	if (*args)
		return false;
	return add_seg(ev, lit, strlen(lit), "", 0, -1);
}

static int cmp_id(const void *a, const void *b)
{
	const struct hypmem_event_format *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static struct hypmem_error *finish_event(struct hypmem_event_formats *f,
					 struct hypmem_event_format *ev, unsigned int lineno)
{
	if (!ev->name || ev->id == UINT32_MAX) {
		format_deinit(ev);
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "format text before line %u: no name or ID", lineno);
	}
	if (hypmem_event_formats_find(f, ev->id)) {
		struct hypmem_error *err = hypmem_error_create(
		    HYPMEM_ERROR_FORMAT, "event %s: id %u described twice", ev->name, ev->id);

		format_deinit(ev);
		return err;
	}
	if (ev->print_fmt && !compile_print_fmt(ev)) {
		for (size_t i = 0; i < ev->nr_segs; i++)
			free(ev->segs[i].text);
		free(ev->segs);
		ev->segs = NULL;
		ev->nr_segs = 0;
	}
	for (size_t i = 0; i < ev->nr_fields; i++) {
		uint32_t end = ev->fields[i].offset + ev->fields[i].size;

		if (end > ev->size)
			ev->size = end;
	}
	if (f->nr == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 16;
		struct hypmem_event_format *n = realloc(f->events, cap * sizeof(*n));

		if (!n) {
			format_deinit(ev);
			return &hypmem_enomem;
		}
		f->events = n;
		f->cap = cap;
	}
	f->events[f->nr++] = *ev;
	qsort(f->events, f->nr, sizeof(*f->events), cmp_id);
	memset(ev, 0, sizeof(*ev));
	return NULL;
}

struct hypmem_error *hypmem_event_formats_parse(struct hypmem_event_formats *f, const char *text,
						size_t len, const char *system)
{
	struct lines l = {.pos = text, .end = text + len};
	struct hypmem_event_format ev = {.id = UINT32_MAX};
	struct hypmem_error *err;
	bool started = false;
	char *line = malloc(MAX_LINE);

	if (!line)
		return &hypmem_enomem;
	while (next_line(&l, line, MAX_LINE)) {
		if (!strncmp(line, "name: ", 6)) {
			if (started) {
				err = finish_event(f, &ev, l.lineno);
				if (err)
					goto out;
				ev.id = UINT32_MAX;
			}
			started = true;
			ev.name = strdup(line + 6);
			ev.system = strdup(system ? system : "");
			if (!ev.name || !ev.system) {
				err = &hypmem_enomem;
				goto out_ev;
			}
		} else if (!strncmp(line, "ID: ", 4)) {
			if (!started || !parse_u32(line + 4, 65535, &ev.id)) {
				err = hypmem_error_create(HYPMEM_ERROR_FORMAT,
							  "format line %u: bad ID '%.40s'",
							  l.lineno, line);
				goto out_ev;
			}
		} else if (strstr(line, "field:") && started) {
			struct hypmem_event_field *nf;

			if (ev.nr_fields >= MAX_FIELDS) {
				err = hypmem_error_create(HYPMEM_ERROR_FORMAT,
							  "event %s: more than %d fields", ev.name,
							  MAX_FIELDS);
				goto out_ev;
			}
			nf = realloc(ev.fields, (ev.nr_fields + 1) * sizeof(*nf));
			if (!nf) {
				err = &hypmem_enomem;
				goto out_ev;
			}
			ev.fields = nf;
			err = parse_field(line, l.lineno, &ev.fields[ev.nr_fields]);
			if (err)
				goto out_ev;
			ev.nr_fields++;
		} else if (!strncmp(line, "print fmt: ", 11) && started) {
			free(ev.print_fmt);
			ev.print_fmt = strdup(line + 11);
			if (!ev.print_fmt) {
				err = &hypmem_enomem;
				goto out_ev;
			}
		}
	}
	err = NULL;
	if (started)
		err = finish_event(f, &ev, l.lineno);
	else
		err = hypmem_error_create(HYPMEM_ERROR_FORMAT, "no \"name:\" line in format text");
	goto out;
out_ev:
	format_deinit(&ev);
out:
	free(line);
	return err;
}

const struct hypmem_event_format *hypmem_event_formats_find(const struct hypmem_event_formats *f,
							    uint32_t id)
{
	size_t lo = 0, hi = f->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->events[mid].id == id)
			return &f->events[mid];
		if (f->events[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct hypmem_event_format *
hypmem_event_formats_find_name(const struct hypmem_event_formats *f, const char *name)
{
	for (size_t i = 0; i < f->nr; i++)
		if (!strcmp(f->events[i].name, name))
			return &f->events[i];
	return NULL;
}

const struct hypmem_event_field *hypmem_event_field_find(const struct hypmem_event_format *ev,
							 const char *name)
{
	for (size_t i = 0; i < ev->nr_fields; i++)
		if (!strcmp(ev->fields[i].name, name))
			return &ev->fields[i];
	return NULL;
}

bool hypmem_event_field_get(const struct hypmem_event_field *field, const uint8_t *payload,
			    uint32_t len, uint64_t *ret)
{
	uint64_t v = 0;
	uint32_t size = field->size;

	*ret = 0;
	if (field->array_len || (size != 1 && size != 2 && size != 4 && size != 8) ||
	    field->offset > len || len - field->offset < size)
		return false;
	for (uint32_t i = 0; i < size; i++)
		v |= (uint64_t)payload[field->offset + i] << (8 * i);
	if (field->is_signed && size < 8 && (v >> (size * 8 - 1)))
		v |= ~0ULL << (size * 8);
	*ret = v;
	return true;
}

/* Append to a bounded buffer, counting what would have been written. */
struct out {
	char *buf;
	size_t size, len;
};

static void out_add(struct out *o, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));
static void out_add(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->len < o->size ? o->buf + o->len : NULL,
		      o->len < o->size ? o->size - o->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

/* Append @n bytes (the fast path of out_add("%s")). */
static void out_put(struct out *o, const char *s, size_t n)
{
	if (o->len < o->size) {
		size_t room = o->size - o->len - 1, k = n < room ? n : room;

		memcpy(o->buf + o->len, s, k);
		o->buf[o->len + k] = '\0';
	}
	o->len += n;
}

/* Append @v in decimal or lower-case hex, as printf's %llu / %llx would. */
static void out_num(struct out *o, uint64_t v, bool neg, unsigned int base)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	do {
		*--p = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		*--p = '-';
	out_put(o, p, (size_t)(tmp + sizeof(tmp) - p));
}

static void print_string_field(struct out *o, const struct hypmem_event_field *fl,
			       const uint8_t *payload, uint32_t len)
{
	uint32_t n = fl->size;

	if (fl->offset > len || len - fl->offset < n) {
		out_add(o, "(?)");
		return;
	}
	out_add(o, "%.*s", (int)strnlen((const char *)payload + fl->offset, n),
		(const char *)payload + fl->offset);
}

static void print_seg(struct out *o, const struct hypmem_print_seg *seg,
		      const struct hypmem_event_format *ev, const uint8_t *payload, uint32_t len)
{
	const struct hypmem_event_field *fl = &ev->fields[seg->field];
	char spec[24], conv = seg->spec[strlen(seg->spec) - 1];
	size_t n = 0;
	uint64_t v;

	out_put(o, seg->text, strlen(seg->text));
	if (conv == 's') {
		print_string_field(o, fl, payload, len);
		return;
	}
	if (!hypmem_event_field_get(fl, payload, len, &v)) {
		out_add(o, "(?)");
		return;
	}
	/* Rebuild the conversion with a 64-bit length modifier. */
	for (const char *p = seg->spec; *p && n + 4 < sizeof(spec); p++)
		if (!strchr("hlzjt", *p) && *p != conv)
			spec[n++] = *p;
	/* No flags, width or precision: format by hand. */
	if (n == 1 && (conv == 'u' || conv == 'x')) {
		out_num(o, v, false, conv == 'x' ? 16 : 10);
		return;
	}
	if (conv == 'c' || conv == 'p') {
		spec[n] = '\0';
		if (conv == 'c')
			out_add(o, "%c", (int)(v & 0xff));
		else
			out_add(o, "0x%" PRIx64, v);
		return;
	}
	spec[n++] = 'l';
	spec[n++] = 'l';
	spec[n++] = conv;
	spec[n] = '\0';
	if (conv == 'd' || conv == 'i') {
		/* A narrower %d of an unsigned field still prints its bits signed. */
		if (!fl->is_signed && fl->size < 8 && (v >> (fl->size * 8 - 1)) && fl->size == 4 &&
		    strstr(seg->spec, "ll") == NULL)
			v = (uint64_t)(int64_t)(int32_t)v;
		if (n == 1)
			out_num(o, (int64_t)v < 0 ? -v : v, (int64_t)v < 0, 10);
		else
			out_add(o, spec, (long long)v);
	} else {
		out_add(o, spec, (unsigned long long)v);
	}
}

int hypmem_event_print(const struct hypmem_event_format *ev, const uint8_t *payload, uint32_t len,
		       char *buf, size_t size)
{
	struct out o = {.buf = buf, .size = size};

	if (size)
		buf[0] = '\0';
	if (!ev) {
		out_add(&o, "id=%u len=%u", len >= 2 ? hypmem_event_id(payload) : 0, len);
		return (int)o.len;
	}
	if (ev->segs) {
		for (size_t i = 0; i < ev->nr_segs; i++) {
			if (ev->segs[i].field < 0)
				out_put(&o, ev->segs[i].text, strlen(ev->segs[i].text));
			else
				print_seg(&o, &ev->segs[i], ev, payload, len);
		}
		return (int)o.len;
	}
	for (size_t i = 0; i < ev->nr_fields; i++) {
		const struct hypmem_event_field *fl = &ev->fields[i];
		uint64_t v;

		if (fl->is_common)
			continue;
		out_add(&o, "%s%s=", o.len ? " " : "", fl->name);
		if (fl->array_len && !strcmp(fl->type, "char"))
			print_string_field(&o, fl, payload, len);
		else if (hypmem_event_field_get(fl, payload, len, &v))
			out_add(&o, fl->is_signed ? "%" PRId64 : "0x%" PRIx64, v);
		else
			out_add(&o, "(?)");
	}
	return (int)o.len;
}

int hypmem_event_format_text(const struct hypmem_event_format *ev, char *buf, size_t size)
{
	struct out o = {.buf = buf, .size = size};

	if (size)
		buf[0] = '\0';
	out_add(&o, "name: %s\nID: %u\nformat:\n", ev->name, ev->id);
	for (size_t i = 0; i < ev->nr_fields; i++) {
		const struct hypmem_event_field *fl = &ev->fields[i];
		char arr[24] = "";

		if (fl->array_len)
			snprintf(arr, sizeof(arr), "[%u]", fl->array_len);
		out_add(&o, "\tfield:%s %s%s;\toffset:%u;\tsize:%u;\tsigned:%d;\n", fl->type,
			fl->name, arr, fl->offset, fl->size, fl->is_signed);
		if (fl->is_common && (i + 1 == ev->nr_fields || !ev->fields[i + 1].is_common))
			out_add(&o, "\n");
	}
	out_add(&o, "\nprint fmt: %s\n", ev->print_fmt ? ev->print_fmt : "\"\"");
	return (int)o.len;
}
