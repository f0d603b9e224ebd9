/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Command-line plumbing shared by the hypmem commands (cmd/, linked into
 * every command, not part of the installed library): the target options
 * every command takes (the crash(8) convention "VMLINUX VMCORE", or
 * -s/--symbols and -c/--core, or --raw FILE@PHYS) and number parsing.
 * Exit codes are the commands' contract: 0 clean, 1 findings reported,
 * 2 usage error or unreadable input.
 */
#ifndef HYPMEM_CLI_H
#define HYPMEM_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hypmem/target.h"

#define HYPMEM_EXIT_OK	     0
#define HYPMEM_EXIT_FINDINGS 1
#define HYPMEM_EXIT_USAGE    2

/* Long-option values above the ASCII range for the shared options. */
enum {
	HYPMEM_OPT_RAW = 0x1000,
	HYPMEM_OPT_KASLR,
	HYPMEM_OPT_KIMAGE_VOFFSET,
	HYPMEM_OPT_JSON,
	HYPMEM_OPT_VERSION,
	HYPMEM_OPT_FORCE,
	HYPMEM_OPT_FIRST_PRIVATE = 0x1100,
};

/* The getopt_long entries for the shared options (terminated by a zero entry). */
#define HYPMEM_CLI_TARGET_OPTIONS                                              \
	{ "symbols", required_argument, NULL, 's' },                           \
		{ "core", required_argument, NULL, 'c' },                      \
		{ "raw", required_argument, NULL, HYPMEM_OPT_RAW },            \
		{ "kaslr-offset", required_argument, NULL, HYPMEM_OPT_KASLR }, \
		{ "kimage-voffset", required_argument, NULL,                   \
		  HYPMEM_OPT_KIMAGE_VOFFSET },                                 \
		{ "json", no_argument, NULL, HYPMEM_OPT_JSON },                \
		{ "force", no_argument, NULL, HYPMEM_OPT_FORCE },              \
		{ "help", no_argument, NULL, 'h' },                            \
		{ "version", no_argument, NULL, HYPMEM_OPT_VERSION }

/**
 * hypmem_cli_target_option() - Handle one shared option.
 * @cfg: the target configuration being built.
 * @opt: getopt's return value.
 * @arg: optarg.
 * @json: set for --json.
 *
 * Return: 1 if handled, 0 if not a shared option, -1 on a bad value (a
 * message was printed).
 */
int hypmem_cli_target_option(const char *prog, struct hypmem_target_config *cfg, int opt,
			     const char *arg, bool *json);

/**
 * hypmem_cli_positional() - Take VMLINUX and VMCORE from the remaining
 * arguments when -s/-c did not give them.
 *
 * Return: 0, or -1 after printing a usage message.
 */
int hypmem_cli_positional(const char *prog, struct hypmem_target_config *cfg, int argc,
			  char **argv, bool need_core);

/**
 * hypmem_cli_version() - Print "prog (hypmem) VERSION", the git revision it
 * was built from and the optional features compiled in.
 */
void hypmem_cli_version(FILE *out, const char *prog);

/** hypmem_cli_u64() - Parse decimal or 0x-hex; false on junk or overflow. */
bool hypmem_cli_u64(const char *s, uint64_t *ret);

/**
 * hypmem_cli_open() - hypmem_target_open() for a command: on failure print
 * one line saying why (suggesting the swap when VMLINUX is a dump and VMCORE
 * an image, crash's order being easy to get backwards).
 *
 * Return: 0 with *@ret set, or HYPMEM_EXIT_USAGE after printing.
 */
int hypmem_cli_open(const char *prog, const struct hypmem_target_config *cfg,
		    struct hypmem_target **ret);

/**
 * hypmem_cli_try_help() - After getopt said what was wrong, point at --help.
 *
 * Return: HYPMEM_EXIT_USAGE.
 */
int hypmem_cli_try_help(const char *prog);

/** hypmem_cli_error() - Print "prog: message", destroy @err, return 2. */
int hypmem_cli_error(const char *prog, struct hypmem_error *err);

#endif /* HYPMEM_CLI_H */
