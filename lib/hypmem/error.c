// SPDX-License-Identifier: GPL-2.0-only
/* Errors: creation, wrapping of foreign libraries, printing. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h> /* vasprintf */
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <libelf.h>

#include "hypmem/error.h"

struct hypmem_error hypmem_enomem = {
	.code = HYPMEM_ERROR_NO_MEMORY,
	.message = "out of memory",
};

static const char *const error_names[] = {
#define X(name, text) [HYPMEM_ERROR_##name] = #name,
	HYPMEM_ERRORS
#undef X
};

const char *hypmem_error_name(enum hypmem_error_code code)
{
	if ((unsigned int)code >= HYPMEM_ERROR_NR)
		return "UNKNOWN";
	return error_names[code];
}

static struct hypmem_error *error_vcreate(enum hypmem_error_code code, const char *suffix,
					  const char *fmt, va_list ap)
{
	struct hypmem_error *err = calloc(1, sizeof(*err));
	char *msg = NULL;

	if (!err)
		return &hypmem_enomem;
	if (vasprintf(&msg, fmt, ap) < 0) {
		free(err);
		return &hypmem_enomem;
	}
	if (suffix) {
		char *full = NULL;

		if (asprintf(&full, "%s: %s", msg, suffix) < 0) {
			free(msg);
			free(err);
			return &hypmem_enomem;
		}
		free(msg);
		msg = full;
	}
	err->code = code;
	err->message = msg;
	return err;
}

struct hypmem_error *hypmem_error_create(enum hypmem_error_code code, const char *fmt, ...)
{
	struct hypmem_error *err;
	va_list ap;

	va_start(ap, fmt);
	err = error_vcreate(code, NULL, fmt, ap);
	va_end(ap);
	return err;
}

struct hypmem_error *hypmem_error_fault(uint64_t address, const char *fmt, ...)
{
	struct hypmem_error *err;
	va_list ap;

	va_start(ap, fmt);
	err = error_vcreate(HYPMEM_ERROR_FAULT, NULL, fmt, ap);
	va_end(ap);
	if (err != &hypmem_enomem) {
		err->has_address = true;
		err->address = address;
	}
	return err;
}

struct hypmem_error *hypmem_error_os(int errnum, const char *fmt, ...)
{
	struct hypmem_error *err;
	va_list ap;

	va_start(ap, fmt);
	err = error_vcreate(HYPMEM_ERROR_OS, strerror(errnum), fmt, ap);
	va_end(ap);
	if (err != &hypmem_enomem)
		err->errnum = errnum;
	return err;
}

struct hypmem_error *hypmem_error_libelf(const char *what)
{
	return hypmem_error_create(HYPMEM_ERROR_ELF, "%s: %s", what, elf_errmsg(-1));
}

struct hypmem_error *hypmem_error_libdw(const char *what)
{
	return hypmem_error_create(HYPMEM_ERROR_DWARF, "%s: %s", what, dwarf_errmsg(-1));
}

void hypmem_error_destroy(struct hypmem_error *err)
{
	if (!err || err == &hypmem_enomem)
		return;
	free(err->message);
	free(err);
}

bool hypmem_error_catch(struct hypmem_error **errp, enum hypmem_error_code code)
{
	if (*errp && (*errp)->code == code) {
		hypmem_error_destroy(*errp);
		*errp = NULL;
		return true;
	}
	return false;
}

