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
#include "hypmem/cli.h"
#include "hypmem/query.h"
#include "hypmem/report.h"
#include "hypmem/stage2.h"
#include "hypmem/trace.h"
#include "hypmem/tracedat.h"
#include "hypmem/vm_ranges.h"
#include "hypmem/vms.h"

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

static int cmd_vmemmap(struct hypmem_target *t, const struct dump_args *a)
{
	struct vmemmap_print vp = { .json = a->json };
	struct hypmem_vmemmap_summary sum;
	struct json_object *o = NULL;
	struct hypmem_error *err;

	if ((a->first || a->end != UINT64_MAX) && !range_in_ram(hypmem_target_info(t), a))
		return HYPMEM_EXIT_USAGE;
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
	int status = HYPMEM_EXIT_OK;

	err = hypmem_dwarf_open(vmlinux, &dw);
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
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "schema", json_object_new_int(HYPMEM_JSON_SCHEMA));
		json_object_object_add(o, "structs", arr);
		return hypmem_json_print(stdout, o) ? HYPMEM_EXIT_USAGE : status;
	}
	return status;
}

/* Read a u64 hyp variable; false when the kernel has none or it cannot be read. */
static bool read_u64_var(struct hypmem_target *t, const char *name, uint64_t *ret)
{
	struct hypmem_error *err;
	uint64_t pa;

	err = hypmem_target_symbol_pa(t, name, &pa, NULL);
	if (!err)
		err = hypmem_target_read(t, ret, pa, sizeof(*ret));
	hypmem_error_destroy(err);
	return !err;
}

/*
 * The ranges the map outlines: the hyp carve-out (hyp_mem_base/size) and
 * each pool's range, read from the struct alone (no free-list walk, so no
 * pool findings in a stage-2 listing).  What cannot be read is left out.
 */
static size_t svg_marks(struct hypmem_target *t, struct hypmem_svg_mark *marks, size_t max)
{
	struct hypmem_dwarf *dw = hypmem_target_dwarf(t);
	struct hypmem_field lo, hi;
	struct hypmem_type pool;
	uint64_t base, size;
	char **names = NULL;
	size_t n = 0, nr_names = 0;
	struct hypmem_error *err;

	if (read_u64_var(t, "hyp_mem_base", &base) && read_u64_var(t, "hyp_mem_size", &size) &&
	    size && base + size > base) {
		snprintf(marks[n].label, sizeof(marks[n].label), "hyp carve-out");
		marks[n].start = base;
		marks[n++].end = base + size;
	}
	err = hypmem_dwarf_find_type(dw, "struct hyp_pool", &pool);
	if (!err && !(err = hypmem_field_lookup(t, &pool, "range_start", true, &lo)) &&
	    !(err = hypmem_field_lookup(t, &pool, "range_end", true, &hi)))
		err = hypmem_dwarf_variables_of_type(dw, "struct hyp_pool", &names, &nr_names);
	hypmem_error_destroy(err);
	for (size_t i = 0; i < nr_names; i++) {
		uint8_t buf[512];
		uint64_t pa, start = 0, end = 0;

		if (n < max && pool.size <= sizeof(buf) &&
		    !(err = hypmem_target_symbol_pa(t, names[i], &pa, NULL)) &&
		    !(err = hypmem_target_read(t, buf, pa, pool.size)) &&
		    hypmem_field_get(&lo, buf, pool.size, &start) &&
		    hypmem_field_get(&hi, buf, pool.size, &end) && start < end) {
			snprintf(marks[n].label, sizeof(marks[n].label), "pool %s", names[i]);
			marks[n].start = start;
			marks[n++].end = end;
		}
		hypmem_error_destroy(err);
		err = NULL;
		free(names[i]);
	}
	free(names);
	return n;
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
	extra.nr_marks = svg_marks(t, marks, sizeof(marks) / sizeof(marks[0]));
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

static int cmd_stage2(struct hypmem_target *t, const struct dump_args *a, bool stage1)
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

static int cmd_vms(struct hypmem_target *t, const struct dump_args *a)
{
	struct json_object *o = NULL;
	struct hypmem_vms v;
	struct hypmem_error *err = hypmem_vms_decode(t, &v);

	if (err) {
		hypmem_vms_deinit(&v);
		return hypmem_cli_error("hypmem-dump", err);
	}
	if (a->json) {
		o = json_envelope(t);
		if (o) {
			json_object_object_add(o, "vms", hypmem_json_vms(&v));
			json_object_object_add(o, "findings",
					       hypmem_json_findings(hypmem_target_findings(t)));
		}
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

/* page: VMLINUX and VMCORE first (unless -s/-c/--raw gave them), then addresses. */
static int cmd_page(struct hypmem_target_config *cfg, const struct dump_args *a, int argc,
		    char **argv)
{
	struct hypmem_addr *addrs;
	struct hypmem_target *t;
	struct hypmem_query *q;
	struct hypmem_error *err;
	struct json_object *o = NULL, *arr = NULL;
	int i = 0, nr = 0;

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
	if (a->json) {
		o = json_envelope(t);
		arr = json_object_new_array();
	}
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
		json_object_put(o);
		json_object_put(arr);
		hypmem_query_destroy(q);
		hypmem_target_destroy(t);
		return hypmem_cli_error("hypmem-dump", err);
	}
	if (a->json && o) {
		json_object_object_add(o, "pages", arr);
		json_object_object_add(o, "findings", hypmem_json_findings(hypmem_target_findings(t)));
	}
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
static const char *const cmd_names[] = { "vmemmap", "pools", "layout", "stage2",
					 "stage1",  "vms",   "heap",   "trace",
					 "page" };
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
		for (size_t c = 0; c < sizeof(cmd_names) / sizeof(cmd_names[0]); c++)
			if (option_scope[i].cmds & CMD_BIT(c) && len < sizeof(only))
				len += (size_t)snprintf(only + len, sizeof(only) - len, "%s%s",
							len ? ", " : "", cmd_names[c]);
		fprintf(stderr, "hypmem-dump: %s does not apply to %s (only to %s)\n",
			option_scope[i].name, cmd_names[cmd], only);
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
		{ 0 },
	};
	struct hypmem_target_config cfg = { 0 };
	struct dump_args a = { .first = 0, .end = UINT64_MAX };
	struct hypmem_target *t;
	bool seen[NR_SCOPED] = { false };
	enum dump_cmd cmd;
	size_t c;
	int opt, ret;

	/* Options may come before or after the command (getopt permutes). */
	while ((opt = getopt_long(argc, argv, "s:c:ho:", opts, NULL)) != -1) {
		int handled = hypmem_cli_target_option("hypmem-dump", &cfg, opt, optarg, &a.json);

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
			return hypmem_cli_try_help("hypmem-dump");
		}
	}
	if (optind == argc) {
		fprintf(stderr, "hypmem-dump: no command given (vmemmap, pools, layout, stage2, "
				"stage1, vms, heap, trace or page; try --help)\n");
		return HYPMEM_EXIT_USAGE;
	}
	for (c = 0; c < sizeof(cmd_names) / sizeof(cmd_names[0]); c++)
		if (!strcmp(argv[optind], cmd_names[c]))
			break;
	if (c == sizeof(cmd_names) / sizeof(cmd_names[0])) {
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
	if (cmd == CMD_LAYOUT) {
		/* "layout VMLINUX VMCORE" (crash's order, as for the others) ignores VMCORE. */
		if (hypmem_cli_positional("hypmem-dump", &cfg, argc - optind, argv + optind, false))
			return HYPMEM_EXIT_USAGE;
		return cmd_layout(cfg.vmlinux, a.json);
	}
	if (cmd == CMD_PAGE)
		return cmd_page(&cfg, &a, argc - optind, argv + optind);
	if (cmd == CMD_TRACE && a.tracefs) {
		if (optind < argc || cfg.vmlinux || cfg.core || cfg.raw_spec) {
			fprintf(stderr, "hypmem-dump: --tracefs takes no VMLINUX/VMCORE\n");
			return HYPMEM_EXIT_USAGE;
		}
		return cmd_trace(NULL, &a);
	}
	if (hypmem_cli_positional("hypmem-dump", &cfg, argc - optind, argv + optind, true))
		return HYPMEM_EXIT_USAGE;
	if ((ret = hypmem_cli_open("hypmem-dump", &cfg, &t)))
		return ret;
	switch (cmd) {
	case CMD_TRACE:
		ret = cmd_trace(t, &a);
		break;
	case CMD_VMEMMAP:
		ret = cmd_vmemmap(t, &a);
		break;
	case CMD_HEAP:
		ret = cmd_heap(t, &a);
		break;
	case CMD_STAGE2:
	case CMD_STAGE1:
		ret = cmd_stage2(t, &a, cmd == CMD_STAGE1);
		break;
	case CMD_VMS:
		ret = cmd_vms(t, &a);
		break;
	default:
		ret = cmd_pools(t, &a);
		break;
	}
	hypmem_target_destroy(t);
	return ret;
}
