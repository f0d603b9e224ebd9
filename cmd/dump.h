/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the hypmem-dump subcommands share: the parsed options, and the
 * subcommands that live in files of their own (dump_trace.c).
 */
#ifndef HYPMEM_CMD_DUMP_H
#define HYPMEM_CMD_DUMP_H

#include <stdbool.h>
#include <stdint.h>

#include "hypmem/trace.h"
#include "hypmem/trace_filter.h"

struct hypmem_target;

struct dump_args {
	bool json;
	uint64_t first, end; /* PFN range, end exclusive */
	const char *tracefs, *output, *export_dir;
	enum hypmem_tracefs_shape export_shape;
	bool stats;
	const char *svg;
	struct hypmem_trace_filter filter; /* trace: -e, --cpu, --since, --until */
	bool json_lines;		   /* trace: one JSON object per line */
};

/* trace: T is NULL when reading a tracefs directory (a->tracefs). */
int cmd_trace(struct hypmem_target *t, const struct dump_args *a);

#endif
