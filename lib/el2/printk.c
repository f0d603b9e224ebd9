// SPDX-License-Identifier: GPL-2.0-only
/*
 * A small freestanding printf for the EL2 core.  Output longer than the
 * internal buffer of hyp_printf() is written in pieces, never truncated.
 */
#include "el2/printk.h"
#include "el2/types.h"

struct out {
	char *buf;
	size_t size; /* capacity of buf, 0 for console output */
	size_t len;  /* characters produced so far */
	char tmp[128];
	size_t tmp_len;
};

static void out_flush(struct out *o)
{
	if (o->tmp_len)
		hyp_console_write(o->tmp, o->tmp_len);
	o->tmp_len = 0;
}

static void out_char(struct out *o, char c)
{
	if (o->buf) {
		if (o->len + 1 < o->size)
			o->buf[o->len] = c;
	} else {
		if (o->tmp_len == sizeof(o->tmp))
			out_flush(o);
		o->tmp[o->tmp_len++] = c;
	}
	o->len++;
}

static void out_pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		out_char(o, c);
}

struct spec {
	bool left, zero;
	int width;
};

static void out_str(struct out *o, const struct spec *s, const char *str, size_t n)
{
	int pad = s->width > (int)n ? s->width - (int)n : 0;

	if (!s->left)
		out_pad(o, ' ', pad);
	while (n--)
		out_char(o, *str++);
	if (s->left)
		out_pad(o, ' ', pad);
}

static void out_num(struct out *o, const struct spec *s, u64 v, unsigned int base, bool neg,
		    bool upper, const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, plen = 0, pad;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (neg)
		plen = 1;
	else if (prefix)
		plen = 2;
	pad = s->width - n - plen;
	if (!s->left && !s->zero)
		out_pad(o, ' ', pad);
	if (neg)
		out_char(o, '-');
	else if (prefix) {
		out_char(o, prefix[0]);
		out_char(o, prefix[1]);
	}
	if (!s->left && s->zero)
		out_pad(o, '0', pad);
	while (n)
		out_char(o, tmp[--n]);
	if (s->left)
		out_pad(o, ' ', pad);
}

static void format(struct out *o, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		struct spec s = { 0 };
		int lng = 0;

		if (*fmt != '%') {
			out_char(o, *fmt);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '-')
				s.left = true;
			else if (*fmt == '0')
				s.zero = true;
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			s.width = s.width * 10 + (*fmt++ - '0');
		for (;; fmt++) {
			if (*fmt == 'l')
				lng++;
			else if (*fmt == 'z')
				lng = 2;
			else
				break;
		}
		switch (*fmt) {
		case 'c': {
			char c = (char)va_arg(ap, int);

			out_str(o, &s, &c, 1);
			break;
		}
		case 's': {
			const char *str = va_arg(ap, const char *);
			size_t n = 0;

			if (!str)
				str = "(null)";
			while (str[n])
				n++;
			out_str(o, &s, str, n);
			break;
		}
		case 'd':
		case 'i': {
			s64 v = lng ? va_arg(ap, long long) : va_arg(ap, int);

			out_num(o, &s, v < 0 ? -(u64)v : (u64)v, 10, v < 0, false, NULL);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			u64 v = lng ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned int);

			out_num(o, &s, v, *fmt == 'u' ? 10 : 16, false, *fmt == 'X', NULL);
			break;
		}
		case 'p':
			out_num(o, &s, (u64)(uintptr_t)va_arg(ap, void *), 16, false, false, "0x");
			break;
		case '%':
			out_char(o, '%');
			break;
		case '\0':
			return;
		default:
			out_char(o, '%');
			out_char(o, *fmt);
			break;
		}
	}
}

int hyp_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { .buf = buf, .size = size };

	format(&o, fmt, ap);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int hyp_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = hyp_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return ret;
}

void hyp_printf(const char *fmt, ...)
{
	struct out o = { 0 };
	va_list ap;

	va_start(ap, fmt);
	format(&o, fmt, ap);
	va_end(ap);
	out_flush(&o);
}
