// SPDX-License-Identifier: GPL-2.0-only
/*
 * hypmem-dump: full listings of the pKVM hypervisor's memory structures.
 *
 *   vmemmap  one line per hyp_page (all RAM, or --pfn / --range)
 *   pools    every hyp_pool with its free lists, per order
 *   layout   the structs the decoders use, as DWARF describes them
 *   stage2   the host stage-2 as runs of leaves (stage1: the hyp stage-1)
 *   heap     every hyp heap (struct hyp_allocator): chunks and holes
 *   trace    the hypervisor's trace events, merged across CPUs
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hypmem/cli.h"
#include "hypmem/report.h"
#include "hypmem/stage2.h"
#include "hypmem/trace.h"
#include "hypmem/tracedat.h"

static const char usage[] =
	"Usage: hypmem-dump COMMAND [OPTIONS] VMLINUX [VMCORE]\n"
	"Dump the pKVM hypervisor's memory structures from a crash dump.\n"
	"\n"
	"Commands:\n"
	"  vmemmap   one line per struct hyp_page (PFN, refcount, order, states)\n"
	"  pools     every struct hyp_pool: range, max order, free blocks per order\n"
	"  layout    the structs hypmem decodes, pahole-style (needs only VMLINUX)\n"
	"  stage2    the host stage-2: runs of leaves (block size, owner, state, prot)\n"
	"  stage1    the hyp stage-1 (pkvm_pgtable), with the same walker\n"
	"  heap      every hyp heap (struct hyp_allocator): one line per chunk, holes\n"
	"  trace     hypervisor trace events, like trace-cmd report (a dump, live RAM\n"
	"            with --raw, or a tracefs directory with --tracefs)\n"
	"\n"
	"Options:\n"
	"  -s, --symbols FILE       vmlinux (or hypmem EL2 image) with DWARF\n"
	"  -c, --core FILE          ELF or kdump-compressed dump\n"
	"      --raw FILE@PHYS      raw memory image starting at physical address PHYS\n"
	"      --kaslr-offset N     KASLR offset when the dump has no VMCOREINFO\n"
	"      --kimage-voffset N   kernel image VA - PA when the dump has no VMCOREINFO\n"
	"      --pfn N              vmemmap: only this PFN\n"
	"      --range A-B          vmemmap: PFNs A to B inclusive\n"
	"      --json               JSON output (schema: man 5 hypmem-json)\n"
	"      --svg FILE           stage2: also write a memory map of RAM to FILE\n"
	"      --tracefs DIR        trace: read DIR (remotes/hypervisor/ or hyp/ inside)\n"
	"  -o, --output FILE        trace: also write FILE in trace-cmd's trace.dat format\n"
	"      --export-tracefs DIR trace: write the pages as a tracefs tree under DIR\n"
	"      --export-shape S     trace: raw (default; remotes/hypervisor/ with\n"
	"                           trace_pipe_raw), mainline (7.x text pipes) or\n"
	"                           android (hyp/, pages with a 32-byte footer)\n"
	"      --stats              trace: per-CPU counters after the events\n"
	"  -h, --help               this help\n"
	"      --version            version\n"
	"\n"
	"Exit status: 0 clean, 1 findings reported, 2 usage error or unreadable input.\n";

enum { OPT_PFN = HYPMEM_OPT_FIRST_PRIVATE, OPT_RANGE, OPT_TRACEFS, OPT_EXPORT, OPT_STATS };
enum { OPT_SVG = HYPMEM_OPT_FIRST_PRIVATE + 0x40, OPT_EXPORT_SHAPE };

struct dump_args {
	bool json;
	uint64_t first, end; /* PFN range, end exclusive */
	const char *tracefs, *output, *export_dir;
	enum hypmem_tracefs_shape export_shape;
	bool stats;
	const char *svg;
};

struct vmemmap_print {
	bool json;
	struct json_object *array;
	struct hypmem_error *oom;
};

static struct hypmem_error *print_page(const struct hypmem_page *p, void *arg)
{
	struct vmemmap_print *vp = arg;

	if (!vp->json) {
		hypmem_text_page(stdout, p);
		return NULL;
	}
	if (json_object_array_add(vp->array, hypmem_json_page(p)))
		return &hypmem_enomem;
	return NULL;
}

static int finish(struct hypmem_target *t, bool json, struct json_object *obj)
{
	const struct hypmem_findings *f = hypmem_target_findings(t);

	if (json) {
		if (hypmem_json_print(stdout, obj)) {
			fprintf(stderr, "hypmem-dump: cannot write JSON\n");
			return HYPMEM_EXIT_USAGE;
		}
	} else if (f->total) {
		fprintf(stdout, "\n");
		hypmem_text_findings(stdout, f, SIZE_MAX);
	}
	return f->total ? HYPMEM_EXIT_FINDINGS : HYPMEM_EXIT_OK;
}

static struct json_object *json_envelope(struct hypmem_target *t)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "schema", json_object_new_int(HYPMEM_JSON_SCHEMA));
	json_object_object_add(o, "target", hypmem_json_target(t));
	json_object_object_add(o, "hyp", hypmem_json_hyp(t));
	return o;
}

static int cmd_vmemmap(struct hypmem_target *t, const struct dump_args *a)
{
	struct vmemmap_print vp = { .json = a->json };
	struct hypmem_vmemmap_summary sum;
	struct json_object *o = NULL;
	struct hypmem_error *err;

	if (a->json) {
		o = json_envelope(t);
		vp.array = json_object_new_array();
		if (!o || !vp.array) {
			json_object_put(o);
			json_object_put(vp.array);
			return hypmem_cli_error("hypmem-dump", &hypmem_enomem);
		}
	} else {
		hypmem_text_page_header(stdout);
	}
	err = hypmem_vmemmap_for_each(t, a->first, a->end, print_page, &vp, &sum);
	if (err) {
		json_object_put(o);
		json_object_put(vp.array);
		hypmem_vmemmap_summary_deinit(&sum);
		return hypmem_cli_error("hypmem-dump", err);
	}
	if (a->json) {
		json_object_object_add(o, "vmemmap", hypmem_json_vmemmap(&sum));
		json_object_object_add(o, "pages", vp.array);
		json_object_object_add(o, "findings", hypmem_json_findings(hypmem_target_findings(t)));
	}
	hypmem_vmemmap_summary_deinit(&sum);
	return finish(t, a->json, o);
}

static int cmd_heap(struct hypmem_target *t, const struct dump_args *a)
{
	struct hypmem_heap *heaps;
	struct json_object *o = NULL;
	struct hypmem_error *err;
	size_t nr;

	err = hypmem_heaps_decode(t, true, &heaps, &nr);
	if (err)
		return hypmem_cli_error("hypmem-dump", err);
	if (a->json) {
		o = json_envelope(t);
		if (o) {
			json_object_object_add(o, "heap", hypmem_json_heaps(heaps, nr));
			json_object_object_add(o, "findings",
					       hypmem_json_findings(hypmem_target_findings(t)));
		}
	} else {
		for (size_t i = 0; i < nr; i++) {
			hypmem_text_heap(stdout, &heaps[i]);
			printf("\n");
		}
	}
	hypmem_heaps_free(heaps, nr);
	return finish(t, a->json, o);
}

static int cmd_pools(struct hypmem_target *t, const struct dump_args *a)
{
	struct hypmem_pool *pools;
	struct json_object *o = NULL;
	struct hypmem_error *err;
	size_t nr;

	err = hypmem_pools_decode(t, &pools, &nr);
	if (err)
		return hypmem_cli_error("hypmem-dump", err);
	if (a->json) {
		o = json_envelope(t);
		if (o) {
			json_object_object_add(o, "pools", hypmem_json_pools(pools, nr));
			json_object_object_add(o, "findings",
					       hypmem_json_findings(hypmem_target_findings(t)));
		}
	} else {
		for (size_t i = 0; i < nr; i++) {
			const struct hypmem_pool *p = &pools[i];

			printf("%s: struct hyp_pool at PA 0x%" PRIx64 "\n", p->name, p->addr);
			printf("  range      [0x%" PRIx64 ", 0x%" PRIx64 ") %" PRIu64 " pages\n",
			       p->range_start, p->range_end, p->nr_pages);
			printf("  max_order  %" PRIu64 " (%u free lists in use of %u)\n", p->max_order,
			       p->nr_orders, p->nr_areas);
			printf("  free       %" PRIu64 " pages (%.1f%%)\n", p->free_pages,
			       p->nr_pages ? 100.0 * (double)p->free_pages / (double)p->nr_pages : 0);
			printf("  %5s %8s %8s\n", "ORDER", "BLOCKS", "PAGES");
			for (unsigned int o2 = 0; o2 < p->nr_orders; o2++)
				printf("  %5u %8" PRIu64 " %8" PRIu64 "\n", o2,
				       p->free_blocks_by_order[o2], p->free_pages_by_order[o2]);
			printf("\n");
		}
	}
	free(pools);
	return finish(t, a->json, o);
}

static int cmd_layout(const char *vmlinux, bool json)
{
	static const char *const types[] = { "struct hyp_page", "struct hyp_pool",
					     "struct list_head", "struct kvm_pgtable",
					     "struct memblock_region", "struct hyp_allocator",
					     "struct chunk_hdr", "struct kvm_hyp_memcache" };
	struct hypmem_dwarf *dw;
	struct hypmem_error *err;
	struct json_object *arr = NULL;

	err = hypmem_dwarf_open(vmlinux, &dw);
	if (err)
		return hypmem_cli_error("hypmem-dump", err);
	if (json)
		arr = json_object_new_array();
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct hypmem_type type;

		err = hypmem_dwarf_find_type(dw, types[i], &type);
		if (err) {
			if (!json)
				printf("/* %s: %s */\n\n", types[i], err->message);
			hypmem_error_destroy(err);
			continue;
		}
		if (json) {
			struct json_object *o = hypmem_dwarf_struct_json(dw, &type);

			if (o)
				json_object_array_add(arr, o);
		} else {
			hypmem_dwarf_print_struct(dw, &type, stdout);
			printf("\n");
		}
	}
	hypmem_dwarf_destroy(dw);
	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "schema", json_object_new_int(HYPMEM_JSON_SCHEMA));
		json_object_object_add(o, "structs", arr);
		return hypmem_json_print(stdout, o) ? HYPMEM_EXIT_USAGE : HYPMEM_EXIT_OK;
	}
	return HYPMEM_EXIT_OK;
}

struct trace_print {
	const struct dump_args *a;
	const struct hypmem_event_formats *formats;
	struct json_object *events;
	struct hypmem_tracedat *td;
	struct hypmem_trace_textbuf *tb;
	struct hypmem_error *err;
};

static bool print_trace_rec(const struct hypmem_trace_rec *rec, void *arg)
{
	struct trace_print *tp = arg;

	if (tp->td && (tp->err = hypmem_tracedat_add(tp->td, rec)))
		return false;
	if (tp->a->json) {
		struct json_object *o = hypmem_json_trace_rec(tp->formats, rec);

		if (!o || json_object_array_add(tp->events, o)) {
			tp->err = &hypmem_enomem;
			return false;
		}
	} else if (!tp->a->stats || !tp->a->output) {
		hypmem_trace_textbuf_add(tp->tb, tp->formats, rec);
	}
	return true;
}

static struct json_object *trace_stats_json(struct hypmem_trace *tr)
{
	struct json_object *arr = json_object_new_array();

	for (unsigned int cpu = 0; arr && cpu < hypmem_trace_nr_cpus(tr); cpu++) {
		const struct hypmem_trace_cpu_stats *st = hypmem_trace_stats(tr, cpu);
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "cpu", json_object_new_int64(cpu));
		if (st->has_meta) {
			json_object_object_add(o, "entries", json_object_new_uint64(st->entries));
			json_object_object_add(o, "overrun", json_object_new_uint64(st->overrun));
			json_object_object_add(o, "pages_lost", json_object_new_uint64(st->pages_lost));
			json_object_object_add(o, "pages_touched",
					       json_object_new_uint64(st->pages_touched));
			json_object_object_add(o, "nr_pages", json_object_new_uint64(st->nr_pages));
		}
		json_object_object_add(o, "read", json_object_new_uint64(st->read));
		json_object_object_add(o, "lost", json_object_new_uint64(st->lost));
		if (st->has_meta)
			json_object_object_add(o, "consumed", json_object_new_uint64(st->consumed));
		json_object_object_add(o, "pages_read", json_object_new_uint64(st->pages_read));
		json_object_object_add(o, "pages_bad", json_object_new_uint64(st->pages_bad));
		json_object_array_add(arr, o);
	}
	return arr;
}

/*
 * In a dump nobody consumed events, so every event the meta page counts is
 * either in the pages or was overwritten: lost must equal overrun.
 */
static struct hypmem_error *check_trace_accounting(struct hypmem_trace *tr)
{
	for (unsigned int cpu = 0; cpu < hypmem_trace_nr_cpus(tr); cpu++) {
		const struct hypmem_trace_cpu_stats *st = hypmem_trace_stats(tr, cpu);
		struct hypmem_error *err;

		if (!st->has_meta || st->lost == st->overrun)
			continue;
		err = hypmem_findings_add(hypmem_trace_findings(tr), HYPMEM_FINDING_TRACE_LOST_MISMATCH,
					  cpu,
					  "cpu %u: %" PRIu64 " events committed, %" PRIu64
					  " read, %" PRIu64 " overwritten: %" PRId64 " unaccounted",
					  cpu, st->entries, st->read, st->overrun,
					  (int64_t)(st->lost - st->overrun));
		if (err)
			return err;
	}
	return NULL;
}

static int cmd_trace(struct hypmem_target *t, const struct dump_args *a)
{
	struct trace_print tp = { .a = a };
	struct hypmem_trace *tr;
	struct hypmem_error *err;
	struct hypmem_findings *f;
	int ret = HYPMEM_EXIT_OK;

	err = t ? hypmem_trace_open_target(t, &tr) : hypmem_trace_open_tracefs(a->tracefs, &tr);
	if (err)
		return hypmem_cli_error("hypmem-dump", err);
	tp.formats = hypmem_trace_formats(tr);
	if (a->export_dir)
		hypmem_trace_keep_pages(tr, true);
	if (a->output)
		err = hypmem_tracedat_create(hypmem_trace_nr_cpus(tr), &tp.td);
	if (!err && a->json && !(tp.events = json_object_new_array()))
		err = &hypmem_enomem;
	if (!err && !a->json && !(a->stats && a->output))
		printf("cpus=%u\n", hypmem_trace_nr_cpus(tr));
	if (!err && !(tp.tb = malloc(sizeof(*tp.tb))))
		err = &hypmem_enomem;
	if (!err) {
		hypmem_trace_textbuf_init(tp.tb, stdout);
		err = hypmem_trace_poll(tr, print_trace_rec, &tp);
		hypmem_trace_textbuf_flush(tp.tb);
	}
	free(tp.tb);
	if (!err)
		err = tp.err;
	if (!err && t)
		err = check_trace_accounting(tr);
	if (!err && a->output)
		err = hypmem_tracedat_write(tp.td, tp.formats, a->output);
	if (!err && a->export_dir)
		err = hypmem_trace_export_tracefs_shape(tr, a->export_dir, a->export_shape);
	if (err) {
		json_object_put(tp.events);
		hypmem_tracedat_destroy(tp.td);
		hypmem_trace_destroy(tr);
		return hypmem_cli_error("hypmem-dump", err);
	}
	f = hypmem_trace_findings(tr);
	if (a->json) {
		struct json_object *o = json_object_new_object(), *trace = json_object_new_object();

		json_object_object_add(o, "schema", json_object_new_int(HYPMEM_JSON_SCHEMA));
		json_object_object_add(trace, "cpus", trace_stats_json(tr));
		json_object_object_add(trace, "events", tp.events);
		json_object_object_add(o, "trace", trace);
		json_object_object_add(o, "findings", hypmem_json_findings(f));
		if (hypmem_json_print(stdout, o))
			ret = HYPMEM_EXIT_USAGE;
	} else {
		if (a->stats) {
			for (unsigned int cpu = 0; cpu < hypmem_trace_nr_cpus(tr); cpu++) {
				const struct hypmem_trace_cpu_stats *st = hypmem_trace_stats(tr, cpu);

				printf("cpu %u: read %" PRIu64 " lost %" PRIu64, cpu, st->read,
				       st->lost);
				if (st->has_meta)
					printf(" entries %" PRIu64 " overrun %" PRIu64
					       " consumed %" PRIu64 " pages_lost %" PRIu64
					       " pages_touched %" PRIu64,
					       st->entries, st->overrun, st->consumed,
					       st->pages_lost, st->pages_touched);
				printf(" pages_read %" PRIu64 " pages_bad %" PRIu64 "\n",
				       st->pages_read, st->pages_bad);
			}
		}
		if (f->total) {
			printf("\n");
			hypmem_text_findings(stdout, f, SIZE_MAX);
		}
	}
	if (ret == HYPMEM_EXIT_OK && f->total)
		ret = HYPMEM_EXIT_FINDINGS;
	hypmem_tracedat_destroy(tp.td);
	hypmem_trace_destroy(tr);
	return ret;
}

static int cmd_stage2(struct hypmem_target *t, const struct dump_args *a, bool stage1)
{
	struct hypmem_stage2 s;
	struct json_object *o = NULL;
	struct hypmem_error *err;
	FILE *svg;

	err = hypmem_stage2_decode(t, HYPMEM_S2_KEEP_RUNS | (stage1 ? HYPMEM_S2_HYP_STAGE1 : 0),
				   &s);
	if (!err && a->svg) {
		svg = fopen(a->svg, "w");
		if (!svg)
			err = hypmem_error_os(errno, "%s", a->svg);
		else if (!(err = hypmem_svg_stage2(svg, &s, hypmem_target_info(t))) && fclose(svg))
			err = hypmem_error_os(errno, "%s", a->svg);
		else if (err)
			fclose(svg);
	}
	if (err) {
		hypmem_stage2_deinit(&s);
		return hypmem_cli_error("hypmem-dump", err);
	}
	if (a->json) {
		o = json_envelope(t);
		if (o) {
			json_object_object_add(o, stage1 ? "hyp_stage1" : "stage2",
					       hypmem_json_stage2(&s));
			json_object_object_add(o, "findings",
					       hypmem_json_findings(hypmem_target_findings(t)));
		}
	} else {
		hypmem_text_stage2(stdout, &s);
	}
	hypmem_stage2_deinit(&s);
	return finish(t, a->json, o);
}

static bool parse_range(const char *s, uint64_t *first, uint64_t *end)
{
	const char *dash = strchr(s, '-');
	char buf[64];
	uint64_t a, b;

	if (!dash || (size_t)(dash - s) >= sizeof(buf))
		return false;
	memcpy(buf, s, (size_t)(dash - s));
	buf[dash - s] = '\0';
	if (!hypmem_cli_u64(buf, &a) || !hypmem_cli_u64(dash + 1, &b) || b < a || b == UINT64_MAX)
		return false;
	*first = a;
	*end = b + 1;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		HYPMEM_CLI_TARGET_OPTIONS,
		{ "pfn", required_argument, NULL, OPT_PFN },
		{ "range", required_argument, NULL, OPT_RANGE },
		{ "tracefs", required_argument, NULL, OPT_TRACEFS },
		{ "output", required_argument, NULL, 'o' },
		{ "export-tracefs", required_argument, NULL, OPT_EXPORT },
		{ "export-shape", required_argument, NULL, OPT_EXPORT_SHAPE },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "svg", required_argument, NULL, OPT_SVG },
		{ 0 },
	};
	struct hypmem_target_config cfg = { 0 };
	struct dump_args a = { .first = 0, .end = UINT64_MAX };
	struct hypmem_target *t;
	struct hypmem_error *err;
	const char *cmd;
	int opt, ret;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage, stdout);
		return HYPMEM_EXIT_OK;
	}
	if (argc >= 2 && !strcmp(argv[1], "--version")) {
		printf("hypmem-dump (hypmem) %s\n", HYPMEM_VERSION);
		return HYPMEM_EXIT_OK;
	}
	if (argc < 2 || argv[1][0] == '-') {
		fputs(usage, stderr);
		return HYPMEM_EXIT_USAGE;
	}
	cmd = argv[1];
	argv++;
	argc--;
	while ((opt = getopt_long(argc, argv, "s:c:ho:", opts, NULL)) != -1) {
		int handled = hypmem_cli_target_option("hypmem-dump", &cfg, opt, optarg, &a.json);

		if (handled < 0)
			return HYPMEM_EXIT_USAGE;
		if (handled)
			continue;
		switch (opt) {
		case 'h':
			fputs(usage, stdout);
			return HYPMEM_EXIT_OK;
		case OPT_PFN:
			if (!hypmem_cli_u64(optarg, &a.first) || a.first == UINT64_MAX) {
				fprintf(stderr, "hypmem-dump: --pfn: bad number '%s'\n", optarg);
				return HYPMEM_EXIT_USAGE;
			}
			a.end = a.first + 1;
			break;
		case OPT_TRACEFS:
			a.tracefs = optarg;
			break;
		case 'o':
			a.output = optarg;
			break;
		case OPT_EXPORT:
			a.export_dir = optarg;
			break;
		case OPT_EXPORT_SHAPE:
			if (!strcmp(optarg, "raw")) {
				a.export_shape = HYPMEM_TRACEFS_RAW;
			} else if (!strcmp(optarg, "mainline")) {
				a.export_shape = HYPMEM_TRACEFS_MAINLINE;
			} else if (!strcmp(optarg, "android")) {
				a.export_shape = HYPMEM_TRACEFS_ANDROID;
			} else {
				fprintf(stderr, "hypmem-dump: --export-shape: raw, mainline or "
						"android, not '%s'\n",
					optarg);
				return HYPMEM_EXIT_USAGE;
			}
			break;
		case OPT_STATS:
			a.stats = true;
			break;
		case OPT_SVG:
			a.svg = optarg;
			break;
		case OPT_RANGE:
			if (!parse_range(optarg, &a.first, &a.end)) {
				fprintf(stderr, "hypmem-dump: --range: expected A-B, got '%s'\n",
					optarg);
				return HYPMEM_EXIT_USAGE;
			}
			break;
		default:
			fputs(usage, stderr);
			return HYPMEM_EXIT_USAGE;
		}
	}
	if (!strcmp(cmd, "layout")) {
		if (hypmem_cli_positional("hypmem-dump", &cfg, argc - optind, argv + optind, false))
			return HYPMEM_EXIT_USAGE;
		return cmd_layout(cfg.vmlinux, a.json);
	}
	if (!strcmp(cmd, "trace") && a.tracefs) {
		if (optind < argc) {
			fprintf(stderr, "hypmem-dump: --tracefs takes no VMLINUX/VMCORE\n");
			return HYPMEM_EXIT_USAGE;
		}
		return cmd_trace(NULL, &a);
	}
	if (strcmp(cmd, "vmemmap") && strcmp(cmd, "pools") && strcmp(cmd, "trace") &&
	    strcmp(cmd, "heap") && strcmp(cmd, "stage2") && strcmp(cmd, "stage1")) {
		fprintf(stderr, "hypmem-dump: unknown command '%s' (try --help)\n", cmd);
		return HYPMEM_EXIT_USAGE;
	}
	if (hypmem_cli_positional("hypmem-dump", &cfg, argc - optind, argv + optind, true))
		return HYPMEM_EXIT_USAGE;
	err = hypmem_target_open(&cfg, &t);
	if (err)
		return hypmem_cli_error("hypmem-dump", err);
	if (!strcmp(cmd, "trace"))
		ret = cmd_trace(t, &a);
	else if (!strcmp(cmd, "vmemmap"))
		ret = cmd_vmemmap(t, &a);
	else if (!strcmp(cmd, "heap"))
		ret = cmd_heap(t, &a);
	else if (!strcmp(cmd, "stage2") || !strcmp(cmd, "stage1"))
		ret = cmd_stage2(t, &a, !strcmp(cmd, "stage1"));
	else
		ret = cmd_pools(t, &a);
	hypmem_target_destroy(t);
	return ret;
}
