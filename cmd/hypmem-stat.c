// SPDX-License-Identifier: GPL-2.0-only
/*
 * hypmem-stat: one-screen summary of a pKVM hypervisor's memory in a dump.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "cli.h"
#include "hypmem/cost.h"
#include "hypmem/report.h"
#include "hypmem/render.h"

static const char usage[] =
	"Usage: hypmem-stat [OPTIONS] VMLINUX VMCORE\n"
	"       hypmem-stat [OPTIONS] -s VMLINUX {-c VMCORE | --raw FILE@PHYS}\n"
	"Summarise the pKVM hypervisor's memory in a crash dump: buddy pools\n"
	"(free blocks per order), the hyp vmemmap, and any corruption found.\n"
	"\n"
	"  -s, --symbols FILE       vmlinux (or hypmem EL2 image) with DWARF\n"
	"  -c, --core FILE          ELF or kdump-compressed dump (detected from content)\n"
	"      --raw FILE@PHYS      raw memory image starting at physical address PHYS\n"
	"      --kaslr-offset N     KASLR offset when the dump has no VMCOREINFO\n"
	"      --kimage-voffset N   kernel image VA - PA when the dump has no VMCOREINFO\n"
	"      --force              go on when VMLINUX is not the kernel of the dump\n"
	"      --json               JSON output (schema: man 5 hypmem-json)\n"
	"      --cost               also what the metadata costs per GiB of RAM, with\n"
	"                           each struct hyp_page layout, and derivable fields\n"
	"  -h, --help               this help\n"
	"      --version            version\n"
	"\n"
	"Exit status: 0 clean, 1 findings reported, 2 usage error or unreadable input.\n";

int main(int argc, char **argv)
{
	enum { OPT_COST = HYPMEM_OPT_FIRST_PRIVATE };
	static const struct option opts[] = { HYPMEM_CLI_TARGET_OPTIONS,
					      { "cost", no_argument, NULL, OPT_COST },
					      { 0 } };
	struct hypmem_cost cost;
	bool want_cost = false;
	struct hypmem_target_config cfg = { 0 };
	struct hypmem_target *t;
	struct hypmem_report r;
	struct hypmem_error *err;
	bool json = false;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "s:c:h", opts, NULL)) != -1) {
		int handled = hypmem_cli_target_option("hypmem-stat", &cfg, opt, optarg, &json);

		if (handled < 0)
			return HYPMEM_EXIT_USAGE;
		if (handled)
			continue;
		if (opt == 'h') {
			fputs(usage, stdout);
			return HYPMEM_EXIT_OK;
		}
		if (opt == OPT_COST) {
			want_cost = true;
			continue;
		}
		return hypmem_cli_try_help("hypmem-stat");
	}
	if (hypmem_cli_positional("hypmem-stat", &cfg, argc - optind, argv + optind, true))
		return HYPMEM_EXIT_USAGE;

	if ((ret = hypmem_cli_open("hypmem-stat", &cfg, &t)))
		return ret;
	err = hypmem_report_collect(t, &r);
	if (err) {
		hypmem_target_destroy(t);
		return hypmem_cli_error("hypmem-stat", err);
	}
	if (want_cost && (err = hypmem_cost_compute(t, &r, &cost))) {
		hypmem_report_deinit(&r);
		hypmem_target_destroy(t);
		return hypmem_cli_error("hypmem-stat", err);
	}
	if (json) {
		struct json_object *o = hypmem_json_report(t, &r);

		if (o && want_cost)
			json_object_object_add(o, "cost", hypmem_json_cost(&cost));
		if (hypmem_json_print(stdout, o)) {
			fprintf(stderr, "hypmem-stat: cannot write JSON\n");
			ret = HYPMEM_EXIT_USAGE;
			goto out;
		}
	} else {
		hypmem_text_summary(stdout, t, &r);
		if (want_cost) {
			printf("\n");
			hypmem_text_cost(stdout, &cost);
		}
	}
	ret = hypmem_target_findings(t)->total ? HYPMEM_EXIT_FINDINGS : HYPMEM_EXIT_OK;
out:
	hypmem_report_deinit(&r);
	hypmem_target_destroy(t);
	return ret;
}
