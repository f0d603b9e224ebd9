// SPDX-License-Identifier: GPL-2.0-only
/*
 * Page queries (query.c) as text, a few lines each, and as JSON.
 */
#include <inttypes.h>
#include <string.h>

#include "hypmem/render.h"

/* --- rendering --- */

static const char *ordinal(uint64_t n, char *buf, size_t len)
{
	const char *suf = "th";

	if (n % 100 < 11 || n % 100 > 13) {
		if (n % 10 == 1)
			suf = "st";
		else if (n % 10 == 2)
			suf = "nd";
		else if (n % 10 == 3)
			suf = "rd";
	}
	snprintf(buf, len, "%" PRIu64 "%s", n, suf);
	return buf;
}

void hypmem_text_page_query(FILE *out, struct hypmem_query *q, const struct hypmem_page_query *r)
{
	const struct hypmem_findings *f = hypmem_query_findings(q);
	char nth[24], attr[16];

	fprintf(out, "%s:", r->in.text);
	if (!r->resolved) {
		fprintf(out, " %s\n", r->why);
		return;
	}
	fprintf(out, " PA 0x%" PRIx64 " (%s), PFN 0x%" PRIx64 "%s\n", r->pa, r->kind, r->pfn,
		r->in_ram ? "" : ", not in hyp_memory[]");
	if (r->has_page) {
		fprintf(out,
			"  vmemmap   entry at hyp VA 0x%" PRIx64 ": refcount %" PRIu64 ", order %s",
			r->entry_va, r->page.refcount, r->page.no_order ? "none" : "");
		if (!r->page.no_order)
			fprintf(out, "%" PRIu64, r->page.order);
		if (r->page.has_state)
			fprintf(out, ", host %s, hyp %s, guest shares %" PRIu64, r->host_state,
				r->hyp_state, r->page.host_share_guest_count);
		fprintf(out, "\n");
	} else if (r->in_ram) {
		fprintf(out, "  vmemmap   entry not readable\n");
	}
	if (r->in_pool) {
		if (r->is_free)
			fprintf(out,
				"  pool      %s: free, %s of %" PRIu64
				" pages of an order-%u block at PA 0x%" PRIx64
				" on %s's free list%s\n",
				r->pool, ordinal(r->block_index + 1, nth, sizeof(nth)),
				(uint64_t)1 << r->block_order, r->block_order,
				r->block_pfn << hypmem_query_page_shift(q), r->pool,
				r->block_unlisted ? " (but the head is on no list)" : "");
		else
			fprintf(out, "  pool      %s: allocated\n", r->pool);
	} else {
		fprintf(out, "  pool      none\n");
	}
	if (!r->s2_found) {
		fprintf(out, "  stage-2   no host stage-2 in this kernel\n");
	} else if (!r->s2_mapped) {
		fprintf(out, "  stage-2   no entry (never faulted in)\n");
	} else {
		fprintf(out, "  stage-2   %s level %d (%s) run [0x%" PRIx64 ", 0x%" PRIx64 ")",
			r->s2.valid ? "mapped" : "invalid", r->s2.level, r->s2_size, r->s2.start,
			r->s2.end);
		if (r->s2.valid)
			fprintf(out, " -> 0x%" PRIx64 ", %s, %s, %s",
				r->s2.phys + (r->page_pa - r->s2.start),
				r->s2.state == HYPMEM_S2_NOSTATE ? "state in the vmemmap"
								 : r->s2_state,
				hypmem_s2_prot_name(r->s2.prot), r->s2_memattr);
		else
			fprintf(out, ", owner %s%s%s", r->s2_owner, r->s2_type[0] ? ", type " : "",
				r->s2_type);
		fprintf(out, "\n");
		if (r->s2_table_pa)
			fprintf(out,
				"            descriptor 0x%016" PRIx64 " at PA 0x%" PRIx64
				" in table page 0x%" PRIx64 "\n",
				r->s2_desc, r->s2_ptep, r->s2_table_pa);
	}
	for (size_t i = 0; i < r->nr_hyp; i++)
		fprintf(out, "  stage-1   hyp VA 0x%" PRIx64 " level %d (%s) %s %s%s%s\n",
			r->hyp[i].va, r->hyp[i].level, r->hyp[i].size,
			hypmem_s2_prot_name(r->hyp[i].prot),
			hypmem_s2_memattr_name(r->hyp[i].memattr, attr, sizeof(attr)),
			r->hyp[i].state[0] ? " " : "", r->hyp[i].state);
	if (r->nr_hyp_total > r->nr_hyp)
		fprintf(out, "  stage-1   ... %zu more\n", r->nr_hyp_total - r->nr_hyp);
	if (!r->nr_hyp_total)
		fprintf(out, "  stage-1   not mapped at EL2\n");
	for (size_t i = 0; i < r->nr_guest; i++) {
		if (r->guest[i].donation)
			fprintf(out,
				"  guest     VM 0x%" PRIx64 " IPA 0x%" PRIx64
				" (donation recorded in the host stage-2)\n",
				r->guest[i].vm_handle, r->guest[i].va);
		else
			fprintf(out,
				"  guest     VM 0x%" PRIx64 " IPA 0x%" PRIx64
				" level %d (%s) %s %s\n",
				r->guest[i].vm_handle, r->guest[i].va, r->guest[i].level,
				r->guest[i].size, r->guest[i].state,
				hypmem_s2_prot_name(r->guest[i].prot));
	}
	for (size_t i = 0; i < r->nr_chunks; i++)
		fprintf(out,
			"  heap      %s chunk at hyp VA 0x%" PRIx64 ": %s, %" PRIu64
			" bytes, %" PRIu64 " used%s\n",
			r->chunks[i].heap, r->chunks[i].addr,
			r->chunks[i].is_used ? "used" : "free", r->chunks[i].size,
			r->chunks[i].used, r->chunks[i].holds ? " (holds the address)" : "");
	if (r->nr_chunks_total > r->nr_chunks)
		fprintf(out, "  heap      ... %zu more chunks\n",
			r->nr_chunks_total - r->nr_chunks);
	for (size_t i = 0; i < r->nr_findings; i++)
		fprintf(out, "  finding   %s: %s\n",
			hypmem_finding_key(f->items[r->findings[i]].kind),
			f->items[r->findings[i]].message);
	if (r->nr_findings_total > r->nr_findings)
		fprintf(out, "  finding   ... %zu more\n", r->nr_findings_total - r->nr_findings);
}

#include <json-c/json.h>

static struct json_object *jhex(uint64_t v)
{
	char buf[24];

	return json_object_new_string(hypmem_hex(buf, v));
}

static struct json_object *json_map(const struct hypmem_query_map *m, bool guest)
{
	struct json_object *o = json_object_new_object();
	char attr[16];

	if (!o)
		return NULL;
	if (guest) {
		json_object_object_add(o, "vm_handle", json_object_new_uint64(m->vm_handle));
		json_object_object_add(o, "ipa", jhex(m->va));
		if (m->donation) {
			json_object_object_add(o, "donation", json_object_new_boolean(1));
			return o;
		}
		json_object_object_add(o, "state", json_object_new_string(m->state));
	} else {
		json_object_object_add(o, "va", jhex(m->va));
		if (m->state[0])
			json_object_object_add(o, "state", json_object_new_string(m->state));
	}
	json_object_object_add(o, "level", json_object_new_int(m->level));
	json_object_object_add(o, "size", json_object_new_string(m->size));
	json_object_object_add(o, "prot", json_object_new_string(hypmem_s2_prot_name(m->prot)));
	json_object_object_add(
	    o, "memattr",
	    json_object_new_string(hypmem_s2_memattr_name(m->memattr, attr, sizeof(attr))));
	return o;
}

struct json_object *hypmem_json_page_query(struct hypmem_query *q,
					   const struct hypmem_page_query *r)
{
	const struct hypmem_findings *f = hypmem_query_findings(q);
	struct json_object *o = json_object_new_object(), *x, *arr;

	if (!o)
		return NULL;
	json_object_object_add(o, "query", json_object_new_string(r->in.text));
	json_object_object_add(o, "resolved", json_object_new_boolean(r->resolved));
	if (!r->resolved) {
		json_object_object_add(o, "error", json_object_new_string(r->why));
		return o;
	}
	json_object_object_add(o, "as", json_object_new_string(r->kind));
	json_object_object_add(o, "pa", jhex(r->pa));
	json_object_object_add(o, "pfn", jhex(r->pfn));
	json_object_object_add(o, "in_ram", json_object_new_boolean(r->in_ram));
	if (r->has_page) {
		x = hypmem_json_page(&r->page);
		if (x) {
			json_object_object_add(x, "entry_va", jhex(r->entry_va));
			if (r->page.has_state) {
				json_object_object_add(x, "host_state_name",
						       json_object_new_string(r->host_state));
				json_object_object_add(x, "hyp_state_name",
						       json_object_new_string(r->hyp_state));
			}
		}
		json_object_object_add(o, "vmemmap", x);
	}
	if (r->in_pool) {
		x = json_object_new_object();
		json_object_object_add(x, "name", json_object_new_string(r->pool));
		json_object_object_add(x, "free", json_object_new_boolean(r->is_free));
		if (r->is_free) {
			json_object_object_add(x, "block", jhex(r->block_pfn << hypmem_query_page_shift(q)));
			json_object_object_add(x, "order", json_object_new_int(r->block_order));
			json_object_object_add(x, "index", json_object_new_uint64(r->block_index));
			json_object_object_add(x, "listed",
					       json_object_new_boolean(!r->block_unlisted));
		}
		json_object_object_add(o, "pool", x);
	}
	if (r->s2_mapped) {
		x = json_object_new_object();
		json_object_object_add(x, "start", jhex(r->s2.start));
		json_object_object_add(x, "end", jhex(r->s2.end));
		json_object_object_add(x, "level", json_object_new_int(r->s2.level));
		json_object_object_add(x, "size", json_object_new_string(r->s2_size));
		json_object_object_add(x, "valid", json_object_new_boolean(r->s2.valid));
		if (r->s2.valid) {
			json_object_object_add(x, "phys",
					       jhex(r->s2.phys + (r->page_pa - r->s2.start)));
			json_object_object_add(x, "state", json_object_new_string(r->s2_state));
			json_object_object_add(
			    x, "prot", json_object_new_string(hypmem_s2_prot_name(r->s2.prot)));
			json_object_object_add(x, "memattr", json_object_new_string(r->s2_memattr));
		} else {
			json_object_object_add(x, "owner", json_object_new_string(r->s2_owner));
			json_object_object_add(x, "owner_id",
					       json_object_new_int((int)r->s2.owner));
			if (r->s2_type[0])
				json_object_object_add(x, "type",
						       json_object_new_string(r->s2_type));
		}
		if (r->s2_table_pa) {
			json_object_object_add(x, "descriptor", jhex(r->s2_desc));
			json_object_object_add(x, "entry_pa", jhex(r->s2_ptep));
			json_object_object_add(x, "table", jhex(r->s2_table_pa));
		}
		json_object_object_add(o, "stage2", x);
	} else if (r->s2_found) {
		json_object_object_add(o, "stage2", NULL);
	}
	arr = json_object_new_array();
	for (size_t i = 0; arr && i < r->nr_hyp; i++)
		json_object_array_add(arr, json_map(&r->hyp[i], false));
	json_object_object_add(o, "hyp_stage1", arr);
	arr = json_object_new_array();
	for (size_t i = 0; arr && i < r->nr_guest; i++)
		json_object_array_add(arr, json_map(&r->guest[i], true));
	json_object_object_add(o, "guest", arr);
	arr = json_object_new_array();
	for (size_t i = 0; arr && i < r->nr_chunks; i++) {
		x = json_object_new_object();
		json_object_object_add(x, "heap", json_object_new_string(r->chunks[i].heap));
		json_object_object_add(x, "address", jhex(r->chunks[i].addr));
		json_object_object_add(x, "size", json_object_new_uint64(r->chunks[i].size));
		json_object_object_add(x, "used", json_object_new_uint64(r->chunks[i].used));
		json_object_object_add(
		    x, "state", json_object_new_string(r->chunks[i].is_used ? "used" : "free"));
		json_object_object_add(x, "holds_address",
				       json_object_new_boolean(r->chunks[i].holds));
		json_object_array_add(arr, x);
	}
	json_object_object_add(o, "heap_chunks", arr);
	arr = json_object_new_array();
	for (size_t i = 0; arr && i < r->nr_findings; i++) {
		const struct hypmem_finding *fi = &f->items[r->findings[i]];

		x = json_object_new_object();
		json_object_object_add(x, "kind",
				       json_object_new_string(hypmem_finding_key(fi->kind)));
		json_object_object_add(x, "address", jhex(fi->address));
		json_object_object_add(x, "message", json_object_new_string(fi->message));
		json_object_array_add(arr, x);
	}
	json_object_object_add(o, "findings", arr);
	return o;
}
