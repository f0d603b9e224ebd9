// SPDX-License-Identifier: GPL-2.0-only
/* Shared command-line handling for the hypmem commands. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "hypmem/cli.h"

bool hypmem_cli_u64(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
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
		printf("%s (hypmem) %s\n", prog, HYPMEM_VERSION);
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

int hypmem_cli_error(const char *prog, struct hypmem_error *err)
{
	hypmem_error_fprint(stderr, prog, err);
	hypmem_error_destroy(err);
	return HYPMEM_EXIT_USAGE;
}
