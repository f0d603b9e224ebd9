// SPDX-License-Identifier: GPL-2.0-only
/*
 * Trace reader over a tracefs hypervisor remote: raw pages (Android hyp/,
 * with their footer) or text pipes (mainline 7.x remotes/hypervisor/),
 * each pipe read by a thread so that no poll blocks.  See
 * include/hypmem/trace.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "trace_priv.h"


/* --- tracefs source --- */

char *trace_path_join(const char *a, const char *b)
{
	char *p;

	if (asprintf(&p, "%s/%s", a, b) < 0)
		return NULL;
	return p;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static struct hypmem_error *read_small_file(const char *path, char **ret, size_t *len_ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (fd < 0)
		return hypmem_error_os(errno, "open(%s)", path);
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			char *nb;

			if (cap >= MAX_FORMAT_TEXT) {
				close(fd);
				free(buf);
				return hypmem_error_create(HYPMEM_ERROR_FORMAT, "%s: too large",
							   path);
			}
			nb = realloc(buf, cap + 8192 + 1);
			if (!nb) {
				close(fd);
				free(buf);
				return &hypmem_enomem;
			}
			buf = nb;
			cap += 8192;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			free(buf);
			return hypmem_error_os(e, "read(%s)", path);
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*ret = buf;
	*len_ret = len;
	return NULL;
}

/* events/<system>/<event>/format for every system and event. */
static struct hypmem_error *read_formats_tracefs(struct hypmem_trace *tr, const char *root)
{
	char *events = trace_path_join(root, "events");
	struct hypmem_error *err = NULL;
	DIR *sys_dir;
	struct dirent *sys;

	if (!events)
		return &hypmem_enomem;
	sys_dir = opendir(events);
	if (!sys_dir) {
		err = hypmem_error_os(errno, "opendir(%s)", events);
		free(events);
		return err;
	}
	while (!err && (sys = readdir(sys_dir))) {
		char *sys_path;
		DIR *ev_dir;
		struct dirent *ev;

		if (sys->d_name[0] == '.')
			continue;
		sys_path = trace_path_join(events, sys->d_name);
		if (!sys_path) {
			err = &hypmem_enomem;
			break;
		}
		ev_dir = is_dir(sys_path) ? opendir(sys_path) : NULL;
		while (ev_dir && !err && (ev = readdir(ev_dir))) {
			char *fmt_path, *text;
			size_t len;

			if (ev->d_name[0] == '.')
				continue;
			if (asprintf(&fmt_path, "%s/%s/format", sys_path, ev->d_name) < 0) {
				err = &hypmem_enomem;
				break;
			}
			if (!access(fmt_path, R_OK)) {
				err = read_small_file(fmt_path, &text, &len);
				if (!err) {
					err = hypmem_event_formats_parse(&tr->formats, text, len,
									 sys->d_name);
					free(text);
				}
			}
			free(fmt_path);
		}
		if (ev_dir)
			closedir(ev_dir);
		free(sys_path);
	}
	closedir(sys_dir);
	free(events);
	return err;
}

/*
 * The hypervisor remotes' format files (mainline trace_remote and Android's
 * hyp/ alike) print each field at the sum of the sizes before it, ignoring
 * alignment: hyp_enter's pid_t vcpu reads "offset:3", stored at 4.  The
 * records are ordinary C structs after a 2-byte id, so when a remote's
 * offsets are packed like that, lay the fields out again with natural
 * alignment.  Returns the number of events changed.
 */
static size_t fix_remote_layout(struct hypmem_event_formats *f)
{
	size_t changed = 0;

	for (size_t i = 0; i < f->nr; i++) {
		struct hypmem_event_format *ev = &f->events[i];
		uint32_t packed = 0, off = 0, end = 0;
		bool is_packed = true, differs = false;

		for (size_t j = 0; j < ev->nr_fields; j++) {
			const struct hypmem_event_field *fl = &ev->fields[j];

			if (fl->offset != packed)
				is_packed = false;
			packed = fl->offset + fl->size;
		}
		if (!is_packed)
			continue;
		for (size_t j = 0; j < ev->nr_fields; j++) {
			struct hypmem_event_field *fl = &ev->fields[j];
			uint32_t elem = fl->array_len ? fl->size / fl->array_len : fl->size;
			uint32_t align = 1;

			while (align < elem && align < 8)
				align <<= 1;
			if (align != elem && elem <= 8)
				align = 1; /* not a scalar size: bytes */
			off = (off + align - 1) & ~(align - 1);
			if (fl->offset != off)
				differs = true;
			fl->offset = off;
			off += fl->size;
			end = off;
		}
		if (differs) {
			ev->size = end;
			changed++;
		}
	}
	return changed;
}

/*
 * The sub-buffer size and long size from events/header_page, if present.
 * @footer_ok: the remote may end its pages in a footer (Android's hyp/):
 * header_page then gives a data area that stops ANDROID_FOOTER bytes short
 * of a power-of-two page.
 */
static struct hypmem_error *read_header_page(struct hypmem_trace *tr, const char *root,
					     bool footer_ok)
{
	char *path = trace_path_join(root, "events/header_page"), *text, *p;
	size_t len;
	unsigned int off, size;
	struct hypmem_error *err;

	if (!path)
		return &hypmem_enomem;
	/* Optional: without it, the defaults hold. */
	if ((err = read_small_file(path, &text, &len))) {
		hypmem_error_destroy(err);
		free(path);
		return NULL;
	}
	p = strstr(text, "commit;");
	if (p && sscanf(p, "commit;%*[ \t]offset:%u;%*[ \t]size:%u;", &off, &size) == 2 &&
	    (size == 4 || size == 8))
		tr->long_size = size;
	p = strstr(text, "data;");
	if (p && sscanf(p, "data;%*[ \t]offset:%u;%*[ \t]size:%u;", &off, &size) == 2 &&
	    off <= 16 && size >= 256 && size <= MAX_PAGE_SIZE) {
		uint32_t data_end = off + size;

		if (!(data_end & (data_end - 1))) {
			tr->page_size = data_end;
		} else if (footer_ok && !((data_end + ANDROID_FOOTER) & (data_end + ANDROID_FOOTER - 1))) {
			tr->page_size = data_end + ANDROID_FOOTER;
			tr->footer = ANDROID_FOOTER;
		} else {
			err = hypmem_error_create(HYPMEM_ERROR_FORMAT,
						  "%s: a data area ending at %u is no page "
						  "%s",
						  path, data_end,
						  footer_ok ? "with or without a 32-byte footer"
							    : "(no footer expected here)");
		}
	}
	free(text);
	free(path);
	return err;
}

/* A candidate directory for the hypervisor's remote, and what it offers. */
struct remote_probe {
	const char *sub;  /* under the directory given */
	bool footer_ok;	  /* Android hyp/ */
};

static bool readable(const char *dir, const char *rel)
{
	char *p = trace_path_join(dir, rel);
	bool ok = p && !access(p, R_OK);

	free(p);
	return ok;
}

/* Does @path name a remote directory itself (…/remotes/hypervisor or …/hyp)? */
static const struct remote_probe *remote_of_path(const char *path, const struct remote_probe *probes,
						 size_t nr)
{
	size_t len = strlen(path);

	while (len > 1 && path[len - 1] == '/')
		len--;
	for (size_t i = 0; i < nr; i++) {
		size_t n = strlen(probes[i].sub);

		if (len >= n && !strncmp(path + len - n, probes[i].sub, n) &&
		    (len == n || path[len - n - 1] == '/'))
			return &probes[i];
	}
	return NULL;
}

/* --- the tracefs source's operations --- */

static bool count_event(const struct hypmem_rb_event *ev, void *arg)
{
	struct counter *co = arg;

	co->c->st.read++;
	return trace_count_one(co, ev->ts, ev->payload, ev->len);
}

static struct hypmem_error *count_tracefs(struct hypmem_trace *tr, struct counter *co)
{
	struct cpu_state *c = co->c;
	struct hypmem_error *err, *none = NULL;

	c->done = false;
	while (tr->flavour == TFS_TEXT && !co->stop) {
		c->nr_recs = 0;
		c->next = 0;
		if ((err = trace_tracefs_next_page(tr, co->cpu)) || !c->nr_recs)
			return err;
		for (size_t i = 0; i < c->nr_recs && !co->stop; i++) {
			const struct pending_rec *r = &c->recs[i];

			if (!r->lost)
				trace_count_one(co, r->ts, c->pay + r->off, r->len);
			else if (r->count != HYPMEM_TRACE_LOST_UNKNOWN)
				co->k->lost += r->count;
		}
	}
	while (!co->stop) {
		struct hypmem_rb_page_info info;
		const uint8_t *page;
		uint64_t lost;
		bool have;

		if ((err = trace_tracefs_fill(tr, c, co->cpu, &have)) || !have)
			return err;
		page = c->rbuf + c->rpos;
		if (trace_tracefs_page_missed(tr, c, page, &lost) && lost != HYPMEM_TRACE_LOST_UNKNOWN)
			co->k->lost += lost;
		if ((err = trace_decode_page(tr, c, co->cpu, page, 0, c->page_no * tr->page_size,
				       count_event, co, &none, &c->findings, &info)))
			return err;
		if (tr->keep && (err = trace_keep_page(tr, c, page)))
			return err;
		c->rpos += tr->page_size;
		c->page_no++;
	}
	return NULL;
}

static const uint8_t *tracefs_payloads(const struct hypmem_trace *tr, const struct cpu_state *c)
{
	return tr->flavour == TFS_TEXT ? c->pay : c->rbuf;
}

static struct hypmem_error *tracefs_poll_end(struct hypmem_trace *tr)
{
	struct hypmem_error *err = NULL;

	for (unsigned int cpu = 0; cpu < tr->nr_cpus; cpu++) {
		struct hypmem_error *e = trace_tracefs_flush_findings(tr, &tr->cpus[cpu]);

		if (!err)
			err = e;
	}
	return err;
}

/* Pipes are read a page (or a batch of lines) at a time, while merging. */
static const struct trace_source_ops tracefs_ops = {
    .poll_begin = trace_tracefs_start_deadline,
    .more = trace_tracefs_next_page,
    .payloads = tracefs_payloads,
    .count = count_tracefs,
    .poll_end = tracefs_poll_end,
};

struct hypmem_error *hypmem_trace_open_tracefs(const char *dir, struct hypmem_trace **ret)
{
	/*
	 * Only a hypervisor remote, never the tracing root: its per_cpu/ pipes
	 * are the host's own buffers, and reading them would consume the
	 * user's trace.
	 */
	static const struct remote_probe probes[] = {
	    {"remotes/hypervisor", false},
	    {"hyp", true},
	};
	const size_t nr_probes = sizeof(probes) / sizeof(probes[0]);
	struct hypmem_trace *tr = calloc(1, sizeof(*tr));
	const struct remote_probe *rp = NULL;
	struct hypmem_error *err = NULL;
	char *root = NULL;
	const char *pipe_name = NULL;

	if (!tr)
		return &hypmem_enomem;
	tr->kind = SRC_TRACEFS;
	tr->ops = &tracefs_ops;
	tr->page_size = DEFAULT_PAGE_SIZE;
	tr->long_size = 8;
	tr->wait_ms = DEFAULT_WAIT_MS;
	hypmem_event_formats_init(&tr->formats);
	hypmem_findings_init(&tr->findings);
	/* DIR itself may be the remote; else a remote inside DIR. */
	if ((rp = remote_of_path(dir, probes, nr_probes)) && !(root = strdup(dir))) {
		err = &hypmem_enomem;
		goto fail;
	}
	for (size_t i = 0; !root && i < nr_probes; i++) {
		char *r = trace_path_join(dir, probes[i].sub);

		if (!r) {
			err = &hypmem_enomem;
			goto fail;
		}
		if (is_dir(r)) {
			root = r;
			rp = &probes[i];
		} else {
			free(r);
		}
	}
	if (root && readable(root, "per_cpu/cpu0/trace_pipe_raw")) {
		tr->flavour = TFS_RAW;
		pipe_name = "trace_pipe_raw";
	} else if (root && !rp->footer_ok && readable(root, "per_cpu/cpu0/trace_pipe")) {
		tr->flavour = TFS_TEXT;
		pipe_name = "trace_pipe";
	}
	if (!pipe_name) {
		err = hypmem_error_create(
		    HYPMEM_ERROR_LOOKUP,
		    "%s: no hypervisor trace remote: looked for "
		    "remotes/hypervisor/per_cpu/cpu0/trace_pipe_raw or trace_pipe (mainline) "
		    "and hyp/per_cpu/cpu0/trace_pipe_raw (Android)%s; the host's own "
		    "per_cpu/ buffers are never read",
		    dir, root ? " in the directory found" : "");
		goto fail;
	}
	if ((err = read_header_page(tr, root, rp->footer_ok)))
		goto fail;
	if ((err = read_formats_tracefs(tr, root)))
		goto fail;
	fix_remote_layout(&tr->formats);
	tr->cpus = calloc(HYPMEM_TRACE_MAX_CPUS, sizeof(*tr->cpus));
	tr->nr_slots = tr->cpus ? HYPMEM_TRACE_MAX_CPUS : 0;
	if (!tr->cpus) {
		err = &hypmem_enomem;
		goto fail;
	}
	for (unsigned int cpu = 0; cpu < HYPMEM_TRACE_MAX_CPUS; cpu++) {
		struct cpu_state *c = &tr->cpus[cpu];
		char *p;
		int fd;

		c->fd = -1;
		if (asprintf(&p, "%s/per_cpu/cpu%u/%s", root, cpu, pipe_name) < 0) {
			err = &hypmem_enomem;
			goto fail;
		}
		/*
		 * O_NONBLOCK only so that opening a FIFO does not wait for its
		 * writer; the reader thread then reads blocking, as the
		 * hypervisor's pipes do whatever the flag says.
		 */
		fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		free(p);
		if (fd < 0)
			break;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		c->pr = pipe_reader_create(fd, PIPE_BYTES);
		if (!c->pr) {
			close(fd);
			err = &hypmem_enomem;
			goto fail;
		}
		tr->nr_cpus = cpu + 1;
	}
	free(root);
	*ret = tr;
	return NULL;
fail:
	free(root);
	hypmem_trace_destroy(tr);
	return err;
}

void hypmem_trace_set_wait(struct hypmem_trace *tr, int wait_ms)
{
	tr->wait_ms = wait_ms < 0 ? 0 : wait_ms;
}

/* Milliseconds left before the poll's deadline (0 if past). */
static int ms_left(const struct hypmem_trace *tr)
{
	struct timespec now;
	int64_t ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)(tr->deadline.tv_sec - now.tv_sec) * 1000 +
	     (tr->deadline.tv_nsec - now.tv_nsec) / 1000000;
	return ms <= 0 ? 0 : ms > INT32_MAX ? INT32_MAX : (int)ms;
}

void trace_tracefs_start_deadline(struct hypmem_trace *tr)
{
	clock_gettime(CLOCK_MONOTONIC, &tr->deadline);
	tr->deadline.tv_sec += tr->wait_ms / 1000;
	tr->deadline.tv_nsec += (long)(tr->wait_ms % 1000) * 1000000L;
	if (tr->deadline.tv_nsec >= 1000000000L) {
		tr->deadline.tv_sec++;
		tr->deadline.tv_nsec -= 1000000000L;
	}
	for (unsigned int cpu = 0; cpu < tr->nr_cpus; cpu++)
		tr->cpus[cpu].late_bytes = 0;
}

/* Is a whole unit (a raw page, a text line) waiting at rpos? */
static bool unit_ready(const struct hypmem_trace *tr, const struct cpu_state *c)
{
	if (tr->flavour == TFS_TEXT)
		return c->rlen > c->rpos && memchr(c->rbuf + c->rpos, '\n', c->rlen - c->rpos);
	return c->rlen - c->rpos >= tr->page_size;
}

/*
 * Refill @c's read buffer from its pipe so that a whole unit lies at rpos.
 * Waits for the pipe only until the poll's deadline; after it, takes at most
 * one more buffer's worth (reading the hypervisor's trace makes it trace).
 * Return: *@have if there is one; else c->done.
 */
struct hypmem_error *trace_tracefs_fill(struct hypmem_trace *tr, struct cpu_state *c,
					 unsigned int cpu, bool *have)
{
	size_t cap = tr->flavour == TFS_TEXT ? RBUF_BYTES
					     : RBUF_BYTES / tr->page_size * tr->page_size;
	bool eof = false;
	int perr = 0;

	*have = false;
	if (unit_ready(tr, c)) {
		*have = true;
		return NULL;
	}
	if (!c->rbuf && !(c->rbuf = malloc(cap)))
		return &hypmem_enomem;
	memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
	c->rlen -= c->rpos;
	c->rpos = 0;
	while (c->pr && c->rlen < cap && !unit_ready(tr, c)) {
		int wait = ms_left(tr);
		size_t n;

		/* A file that cannot block is read to its end whatever the clock says. */
		if (!wait && c->late_bytes >= cap && !pipe_reader_never_blocks(c->pr))
			break;
		n = pipe_reader_take(c->pr, c->rbuf + c->rlen, cap - c->rlen, wait, &eof, &perr);
		if (!wait)
			c->late_bytes += n ? n : cap;
		c->rlen += n;
		if (eof || (!n && !ms_left(tr)))
			break;
	}
	if (unit_ready(tr, c)) {
		*have = true;
		return NULL;
	}
	c->done = true;
	if (perr) {
		return hypmem_findings_add(&c->findings, HYPMEM_FINDING_TRACE_PAGE_INVALID,
					   c->page_no, "cpu %u: reading the pipe: %s", cpu,
					   strerror(perr));
	}
	if (c->rlen == cap || (eof && c->rlen)) {
		size_t got = c->rlen;

		c->rlen = 0;
		return hypmem_findings_add(&c->findings, HYPMEM_FINDING_TRACE_PAGE_INVALID,
					   c->page_no,
					   tr->flavour == TFS_TEXT
					       ? "cpu %u: trace_pipe: %zu bytes without a line end"
					       : "cpu %u: trace_pipe_raw ends with a partial "
						 "page (%zu bytes)",
					   cpu, got);
	}
	return NULL;
}

/*
 * A trace_pipe_raw page flagged "missed events": account them and return
 * true with the count (or HYPMEM_TRACE_LOST_UNKNOWN) in *@lost.
 */
bool trace_tracefs_page_missed(struct hypmem_trace *tr, struct cpu_state *c, const uint8_t *page,
			uint64_t *lost)
{
	bool stored = le64(page + 8) & HYPMEM_RB_MISSED_STORED;
	struct hypmem_rb_page_info hi;

	if (!(le64(page + 8) & HYPMEM_RB_MISSED_EVENTS))
		return false;
	hypmem_rb_page_decode(page, tr->page_size - tr->footer, tr->long_size, 0, NULL, NULL, &hi);
	*lost = stored ? hi.missed : HYPMEM_TRACE_LOST_UNKNOWN;
	if (stored)
		c->st.lost += hi.missed;
	else
		c->st.lost_unknown++;
	return true;
}

/* --- the text pipe (mainline remotes/hypervisor/per_cpu/cpuN/trace_pipe) --- */

#define MAX_TEXT_PAYLOAD 4096

static bool parse_u64(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t n = 0;

	if (s == end || *s < '0' || *s > '9')
		return false;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (n > (UINT64_MAX - 9) / 10)
			return false;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	*v = n;
	return true;
}

/* The value of "name=VALUE" in @args as an integer, if it is one. */
static bool text_field(const char *args, const char *end, const char *name, bool is_signed,
		       uint64_t *v)
{
	size_t n = strlen(name);

	for (const char *s = args; s + n < end; s++) {
		char num[32], *e;
		size_t len = 0;

		if ((s != args && s[-1] != ' ') || strncmp(s, name, n) || s[n] != '=')
			continue;
		s += n + 1;
		while (s + len < end && s[len] != ' ' && len < sizeof(num) - 1)
			len++;
		memcpy(num, s, len);
		num[len] = '\0';
		errno = 0;
		*v = is_signed ? (uint64_t)strtoll(num, &e, 0) : strtoull(num, &e, 0);
		return len && !*e && !errno;
	}
	return false;
}

static void put_le(uint8_t *p, uint64_t v, uint32_t size)
{
	for (uint32_t i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * One event line: its payload rebuilt from the "field=value" pairs the
 * format names (integers only; a value printed as a name, like hyp_enter's
 * reason, stays 0 and the line's text is kept for printing).
 */
static struct hypmem_error *text_event(struct hypmem_trace *tr, struct cpu_state *c,
				       unsigned int cpu, const char *line, const char *end,
				       struct pending_rec *r)
{
	const char *p = line, *name, *args;
	const struct hypmem_event_format *ev;
	uint64_t lcpu, sec, usec, us, id = UINT16_MAX;
	uint32_t len = 2;
	uint8_t *pay;
	char nm[128];
	size_t off;

	if (p == end || *p++ != '[' || !parse_u64(&p, end, &lcpu) || p == end || *p++ != ']')
		goto bad;
	while (p < end && (*p == '\t' || *p == ' '))
		p++;
	if (!parse_u64(&p, end, &sec) || p == end || *p++ != '.' || !parse_u64(&p, end, &usec) ||
	    usec > 999999 || end - p < 2 || p[0] != ':' || p[1] != ' ')
		goto bad;
	/*
	 * The kernel prints a u64 of ns as seconds and microseconds, so any
	 * time up to 2^64 ns (a clock gone "negative", seen with nVHE) comes
	 * back whole, to the microsecond.
	 */
	if (__builtin_mul_overflow(sec, 1000000ULL, &us) || __builtin_add_overflow(us, usec, &us) ||
	    us > UINT64_MAX / 1000)
		goto bad;
	p += 2;
	name = p;
	while (p < end && *p != ' ')
		p++;
	if (p == name || (size_t)(p - name) >= sizeof(nm))
		goto bad;
	memcpy(nm, name, (size_t)(p - name));
	nm[p - name] = '\0';
	args = p < end ? p + 1 : p;
	if (lcpu != cpu)
		hypmem_error_destroy(hypmem_findings_add(
		    &c->findings, HYPMEM_FINDING_TRACE_PAGE_INVALID, c->page_no,
		    "cpu %u: trace_pipe line for cpu %" PRIu64, cpu, lcpu));
	ev = hypmem_event_formats_find_name(&tr->formats, nm);
	if (ev) {
		id = ev->id;
		len = ev->size > len ? ev->size : len;
		if (len > MAX_TEXT_PAYLOAD)
			len = MAX_TEXT_PAYLOAD;
	} else if (!strcmp(nm, "UNKNOWN") && text_field(args, end, "id", false, &id) &&
		   id < UINT16_MAX) {
		/* The kernel's "UNKNOWN id=N": an id without a format. */
	} else {
		id = UINT16_MAX;
		hypmem_error_destroy(hypmem_findings_add(
		    &c->findings, HYPMEM_FINDING_TRACE_PAGE_INVALID, c->page_no,
		    "cpu %u: trace_pipe event '%s' has no format", cpu, nm));
	}
	if (c->pay_cap - c->pay_len < len) {
		size_t cap = c->pay_cap ? c->pay_cap : 1 << 14;
		uint8_t *n;

		while (cap - c->pay_len < len)
			cap *= 2;
		if (!(n = realloc(c->pay, cap)))
			return &hypmem_enomem;
		c->pay = n;
		c->pay_cap = cap;
	}
	off = c->pay_len;
	pay = c->pay + off;
	c->pay_len += len;
	memset(pay, 0, len);
	put_le(pay, id, 2);
	for (size_t i = 0; ev && i < ev->nr_fields; i++) {
		const struct hypmem_event_field *f = &ev->fields[i];
		uint64_t v;

		if (f->is_common || f->array_len || f->offset > len || len - f->offset < f->size ||
		    !(f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8))
			continue;
		if (text_field(args, end, f->name, f->is_signed, &v))
			put_le(pay + f->offset, v, f->size);
	}
	*r = (struct pending_rec){
	    .ts = us * 1000ULL,
	    .off = off,
	    .len = len,
	    .text_off = (size_t)(args - (const char *)c->rbuf),
	    .text_len = (uint32_t)(end - args),
	};
	return NULL;
bad:
	r->len = 0;
	return hypmem_findings_add(&c->findings, HYPMEM_FINDING_TRACE_PAGE_INVALID, c->page_no,
				   "cpu %u: unparsable trace_pipe line '%.*s'", cpu,
				   (int)(end - line > 80 ? 80 : end - line), line);
}

/* Decode the whole lines waiting in @c's read buffer into c->recs. */
static struct hypmem_error *decode_text_lines(struct hypmem_trace *tr, unsigned int cpu)
{
	struct cpu_state *c = &tr->cpus[cpu];
	bool have_lost = false;
	uint64_t lost = 0;
	struct hypmem_error *err;

	c->pay_len = 0;
	while (c->rpos < c->rlen) {
		const char *line = (const char *)c->rbuf + c->rpos;
		const char *nl = memchr(line, '\n', c->rlen - c->rpos);
		struct pending_rec r;
		unsigned long lcpu;
		uint64_t count;
		int n = 0;

		if (!nl)
			break;
		c->rpos += (size_t)(nl - line) + 1;
		c->page_no++;
		if (nl == line)
			continue;
		/* "CPU:%d [LOST %lu EVENTS]" */
		if (sscanf(line, "CPU:%lu [LOST %" SCNu64 " EVENTS]%n", &lcpu, &count, &n) == 2 &&
		    line + n == nl) {
			have_lost = true;
			lost += count;
			c->st.lost += count;
			continue;
		}
		if ((err = text_event(tr, c, cpu, line, nl, &r)))
			return err;
		if (!r.len)
			continue;
		if (have_lost) {
			struct pending_rec l = {.ts = r.ts, .lost = true, .count = lost};

			have_lost = false;
			lost = 0;
			if ((err = push_rec(c, &l)))
				return err;
		}
		if ((err = push_rec(c, &r)))
			return err;
		c->st.read++;
	}
	if (have_lost) {
		struct pending_rec l = {.ts = c->last_ts, .lost = true, .count = lost};

		if ((err = push_rec(c, &l)))
			return err;
	}
	return NULL;
}

/*
 * Decode @c's next trace_pipe_raw page(s) into c->recs, until one yields a
 * record or the file has no whole page left (c->done).
 */
struct hypmem_error *trace_tracefs_next_page(struct hypmem_trace *tr, unsigned int cpu)
{
	struct cpu_state *c = &tr->cpus[cpu];
	struct hypmem_error *err;

	c->nr_recs = 0;
	c->next = 0;
	while (!c->nr_recs && !c->done) {
		struct collect co = {.tr = tr, .c = c};
		struct hypmem_rb_page_info info;
		const uint8_t *page;
		bool have;

		if ((err = trace_tracefs_fill(tr, c, cpu, &have)) || !have)
			return err;
		if (tr->flavour == TFS_TEXT) {
			if ((err = decode_text_lines(tr, cpu)))
				return err;
			continue;
		}
		page = c->rbuf + c->rpos;
		co.base = c->rbuf;
		co.have_lost = trace_tracefs_page_missed(tr, c, page, &co.lost);
		if ((err = trace_decode_page(tr, c, cpu, page, 0, c->page_no * tr->page_size,
				       trace_collect_event, &co, &co.err, &c->findings, &info)))
			return err;
		if (co.have_lost) {
			struct pending_rec l = {.ts = info.last_ts, .lost = true, .count = co.lost};

			if ((err = push_rec(c, &l)))
				return err;
		}
		if (tr->keep && (err = trace_keep_page(tr, c, page)))
			return err;
		/* The records point into the page: it is released on the next call. */
		c->rpos += tr->page_size;
		c->page_no++;
	}
	return NULL;
}

/* Add a CPU's findings of this poll to the reader's, as if added there. */
struct hypmem_error *trace_tracefs_flush_findings(struct hypmem_trace *tr, struct cpu_state *c)
{
	struct hypmem_findings *f = &c->findings;
	struct hypmem_error *err = NULL;
	size_t kept[HYPMEM_FINDING_NR] = {0};

	for (size_t i = 0; i < f->nr && !err; i++) {
		kept[f->items[i].kind]++;
		err = hypmem_findings_add(&tr->findings, f->items[i].kind, f->items[i].address,
					  "%s", f->items[i].message);
	}
	if (!err) {
		for (size_t k = 0; k < HYPMEM_FINDING_NR; k++)
			tr->findings.by_kind[k] += f->by_kind[k] - kept[k];
		tr->findings.total += f->total - f->nr;
	}
	hypmem_findings_deinit(f);
	hypmem_findings_init(f);
	return err;
}

