// SPDX-License-Identifier: GPL-2.0-only
/*
 * Trace reading speed (make bench; printed, never asserted).
 *
 *   bench_trace DIR HYPMEM-TOP [EVENTS]
 *
 * 1. A tracefs-shaped tree under DIR/tracefs with EVENTS (default 10^7)
 *    events over two CPUs: pages written by the EL2 core's own writer
 *    (natively, lib/el2/trace.c: long-form events, the EL2 mix of
 *    hyp_enter/exit, page alloc/free, host calls), a run of pages per CPU
 *    replayed with shifted page timestamps until the count is reached; the
 *    format files are the EL2 core's.
 * 2. hypmem's reader on it, in this process: decode and merge only (events
 *    per second on one core), then the trace-cmd-style text to /dev/null,
 *    and a trace.dat of the same events.
 * 3. trace-cmd report on that trace.dat, to /dev/null: the ratio of its
 *    time to ours (text against text: both print the same lines, which
 *    tests/integration/trace.py checks).
 * 4. hypmem-top -b -d 1 reading a tracefs tree whose trace_pipe_raw files
 *    grow at about 10^6 events/s (a feeder process appends whole pages, each
 *    one write() of one page-aligned page, so a reader never sees part of
 *    one; pipes would do, but their buffers hold far less than a second of
 *    events without privileges): its CPU use from getrusage()
 *    (RUSAGE_CHILDREN around waiting for top alone) over wall time.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "el2/mm.h"
#include "el2/trace.h"
#include "hypmem/events.h"
#include "hypmem/render.h"
#include "hypmem/trace.h"
#include "hypmem/tracedat.h"
#include "../lib/rng.h"

extern u64 host_trace_clock_ns;
extern __thread unsigned int host_cpu_id;
extern char **environ;

#define NR_CPUS	       2
#define RING_PAGES     130
#define TEMPLATE_PAGES 128
#define TOP_RATE       1000000.0 /* events per second, both CPUs */
#define TOP_SECS       6

struct tmpl {
	u8 pages[TEMPLATE_PAGES][PAGE_SIZE];
	u32 entries[TEMPLATE_PAGES];
	unsigned int nr;
	u64 span; /* time one replay of the run covers */
};

static struct tmpl tmpl[NR_CPUS];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_trace: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void check(struct hypmem_error *err, const char *what)
{
	if (err) {
		fprintf(stderr, "bench_trace: %s:\n", what);
		hypmem_error_fprint(stderr, "bench_trace", err);
		exit(1);
	}
}

/* snprintf() that refuses to truncate a path. */
#define PATHF(buf, ...)                                                                            \
	do {                                                                                       \
		if (snprintf(buf, sizeof(buf), __VA_ARGS__) >= (int)sizeof(buf)) {                 \
			errno = ENAMETOOLONG;                                                      \
			die(buf);                                                                  \
		}                                                                                  \
	} while (0)

static void mkdirs(const char *path)
{
	char buf[4096];

	PATHF(buf, "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		die(path);
}

static void put_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, len, f) != len || fclose(f))
		die(path);
}

/* The EL2 core's format text, one events/hypervisor/NAME/{format,id} each. */
static void write_formats(const char *root)
{
	static char text[HYP_TRACE_FORMATS_SZ];
	struct hypmem_event_formats f;
	char path[4096], id[32];

	hypmem_event_formats_init(&f);
	hyp_trace_format_text(text, sizeof(text));
	check(hypmem_event_formats_parse(&f, text, strlen(text), "hypervisor"), "EL2 formats");
	for (size_t i = 0; i < f.nr; i++) {
		int len = hypmem_event_format_text(&f.events[i], NULL, 0);
		char *text = malloc((size_t)len + 1);

		if (!text)
			die("malloc");
		hypmem_event_format_text(&f.events[i], text, (size_t)len + 1);
		PATHF(path, "%s/events/hypervisor/%s", root, f.events[i].name);
		mkdirs(path);
		strcat(path, "/format");
		put_file(path, text, (size_t)len);
		PATHF(path, "%s/events/hypervisor/%s/id", root, f.events[i].name);
		len = snprintf(id, sizeof(id), "%u\n", f.events[i].id);
		put_file(path, id, (size_t)len);
		free(text);
	}
	hypmem_event_formats_deinit(&f);
}

static u64 rng = 0x9e3779b97f4a7c15ULL;

static u64 rnd(void)
{
	return test_rng_next(&rng);
}

/* One CPU's run of pages, from the EL2 writer. */
static void make_template(unsigned int cpu)
{
	struct simple_rb_per_cpu *rb = hyp_trace_rb(cpu);
	struct tmpl *t = &tmpl[cpu];
	u64 ts = 1000000000ULL + cpu * 37;

	host_cpu_id = cpu;
	/* Until the writer moves onto the page after the run. */
	while (rb->tail_page->id <= TEMPLATE_PAGES) {
		u64 r = rnd(), pfn = 0x40000 + (r >> 20) % 0x20000;

		host_trace_clock_ns = ts += 80 + r % 320;
		trace_hyp_enter();
		switch (r % 8) {
		case 0:
			trace_host_hcall((u32)(r >> 8) % 64, 0);
			break;
		case 1:
			trace_host_mem_abort(0x92000047, pfn << 12);
			break;
		default:
			if (r & 8)
				trace_hyp_page_alloc(0xffff800080123000ULL, pfn, (r >> 4) & 3);
			else
				trace_hyp_page_free(0xffff800080123000ULL, pfn, (r >> 4) & 3);
		}
		host_trace_clock_ns = ts += 40;
		trace_hyp_exit();
	}
	for (t->nr = 0; t->nr < TEMPLATE_PAGES; t->nr++) {
		struct simple_buffer_page *bp = &rb->bpages[t->nr + 1];

		memcpy(t->pages[t->nr], bp->page, PAGE_SIZE);
		t->entries[t->nr] = (u32)bp->entries;
	}
	t->span = rb->write_stamp - rb->bpages[1].page->time_stamp + 1000;
}

static void make_templates(void)
{
	static u8 area[(NR_CPUS * (RING_PAGES + 2) + 2) * PAGE_SIZE] __attribute__((aligned(4096)));

	hyp_physvirt_offset = 0;
	if (hyp_trace_setup_area(area, sizeof(area), NR_CPUS, RING_PAGES)) {
		fprintf(stderr, "bench_trace: EL2 trace set-up failed\n");
		exit(1);
	}
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		make_template(cpu);
}

/* Page @n of a CPU's stream: the run replayed, timestamps shifted. */
static const u8 *stream_page(unsigned int cpu, u64 n, u64 base, u8 *buf, u32 *entries)
{
	struct tmpl *t = &tmpl[cpu];
	u64 ts;

	memcpy(buf, t->pages[n % t->nr], PAGE_SIZE);
	memcpy(&ts, buf, 8);
	ts += (n / t->nr) * t->span + base;
	memcpy(buf, &ts, 8);
	*entries = t->entries[n % t->nr];
	return buf;
}

static u64 write_tree(const char *root, u64 events)
{
	u64 total = 0;
	u8 buf[PAGE_SIZE];
	char path[4096];

	mkdirs(root);
	write_formats(root);
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		FILE *f;
		u32 e;

		PATHF(path, "%s/per_cpu/cpu%u", root, cpu);
		mkdirs(path);
		strcat(path, "/trace_pipe_raw");
		f = fopen(path, "wb");
		if (!f)
			die(path);
		for (u64 n = 0, mine = 0; mine < events / NR_CPUS; n++) {
			if (fwrite(stream_page(cpu, n, 0, buf, &e), PAGE_SIZE, 1, f) != 1)
				die(path);
			mine += e;
			total += e;
		}
		if (fclose(f))
			die(path);
	}
	return total;
}

struct sink {
	u64 events;
	u64 sum;
	FILE *text;
	struct hypmem_trace_textbuf *tb;
	struct hypmem_tracedat *td;
	const struct hypmem_event_formats *formats;
};

static bool count_rec(const struct hypmem_trace_rec *rec, void *arg)
{
	struct sink *s = arg;

	s->events++;
	s->sum += rec->ts + rec->id;
	return true;
}

static bool text_rec(const struct hypmem_trace_rec *rec, void *arg)
{
	struct sink *s = arg;

	s->events++;
	hypmem_trace_textbuf_add(s->tb, s->formats, rec);
	return true;
}

static bool dat_rec(const struct hypmem_trace_rec *rec, void *arg)
{
	struct sink *s = arg;

	s->events++;
	check(hypmem_tracedat_add(s->td, rec), "trace.dat");
	return true;
}

static double read_tree(const char *dir, hypmem_trace_fn fn, struct sink *s)
{
	struct hypmem_trace *tr;
	double t0 = now();

	check(hypmem_trace_open_tracefs(dir, &tr), dir);
	s->formats = hypmem_trace_formats(tr);
	s->events = 0;
	check(hypmem_trace_poll(tr, fn, s), "poll");
	t0 = now() - t0;
	hypmem_trace_destroy(tr);
	return t0;
}

/* Decode only, counting per CPU and event id (hypmem-top's way): no merge. */
static double count_tree(const char *dir, u64 *events)
{
	u64 *counts = calloc(NR_CPUS * 65536, sizeof(*counts));
	struct hypmem_trace_counts k = {.counts = counts, .nr_ids = 65536};
	struct hypmem_trace *tr;
	double t0 = now();

	if (!counts)
		die("calloc");

	check(hypmem_trace_open_tracefs(dir, &tr), dir);
	check(hypmem_trace_poll_counts(tr, &k, NULL, NULL), "poll");
	t0 = now() - t0;
	hypmem_trace_destroy(tr);
	free(counts);
	*events = k.events;
	return t0;
}

static pid_t spawn(char *const argv[], const char *out)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int err;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err) {
		errno = err;
		return -1;
	}
	return pid;
}

/* trace-cmd report @dat > /dev/null: wall seconds, or < 0 if it failed. */
static double trace_cmd_report(const char *dat)
{
	char *argv[] = {"trace-cmd", "report", (char *)dat, NULL};
	double t0 = now();
	int status;
	pid_t pid = spawn(argv, "/dev/null");

	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return now() - t0;
}

/* Append pages to @nr_fds files at @rate events/s until killed. */
static void __attribute__((noreturn)) feeder(int *fds, unsigned int nr_fds, double rate)
{
	u64 n[NR_CPUS] = {0}, sent = 0;
	double t0 = now();
	u64 base = (u64)(t0 * 1e9);
	u8 buf[PAGE_SIZE];

	for (;;) {
		double due = (now() - t0) * rate;

		while ((double)sent < due) {
			for (unsigned int cpu = 0; cpu < nr_fds; cpu++) {
				u32 e;

				stream_page(cpu, n[cpu], base, buf, &e);
				if (write(fds[cpu], buf, PAGE_SIZE) != PAGE_SIZE)
					_exit(1);
				n[cpu]++;
				sent += e;
			}
		}
		usleep(2000);
	}
}

static void bench_top(const char *dir, const char *top)
{
	char root[4096], path[4096], out[4096], iters[16];
	int fds[NR_CPUS];
	pid_t feed, pid;
	struct rusage before, ru;
	double t0, wall, cpu_s;
	int status;
	u64 total = 0;
	FILE *f;
	char line[8192];

	PATHF(root, "%s/tracefs-live/remotes/hypervisor", dir);
	mkdirs(root);
	write_formats(root);
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		PATHF(path, "%s/per_cpu/cpu%u", root, cpu);
		mkdirs(path);
		strcat(path, "/trace_pipe_raw");
		fds[cpu] = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
		if (fds[cpu] < 0)
			die(path);
	}
	feed = fork();
	if (feed < 0)
		die("fork");
	if (!feed)
		feeder(fds, NR_CPUS, TOP_RATE);

	PATHF(path, "%s/tracefs-live", dir);
	PATHF(out, "%s/top.json", dir);
	snprintf(iters, sizeof(iters), "%d", TOP_SECS);
	{
		char *argv[] = {(char *)top, "-b",  "--json",	 "-d", "1",
				"-n",	     iters, "--tracefs", path, NULL};

		/* Children reaped before (trace-cmd) are in RUSAGE_CHILDREN too. */
		getrusage(RUSAGE_CHILDREN, &before);
		t0 = now();
		pid = spawn(argv, out);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		die("hypmem-top");
	wall = now() - t0;
	getrusage(RUSAGE_CHILDREN, &ru);
	kill(feed, SIGTERM);
	waitpid(feed, NULL, 0);
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		close(fds[cpu]);
	cpu_s = (double)(ru.ru_utime.tv_sec - before.ru_utime.tv_sec) +
		(ru.ru_utime.tv_usec - before.ru_utime.tv_usec) / 1e6 +
		(double)(ru.ru_stime.tv_sec - before.ru_stime.tv_sec) +
		(ru.ru_stime.tv_usec - before.ru_stime.tv_usec) / 1e6;
	f = fopen(out, "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "\"events_total\":");

		if (p)
			total = strtoull(p + 15, NULL, 10);
	}
	if (f)
		fclose(f);
	printf(
	    "hypmem-top -b -d 1, %d refreshes, trace_pipe_raw growing at %.0f events/s: exit %d\n",
	    TOP_SECS, TOP_RATE, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	printf("  events read %" PRIu64 " (%.0f/s), CPU %.3f s user+sys in %.2f s wall: %.2f%% of "
	       "a core (goal <= 2%%)\n",
	       total, (double)total / wall, cpu_s, wall, 100.0 * cpu_s / wall);
}

int main(int argc, char **argv)
{
	char root[4096], tfs[4096], dat[4096];
	u64 want = argc > 3 ? strtoull(argv[3], NULL, 0) : 10000000ULL, events;
	struct sink s = {0};
	double t_decode = 1e9, t_text, t_dat, t_tc;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_trace DIR HYPMEM-TOP [EVENTS]\n");
		return 2;
	}
	make_templates();
	PATHF(tfs, "%s/tracefs", argv[1]);
	PATHF(root, "%s/remotes/hypervisor", tfs);
	PATHF(dat, "%s/trace.dat", argv[1]);
	events = write_tree(root, want);
	printf("== trace reading: %" PRIu64 " events, %d CPUs, EL2-written pages (%s)\n", events,
	       NR_CPUS, tfs);

	for (int i = 0; i < 3; i++) {
		double t = read_tree(tfs, count_rec, &s);

		t_decode = t < t_decode ? t : t_decode;
	}
	printf("decode + merge:        %7.3f s  %6.1f M events/s on one core (goal >= 50)\n",
	       t_decode, (double)s.events / t_decode / 1e6);
	{
		double t_count = 1e9;
		u64 n = 0;

		for (int i = 0; i < 3; i++) {
			double t = count_tree(tfs, &n);

			t_count = t < t_count ? t : t_count;
		}
		printf("decode + count by id:  %7.3f s  %6.1f M events/s (no merge, no records)\n",
		       t_count, (double)n / t_count / 1e6);
	}

	s.text = fopen("/dev/null", "w");
	if (!s.text)
		die("/dev/null");
	s.tb = malloc(sizeof(*s.tb));
	if (!s.tb)
		die("malloc");
	hypmem_trace_textbuf_init(s.tb, s.text);
	t_text = read_tree(tfs, text_rec, &s);
	{
		double t1 = now();

		hypmem_trace_textbuf_flush(s.tb);
		fflush(s.text);
		t_text += now() - t1;
	}
	free(s.tb);
	fclose(s.text);
	s.text = NULL;
	printf("decode + text:         %7.3f s  %6.1f M events/s\n", t_text,
	       (double)s.events / t_text / 1e6);

	check(hypmem_tracedat_create(NR_CPUS, &s.td), "trace.dat");
	t_dat = now();
	{
		struct hypmem_trace *tr;

		check(hypmem_trace_open_tracefs(tfs, &tr), tfs);
		check(hypmem_trace_poll(tr, dat_rec, &s), "poll");
		check(hypmem_tracedat_write(s.td, hypmem_trace_formats(tr), dat), dat);
		hypmem_trace_destroy(tr);
	}
	t_dat = now() - t_dat;
	hypmem_tracedat_destroy(s.td);
	printf("decode + trace.dat:    %7.3f s\n", t_dat);

	t_tc = trace_cmd_report(dat);
	if (t_tc < 0)
		printf("trace-cmd report:      not run (trace-cmd missing or failed)\n");
	else
		printf("trace-cmd report:      %7.3f s  %6.1f M events/s; hypmem text is %.1fx "
		       "faster (goal >= 5x), decode-only %.0fx\n",
		       t_tc, (double)events / t_tc / 1e6, t_tc / t_text, t_tc / t_decode);
	unlink(dat);

	bench_top(argv[1], argv[2]);
	return 0;
}
