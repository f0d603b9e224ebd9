// SPDX-License-Identifier: GPL-2.0-only
/*
 * kdump-compressed dumps in a static build (make STATIC=1): Debian ships
 * libkdumpfile as a shared library only, so a static hypmem cannot read
 * them.  It says so instead of guessing.  Built in place of source_kdump.c.
 */
#include "../source_priv.h"

struct hypmem_error *hypmem_source_open_kdump(const char *path, int fd, struct hypmem_source **ret)
{
	(void)fd;
	*ret = NULL;
	return hypmem_error_create(HYPMEM_ERROR_FORMAT,
				   "%s: kdump-compressed dump, but this is a static build "
				   "without libkdumpfile (use an ELF core, or a dynamic build)",
				   path);
}
