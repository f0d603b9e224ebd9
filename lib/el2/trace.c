// SPDX-License-Identifier: GPL-2.0-only
/*
 * The hypervisor's trace writer: one ring of pages per CPU, written only by
 * that CPU, in the Linux ring-buffer page format (see el2/trace.h).
 *
 * The ring, for a buffer of 5 pages (ids 0..4), after some writing:
 *
 *        reader page: [0]           (outside the ring, owned by the host)
 *        ring:  [1] -> [2] -> [3] -> [4] -> back to [1]
 *                head   ...    tail
 *
 * The writer appends to the tail page; when an event does not fit it moves
 * to the next page, without padding (the old page's commit simply stops).
 * Moving onto the head page while the head still holds events overwrites
 * them (overwrite mode, as upstream): meta->overrun grows by the page's
 * entries, meta->pages_lost by one, and the head moves on.  The host consumes
 * through __tracing_swap_reader(): the head page leaves the ring and becomes
 * the reader page, the old reader page takes its place, and meta->reader.id
 * tells the host which page to read.  If the head was also the tail, the
 * writer keeps appending to the page the host now reads (the host re-reads
 * commit) and, when it moves on, continues into the ring where that page
 * used to be.
 *
 * Invariant: head_page is the oldest page in the ring that may hold unread
 * events; a page becomes "empty" (write = entries = commit = 0) when the
 * writer moves onto it or when it goes back into the ring as the old reader.
 *
 * Concurrency: each ring is written and swapped by its own CPU only; the
 * status word (READY -> WRITING by compare-and-swap) turns a re-entrant write
 * (an exception taken while writing) into a dropped event, as upstream.
 * Commit is a store-release, so a reader that load-acquires commit sees the
 * event bytes before it.
 */
#include "el2/mm.h"
#include "el2/printk.h"
#include "el2/string.h"
#include "el2/trace.h"

/* The kernel's shape: a per-CPU ring, and one backing array of bpages. */
static DEFINE_PER_CPU(struct simple_rb_per_cpu, __simple_rbs);
struct hyp_trace_buffer trace_buffer;
u8 hyp_event_enabled[HYP_NR_EVENTS];

static struct simple_buffer_page trace_bpages_backing[HYP_MAX_CPUS * HYP_TRACE_MAX_PAGES];
static unsigned int trace_nr_cpus; /* CPUs with a loaded ring */
static u32 trace_enabled;

/* Our own record of what each CPU wrote, for the ground truth. */
static struct trace_cpu_truth {
	u64 dropped; /* events refused (re-entrancy, event too big) */
	u64 hash;    /* FNV-1a over every committed payload, in order */
	u64 first_ts, last_ts;
} trace_truth[HYP_MAX_CPUS];

struct simple_rb_per_cpu *hyp_trace_rb(unsigned int cpu)
{
	if (cpu >= READ_ONCE(trace_nr_cpus))
		return NULL;
	return per_cpu_ptr(trace_buffer.simple_rbs, cpu);
}

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL

static u64 fnv1a(u64 h, const void *p, u32 len)
{
	const u8 *b = p;

	while (len--)
		h = (h ^ *b++) * FNV_PRIME;
	return h;
}

/* Little-endian 32-bit store that tolerates any alignment (-mstrict-align). */
static void put_u32(unsigned char *p, u32 v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/*
 * As in the kernel's ring, the link that points to the head page carries
 * RB_PAGE_HEAD in the low bits of its next pointer: a reader of memory
 * finds the true head from the links (head_page is only a hint there).
 */
#define RB_PAGE_HEAD 1UL
#define RB_FLAG_MASK 3UL

static struct list_head *rb_list(struct list_head *p)
{
	return (struct list_head *)((unsigned long)p & ~RB_FLAG_MASK);
}

static struct simple_buffer_page *rb_next_page(struct simple_buffer_page *bpage)
{
	return container_of(rb_list(bpage->link.next), struct simple_buffer_page, link);
}

/* Set or clear the HEAD flag on the link that points to @head. */
static void rb_flag_head(struct simple_buffer_page *head, bool on)
{
	struct list_head *prev = head->link.prev;
	unsigned long v = (unsigned long)rb_list(prev->next);

	WRITE_ONCE(prev->next, (struct list_head *)(on ? v | RB_PAGE_HEAD : v));
}

static void rb_page_reset(struct simple_buffer_page *bpage)
{
	bpage->write = 0;
	bpage->entries = 0;
	__atomic_store_n(&bpage->page->commit, 0, __ATOMIC_RELEASE);
	/* No event byte of the new use may become visible before commit = 0. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

/*
 * Move the tail to the next page.  If that page is the head and still holds
 * events, they are lost: account for them and advance the head.
 */
static void rb_move_tail(struct simple_rb_per_cpu *rb)
{
	struct simple_buffer_page *next = rb_next_page(rb->tail_page);

	if (next == rb->head_page && next->entries) {
		rb->meta->overrun += next->entries;
		rb->meta->pages_lost++;
		rb_flag_head(next, false);
		rb->head_page = rb_next_page(next);
		rb_flag_head(rb->head_page, true);
	}
	rb_page_reset(next);
	rb->meta->pages_touched++;
	rb->tail_page = next;
}

/*
 * Reserve @len payload bytes on the tail page; returns where the payload
 * goes.  Layout written here: [TIME_EXTEND 8 bytes]? [header 4][array[0] 4]
 * [payload @len].  The first event of a page sets the page's time_stamp and
 * carries delta 0.
 */
static unsigned char *rb_reserve(struct simple_rb_per_cpu *rb, u32 len, u64 ts)
{
	struct simple_buffer_page *tail = rb->tail_page;
	u64 delta = ts - rb->write_stamp;
	u32 ext = (tail->write && (delta >> TS_SHIFT)) ? 8 : 0;
	unsigned char *p;

	if (tail->write + ext + len + 8 > BUF_PAGE_SIZE) {
		rb_move_tail(rb);
		tail = rb->tail_page;
		ext = 0;
	}
	if (!tail->write) {
		tail->page->time_stamp = ts;
		delta = 0;
	}
	p = tail->page->data + tail->write;
	if (ext) {
		put_u32(p, RINGBUF_TYPE_TIME_EXTEND | (u32)((delta & TS_MASK) << 5));
		put_u32(p + 4, (u32)(delta >> TS_SHIFT));
		p += 8;
		delta = 0;
	}
	put_u32(p, (u32)(delta << 5)); /* type_len 0: long form */
	put_u32(p + 4, len + 4);
	tail->write += ext + 8 + len;
	rb->write_stamp = ts;
	return p + 8;
}

static void rb_commit(struct simple_rb_per_cpu *rb)
{
	struct simple_buffer_page *tail = rb->tail_page;

	__atomic_store_n(&tail->page->commit, (u64)tail->write, __ATOMIC_RELEASE);
	tail->entries++;
	rb->meta->entries++;
}

int hyp_trace_write(const void *payload, u32 len)
{
	unsigned int cpu = hyp_smp_processor_id();
	struct simple_rb_per_cpu *rb;
	struct trace_cpu_truth *tt;
	u32 ready = SIMPLE_RB_READY;
	u64 ts;

	if (!READ_ONCE(trace_enabled) || !(rb = hyp_trace_rb(cpu)))
		return -EBUSY;
	tt = &trace_truth[cpu];
	if (!__atomic_compare_exchange_n(&rb->status, &ready, SIMPLE_RB_WRITING, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		tt->dropped++;
		return -EBUSY;
	}
	if (len + 16 > BUF_PAGE_SIZE) {
		tt->dropped++;
		__atomic_store_n(&rb->status, SIMPLE_RB_READY, __ATOMIC_RELEASE);
		return -E2BIG;
	}
	ts = trace_clock();
	/* The clock must not run backwards on one CPU; clamp if it does. */
	if (ts < rb->write_stamp)
		ts = rb->write_stamp;
	memcpy(rb_reserve(rb, len, ts), payload, len);
	rb_commit(rb);
	tt->hash = fnv1a(tt->hash, payload, len);
	if (!tt->first_ts)
		tt->first_ts = ts;
	tt->last_ts = ts;
	__atomic_store_n(&rb->status, SIMPLE_RB_READY, __ATOMIC_RELEASE);
	return 0;
}

/* --- loading, as upstream's __tracing_load(): check the descriptor --- */

static int rb_init(struct simple_rb_per_cpu *rb, struct simple_buffer_page *bpages,
		   const struct ring_buffer_desc *rd, struct trace_cpu_truth *tt)
{
	unsigned int i;

	if (rd->nr_page_va < 3 || rd->nr_page_va > HYP_TRACE_MAX_PAGES)
		return -EINVAL;
	memset(rb, 0, sizeof(*rb));
	memset(tt, 0, sizeof(*tt));
	rb->bpages = bpages;
	rb->nr_pages = rd->nr_page_va;
	rb->meta = hyp_phys_to_virt(rd->meta_va);
	tt->hash = FNV_OFFSET;
	for (i = 0; i < rd->nr_page_va; i++) {
		bpages[i].page = hyp_phys_to_virt(rd->page_va[i]);
		bpages[i].id = i;
		bpages[i].write = 0;
		bpages[i].entries = 0;
		bpages[i].page->time_stamp = 0;
		bpages[i].page->commit = 0;
	}
	/* Page 0 is the reader page; 1..n-1 form the ring. */
	INIT_LIST_HEAD(&bpages[0].link);
	INIT_LIST_HEAD(&bpages[1].link);
	for (i = 2; i < rd->nr_page_va; i++)
		list_add_tail(&bpages[i].link, &bpages[1].link);
	rb->reader_page = &bpages[0];
	rb->head_page = rb->tail_page = &bpages[1];
	rb_flag_head(rb->head_page, true);

	memset(rb->meta, 0, PAGE_SIZE);
	rb->meta->meta_page_size = PAGE_SIZE;
	rb->meta->meta_struct_len = sizeof(*rb->meta);
	rb->meta->subbuf_size = PAGE_SIZE;
	rb->meta->nr_subbufs = rd->nr_page_va;
	rb->meta->reader.id = 0;
	rb->meta->pages_touched = 1;
	__atomic_store_n(&rb->status, SIMPLE_RB_READY, __ATOMIC_RELEASE);
	return 0;
}

static void tracing_unload_locked(void)
{
	WRITE_ONCE(trace_enabled, 0);
	memset(hyp_event_enabled, 0, sizeof(hyp_event_enabled));
	WRITE_ONCE(trace_nr_cpus, 0);
	trace_buffer.bpages_backing_size = 0;
}

/*
 * Each CPU's ring goes in its per-CPU instance of __simple_rbs (the host must
 * have given the CPU its per-CPU copy), its bpages[] one after another in
 * the backing array.
 */
static int tracing_load_locked(const struct trace_buffer_desc *desc, size_t size)
{
	const char *p = desc->__data, *end;
	size_t used = 0;
	int cpu, ret;

	if (size < sizeof(*desc) || desc->struct_len > size - sizeof(*desc) || desc->nr_cpus <= 0 ||
	    desc->nr_cpus > HYP_MAX_CPUS)
		return -EINVAL;
	end = p + desc->struct_len;
	tracing_unload_locked();
	trace_buffer.simple_rbs = &__simple_rbs;
	trace_buffer.bpages_backing_start = trace_bpages_backing;
	for (cpu = 0; cpu < desc->nr_cpus; cpu++) {
		const struct ring_buffer_desc *rd = (const void *)p;

		if ((size_t)(end - p) < sizeof(*rd) ||
		    (size_t)(end - p) < ring_buffer_desc_size(rd->nr_page_va) || rd->cpu != cpu ||
		    !kvm_arm_hyp_percpu_base[cpu])
			return -EINVAL;
		/* At most HYP_TRACE_MAX_PAGES per CPU: the backing holds them all. */
		ret = rb_init(per_cpu_ptr(trace_buffer.simple_rbs, cpu),
			      trace_bpages_backing + used, rd, &trace_truth[cpu]);
		if (ret)
			return ret;
		used += rd->nr_page_va;
		p += ring_buffer_desc_size(rd->nr_page_va);
	}
	trace_buffer.bpages_backing_size = used * sizeof(struct simple_buffer_page);
	WRITE_ONCE(trace_nr_cpus, (unsigned int)desc->nr_cpus);
	return 0;
}

int __tracing_load(const struct trace_buffer_desc *desc, size_t size)
{
	int ret;

	hyp_spin_lock(&trace_buffer.lock);
	ret = tracing_load_locked(desc, size);
	hyp_spin_unlock(&trace_buffer.lock);
	return ret;
}

void __tracing_unload(void)
{
	hyp_spin_lock(&trace_buffer.lock);
	tracing_unload_locked();
	hyp_spin_unlock(&trace_buffer.lock);
}

int __tracing_enable(bool enable)
{
	int ret = 0;

	hyp_spin_lock(&trace_buffer.lock);
	if (!trace_buffer.bpages_backing_size)
		ret = -ENOENT;
	else
		WRITE_ONCE(trace_enabled, enable);
	hyp_spin_unlock(&trace_buffer.lock);
	return ret;
}

int __tracing_enable_event(unsigned short id, bool enable)
{
	if (id >= HYP_NR_EVENTS)
		return -EINVAL;
	WRITE_ONCE(hyp_event_enabled[id], enable);
	return 0;
}

/* The writer must not run on @rb while we change the ring: take its status. */
static bool rb_lock(struct simple_rb_per_cpu *rb)
{
	u32 ready = SIMPLE_RB_READY;

	return __atomic_compare_exchange_n(&rb->status, &ready, SIMPLE_RB_WRITING, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static void rb_unlock(struct simple_rb_per_cpu *rb)
{
	__atomic_store_n(&rb->status, SIMPLE_RB_READY, __ATOMIC_RELEASE);
}

/*
 * Give the head page to the host as its new reader page and put the old
 * reader page, emptied, in its place.  The new head is the page after it.
 *
 * The host first stores in meta->reader.read how many bytes of the reader
 * page it consumed.  Events the writer appended since (it may still write to
 * the reader page, see above) must not be wiped: the swap is refused with
 * -EAGAIN until the host has read them.  While the writer is still on the
 * reader page there is nothing to swap in: the reader page stays and
 * meta->reader.id does not change.
 */
int __tracing_swap_reader(unsigned int cpu)
{
	struct simple_rb_per_cpu *rb;
	struct simple_buffer_page *head, *old;
	int ret = 0;

	if (!(rb = hyp_trace_rb(cpu)))
		return -ENODEV;
	if (!rb_lock(rb))
		return -EBUSY;
	old = rb->reader_page;
	if (READ_ONCE(rb->meta->reader.read) < old->write) {
		ret = -EAGAIN;
		goto unlock;
	}
	rb->meta->reader.lost_events = rb->meta->overrun - rb->last_overrun;
	rb->last_overrun = rb->meta->overrun;
	if (old == rb->tail_page)
		goto unlock;
	head = rb->head_page;
	rb_page_reset(old);
	rb_flag_head(head, false);
	/* old takes head's place in the ring; head keeps its stale links. */
	old->link.next = rb_list(head->link.next);
	old->link.prev = head->link.prev;
	old->link.next->prev = &old->link;
	old->link.prev->next = &old->link;
	rb->reader_page = head;
	rb->head_page = rb_next_page(old);
	rb_flag_head(rb->head_page, true);
	rb->meta->reader.id = head->id;
	rb->meta->reader.read = 0;
unlock:
	rb_unlock(rb);
	return ret;
}

int __tracing_reset(unsigned int cpu)
{
	struct simple_rb_per_cpu *rb;
	unsigned int i;

	if (!(rb = hyp_trace_rb(cpu)))
		return -ENODEV;
	if (!rb_lock(rb))
		return -EBUSY;
	for (i = 0; i < rb->nr_pages; i++)
		rb_page_reset(&rb->bpages[i]);
	rb->meta->entries = rb->meta->overrun = rb->meta->read = 0;
	rb->meta->pages_lost = 0;
	rb->meta->pages_touched = 1;
	rb->meta->reader.lost_events = 0;
	rb->last_overrun = 0;
	rb->write_stamp = 0;
	rb_unlock(rb);
	return 0;
}

/* --- the host's side in the hypmem image: donate pages, build the descriptor --- */

u64 hyp_trace_area_size(unsigned int nr_cpus, unsigned int pages_per_cpu)
{
	u64 desc =
	    sizeof(struct trace_buffer_desc) + nr_cpus * ring_buffer_desc_size(pages_per_cpu);

	return ((u64)nr_cpus * (pages_per_cpu + 1) << PAGE_SHIFT) + (u64)nr_cpus * HYP_PERCPU_SIZE +
	       PAGE_ALIGN(desc);
}

int hyp_trace_setup_area(void *area, u64 size, unsigned int nr_cpus, unsigned int pages_per_cpu)
{
	u64 need = hyp_trace_area_size(nr_cpus, pages_per_cpu);
	u64 rings = (u64)nr_cpus * (pages_per_cpu + 1) << PAGE_SHIFT;
	u64 percpu = (u64)nr_cpus * HYP_PERCPU_SIZE;
	char *pages = area, *p;
	struct trace_buffer_desc *desc;
	unsigned int cpu, i;
	int ret;

	if (!nr_cpus || nr_cpus > HYP_MAX_CPUS || pages_per_cpu < 3 ||
	    pages_per_cpu > HYP_TRACE_MAX_PAGES || size < need)
		return -EINVAL;
	/* Layout: each CPU's meta page and ring pages, the per-CPU copies, the descriptor. */
	ret = hyp_percpu_init(pages + rings, nr_cpus);
	if (ret)
		return ret;
	desc = (void *)(pages + rings + percpu);
	desc->nr_cpus = nr_cpus;
	desc->struct_len = nr_cpus * ring_buffer_desc_size(pages_per_cpu);
	p = desc->__data;
	for (cpu = 0; cpu < nr_cpus; cpu++) {
		struct ring_buffer_desc *rd = (void *)p;
		char *base = pages + ((u64)cpu * (pages_per_cpu + 1) << PAGE_SHIFT);

		rd->cpu = cpu;
		rd->nr_page_va = pages_per_cpu;
		rd->meta_va = hyp_virt_to_phys(base);
		for (i = 0; i < pages_per_cpu; i++)
			rd->page_va[i] = hyp_virt_to_phys(base + ((u64)(i + 1) << PAGE_SHIFT));
		p += ring_buffer_desc_size(pages_per_cpu);
	}
	ret = __tracing_load(desc, need - rings - percpu);
	if (ret)
		return ret;
	for (i = 0; i < HYP_NR_EVENTS; i++)
		__tracing_enable_event(i, true);
	return __tracing_enable(true);
}

/* --- format descriptions, generated from the same list --- */

struct fmt_writer {
	char *buf;
	u32 len, size;
};

static void fmt_puts(struct fmt_writer *w, const char *s)
{
	while (*s && w->len + 1 < w->size)
		w->buf[w->len++] = *s++;
	w->buf[w->len] = '\0';
}

static void fmt_field(struct fmt_writer *w, const char *type, const char *name, u32 offset,
		      u32 size, bool is_signed)
{
	char line[128];

	hyp_snprintf(line, sizeof(line), "\tfield:%s %s;\toffset:%u;\tsize:%u;\tsigned:%u;\n", type,
		     name, offset, size, is_signed ? 1 : 0);
	fmt_puts(w, line);
}

/* print fmt: the HE_PRINTK text with __entry-> spelled REC-> as tracefs does. */
static void fmt_print(struct fmt_writer *w, const char *printk)
{
	static const char from[] = "__entry->";

	fmt_puts(w, "\nprint fmt: ");
	while (*printk) {
		if (!strncmp(printk, from, sizeof(from) - 1)) {
			fmt_puts(w, "REC->");
			printk += sizeof(from) - 1;
			continue;
		}
		if (w->len + 1 < w->size)
			w->buf[w->len++] = *printk;
		printk++;
	}
	w->buf[w->len] = '\0';
	fmt_puts(w, "\n");
}

static void fmt_header(struct fmt_writer *w, const char *name, unsigned int id)
{
	char line[96];

	hyp_snprintf(line, sizeof(line), "name: %s\nID: %u\nformat:\n", name, id);
	fmt_puts(w, line);
	fmt_field(w, "unsigned short", "common_type", 0, 2, false);
	fmt_puts(w, "\n");
}

#define __stringify_1(...) #__VA_ARGS__
#define __stringify(...)   __stringify_1(__VA_ARGS__)
#define HE_PROTO(...)	   __VA_ARGS__
#define HE_STRUCT(...)	   __VA_ARGS__
#define HE_ASSIGN(...)	   __VA_ARGS__
#define HE_PRINTK(...)	   __VA_ARGS__
#define he_field(type, name)                                                                       \
	fmt_field(w, #type, #name, offsetof(ev_t, name), sizeof(((ev_t *)0)->name),                \
		  (type)-1 < (type)1);
#define HYP_EVENT(name, proto, str, assign, printk)                                                \
	static void fmt_##name(struct fmt_writer *w)                                               \
	{                                                                                          \
		typedef struct remote_event_format_##name ev_t;                                    \
                                                                                                   \
		(void)sizeof(ev_t);                                                                \
		fmt_header(w, #name, HYP_EVENT_ID_##name);                                         \
		str fmt_print(w, __stringify(printk));                                             \
	}
#include "el2/trace_events.h"
#undef HYP_EVENT
#undef he_field

int hyp_trace_format_text(char *buf, u32 size)
{
	struct fmt_writer w = {.buf = buf, .size = size};

	if (!size)
		return 0;
	buf[0] = '\0';

#define HYP_EVENT(name, proto, str, assign, printk) fmt_##name(&w);
#include "el2/trace_events.h"
#undef HYP_EVENT
	return w.len;
}

/* --- the ground truth: what each CPU wrote, from the writer's own record --- */

static struct {
	const char *name;
	unsigned int cpu;
	u64 entries, ts;
} trace_marks[HYP_TRACE_MAX_MARKS];
static u32 nr_trace_marks;

void hyp_trace_mark(const char *name)
{
	unsigned int cpu = hyp_smp_processor_id();
	u32 i = __atomic_fetch_add(&nr_trace_marks, 1, __ATOMIC_RELAXED);
	struct simple_rb_per_cpu *rb = hyp_trace_rb(cpu);

	if (i >= HYP_TRACE_MAX_MARKS || !rb)
		return;
	trace_marks[i].name = name;
	trace_marks[i].cpu = cpu;
	trace_marks[i].entries = rb->meta->entries;
	trace_marks[i].ts = trace_truth[cpu].last_ts;
}

void hyp_trace_truth_print(void)
{
	unsigned int cpu;
	u32 i;

	hyp_printf("\"trace\": {\"nr_cpus\": %u, \"events\": {", trace_nr_cpus);
#define HYP_EVENT(name, proto, str, assign, printk)                                                \
	hyp_printf("%s\"%s\": %u", HYP_EVENT_ID_##name ? ", " : "", #name, HYP_EVENT_ID_##name);
#include "el2/trace_events.h"
#undef HYP_EVENT
	hyp_printf("},\n    \"cpus\": [");
	for (cpu = 0; cpu < trace_nr_cpus; cpu++) {
		struct simple_rb_per_cpu *rb = hyp_trace_rb(cpu);
		struct trace_cpu_truth *tt = &trace_truth[cpu];

		hyp_printf("%s\n      {\"cpu\": %u, \"nr_pages\": %u, \"entries\": %llu, "
			   "\"overrun\": %llu, \"pages_lost\": %llu, \"pages_touched\": %llu, "
			   "\"dropped\": %llu, \"hash\": \"0x%llx\", \"first_ts\": %llu, "
			   "\"last_ts\": %llu}",
			   cpu ? "," : "", cpu, rb->nr_pages, (unsigned long long)rb->meta->entries,
			   (unsigned long long)rb->meta->overrun,
			   (unsigned long long)rb->meta->pages_lost,
			   (unsigned long long)rb->meta->pages_touched,
			   (unsigned long long)tt->dropped, (unsigned long long)tt->hash,
			   (unsigned long long)tt->first_ts, (unsigned long long)tt->last_ts);
	}
	hyp_printf("],\n    \"marks\": [");
	for (i = 0; i < nr_trace_marks && i < HYP_TRACE_MAX_MARKS; i++)
		if (trace_marks[i].name)
			hyp_printf("%s{\"name\": \"%s\", \"cpu\": %u, \"entries\": %llu, "
				   "\"ts\": %llu}",
				   i ? ", " : "", trace_marks[i].name, trace_marks[i].cpu,
				   (unsigned long long)trace_marks[i].entries,
				   (unsigned long long)trace_marks[i].ts);
	hyp_printf("]}");
}
