// SPDX-License-Identifier: GPL-2.0-only
/*
 * hypmem-diff: what changed in the hypervisor's memory between two dumps of
 * one kernel (or two JSON snapshots): free pages per pool and order, the
 * vmemmap histograms, host stage-2 ownership that moved (as ranges), heap
 * chunks born, freed and resized, VMs created and destroyed, and leak
 * candidates.
 *
 * Both sides become the same JSON snapshot first (what hypmem-dump and
 * hypmem-stat print: pools, vmemmap, stage2 with runs, heap with chunks,
 * vms), so a dump and a saved snapshot are compared by one code path.
 * Sections one side lacks are skipped and named.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "hypmem/heap.h"
#include "hypmem/report.h"
#include "hypmem/stage2.h"
#include "hypmem/vms.h"
#include "hypmem/render.h"

static const char usage[] =
    "Usage: hypmem-diff [OPTIONS] VMLINUX DUMP1 DUMP2\n"
    "       hypmem-diff [OPTIONS] SNAPSHOT1.json SNAPSHOT2.json\n"
    "       hypmem-diff --snapshot [OPTIONS] VMLINUX DUMP > SNAPSHOT.json\n"
    "Compare the pKVM hypervisor's memory in two dumps of one kernel: free pages\n"
    "per pool and order, vmemmap refcount/order/state histograms, host stage-2\n"
    "ownership that moved (host -> hyp, hyp -> host, host -> guest...), heap\n"
    "chunks born, freed and resized, VMs created and destroyed, leak candidates.\n"
    "A snapshot is the JSON of --snapshot, or hypmem-stat --json (no stage-2\n"
    "runs or heap chunks then).\n"
    "\n"
    "      --snapshot           print one dump's snapshot as JSON and exit\n"
    "      --json               JSON output (schema: man 5 hypmem-json)\n"
    "      --force              go on when VMLINUX is not the kernel of a dump\n"
    "      --max-lines N        ranges and chunks listed per section (default 20)\n"
    "  -h, --help               this help\n"
    "      --version            version\n"
    "\n"
    "Exit status: 0 no difference, 1 differences, 2 usage error or unreadable input.\n";

enum { OPT_SNAPSHOT = HYPMEM_OPT_FIRST_PRIVATE, OPT_MAX_LINES };

#define MAX_RANGES 100000

/* --- snapshots --- */

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static size_t alen(struct json_object *a)
{
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

/* Element I, or NULL past the end or when A is no array (a pool on one side only). */
static struct json_object *aget(struct json_object *a, size_t i)
{
	return i < alen(a) ? json_object_array_get_idx(a, i) : NULL;
}

/* A number, or a "0x..." string as the hypmem JSON writes addresses. */
static uint64_t num(struct json_object *v)
{
	if (!v)
		return 0;
	if (json_object_is_type(v, json_type_string))
		return strtoull(json_object_get_string(v), NULL, 0);
	if (json_object_is_type(v, json_type_int))
		return (uint64_t)json_object_get_int64(v);
	return 0;
}

static const char *str(struct json_object *v, const char *dflt)
{
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : dflt;
}

/* Decode a dump into the snapshot object (then printed and re-parsed: runs are lazy). */
static struct hypmem_error *snapshot_of(struct hypmem_target *t, struct json_object **ret)
{
	struct hypmem_report r;
	struct hypmem_stage2 s2 = {0};
	struct hypmem_vms vms = {0};
	struct hypmem_heap *heaps = NULL;
	size_t nr_heaps = 0;
	struct json_object *o;
	struct hypmem_error *err;
	const char *text;

	*ret = NULL;
	err = hypmem_report_collect(t, &r);
	if (err) {
		hypmem_report_deinit(&r);
		return err;
	}
	err = hypmem_stage2_decode(t, HYPMEM_S2_KEEP_RUNS, &s2);
	if (err && (hypmem_error_catch(&err, HYPMEM_ERROR_LOOKUP) ||
		    hypmem_error_catch(&err, HYPMEM_ERROR_FORMAT)))
		err = NULL;
	if (!err)
		err = hypmem_vms_decode(t, &vms);
	if (!err) {
		err = hypmem_heaps_decode(t, true, &heaps, &nr_heaps);
		if (err && (hypmem_error_catch(&err, HYPMEM_ERROR_LOOKUP) ||
			    hypmem_error_catch(&err, HYPMEM_ERROR_FORMAT)))
			err = NULL;
	}
	o = err ? NULL : json_object_new_object();
	if (o) {
		json_object_object_add(o, "schema", json_object_new_int(HYPMEM_JSON_SCHEMA));
		json_object_object_add(o, "target", hypmem_json_target(t));
		json_object_object_add(o, "pools", hypmem_json_pools(r.pools, r.nr_pools));
		json_object_object_add(o, "vmemmap", hypmem_json_vmemmap(&r.vmemmap));
		if (s2.found)
			json_object_object_add(o, "stage2", hypmem_json_stage2(&s2));
		json_object_object_add(o, "heap", hypmem_json_heaps(heaps, nr_heaps));
		if (vms.found)
			json_object_object_add(o, "vms", hypmem_json_vms(&vms));
		json_object_object_add(o, "findings",
				       hypmem_json_findings(hypmem_target_findings(t)));
		text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		*ret = text ? json_tokener_parse(text) : NULL;
		json_object_put(o);
		if (!*ret)
			err = &hypmem_enomem;
	} else if (!err) {
		err = &hypmem_enomem;
	}
	hypmem_heaps_free(heaps, nr_heaps);
	hypmem_vms_deinit(&vms);
	hypmem_stage2_deinit(&s2);
	hypmem_report_deinit(&r);
	return err;
}

static int open_snapshot(const char *vmlinux, const char *path,
			 const struct hypmem_target_config *base, struct json_object **ret)
{
	struct hypmem_target_config cfg = *base;
	struct hypmem_target *t;
	struct hypmem_error *err;

	if (!vmlinux) {
		*ret = json_object_from_file(path);
		if (!*ret || !json_object_is_type(*ret, json_type_object)) {
			fprintf(stderr, "hypmem-diff: %s: not a JSON object (%s)\n", path,
				json_util_get_last_err() ? json_util_get_last_err() : "bad JSON");
			json_object_put(*ret);
			*ret = NULL;
			return HYPMEM_EXIT_USAGE;
		}
		return 0;
	}
	cfg.vmlinux = vmlinux;
	cfg.core = path;
	err = hypmem_target_open(&cfg, &t);
	if (!err) {
		err = snapshot_of(t, ret);
		hypmem_target_destroy(t);
	}
	if (err) {
		/* Say which dump, once: most messages already name the file. */
		if (!err->message || !strstr(err->message, path))
			fprintf(stderr, "hypmem-diff: %s: ", path);
		else
			fprintf(stderr, "hypmem-diff: ");
		hypmem_error_fprint(stderr, NULL, err);
		hypmem_error_destroy(err);
		return HYPMEM_EXIT_USAGE;
	}
	return 0;
}

/* --- the diff --- */

struct diff {
	bool json;
	unsigned int max_lines;
	bool different;
	struct json_object *out; /* --json */
	const char *skipped[8];
	size_t nr_skipped;
};

static void skip(struct diff *d, const char *what)
{
	if (d->nr_skipped < sizeof(d->skipped) / sizeof(d->skipped[0]))
		d->skipped[d->nr_skipped++] = what;
}

static struct json_object *find_named(struct json_object *arr, const char *key, const char *name)
{
	for (size_t i = 0; i < alen(arr); i++)
		if (!strcmp(str(get(aget(arr, i), key), ""), name))
			return aget(arr, i);
	return NULL;
}

/*
 * A pool's key: its name, but the VM's handle for a per-VM pool
 * ("vm_table[N].pool"), so that a VM found in another vm_table slot in
 * the other dump (torn down and created again) is still the same VM.
 */
static uint64_t pool_vm_handle(struct json_object *snap, struct json_object *pool)
{
	struct json_object *vms = get(snap, "vms");
	const char *name = str(get(pool, "name"), "");
	unsigned int slot;
	char tail[8];

	if (sscanf(name, "vm_table[%u]%7s", &slot, tail) != 2 || strcmp(tail, ".pool"))
		return 0;
	for (size_t i = 0; i < alen(vms); i++)
		if (num(get(aget(vms, i), "slot")) == slot)
			return num(get(aget(vms, i), "handle"));
	return 0;
}

static struct json_object *find_pool(struct json_object *snap, struct json_object *pool,
				     struct json_object *other)
{
	struct json_object *pools = get(snap, "pools");
	uint64_t h = pool_vm_handle(other, pool);

	if (!h)
		return find_named(pools, "name", str(get(pool, "name"), ""));
	for (size_t i = 0; i < alen(pools); i++)
		if (pool_vm_handle(snap, aget(pools, i)) == h)
			return aget(pools, i);
	return NULL;
}

static void diff_pools(struct diff *d, struct json_object *a, struct json_object *b)
{
	struct json_object *pa = get(a, "pools"), *pb = get(b, "pools");
	struct json_object *jarr = d->json ? json_object_new_array() : NULL;
	bool header = false;

	if (!pa || !pb) {
		skip(d, "pools");
		json_object_put(jarr);
		return;
	}
	for (int side = 0; side < 2; side++) {
		struct json_object *list = side ? pb : pa;

		for (size_t i = 0; i < alen(list); i++) {
			struct json_object *pool = aget(list, i);
			struct json_object *x = side ? find_pool(a, pool, b) : pool;
			struct json_object *y = side ? pool : find_pool(b, pool, a);
			const char *name = str(get(x ? x : y, "name"), "?");
			const char *name_b = str(get(y, "name"), name);
			uint64_t handle = pool_vm_handle(x ? a : b, x ? x : y);
			char label[96];
			struct json_object *fx = get(x, "free_pages_by_order");
			struct json_object *fy = get(y, "free_pages_by_order");
			size_t n = alen(fx) > alen(fy) ? alen(fx) : alen(fy);
			struct json_object *jp = NULL, *orders = NULL;

			if (side && x)
				continue; /* both: done on the first pass */
			/* A VM in another slot: both names. */
			if (strcmp(name, name_b))
				snprintf(label, sizeof(label), "%s (now %s)", name, name_b);
			else
				snprintf(label, sizeof(label), "%s", name);
			if (!header && !d->json) {
				printf("pools: free pages per order\n");
				printf("  %-20s %5s %8s %8s %8s\n", "POOL", "ORDER", "BEFORE",
				       "AFTER", "DELTA");
				header = true;
			}
			if (!x || !y) {
				d->different = true;
				if (!d->json)
					printf("  %-20s %s (%" PRIu64 " pages)\n", label,
					       x ? "gone" : "new", num(get(x ? x : y, "nr_pages")));
			}
			if (d->json) {
				jp = json_object_new_object();
				orders = json_object_new_array();
				json_object_object_add(jp, "name", json_object_new_string(name));
				if (strcmp(name, name_b))
					json_object_object_add(jp, "name_after",
							       json_object_new_string(name_b));
				if (handle) {
					char buf[24];

					snprintf(buf, sizeof(buf), "0x%" PRIx64, handle);
					json_object_object_add(jp, "vm_handle",
							       json_object_new_string(buf));
				}
				json_object_object_add(jp, "before",
						       json_object_new_boolean(x != NULL));
				json_object_object_add(jp, "after",
						       json_object_new_boolean(y != NULL));
			}
			for (size_t o = 0; o < n; o++) {
				uint64_t u = num(aget(fx, o)), v = num(aget(fy, o));

				if (u == v)
					continue;
				d->different = true;
				if (d->json) {
					struct json_object *e = json_object_new_object();

					json_object_object_add(e, "order",
							       json_object_new_int((int)o));
					json_object_object_add(e, "before",
							       json_object_new_uint64(u));
					json_object_object_add(e, "after",
							       json_object_new_uint64(v));
					json_object_array_add(orders, e);
				} else {
					printf("  %-20s %5zu %8" PRIu64 " %8" PRIu64 " %+8" PRId64
					       "\n",
					       label, o, u, v, (int64_t)(v - u));
				}
			}
			if (d->json) {
				json_object_object_add(jp, "free_pages_by_order", orders);
				json_object_object_add(
				    jp, "free_before",
				    json_object_new_uint64(num(get(x, "free_pages"))));
				json_object_object_add(
				    jp, "free_after",
				    json_object_new_uint64(num(get(y, "free_pages"))));
				/* Unchanged pools are left out, as diff(1) leaves out equal lines. */
				if (x && y && !json_object_array_length(orders))
					json_object_put(jp);
				else
					json_object_array_add(jarr, jp);
			} else if (x && y &&
				   num(get(x, "free_pages")) != num(get(y, "free_pages"))) {
				printf("  %-20s %5s %8" PRIu64 " %8" PRIu64 " %+8" PRId64 "\n",
				       label, "all", num(get(x, "free_pages")),
				       num(get(y, "free_pages")),
				       (int64_t)(num(get(y, "free_pages")) -
						 num(get(x, "free_pages"))));
			}
		}
	}
	if (d->json)
		json_object_object_add(d->out, "pools", jarr);
	else if (header)
		printf("\n");
}

struct hist_row {
	const char *key;
	uint64_t before, after;
};

/* Numeric keys in numeric order, then the others ("none") by name. */
static int row_cmp(const void *pa, const void *pb)
{
	const struct hist_row *a = pa, *b = pb;
	char *ea, *eb;
	unsigned long long x = strtoull(a->key, &ea, 0), y = strtoull(b->key, &eb, 0);
	bool na = *a->key && !*ea, nb = *b->key && !*eb;

	if (na && nb)
		return x < y ? -1 : x > y;
	if (na != nb)
		return na ? -1 : 1;
	return strcmp(a->key, b->key);
}

static void diff_histograms(struct diff *d, struct json_object *a, struct json_object *b)
{
	static const char *const names[] = {"refcount_histogram", "order_histogram",
					    "host_state_histogram", "hyp_state_histogram"};
	struct json_object *va = get(a, "vmemmap"), *vb = get(b, "vmemmap");
	struct json_object *jh = d->json ? json_object_new_object() : NULL;

	if (!va || !vb) {
		skip(d, "vmemmap");
		json_object_put(jh);
		return;
	}
	for (size_t h = 0; h < sizeof(names) / sizeof(names[0]); h++) {
		struct json_object *ha = get(va, names[h]), *hb = get(vb, names[h]);
		struct json_object *rows = d->json ? json_object_new_array() : NULL;
		struct hist_row *r = NULL;
		size_t nr = 0, cap = 0;

		for (int side = 0; side < 2; side++) {
			struct json_object *hx = side ? hb : ha;

			if (!hx || !json_object_is_type(hx, json_type_object))
				continue;
			json_object_object_foreach(hx, key, val)
			{
				uint64_t u = num(get(ha, key)), v = num(get(hb, key));

				(void)val;
				if ((side && get(ha, key)) || u == v)
					continue;
				if (nr == cap) {
					struct hist_row *n =
					    realloc(r, (cap = cap ? 2 * cap : 32) * sizeof(*n));

					if (!n)
						break;
					r = n;
				}
				r[nr++] = (struct hist_row){key, u, v};
			}
		}
		if (nr)
			d->different = true;
		if (r)
			qsort(r, nr, sizeof(*r), row_cmp);
		if (!d->json && nr)
			printf("vmemmap %s\n  %-16s %10s %10s %10s\n", names[h], "KEY", "BEFORE",
			       "AFTER", "DELTA");
		for (size_t i = 0; i < nr; i++) {
			if (d->json) {
				struct json_object *e = json_object_new_object();

				json_object_object_add(e, "key", json_object_new_string(r[i].key));
				json_object_object_add(e, "before",
						       json_object_new_uint64(r[i].before));
				json_object_object_add(e, "after",
						       json_object_new_uint64(r[i].after));
				json_object_array_add(rows, e);
			} else {
				printf("  %-16s %10" PRIu64 " %10" PRIu64 " %+10" PRId64 "\n",
				       r[i].key, r[i].before, r[i].after,
				       (int64_t)(r[i].after - r[i].before));
			}
		}
		free(r);
		if (d->json)
			json_object_object_add(jh, names[h], rows);
		else if (nr)
			printf("\n");
	}
	if (d->json)
		json_object_object_add(d->out, "vmemmap", jh);
}

/* Stage-2 ownership as labelled ranges. */
struct range {
	uint64_t start, end;
	char label[40];
};

static void run_label(struct json_object *run, char *buf, size_t len)
{
	struct json_object *h = get(run, "vm_handle");

	if (get(run, "valid") && json_object_get_boolean(get(run, "valid"))) {
		const char *state = str(get(run, "state"), "owned");

		/* "-": a 7.x host leaf, whose state is in the vmemmap. */
		if (!strcmp(state, "owned") || !strcmp(state, "nostate") || !strcmp(state, "-"))
			snprintf(buf, len, "host");
		else
			snprintf(buf, len, "host:%s", state);
	} else if (h) {
		snprintf(buf, len, "%s:0x%" PRIx64, str(get(run, "owner"), "?"), num(h));
	} else {
		snprintf(buf, len, "%s", str(get(run, "owner"), "?"));
	}
}

static struct range *ranges_of(struct json_object *runs, size_t *nr)
{
	size_t n = alen(runs);
	struct range *r = calloc(n ? n : 1, sizeof(*r));

	*nr = 0;
	if (!r)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		struct json_object *run = aget(runs, i);
		uint64_t s = num(get(run, "start")), e = num(get(run, "end"));

		if (e <= s || (*nr && s < r[*nr - 1].end))
			continue; /* not sorted or empty: ignored */
		r[*nr].start = s;
		r[*nr].end = e;
		run_label(run, r[*nr].label, sizeof(r[*nr].label));
		(*nr)++;
	}
	return r;
}

/* The label at @addr, and where that answer ends; "host" where no entry (not faulted in). */
static const char *label_at(const struct range *r, size_t nr, size_t *i, uint64_t addr,
			    uint64_t *until)
{
	while (*i < nr && r[*i].end <= addr)
		(*i)++;
	if (*i < nr && r[*i].start <= addr) {
		*until = r[*i].end;
		return r[*i].label;
	}
	*until = *i < nr ? r[*i].start : UINT64_MAX;
	return "host";
}

struct move {
	uint64_t start, end;
	char from[40], to[40];
};

static bool vm_alive(struct json_object *snap, uint64_t handle)
{
	struct json_object *vms = get(snap, "vms");

	for (size_t i = 0; i < alen(vms); i++)
		if (num(get(aget(vms, i), "handle")) == handle)
			return true;
	return false;
}

static bool vms_subset(struct json_object *a, struct json_object *b)
{
	struct json_object *vb = get(b, "vms");

	for (size_t i = 0; i < alen(vb); i++)
		if (!vm_alive(a, num(get(aget(vb, i), "handle"))))
			return false;
	return true;
}

static void print_range(const char *prefix, uint64_t s, uint64_t e, uint64_t page)
{
	printf("  %s[0x%" PRIx64 ", 0x%" PRIx64 ") %8" PRIu64 " pages", prefix, s, e,
	       (e - s) / page);
}

/* {start, end, pages, KEY: VALUE[, reason]}: a range in the JSON output. */
static struct json_object *range_json(uint64_t start, uint64_t end, uint64_t page, const char *key,
				      const char *value, const char *reason)
{
	struct json_object *e = json_object_new_object();
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, start);
	json_object_object_add(e, "start", json_object_new_string(buf));
	snprintf(buf, sizeof(buf), "0x%" PRIx64, end);
	json_object_object_add(e, "end", json_object_new_string(buf));
	json_object_object_add(e, "pages", json_object_new_uint64((end - start) / page));
	json_object_object_add(e, key, json_object_new_string(value));
	if (reason)
		json_object_object_add(e, "reason", json_object_new_string(reason));
	return e;
}

static void diff_stage2(struct diff *d, struct json_object *a, struct json_object *b)
{
	struct json_object *ra = get(get(a, "stage2"), "runs"), *rb = get(get(b, "stage2"), "runs");
	struct json_object *jm = NULL, *jl = NULL;
	uint64_t page = num(get(get(a, "target"), "page_size"));
	struct range *x, *y;
	struct move *moves = NULL;
	size_t nx, ny, ix = 0, iy = 0, nr = 0, cap = 0, shown = 0;
	bool vm_info = get(a, "vms") && get(b, "vms"), no_new_vm;

	if (!page)
		page = 4096;
	if (!ra || !rb) {
		skip(d, "stage-2 runs");
		return;
	}
	x = ranges_of(ra, &nx);
	y = ranges_of(rb, &ny);
	for (uint64_t addr = 0; x && y && nr < MAX_RANGES;) {
		uint64_t ux, uy, end;
		const char *lx = label_at(x, nx, &ix, addr, &ux);
		const char *ly = label_at(y, ny, &iy, addr, &uy);

		end = ux < uy ? ux : uy;
		if (strcmp(lx, ly)) {
			if (nr && moves[nr - 1].end == addr && !strcmp(moves[nr - 1].from, lx) &&
			    !strcmp(moves[nr - 1].to, ly)) {
				moves[nr - 1].end = end;
			} else {
				if (nr == cap) {
					struct move *m =
					    realloc(moves, (cap = cap ? 2 * cap : 64) * sizeof(*m));

					if (!m)
						break;
					moves = m;
				}
				moves[nr].start = addr;
				moves[nr].end = end;
				snprintf(moves[nr].from, sizeof(moves[nr].from), "%s", lx);
				snprintf(moves[nr].to, sizeof(moves[nr].to), "%s", ly);
				nr++;
			}
		}
		if (end == UINT64_MAX || end <= addr)
			break;
		addr = end;
	}
	if (nr)
		d->different = true;
	if (d->json) {
		jm = json_object_new_array();
		jl = json_object_new_array();
	} else if (nr) {
		printf("stage-2 ownership moved: %zu range(s)\n", nr);
	}
	for (size_t i = 0; i < nr; i++) {
		if (d->json) {
			struct json_object *e = range_json(moves[i].start, moves[i].end, page,
							   "from", moves[i].from, NULL);

			json_object_object_add(e, "to", json_object_new_string(moves[i].to));
			json_object_array_add(jm, e);
		} else if (shown++ < d->max_lines) {
			print_range("", moves[i].start, moves[i].end, page);
			printf("  %s -> %s\n", moves[i].from, moves[i].to);
		}
	}
	if (!d->json && nr > d->max_lines)
		printf("  ... %zu more (--max-lines)\n", nr - d->max_lines);
	if (!d->json && nr)
		printf("\n");

	/*
	 * Leak candidates: pages donated to a VM the second dump no longer
	 * has; and pages that went from the host to the hyp or a guest while
	 * no VM was created (nothing new should hold them).
	 */
	no_new_vm = vm_info && vms_subset(a, b);
	shown = 0;
	for (size_t i = 0; y && i < ny; i++) {
		const char *colon = strchr(y[i].label, ':');
		uint64_t h;

		if (!vm_info || strncmp(y[i].label, "guest:", 6) || !colon)
			continue;
		h = strtoull(colon + 1, NULL, 0);
		if (vm_alive(b, h))
			continue;
		d->different = true;
		if (d->json) {
			json_object_array_add(jl, range_json(y[i].start, y[i].end, page, "owner",
							     y[i].label, "vm_gone"));
		} else {
			if (!shown++)
				printf("leak candidates\n");
			print_range("", y[i].start, y[i].end, page);
			printf("  donated to VM 0x%" PRIx64 ", which no longer exists\n", h);
		}
	}
	for (size_t i = 0; no_new_vm && i < nr; i++) {
		if (strcmp(moves[i].from, "host") ||
		    (strncmp(moves[i].to, "hyp", 3) && strncmp(moves[i].to, "guest", 5)))
			continue;
		if (d->json) {
			json_object_array_add(jl, range_json(moves[i].start, moves[i].end, page,
							     "owner", moves[i].to,
							     "donated_no_new_vm"));
		} else {
			if (!shown++)
				printf("leak candidates\n");
			print_range("", moves[i].start, moves[i].end, page);
			printf("  host -> %s while no VM was created\n", moves[i].to);
		}
	}
	if (!d->json && shown)
		printf("\n");
	if (d->json) {
		json_object_object_add(d->out, "stage2_moves", jm);
		json_object_object_add(d->out, "leak_candidates", jl);
	}
	free(x);
	free(y);
	free(moves);
}

static struct json_object *find_chunk(struct json_object *chunks, uint64_t addr)
{
	size_t lo = 0, hi = alen(chunks);

	/* Chunks are listed in address order. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t a = num(get(aget(chunks, mid), "address"));

		if (a == addr)
			return aget(chunks, mid);
		if (a < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static bool chunk_used(struct json_object *c)
{
	return c && !strcmp(str(get(c, "state"), ""), "used");
}

static void diff_heap(struct diff *d, struct json_object *a, struct json_object *b)
{
	struct json_object *ha = get(a, "heap"), *hb = get(b, "heap");
	struct json_object *jarr = d->json ? json_object_new_array() : NULL;

	for (size_t i = 0; i < alen(hb); i++) {
		struct json_object *y = aget(hb, i);
		const char *name = str(get(y, "name"), "?");
		struct json_object *x = find_named(ha, "name", name);
		struct json_object *cx = get(x, "chunks"), *cy = get(y, "chunks");
		uint64_t born = 0, freed = 0, grown = 0, shrunk = 0;
		struct json_object *jb = NULL, *jf = NULL, *jg = NULL;
		unsigned int shown = 0;

		if (!cx || !cy) {
			skip(d, "heap chunks");
			continue;
		}
		if (d->json) {
			jb = json_object_new_array();
			jf = json_object_new_array();
			jg = json_object_new_array();
		}
		/* Born: used after, and not used at that address before. */
		for (int side = 0; side < 2; side++) {
			struct json_object *list = side ? cx : cy;

			for (size_t k = 0; k < alen(list); k++) {
				struct json_object *c = aget(list, k);
				uint64_t addr = num(get(c, "address"));
				struct json_object *o = find_chunk(side ? cy : cx, addr);
				struct json_object *arr;
				char sign;

				if (!chunk_used(c))
					continue;
				if (!side && chunk_used(o)) {
					uint64_t u = num(get(o, "used")), v = num(get(c, "used"));

					if (u == v)
						continue;
					if (v > u)
						grown++;
					else
						shrunk++;
					arr = jg;
					sign = '~';
				} else if (!side) {
					born++;
					arr = jb;
					sign = '+';
				} else if (!chunk_used(o)) {
					freed++;
					arr = jf;
					sign = '-';
				} else {
					continue;
				}
				d->different = true;
				if (d->json) {
					struct json_object *e = json_object_new_object();

					json_object_object_add(
					    e, "address",
					    json_object_new_string(str(get(c, "address"), "")));
					json_object_object_add(
					    e, sign == '~' ? "after" : "used",
					    json_object_new_uint64(num(get(c, "used"))));
					if (sign == '~')
						json_object_object_add(
						    e, "before",
						    json_object_new_uint64(num(get(o, "used"))));
					json_object_array_add(arr, e);
				} else if (shown++ < d->max_lines) {
					if (shown == 1)
						printf("heap %s\n", name);
					if (sign == '~')
						printf("  ~ %s %" PRIu64 " -> %" PRIu64
						       " bytes used\n",
						       str(get(c, "address"), "?"),
						       num(get(o, "used")), num(get(c, "used")));
					else
						printf("  %c %s %" PRIu64 " bytes used\n", sign,
						       str(get(c, "address"), "?"),
						       num(get(c, "used")));
				}
			}
		}
		if (d->json) {
			struct json_object *e = json_object_new_object();

			json_object_object_add(e, "name", json_object_new_string(name));
			json_object_object_add(e, "born", jb);
			json_object_object_add(e, "freed", jf);
			json_object_object_add(e, "resized", jg);
			json_object_object_add(e, "used_bytes_before",
					       json_object_new_uint64(num(get(x, "used_bytes"))));
			json_object_object_add(e, "used_bytes_after",
					       json_object_new_uint64(num(get(y, "used_bytes"))));
			json_object_array_add(jarr, e);
		} else if (born || freed || grown || shrunk) {
			if (shown > d->max_lines)
				printf("  ... %u more (--max-lines)\n", shown - d->max_lines);
			printf("  %" PRIu64 " born, %" PRIu64 " freed, %" PRIu64 " grown, %" PRIu64
			       " shrunk; used %" PRIu64 " -> %" PRIu64 " bytes\n\n",
			       born, freed, grown, shrunk, num(get(x, "used_bytes")),
			       num(get(y, "used_bytes")));
		}
	}
	if (d->json)
		json_object_object_add(d->out, "heap", jarr);
}

static void diff_vms(struct diff *d, struct json_object *a, struct json_object *b)
{
	struct json_object *va = get(a, "vms"), *vb = get(b, "vms");
	struct json_object *jc = d->json ? json_object_new_array() : NULL;
	struct json_object *jd = d->json ? json_object_new_array() : NULL;
	bool header = false;

	for (int side = 0; side < 2; side++) {
		struct json_object *list = side ? va : vb, *other = side ? b : a;

		for (size_t i = 0; i < alen(list); i++) {
			struct json_object *vm = aget(list, i);
			uint64_t h = num(get(vm, "handle"));

			if (vm_alive(other, h))
				continue;
			d->different = true;
			if (d->json) {
				json_object_array_add(side ? jd : jc, json_object_new_uint64(h));
				continue;
			}
			if (!header) {
				printf("VMs\n");
				header = true;
			}
			printf("  %c VM 0x%" PRIx64 " (slot %" PRIu64 ", pool [%s, %s))\n",
			       side ? '-' : '+', h, num(get(vm, "slot")),
			       str(get(vm, "pool_start"), "?"), str(get(vm, "pool_end"), "?"));
		}
	}
	if (d->json) {
		json_object_object_add(d->out, "vms_created", jc);
		json_object_object_add(d->out, "vms_destroyed", jd);
	} else if (header) {
		printf("\n");
	}
}

static int run_diff(struct diff *d, const char *name_a, struct json_object *a, const char *name_b,
		    struct json_object *b)
{
	const char *rel_a = str(get(get(a, "target"), "release"), "?");
	const char *rel_b = str(get(get(b, "target"), "release"), "?");

	if (d->json) {
		d->out = json_object_new_object();
		json_object_object_add(d->out, "schema", json_object_new_int(HYPMEM_JSON_SCHEMA));
		json_object_object_add(d->out, "before", json_object_new_string(name_a));
		json_object_object_add(d->out, "after", json_object_new_string(name_b));
	} else {
		printf("--- %s (%s)\n+++ %s (%s)\n\n", name_a, rel_a, name_b, rel_b);
	}
	if (strcmp(rel_a, rel_b))
		fprintf(stderr, "hypmem-diff: warning: releases differ (%s, %s)\n", rel_a, rel_b);
	diff_pools(d, a, b);
	diff_histograms(d, a, b);
	diff_stage2(d, a, b);
	diff_heap(d, a, b);
	diff_vms(d, a, b);
	if (d->json) {
		struct json_object *sk = json_object_new_array();

		for (size_t i = 0; i < d->nr_skipped; i++)
			json_object_array_add(sk, json_object_new_string(d->skipped[i]));
		json_object_object_add(d->out, "skipped", sk);
		json_object_object_add(d->out, "different", json_object_new_boolean(d->different));
		if (hypmem_json_print(stdout, d->out)) {
			fprintf(stderr, "hypmem-diff: cannot write JSON\n");
			return HYPMEM_EXIT_USAGE;
		}
	} else {
		for (size_t i = 0; i < d->nr_skipped; i++)
			printf("(not compared: %s, missing from a snapshot)\n", d->skipped[i]);
		if (!d->different)
			printf("no differences\n");
	}
	return d->different ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    HYPMEM_CLI_TARGET_OPTIONS,
	    {"snapshot", no_argument, NULL, OPT_SNAPSHOT},
	    {"max-lines", required_argument, NULL, OPT_MAX_LINES},
	    {0},
	};
	struct hypmem_target_config cfg = {0};
	struct diff d = {.max_lines = 20};
	struct json_object *a = NULL, *b = NULL;
	bool snapshot = false;
	uint64_t v;
	int opt, ret, nargs;
	char **args;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int handled = hypmem_cli_target_option("hypmem-diff", &cfg, opt, optarg, &d.json);

		if (handled < 0)
			return HYPMEM_EXIT_USAGE;
		if (handled && opt != 's' && opt != 'c' && opt != HYPMEM_OPT_RAW &&
		    opt != HYPMEM_OPT_KASLR && opt != HYPMEM_OPT_KIMAGE_VOFFSET)
			continue;
		switch (opt) {
		case 'h':
			fputs(usage, stdout);
			return HYPMEM_EXIT_OK;
		case OPT_SNAPSHOT:
			snapshot = true;
			break;
		case OPT_MAX_LINES:
			if (!hypmem_cli_u64(optarg, &v) || v > 1000000) {
				fprintf(stderr, "hypmem-diff: --max-lines: bad number '%s'\n",
					optarg);
				return HYPMEM_EXIT_USAGE;
			}
			d.max_lines = (unsigned int)v;
			break;
		default:
			fprintf(stderr,
				"hypmem-diff: this option does not apply here (try --help)\n");
			return HYPMEM_EXIT_USAGE;
		}
	}
	nargs = argc - optind;
	args = argv + optind;
	if (snapshot) {
		struct json_object *s;

		if (nargs != 2) {
			fputs(usage, stderr);
			return HYPMEM_EXIT_USAGE;
		}
		ret = open_snapshot(args[0], args[1], &cfg, &s);
		if (ret)
			return ret;
		return hypmem_json_print(stdout, s) ? HYPMEM_EXIT_USAGE : HYPMEM_EXIT_OK;
	}
	if (nargs == 3) {
		ret = open_snapshot(args[0], args[1], &cfg, &a);
		if (!ret)
			ret = open_snapshot(args[0], args[2], &cfg, &b);
	} else if (nargs == 2) {
		ret = open_snapshot(NULL, args[0], &cfg, &a);
		if (!ret)
			ret = open_snapshot(NULL, args[1], &cfg, &b);
	} else {
		fputs(usage, stderr);
		return HYPMEM_EXIT_USAGE;
	}
	if (!ret)
		ret = run_diff(&d, args[nargs - 2], a, args[nargs - 1], b);
	json_object_put(a);
	json_object_put(b);
	return ret;
}
