/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * trace.dat (trace-cmd file format version 6) output.  The text and JSON
 * forms of trace records are in render.h.
 *
 * The writer re-encodes events into kernel-format pages (4-byte aligned,
 * short form where possible) rather than copying the hypervisor's pages:
 * the pKVM writer does not round event sizes to 4 bytes, which readers that
 * round (libtraceevent, hence trace-cmd) would mis-step on.  Lost events
 * become the missed-events flag and stored count of the next page, which
 * trace-cmd prints as "[LOST n EVENTS]".
 *
 * What this module leaves to others: reading the records (trace.h).
 */
#ifndef HYPMEM_TRACEDAT_H
#define HYPMEM_TRACEDAT_H

#include <stdio.h>

#include "hypmem/events.h"
#include "hypmem/trace.h"

struct hypmem_tracedat;
/** hypmem_tracedat_create() - A writer for up to @nr_cpus CPUs. */
struct hypmem_error *hypmem_tracedat_create(unsigned int nr_cpus, struct hypmem_tracedat **ret);
void hypmem_tracedat_destroy(struct hypmem_tracedat *td);

/** hypmem_tracedat_add() - Append a record (events of a CPU in time order). */
struct hypmem_error *hypmem_tracedat_add(struct hypmem_tracedat *td,
					 const struct hypmem_trace_rec *rec);

/**
 * hypmem_tracedat_write() - Write the file.
 * @td: the records.
 * @formats: the event formats (one system per distinct system name).
 * @path: the output; written to PATH.tmp and renamed when complete.
 *
 * Return: NULL or HYPMEM_ERROR_OS.
 */
struct hypmem_error *hypmem_tracedat_write(struct hypmem_tracedat *td,
					   const struct hypmem_event_formats *formats,
					   const char *path);

#endif /* HYPMEM_TRACEDAT_H */
