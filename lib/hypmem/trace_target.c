// SPDX-License-Identifier: GPL-2.0-only
/*
 * Trace reader over a target (a dump, or live RAM): the hypervisor's
 * per-CPU ring buffers found through DWARF and symbols, walked from the
 * true head at every poll.  See include/hypmem/trace.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "trace_priv.h"


/* --- target source --- */

static struct hypmem_error *member(struct hypmem_target *t, const struct hypmem_type *type,
				   const char *name, struct hypmem_member *ret)
{
	return hypmem_dwarf_member(hypmem_target_dwarf(t), type, name, ret);
}

#define EVENT_STRUCT_PREFIX "remote_event_format_"
#define MAX_EVENTS	    4096

/*
 * Linux 7.x keeps no format text in memory: each event's record is a DWARF
 * struct remote_event_format_<name> ({struct remote_event_hdr hdr; fields}),
 * and the host numbers the events in name order.  Write format text for
 * them (real offsets, a print fmt of name=value pairs) and parse it.
 */
static struct hypmem_error *read_formats_dwarf(struct hypmem_trace *tr)
{
	struct hypmem_dwarf *dw = hypmem_target_dwarf(tr->t);
	char **names = NULL, *text = NULL;
	size_t nr = 0, len = 0;
	FILE *f = NULL;
	struct hypmem_error *err;

	if ((err = hypmem_dwarf_struct_names(dw, EVENT_STRUCT_PREFIX, &names, &nr)))
		return err;
	if (!nr) {
		err = hypmem_error_create(HYPMEM_ERROR_LOOKUP,
					  "%s: no DWARF struct " EVENT_STRUCT_PREFIX
					  "*: cannot name the hypervisor's events",
					  hypmem_dwarf_path(dw));
		goto out;
	}
	if (nr > MAX_EVENTS) {
		err = hypmem_error_create(HYPMEM_ERROR_FORMAT, "%zu event structs", nr);
		goto out;
	}
	if (!(f = open_memstream(&text, &len))) {
		err = &hypmem_enomem;
		goto out;
	}
	for (size_t i = 0; i < nr && !err; i++) {
		const struct hypmem_member *m;
		struct hypmem_type type;
		char tname[256], pfmt[1024] = "", pargs[2048] = "";
		size_t nm, pl = 0, al = 0;

		snprintf(tname, sizeof(tname), "struct %s", names[i]);
		if ((err = hypmem_dwarf_find_type(dw, tname, &type)) ||
		    (err = hypmem_dwarf_members(dw, &type, &m, &nm)))
			break;
		fprintf(f, "name: %s\nID: %zu\nformat:\n", names[i] + strlen(EVENT_STRUCT_PREFIX), i);
		fprintf(f, "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n");
		for (size_t j = 0; j < nm; j++) {
			const char *fn = m[j].name;
			bool scalar = m[j].type.kind == HYPMEM_TYPE_INT ||
				      m[j].type.kind == HYPMEM_TYPE_ENUM ||
				      m[j].type.kind == HYPMEM_TYPE_POINTER;

			/* The header (the id) is common_type, printed above. */
			if (!fn || (j == 0 && m[j].type.kind == HYPMEM_TYPE_STRUCT) ||
			    m[j].bit_size || m[j].offset + m[j].type.size > type.size)
				continue;
			fprintf(f, "\tfield:%s %s;\toffset:%" PRIu64 ";\tsize:%" PRIu64
				   ";\tsigned:%d;\n",
				m[j].type_name ? m[j].type_name : "u8", fn, m[j].offset,
				m[j].type.size, m[j].type.is_signed);
			if (!scalar || !m[j].type.size || m[j].type.size > 8)
				continue;
			if (pl < sizeof(pfmt))
				pl += (size_t)snprintf(pfmt + pl, sizeof(pfmt) - pl, "%s%s=%s", pl ? " " : "", fn,
						       m[j].type.size == 8 ? (m[j].type.is_signed ? "%lld" : "%llu")
									   : (m[j].type.is_signed ? "%d" : "%u"));
			if (al < sizeof(pargs))
				al += (size_t)snprintf(pargs + al, sizeof(pargs) - al, ", REC->%s", fn);
		}
		fprintf(f, "\nprint fmt: \"%s\"%s\n", pl < sizeof(pfmt) ? pfmt : "",
			al < sizeof(pargs) ? pargs : "");
	}
	if (fclose(f) && !err)
		err = &hypmem_enomem;
	if (!err)
		err = hypmem_event_formats_parse(&tr->formats, text, len, "hypervisor");
out:
	for (size_t i = 0; i < nr; i++)
		free(names[i]);
	free(names);
	free(text);
	return err;
}

/* Read a pointer-sized (or smaller) little-endian member of @buf. */
static uint64_t get_member(const uint8_t *buf, size_t len, uint32_t off, uint32_t size)
{
	if (off > len || len - off < size || !size || size > 8)
		return 0;
	return hypmem_load_le(buf + off, size);
}

static struct hypmem_error *member_in(struct hypmem_target *t, const struct hypmem_type *type,
				      const char *name, uint32_t max_size, uint32_t *off,
				      uint32_t *size)
{
	struct hypmem_member m;
	struct hypmem_error *err = member(t, type, name, &m);

	if (err)
		return err;
	if (!m.type.size || m.type.size > max_size || m.offset > type->size ||
	    type->size - m.offset < m.type.size)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "struct %s: odd member '%s'",
					   type->name ? type->name : "?", name);
	*off = (uint32_t)m.offset;
	if (size)
		*size = (uint32_t)m.type.size;
	return NULL;
}

/*
 * Allocate @c's page tables and read its @nr_pages bpages[] (struct
 * simple_buffer_page, @bp_size bytes each, at hyp VA @bpages_va into @bp):
 * each one's data page (hyp VA, at @off_page) by its id (at @off_id).
 */
static struct hypmem_error *read_bpages(struct hypmem_target *t, struct cpu_state *c,
					uint64_t nr_pages, uint64_t bpages_va, uint8_t *bp,
					uint32_t bp_size, uint32_t off_page, uint32_t sz_page,
					uint32_t off_id, uint32_t sz_id)
{
	struct hypmem_error *err;

	c->page_pa = calloc(nr_pages, sizeof(*c->page_pa));
	c->mem = calloc(nr_pages, sizeof(*c->mem));
	c->bp_va = calloc(nr_pages, sizeof(*c->bp_va));
	c->bp_id = calloc(nr_pages, sizeof(*c->bp_id));
	if (!c->page_pa || !c->mem || !c->bp_va || !c->bp_id)
		return &hypmem_enomem;
	for (uint64_t i = 0; i < nr_pages; i++) {
		uint64_t page_va, id;

		c->bp_va[i] = bpages_va + i * bp_size;
		if ((err = hypmem_target_read_hyp(t, bp, c->bp_va[i], bp_size)))
			return err;
		page_va = get_member(bp, bp_size, off_page, sz_page);
		id = get_member(bp, bp_size, off_id, sz_id);
		if (id >= nr_pages)
			return hypmem_error_create(HYPMEM_ERROR_FORMAT,
						   "bpages[%" PRIu64 "] has page id %" PRIu64
						   " of %" PRIu64,
						   i, id, nr_pages);
		c->bp_id[i] = (uint32_t)id;
		if ((err = hypmem_target_hyp_to_pa(t, page_va, &c->page_pa[id], NULL)))
			return err;
	}
	c->nr_pages = (uint32_t)nr_pages;
	c->st.nr_pages = nr_pages;
	return NULL;
}

/*
 * One CPU's ring cannot be read (@err: a count past reason, a pointer that
 * does not translate): a finding at @where, the field that said so, and the
 * CPU is left out; the others are still read.  Only out of memory stops.
 */
static struct hypmem_error *skip_cpu(struct hypmem_trace *tr, unsigned int cpu,
				     struct hypmem_error *err, uint64_t where)
{
	struct cpu_state *c = &tr->cpus[cpu];
	struct hypmem_error *ret;

	if (err == &hypmem_enomem)
		return err;
	c->nr_pages = 0;
	c->st.nr_pages = 0;
	ret = hypmem_findings_add(&tr->findings, HYPMEM_FINDING_TRACE_PAGE_INVALID, where,
				  "cpu %u: its ring is not read: %s", cpu, err->message);
	hypmem_error_destroy(err);
	return ret;
}

/*
 * Linux 7.x: trace_buffer (struct hyp_trace_buffer) holds a per-CPU pointer
 * to the hyp's __simple_rbs.  CPU n's copy lies in the hyp per-CPU area the
 * host allocated for it: kvm_arm_hyp_percpu_base[n] (a host linear-map
 * address) + (__simple_rbs - __per_cpu_start), both ELF symbols of the hyp
 * object.  Each CPU's bpages[] (hyp VAs) give the data pages by id and the
 * ring's links, walked at every poll from the true head.
 */
static struct hypmem_error *open_kernel_buffers(struct hypmem_trace *tr,
						const struct hypmem_member *m_rbs)
{
	struct hypmem_target *t = tr->t;
	struct hypmem_dwarf *dw = hypmem_target_dwarf(t);
	struct ring_layout *rl = &tr->ring;
	struct hypmem_type rb_type, bp_type, base_type, meta_type;
	uint32_t off_meta, off_nrp, sz_nrp, off_page, off_id, sz_id;
	uint64_t rbs_sym, pcpu_start, base_pa, pcpu_off, nr_bases;
	uint8_t *rb = NULL, *bp = NULL, *bases = NULL;
	struct hypmem_member m_bpages, m_meta;
	struct hypmem_error *err;

	if ((err = hypmem_dwarf_element_type(dw, &m_rbs->type, &rb_type)))
		return err;
	if (rb_type.kind != HYPMEM_TYPE_STRUCT || !rb_type.size || rb_type.size > 4096)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "trace_buffer.simple_rbs: not a struct pointer");
	if ((err = member_in(t, &rb_type, "head_page", 8, &rl->off_head, NULL)) ||
	    (err = member_in(t, &rb_type, "reader_page", 8, &rl->off_reader, NULL)) ||
	    (err = member_in(t, &rb_type, "tail_page", 8, &rl->off_tail, NULL)) ||
	    (err = member_in(t, &rb_type, "bpages", 8, &rl->off_bpages, NULL)) ||
	    (err = member_in(t, &rb_type, "meta", 8, &off_meta, NULL)) ||
	    (err = member_in(t, &rb_type, "nr_pages", 8, &off_nrp, &sz_nrp)) ||
	    (err = member(t, &rb_type, "bpages", &m_bpages)) ||
	    (err = hypmem_dwarf_element_type(dw, &m_bpages.type, &bp_type)) ||
	    (err = member(t, &rb_type, "meta", &m_meta)) ||
	    (err = hypmem_dwarf_element_type(dw, &m_meta.type, &meta_type)))
		return err;
	/* The meta page's counters, where this kernel's uapi struct has them. */
	if (meta_type.kind != HYPMEM_TYPE_STRUCT || !meta_type.size || meta_type.size > 4096)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "simple_rb_per_cpu.meta: odd type");
	if ((err = member_in(t, &meta_type, "entries", 8, &rl->off_entries, &rl->sz_entries)) ||
	    (err = member_in(t, &meta_type, "overrun", 8, &rl->off_overrun, &rl->sz_overrun)) ||
	    (err = member_in(t, &meta_type, "pages_lost", 8, &rl->off_pages_lost,
			     &rl->sz_pages_lost)) ||
	    (err = member_in(t, &meta_type, "pages_touched", 8, &rl->off_pages_touched,
			     &rl->sz_pages_touched)))
		return err;
	rl->meta_size = (uint32_t)meta_type.size;
	if (bp_type.kind != HYPMEM_TYPE_STRUCT || !bp_type.size || bp_type.size > 4096)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "simple_rb_per_cpu.bpages: odd type");
	if ((err = member_in(t, &bp_type, "link.next", 8, &rl->off_next, &rl->sz_next)) ||
	    (err = member_in(t, &bp_type, "page", 8, &off_page, NULL)) ||
	    (err = member_in(t, &bp_type, "id", 8, &off_id, &sz_id)))
		return err;
	rl->per_cpu = rl->walk = true;
	rl->rb_size = (uint32_t)rb_type.size;
	rl->bp_size = (uint32_t)bp_type.size;
	/* The per-CPU offset of __simple_rbs inside the hyp's per-CPU section. */
	if ((err = hypmem_dwarf_find_symbol(dw, "__kvm_nvhe___simple_rbs", &rbs_sym, NULL)) ||
	    (err = hypmem_dwarf_find_symbol(dw, "__kvm_nvhe___per_cpu_start", &pcpu_start, NULL)))
		return err;
	if (rbs_sym < pcpu_start || rbs_sym - pcpu_start > (1U << 24))
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "__simple_rbs is not in the hyp's per-CPU section");
	pcpu_off = rbs_sym - pcpu_start;
	if ((err = hypmem_target_symbol_pa(t, "kvm_arm_hyp_percpu_base", &base_pa, &base_type)))
		return err;
	if (base_type.kind != HYPMEM_TYPE_ARRAY || !base_type.nr_elements ||
	    base_type.size != base_type.nr_elements * 8 || base_type.nr_elements > 4096)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "kvm_arm_hyp_percpu_base: odd type");
	nr_bases = base_type.nr_elements;
	bases = malloc(base_type.size);
	rb = malloc(rb_type.size);
	bp = malloc(bp_type.size);
	if (!bases || !rb || !bp) {
		err = &hypmem_enomem;
		goto out;
	}
	if ((err = hypmem_target_read(t, bases, base_pa, base_type.size)))
		goto out;
	/* CPUs are the entries the host filled, up to the last one. */
	tr->nr_cpus = 0;
	for (uint64_t i = 0; i < nr_bases && i < HYPMEM_TRACE_MAX_CPUS; i++)
		if (le64(bases + 8 * i))
			tr->nr_cpus = (unsigned int)i + 1;
	tr->cpus = calloc(tr->nr_cpus ? tr->nr_cpus : 1, sizeof(*tr->cpus));
	tr->nr_slots = tr->cpus ? tr->nr_cpus : 0;
	if (!tr->cpus) {
		err = &hypmem_enomem;
		goto out;
	}
	for (unsigned int cpu = 0; cpu < tr->nr_cpus; cpu++) {
		struct cpu_state *c = &tr->cpus[cpu];
		uint64_t base = le64(bases + 8 * cpu), pa, meta_va, nr_pages, bpages_va;

		c->fd = -1;
		if (!base)
			continue;
		if ((err = hypmem_target_kernel_lm_to_pa(t, base, &pa)))
			goto out;
		c->rb_pa = pa + pcpu_off;
		if ((err = hypmem_target_read(t, rb, c->rb_pa, rb_type.size)))
			goto out;
		meta_va = get_member(rb, rb_type.size, off_meta, 8);
		nr_pages = get_member(rb, rb_type.size, off_nrp, sz_nrp);
		bpages_va = get_member(rb, rb_type.size, rl->off_bpages, 8);
		if (!meta_va || !nr_pages || !bpages_va)
			continue; /* this CPU's buffer is not loaded */
		if (nr_pages > MAX_RB_PAGES) {
			err = hypmem_error_create(HYPMEM_ERROR_FORMAT,
						  "%" PRIu64 " trace pages (at most %u)", nr_pages,
						  MAX_RB_PAGES);
			if ((err = skip_cpu(tr, cpu, err, c->rb_pa + off_nrp)))
				goto out;
			continue;
		}
		if ((err = hypmem_target_hyp_to_pa(t, meta_va, &c->meta_pa, NULL))) {
			if ((err = skip_cpu(tr, cpu, err, c->rb_pa + off_meta)))
				goto out;
			continue;
		}
		if ((err = read_bpages(t, c, nr_pages, bpages_va, bp, (uint32_t)bp_type.size,
				       off_page, 8, off_id, sz_id))) {
			if ((err = skip_cpu(tr, cpu, err, c->rb_pa + rl->off_bpages)))
				goto out;
			continue;
		}
	}
out:
	free(bases);
	free(rb);
	free(bp);
	return err;
}

/* The index of the bpage whose link is at @link, or -1 (bpages[] is one array). */
static int64_t bpage_of_link(const struct hypmem_trace *tr, const struct cpu_state *c,
			     uint64_t link)
{
	uint64_t off;

	if (!c->nr_pages || link < c->bp_va[0] + tr->ring.off_next)
		return -1;
	off = link - tr->ring.off_next - c->bp_va[0];
	if (off % tr->ring.bp_size || off / tr->ring.bp_size >= c->nr_pages)
		return -1;
	return (int64_t)(off / tr->ring.bp_size);
}

/* Where bpages[@i]'s link lies, physically (a finding's address); else the ring's. */
static uint64_t link_pa(const struct hypmem_trace *tr, const struct cpu_state *c, uint32_t i)
{
	uint64_t pa;

	if (hypmem_target_hyp_to_pa(tr->t, c->bp_va[i] + tr->ring.off_next, &pa, NULL))
		return c->rb_pa;
	return pa;
}

/*
 * The order of @c's pages, oldest first, as the kernel's ring says: the
 * reader page, then from the true head (the page the link carrying the
 * HEAD flag points to; simple_rb_per_cpu.head_page is only a hint) round to
 * the tail.  Broken links are findings and end the walk.  Returns the
 * number of page ids written to @order.
 */
#define RB_FLAG_HEAD 1ULL
#define RB_FLAG_MASK 3ULL

static struct hypmem_error *ring_order(struct hypmem_trace *tr, unsigned int cpu, uint32_t *order,
				       uint32_t *nr_ret)
{
	struct cpu_state *c = &tr->cpus[cpu];
	const struct ring_layout *rl = &tr->ring;
	uint64_t *next = calloc(c->nr_pages, sizeof(*next));
	uint8_t *rb = malloc(rl->rb_size), *bp = malloc(rl->bp_size);
	uint64_t head_hint, reader, tail;
	int64_t head = -1, reader_i = -1, tail_i = -1, last = -1;
	uint32_t nr = 0;
	bool *seen = calloc(c->nr_pages, sizeof(*seen));
	struct hypmem_error *err = NULL;

	if (!next || !rb || !bp || !seen) {
		err = &hypmem_enomem;
		goto out;
	}
	if ((err = hypmem_target_read(tr->t, rb, c->rb_pa, rl->rb_size)))
		goto out;
	head_hint = get_member(rb, rl->rb_size, rl->off_head, 8);
	reader = get_member(rb, rl->rb_size, rl->off_reader, 8);
	tail = get_member(rb, rl->rb_size, rl->off_tail, 8);
	for (uint32_t i = 0; i < c->nr_pages; i++) {
		if ((err = hypmem_target_read_hyp(tr->t, bp, c->bp_va[i], rl->bp_size)))
			goto out;
		next[i] = get_member(bp, rl->bp_size, rl->off_next, rl->sz_next);
	}
	reader_i = bpage_of_link(tr, c, reader + rl->off_next);
	tail_i = bpage_of_link(tr, c, tail + rl->off_next);
	/* The link carrying HEAD points to the true head. */
	for (uint32_t i = 0; i < c->nr_pages && head < 0; i++) {
		if (!(next[i] & RB_FLAG_HEAD))
			continue;
		head = bpage_of_link(tr, c, next[i] & ~RB_FLAG_MASK);
		if (head < 0 &&
		    (err = hypmem_findings_add(&tr->findings, HYPMEM_FINDING_TRACE_PAGE_INVALID,
					       link_pa(tr, c, i),
					       "cpu %u: the HEAD link of page %u points to 0x%" PRIx64
					       ", no page of this buffer",
					       cpu, c->bp_id[i], (uint64_t)(next[i] & ~RB_FLAG_MASK))))
			goto out;
	}
	if (head < 0) {
		head = bpage_of_link(tr, c, head_hint + rl->off_next);
		if ((err = hypmem_findings_add(&tr->findings, HYPMEM_FINDING_TRACE_PAGE_INVALID,
					       c->rb_pa,
					       "cpu %u: no ring link carries the HEAD flag; "
					       "walking from the head_page hint",
					       cpu)))
			goto out;
	}
	if (reader_i >= 0) {
		order[nr++] = c->bp_id[reader_i];
		seen[reader_i] = true;
	}
	for (int64_t i = head; i >= 0 && nr < c->nr_pages;) {
		uint64_t to = next[i] & ~RB_FLAG_MASK;
		int64_t n;

		if (seen[i])
			break; /* round the ring (or short of it: a link back) */
		seen[i] = true;
		last = i;
		order[nr++] = c->bp_id[i];
		if (i == tail_i)
			break;
		n = bpage_of_link(tr, c, to);
		if (n < 0) {
			err = hypmem_findings_add(&tr->findings, HYPMEM_FINDING_TRACE_PAGE_INVALID,
						  link_pa(tr, c, (uint32_t)i),
						  "cpu %u: ring link of page %u points to 0x%" PRIx64
						  ", no page of this buffer",
						  cpu, c->bp_id[i], to);
			break;
		}
		i = n;
	}
	if (tail_i >= 0 && head >= 0 && !seen[tail_i] &&
	    (err = hypmem_findings_add(&tr->findings, HYPMEM_FINDING_TRACE_PAGE_INVALID,
				       last >= 0 ? link_pa(tr, c, (uint32_t)last) : c->rb_pa,
				       "cpu %u: the ring from the head page never reaches the tail "
				       "page %u: its links are broken (the last one followed: page "
				       "%u's)",
				       cpu, c->bp_id[tail_i], last >= 0 ? c->bp_id[last] : 0)))
		goto out;
out:
	free(next);
	free(rb);
	free(bp);
	free(seen);
	*nr_ret = nr;
	return err;
}

/*
 * Find every CPU's meta page and data pages through DWARF: 7.x's
 * trace_buffer, whose simple_rbs is a per-CPU pointer (the EL2 core keeps
 * the same state).
 */
static struct hypmem_error *open_target_buffers(struct hypmem_trace *tr)
{
	struct hypmem_target *t = tr->t;
	struct hypmem_type tb_type;
	struct hypmem_member m_rbs;
	uint64_t tb_pa;
	struct hypmem_error *err;

	if ((err = hypmem_target_symbol_pa(t, "trace_buffer", &tb_pa, &tb_type)) ||
	    (err = member(t, &tb_type, "simple_rbs", &m_rbs)))
		return err;
	if (m_rbs.type.kind != HYPMEM_TYPE_POINTER)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "trace_buffer.simple_rbs is not a per-CPU pointer: "
					   "not a trace state hypmem knows");
	return open_kernel_buffers(tr, &m_rbs);
}

static struct hypmem_error *read_meta(struct hypmem_trace *tr, struct cpu_state *c)
{
	const struct ring_layout *rl = &tr->ring;
	uint8_t *meta = malloc(rl->meta_size);
	struct hypmem_error *err;

	if (!meta)
		return &hypmem_enomem;
	err = hypmem_target_read(tr->t, meta, c->meta_pa, rl->meta_size);
	if (!err) {
		c->st.has_meta = true;
		c->st.entries = get_member(meta, rl->meta_size, rl->off_entries, rl->sz_entries);
		c->st.overrun = get_member(meta, rl->meta_size, rl->off_overrun, rl->sz_overrun);
		c->st.pages_lost =
		    get_member(meta, rl->meta_size, rl->off_pages_lost, rl->sz_pages_lost);
		c->st.pages_touched =
		    get_member(meta, rl->meta_size, rl->off_pages_touched, rl->sz_pages_touched);
	}
	free(meta);
	return err;
}

static int cmp_pending_page(const void *a, const void *b)
{
	const struct pending_page *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

struct hypmem_error *trace_target_collect_cpu(struct hypmem_trace *tr, unsigned int cpu)
{
	struct cpu_state *c = &tr->cpus[cpu];
	struct pending_page *pp = NULL;
	size_t nr_pp = 0;
	struct collect co = {.tr = tr, .c = c};
	struct hypmem_error *err;
	uint32_t *order = NULL, nr_order = 0;

	if (!c->nr_pages)
		return NULL;
	if ((err = read_meta(tr, c)))
		return err;
	pp = calloc(c->nr_pages, sizeof(*pp));
	order = calloc(c->nr_pages, sizeof(*order));
	if (!pp || !order) {
		free(pp);
		free(order);
		return &hypmem_enomem;
	}
	if (tr->ring.walk) {
		if ((err = ring_order(tr, cpu, order, &nr_order)))
			goto out;
	} else {
		for (uint32_t id = 0; id < c->nr_pages; id++)
			order[nr_order++] = id;
	}
	for (uint32_t k = 0; k < nr_order; k++) {
		uint32_t id = order[k];
		uint8_t h1[16], h2[16];
		uint64_t ts1, size1, size2;
		size_t off;

		if ((err = hypmem_target_read(tr->t, h1, c->page_pa[id], sizeof(h1))))
			goto out;
		ts1 = le64(h1);
		size1 = le64(h1 + 8) & HYPMEM_RB_SIZE_MASK;
		if (!size1 || (ts1 == c->mem[id].ts && size1 <= c->mem[id].consumed))
			continue;
		off = trace_arena_alloc(tr, tr->page_size);
		if (off == SIZE_MAX) {
			err = &hypmem_enomem;
			goto out;
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if ((err =
			 hypmem_target_read(tr->t, tr->arena + off, c->page_pa[id], tr->page_size)))
			goto out;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if ((err = hypmem_target_read(tr->t, h2, c->page_pa[id], sizeof(h2))))
			goto out;
		size2 = le64(h2 + 8) & HYPMEM_RB_SIZE_MASK;
		if (le64(h2) != ts1 || size2 < size1) {
			/* Recycled while we copied: its events count as lost. */
			c->st.pages_raced++;
			continue;
		}
		/* Decode exactly what was committed before the copy began. */
		memcpy(tr->arena + off, h1, sizeof(h1));
		pp[nr_pp++] = (struct pending_page){
		    .ts = ts1,
		    .id = id,
		    .from = ts1 == c->mem[id].ts ? c->mem[id].consumed : 0,
		    .off = off,
		};
	}
	/* A ring without links to walk: by time.  Else ring order, checked below. */
	if (!tr->ring.walk)
		qsort(pp, nr_pp, sizeof(*pp), cmp_pending_page);
	/* The arena no longer moves (until the next CPU's copies): decode in place. */
	co.base = tr->arena;
	for (size_t i = 0; i < nr_pp; i++) {
		struct hypmem_rb_page_info info;
		const uint8_t *page = tr->arena + pp[i].off;

		err = trace_decode_page(tr, c, cpu, page, pp[i].from, c->page_pa[pp[i].id], trace_collect_event,
				  &co, &co.err, &tr->findings, &info);
		if (!err && tr->keep && !pp[i].from)
			err = trace_keep_page(tr, c, page);
		if (err)
			goto out;
		c->mem[pp[i].id].ts = pp[i].ts;
		c->mem[pp[i].id].consumed = info.end;
	}
	/*
	 * Everything committed before this poll (meta->entries, read first) is
	 * now read, lost or, in a ring, consumed by the host's reader: pages it
	 * read go back into the ring behind the head and are written over
	 * without counting as overrun.  So only what overrun accounts for
	 * (read again now) is lost; the rest of the gap was consumed.  The
	 * lost ones go before this poll's first event.
	 */
	if (c->st.entries > c->st.read + c->st.lost + c->st.consumed) {
		struct pending_rec l = {.lost = true};
		uint64_t entries = c->st.entries, over;

		l.count = entries - c->st.read - c->st.lost - c->st.consumed;
		if (tr->ring.walk && !(err = read_meta(tr, c))) {
			over = c->st.overrun > c->st.lost ? c->st.overrun - c->st.lost : 0;
			if (l.count > over) {
				c->st.consumed += l.count - over;
				l.count = over;
			}
		}
		c->st.entries = entries;
		if (err)
			goto out;
		l.ts = c->nr_recs ? c->recs[0].ts : c->last_ts;
		c->st.lost += l.count;
		if (l.count) {
			if ((err = push_rec(c, &l)))
				goto out;
			memmove(c->recs + 1, c->recs, (c->nr_recs - 1) * sizeof(*c->recs));
			c->recs[0] = l;
		}
	}
	/*
	 * The kernel's pages are in ring order, not sorted: time that goes
	 * backwards is the writer's clock (seen with nVHE), a finding.
	 */
	if (tr->ring.walk) {
		uint64_t prev = c->last_ts, first_at = 0, first_from = 0, first_to = 0, n = 0;

		for (size_t i = 0; i < c->nr_recs; i++) {
			if (c->recs[i].lost)
				continue;
			if (c->recs[i].ts < prev) {
				if (!n++) {
					first_at = i;
					first_from = prev;
					first_to = c->recs[i].ts;
				}
			}
			prev = c->recs[i].ts;
		}
		if (n && (err = hypmem_findings_add(
			      &tr->findings, HYPMEM_FINDING_TRACE_TIME_BACKWARDS, c->meta_pa,
			      "cpu %u: the hypervisor's clock went backwards %" PRIu64
			      " time(s) in ring order; first at event %" PRIu64 ": %" PRIu64
			      " ns after %" PRIu64 " ns",
			      cpu, n, first_at, first_to, first_from)))
			goto out;
	}
	if (c->nr_recs)
		c->last_ts = c->recs[c->nr_recs - 1].ts;
out:
	free(pp);
	free(order);
	return err;
}

/*
 * The hyp_pool variable a hyp VA points at, by the PA it translates to.
 * The few VAs a trace names are remembered (at most 16; more are looked
 * up each time).
 */
const char *hypmem_trace_value_name(struct hypmem_trace *tr, const char *field, uint64_t value)
{
	const char *name = NULL;
	uint64_t pa;
	struct hypmem_error *err;

	if (tr->kind != SRC_TARGET || strcmp(field, "pool"))
		return NULL;
	for (unsigned int i = 0; i < tr->nr_pool_va; i++)
		if (tr->pool_va[i].va == value)
			return tr->pool_va[i].name;
	if (!tr->pools_read) {
		tr->pools_read = true;
		if ((err = hypmem_pools_decode(tr->t, &tr->pools, &tr->nr_pools))) {
			hypmem_error_destroy(err);
			tr->pools = NULL;
			tr->nr_pools = 0;
		}
	}
	if ((err = hypmem_target_hyp_to_pa(tr->t, value, &pa, NULL))) {
		hypmem_error_destroy(err);
	} else {
		for (size_t i = 0; i < tr->nr_pools && !name; i++)
			if (tr->pools[i].addr == pa && tr->pools[i].name[0])
				name = tr->pools[i].name;
	}
	if (tr->nr_pool_va < sizeof(tr->pool_va) / sizeof(tr->pool_va[0])) {
		tr->pool_va[tr->nr_pool_va].va = value;
		tr->pool_va[tr->nr_pool_va++].name = name;
	}
	return name;
}

/* A target's poll is bounded by its ring: collect, then walk the records. */
static struct hypmem_error *count_target(struct hypmem_trace *tr, struct counter *co)
{
	struct cpu_state *c = co->c;
	struct hypmem_error *err = trace_target_collect_cpu(tr, co->cpu);

	for (size_t i = 0; !err && i < c->nr_recs && !co->stop; i++) {
		const struct pending_rec *r = &c->recs[i];

		if (!r->lost)
			trace_count_one(co, r->ts, tr->arena + r->off, r->len);
		else if (r->count != HYPMEM_TRACE_LOST_UNKNOWN)
			co->k->lost += r->count;
	}
	return err;
}

static const uint8_t *target_payloads(const struct hypmem_trace *tr, const struct cpu_state *c)
{
	(void)c;
	return tr->arena;
}

/* A target's poll copies every CPU's new pages at once, then merges. */
static const struct trace_source_ops target_ops = {
    .collect = trace_target_collect_cpu,
    .payloads = target_payloads,
    .count = count_target,
};

struct hypmem_error *hypmem_trace_open_target(struct hypmem_target *t, struct hypmem_trace **ret)
{
	struct hypmem_trace *tr = calloc(1, sizeof(*tr));
	struct hypmem_error *err;

	if (!tr)
		return &hypmem_enomem;
	tr->kind = SRC_TARGET;
	tr->ops = &target_ops;
	tr->t = t;
	tr->page_size = DEFAULT_PAGE_SIZE;
	tr->long_size = 8;
	hypmem_event_formats_init(&tr->formats);
	hypmem_findings_init(&tr->findings);
	err = open_target_buffers(tr);
	if (!err)
		err = read_formats_dwarf(tr);
	if (err) {
		hypmem_trace_destroy(tr);
		return err;
	}
	*ret = tr;
	return NULL;
}

