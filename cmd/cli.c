// SPDX-License-Identifier: GPL-2.0-only
/* Shared command-line handling for the hypmem commands. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hypmem/render.h"
#include "hypmem_version.h" /* generated: VERSION, git revision, features */

void hypmem_cli_version(FILE *out, const char *prog)
{
	fprintf(out, "%s (hypmem) %s\ngit %s\nfeatures: %s\n", prog, HYPMEM_VERSION,
		HYPMEM_GIT_REV, HYPMEM_FEATURES);
}

bool hypmem_cli_u64(const char *s, uint64_t *ret)
{
	const char *digits;
	char *end;
	unsigned long long v;
	bool hex;

	/* Decimal or 0x-hex only: no sign, no blanks, no octal "010". */
	if (!s)
		return false;
	hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	digits = hex ? s + 2 : s;
	if (hex ? !isxdigit((unsigned char)*digits) : !isdigit((unsigned char)*digits))
		return false;
	errno = 0;
	v = strtoull(digits, &end, hex ? 16 : 10);
	if (errno || *end)
		return false;
	*ret = v;
	return true;
}

int hypmem_cli_target_option(const char *prog, struct hypmem_target_config *cfg, int opt,
			     const char *arg, bool *json)
{
	switch (opt) {
	case 's':
		cfg->vmlinux = arg;
		return 1;
	case 'c':
		cfg->core = arg;
		return 1;
	case HYPMEM_OPT_RAW:
		cfg->raw_spec = arg;
		return 1;
	case HYPMEM_OPT_KASLR:
		if (!hypmem_cli_u64(arg, &cfg->kaslr_offset)) {
			fprintf(stderr, "%s: --kaslr-offset: bad number '%s'\n", prog, arg);
			return -1;
		}
		cfg->kaslr_offset_set = true;
		return 1;
	case HYPMEM_OPT_KIMAGE_VOFFSET:
		if (!hypmem_cli_u64(arg, &cfg->kimage_voffset)) {
			fprintf(stderr, "%s: --kimage-voffset: bad number '%s'\n", prog, arg);
			return -1;
		}
		cfg->kimage_voffset_set = true;
		return 1;
	case HYPMEM_OPT_JSON:
		*json = true;
		return 1;
	case HYPMEM_OPT_FORCE:
		cfg->force = true;
		return 1;
	case HYPMEM_OPT_VERSION:
		hypmem_cli_version(stdout, prog);
		exit(HYPMEM_EXIT_OK);
	default:
		return 0;
	}
}

int hypmem_cli_positional(const char *prog, struct hypmem_target_config *cfg, int argc,
			  char **argv, bool need_core)
{
	int i = 0;

	if (!cfg->vmlinux && i < argc)
		cfg->vmlinux = argv[i++];
	if (!cfg->core && !cfg->raw_spec && i < argc)
		cfg->core = argv[i++];
	if (i < argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (try --help)\n", prog, argv[i]);
		return -1;
	}
	if (!cfg->vmlinux) {
		fprintf(stderr, "%s: no VMLINUX given (try --help)\n", prog);
		return -1;
	}
	if (need_core && !cfg->core && !cfg->raw_spec) {
		fprintf(stderr, "%s: no VMCORE given (try --help)\n", prog);
		return -1;
	}
	if (cfg->core && cfg->raw_spec) {
		fprintf(stderr, "%s: give either a VMCORE or --raw, not both\n", prog);
		return -1;
	}
	return 0;
}

/* 1 for a crash dump (ELF core, kdump-compressed), 0 for anything else. */
static int is_dump(const char *path)
{
	unsigned char b[18] = { 0 };
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return 0;
	n = fread(b, 1, sizeof(b), f);
	fclose(f);
	if (n >= 8 && (!memcmp(b, "KDUMP   ", 8) || !memcmp(b, "makedumpfile", 8)))
		return 1;
	/* ELF64 little-endian, e_type ET_CORE. */
	return n == sizeof(b) && !memcmp(b, "\177ELF", 4) && b[5] == 1 && b[16] == 4 && b[17] == 0;
}

int hypmem_cli_open(const char *prog, const struct hypmem_target_config *cfg,
		    struct hypmem_target **ret)
{
	struct hypmem_error *err = hypmem_target_open(cfg, ret);

	if (!err)
		return 0;
	if (cfg->vmlinux && is_dump(cfg->vmlinux) && (!cfg->core || !is_dump(cfg->core))) {
		fprintf(stderr,
			"%s: %s is a dump, not a vmlinux: the order is VMLINUX VMCORE (swapped?)\n",
			prog, cfg->vmlinux);
		hypmem_error_destroy(err);
		return HYPMEM_EXIT_USAGE;
	}
	return hypmem_cli_error(prog, err);
}

int hypmem_cli_try_help(const char *prog)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", prog);
	return HYPMEM_EXIT_USAGE;
}

int hypmem_cli_error(const char *prog, struct hypmem_error *err)
{
	hypmem_error_fprint(stderr, prog, err);
	hypmem_error_destroy(err);
	return HYPMEM_EXIT_USAGE;
}
