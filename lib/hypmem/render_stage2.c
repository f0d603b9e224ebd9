// SPDX-License-Identifier: GPL-2.0-only
/*
 * The decoded stage-2 as JSON (man 5 hypmem-json, "stage2"), as text, and
 * as an SVG memory map.
 *
 * The map draws each RAM range as rows of equal spans of address space,
 * one rectangle per run: colour by owner, opacity by block size (1G solid,
 * 2M lighter, 4K lightest), shared pages hatched, grey where nothing is
 * mapped yet, and a dashed outline around each coalescing candidate.  Runs
 * outside RAM (MMIO) are listed under the map.
 */
#include <inttypes.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/printbuf.h>

#include "hypmem/render.h"
#include "render_priv.h"
#include "hypmem/stage2.h"
#include "hypmem/vm_ranges.h"

/* --- JSON --- */

static struct json_object *jbucket(const struct hypmem_s2_bucket *b)
{
	struct json_object *o = json_object_new_object();

	if (!jadd(o, "count", json_object_new_uint64(b->count)) ||
	    !jadd(o, "bytes", json_object_new_uint64(b->bytes))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/*
 * The runs array prints itself: json-c costs microseconds per object, so
 * 65536 runs as objects of eleven members took 1.7 s; written straight into
 * the print buffer they take a few milliseconds.  The array owns a copy of
 * the runs and the owner names, and holds no json-c elements.
 */
struct runs_blob {
	bool stage1, types;
	unsigned int page_shift;
	struct hypmem_stage2 *names; /* for type names: cfg only */
	char owner_names[HYPMEM_S2_MAX_OWNERS][16];
	size_t nr;
	struct hypmem_s2_run runs[];
};

static void indent(struct printbuf *pb, int level, int flags)
{
	static const char spaces[] = "                                ";

	if (!(flags & JSON_C_TO_STRING_PRETTY))
		return;
	if (flags & JSON_C_TO_STRING_PRETTY_TAB) {
		for (int i = 0; i < level; i++)
			printbuf_memappend(pb, "\t", 1);
		return;
	}
	for (level *= 2; level > 0; level -= 32)
		printbuf_memappend(pb, spaces, level < 32 ? level : 32);
}

static int runs_to_json(struct json_object *jso, struct printbuf *pb, int level, int flags)
{
	const struct runs_blob *b = json_object_get_userdata(jso);
	const char *sp = (flags & JSON_C_TO_STRING_SPACED) ? " " : "";
	const char *nl = (flags & JSON_C_TO_STRING_PRETTY) ? "\n" : "";
	char attr[16], line[512];

	printbuf_memappend(pb, "[", 1);
	for (size_t i = 0; i < b->nr; i++) {
		const struct hypmem_s2_run *r = &b->runs[i];
		uint64_t entries = (r->end - r->start) >>
				   (b->page_shift + (b->page_shift - 3) * (unsigned)(3 - r->level));
		char size[8], tname[16];
		int n = 0;

		printbuf_memappend(pb, i ? "," : "", i ? 1 : 0);
		printbuf_memappend(pb, nl, (int)strlen(nl));
		indent(pb, level + 1, flags);
		n += snprintf(line + n, sizeof(line) - n,
			      "{%s\"start\":%s\"0x%" PRIx64 "\",%s\"end\":%s\"0x%" PRIx64
			      "\",%s\"level\":%s%d,%s\"size\":%s\"%s\",%s\"entries\":%s%" PRIu64
			      ",%s\"valid\":%s%s,",
			      sp, sp, r->start, sp, sp, r->end, sp, sp, r->level, sp, sp,
			      hypmem_s2_level_size_name(b->names, r->level, size), sp, sp, entries,
			      sp, sp, r->valid ? "true" : "false");
		if (b->types && !r->valid)
			n += snprintf(line + n, sizeof(line) - n, "%s\"type\":%s\"%s\",", sp, sp,
				      hypmem_s2_type_name(b->names, r->type, tname));
		if (r->vm_handle)
			n += snprintf(line + n, sizeof(line) - n,
				      "%s\"vm_handle\":%s%u,%s\"gfn\":%s\"0x%" PRIx64 "\",", sp, sp,
				      r->vm_handle, sp, sp, r->gfn);
		if (b->stage1)
			n += snprintf(line + n, sizeof(line) - n, "%s\"phys\":%s\"0x%" PRIx64 "\",",
				      sp, sp, r->phys);
		else if (b->owner_names[r->owner % HYPMEM_S2_MAX_OWNERS][0] &&
			 r->owner < HYPMEM_S2_MAX_OWNERS)
			n += snprintf(line + n, sizeof(line) - n,
				      "%s\"owner\":%s\"%s\",%s\"owner_id\":%s%u,", sp, sp,
				      b->owner_names[r->owner], sp, sp, r->owner);
		else
			n += snprintf(line + n, sizeof(line) - n,
				      "%s\"owner\":%s\"owner%u\",%s\"owner_id\":%s%u,", sp, sp,
				      r->owner, sp, sp, r->owner);
		n += snprintf(line + n, sizeof(line) - n,
			      "%s\"state\":%s\"%s\",%s\"prot\":%s\"%s\",%s\"memattr\":%s\"%s\"%s}",
			      sp, sp, hypmem_s2_state_name(r->state), sp, sp,
			      hypmem_s2_prot_name(r->prot), sp, sp,
			      hypmem_s2_memattr_name(r->memattr, attr, sizeof(attr)), sp);
		printbuf_memappend(pb, line, n < (int)sizeof(line) ? n : (int)sizeof(line) - 1);
	}
	if (b->nr) {
		printbuf_memappend(pb, nl, (int)strlen(nl));
		indent(pb, level, flags);
	}
	printbuf_memappend(pb, "]", 1);
	return 0;
}

static void runs_free(struct json_object *jso, void *userdata)
{
	struct runs_blob *b = userdata;

	(void)jso;
	free(b->names);
	free(b);
}

static struct json_object *jruns(const struct hypmem_stage2 *s)
{
	struct json_object *a = json_object_new_array();
	struct runs_blob *b = malloc(sizeof(*b) + s->nr_runs * sizeof(b->runs[0]));

	if (!a || !b) {
		json_object_put(a);
		free(b);
		return NULL;
	}
	b->names = malloc(sizeof(*b->names));
	if (!b->names) {
		json_object_put(a);
		free(b);
		return NULL;
	}
	memset(b->names, 0, sizeof(*b->names));
	b->names->cfg = s->cfg;
	b->names->geom = s->geom;
	b->stage1 = s->cfg.stage1;
	b->types = s->cfg.invalid_types;
	b->page_shift = s->geom.page_shift ? s->geom.page_shift : 12;
	memcpy(b->owner_names, s->cfg.owner_names, sizeof(b->owner_names));
	b->nr = s->nr_runs;
	if (s->nr_runs)
		memcpy(b->runs, s->runs, s->nr_runs * sizeof(b->runs[0]));
	json_object_set_serializer(a, runs_to_json, b, runs_free);
	return a;
}

static struct json_object *jhistogram(const struct hypmem_stage2 *s)
{
	struct json_object *h = json_object_new_object(), *size = json_object_new_object(),
			   *owner = json_object_new_object(), *state = json_object_new_object();
	char buf[32];
	bool ok = h && size && owner && state;

	for (int l = 3; ok && l >= 0; l--)
		if (s->by_level[l].count)
			ok = jadd(size, hypmem_s2_level_size_name(s, l, buf),
				  jbucket(&s->by_level[l]));
	for (unsigned int i = 0; ok && !s->cfg.stage1 && i < HYPMEM_S2_MAX_OWNERS; i++)
		if (s->by_owner[i].count)
			ok = jadd(owner, hypmem_s2_owner_name(s, i, buf), jbucket(&s->by_owner[i]));
	for (unsigned int i = 0; ok && i < HYPMEM_S2_NR_STATES; i++)
		if (s->by_state[i].count)
			ok = jadd(state, hypmem_s2_state_name(i), jbucket(&s->by_state[i]));
	if (ok && s->cfg.invalid_types) {
		struct json_object *type = json_object_new_object();

		for (unsigned int i = 0; type && i < 16; i++)
			if (s->by_type[i].count && !jadd(type, hypmem_s2_type_name(s, i, buf),
							 jbucket(&s->by_type[i]))) {
				json_object_put(type);
				type = NULL;
			}
		ok = jadd(h, "by_type", type);
	}
	if (ok && jadd(h, "by_size", size) && (s->cfg.stage1 || jadd(h, "by_owner", owner)) &&
	    jadd(h, "by_state", state)) {
		if (s->cfg.stage1)
			json_object_put(owner);
		return h;
	}
	json_object_put(h);
	return NULL;
}

static struct json_object *jlevels(const uint64_t *v)
{
	struct json_object *o = json_object_new_object();
	char key[4];

	for (int l = 0; o && l < HYPMEM_PGTABLE_LEVELS; l++) {
		if (!v[l])
			continue;
		snprintf(key, sizeof(key), "%d", l);
		if (!jadd(o, key, json_object_new_uint64(v[l]))) {
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

struct json_object *hypmem_json_stage2(const struct hypmem_stage2 *s)
{
	struct json_object *o = json_object_new_object();
	bool ok;

	if (!s->found) {
		if (!jadd(o, "missing", json_object_new_string(s->missing))) {
			json_object_put(o);
			return NULL;
		}
		return o;
	}
	ok = jadd(o, "table", json_object_new_string(s->table)) &&
	     jadd(o, "ia_bits", json_object_new_uint64(s->geom.ia_bits)) &&
	     jadd(o, "start_level", json_object_new_int(s->geom.start_level)) &&
	     jadd(o, "pgd", jhex(s->pgd)) &&
	     jadd(o, "pgd_pages", json_object_new_uint64(s->geom.pgd_pages)) &&
	     jadd(o, "granule", json_object_new_uint64(1ULL << (s->geom.page_shift ? s->geom.page_shift : 12))) &&
	     jadd(o, "invalid_entry_types", json_object_new_boolean(s->cfg.invalid_types)) &&
	     jadd(o, "leaf_states", json_object_new_boolean(!s->cfg.no_leaf_state)) &&
	     jadd(o, "seed002_refcounts", json_object_new_boolean(s->cfg.android_refcounts));
	if (ok && s->pool.end)
		ok = jadd(o, "pool_start", jhex(s->pool.start)) &&
		     jadd(o, "pool_end", jhex(s->pool.end));
	if (ok && s->cfg.keep_runs)
		ok = jadd(o, "runs", jruns(s));
	ok = ok && jadd(o, "histogram", jhistogram(s)) &&
	     jadd(o, "tables", json_object_new_uint64(s->tables)) &&
	     jadd(o, "tables_by_level", jlevels(s->tables_by_level)) &&
	     jadd(o, "nr_runs", json_object_new_uint64(s->nr_runs_total));
	if (ok && !s->cfg.stage1 && !s->cfg.guest)
		ok = jadd(o, "coalescing_candidates", json_object_new_uint64(s->candidates));
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* --- text --- */

void hypmem_text_stage2_line(FILE *out, const struct hypmem_stage2 *s)
{
	char b[32], name[16], size[8];
	const char *sep = "";

	if (!s->found) {
		fprintf(out, "Stage-2: not found (%s)\n", s->missing);
		return;
	}
	/* Three lines, each under 100 columns with every owner a kernel defines. */
	fprintf(out, "Stage-2: %s, %u-bit IPA from level %d; %" PRIu64 " tables, %" PRIu64
		" coalescing candidates\n", s->table, s->geom.ia_bits, s->geom.start_level,
		s->tables, s->candidates);
	fprintf(out, "         mapped:");
	for (int l = 1; l <= 3; l++) {
		human(b, sizeof(b), s->mapped_by_level[l].bytes);
		fprintf(out, "%s %s %s", sep, hypmem_s2_level_size_name(s, l, size), b);
		sep = ",";
	}
	fprintf(out, "\n         owners:");
	sep = "";
	for (unsigned int i = 0; i < HYPMEM_S2_MAX_OWNERS; i++) {
		if (!s->by_owner[i].count)
			continue;
		human(b, sizeof(b), s->by_owner[i].bytes);
		fprintf(out, "%s %s %s", sep, hypmem_s2_owner_name(s, i, name), b);
		sep = ",";
	}
	fprintf(out, "\n");
}

void hypmem_text_stage2(FILE *out, const struct hypmem_stage2 *s)
{
	char name[16], attr[16], b[32], size[8];
	unsigned int ps = s->geom.page_shift ? s->geom.page_shift : 12;

	if (!s->found) {
		fprintf(out, "%s: not found (%s)\n", s->table[0] ? s->table : "stage-2",
			s->missing);
		return;
	}
	fprintf(out, "%-18s %-18s %-4s %8s %-10s %-15s %-4s %s\n", "START", "END", "SIZE",
		"ENTRIES", s->cfg.stage1 ? "PHYS" : "OWNER", "STATE", "PROT", "MEMATTR");
	for (size_t i = 0; i < s->nr_runs; i++) {
		const struct hypmem_s2_run *r = &s->runs[i];
		uint64_t entries = (r->end - r->start) >> (ps + (ps - 3) * (unsigned)(3 - r->level));

		fprintf(out, "0x%016" PRIx64 " 0x%016" PRIx64 " %-4s %8" PRIu64 " ", r->start,
			r->end, hypmem_s2_level_size_name(s, r->level, size), entries);
		if (s->cfg.stage1) {
			snprintf(b, sizeof(b), "0x%" PRIx64, r->phys);
			fprintf(out, "%-10s ", b);
		} else {
			fprintf(out, "%-10s ", hypmem_s2_owner_name(s, r->owner, name));
		}
		fprintf(out, "%-15s %-4s %s", hypmem_s2_state_name(r->state),
			hypmem_s2_prot_name(r->prot),
			hypmem_s2_memattr_name(r->memattr, attr, sizeof(attr)));
		if (!r->valid && s->cfg.invalid_types)
			fprintf(out, " %s", hypmem_s2_type_name(s, r->type, name));
		if (r->vm_handle)
			fprintf(out, " vm 0x%x gfn 0x%" PRIx64, r->vm_handle, r->gfn);
		fputc('\n', out);
	}
	fprintf(out,
		"\n%s: %u-bit input addresses from level %d, %u root page(s) at 0x%" PRIx64
		", %" PRIu64 " table pages, %" PRIu64 " runs\n",
		s->table, s->geom.ia_bits, s->geom.start_level, s->geom.pgd_pages, s->geom.pgd_pa,
		s->tables, s->nr_runs_total);
	fprintf(out, "  by block size:");
	for (int l = 3; l >= 0; l--) {
		if (!s->by_level[l].count)
			continue;
		human(b, sizeof(b), s->by_level[l].bytes);
		fprintf(out, " %s %" PRIu64 " (%s)", hypmem_s2_level_size_name(s, l, size),
			s->by_level[l].count, b);
	}
	if (!s->cfg.stage1) {
		fprintf(out, "\n  by owner:     ");
		for (unsigned int i = 0; i < HYPMEM_S2_MAX_OWNERS; i++) {
			if (!s->by_owner[i].count)
				continue;
			human(b, sizeof(b), s->by_owner[i].bytes);
			fprintf(out, " %s %s", hypmem_s2_owner_name(s, i, name), b);
		}
	}
	fprintf(out, "\n  by state:     ");
	for (unsigned int i = 0; i < HYPMEM_S2_NR_STATES; i++) {
		if (!s->by_state[i].count)
			continue;
		human(b, sizeof(b), s->by_state[i].bytes);
		fprintf(out, " %s %s", hypmem_s2_state_name(i), b);
	}
	if (s->cfg.no_leaf_state)
		fprintf(out, " (valid leaves carry no state: see the vmemmap)");
	bool any_type = false;

	for (unsigned int i = 0; i < 16; i++)
		any_type |= s->by_type[i].count != 0;
	if (s->cfg.invalid_types && any_type) {
		fprintf(out, "\n  by type:      ");
		for (unsigned int i = 0; i < 16; i++) {
			if (!s->by_type[i].count)
				continue;
			human(b, sizeof(b), s->by_type[i].bytes);
			fprintf(out, " %s %" PRIu64 " (%s)", hypmem_s2_type_name(s, i, name),
				s->by_type[i].count, b);
		}
	}
	fprintf(out, "\n");
	if (!s->cfg.stage1 && !s->cfg.guest)
		fprintf(out,
			"  coalescing candidates: %" PRIu64
			" (block-sized ranges the host owns wholly but maps with pages)\n",
			s->candidates);
}

/* --- SVG --- */

#define SVG_WIDTH   1200
#define SVG_LEFT    150
#define SVG_RIGHT   20
#define SVG_ROW_H   18
#define SVG_ROW_GAP 4
#define SVG_MAP_W   (SVG_WIDTH - SVG_LEFT - SVG_RIGHT)
#define SVG_MIN_W   2.0 /* pixels: a single 4K page stays visible */
#define SVG_VM_COLS 5	/* VM legend entries per line */

static const char *owner_colour(unsigned int owner)
{
	static const char *const colours[] = {"#3a6ea5", "#d1495b", "#3f9e4d",
					      "#8e5ea2", "#e0a030", "#7a6a5a"};

	return colours[owner < 5 ? owner : 5];
}

/* VM colours: golden-angle hues, darker than the owner colours' greens. */
static const char *vm_colour(char *buf, size_t len, size_t i)
{
	snprintf(buf, len, "hsl(%u,70%%,%u%%)", (unsigned int)((i * 137 + 20) % 360),
		 i % 2 ? 38u : 52u);
	return buf;
}

static double level_opacity(int level)
{
	return level <= 1 ? 1.0 : level == 2 ? 0.7 : 0.45;
}

static void xml_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '&':
			fputs("&amp;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		default:
			if ((unsigned char)*s >= 0x20)
				fputc(*s, out);
		}
	}
}

struct svg_map {
	FILE *out;
	uint64_t row_bytes;
	double y0; /* of the current RAM range's first row */
	uint64_t base;
};

/* Draw [start, end) of a RAM range, split over rows, each piece titled. */
static void svg_span(struct svg_map *m, uint64_t start, uint64_t end, const char *fill,
		     double opacity, const char *extra, const char *title)
{
	while (start < end) {
		uint64_t row = (start - m->base) / m->row_bytes;
		uint64_t row_end = m->base + (row + 1) * m->row_bytes;
		uint64_t stop = end < row_end ? end : row_end;
		double x = SVG_LEFT + (double)(start - m->base - row * m->row_bytes) * SVG_MAP_W /
					  (double)m->row_bytes;
		double w = (double)(stop - start) * SVG_MAP_W / (double)m->row_bytes;

		if (w < SVG_MIN_W)
			w = SVG_MIN_W;
		if (x + w > SVG_LEFT + SVG_MAP_W)
			x = SVG_LEFT + SVG_MAP_W - w;
		fprintf(m->out,
			"<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" fill=\"%s\" "
			"fill-opacity=\"%.2f\"%s>",
			x, m->y0 + (double)row * (SVG_ROW_H + SVG_ROW_GAP), w, SVG_ROW_H, fill,
			opacity, extra);
		if (title) {
			fputs("<title>", m->out);
			xml_text(m->out, title);
			fputs("</title>", m->out);
		}
		fputs("</rect>\n", m->out);
		start = stop;
	}
}

static uint64_t pick_row_bytes(const struct hypmem_target_info *info)
{
	uint64_t total = 0, row = 2ULL << 20;

	for (size_t i = 0; i < info->nr_ram; i++)
		total += info->ram[i].end - info->ram[i].start;
	while (total / row > 48)
		row *= 2;
	return row;
}

/* "0x...-0x... (8.0K): 4K pages, owner guest, state nopage[, what]" */
static void run_title(char *buf, size_t len, const struct hypmem_stage2 *s,
		      const struct hypmem_s2_run *run, uint64_t a, uint64_t z, const char *what)
{
	char size[32], name[16], level[8];

	human(size, sizeof(size), z - a);
	snprintf(buf, len, "0x%" PRIx64 "-0x%" PRIx64 " (%s): %s %s, owner %s, state %s%s%s", a, z,
		 size, hypmem_s2_level_size_name(s, run->level, level),
		 run->level == 3 ? "pages" : "blocks",
		 hypmem_s2_owner_name(s, run->owner, name), hypmem_s2_state_name(run->state),
		 what ? ", " : "", what ? what : "");
}

static void legend_box(FILE *out, double x, double y, const char *fill, const char *extra,
		       const char *label)
{
	fprintf(out, "<rect x=\"%.0f\" y=\"%.0f\" width=\"14\" height=\"14\" fill=\"%s\"%s/>", x,
		y, fill, extra);
	fprintf(out, "<text x=\"%.0f\" y=\"%.0f\">", x + 18, y + 11);
	xml_text(out, label);
	fprintf(out, "</text>\n");
}

static const char *const mark_stroke[] = {"#000000", "#17becf", "#bcbd22", "#e377c2"};
#define MARK_STROKE(i) mark_stroke[(i) < 4 ? (i) : 3]

/* The lines the legend takes, so that the map starts below it. */
static unsigned int legend_lines(const struct hypmem_svg_extra *x)
{
	unsigned int n = 2;

	if (x->vms && x->vms->nr)
		n += 1 + (unsigned int)((x->vms->nr - 1) / SVG_VM_COLS);
	if (x->nr_marks)
		n += 1 + (unsigned int)((x->nr_marks - 1) / 4);
	return n;
}

static void svg_legend(FILE *out, const struct hypmem_stage2 *s,
		       const struct hypmem_svg_extra *extra, unsigned int page_shift, double y)
{
	char name[16], colour[32], label[96], size[8];
	double x = SVG_LEFT;

	fprintf(out, "<g font-size=\"12\">\n");
	for (unsigned int i = 0; i < HYPMEM_S2_MAX_OWNERS; i++) {
		if (!s->by_owner[i].count && i)
			continue;
		const char *owner = hypmem_s2_owner_name(s, i, name);

		snprintf(label, sizeof(label), "%s%s", owner,
			 extra->vms && extra->vms->nr && !strcmp(owner, "guest") ? " (no VM)" : "");
		legend_box(out, x, y, owner_colour(i), "", label);
		x += 90 + (strlen(label) > 8 ? 50 : 0);
	}
	legend_box(out, x, y, "#e8e8e8", " stroke=\"#bbb\"", "not mapped yet (host)");
	y += 22;
	x = SVG_LEFT;
	for (int l = 1; l <= 3; l++) {
		char extra_attr[48];

		snprintf(extra_attr, sizeof(extra_attr), " fill-opacity=\"%.2f\"", level_opacity(l));
		snprintf(label, sizeof(label), "%s %s", hypmem_s2_level_size_name(s, l, size),
			 l == 3 ? "pages" : "blocks");
		legend_box(out, x, y, owner_colour(0), extra_attr, label);
		x += 110;
	}
	legend_box(out, x, y, "url(#shared)", "", "shared with EL2");
	x += 140;
	snprintf(label, sizeof(label), "coalescing candidate (%s owned by the host, mapped by pages)",
		 hypmem_s2_level_size_name(s, 2, size));
	legend_box(out, x, y, "none", " stroke=\"#ff7f0e\" stroke-width=\"2\" stroke-dasharray=\"3,2\"",
		   label);
	if (extra->vms && extra->vms->nr) {
		for (size_t i = 0; i < extra->vms->nr; i++) {
			const struct hypmem_vm_mem *vm = &extra->vms->vms[i];
			uint64_t pages = 0;

			if (i % SVG_VM_COLS == 0) {
				y += 22;
				x = SVG_LEFT;
			}
			for (size_t k = 0; k < vm->nr_ranges; k++)
				pages += (vm->ranges[k].end - vm->ranges[k].start) >> page_shift;
			snprintf(label, sizeof(label), "VM 0x%" PRIx64 " (%" PRIu64 " pages)",
				 vm->handle, pages);
			legend_box(out, x, y, vm_colour(colour, sizeof(colour), i), "", label);
			x += 200;
		}
	}
	for (size_t i = 0; i < extra->nr_marks; i++) {
		char attr[96];

		if (i % 4 == 0) {
			y += 22;
			x = SVG_LEFT;
		}
		snprintf(attr, sizeof(attr), " stroke=\"%s\" stroke-width=\"2\"", MARK_STROKE(i));
		legend_box(out, x, y, "none", attr, extra->marks[i].label);
		x += 230;
	}
	fprintf(out, "</g>\n");
}

/* The first of @vm's (sorted) ranges that ends after @a. */
static size_t first_range(const struct hypmem_vm_mem *vm, uint64_t a)
{
	size_t lo = 0, hi = vm->nr_ranges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (vm->ranges[mid].end <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Memory inside [a, z) that a known VM holds, in its colour. */
static void svg_vm_spans(struct svg_map *m, const struct hypmem_stage2 *s,
			 const struct hypmem_s2_run *run, uint64_t a, uint64_t z,
			 const struct hypmem_vm_mems *vms)
{
	char colour[32], what[48], title[256];

	for (size_t i = 0; vms && i < vms->nr; i++) {
		const struct hypmem_vm_mem *vm = &vms->vms[i];

		for (size_t k = first_range(vm, a); k < vm->nr_ranges && vm->ranges[k].start < z; k++) {
			uint64_t lo = vm->ranges[k].start > a ? vm->ranges[k].start : a;
			uint64_t hi = vm->ranges[k].end < z ? vm->ranges[k].end : z;

			if (lo >= hi)
				continue;
			snprintf(what, sizeof(what), "VM 0x%" PRIx64, vm->handle);
			run_title(title, sizeof(title), s, run, lo, hi, what);
			svg_span(m, lo, hi, vm_colour(colour, sizeof(colour), i),
				 level_opacity(run->level), "", title);
		}
	}
}

/* The first run (runs are in address order) that ends after @a. */
static size_t first_run(const struct hypmem_stage2 *s, uint64_t a)
{
	size_t lo = 0, hi = s->nr_runs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->runs[mid].end <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Memory a VM holds inside [start, end) where the host stage-2 has no entry
 * (a page shared with a guest that the host has not touched since): drawn
 * in the VM's colour too, since no run covers it.
 */
static void svg_vm_holes(struct svg_map *m, const struct hypmem_stage2 *s,
			 const struct hypmem_vm_mems *vms, uint64_t start, uint64_t end)
{
	char colour[32], title[256], size[32];

	for (size_t i = 0; vms && i < vms->nr; i++) {
		const struct hypmem_vm_mem *vm = &vms->vms[i];

		for (size_t k = first_range(vm, start); k < vm->nr_ranges && vm->ranges[k].start < end;
		     k++) {
			uint64_t lo = vm->ranges[k].start > start ? vm->ranges[k].start : start;
			uint64_t hi = vm->ranges[k].end < end ? vm->ranges[k].end : end;

			for (size_t r = first_run(s, lo); lo < hi; r++) {
				uint64_t gap_end = r < s->nr_runs && s->runs[r].start < hi ?
							   s->runs[r].start : hi;

				if (gap_end > lo) {
					human(size, sizeof(size), gap_end - lo);
					snprintf(title, sizeof(title),
						 "0x%" PRIx64 "-0x%" PRIx64 " (%s): no host stage-2 "
						 "entry, VM 0x%" PRIx64, lo, gap_end, size, vm->handle);
					svg_span(m, lo, gap_end, vm_colour(colour, sizeof(colour), i),
						 1.0, "", title);
				}
				if (r >= s->nr_runs || s->runs[r].start >= hi)
					break;
				lo = s->runs[r].end;
			}
		}
	}
}

struct hypmem_error *hypmem_svg_stage2(FILE *out, const struct hypmem_stage2 *s,
				       const struct hypmem_target_info *info)
{
	static const struct hypmem_svg_extra none;

	return hypmem_svg_stage2_extra(out, s, info, &none);
}

struct hypmem_error *hypmem_svg_stage2_extra(FILE *out, const struct hypmem_stage2 *s,
					     const struct hypmem_target_info *info,
					     const struct hypmem_svg_extra *extra)
{
	struct svg_map m = {.out = out, .row_bytes = pick_row_bytes(info)};
	uint64_t rows = 0, outside = 0;
	double y, height, top = 60 + 22.0 * legend_lines(extra) + 16;
	char b1[32], b2[32], title[256];
	/* A coalescing candidate spans what one last-level table maps. */
	unsigned int ps = s->geom.page_shift ? s->geom.page_shift : 12;
	uint64_t block = 1ULL << (ps + (ps - 3));

	for (size_t i = 0; i < info->nr_ram; i++)
		rows += (info->ram[i].end - info->ram[i].start + m.row_bytes - 1) / m.row_bytes;
	for (size_t i = 0; i < s->nr_runs; i++) {
		bool in = false;

		for (size_t j = 0; j < info->nr_ram && !in; j++)
			in = s->runs[i].start < info->ram[j].end &&
			     s->runs[i].end > info->ram[j].start;
		outside += !in;
	}
	height = top + (double)rows * (SVG_ROW_H + SVG_ROW_GAP) + 30.0 * (double)info->nr_ram + 60 +
		 16.0 * (double)(outside < 40 ? outside : 41) + 20;

	fprintf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" "
		"viewBox=\"0 0 %d %.0f\" font-family=\"sans-serif\">\n",
		SVG_WIDTH, height, SVG_WIDTH, height);
	fprintf(out,
		"<defs><pattern id=\"shared\" width=\"6\" height=\"6\" "
		"patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
		"<rect width=\"6\" height=\"6\" fill=\"%s\"/>"
		"<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#ffffff\" "
		"stroke-width=\"3\"/></pattern></defs>\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
		owner_colour(0));
	fprintf(out,
		"<text x=\"20\" y=\"28\" font-size=\"18\" font-weight=\"bold\">Host stage-2 (");
	xml_text(out, s->table);
	fprintf(out,
		"), %u-bit IPA, %" PRIu64 " table pages, %" PRIu64
		" coalescing candidates</text>\n",
		s->geom.ia_bits, s->tables, s->candidates);
	human(b1, sizeof(b1), m.row_bytes);
	fprintf(out,
		"<text x=\"20\" y=\"48\" font-size=\"12\" fill=\"#555\">one row = %s of "
		"physical address space (identity map); hover a range for its details</text>\n",
		b1);
	svg_legend(out, s, extra, info->page_shift, 60);

	y = top;
	for (size_t i = 0; i < info->nr_ram; i++) {
		uint64_t start = info->ram[i].start, end = info->ram[i].end;
		uint64_t nrows = (end - start + m.row_bytes - 1) / m.row_bytes;

		human(b1, sizeof(b1), end - start);
		fprintf(out,
			"<text x=\"20\" y=\"%.0f\" font-size=\"13\" font-weight=\"bold\">RAM "
			"0x%" PRIx64 "-0x%" PRIx64 " (%s)</text>\n",
			y, start, end, b1);
		y += 10;
		m.y0 = y;
		m.base = start;
		for (uint64_t r = 0; r < nrows; r++) {
			double ry = y + (double)r * (SVG_ROW_H + SVG_ROW_GAP);

			fprintf(out,
				"<text x=\"%d\" y=\"%.0f\" font-size=\"11\" "
				"font-family=\"monospace\" text-anchor=\"end\">0x%" PRIx64
				"</text>\n",
				SVG_LEFT - 6, ry + 13, start + r * m.row_bytes);
		}
		snprintf(title, sizeof(title),
			 "RAM 0x%" PRIx64 "-0x%" PRIx64 " (%s): not mapped yet, owner host", start,
			 end, b1);
		svg_span(&m, start, end, "#e8e8e8", 1.0, "", title);
		for (size_t k = 0; k < s->nr_runs; k++) {
			const struct hypmem_s2_run *run = &s->runs[k];
			uint64_t a = run->start > start ? run->start : start;
			uint64_t z = run->end < end ? run->end : end;
			bool shared = run->state == HYPMEM_S2_SHARED_OWNED ||
				      run->state == HYPMEM_S2_SHARED_BORROWED;

			if (a >= z)
				continue;
			run_title(title, sizeof(title), s, run, a, z, NULL);
			svg_span(&m, a, z, shared ? "url(#shared)" : owner_colour(run->owner),
				 level_opacity(run->level), "", title);
			/*
			 * Drawn over whatever the host records there: donated
			 * (guest-owned) or, for a guest stage-2, shared pages.
			 */
			svg_vm_spans(&m, s, run, a, z, extra->vms);
		}
		svg_vm_holes(&m, s, extra->vms, start, end);
		for (size_t k = 0; k < s->nr_candidate_addrs; k++) {
			uint64_t a = s->candidate_addrs[k];

			if (a >= start && a < end) {
				human(b2, sizeof(b2), block);
				snprintf(title, sizeof(title),
					 "0x%" PRIx64 "-0x%" PRIx64 " (%s): coalescing candidate, "
					 "owned by the host, mapped by pages",
					 a, a + block, b2);
				svg_span(&m, a, a + block, "none", 1.0,
					 " stroke=\"#ff7f0e\" stroke-width=\"2\" "
					 "stroke-dasharray=\"3,2\"",
					 title);
			}
		}
		for (size_t k = 0; k < extra->nr_marks; k++) {
			const struct hypmem_svg_mark *mk = &extra->marks[k];
			uint64_t a = mk->start > start ? mk->start : start;
			uint64_t z = mk->end < end ? mk->end : end;
			char attr[96];

			if (a >= z)
				continue;
			human(b2, sizeof(b2), mk->end - mk->start);
			snprintf(title, sizeof(title), "%s: 0x%" PRIx64 "-0x%" PRIx64 " (%s)",
				 mk->label, mk->start, mk->end, b2);
			snprintf(attr, sizeof(attr),
				 " stroke=\"%s\" stroke-width=\"2\" pointer-events=\"stroke\"",
				 MARK_STROKE(k));
			svg_span(&m, a, z, "none", 1.0, attr, title);
		}
		y += (double)nrows * (SVG_ROW_H + SVG_ROW_GAP) + 20;
	}

	fprintf(out,
		"<text x=\"20\" y=\"%.0f\" font-size=\"13\" font-weight=\"bold\">Outside "
		"RAM (%" PRIu64 " runs)</text>\n",
		y + 10, outside);
	y += 30;
	for (size_t k = 0, shown = 0; k < s->nr_runs && shown < 40; k++) {
		char size[8];
		const struct hypmem_s2_run *run = &s->runs[k];
		bool in = false;
		char name[16];

		for (size_t j = 0; j < info->nr_ram && !in; j++)
			in = run->start < info->ram[j].end && run->end > info->ram[j].start;
		if (in)
			continue;
		human(b2, sizeof(b2), run->end - run->start);
		fprintf(out,
			"<text x=\"40\" y=\"%.0f\" font-size=\"11\" font-family=\"monospace\">"
			"0x%" PRIx64 "-0x%" PRIx64 " %s in %s %s, %s, %s</text>\n",
			y, run->start, run->end, b2, hypmem_s2_level_size_name(s, run->level, size),
			run->level == 3 ? "pages" : "blocks",
			hypmem_s2_owner_name(s, run->owner, name), hypmem_s2_prot_name(run->prot));
		y += 16;
		shown++;
	}
	fprintf(out, "</svg>\n");
	if (ferror(out))
		return hypmem_error_os(0, "cannot write the SVG");
	return NULL;
}
