/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hypmem errors: "cannot continue" conditions.
 *
 * A function that can fail returns a struct hypmem_error *; NULL means
 * success.  The caller owns a non-NULL error and releases it with
 * hypmem_error_destroy().  Out-of-memory is a static object so that reporting
 * it never allocates; hypmem_error_destroy() ignores it.
 *
 * Corrupt target data is *not* an error: it is a finding (see findings.h) and
 * decoding goes on.  Errors are for a missing file, an unreadable source, a
 * vmlinux without the DWARF we need, an address the target does not hold, or
 * memory exhaustion.
 *
 * Foreign libraries (libelf, libdw, libkdumpfile, json-c) are wrapped once
 * here, so no caller reads their thread-local error state.
 */
#ifndef HYPMEM_ERROR_H
#define HYPMEM_ERROR_H

#include <stdbool.h>
#include <stdint.h>

/* X(name, text): one list, expanded into the enum and the name table. */
#define HYPMEM_ERRORS                                                          \
	X(NO_MEMORY, "out of memory")                                          \
	X(INVALID_ARGUMENT, "invalid argument")                                \
	X(OS, "operating system error")                                        \
	X(ELF, "ELF error")                                                    \
	X(DWARF, "DWARF error")                                                \
	X(KDUMP, "kdump file error")                                           \
	X(FORMAT, "unsupported or malformed file")                             \
	X(FAULT, "address not present in target")                              \
	X(LOOKUP, "not found")                                                 \
	X(OVERFLOW, "value out of range")                                      \
	X(STOP, "stopped")                                                     \
	X(OTHER, "error")

enum hypmem_error_code {
#define X(name, text) HYPMEM_ERROR_##name,
	HYPMEM_ERRORS
#undef X
	HYPMEM_ERROR_NR
};

struct hypmem_error {
	enum hypmem_error_code code;
	/* errno for HYPMEM_ERROR_OS, 0 otherwise. */
	int errnum;
	/* For HYPMEM_ERROR_FAULT: the address that could not be read. */
	bool has_address;
	uint64_t address;
	/* Human-readable, one line, no trailing newline. Owned by the error. */
	char *message;
};

/* The one static out-of-memory error. */
extern struct hypmem_error hypmem_enomem;

/**
 * hypmem_error_create() - Create an error with a printf-style message.
 * @code: error code.
 * @fmt: message format.
 *
 * Return: the new error; &hypmem_enomem if allocating it failed. Never NULL.
 */
struct hypmem_error *hypmem_error_create(enum hypmem_error_code code, const char *fmt, ...)
	__attribute__((__format__(__printf__, 2, 3), __returns_nonnull__));

/**
 * hypmem_error_fault() - Create a HYPMEM_ERROR_FAULT error for @address.
 * @address: the address (physical or virtual, as the message says).
 * @fmt: message format.
 *
 * Return: the new error, never NULL.
 */
struct hypmem_error *hypmem_error_fault(uint64_t address, const char *fmt, ...)
	__attribute__((__format__(__printf__, 2, 3), __returns_nonnull__));

/**
 * hypmem_error_os() - Create a HYPMEM_ERROR_OS error from @errnum.
 * @errnum: errno value.
 * @fmt: what failed, e.g. "open(%s)"; strerror(@errnum) is appended.
 *
 * Return: the new error, never NULL.
 */
struct hypmem_error *hypmem_error_os(int errnum, const char *fmt, ...)
	__attribute__((__format__(__printf__, 2, 3), __returns_nonnull__));

/** hypmem_error_libelf() - Wrap elf_errmsg(-1). @what: context. */
struct hypmem_error *hypmem_error_libelf(const char *what) __attribute__((__returns_nonnull__));

/** hypmem_error_libdw() - Wrap dwarf_errmsg(-1). @what: context. */
struct hypmem_error *hypmem_error_libdw(const char *what) __attribute__((__returns_nonnull__));

/**
 * hypmem_error_destroy() - Free an error.
 * @err: the error; NULL and &hypmem_enomem are ignored.
 */
void hypmem_error_destroy(struct hypmem_error *err);

/**
 * hypmem_error_catch() - Swallow an error of a given code.
 * @errp: in/out error pointer.
 * @code: the code to catch.
 *
 * Return: true if *@errp had @code; it is then destroyed and *@errp set to
 * NULL. false otherwise, *@errp unchanged.
 */
bool hypmem_error_catch(struct hypmem_error **errp, enum hypmem_error_code code);

/** hypmem_error_name() - Short name of @code, e.g. "FAULT". */
const char *hypmem_error_name(enum hypmem_error_code code);


#endif /* HYPMEM_ERROR_H */
