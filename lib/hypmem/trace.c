// SPDX-License-Identifier: GPL-2.0-only
/*
 * Trace readers over targets (dumps, live RAM) and tracefs directories, and
 * the merge across CPUs.  See include/hypmem/trace.h.
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

#include "hypmem/ringbuf.h"
#include "hypmem/trace.h"
#include "pipe_reader.h"

#define DEFAULT_PAGE_SIZE 4096
#define MAX_PAGE_SIZE	  (64 * 1024)
#define MAX_RB_PAGES	  (1U << 20)
#define META_SIZE	  80
#define MAX_FORMAT_TEXT	  (1U << 20)
#define RBUF_BYTES	  (256 * 1024)
#define PIPE_BYTES	  (4U << 20)
#define ANDROID_FOOTER	  32
#define DEFAULT_WAIT_MS	  200

enum source_kind { SRC_TARGET, SRC_TRACEFS };

/* What a tracefs hypervisor remote offers. */
enum tracefs_flavour {
	TFS_RAW,  /* per_cpu/cpuN/trace_pipe_raw pages (Android hyp/, exports) */
	TFS_TEXT, /* per_cpu/cpuN/trace_pipe text lines (mainline remotes/hypervisor) */
};

/* What this reader knows about one page id of a target buffer. */
struct page_mem {
	uint64_t ts;
	uint32_t consumed; /* data bytes already delivered */
};

/*
 * One record waiting for the merge.  The payload is not copied: @off is
 * where it lies in the page copy it came from (the reader's arena for a
 * target, the CPU's read buffer for tracefs), which stays put until the
 * record is delivered.
 */
struct pending_rec {
	uint64_t ts;
	size_t off;
	uint32_t len;
	bool lost;
	uint64_t count;
	size_t text_off; /* TFS_TEXT: the event's printed text in the read buffer */
	uint32_t text_len;
};

/* A page copied during a poll, decoded after sorting by time_stamp. */
struct pending_page {
	uint64_t ts;
	uint32_t id;
	uint32_t from;
	size_t off; /* copy in the arena */
};

struct cpu_state {
	/* target source */
	uint64_t rb_pa;	  /* kernel layout: this CPU's struct simple_rb_per_cpu */
	uint64_t *bp_va;  /* kernel layout: hyp VA of bpages[i] */
	uint32_t *bp_id;  /* kernel layout: id of bpages[i] */
	uint64_t meta_pa;
	uint32_t nr_pages;
	uint64_t *page_pa;
	struct page_mem *mem;
	/* tracefs source: pages (or lines) are read in chunks and decoded a batch at a time */
	int fd;
	struct pipe_reader *pr;
	uint8_t *pay; /* TFS_TEXT: payloads rebuilt from the text */
	size_t pay_len, pay_cap;
	size_t late_bytes; /* taken after the poll's deadline */
	uint8_t *rbuf; /* read buffer of RBUF_PAGES pages */
	size_t rlen, rpos;
	uint64_t page_no;
	bool done;			 /* no more whole pages in this poll */
	struct hypmem_findings findings; /* this poll's, added in CPU order */
	/* records waiting for the merge: a target's whole poll, a tracefs page */
	struct pending_rec *recs;
	size_t nr_recs, cap_recs, next;
	uint64_t last_ts; /* of the last record delivered */
	/* kept pages for export */
	uint8_t *kept;
	size_t nr_kept;
	struct hypmem_trace_cpu_stats st;
};

/*
 * Where the kernel's ring lives in struct simple_rb_per_cpu and struct
 * simple_buffer_page (offsets from DWARF).
 */
struct ring_layout {
	bool per_cpu; /* trace_buffer.simple_rbs is a per-CPU pointer (Linux 7.x) */
	bool walk;    /* the ring's links can be walked (both layouts) */
	uint32_t rb_size, bp_size;
	uint32_t off_head, off_reader, off_tail, off_bpages;
	uint32_t off_next, sz_next; /* simple_buffer_page.link.next */
};

struct hypmem_trace {
	enum source_kind kind;
	struct ring_layout ring;
	struct hypmem_target *t; /* borrowed */
	unsigned int nr_cpus;
	struct cpu_state *cpus;
	uint32_t page_size;
	unsigned int long_size;
	enum tracefs_flavour flavour;
	uint32_t footer; /* bytes at the end of each raw page that are not data */
	int wait_ms;
	struct timespec deadline; /* of the current tracefs poll */
	bool keep;
	struct hypmem_event_formats formats;
	struct hypmem_findings findings;
	uint8_t *arena;
	size_t arena_len, arena_cap;
};

/* --- small helpers --- */

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Reserve @n bytes in the arena; returns the offset, or SIZE_MAX. */
static size_t arena_alloc(struct hypmem_trace *tr, size_t n)
{
	size_t off = tr->arena_len;

	if (tr->arena_cap - tr->arena_len < n) {
		size_t cap = tr->arena_cap ? tr->arena_cap : 1 << 16;
		uint8_t *a;

		while (cap - tr->arena_len < n)
			cap *= 2;
		a = realloc(tr->arena, cap);
		if (!a)
			return SIZE_MAX;
		tr->arena = a;
		tr->arena_cap = cap;
	}
	tr->arena_len += n;
	return off;
}

static inline struct hypmem_error *push_rec(struct cpu_state *c, const struct pending_rec *r)
{
	if (__builtin_expect(c->nr_recs == c->cap_recs, 0)) {
		size_t cap = c->cap_recs ? 2 * c->cap_recs : 1024;
		struct pending_rec *n = realloc(c->recs, cap * sizeof(*n));

		if (!n)
			return &hypmem_enomem;
		c->recs = n;
		c->cap_recs = cap;
	}
	c->recs[c->nr_recs++] = *r;
	return NULL;
}

static struct hypmem_error *keep_page(struct hypmem_trace *tr, struct cpu_state *c,
				      const uint8_t *page)
{
	uint8_t *n = realloc(c->kept, (c->nr_kept + 1) * tr->page_size);

	if (!n)
		return &hypmem_enomem;
	c->kept = n;
	memcpy(n + c->nr_kept * tr->page_size, page, tr->page_size);
	c->nr_kept++;
	return NULL;
}

/* --- decoding a page into the CPU's pending records --- */

struct collect {
	struct hypmem_trace *tr;
	struct cpu_state *c;
	const uint8_t *base; /* payload offsets are relative to this */
	struct hypmem_error *err;
	uint64_t lost; /* a LOST record to emit before the next event */
	bool have_lost;
};

static bool collect_event(const struct hypmem_rb_event *ev, void *arg)
{
	struct collect *co = arg;
	struct pending_rec r = {.ts = ev->ts, .len = ev->len};

	if (co->have_lost) {
		struct pending_rec l = {.ts = ev->ts, .lost = true, .count = co->lost};

		co->have_lost = false;
		if ((co->err = push_rec(co->c, &l)))
			return false;
	}
	r.off = (size_t)(ev->payload - co->base);
	if ((co->err = push_rec(co->c, &r)))
		return false;
	co->c->st.read++;
	return true;
}

/* Decode @page (which stays put until its records are delivered). */
static struct hypmem_error *decode_page(struct hypmem_trace *tr, struct cpu_state *c,
					unsigned int cpu, const uint8_t *page, uint32_t from,
					uint64_t where, hypmem_rb_event_fn fn, void *arg,
					struct hypmem_error **cb_err,
					struct hypmem_findings *findings,
					struct hypmem_rb_page_info *info)
{
	enum hypmem_rb_status st;

	st = hypmem_rb_page_decode(page, tr->page_size - tr->footer, tr->long_size, from, fn, arg, info);
	if (*cb_err)
		return *cb_err;
	/* Only a callback stops a page early: the consumer had enough. */
	if (st == HYPMEM_RB_STOPPED)
		return NULL;
	c->st.pages_read++;
	if (st != HYPMEM_RB_OK) {
		c->st.pages_bad++;
		return hypmem_findings_add(findings, HYPMEM_FINDING_TRACE_PAGE_INVALID,
					   where + info->data_offset + info->bad_offset,
					   "cpu %u: trace page at 0x%" PRIx64
					   ": %s at data offset %u",
					   cpu, where, hypmem_rb_status_name(st), info->bad_offset);
	}
	return NULL;
}

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
					  "%s: no hyp_trace_formats and no DWARF struct " EVENT_STRUCT_PREFIX
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

/*
 * The format text in memory and the DWARF event structs must agree: the
 * event named by the i-th struct remote_event_format_* in name order has
 * id i.  A disagreement is a finding (the text's ids are used).
 */
static struct hypmem_error *check_ids_in_name_order(struct hypmem_trace *tr)
{
	struct hypmem_dwarf *dw = hypmem_target_dwarf(tr->t);
	char **names = NULL;
	size_t nr = 0;
	struct hypmem_error *err = hypmem_dwarf_struct_names(dw, EVENT_STRUCT_PREFIX, &names, &nr);

	for (size_t i = 0; !err && i < nr; i++) {
		const struct hypmem_event_format *ev =
		    hypmem_event_formats_find_name(&tr->formats, names[i] + strlen(EVENT_STRUCT_PREFIX));

		if (ev && ev->id != i)
			err = hypmem_findings_add(&tr->findings, HYPMEM_FINDING_TRACE_PAGE_INVALID, 0,
						  "event %s: id %u in the format text, %zu in name "
						  "order of the DWARF event structs",
						  ev->name, ev->id, i);
	}
	for (size_t i = 0; i < nr; i++)
		free(names[i]);
	free(names);
	return err;
}

static struct hypmem_error *read_formats_target(struct hypmem_trace *tr)
{
	struct hypmem_type type;
	uint64_t pa;
	char *text;
	struct hypmem_error *err;

	err = hypmem_target_symbol_pa(tr->t, "hyp_trace_formats", &pa, &type);
	if (err && err->code == HYPMEM_ERROR_LOOKUP) {
		hypmem_error_destroy(err);
		return read_formats_dwarf(tr);
	}
	if (err)
		return err;
	if (!type.size || type.size > MAX_FORMAT_TEXT)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "hyp_trace_formats: odd size %" PRIu64, type.size);
	text = malloc(type.size + 1);
	if (!text)
		return &hypmem_enomem;
	err = hypmem_target_read(tr->t, text, pa, type.size);
	if (!err) {
		text[type.size] = '\0';
		err = hypmem_event_formats_parse(&tr->formats, text, strlen(text), "hypervisor");
	}
	free(text);
	if (!err)
		err = check_ids_in_name_order(tr);
	return err;
}

/* Whether @m is a pointer-sized (or smaller) member inside @len bytes. */
static bool member_fits(const struct hypmem_member *m, size_t len)
{
	return m->offset <= len && len - m->offset >= m->type.size && m->type.size &&
	       m->type.size <= 8;
}

static struct hypmem_error *read_u64_field(struct hypmem_target *t, const uint8_t *buf, size_t len,
					   const struct hypmem_member *m, uint64_t *ret)
{
	if (!member_fits(m, len))
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "member '%s' does not fit",
					   m->name ? m->name : "?");
	(void)t;
	*ret = hypmem_load_le(buf + m->offset, (uint32_t)m->type.size);
	return NULL;
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
static struct hypmem_error *read_bpages(struct hypmem_target *t, unsigned int cpu,
					struct cpu_state *c, uint64_t nr_pages, uint64_t bpages_va,
					uint8_t *bp, uint32_t bp_size, uint32_t off_page,
					uint32_t sz_page, uint32_t off_id, uint32_t sz_id)
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
						   "cpu %u: page id %" PRIu64 " of %" PRIu64, cpu,
						   id, nr_pages);
		c->bp_id[i] = (uint32_t)id;
		if ((err = hypmem_target_hyp_to_pa(t, page_va, &c->page_pa[id], NULL)))
			return err;
	}
	c->nr_pages = (uint32_t)nr_pages;
	c->st.nr_pages = nr_pages;
	return NULL;
}

/*
 * Linux 7.x: trace_buffer (struct hyp_trace_buffer) holds a per-CPU pointer
 * to the hyp's __simple_rbs.  CPU n's copy lies in the hyp per-CPU area the
 * host allocated for it: kvm_arm_hyp_percpu_base[n] (a host linear-map
 * address) + (__simple_rbs - __per_cpu_start), both ELF symbols of the hyp
 * object.  Each CPU's bpages[] (hyp VAs) give the data pages by id and the
 * ring's links, walked at every poll from the true head.
 */
static struct hypmem_error *open_kernel_buffers(struct hypmem_trace *tr, uint64_t tb_pa,
						const struct hypmem_member *m_rbs)
{
	struct hypmem_target *t = tr->t;
	struct hypmem_dwarf *dw = hypmem_target_dwarf(t);
	struct ring_layout *rl = &tr->ring;
	struct hypmem_type rb_type, bp_type, base_type, ptr_type;
	uint32_t off_meta, off_nrp, sz_nrp, off_page, off_id, sz_id;
	uint64_t rbs_sym, pcpu_start, base_pa, pcpu_off, nr_bases;
	uint8_t *rb = NULL, *bp = NULL, *bases = NULL;
	struct hypmem_member m_bpages;
	struct hypmem_error *err;

	(void)tb_pa;
	(void)ptr_type;
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
	    (err = hypmem_dwarf_element_type(dw, &m_bpages.type, &bp_type)))
		return err;
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
	if ((err = hypmem_dwarf_element_type(dw, &base_type, &ptr_type)))
		return err;
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
						  "cpu %u: %" PRIu64 " trace pages", cpu, nr_pages);
			goto out;
		}
		if ((err = hypmem_target_hyp_to_pa(t, meta_va, &c->meta_pa, NULL)))
			goto out;
		if ((err = read_bpages(t, cpu, c, nr_pages, bpages_va, bp, (uint32_t)bp_type.size,
				       off_page, 8, off_id, sz_id)))
			goto out;
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
	int64_t head = -1, reader_i = -1, tail_i = -1;
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
					       c->bp_va[i],
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
			break; /* round the ring */
		seen[i] = true;
		order[nr++] = c->bp_id[i];
		if (i == tail_i)
			break;
		n = bpage_of_link(tr, c, to);
		if (n < 0) {
			err = hypmem_findings_add(&tr->findings, HYPMEM_FINDING_TRACE_PAGE_INVALID,
						  c->bp_va[i],
						  "cpu %u: ring link of page %u points to 0x%" PRIx64
						  ", no page of this buffer",
						  cpu, c->bp_id[i], to);
			break;
		}
		i = n;
	}
	if (tail_i >= 0 && head >= 0 && !seen[tail_i] &&
	    (err = hypmem_findings_add(&tr->findings, HYPMEM_FINDING_TRACE_PAGE_INVALID, c->rb_pa,
				       "cpu %u: the ring from the head page never reaches the tail "
				       "page %u: its links are broken",
				       cpu, c->bp_id[tail_i])))
		goto out;
out:
	free(next);
	free(rb);
	free(bp);
	free(seen);
	*nr_ret = nr;
	return err;
}

/* Find every CPU's meta page and data pages through DWARF. */
static struct hypmem_error *open_target_buffers(struct hypmem_trace *tr)
{
	struct hypmem_target *t = tr->t;
	struct hypmem_type tb_type, rb_type, bp_type;
	struct hypmem_member m_nr, m_rbs, m_meta, m_nrp, m_bp, m_page, m_id;
	uint64_t tb_pa, nr_cpus;
	uint8_t small[16];
	uint8_t *rb = NULL, *bp = NULL;
	struct hypmem_error *err;

	if ((err = hypmem_target_symbol_pa(t, "trace_buffer", &tb_pa, &tb_type)) ||
	    (err = member(t, &tb_type, "simple_rbs", &m_rbs)))
		return err;
	if (m_rbs.type.kind == HYPMEM_TYPE_POINTER)
		return open_kernel_buffers(tr, tb_pa, &m_rbs);
	if ((err = member(t, &tb_type, "nr_cpus", &m_nr)) ||
	    (err = hypmem_dwarf_element_type(hypmem_target_dwarf(t), &m_rbs.type, &rb_type)) ||
	    (err = member(t, &rb_type, "meta", &m_meta)) ||
	    (err = member(t, &rb_type, "nr_pages", &m_nrp)) ||
	    (err = member(t, &rb_type, "bpages", &m_bp)) ||
	    (err = hypmem_dwarf_element_type(hypmem_target_dwarf(t), &m_bp.type, &bp_type)) ||
	    (err = member(t, &bp_type, "page", &m_page)) ||
	    (err = member(t, &bp_type, "id", &m_id)))
		return err;
	if (m_nr.type.size > sizeof(small) || !rb_type.size || rb_type.size > 4096 ||
	    !bp_type.size || bp_type.size > 4096)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "trace_buffer: odd struct sizes");
	if (!member_fits(&m_page, bp_type.size) || !member_fits(&m_id, bp_type.size))
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "member '%s' does not fit",
					   !member_fits(&m_page, bp_type.size) ? "page" : "id");
	/* Our EL2 core's ring is the kernel's: walk it the same way. */
	{
		struct ring_layout *rl = &tr->ring;
		struct hypmem_error *e;

		if (!(e = member_in(t, &rb_type, "head_page", 8, &rl->off_head, NULL)) &&
		    !(e = member_in(t, &rb_type, "reader_page", 8, &rl->off_reader, NULL)) &&
		    !(e = member_in(t, &rb_type, "tail_page", 8, &rl->off_tail, NULL)) &&
		    !(e = member_in(t, &rb_type, "bpages", 8, &rl->off_bpages, NULL)) &&
		    !(e = member_in(t, &bp_type, "link.next", 8, &rl->off_next, &rl->sz_next))) {
			rl->walk = true;
			rl->rb_size = (uint32_t)rb_type.size;
			rl->bp_size = (uint32_t)bp_type.size;
		}
		hypmem_error_destroy(e);
	}
	if ((err = hypmem_target_read(t, small, tb_pa + m_nr.offset, m_nr.type.size)))
		return err;
	nr_cpus = hypmem_load_le(small, (uint32_t)m_nr.type.size);
	if (m_rbs.type.nr_elements && nr_cpus > m_rbs.type.nr_elements)
		nr_cpus = m_rbs.type.nr_elements;
	if (nr_cpus > HYPMEM_TRACE_MAX_CPUS)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "trace_buffer: %" PRIu64 " CPUs",
					   nr_cpus);
	tr->nr_cpus = (unsigned int)nr_cpus;
	tr->cpus = calloc(nr_cpus ? nr_cpus : 1, sizeof(*tr->cpus));
	rb = malloc(rb_type.size);
	bp = malloc(bp_type.size);
	if (!tr->cpus || !rb || !bp) {
		err = &hypmem_enomem;
		goto out;
	}
	for (unsigned int cpu = 0; cpu < tr->nr_cpus; cpu++) {
		struct cpu_state *c = &tr->cpus[cpu];
		uint64_t meta_va, nr_pages, bpages_va;

		c->fd = -1;
		err = hypmem_target_read(t, rb, tb_pa + m_rbs.offset + cpu * rb_type.size,
					 rb_type.size);
		if (err || (err = read_u64_field(t, rb, rb_type.size, &m_meta, &meta_va)) ||
		    (err = read_u64_field(t, rb, rb_type.size, &m_nrp, &nr_pages)) ||
		    (err = read_u64_field(t, rb, rb_type.size, &m_bp, &bpages_va)))
			goto out;
		if (nr_pages > MAX_RB_PAGES) {
			err = hypmem_error_create(HYPMEM_ERROR_FORMAT,
						  "cpu %u: %" PRIu64 " trace pages", cpu, nr_pages);
			goto out;
		}
		if (!nr_pages)
			continue;
		if ((err = hypmem_target_hyp_to_pa(t, meta_va, &c->meta_pa, NULL)))
			goto out;
		c->rb_pa = tb_pa + m_rbs.offset + cpu * rb_type.size;
		if ((err = read_bpages(t, cpu, c, nr_pages, bpages_va, bp, (uint32_t)bp_type.size,
				       (uint32_t)m_page.offset, (uint32_t)m_page.type.size,
				       (uint32_t)m_id.offset, (uint32_t)m_id.type.size)))
			goto out;
	}
out:
	free(rb);
	free(bp);
	return err;
}

static struct hypmem_error *read_meta(struct hypmem_trace *tr, struct cpu_state *c)
{
	uint8_t meta[META_SIZE];
	struct hypmem_error *err = hypmem_target_read(tr->t, meta, c->meta_pa, sizeof(meta));

	if (err)
		return err;
	c->st.has_meta = true;
	c->st.entries = le64(meta + 40);
	c->st.overrun = le64(meta + 48);
	c->st.pages_lost = le64(meta + 64);
	c->st.pages_touched = le64(meta + 72);
	return NULL;
}

static int cmp_pending_page(const void *a, const void *b)
{
	const struct pending_page *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static struct hypmem_error *collect_target_cpu(struct hypmem_trace *tr, unsigned int cpu)
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
		off = arena_alloc(tr, tr->page_size);
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

		err = decode_page(tr, c, cpu, page, pp[i].from, c->page_pa[pp[i].id], collect_event,
				  &co, &co.err, &tr->findings, &info);
		if (!err && tr->keep && !pp[i].from)
			err = keep_page(tr, c, page);
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

struct hypmem_error *hypmem_trace_open_target(struct hypmem_target *t, struct hypmem_trace **ret)
{
	struct hypmem_trace *tr = calloc(1, sizeof(*tr));
	struct hypmem_error *err;

	if (!tr)
		return &hypmem_enomem;
	tr->kind = SRC_TARGET;
	tr->t = t;
	tr->page_size = DEFAULT_PAGE_SIZE;
	tr->long_size = 8;
	hypmem_event_formats_init(&tr->formats);
	hypmem_findings_init(&tr->findings);
	err = open_target_buffers(tr);
	if (!err)
		err = read_formats_target(tr);
	if (err) {
		hypmem_trace_destroy(tr);
		return err;
	}
	*ret = tr;
	return NULL;
}

/* --- tracefs source --- */

static char *path_join(const char *a, const char *b)
{
	char *p;

	if (asprintf(&p, "%s/%s", a, b) < 0)
		return NULL;
	return p;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static struct hypmem_error *read_small_file(const char *path, char **ret, size_t *len_ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (fd < 0)
		return hypmem_error_os(errno, "open(%s)", path);
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			char *nb;

			if (cap >= MAX_FORMAT_TEXT) {
				close(fd);
				free(buf);
				return hypmem_error_create(HYPMEM_ERROR_FORMAT, "%s: too large",
							   path);
			}
			nb = realloc(buf, cap + 8192 + 1);
			if (!nb) {
				close(fd);
				free(buf);
				return &hypmem_enomem;
			}
			buf = nb;
			cap += 8192;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			free(buf);
			return hypmem_error_os(e, "read(%s)", path);
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*ret = buf;
	*len_ret = len;
	return NULL;
}

/* events/<system>/<event>/format for every system and event. */
static struct hypmem_error *read_formats_tracefs(struct hypmem_trace *tr, const char *root)
{
	char *events = path_join(root, "events");
	struct hypmem_error *err = NULL;
	DIR *sys_dir;
	struct dirent *sys;

	if (!events)
		return &hypmem_enomem;
	sys_dir = opendir(events);
	if (!sys_dir) {
		err = hypmem_error_os(errno, "opendir(%s)", events);
		free(events);
		return err;
	}
	while (!err && (sys = readdir(sys_dir))) {
		char *sys_path;
		DIR *ev_dir;
		struct dirent *ev;

		if (sys->d_name[0] == '.')
			continue;
		sys_path = path_join(events, sys->d_name);
		if (!sys_path) {
			err = &hypmem_enomem;
			break;
		}
		ev_dir = is_dir(sys_path) ? opendir(sys_path) : NULL;
		while (ev_dir && !err && (ev = readdir(ev_dir))) {
			char *fmt_path, *text;
			size_t len;

			if (ev->d_name[0] == '.')
				continue;
			if (asprintf(&fmt_path, "%s/%s/format", sys_path, ev->d_name) < 0) {
				err = &hypmem_enomem;
				break;
			}
			if (!access(fmt_path, R_OK)) {
				err = read_small_file(fmt_path, &text, &len);
				if (!err) {
					err = hypmem_event_formats_parse(&tr->formats, text, len,
									 sys->d_name);
					free(text);
				}
			}
			free(fmt_path);
		}
		if (ev_dir)
			closedir(ev_dir);
		free(sys_path);
	}
	closedir(sys_dir);
	free(events);
	return err;
}

/*
 * The hypervisor remotes' format files (mainline trace_remote and Android's
 * hyp/ alike) print each field at the sum of the sizes before it, ignoring
 * alignment: hyp_enter's pid_t vcpu reads "offset:3", stored at 4.  The
 * records are ordinary C structs after a 2-byte id, so when a remote's
 * offsets are packed like that, lay the fields out again with natural
 * alignment.  Returns the number of events changed.
 */
static size_t fix_remote_layout(struct hypmem_event_formats *f)
{
	size_t changed = 0;

	for (size_t i = 0; i < f->nr; i++) {
		struct hypmem_event_format *ev = &f->events[i];
		uint32_t packed = 0, off = 0, end = 0;
		bool is_packed = true, differs = false;

		for (size_t j = 0; j < ev->nr_fields; j++) {
			const struct hypmem_event_field *fl = &ev->fields[j];

			if (fl->offset != packed)
				is_packed = false;
			packed = fl->offset + fl->size;
		}
		if (!is_packed)
			continue;
		for (size_t j = 0; j < ev->nr_fields; j++) {
			struct hypmem_event_field *fl = &ev->fields[j];
			uint32_t elem = fl->array_len ? fl->size / fl->array_len : fl->size;
			uint32_t align = 1;

			while (align < elem && align < 8)
				align <<= 1;
			if (align != elem && elem <= 8)
				align = 1; /* not a scalar size: bytes */
			off = (off + align - 1) & ~(align - 1);
			if (fl->offset != off)
				differs = true;
			fl->offset = off;
			off += fl->size;
			end = off;
		}
		if (differs) {
			ev->size = end;
			changed++;
		}
	}
	return changed;
}

/*
 * The sub-buffer size and long size from events/header_page, if present.
 * @footer_ok: the remote may end its pages in a footer (Android's hyp/):
 * header_page then gives a data area that stops ANDROID_FOOTER bytes short
 * of a power-of-two page.
 */
static struct hypmem_error *read_header_page(struct hypmem_trace *tr, const char *root,
					     bool footer_ok)
{
	char *path = path_join(root, "events/header_page"), *text, *p;
	size_t len;
	unsigned int off, size;
	struct hypmem_error *err;

	if (!path)
		return &hypmem_enomem;
	/* Optional: without it, the defaults hold. */
	if ((err = read_small_file(path, &text, &len))) {
		hypmem_error_destroy(err);
		free(path);
		return NULL;
	}
	p = strstr(text, "commit;");
	if (p && sscanf(p, "commit;%*[ \t]offset:%u;%*[ \t]size:%u;", &off, &size) == 2 &&
	    (size == 4 || size == 8))
		tr->long_size = size;
	p = strstr(text, "data;");
	if (p && sscanf(p, "data;%*[ \t]offset:%u;%*[ \t]size:%u;", &off, &size) == 2 &&
	    off <= 16 && size >= 256 && size <= MAX_PAGE_SIZE) {
		uint32_t data_end = off + size;

		if (!(data_end & (data_end - 1))) {
			tr->page_size = data_end;
		} else if (footer_ok && !((data_end + ANDROID_FOOTER) & (data_end + ANDROID_FOOTER - 1))) {
			tr->page_size = data_end + ANDROID_FOOTER;
			tr->footer = ANDROID_FOOTER;
		} else {
			err = hypmem_error_create(HYPMEM_ERROR_FORMAT,
						  "%s: a data area ending at %u is no page "
						  "%s",
						  path, data_end,
						  footer_ok ? "with or without a 32-byte footer"
							    : "(no footer expected here)");
		}
	}
	free(text);
	free(path);
	return err;
}

/* A candidate directory for the hypervisor's remote, and what it offers. */
struct remote_probe {
	const char *sub;  /* under the directory given */
	bool footer_ok;	  /* Android hyp/ */
};

static bool readable(const char *dir, const char *rel)
{
	char *p = path_join(dir, rel);
	bool ok = p && !access(p, R_OK);

	free(p);
	return ok;
}

/* Does @path name a remote directory itself (…/remotes/hypervisor or …/hyp)? */
static const struct remote_probe *remote_of_path(const char *path, const struct remote_probe *probes,
						 size_t nr)
{
	size_t len = strlen(path);

	while (len > 1 && path[len - 1] == '/')
		len--;
	for (size_t i = 0; i < nr; i++) {
		size_t n = strlen(probes[i].sub);

		if (len >= n && !strncmp(path + len - n, probes[i].sub, n) &&
		    (len == n || path[len - n - 1] == '/'))
			return &probes[i];
	}
	return NULL;
}

struct hypmem_error *hypmem_trace_open_tracefs(const char *dir, struct hypmem_trace **ret)
{
	/*
	 * Only a hypervisor remote, never the tracing root: its per_cpu/ pipes
	 * are the host's own buffers, and reading them would consume the
	 * user's trace.
	 */
	static const struct remote_probe probes[] = {
	    {"remotes/hypervisor", false},
	    {"hyp", true},
	};
	const size_t nr_probes = sizeof(probes) / sizeof(probes[0]);
	struct hypmem_trace *tr = calloc(1, sizeof(*tr));
	const struct remote_probe *rp = NULL;
	struct hypmem_error *err = NULL;
	char *root = NULL;
	const char *pipe_name = NULL;

	if (!tr)
		return &hypmem_enomem;
	tr->kind = SRC_TRACEFS;
	tr->page_size = DEFAULT_PAGE_SIZE;
	tr->long_size = 8;
	tr->wait_ms = DEFAULT_WAIT_MS;
	hypmem_event_formats_init(&tr->formats);
	hypmem_findings_init(&tr->findings);
	/* DIR itself may be the remote; else a remote inside DIR. */
	if ((rp = remote_of_path(dir, probes, nr_probes)) && !(root = strdup(dir))) {
		err = &hypmem_enomem;
		goto fail;
	}
	for (size_t i = 0; !root && i < nr_probes; i++) {
		char *r = path_join(dir, probes[i].sub);

		if (!r) {
			err = &hypmem_enomem;
			goto fail;
		}
		if (is_dir(r)) {
			root = r;
			rp = &probes[i];
		} else {
			free(r);
		}
	}
	if (root && readable(root, "per_cpu/cpu0/trace_pipe_raw")) {
		tr->flavour = TFS_RAW;
		pipe_name = "trace_pipe_raw";
	} else if (root && !rp->footer_ok && readable(root, "per_cpu/cpu0/trace_pipe")) {
		tr->flavour = TFS_TEXT;
		pipe_name = "trace_pipe";
	}
	if (!pipe_name) {
		err = hypmem_error_create(
		    HYPMEM_ERROR_LOOKUP,
		    "%s: no hypervisor trace remote: looked for "
		    "remotes/hypervisor/per_cpu/cpu0/trace_pipe_raw or trace_pipe (mainline) "
		    "and hyp/per_cpu/cpu0/trace_pipe_raw (Android)%s; the host's own "
		    "per_cpu/ buffers are never read",
		    dir, root ? " in the directory found" : "");
		goto fail;
	}
	if ((err = read_header_page(tr, root, rp->footer_ok)))
		goto fail;
	if ((err = read_formats_tracefs(tr, root)))
		goto fail;
	fix_remote_layout(&tr->formats);
	tr->cpus = calloc(HYPMEM_TRACE_MAX_CPUS, sizeof(*tr->cpus));
	if (!tr->cpus) {
		err = &hypmem_enomem;
		goto fail;
	}
	for (unsigned int cpu = 0; cpu < HYPMEM_TRACE_MAX_CPUS; cpu++) {
		struct cpu_state *c = &tr->cpus[cpu];
		char *p;
		int fd;

		c->fd = -1;
		if (asprintf(&p, "%s/per_cpu/cpu%u/%s", root, cpu, pipe_name) < 0) {
			err = &hypmem_enomem;
			goto fail;
		}
		/*
		 * O_NONBLOCK only so that opening a FIFO does not wait for its
		 * writer; the reader thread then reads blocking, as the
		 * hypervisor's pipes do whatever the flag says.
		 */
		fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		free(p);
		if (fd < 0)
			break;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		c->pr = pipe_reader_create(fd, PIPE_BYTES);
		if (!c->pr) {
			close(fd);
			err = &hypmem_enomem;
			goto fail;
		}
		tr->nr_cpus = cpu + 1;
	}
	free(root);
	*ret = tr;
	return NULL;
fail:
	free(root);
	hypmem_trace_destroy(tr);
	return err;
}

void hypmem_trace_set_wait(struct hypmem_trace *tr, int wait_ms)
{
	tr->wait_ms = wait_ms < 0 ? 0 : wait_ms;
}

/* Milliseconds left before the poll's deadline (0 if past). */
static int ms_left(const struct hypmem_trace *tr)
{
	struct timespec now;
	int64_t ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)(tr->deadline.tv_sec - now.tv_sec) * 1000 +
	     (tr->deadline.tv_nsec - now.tv_nsec) / 1000000;
	return ms <= 0 ? 0 : ms > INT32_MAX ? INT32_MAX : (int)ms;
}

static void start_deadline(struct hypmem_trace *tr)
{
	clock_gettime(CLOCK_MONOTONIC, &tr->deadline);
	tr->deadline.tv_sec += tr->wait_ms / 1000;
	tr->deadline.tv_nsec += (long)(tr->wait_ms % 1000) * 1000000L;
	if (tr->deadline.tv_nsec >= 1000000000L) {
		tr->deadline.tv_sec++;
		tr->deadline.tv_nsec -= 1000000000L;
	}
	for (unsigned int cpu = 0; cpu < tr->nr_cpus; cpu++)
		tr->cpus[cpu].late_bytes = 0;
}

/* Is a whole unit (a raw page, a text line) waiting at rpos? */
static bool unit_ready(const struct hypmem_trace *tr, const struct cpu_state *c)
{
	if (tr->flavour == TFS_TEXT)
		return c->rlen > c->rpos && memchr(c->rbuf + c->rpos, '\n', c->rlen - c->rpos);
	return c->rlen - c->rpos >= tr->page_size;
}

/*
 * Refill @c's read buffer from its pipe so that a whole unit lies at rpos.
 * Waits for the pipe only until the poll's deadline; after it, takes at most
 * one more buffer's worth (reading the hypervisor's trace makes it trace).
 * Return: *@have if there is one; else c->done.
 */
static struct hypmem_error *fill_tracefs(struct hypmem_trace *tr, struct cpu_state *c,
					 unsigned int cpu, bool *have)
{
	size_t cap = tr->flavour == TFS_TEXT ? RBUF_BYTES
					     : RBUF_BYTES / tr->page_size * tr->page_size;
	bool eof = false;
	int perr = 0;

	*have = false;
	if (unit_ready(tr, c)) {
		*have = true;
		return NULL;
	}
	if (!c->rbuf && !(c->rbuf = malloc(cap)))
		return &hypmem_enomem;
	memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
	c->rlen -= c->rpos;
	c->rpos = 0;
	while (c->pr && c->rlen < cap && !unit_ready(tr, c)) {
		int wait = ms_left(tr);
		size_t n;

		if (!wait && c->late_bytes >= cap)
			break;
		n = pipe_reader_take(c->pr, c->rbuf + c->rlen, cap - c->rlen, wait, &eof, &perr);
		if (!wait)
			c->late_bytes += n ? n : cap;
		c->rlen += n;
		if (eof || (!n && !ms_left(tr)))
			break;
	}
	if (unit_ready(tr, c)) {
		*have = true;
		return NULL;
	}
	c->done = true;
	if (perr) {
		return hypmem_findings_add(&c->findings, HYPMEM_FINDING_TRACE_PAGE_INVALID,
					   c->page_no, "cpu %u: reading the pipe: %s", cpu,
					   strerror(perr));
	}
	if (c->rlen == cap || (eof && c->rlen)) {
		size_t got = c->rlen;

		c->rlen = 0;
		return hypmem_findings_add(&c->findings, HYPMEM_FINDING_TRACE_PAGE_INVALID,
					   c->page_no,
					   tr->flavour == TFS_TEXT
					       ? "cpu %u: trace_pipe: %zu bytes without a line end"
					       : "cpu %u: trace_pipe_raw ends with a partial "
						 "page (%zu bytes)",
					   cpu, got);
	}
	return NULL;
}

/*
 * A trace_pipe_raw page flagged "missed events": account them and return
 * true with the count (or HYPMEM_TRACE_LOST_UNKNOWN) in *@lost.
 */
static bool page_missed(struct hypmem_trace *tr, struct cpu_state *c, const uint8_t *page,
			uint64_t *lost)
{
	bool stored = le64(page + 8) & HYPMEM_RB_MISSED_STORED;
	struct hypmem_rb_page_info hi;

	if (!(le64(page + 8) & HYPMEM_RB_MISSED_EVENTS))
		return false;
	hypmem_rb_page_decode(page, tr->page_size - tr->footer, tr->long_size, 0, NULL, NULL, &hi);
	*lost = stored ? hi.missed : HYPMEM_TRACE_LOST_UNKNOWN;
	if (stored)
		c->st.lost += hi.missed;
	else
		c->st.lost_unknown++;
	return true;
}

/* --- the text pipe (mainline remotes/hypervisor/per_cpu/cpuN/trace_pipe) --- */

#define MAX_TEXT_PAYLOAD 4096

static bool parse_u64(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t n = 0;

	if (s == end || *s < '0' || *s > '9')
		return false;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (n > (UINT64_MAX - 9) / 10)
			return false;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	*v = n;
	return true;
}

/* The value of "name=VALUE" in @args as an integer, if it is one. */
static bool text_field(const char *args, const char *end, const char *name, bool is_signed,
		       uint64_t *v)
{
	size_t n = strlen(name);

	for (const char *s = args; s + n < end; s++) {
		char num[32], *e;
		size_t len = 0;

		if ((s != args && s[-1] != ' ') || strncmp(s, name, n) || s[n] != '=')
			continue;
		s += n + 1;
		while (s + len < end && s[len] != ' ' && len < sizeof(num) - 1)
			len++;
		memcpy(num, s, len);
		num[len] = '\0';
		errno = 0;
		*v = is_signed ? (uint64_t)strtoll(num, &e, 0) : strtoull(num, &e, 0);
		return len && !*e && !errno;
	}
	return false;
}

static void put_le(uint8_t *p, uint64_t v, uint32_t size)
{
	for (uint32_t i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * One event line: its payload rebuilt from the "field=value" pairs the
 * format names (integers only; a value printed as a name, like hyp_enter's
 * reason, stays 0 and the line's text is kept for printing).
 */
static struct hypmem_error *text_event(struct hypmem_trace *tr, struct cpu_state *c,
				       unsigned int cpu, const char *line, const char *end,
				       struct pending_rec *r)
{
	const char *p = line, *name, *args;
	const struct hypmem_event_format *ev;
	uint64_t lcpu, sec, usec, us, id = UINT16_MAX;
	uint32_t len = 2;
	uint8_t *pay;
	char nm[128];
	size_t off;

	if (p == end || *p++ != '[' || !parse_u64(&p, end, &lcpu) || p == end || *p++ != ']')
		goto bad;
	while (p < end && (*p == '\t' || *p == ' '))
		p++;
	if (!parse_u64(&p, end, &sec) || p == end || *p++ != '.' || !parse_u64(&p, end, &usec) ||
	    usec > 999999 || end - p < 2 || p[0] != ':' || p[1] != ' ')
		goto bad;
	/*
	 * The kernel prints a u64 of ns as seconds and microseconds, so any
	 * time up to 2^64 ns (a clock gone "negative", seen with nVHE) comes
	 * back whole, to the microsecond.
	 */
	if (__builtin_mul_overflow(sec, 1000000ULL, &us) || __builtin_add_overflow(us, usec, &us) ||
	    us > UINT64_MAX / 1000)
		goto bad;
	p += 2;
	name = p;
	while (p < end && *p != ' ')
		p++;
	if (p == name || (size_t)(p - name) >= sizeof(nm))
		goto bad;
	memcpy(nm, name, (size_t)(p - name));
	nm[p - name] = '\0';
	args = p < end ? p + 1 : p;
	if (lcpu != cpu)
		hypmem_error_destroy(hypmem_findings_add(
		    &c->findings, HYPMEM_FINDING_TRACE_PAGE_INVALID, c->page_no,
		    "cpu %u: trace_pipe line for cpu %" PRIu64, cpu, lcpu));
	ev = hypmem_event_formats_find_name(&tr->formats, nm);
	if (ev) {
		id = ev->id;
		len = ev->size > len ? ev->size : len;
		if (len > MAX_TEXT_PAYLOAD)
			len = MAX_TEXT_PAYLOAD;
	} else if (!strcmp(nm, "UNKNOWN") && text_field(args, end, "id", false, &id) &&
		   id < UINT16_MAX) {
		/* The kernel's "UNKNOWN id=N": an id without a format. */
	} else {
		id = UINT16_MAX;
		hypmem_error_destroy(hypmem_findings_add(
		    &c->findings, HYPMEM_FINDING_TRACE_PAGE_INVALID, c->page_no,
		    "cpu %u: trace_pipe event '%s' has no format", cpu, nm));
	}
	if (c->pay_cap - c->pay_len < len) {
		size_t cap = c->pay_cap ? c->pay_cap : 1 << 14;
		uint8_t *n;

		while (cap - c->pay_len < len)
			cap *= 2;
		if (!(n = realloc(c->pay, cap)))
			return &hypmem_enomem;
		c->pay = n;
		c->pay_cap = cap;
	}
	off = c->pay_len;
	pay = c->pay + off;
	c->pay_len += len;
	memset(pay, 0, len);
	put_le(pay, id, 2);
	for (size_t i = 0; ev && i < ev->nr_fields; i++) {
		const struct hypmem_event_field *f = &ev->fields[i];
		uint64_t v;

		if (f->is_common || f->array_len || f->offset > len || len - f->offset < f->size ||
		    !(f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8))
			continue;
		if (text_field(args, end, f->name, f->is_signed, &v))
			put_le(pay + f->offset, v, f->size);
	}
	*r = (struct pending_rec){
	    .ts = us * 1000ULL,
	    .off = off,
	    .len = len,
	    .text_off = (size_t)(args - (const char *)c->rbuf),
	    .text_len = (uint32_t)(end - args),
	};
	return NULL;
bad:
	r->len = 0;
	return hypmem_findings_add(&c->findings, HYPMEM_FINDING_TRACE_PAGE_INVALID, c->page_no,
				   "cpu %u: unparsable trace_pipe line '%.*s'", cpu,
				   (int)(end - line > 80 ? 80 : end - line), line);
}

/* Decode the whole lines waiting in @c's read buffer into c->recs. */
static struct hypmem_error *decode_text_lines(struct hypmem_trace *tr, unsigned int cpu)
{
	struct cpu_state *c = &tr->cpus[cpu];
	bool have_lost = false;
	uint64_t lost = 0;
	struct hypmem_error *err;

	c->pay_len = 0;
	while (c->rpos < c->rlen) {
		const char *line = (const char *)c->rbuf + c->rpos;
		const char *nl = memchr(line, '\n', c->rlen - c->rpos);
		struct pending_rec r;
		unsigned long lcpu;
		uint64_t count;
		int n = 0;

		if (!nl)
			break;
		c->rpos += (size_t)(nl - line) + 1;
		c->page_no++;
		if (nl == line)
			continue;
		/* "CPU:%d [LOST %lu EVENTS]" */
		if (sscanf(line, "CPU:%lu [LOST %" SCNu64 " EVENTS]%n", &lcpu, &count, &n) == 2 &&
		    line + n == nl) {
			have_lost = true;
			lost += count;
			c->st.lost += count;
			continue;
		}
		if ((err = text_event(tr, c, cpu, line, nl, &r)))
			return err;
		if (!r.len)
			continue;
		if (have_lost) {
			struct pending_rec l = {.ts = r.ts, .lost = true, .count = lost};

			have_lost = false;
			lost = 0;
			if ((err = push_rec(c, &l)))
				return err;
		}
		if ((err = push_rec(c, &r)))
			return err;
		c->st.read++;
	}
	if (have_lost) {
		struct pending_rec l = {.ts = c->last_ts, .lost = true, .count = lost};

		if ((err = push_rec(c, &l)))
			return err;
	}
	return NULL;
}

/*
 * Decode @c's next trace_pipe_raw page(s) into c->recs, until one yields a
 * record or the file has no whole page left (c->done).
 */
static struct hypmem_error *next_tracefs_page(struct hypmem_trace *tr, unsigned int cpu)
{
	struct cpu_state *c = &tr->cpus[cpu];
	struct hypmem_error *err;

	c->nr_recs = 0;
	c->next = 0;
	while (!c->nr_recs && !c->done) {
		struct collect co = {.tr = tr, .c = c};
		struct hypmem_rb_page_info info;
		const uint8_t *page;
		bool have;

		if ((err = fill_tracefs(tr, c, cpu, &have)) || !have)
			return err;
		if (tr->flavour == TFS_TEXT) {
			if ((err = decode_text_lines(tr, cpu)))
				return err;
			continue;
		}
		page = c->rbuf + c->rpos;
		co.base = c->rbuf;
		co.have_lost = page_missed(tr, c, page, &co.lost);
		if ((err = decode_page(tr, c, cpu, page, 0, c->page_no * tr->page_size,
				       collect_event, &co, &co.err, &c->findings, &info)))
			return err;
		if (co.have_lost) {
			struct pending_rec l = {.ts = info.last_ts, .lost = true, .count = co.lost};

			if ((err = push_rec(c, &l)))
				return err;
		}
		if (tr->keep && (err = keep_page(tr, c, page)))
			return err;
		/* The records point into the page: it is released on the next call. */
		c->rpos += tr->page_size;
		c->page_no++;
	}
	return NULL;
}

/* Add a CPU's findings of this poll to the reader's, as if added there. */
static struct hypmem_error *flush_findings(struct hypmem_trace *tr, struct cpu_state *c)
{
	struct hypmem_findings *f = &c->findings;
	struct hypmem_error *err = NULL;
	size_t kept[HYPMEM_FINDING_NR] = {0};

	for (size_t i = 0; i < f->nr && !err; i++) {
		kept[f->items[i].kind]++;
		err = hypmem_findings_add(&tr->findings, f->items[i].kind, f->items[i].address,
					  "%s", f->items[i].message);
	}
	if (!err) {
		for (size_t k = 0; k < HYPMEM_FINDING_NR; k++)
			tr->findings.by_kind[k] += f->by_kind[k] - kept[k];
		tr->findings.total += f->total - f->nr;
	}
	hypmem_findings_deinit(f);
	hypmem_findings_init(f);
	return err;
}

/* --- the merge --- */

/* The next record of @cpu, or NULL when it has none left in this poll. */
static struct hypmem_error *peek(struct hypmem_trace *tr, unsigned int cpu,
				 struct pending_rec **ret)
{
	struct cpu_state *c = &tr->cpus[cpu];
	struct hypmem_error *err;

	*ret = NULL;
	if (c->next == c->nr_recs) {
		if (tr->kind == SRC_TARGET || c->done)
			return NULL;
		if ((err = next_tracefs_page(tr, cpu)))
			return err;
		if (c->next == c->nr_recs)
			return NULL;
	}
	*ret = &c->recs[c->next];
	return NULL;
}

struct hypmem_error *hypmem_trace_poll(struct hypmem_trace *tr, hypmem_trace_fn fn, void *arg)
{
	struct hypmem_error *err = NULL;
	struct pending_rec *head[HYPMEM_TRACE_MAX_CPUS];
	unsigned int nr = tr->nr_cpus;

	tr->arena_len = 0;
	if (tr->kind == SRC_TRACEFS)
		start_deadline(tr);
	for (unsigned int cpu = 0; cpu < nr; cpu++) {
		tr->cpus[cpu].nr_recs = 0;
		tr->cpus[cpu].next = 0;
		tr->cpus[cpu].done = false;
	}
	if (tr->kind == SRC_TARGET) {
		for (unsigned int cpu = 0; cpu < nr && !err; cpu++)
			err = collect_target_cpu(tr, cpu);
		if (err)
			return err;
	}
	for (unsigned int cpu = 0; cpu < nr && !err; cpu++)
		err = peek(tr, cpu, &head[cpu]);
	/*
	 * k-way merge over the CPUs' cursors: CPUs are few, a linear scan for
	 * the minimum is enough (ties go to the lower CPU).
	 */
	while (!err) {
		struct hypmem_trace_rec rec = {0};
		unsigned int best = UINT32_MAX;
		uint64_t best_ts = UINT64_MAX;
		struct pending_rec *r;
		struct cpu_state *c;

		for (unsigned int cpu = 0; cpu < nr; cpu++) {
			if (head[cpu] && (best == UINT32_MAX || head[cpu]->ts < best_ts)) {
				best = cpu;
				best_ts = head[cpu]->ts;
			}
		}
		if (best == UINT32_MAX)
			break;
		c = &tr->cpus[best];
		r = head[best];
		rec.cpu = best;
		rec.ts = r->ts;
		if (r->lost) {
			rec.kind = HYPMEM_TRACE_LOST;
			rec.lost = r->count;
		} else {
			rec.kind = HYPMEM_TRACE_EVENT;
			rec.payload = (tr->kind == SRC_TARGET	   ? tr->arena
				       : tr->flavour == TFS_TEXT ? c->pay
								 : c->rbuf) +
				      r->off;
			rec.len = r->len;
			rec.id = hypmem_event_id(rec.payload);
			if (r->text_len) {
				rec.text = (const char *)c->rbuf + r->text_off;
				rec.text_len = r->text_len;
			}
		}
		if (fn && !fn(&rec, arg))
			break;
		c->next++;
		if (c->next < c->nr_recs)
			head[best] = &c->recs[c->next];
		else
			err = peek(tr, best, &head[best]);
	}
	if (tr->kind == SRC_TRACEFS)
		for (unsigned int cpu = 0; cpu < nr; cpu++) {
			struct hypmem_error *e = flush_findings(tr, &tr->cpus[cpu]);

			if (!err)
				err = e;
		}
	return err;
}

/* --- counting without the merge --- */

struct counter {
	struct hypmem_trace_counts *k;
	struct cpu_state *c;
	unsigned int cpu;
	bool first; /* no event of this CPU seen yet in this poll */
	bool stop;
	hypmem_trace_fn fn;
	void *arg;
};

static bool count_one(struct counter *co, uint64_t ts, const uint8_t *payload, uint32_t len)
{
	struct hypmem_trace_counts *k = co->k;
	uint32_t id = hypmem_event_id(payload);

	k->events++;
	if (ts > k->last_ts)
		k->last_ts = ts;
	if (co->first) {
		co->first = false;
		if (!k->first_ts || ts < k->first_ts)
			k->first_ts = ts;
	}
	if (id >= k->nr_ids)
		return true;
	k->counts[(size_t)co->cpu * k->nr_ids + id]++;
	if (k->deliver && k->deliver[id] && co->fn) {
		struct hypmem_trace_rec rec = {
		    .kind = HYPMEM_TRACE_EVENT,
		    .cpu = co->cpu,
		    .ts = ts,
		    .id = id,
		    .payload = payload,
		    .len = len,
		};

		if (!co->fn(&rec, co->arg)) {
			co->stop = true;
			return false;
		}
	}
	return true;
}

static bool count_event(const struct hypmem_rb_event *ev, void *arg)
{
	struct counter *co = arg;

	co->c->st.read++;
	return count_one(co, ev->ts, ev->payload, ev->len);
}

static struct hypmem_error *count_tracefs_cpu(struct hypmem_trace *tr, struct counter *co)
{
	struct cpu_state *c = co->c;
	struct hypmem_error *err, *none = NULL;

	c->done = false;
	while (tr->flavour == TFS_TEXT && !co->stop) {
		c->nr_recs = 0;
		c->next = 0;
		if ((err = next_tracefs_page(tr, co->cpu)) || !c->nr_recs)
			return err;
		for (size_t i = 0; i < c->nr_recs && !co->stop; i++) {
			const struct pending_rec *r = &c->recs[i];

			if (!r->lost)
				count_one(co, r->ts, c->pay + r->off, r->len);
			else if (r->count != HYPMEM_TRACE_LOST_UNKNOWN)
				co->k->lost += r->count;
		}
	}
	while (!co->stop) {
		struct hypmem_rb_page_info info;
		const uint8_t *page;
		uint64_t lost;
		bool have;

		if ((err = fill_tracefs(tr, c, co->cpu, &have)) || !have)
			return err;
		page = c->rbuf + c->rpos;
		if (page_missed(tr, c, page, &lost) && lost != HYPMEM_TRACE_LOST_UNKNOWN)
			co->k->lost += lost;
		if ((err = decode_page(tr, c, co->cpu, page, 0, c->page_no * tr->page_size,
				       count_event, co, &none, &c->findings, &info)))
			return err;
		if (tr->keep && (err = keep_page(tr, c, page)))
			return err;
		c->rpos += tr->page_size;
		c->page_no++;
	}
	return NULL;
}

struct hypmem_error *hypmem_trace_poll_counts(struct hypmem_trace *tr,
					      struct hypmem_trace_counts *k, hypmem_trace_fn fn,
					      void *arg)
{
	struct hypmem_error *err = NULL;
	bool stop = false;

	tr->arena_len = 0;
	if (tr->kind == SRC_TRACEFS)
		start_deadline(tr);
	for (unsigned int cpu = 0; cpu < tr->nr_cpus && !err && !stop; cpu++) {
		struct cpu_state *c = &tr->cpus[cpu];
		struct counter co = {
		    .k = k, .c = c, .cpu = cpu, .first = true, .fn = fn, .arg = arg};

		c->nr_recs = 0;
		c->next = 0;
		if (tr->kind == SRC_TRACEFS) {
			err = count_tracefs_cpu(tr, &co);
		} else if (!(err = collect_target_cpu(tr, cpu))) {
			/* A target's poll is bounded by its ring: walk the records. */
			for (size_t i = 0; i < c->nr_recs && !co.stop; i++) {
				const struct pending_rec *r = &c->recs[i];

				if (!r->lost)
					count_one(&co, r->ts, tr->arena + r->off, r->len);
				else if (r->count != HYPMEM_TRACE_LOST_UNKNOWN)
					k->lost += r->count;
			}
		}
		stop = co.stop;
	}
	if (tr->kind == SRC_TRACEFS)
		for (unsigned int cpu = 0; cpu < tr->nr_cpus; cpu++) {
			struct hypmem_error *e = flush_findings(tr, &tr->cpus[cpu]);

			if (!err)
				err = e;
		}
	return err;
}

void hypmem_trace_destroy(struct hypmem_trace *tr)
{
	if (!tr)
		return;
	for (unsigned int cpu = 0;
	     tr->cpus && cpu < (tr->kind == SRC_TRACEFS ? HYPMEM_TRACE_MAX_CPUS : tr->nr_cpus);
	     cpu++) {
		struct cpu_state *c = &tr->cpus[cpu];

		if (tr->kind == SRC_TRACEFS)
			pipe_reader_destroy(c->pr);
		free(c->pay);
		free(c->page_pa);
		free(c->mem);
		free(c->bp_va);
		free(c->bp_id);
		free(c->recs);
		free(c->kept);
		free(c->rbuf);
		hypmem_findings_deinit(&c->findings);
	}
	free(tr->cpus);
	free(tr->arena);
	hypmem_event_formats_deinit(&tr->formats);
	hypmem_findings_deinit(&tr->findings);
	free(tr);
}

/*
 * In a dump nobody consumed events, so every event the meta page counts is
 * either in the pages or was overwritten: lost must equal overrun.
 */
struct hypmem_error *hypmem_trace_check_accounting(struct hypmem_trace *tr)
{
	for (unsigned int cpu = 0; cpu < tr->nr_cpus; cpu++) {
		const struct hypmem_trace_cpu_stats *st = &tr->cpus[cpu].st;
		struct hypmem_error *err;

		if (!st->has_meta || st->lost == st->overrun)
			continue;
		err = hypmem_findings_add(
		    &tr->findings, HYPMEM_FINDING_TRACE_LOST_MISMATCH, cpu,
		    "cpu %u: %" PRIu64 " events committed, %" PRIu64 " read, %" PRIu64
		    " overwritten: %" PRId64 " unaccounted",
		    cpu, st->entries, st->read, st->overrun, (int64_t)(st->lost - st->overrun));
		if (err)
			return err;
	}
	return NULL;
}

unsigned int hypmem_trace_nr_cpus(const struct hypmem_trace *tr)
{
	return tr->nr_cpus;
}

const struct hypmem_trace_cpu_stats *hypmem_trace_stats(const struct hypmem_trace *tr,
							unsigned int cpu)
{
	return cpu < tr->nr_cpus ? &tr->cpus[cpu].st : NULL;
}

const struct hypmem_event_formats *hypmem_trace_formats(const struct hypmem_trace *tr)
{
	return &tr->formats;
}

struct hypmem_findings *hypmem_trace_findings(struct hypmem_trace *tr)
{
	return &tr->findings;
}

void hypmem_trace_keep_pages(struct hypmem_trace *tr, bool keep)
{
	tr->keep = keep;
}

/* --- export --- */

static struct hypmem_error *mkdir_p(const char *path)
{
	char *p = strdup(path);

	if (!p)
		return &hypmem_enomem;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST) {
			struct hypmem_error *err = hypmem_error_os(errno, "mkdir(%s)", p);

			free(p);
			return err;
		}
		*s = '/';
	}
	if (mkdir(p, 0755) && errno != EEXIST) {
		struct hypmem_error *err = hypmem_error_os(errno, "mkdir(%s)", p);

		free(p);
		return err;
	}
	free(p);
	return NULL;
}

static struct hypmem_error *write_file(const char *dir, const char *name, const void *data,
				       size_t len)
{
	char *path = path_join(dir, name);
	FILE *f;
	struct hypmem_error *err = NULL;

	if (!path)
		return &hypmem_enomem;
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len)
		err = hypmem_error_os(errno, "write(%s)", path);
	if (f && fclose(f) && !err)
		err = hypmem_error_os(errno, "close(%s)", path);
	free(path);
	return err;
}

/* --- exports shaped like a kernel's remote --- */

/* The format text as the remotes print it: offsets summed without alignment. */
static void remote_format_text(FILE *f, const struct hypmem_event_format *ev)
{
	uint32_t off = 2;

	fprintf(f, "name: %s\nID: %u\nformat:\n", ev->name, ev->id);
	fprintf(f, "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n");
	for (size_t i = 0; i < ev->nr_fields; i++) {
		const struct hypmem_event_field *fl = &ev->fields[i];

		if (fl->is_common)
			continue;
		if (fl->array_len)
			fprintf(f, "\tfield:%s %s[%u];\toffset:%u;\tsize:%u;\tsigned:%d;\n", fl->type,
				fl->name, fl->array_len, off, fl->size, fl->is_signed);
		else
			fprintf(f, "\tfield:%s %s;\toffset:%u;\tsize:%u;\tsigned:%d;\n", fl->type,
				fl->name, off, fl->size, fl->is_signed);
		off += fl->size;
	}
	fprintf(f, "\nprint fmt: %s\n", ev->print_fmt ? ev->print_fmt : "\"\"");
}

static struct hypmem_error *write_remote_events(struct hypmem_trace *tr, const char *root,
						const char *system, uint32_t data_size)
{
	char *p = NULL, *text = NULL, buf[512];
	size_t len;
	struct hypmem_error *err = NULL;
	int n;

	if (asprintf(&p, "%s/events", root) < 0)
		return &hypmem_enomem;
	if ((err = mkdir_p(p)))
		goto out;
	n = snprintf(buf, sizeof(buf),
		     "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
		     "\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
		     "\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
		     "\tfield: char data;\toffset:16;\tsize:%u;\tsigned:0;\n",
		     data_size);
	if ((err = write_file(p, "header_page", buf, (size_t)n)))
		goto out;
	n = snprintf(buf, sizeof(buf),
		     "# compressed entry header\n\ttype_len    :    5 bits\n"
		     "\ttime_delta  :   27 bits\n\tarray       :   32 bits\n\n"
		     "\tpadding     : type == 29\n\ttime_extend : type == 30\n"
		     "\ttime_stamp : type == 31\n\tdata max type_len  == 28\n");
	if ((err = write_file(p, "header_event", buf, (size_t)n)))
		goto out;
	for (size_t i = 0; i < tr->formats.nr && !err; i++) {
		const struct hypmem_event_format *ev = &tr->formats.events[i];
		char *evdir;
		FILE *f;

		if (asprintf(&evdir, "%s/%s/%s", p, system, ev->name) < 0) {
			err = &hypmem_enomem;
			break;
		}
		if (!(err = mkdir_p(evdir)) && (f = open_memstream(&text, &len))) {
			remote_format_text(f, ev);
			fclose(f);
			err = write_file(evdir, "format", text, len);
			free(text);
			text = NULL;
			n = snprintf(buf, sizeof(buf), "%u\n", ev->id);
			if (!err)
				err = write_file(evdir, "id", buf, (size_t)n);
		} else if (!err) {
			err = &hypmem_enomem;
		}
		free(evdir);
	}
out:
	free(p);
	return err;
}

/* Every event of @c's kept pages, in order, to @fn. */
static void walk_kept(struct hypmem_trace *tr, struct cpu_state *c, hypmem_rb_event_fn fn,
		      void *arg)
{
	for (size_t i = 0; i < c->nr_kept; i++) {
		struct hypmem_rb_page_info info;

		hypmem_rb_page_decode(c->kept + i * tr->page_size, tr->page_size - tr->footer,
				      tr->long_size, 0, fn, arg, &info);
	}
}

struct text_out {
	struct hypmem_trace *tr;
	FILE *f;
	unsigned int cpu;
	uint64_t *ts; /* per line: its event's time (a LOST line: the next event's) */
	size_t *off;  /* per line: where it starts in the text */
	size_t nr, cap;
	uint64_t pending_lost;
	bool failed;
};

/* Remember where the next line starts and when its event happened. */
static bool text_mark(struct text_out *o, uint64_t ts)
{
	if (o->nr == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 256;
		uint64_t *t = realloc(o->ts, cap * sizeof(*t));
		size_t *f;

		if (t)
			o->ts = t;
		f = t ? realloc(o->off, cap * sizeof(*f)) : NULL;
		if (!f) {
			o->failed = true;
			return false;
		}
		o->off = f;
		o->cap = cap;
	}
	fflush(o->f);
	o->off[o->nr] = (size_t)ftell(o->f);
	o->ts[o->nr++] = ts;
	return true;
}

/* One line as trace_remote prints it: "[%03d]\t%5llu.%06lu: name fields". */
static bool text_line(const struct hypmem_rb_event *e, void *arg)
{
	struct text_out *o = arg;
	const struct hypmem_event_format *ev =
	    e->len >= 2 ? hypmem_event_formats_find(&o->tr->formats, hypmem_event_id(e->payload))
			: NULL;
	char buf[1024];
	uint64_t us = e->ts / 1000;

	if (o->pending_lost) {
		/* The kernel's line for a gap, before the first event after it. */
		if (!text_mark(o, e->ts))
			return false;
		fprintf(o->f, "CPU:%u [LOST %" PRIu64 " EVENTS]\n", o->cpu, o->pending_lost);
		o->pending_lost = 0;
	}
	if (!text_mark(o, e->ts))
		return false;
	fprintf(o->f, "[%03u]\t%5" PRIu64 ".%06" PRIu64 ": ", o->cpu, us / 1000000, us % 1000000);
	if (!ev) {
		fprintf(o->f, "UNKNOWN id=%u\n", e->len >= 2 ? hypmem_event_id(e->payload) : 0);
		return true;
	}
	hypmem_event_print(ev, e->payload, e->len, buf, sizeof(buf));
	fprintf(o->f, "%s%s%s\n", ev->name, buf[0] ? " " : "", buf);
	return true;
}

struct cpu_text {
	char *text;
	size_t len;
	struct text_out o;
};

/* All CPUs' lines merged by time, as the remote's own trace and trace_pipe. */
static struct hypmem_error *write_merged_text(const char *root, struct cpu_text *ct,
					      unsigned int nr_cpus)
{
	size_t *next = calloc(nr_cpus ? nr_cpus : 1, sizeof(*next)), len = 0;
	char *text = NULL;
	FILE *f = open_memstream(&text, &len);
	struct hypmem_error *err = NULL;

	if (!next || !f) {
		if (f)
			fclose(f);
		free(text);
		free(next);
		return &hypmem_enomem;
	}
	for (;;) {
		unsigned int best = nr_cpus;

		for (unsigned int cpu = 0; cpu < nr_cpus; cpu++)
			if (next[cpu] < ct[cpu].o.nr &&
			    (best == nr_cpus ||
			     ct[cpu].o.ts[next[cpu]] < ct[best].o.ts[next[best]]))
				best = cpu;
		if (best == nr_cpus)
			break;
		{
			const struct text_out *o = &ct[best].o;
			size_t i = next[best]++;
			size_t end = i + 1 < o->nr ? o->off[i + 1] : ct[best].len;

			fwrite(ct[best].text + o->off[i], 1, end - o->off[i], f);
		}
	}
	fclose(f);
	free(next);
	err = write_file(root, "trace", text, len);
	if (!err)
		err = write_file(root, "trace_pipe", text, len);
	free(text);
	return err;
}

/*
 * Mainline 7.x: remotes/hypervisor/ with text only: per_cpu/cpuN/trace and
 * trace_pipe, the merged trace and trace_pipe, the control files and the
 * events/ directory.  A CPU that lost events starts with the kernel's
 * "CPU:N [LOST n EVENTS]" line.
 */
static struct hypmem_error *export_mainline(struct hypmem_trace *tr, const char *dir)
{
	char *root = path_join(dir, "remotes/hypervisor");
	struct cpu_text *ct = calloc(tr->nr_cpus ? tr->nr_cpus : 1, sizeof(*ct));
	struct hypmem_error *err;
	char kb[32];
	int n;

	if (!root || !ct) {
		free(root);
		free(ct);
		return &hypmem_enomem;
	}
	{
		uint64_t pages = 0; /* per CPU, as buffer_size_kb counts */

		for (unsigned int cpu = 0; cpu < tr->nr_cpus; cpu++)
			pages = tr->cpus[cpu].st.nr_pages > pages ? tr->cpus[cpu].st.nr_pages : pages;
		n = snprintf(kb, sizeof(kb), "%" PRIu64 "\n", pages * DEFAULT_PAGE_SIZE / 1024);
	}
	if ((err = mkdir_p(root)) || (err = write_file(root, "trace_clock", "[boot]\n", 7)) ||
	    (err = write_file(root, "tracing_on", "0\n", 2)) ||
	    (err = write_file(root, "buffer_size_kb", kb, (size_t)n)) ||
	    (err = write_remote_events(tr, root, "hypervisor", DEFAULT_PAGE_SIZE - 16)))
		goto out;
	for (unsigned int cpu = 0; cpu < tr->nr_cpus && !err; cpu++) {
		struct cpu_state *c = &tr->cpus[cpu];
		struct text_out *o = &ct[cpu].o;
		char *cpudir = NULL;

		o->tr = tr;
		o->cpu = cpu;
		o->pending_lost = c->st.lost;
		if (asprintf(&cpudir, "%s/per_cpu/cpu%u", root, cpu) < 0 ||
		    !(o->f = open_memstream(&ct[cpu].text, &ct[cpu].len))) {
			free(cpudir);
			err = &hypmem_enomem;
			break;
		}
		walk_kept(tr, c, text_line, o);
		if (o->pending_lost && text_mark(o, UINT64_MAX))
			fprintf(o->f, "CPU:%u [LOST %" PRIu64 " EVENTS]\n", cpu, o->pending_lost);
		fclose(o->f);
		if (o->failed)
			err = &hypmem_enomem;
		else if (!(err = mkdir_p(cpudir)) &&
			 !(err = write_file(cpudir, "trace", ct[cpu].text, ct[cpu].len)))
			err = write_file(cpudir, "trace_pipe", ct[cpu].text, ct[cpu].len);
		free(cpudir);
	}
	if (!err)
		err = write_merged_text(root, ct, tr->nr_cpus);
out:
	for (unsigned int cpu = 0; cpu < tr->nr_cpus; cpu++) {
		free(ct[cpu].text);
		free(ct[cpu].o.ts);
		free(ct[cpu].o.off);
	}
	free(ct);
	free(root);
	return err;
}

struct page_out {
	struct hypmem_trace *tr;
	uint8_t *pages; /* whole pages of page_size, the last footer-sized bytes zero */
	size_t nr, cap;
	struct hypmem_rb_writer w;
	uint8_t data[DEFAULT_PAGE_SIZE];
	bool open;
	uint64_t lost; /* for the first page */
	bool failed;
};

static void page_out_close(struct page_out *o)
{
	uint8_t *n;

	if (!o->open)
		return;
	o->open = false;
	hypmem_rb_writer_finish(&o->w, o->lost);
	o->lost = 0;
	if (o->nr == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 16;
		if (!(n = realloc(o->pages, o->cap * DEFAULT_PAGE_SIZE))) {
			o->failed = true;
			return;
		}
		o->pages = n;
	}
	memset(o->pages + o->nr * DEFAULT_PAGE_SIZE, 0, DEFAULT_PAGE_SIZE);
	memcpy(o->pages + o->nr * DEFAULT_PAGE_SIZE, o->data, DEFAULT_PAGE_SIZE - ANDROID_FOOTER);
	o->nr++;
}

static bool page_event(const struct hypmem_rb_event *e, void *arg)
{
	struct page_out *o = arg;

	for (int tries = 0; tries < 2; tries++) {
		if (!o->open) {
			hypmem_rb_writer_start(&o->w, o->data, DEFAULT_PAGE_SIZE - ANDROID_FOOTER,
					       e->ts);
			o->w.reserve = o->lost ? 8 : 0;
			o->w.exact = true; /* the hypervisor's records as it wrote them */
			o->open = true;
		}
		if (hypmem_rb_writer_add(&o->w, e->ts, e->payload, e->len))
			return true;
		page_out_close(o);
	}
	o->failed = true;
	return false;
}

/* Android: hyp/ with raw pages that end in a 32-byte footer. */
static struct hypmem_error *export_android(struct hypmem_trace *tr, const char *dir)
{
	char *root = path_join(dir, "hyp");
	struct hypmem_error *err;

	if (!root)
		return &hypmem_enomem;
	if ((err = mkdir_p(root)) || (err = write_file(root, "trace_clock", "[boot]\n", 7)) ||
	    (err = write_remote_events(tr, root, "hyp",
				       DEFAULT_PAGE_SIZE - 16 - ANDROID_FOOTER)))
		goto out;
	for (unsigned int cpu = 0; cpu < tr->nr_cpus && !err; cpu++) {
		struct cpu_state *c = &tr->cpus[cpu];
		struct page_out *o = calloc(1, sizeof(*o));
		char *cpudir = NULL;

		if (!o || asprintf(&cpudir, "%s/per_cpu/cpu%u", root, cpu) < 0) {
			free(o);
			err = &hypmem_enomem;
			break;
		}
		o->tr = tr;
		o->lost = c->st.lost;
		walk_kept(tr, c, page_event, o);
		page_out_close(o);
		if (o->failed)
			err = &hypmem_enomem;
		else if (!(err = mkdir_p(cpudir)))
			err = write_file(cpudir, "trace_pipe_raw", o->pages, o->nr * DEFAULT_PAGE_SIZE);
		free(o->pages);
		free(o);
		free(cpudir);
	}
out:
	free(root);
	return err;
}

struct hypmem_error *hypmem_trace_export_tracefs(struct hypmem_trace *tr, const char *dir,
						 enum hypmem_tracefs_shape shape)
{
	if (tr->kind == SRC_TRACEFS && tr->flavour == TFS_TEXT)
		return hypmem_error_create(HYPMEM_ERROR_INVALID_ARGUMENT,
					   "a text remote keeps no pages to export");
	return shape == HYPMEM_TRACEFS_ANDROID ? export_android(tr, dir) : export_mainline(tr, dir);
}
