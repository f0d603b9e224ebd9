// SPDX-License-Identifier: GPL-2.0-only
/*
 * hypmem-dump: full listings of the pKVM hypervisor's memory structures.
 *
 *   vmemmap  one line per hyp_page (all RAM, or --pfn / --range)
 *   pools    every hyp_pool with its free lists, per order
 *   layout   the structs the decoders use, as DWARF describes them
 *   stage2   the host stage-2 as runs of leaves (stage1: the hyp stage-1)
 *   vms      the VMs of vm_table, each guest stage-2 as runs of leaves
 *   heap     every hyp heap (struct hyp_allocator): chunks and holes
 *   trace    the hypervisor's trace events, merged across CPUs
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "dump.h"
#include "cli.h"
#include "hypmem/query.h"
#include "hypmem/report.h"
#include "hypmem/stage2.h"
#include "hypmem/trace.h"
#include "hypmem/tracedat.h"
#include "hypmem/vm_ranges.h"
#include "hypmem/vms.h"
#include "hypmem/render.h"

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
	"  vms       the VMs of vm_table and each one's guest stage-2 as runs\n"
	"  heap      every hyp heap (struct hyp_allocator): one line per chunk, holes\n"
	"  trace     hypervisor trace events, like trace-cmd report (a dump, live RAM\n"
	"            with --raw, or a tracefs directory with --tracefs)\n"
	"  page      everything about pages: page VMLINUX VMCORE ADDR... where ADDR is\n"
	"            a PA, pfn:N, pa:X, hyp:X (hyp VA), kva:X (kernel image VA) or\n"
	"            sym:NAME; a bare number is a kernel VA if bits 63:48 are set, a PA\n"
	"            if in RAM, else a hyp VA if mapped\n"
	"\n"
	"Options:\n"
	"  -s, --symbols FILE       vmlinux (or hypmem EL2 image) with DWARF\n"
	"  -c, --core FILE          ELF or kdump-compressed dump\n"
	"      --raw FILE@PHYS      raw memory image starting at physical address PHYS\n"
	"      --kaslr-offset N     KASLR offset when the dump has no VMCOREINFO\n"
	"      --kimage-voffset N   kernel image VA - PA when the dump has no VMCOREINFO\n"
	"      --force              go on when VMLINUX is not the kernel of the dump\n"
	"      --pfn N              vmemmap: only this PFN\n"
	"      --range A-B          vmemmap: PFNs A to B inclusive\n"
	"      --json               JSON output (schema: man 5 hypmem-json)\n"
	"      --svg FILE           stage2: also write a memory map of RAM to FILE\n"
	"      --tracefs DIR        trace: read DIR (remotes/hypervisor/ or hyp/ inside)\n"
	"  -o, --output FILE        trace: also write FILE in trace-cmd's trace.dat format\n"
	"      --export-tracefs DIR trace: write the events as a tracefs tree under DIR\n"
	"      --export-shape S     trace: mainline (default; 7.x remotes/hypervisor/\n"
	"                           with text pipes) or android (hyp/, pages with\n"
	"                           a 32-byte footer)\n"
	"      --stats              trace: per-CPU counters after the events\n"
	"  -e, --event EVENT        trace: only these events (names or globs like\n"
	"                           'hyp_*', comma lists; may be repeated)\n"
	"      --cpu LIST           trace: only these CPUs (like 0,2-3)\n"
	"      --since T            trace: only from time T (seconds, as printed)\n"
	"      --until T            trace: only up to time T (seconds, as printed)\n"
	"      --json-lines         trace: one JSON object per event and line, then\n"
	"                           one with the counters and findings\n"
	"  -h, --help               this help\n"
	"      --version            version\n"
	"\n"
	"Exit status: 0 clean, 1 findings reported, 2 usage error or unreadable input.\n";

enum { OPT_PFN = HYPMEM_OPT_FIRST_PRIVATE, OPT_RANGE, OPT_TRACEFS, OPT_EXPORT, OPT_STATS };
enum { OPT_SVG = HYPMEM_OPT_FIRST_PRIVATE + 0x40, OPT_EXPORT_SHAPE };
enum { OPT_CPU = HYPMEM_OPT_FIRST_PRIVATE + 0x50, OPT_SINCE, OPT_UNTIL, OPT_JSON_LINES };

/* What a subcommand gets: the options, and the arguments after its name. */
struct dump_ctx {
	struct hypmem_target_config *cfg;
	const struct dump_args *a;
	int argc;
	char **argv;
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

/* --pfn/--range must touch RAM the hypervisor knows (hyp_memory), else say where RAM is. */
static bool range_in_ram(const struct hypmem_target_info *info, const struct dump_args *a)
{
	char ram[256] = "";
	size_t len = 0;

	for (size_t i = 0; i < info->nr_ram; i++) {
		uint64_t s = info->ram[i].start / info->page_size, e = info->ram[i].end / info->page_size;

		if (a->first < e && s < a->end)
			return true;
		if (len < sizeof(ram))
			len += (size_t)snprintf(ram + len, sizeof(ram) - len, "%s0x%" PRIx64 "-0x%" PRIx64,
						len ? ", " : "", s, e - 1);
	}
	if (a->end - a->first == 1)
		fprintf(stderr, "hypmem-dump: PFN 0x%" PRIx64 " is not in RAM (PFNs %s)\n", a->first,
			ram);
	else
		fprintf(stderr,
			"hypmem-dump: PFNs 0x%" PRIx64 "-0x%" PRIx64 " are not in RAM (PFNs %s)\n",
			a->first, a->end - 1, ram);
	return false;
}

static int cmd_vmemmap(struct hypmem_target *t, struct dump_ctx *c)
{
	const struct dump_args *a = c->a;
	struct vmemmap_print vp = { .json = a->json };
	struct hypmem_vmemmap_summary sum;
	struct json_object *o = NULL;
	struct hypmem_error *err;

	if ((a->first || a->end != UINT64_MAX) && !range_in_ram(hypmem_target_info(t), a))
		return HYPMEM_EXIT_USAGE;
	if (a->json) {
		o = hypmem_json_envelope(t);
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

static int cmd_heap(struct hypmem_target *t, struct dump_ctx *c)
{
	const struct dump_args *a = c->a;
	struct hypmem_heap *heaps;
	struct json_object *o = NULL;
	char note[192];
	struct hypmem_error *err;
	size_t nr;

	err = hypmem_heaps_decode(t, true, &heaps, &nr);
	if (err && a->json && hypmem_heap_note(err, note, sizeof(note))) {
		/* No heap to show: the JSON says why too; the exit status stays 2. */
		o = hypmem_json_envelope(t);
		if (o) {
			json_object_object_add(o, "heap", json_object_new_array());
			json_object_object_add(o, "heap_note", json_object_new_string(note));
			json_object_object_add(o, "findings",
					       hypmem_json_findings(hypmem_target_findings(t)));
		}
		hypmem_json_print(stdout, o);
	}
	if (err)
		return hypmem_cli_error("hypmem-dump", err);
	if (a->json) {
		o = hypmem_json_document(t, "heap", hypmem_json_heaps(heaps, nr));
	} else {
		for (size_t i = 0; i < nr; i++) {
			hypmem_text_heap(stdout, &heaps[i]);
			printf("\n");
		}
	}
	hypmem_heaps_free(heaps, nr);
	return finish(t, a->json, o);
}

static int cmd_pools(struct hypmem_target *t, struct dump_ctx *c)
{
	const struct dump_args *a = c->a;
	struct hypmem_pool *pools;
	struct json_object *o = NULL;
	struct hypmem_error *err;
	size_t nr;

	err = hypmem_pools_decode(t, &pools, &nr);
	if (err)
		return hypmem_cli_error("hypmem-dump", err);
	if (a->json) {
		o = hypmem_json_document(t, "pools", hypmem_json_pools(pools, nr));
	} else {
		hypmem_text_pools_detail(stdout, pools, nr);
	}
	free(pools);
	return finish(t, a->json, o);
}

/* "layout VMLINUX VMCORE" (crash's order, as for the others) ignores VMCORE. */
static int cmd_layout(struct hypmem_target *unused, struct dump_ctx *c)
{
	static const char *const types[] = { "struct hyp_page", "struct hyp_pool",
					     "struct list_head", "struct kvm_pgtable",
					     "struct memblock_region", "struct hyp_allocator",
					     "struct chunk_hdr", "struct kvm_hyp_memcache" };
	struct hypmem_dwarf *dw;
	struct hypmem_error *err;
	struct json_object *arr = NULL;
	bool json = c->a->json;
	int status = HYPMEM_EXIT_OK;

	(void)unused;
	if (hypmem_cli_positional("hypmem-dump", c->cfg, c->argc, c->argv, false))
		return HYPMEM_EXIT_USAGE;
	err = hypmem_dwarf_open(c->cfg->vmlinux, &dw);
	if (!err && (err = hypmem_dwarf_check_pkvm(dw)))
		hypmem_dwarf_destroy(dw);
	if (err)
		return hypmem_cli_error("hypmem-dump", err);
	if (json)
		arr = json_object_new_array();
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		const struct hypmem_member *members;
		struct hypmem_type type;
		size_t nr;

		err = hypmem_dwarf_find_type(dw, types[i], &type);
		if (err) {
			if (!json)
				printf("/* %s: %s */\n\n", types[i], err->message);
			/* Absent is fine (an older kernel); damaged DWARF is a finding. */
			if (err->code != HYPMEM_ERROR_LOOKUP) {
				fprintf(stderr, "hypmem-dump: %s\n", err->message);
				status = HYPMEM_EXIT_FINDINGS;
			}
			hypmem_error_destroy(err);
			continue;
		}
		if ((err = hypmem_dwarf_members(dw, &type, &members, &nr))) {
			fprintf(stderr, "hypmem-dump: %s: %s\n", types[i], err->message);
			status = HYPMEM_EXIT_FINDINGS;
			hypmem_error_destroy(err);
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
		struct json_object *o = hypmem_json_envelope(NULL);

		if (o)
			json_object_object_add(o, "structs", arr);
		else
			json_object_put(arr);
		return hypmem_json_print(stdout, o) ? HYPMEM_EXIT_USAGE : status;
	}
	return status;
}

static struct hypmem_error *write_svg(struct hypmem_target *t, const struct hypmem_stage2 *s,
				      const char *path)
{
	struct hypmem_svg_mark marks[8];
	struct hypmem_svg_extra extra = { .marks = marks };
	struct hypmem_vm_mems vms;
	struct hypmem_error *err;
	FILE *svg;

	/* Each VM's guest stage-2, else its ranges[]; with neither, guest memory is one colour. */
	err = hypmem_vm_mems_collect(t, &vms);
	if (!err)
		extra.vms = &vms;
	extra.nr_marks = hypmem_map_marks(t, marks, sizeof(marks) / sizeof(marks[0]));
	if (err)
		goto out;
	svg = fopen(path, "w");
	if (!svg) {
		err = hypmem_error_os(errno, "%s", path);
		goto out;
	}
	err = hypmem_svg_stage2_extra(svg, s, hypmem_target_info(t), &extra);
	if (fclose(svg) && !err)
		err = hypmem_error_os(errno, "%s", path);
out:
	hypmem_vm_mems_deinit(&vms);
	return err;
}

static int stage2_or_1(struct hypmem_target *t, const struct dump_args *a, bool stage1)
{
	struct hypmem_stage2 s;
	struct json_object *o = NULL;
	struct hypmem_error *err;

	err = hypmem_stage2_decode(t, HYPMEM_S2_KEEP_RUNS | (stage1 ? HYPMEM_S2_HYP_STAGE1 : 0),
				   &s);
	if (!err && a->svg)
		err = write_svg(t, &s, a->svg);
	if (err) {
		hypmem_stage2_deinit(&s);
		return hypmem_cli_error("hypmem-dump", err);
	}
	if (a->json) {
		o = hypmem_json_document(t, stage1 ? "hyp_stage1" : "stage2",
					 hypmem_json_stage2(&s));
	} else {
		hypmem_text_stage2(stdout, &s);
	}
	hypmem_stage2_deinit(&s);
	return finish(t, a->json, o);
}

static int cmd_vms(struct hypmem_target *t, struct dump_ctx *c)
{
	const struct dump_args *a = c->a;
	struct json_object *o = NULL;
	struct hypmem_vms v;
	struct hypmem_error *err = hypmem_vms_decode(t, &v);

	if (err) {
		hypmem_vms_deinit(&v);
		return hypmem_cli_error("hypmem-dump", err);
	}
	if (a->json) {
		o = hypmem_json_document(t, "vms", hypmem_json_vms(&v));
	} else if (!v.found) {
		printf("no vm_table in this kernel\n");
	} else {
		hypmem_text_vms(stdout, &v);
		for (size_t i = 0; i < v.nr; i++) {
			printf("\n");
			hypmem_text_stage2(stdout, &v.vms[i].s2);
		}
	}
	hypmem_vms_deinit(&v);
	return finish(t, a->json, o);
}

static int cmd_stage2(struct hypmem_target *t, struct dump_ctx *c)
{
	return stage2_or_1(t, c->a, false);
}

static int cmd_stage1(struct hypmem_target *t, struct dump_ctx *c)
{
	return stage2_or_1(t, c->a, true);
}

/* page: VMLINUX and VMCORE first (unless -s/-c/--raw gave them), then addresses. */
static int cmd_page(struct hypmem_target *unused, struct dump_ctx *c)
{
	struct hypmem_target_config *cfg = c->cfg;
	const struct dump_args *a = c->a;
	int argc = c->argc;
	char **argv = c->argv;
	struct hypmem_addr *addrs;
	struct hypmem_target *t;
	struct hypmem_query *q;
	struct hypmem_error *err;
	struct json_object *o = NULL, *arr = NULL;
	int i = 0, nr = 0;

	(void)unused;
	if (!cfg->vmlinux && i < argc)
		cfg->vmlinux = argv[i++];
	if (!cfg->core && !cfg->raw_spec && i < argc)
		cfg->core = argv[i++];
	if (hypmem_cli_positional("hypmem-dump", cfg, 0, NULL, true))
		return HYPMEM_EXIT_USAGE;
	if (i >= argc) {
		fprintf(stderr, "hypmem-dump: page: no ADDR given (try --help)\n");
		return HYPMEM_EXIT_USAGE;
	}
	addrs = calloc((size_t)(argc - i), sizeof(*addrs));
	if (!addrs)
		return hypmem_cli_error("hypmem-dump", &hypmem_enomem);
	for (; i < argc; i++) {
		if (!hypmem_query_parse(argv[i], &addrs[nr++])) {
			fprintf(stderr, "hypmem-dump: page: bad address '%s'\n", argv[i]);
			free(addrs);
			return HYPMEM_EXIT_USAGE;
		}
	}
	err = hypmem_target_open(cfg, &t);
	if (!err && (err = hypmem_query_open(t, &q)))
		hypmem_target_destroy(t);
	if (err) {
		free(addrs);
		return hypmem_cli_error("hypmem-dump", err);
	}
	if (a->json)
		arr = json_object_new_array();
	for (int k = 0; k < nr && !err; k++) {
		struct hypmem_page_query r;

		err = hypmem_query_page(q, &addrs[k], &r);
		if (err)
			break;
		if (a->json)
			json_object_array_add(arr, hypmem_json_page_query(q, &r));
		else
			hypmem_text_page_query(stdout, q, &r);
	}
	free(addrs);
	if (err) {
		json_object_put(arr);
		hypmem_query_destroy(q);
		hypmem_target_destroy(t);
		return hypmem_cli_error("hypmem-dump", err);
	}
	if (a->json)
		o = hypmem_json_document(t, "pages", arr);
	/* The page's own findings are printed with it; the exit status counts all. */
	{
		int ret = a->json ? finish(t, true, o)
				  : (hypmem_target_findings(t)->total ? HYPMEM_EXIT_FINDINGS
								      : HYPMEM_EXIT_OK);

		hypmem_query_destroy(q);
		hypmem_target_destroy(t);
		return ret;
	}
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

/*
 * An output (-o, --svg: a file; --export-tracefs: a directory) that cannot
 * be written is found before any work: its directory must exist and be
 * writable (files are written beside it and renamed), an existing file
 * writable and not a directory.
 */
static bool output_ok(const char *opt, const char *path, bool is_dir)
{
	char *copy = strdup(path), *dir;
	struct stat st;
	int errnum = 0;
	bool ok;

	if (!copy) {
		fprintf(stderr, "hypmem-dump: out of memory\n");
		return false;
	}
	dir = dirname(copy);
	if (!stat(path, &st)) {
		if (!is_dir && S_ISDIR(st.st_mode))
			errnum = EISDIR;
		else if (is_dir && !S_ISDIR(st.st_mode))
			errnum = ENOTDIR;
		else if (access(path, W_OK))
			errnum = errno;
	} else if (errno != ENOENT) {
		errnum = errno;
	}
	if (errnum) {
		fprintf(stderr, "hypmem-dump: %s %s: %s\n", opt, path, strerror(errnum));
	} else if (stat(dir, &st) || (!S_ISDIR(st.st_mode) && (errno = ENOTDIR)) ||
		   access(dir, W_OK)) {
		fprintf(stderr, "hypmem-dump: %s %s: directory %s: %s\n", opt, path, dir,
			strerror(errno));
		errnum = errno;
	}
	ok = !errnum;
	free(copy);
	return ok;
}

/* trace reads a dump, or (--tracefs) a directory and no dump at all. */
static int cmd_trace_tracefs(struct hypmem_target *t, struct dump_ctx *c)
{
	if (c->argc || c->cfg->vmlinux || c->cfg->core || c->cfg->raw_spec) {
		fprintf(stderr, "hypmem-dump: --tracefs takes no VMLINUX/VMCORE\n");
		return HYPMEM_EXIT_USAGE;
	}
	return cmd_trace(t, c->a);
}

static int cmd_trace_dump(struct hypmem_target *t, struct dump_ctx *c)
{
	return cmd_trace(t, c->a);
}

/* The commands, and which of them each command-specific option applies to. */
enum dump_cmd {
	CMD_VMEMMAP,
	CMD_POOLS,
	CMD_LAYOUT,
	CMD_STAGE2,
	CMD_STAGE1,
	CMD_VMS,
	CMD_HEAP,
	CMD_TRACE,
	CMD_PAGE
};
/*
 * One row per subcommand.  With needs_core, main() takes VMLINUX and
 * VMCORE, opens the target and hands it to run; without, run gets NULL and
 * the arguments as they are (layout needs only VMLINUX, page takes
 * addresses after the files, trace --tracefs reads a directory).
 */
typedef int dump_run_fn(struct hypmem_target *t, struct dump_ctx *c);
static const struct {
	const char *name;
	bool needs_core;
	dump_run_fn *run;
} dump_cmds[] = {
	[CMD_VMEMMAP] = { "vmemmap", true, cmd_vmemmap },
	[CMD_POOLS] = { "pools", true, cmd_pools },
	[CMD_LAYOUT] = { "layout", false, cmd_layout },
	[CMD_STAGE2] = { "stage2", true, cmd_stage2 },
	[CMD_STAGE1] = { "stage1", true, cmd_stage1 },
	[CMD_VMS] = { "vms", true, cmd_vms },
	[CMD_HEAP] = { "heap", true, cmd_heap },
	[CMD_TRACE] = { "trace", true, cmd_trace_dump },
	[CMD_PAGE] = { "page", false, cmd_page },
};
#define NR_CMDS (sizeof(dump_cmds) / sizeof(dump_cmds[0]))
#define CMD_BIT(c)  (1u << (c))
#define CMDS_TARGET (~CMD_BIT(CMD_LAYOUT)) /* everything that reads a dump */

/* Options not listed apply to every command. */
static const struct {
	int opt;
	const char *name;
	unsigned int cmds;
} option_scope[] = {
	{ OPT_PFN, "--pfn", CMD_BIT(CMD_VMEMMAP) },
	{ OPT_RANGE, "--range", CMD_BIT(CMD_VMEMMAP) },
	{ OPT_SVG, "--svg", CMD_BIT(CMD_STAGE2) },
	{ OPT_TRACEFS, "--tracefs", CMD_BIT(CMD_TRACE) },
	{ 'o', "-o/--output", CMD_BIT(CMD_TRACE) },
	{ OPT_EXPORT, "--export-tracefs", CMD_BIT(CMD_TRACE) },
	{ OPT_STATS, "--stats", CMD_BIT(CMD_TRACE) },
	{ OPT_EXPORT_SHAPE, "--export-shape", CMD_BIT(CMD_TRACE) },
	{ 'e', "-e/--event", CMD_BIT(CMD_TRACE) },
	{ OPT_CPU, "--cpu", CMD_BIT(CMD_TRACE) },
	{ OPT_SINCE, "--since", CMD_BIT(CMD_TRACE) },
	{ OPT_UNTIL, "--until", CMD_BIT(CMD_TRACE) },
	{ OPT_JSON_LINES, "--json-lines", CMD_BIT(CMD_TRACE) },
	{ 'c', "-c/--core", CMDS_TARGET },
	{ HYPMEM_OPT_RAW, "--raw", CMDS_TARGET },
	{ HYPMEM_OPT_KASLR, "--kaslr-offset", CMDS_TARGET },
	{ HYPMEM_OPT_KIMAGE_VOFFSET, "--kimage-voffset", CMDS_TARGET },
};
#define NR_SCOPED (sizeof(option_scope) / sizeof(option_scope[0]))

static void note_option(int opt, bool seen[NR_SCOPED])
{
	for (size_t i = 0; i < NR_SCOPED; i++)
		if (option_scope[i].opt == opt)
			seen[i] = true;
}

/* An option given to a command it means nothing to: say so, exit 2. */
static bool options_apply(enum dump_cmd cmd, const bool seen[NR_SCOPED])
{
	for (size_t i = 0; i < NR_SCOPED; i++) {
		char only[128] = "";
		size_t len = 0;

		if (!seen[i] || (option_scope[i].cmds & CMD_BIT(cmd)))
			continue;
		for (size_t c = 0; c < NR_CMDS; c++)
			if (option_scope[i].cmds & CMD_BIT(c) && len < sizeof(only))
				len += (size_t)snprintf(only + len, sizeof(only) - len, "%s%s",
							len ? ", " : "", dump_cmds[c].name);
		fprintf(stderr, "hypmem-dump: %s does not apply to %s (only to %s)\n",
			option_scope[i].name, dump_cmds[cmd].name, only);
		return false;
	}
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
		{ "event", required_argument, NULL, 'e' },
		{ "cpu", required_argument, NULL, OPT_CPU },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{ "json-lines", no_argument, NULL, OPT_JSON_LINES },
		{ 0 },
	};
	struct hypmem_target_config cfg = { 0 };
	struct dump_args a = { .first = 0, .end = UINT64_MAX };
	struct dump_ctx ctx = { .cfg = &cfg, .a = &a };
	struct hypmem_target *t;
	bool seen[NR_SCOPED] = { false };
	enum dump_cmd cmd;
	size_t c;
	int opt, ret;

	/* Options may come before or after the command (getopt permutes). */
	while ((opt = getopt_long(argc, argv, "s:c:ho:e:", opts, NULL)) != -1) {
		int handled = hypmem_cli_target_option("hypmem-dump", &cfg, opt, optarg, &a.json);
		struct hypmem_error *ferr = NULL;

		if (handled < 0)
			return HYPMEM_EXIT_USAGE;
		note_option(opt, seen);
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
			if (!strcmp(optarg, "mainline")) {
				a.export_shape = HYPMEM_TRACEFS_MAINLINE;
			} else if (!strcmp(optarg, "android")) {
				a.export_shape = HYPMEM_TRACEFS_ANDROID;
			} else {
				fprintf(stderr, "hypmem-dump: --export-shape: mainline or "
						"android, not '%s'\n",
					optarg);
				return HYPMEM_EXIT_USAGE;
			}
			break;
		case OPT_STATS:
			a.stats = true;
			break;
		case 'e':
			ferr = hypmem_trace_filter_events(&a.filter, optarg);
			break;
		case OPT_CPU:
			ferr = hypmem_trace_filter_cpus(&a.filter, optarg);
			break;
		case OPT_SINCE:
			ferr = hypmem_trace_filter_window(&a.filter, optarg, NULL);
			break;
		case OPT_UNTIL:
			ferr = hypmem_trace_filter_window(&a.filter, NULL, optarg);
			break;
		case OPT_JSON_LINES:
			a.json_lines = true;
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
			return hypmem_cli_try_help("hypmem-dump");
		}
		if (ferr)
			return hypmem_cli_error("hypmem-dump", ferr);
	}
	if (a.json && a.json_lines) {
		fprintf(stderr, "hypmem-dump: --json and --json-lines: choose one\n");
		return HYPMEM_EXIT_USAGE;
	}
	if (optind == argc) {
		fprintf(stderr, "hypmem-dump: no command given (vmemmap, pools, layout, stage2, "
				"stage1, vms, heap, trace or page; try --help)\n");
		return HYPMEM_EXIT_USAGE;
	}
	for (c = 0; c < NR_CMDS; c++)
		if (!strcmp(argv[optind], dump_cmds[c].name))
			break;
	if (c == NR_CMDS) {
		fprintf(stderr, "hypmem-dump: unknown command '%s' (try --help)\n", argv[optind]);
		return HYPMEM_EXIT_USAGE;
	}
	cmd = (enum dump_cmd)c;
	optind++;
	if (!options_apply(cmd, seen))
		return HYPMEM_EXIT_USAGE;
	if ((a.output && !output_ok("-o", a.output, false)) ||
	    (a.svg && !output_ok("--svg", a.svg, false)) ||
	    (a.export_dir && !output_ok("--export-tracefs", a.export_dir, true)))
		return HYPMEM_EXIT_USAGE;
	ctx.argc = argc - optind;
	ctx.argv = argv + optind;
	if (cmd == CMD_TRACE && a.tracefs)
		return cmd_trace_tracefs(NULL, &ctx);
	if (!dump_cmds[cmd].needs_core)
		return dump_cmds[cmd].run(NULL, &ctx);
	if (hypmem_cli_positional("hypmem-dump", &cfg, ctx.argc, ctx.argv, true))
		return HYPMEM_EXIT_USAGE;
	if ((ret = hypmem_cli_open("hypmem-dump", &cfg, &t)))
		return ret;
	ret = dump_cmds[cmd].run(t, &ctx);
	hypmem_target_destroy(t);
	return ret;
}
