// SPDX-License-Identifier: GPL-2.0-only
/*
 * A tracefs pipe read by a thread of its own, so that no caller ever sleeps
 * in a read the kernel will not wake.  See pipe_reader.h.
 */
#include <errno.h>
#include <linux/magic.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "pipe_reader.h"

#define CHUNK (64 * 1024)

struct pipe_reader {
	int fd;
	bool direct; /* a file on disk: read in the caller, no thread */
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t data;  /* bytes arrived or the pipe ended */
	pthread_cond_t space; /* the caller took bytes, or stop */
	uint8_t *buf;	      /* circular, cap bytes */
	size_t cap, head, used;
	bool eof, stop;
	int err;
};

static void *reader_main(void *arg)
{
	struct pipe_reader *pr = arg;
	uint8_t *chunk = malloc(CHUNK);
	int old;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	pthread_cleanup_push(free, chunk);
	for (;;) {
		size_t room;
		ssize_t n;

		pthread_mutex_lock(&pr->lock);
		while (pr->used == pr->cap && !pr->stop)
			pthread_cond_wait(&pr->space, &pr->lock);
		room = pr->cap - pr->used;
		if (pr->stop || !chunk) {
			if (!chunk && !pr->stop) {
				pr->err = ENOMEM;
				pr->eof = true;
				pthread_cond_broadcast(&pr->data);
			}
			pthread_mutex_unlock(&pr->lock);
			break;
		}
		pthread_mutex_unlock(&pr->lock);
		if (room > CHUNK)
			room = CHUNK;
		/* The only place the thread may sleep without a wake-up: cancellable. */
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
		n = read(pr->fd, chunk, room);
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
		if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
			if (errno == EAGAIN) {
				/* A pipe opened non-blocking with nothing yet. */
				struct timespec ts = {0, 20 * 1000 * 1000};

				nanosleep(&ts, NULL);
			}
			continue;
		}
		pthread_mutex_lock(&pr->lock);
		if (n <= 0) {
			pr->eof = true;
			pr->err = n < 0 ? errno : 0;
		} else {
			size_t tail = (pr->head + pr->used) % pr->cap;
			size_t first = pr->cap - tail < (size_t)n ? pr->cap - tail : (size_t)n;

			memcpy(pr->buf + tail, chunk, first);
			memcpy(pr->buf, chunk + first, (size_t)n - first);
			pr->used += (size_t)n;
		}
		pthread_cond_broadcast(&pr->data);
		pthread_mutex_unlock(&pr->lock);
		if (n <= 0)
			break;
	}
	pthread_cleanup_pop(1);
	return NULL;
}

/*
 * A regular file that tracefs or debugfs does not serve (a fixture, an
 * exported tree) ends at EOF and never sleeps: no thread is needed.
 */
static bool never_blocks(int fd)
{
	struct statfs fs;
	struct stat st;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || fstatfs(fd, &fs))
		return false;
	/* tracefs and debugfs are the filesystems whose files may block a read */
	return (unsigned long)fs.f_type != TRACEFS_MAGIC && (unsigned long)fs.f_type != DEBUGFS_MAGIC;
}

struct pipe_reader *pipe_reader_create(int fd, size_t cap)
{
	struct pipe_reader *pr = calloc(1, sizeof(*pr));
	pthread_condattr_t ca;

	if (!pr)
		return NULL;
	pr->fd = fd;
	if (never_blocks(fd)) {
		pr->direct = true;
		return pr;
	}
	pr->cap = cap < CHUNK ? CHUNK : cap;
	pr->buf = malloc(pr->cap);
	pthread_mutex_init(&pr->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pr->data, &ca);
	pthread_cond_init(&pr->space, &ca);
	pthread_condattr_destroy(&ca);
	if (!pr->buf || pthread_create(&pr->thread, NULL, reader_main, pr)) {
		pipe_reader_destroy(pr);
		return NULL;
	}
	pr->started = true;
	return pr;
}

size_t pipe_reader_take(struct pipe_reader *pr, void *buf, size_t len, int wait_ms, bool *eof,
			int *err)
{
	size_t n, first;

	if (pr->direct) {
		ssize_t got;

		do
			got = read(pr->fd, buf, len);
		while (got < 0 && errno == EINTR);
		*eof = got <= 0 && len;
		*err = got < 0 ? errno : 0;
		return got > 0 ? (size_t)got : 0;
	}
	pthread_mutex_lock(&pr->lock);
	if (!pr->used && !pr->eof && wait_ms > 0) {
		struct timespec dl;

		clock_gettime(CLOCK_MONOTONIC, &dl);
		dl.tv_sec += wait_ms / 1000;
		dl.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
		while (!pr->used && !pr->eof)
			if (pthread_cond_timedwait(&pr->data, &pr->lock, &dl) == ETIMEDOUT)
				break;
	}
	n = pr->used < len ? pr->used : len;
	first = pr->cap - pr->head < n ? pr->cap - pr->head : n;
	memcpy(buf, pr->buf + pr->head, first);
	memcpy((uint8_t *)buf + first, pr->buf, n - first);
	pr->head = (pr->head + n) % pr->cap;
	pr->used -= n;
	*eof = pr->eof && !pr->used;
	*err = pr->err;
	if (n)
		pthread_cond_broadcast(&pr->space);
	pthread_mutex_unlock(&pr->lock);
	return n;
}

bool pipe_reader_never_blocks(const struct pipe_reader *pr)
{
	return pr->direct;
}

void pipe_reader_destroy(struct pipe_reader *pr)
{
	if (!pr)
		return;
	if (pr->started) {
		pthread_mutex_lock(&pr->lock);
		pr->stop = true;
		pthread_cond_broadcast(&pr->space);
		pthread_mutex_unlock(&pr->lock);
		/* A thread asleep in read() is woken by the cancellation. */
		pthread_cancel(pr->thread);
		pthread_join(pr->thread, NULL);
	}
	if (pr->fd >= 0)
		close(pr->fd);
	if (pr->direct) {
		free(pr);
		return;
	}
	pthread_cond_destroy(&pr->data);
	pthread_cond_destroy(&pr->space);
	pthread_mutex_destroy(&pr->lock);
	free(pr->buf);
	free(pr);
}
