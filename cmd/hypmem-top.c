// SPDX-License-Identifier: GPL-2.0-only
/*
 * hypmem-top: a live view of the pKVM hypervisor, top-style.
 *
 * Split as htop is: the model (lib/hypmem/top.c, no curses), panels that
 * render it (panel_*), a screen manager that owns layout and the loop
 * (screen_run), and one module that owns the terminal (crt_*): it restores
 * the screen on every exit path, signals included, and holds stderr until
 * after endwin().  UI state lives in struct view, passed around, never in
 * globals; the only file-scope variables are what a signal handler needs.
 */
#include <curses.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "hypmem/report.h"
#include "hypmem/top.h"
#include "hypmem/render.h"

#define DEFAULT_TRACEFS "/sys/kernel/tracing"

static const char usage[] =
    "Usage: hypmem-top [OPTIONS] VMLINUX [VMCORE]\n"
    "       hypmem-top [OPTIONS] --raw RAM@PHYS VMLINUX   (live shared RAM)\n"
    "       hypmem-top [OPTIONS] [--tracefs DIR]          (on the device)\n"
    "Live view of the pKVM hypervisor: event rates per type and CPU, lost\n"
    "events, pool fill.  With no target, reads " DEFAULT_TRACEFS ".\n"
    "Without a terminal (stdin or stdout not a tty) it runs in batch mode.\n"
    "\n"
    "Options:\n"
    "  -d, --delay SECS     refresh interval (default 1)\n"
    "  -n, --iterations N   stop after N refreshes\n"
    "  -b, --batch          plain text, one screen per refresh (like top -b)\n"
    "      --json           with -b: one JSON object per line\n"
    "      --tracefs DIR    the hypervisor remote under DIR (remotes/hypervisor, hyp)\n"
    "  -e, --event EVENT    only these events (names or globs like 'hyp_*', comma\n"
    "                       lists; may be repeated)\n"
    "      --cpu LIST       only these CPUs (like 0,2-3)\n"
    "  -s, --symbols FILE   vmlinux or hypmem EL2 image\n"
    "  -c, --core FILE      dump\n"
    "      --raw FILE@PHYS  raw memory image / live shared RAM\n"
    "      --kaslr-offset N    KASLR offset when the dump has no VMCOREINFO\n"
    "      --kimage-voffset N  kernel image VA - PA when the dump has no VMCOREINFO\n"
    "  -h, --help           this help\n"
    "      --version        version and features\n"
    "\n"
    "Keys: q quit, h help, s sort column, p pause, 1 per-CPU, + / - interval.\n"
    "Exit status: 0 ok, 2 usage error or unreadable input.\n";

enum { OPT_TRACEFS = HYPMEM_OPT_FIRST_PRIVATE, OPT_CPU };
enum sort_key { SORT_ID, SORT_RATE, SORT_TOTAL, SORT_NAME, SORT_NR };
static const char *const sort_names[] = {"id", "rate", "total", "name"};

struct view {
	const char *target;
	double delay;
	long iterations;
	bool batch, json, paused, per_cpu, help;
	enum sort_key sort;
};

/* ---------------------------------------------------------------------
 * crt: the one owner of the terminal
 * ------------------------------------------------------------------- */

static volatile sig_atomic_t crt_active;
static volatile sig_atomic_t crt_quit;
static FILE *crt_held_stderr;
static int crt_saved_stderr = -1;

static void crt_restore(void)
{
	if (crt_active) {
		crt_active = 0;
		endwin();
	}
	if (crt_saved_stderr >= 0) {
		/* Give back stderr and replay what was said while curses ran. */
		char buf[4096];
		size_t n;

		fflush(stderr);
		dup2(crt_saved_stderr, STDERR_FILENO);
		close(crt_saved_stderr);
		crt_saved_stderr = -1;
		if (crt_held_stderr) {
			rewind(crt_held_stderr);
			while ((n = fread(buf, 1, sizeof(buf), crt_held_stderr)) > 0)
				fwrite(buf, 1, n, stderr);
			fclose(crt_held_stderr);
			crt_held_stderr = NULL;
		}
	}
}

static void crt_signal(int sig)
{
	if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
		crt_quit = 1;
		return;
	}
	/* A crash: put the terminal back, then die of the same signal. */
	if (crt_active)
		endwin();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void crt_init(void)
{
	struct sigaction sa = {.sa_handler = crt_signal};
	const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE};

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	crt_held_stderr = tmpfile();
	if (crt_held_stderr) {
		crt_saved_stderr = dup(STDERR_FILENO);
		dup2(fileno(crt_held_stderr), STDERR_FILENO);
	}
	atexit(crt_restore);
	initscr();
	crt_active = 1;
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_BLACK, COLOR_CYAN);
		init_pair(2, COLOR_GREEN, -1);
		init_pair(3, COLOR_RED, -1);
	}
}

/* ---------------------------------------------------------------------
 * panels: each draws at (y, 0) with width w and returns the lines used
 * ------------------------------------------------------------------- */

static int panel_header(const struct hypmem_top_model *m, const struct view *v, int y, int w)
{
	double span = m->last_ts > m->first_ts ? (double)(m->last_ts - m->first_ts) / 1e9 : 0;
	char filter[256];

	mvprintw(y, 0, "hypmem-top - %.*s  up %.1fs  %u CPU(s)  every %.1fs%s", w - 40, v->target,
		 span, m->nr_cpus, v->delay, v->paused ? "  [paused]" : "");
	mvprintw(y + 1, 0, "Events: %" PRIu64 " total, %.0f/s   Lost: ", m->events_total,
		 m->elapsed > 0 ? (double)m->events_interval / m->elapsed : 0);
	if (m->lost_total)
		attron(COLOR_PAIR(3));
	printw("%" PRIu64, m->lost_total);
	attroff(COLOR_PAIR(3));
	printw(" total, %" PRIu64 " now", m->lost_interval);
	if (!m->filter)
		return 2;
	hypmem_trace_filter_describe(m->filter, filter, sizeof(filter));
	mvprintw(y + 2, 0, "Filter: %.*s", w > 8 ? w - 8 : 0, filter);
	return 3;
}

static int panel_pools(const struct hypmem_top_model *m, int y, int w)
{
	int used_lines = 0;
	int bw = w - 62 > 10 ? w - 62 : 10;

	for (size_t i = 0; i < m->nr_pools; i++, used_lines++) {
		const struct hypmem_pool *p = &m->pools[i];
		double used = p->nr_pages ? 1.0 - (double)p->free_pages / (double)p->nr_pages : 0;
		int n = (int)(used * bw + 0.5);

		mvprintw(y + used_lines, 0, "%-14.14s [", p->name);
		attron(COLOR_PAIR(2));
		for (int k = 0; k < bw; k++)
			addch(k < n ? '|' : ' ');
		attroff(COLOR_PAIR(2));
		printw("] %5.1f%% used, %" PRIu64 "/%" PRIu64 " pages free", used * 100,
		       p->free_pages, p->nr_pages);
	}
	if (!m->nr_pools)
		for (size_t i = 0; i < m->nr_event_pools; i++, used_lines++)
			mvprintw(y + used_lines, 0,
				 "%-14.14s net %+" PRId64 " pages (%" PRIu64 " allocs, %" PRIu64
				 " frees)",
				 m->event_pools[i].name, m->event_pools[i].net_pages,
				 m->event_pools[i].allocs, m->event_pools[i].frees);
	return used_lines;
}

static int cmp_rows(const struct hypmem_top_row *a, const struct hypmem_top_row *b, enum sort_key k)
{
	switch (k) {
	case SORT_RATE:
		return a->rate < b->rate ? 1 : a->rate > b->rate ? -1 : 0;
	case SORT_TOTAL:
		return a->total < b->total ? 1 : a->total > b->total ? -1 : 0;
	case SORT_NAME:
		return strcmp(a->name, b->name);
	default:
		return a->id < b->id ? -1 : a->id > b->id;
	}
}

/* Per-CPU columns count the last interval, as INTERVAL does: "CPU0/INT". */
static const char *cpu_header(char *buf, size_t len, unsigned int cpu)
{
	snprintf(buf, len, "CPU%u/INT", cpu);
	return buf;
}

/* Whether a column after @col CPU columns still fits in @w. */
static bool cpu_fits(unsigned int col, int w)
{
	return 56 + 10 * (int)(col + 1) <= w;
}

static int panel_events(const struct hypmem_top_model *m, const struct view *v, int y, int h, int w)
{
	char hdr[24];
	const struct hypmem_top_row **order = calloc(m->nr_rows ? m->nr_rows : 1, sizeof(*order));
	size_t nr = 0;
	int line = 0;

	if (!order)
		return 0;
	attron(COLOR_PAIR(1));
	mvprintw(y, 0, "%-20s %12s %10s %12s", "EVENT", "RATE/s", "INTERVAL", "TOTAL");
	for (unsigned int c = 0, col = 0; v->per_cpu && c < m->nr_cpus && cpu_fits(col, w); c++) {
		if (hypmem_top_cpu_shown(m, c)) {
			printw(" %9s", cpu_header(hdr, sizeof(hdr), c));
			col++;
		}
	}
	for (int x = getcurx(stdscr); x < w; x++)
		addch(' ');
	attroff(COLOR_PAIR(1));
	/* Insertion sort: a handful of rows (those the filter keeps). */
	for (size_t i = 0; i < m->nr_rows; i++) {
		size_t j = nr;

		if (m->rows[i].filtered)
			continue;
		order[nr++] = &m->rows[i];
		while (j > 0 && cmp_rows(order[j], order[j - 1], v->sort) < 0) {
			const struct hypmem_top_row *t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
			j--;
		}
	}
	for (size_t i = 0; i < nr && line + 1 < h; i++, line++) {
		const struct hypmem_top_row *r = order[i];

		mvprintw(y + 1 + line, 0, "%-20.20s %12.0f %10" PRIu64 " %12" PRIu64, r->name,
			 r->rate, r->interval, r->total);
		for (unsigned int c = 0, col = 0; v->per_cpu && c < m->nr_cpus && cpu_fits(col, w);
		     c++) {
			if (hypmem_top_cpu_shown(m, c)) {
				printw(" %9" PRIu64, r->per_cpu[c]);
				col++;
			}
		}
	}
	free(order);
	return line + 1;
}

static void panel_help(const struct hypmem_top_model *m, int h, int w)
{
	static const char *const lines[] = {
	    "hypmem-top keys",
	    "",
	    "  q      quit",
	    "  h      this help (any key closes it)",
	    "  s      sort events by id / rate / total / name",
	    "  p      pause (keep the screen, stop reading)",
	    "  1      per-CPU columns on/off",
	    "  + -    refresh interval longer / shorter",
	};
	int top = h / 2 - 5 > 0 ? h / 2 - 5 : 0, left = w / 2 - 26 > 0 ? w / 2 - 26 : 0;
	char filter[256];
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		mvprintw(top + (int)i, left, " %-50.50s ", lines[i]);
	if (!m->filter)
		return;
	/* What -e and --cpu keep (set at start; no key changes it). */
	hypmem_trace_filter_describe(m->filter, filter, sizeof(filter));
	mvprintw(top + (int)i++, left, " %-50.50s ", "");
	mvprintw(top + (int)i, left, " filter: %-42.42s ", filter);
}

/* ---------------------------------------------------------------------
 * screen manager: layout, keys, refresh
 * ------------------------------------------------------------------- */

enum key_result { HANDLED = 1, REDRAW = 2, RESCAN = 4, BREAK_LOOP = 8 };

static int handle_key(struct view *v, int ch)
{
	if (v->help && ch != ERR && ch != KEY_RESIZE) {
		v->help = false;
		return REDRAW;
	}
	switch (ch) {
	case 'q':
	case 'Q':
		return BREAK_LOOP;
	case 'h':
	case '?':
		v->help = true;
		return REDRAW;
	case 's':
		v->sort = (v->sort + 1) % SORT_NR;
		return REDRAW;
	case 'p':
		v->paused = !v->paused;
		return REDRAW;
	case '1':
		v->per_cpu = !v->per_cpu;
		return REDRAW;
	case '+':
	case '=':
		v->delay = v->delay < 60 ? v->delay * 2 : v->delay;
		return REDRAW;
	case '-':
		v->delay = v->delay > 0.125 ? v->delay / 2 : v->delay;
		return REDRAW;
	case KEY_RESIZE:
		return REDRAW;
	default:
		return 0;
	}
}

static void draw(const struct hypmem_top_model *m, const struct view *v)
{
	int h, w, y;

	getmaxyx(stdscr, h, w);
	erase(); /* curses sends only the difference: no flicker */
	y = panel_header(m, v, 0, w);
	y += panel_pools(m, y, w);
	y++;
	panel_events(m, v, y, h - y - 1, w);
	attron(A_REVERSE);
	mvprintw(h - 1, 0, "q quit  h help  s sort:%s  p pause  1 cpus  +/- %.2gs%s",
		 sort_names[v->sort], v->delay, v->paused ? "  [paused]" : "");
	attroff(A_REVERSE);
	if (v->help)
		panel_help(m, h, w);
	refresh();
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int screen_run(struct hypmem_top_model *m, struct view *v)
{
	double last = now(), next = last;
	struct hypmem_error *err = NULL;
	long done = 0;

	crt_init();
	while (!crt_quit) {
		double t = now();
		int ch, r;

		if (t >= next) {
			if (!v->paused) {
				err = hypmem_top_model_update(m, m->updates ? t - last : 0);
				if (err)
					break;
				last = t;
				if (v->iterations && ++done >= v->iterations) {
					draw(m, v);
					break;
				}
			}
			next = t + v->delay;
			draw(m, v);
		}
		timeout((int)((next - now()) * 1000) > 0 ? (int)((next - now()) * 1000) : 0);
		ch = getch();
		r = handle_key(v, ch);
		if (r & BREAK_LOOP)
			break;
		if (r & REDRAW) {
			if (ch == '+' || ch == '-')
				next = last + v->delay;
			draw(m, v);
		}
	}
	crt_restore();
	if (err)
		return hypmem_cli_error("hypmem-top", err);
	return HYPMEM_EXIT_OK;
}

static int batch_run(struct hypmem_top_model *m, struct view *v)
{
	double last = now();
	long n = v->iterations ? v->iterations : -1;

	for (long i = 0; n < 0 || i < n; i++) {
		struct hypmem_error *err;
		double t;

		if (i) {
			struct timespec ts = {(time_t)v->delay,
					      (long)((v->delay - (double)(time_t)v->delay) * 1e9)};

			while (nanosleep(&ts, &ts) && errno == EINTR)
				;
		}
		t = now();
		err = hypmem_top_model_update(m, i ? t - last : 0);
		if (err)
			return hypmem_cli_error("hypmem-top", err);
		last = t;
		if (v->json) {
			hypmem_top_json_line(stdout, m, v->target);
		} else {
			if (i)
				printf("\n");
			hypmem_top_text(stdout, m, v->target, v->per_cpu);
		}
		fflush(stdout);
	}
	if (getenv("HYPMEM_TOP_RUSAGE")) {
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		fprintf(stderr, "hypmem-top: cpu %.3f s user %.3f s sys\n",
			(double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
			(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
	}
	return HYPMEM_EXIT_OK;
}

/* Everything but the filter, which main() frees whichever way this ends. */
static int top_main(int argc, char **argv, struct hypmem_trace_filter *filter)
{
	static const struct option opts[] = {
	    HYPMEM_CLI_TARGET_OPTIONS,
	    {"delay", required_argument, NULL, 'd'},
	    {"iterations", required_argument, NULL, 'n'},
	    {"batch", no_argument, NULL, 'b'},
	    {"tracefs", required_argument, NULL, OPT_TRACEFS},
	    {"event", required_argument, NULL, 'e'},
	    {"cpu", required_argument, NULL, OPT_CPU},
	    {0},
	};
	struct hypmem_target_config cfg = {0};
	struct view v = {.delay = 1.0, .sort = SORT_ID};
	struct hypmem_target *t = NULL;
	struct hypmem_trace *tr = NULL;
	struct hypmem_top_model m;
	struct hypmem_error *err = NULL;
	const char *tracefs = NULL;
	bool default_target = false;
	char target[512];
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "s:c:hd:n:be:", opts, NULL)) != -1) {
		int handled = hypmem_cli_target_option("hypmem-top", &cfg, opt, optarg, &v.json);
		char *end;

		if (handled < 0)
			return HYPMEM_EXIT_USAGE;
		if (handled)
			continue;
		switch (opt) {
		case 'h':
			fputs(usage, stdout);
			return HYPMEM_EXIT_OK;
		case 'd':
			v.delay = strtod(optarg, &end);
			if (*end || !(v.delay >= 0.05 && v.delay <= 3600)) {
				fprintf(stderr, "hypmem-top: -d: bad interval '%s'\n", optarg);
				return HYPMEM_EXIT_USAGE;
			}
			break;
		case 'n':
			v.iterations = strtol(optarg, &end, 10);
			if (*end || v.iterations <= 0) {
				fprintf(stderr, "hypmem-top: -n: bad count '%s'\n", optarg);
				return HYPMEM_EXIT_USAGE;
			}
			break;
		case 'b':
			v.batch = true;
			break;
		case OPT_TRACEFS:
			tracefs = optarg;
			break;
		case 'e':
			err = hypmem_trace_filter_events(filter, optarg);
			break;
		case OPT_CPU:
			err = hypmem_trace_filter_cpus(filter, optarg);
			break;
		default:
			return hypmem_cli_try_help("hypmem-top");
		}
		if (err)
			return hypmem_cli_error("hypmem-top", err);
	}
	/* Curses needs a terminal both ways: without one, print screens as -b does. */
	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
		v.batch = true;
	if (v.json && !v.batch) {
		fprintf(stderr, "hypmem-top: --json needs -b\n");
		return HYPMEM_EXIT_USAGE;
	}
	/* No target at all: the device's own tracefs, as top reads /proc. */
	if (!tracefs && optind == argc && !cfg.vmlinux && !cfg.core && !cfg.raw_spec) {
		tracefs = DEFAULT_TRACEFS;
		default_target = true;
	}
	if (tracefs) {
		if (optind < argc) {
			fprintf(stderr, "hypmem-top: --tracefs takes no VMLINUX/VMCORE\n");
			return HYPMEM_EXIT_USAGE;
		}
		snprintf(target, sizeof(target), "tracefs %s", tracefs);
		err = hypmem_trace_open_tracefs(tracefs, &tr);
	} else {
		if (hypmem_cli_positional("hypmem-top", &cfg, argc - optind, argv + optind, true))
			return HYPMEM_EXIT_USAGE;
		snprintf(target, sizeof(target), "%s", cfg.core ? cfg.core : cfg.raw_spec);
		if ((ret = hypmem_cli_open("hypmem-top", &cfg, &t)))
			return ret;
		err = hypmem_trace_open_target(t, &tr);
	}
	if (err) {
		hypmem_target_destroy(t);
		if (default_target) {
			fprintf(stderr,
				"hypmem-top: %s (no target given: give VMLINUX VMCORE, --raw or "
				"--tracefs DIR)\n",
				err->message);
			hypmem_error_destroy(err);
			return HYPMEM_EXIT_USAGE;
		}
		return hypmem_cli_error("hypmem-top", err);
	}
	v.target = target;
	err = hypmem_top_model_init(&m, tr, t);
	if (!err && (err = hypmem_top_model_filter(&m, filter)))
		hypmem_top_model_deinit(&m);
	if (err) {
		ret = hypmem_cli_error("hypmem-top", err);
	} else {
		ret = v.batch ? batch_run(&m, &v) : screen_run(&m, &v);
		hypmem_top_model_deinit(&m);
	}
	hypmem_trace_destroy(tr);
	hypmem_target_destroy(t);
	return ret;
}

int main(int argc, char **argv)
{
	struct hypmem_trace_filter filter = {0};
	int ret = top_main(argc, argv, &filter);

	hypmem_trace_filter_deinit(&filter);
	return ret;
}
