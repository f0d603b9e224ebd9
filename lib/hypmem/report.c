// SPDX-License-Identifier: GPL-2.0-only
/*
 * The one-shot report: pools, vmemmap summary, heaps, stage-2 and VM
 * totals, decoded in one call (rendered by render_report.c).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hypmem/identity.h"
#include "hypmem/report.h"

const char *hypmem_hex(char *buf, uint64_t v)
{
	snprintf(buf, 19, "0x%" PRIx64, v);
	return buf;
}

static void drop_runs(struct hypmem_stage2 *s)
{
	free(s->runs);
	free(s->candidate_addrs);
	s->runs = NULL;
	s->candidate_addrs = NULL;
	s->nr_runs = s->cap_runs = s->nr_candidate_addrs = s->cap_candidate_addrs = 0;
	s->cfg.keep_runs = false;
}

bool hypmem_heap_note(const struct hypmem_error *err, char *buf, size_t len)
{
	if (!err || (err->code != HYPMEM_ERROR_LOOKUP && err->code != HYPMEM_ERROR_FORMAT))
		return false;
	snprintf(buf, len, "%s%s", err->code == HYPMEM_ERROR_FORMAT ? "not decoded: " : "",
		 err->message);
	return true;
}

struct hypmem_error *hypmem_report_collect(struct hypmem_target *t, struct hypmem_report *ret)
{
	struct hypmem_error *err;

	memset(ret, 0, sizeof(*ret));
	err = hypmem_pools_decode(t, &ret->pools, &ret->nr_pools);
	if (err)
		return err;
	err = hypmem_vmemmap_for_each(t, 0, UINT64_MAX, NULL, NULL, &ret->vmemmap);
	if (err)
		return err;
	/* A kernel without the heap (or with a design not decoded) has no heap section. */
	err = hypmem_heaps_decode(t, false, &ret->heaps, &ret->nr_heaps);
	if (hypmem_heap_note(err, ret->heap_note, sizeof(ret->heap_note))) {
		hypmem_error_destroy(err);
		err = NULL;
	}
	if (err)
		return err;
	/* Without a host stage-2 in DWARF the section says why, found = false. */
	ret->stage2 = calloc(1, sizeof(*ret->stage2));
	if (!ret->stage2)
		return &hypmem_enomem;
	err = hypmem_stage2_decode(t, HYPMEM_S2_KEEP_RUNS, ret->stage2);
	if (err && (hypmem_error_catch(&err, HYPMEM_ERROR_LOOKUP) ||
		    hypmem_error_catch(&err, HYPMEM_ERROR_FORMAT)))
		err = NULL;
	if (!err)
		err = hypmem_vms_decode(t, &ret->vms);
	if (!err)
		err = hypmem_vms_check(t, ret->stage2, &ret->vms, &ret->nr_pages_cross_checked);
	/* The report keeps totals only: the runs served the invariants. */
	drop_runs(ret->stage2);
	for (size_t i = 0; i < ret->vms.nr; i++)
		drop_runs(&ret->vms.vms[i].s2);
	return err;
}

void hypmem_report_deinit(struct hypmem_report *r)
{
	hypmem_vms_deinit(&r->vms);
	free(r->pools);
	hypmem_vmemmap_summary_deinit(&r->vmemmap);
	hypmem_heaps_free(r->heaps, r->nr_heaps);
	if (r->stage2)
		hypmem_stage2_deinit(r->stage2);
	free(r->stage2);
	memset(r, 0, sizeof(*r));
}
