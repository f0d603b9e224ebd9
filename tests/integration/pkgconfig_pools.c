// SPDX-License-Identifier: GPL-2.0-only
/* A libhypmem user: VMLINUX VMCORE -> one line per pool (packaging.py builds it with pkg-config). */
#include <hypmem/hypmem.h>
#include <inttypes.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	struct hypmem_options *o;
	struct hypmem_pool_info p;
	struct hypmem *hm = NULL;
	struct hypmem_error *err;
	size_t nr = 0;

	if (argc != 3 || (err = hypmem_options_create(&o)))
		return 2;
	if (!(err = hypmem_options_set_vmlinux(o, argv[1])) &&
	    !(err = hypmem_options_set_core(o, argv[2])) && !(err = hypmem_open(o, &hm)))
		err = hypmem_nr_pools(hm, &nr);
	for (size_t i = 0; !err && i < nr && !(err = hypmem_get_pool(hm, i, &p)); i++) {
		printf("%s 0x%" PRIx64 " 0x%" PRIx64 " %" PRIu64 " %" PRIu64, p.name, p.range_start,
		       p.range_end, p.nr_pages, p.free_pages);
		for (unsigned int k = 0; k < p.nr_orders; k++)
			printf(" %" PRIu64 "/%" PRIu64, p.free_pages_by_order[k], p.free_blocks_by_order[k]);
		printf("\n");
	}
	if (err)
		fprintf(stderr, "%s: %s\n", hypmem_error_kind(err), hypmem_error_message(err));
	hypmem_error_destroy(err);
	hypmem_options_destroy(o);
	hypmem_close(hm);
	return err ? 2 : 0;
}
