// SPDX-License-Identifier: GPL-2.0-only
/*
 * hypmem-dump: full listings of the pKVM hypervisor's memory structures.
 *
 *   vmemmap  one line per hyp_page (all RAM, or --pfn / --range)
 *   pools    every hyp_pool with its free lists, per order
 *   layout   the structs the decoders use, as DWARF describes them
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hypmem/cli.h"
#include "hypmem/report.h"

static const char usage[] =
	"Usage: hypmem-dump COMMAND [OPTIONS] VMLINUX [VMCORE]\n"
	"Dump the pKVM hypervisor's memory structures from a crash dump.\n"
	"\n"
	"Commands:\n"
	"  vmemmap   one line per struct hyp_page (PFN, refcount, order, states)\n"
	"  pools     every struct hyp_pool: range, max order, free blocks per order\n"
	"  layout    the structs hypmem decodes, pahole-style (needs only VMLINUX)\n"
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
	"  -h, --help               this help\n"
	"      --version            version\n"
	"\n"
	"Exit status: 0 clean, 1 findings reported, 2 usage error or unreadable input.\n";

enum { OPT_PFN = HYPMEM_OPT_FIRST_PRIVATE, OPT_RANGE };

struct dump_args {
	bool json;
	uint64_t first, end; /* PFN range, end exclusive */
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
					     "struct memblock_region" };
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
	while ((opt = getopt_long(argc, argv, "s:c:h", opts, NULL)) != -1) {
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
	if (strcmp(cmd, "vmemmap") && strcmp(cmd, "pools")) {
		fprintf(stderr, "hypmem-dump: unknown command '%s' (try --help)\n", cmd);
		return HYPMEM_EXIT_USAGE;
	}
	if (hypmem_cli_positional("hypmem-dump", &cfg, argc - optind, argv + optind, true))
		return HYPMEM_EXIT_USAGE;
	err = hypmem_target_open(&cfg, &t);
	if (err)
		return hypmem_cli_error("hypmem-dump", err);
	if (!strcmp(cmd, "vmemmap"))
		ret = cmd_vmemmap(t, &a);
	else
		ret = cmd_pools(t, &a);
	hypmem_target_destroy(t);
	return ret;
}
