/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Scratch directory trees for unit tests that hand a reader a tracefs-like
 * directory: make a path with its parents, and remove a tree again.
 */
#ifndef HYPMEM_TESTS_TMPTREE_H
#define HYPMEM_TESTS_TMPTREE_H

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

/* ROOT/REL and each missing parent below ROOT (errors show up later, at use). */
static inline void tmptree_mkdirs(const char *root, const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
}

static inline int tmptree_rm_one(const char *path, const struct stat *st, int flag,
				 struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Remove DIR and everything below it (not following symlinks). */
static inline void tmptree_rm(const char *dir)
{
	nftw(dir, tmptree_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
