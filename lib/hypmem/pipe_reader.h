/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A reader of one tracefs pipe that never blocks its caller.
 *
 * The hypervisor's pipes ignore O_NONBLOCK and have no poll method: a read
 * of an empty CPU buffer sleeps in the kernel until an event arrives
 * (mainline remotes/hypervisor/per_cpu/cpuN/trace_pipe, Android's
 * hyp/per_cpu/cpuN/trace_pipe_raw), and poll() says "readable" all along.
 * So each pipe gets a thread that does the blocking reads into a bounded
 * buffer; the caller takes what is there, waiting at most a given time.
 * Regular files on other filesystems (fixtures, exported trees) cannot block:
 * they are read directly by the caller, without a thread or a buffer.
 * FIFOs take the thread path as tracefs files do.  Destroying the reader
 * cancels a thread stuck in read().
 *
 * Internal to lib/hypmem.
 */
#ifndef HYPMEM_PIPE_READER_H
#define HYPMEM_PIPE_READER_H

#include <stdbool.h>
#include <stddef.h>

struct pipe_reader;

/* Start reading @fd (owned from now on; closed by pipe_reader_destroy). */
struct pipe_reader *pipe_reader_create(int fd, size_t cap);

/*
 * Move up to @len buffered bytes to @buf.  If none are buffered and the
 * pipe is not at its end, wait for some at most @wait_ms milliseconds.
 * Returns the bytes moved; *@eof says the pipe ended (EOF or read error,
 * *@err its errno, 0 for EOF) and nothing is left.
 */
size_t pipe_reader_take(struct pipe_reader *pr, void *buf, size_t len, int wait_ms, bool *eof,
			int *err);

/* True for a file read without a thread (see above): it ends, it never waits. */
bool pipe_reader_never_blocks(const struct pipe_reader *pr);

void pipe_reader_destroy(struct pipe_reader *pr);

#endif /* HYPMEM_PIPE_READER_H */
