/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Hypervisor tracing: per-CPU ring buffers in the Linux ring-buffer page
 * format, laid out as upstream "trace remotes" lay them out, so that a host
 * reads our buffers exactly as it reads tracefs remotes/hypervisor/.
 *
 * Shared with the host (the ABI):
 *   - struct trace_buffer_meta, one meta page per CPU (uapi trace_mmap.h);
 *   - data pages: struct buffer_data_page {time_stamp, commit, data[]}, events
 *     with a 32-bit header {type_len:5, time_delta:27}, always the long form
 *     (type_len 0, array[0] = payload + 4, no rounding), TIME_EXTEND when a
 *     delta needs more than 27 bits;
 *   - page ids: index in the descriptor's page_va[]; id 0 starts as the
 *     reader page, ids 1..n-1 form the ring;
 *   - the payload: struct remote_event_hdr {u16 id} then the event's fields:
 *     struct remote_event_format_<name>, ids in name order.  No format text
 *     lives in the hypervisor's memory; a reader of a dump takes record
 *     layouts from the image's DWARF, as it does for Linux 7.x.
 * Hyp-private, with the kernel's names and layouts so that a dump reads like
 * a 7.x one: trace_buffer (struct hyp_trace_buffer) with a per-CPU pointer
 * to struct simple_rb_per_cpu (el2/percpu.h), the simple_buffer_page backing
 * array, and the ring links, whose next pointer carries the HEAD flag on the
 * link to the true head.
 *
 * What this module leaves to others: the host's reading (lib/hypmem/
 * ringbuf.c), the clock (arch hook below), the CPU number (el2/percpu.h), and where the
 * pages come from (the host donates them; in the hypmem image, boot code
 * playing the host carves them below the hyp carve-out).
 */
#ifndef EL2_TRACE_H
#define EL2_TRACE_H

#include "el2/list.h"
#include "el2/percpu.h"
#include "el2/spinlock.h"
#include "el2/types.h"

#define HYP_TRACE_MAX_PAGES  4096 /* per CPU, reader page included */
#define HYP_TRACE_FORMATS_SZ 8192

#ifndef EAGAIN
#define EAGAIN 11
#endif
#ifndef ENODEV
#define ENODEV 19
#endif

/* --- the page format (include/linux/ring_buffer.h, ring_buffer_types.h) --- */
struct buffer_data_page {
	u64 time_stamp; /* page timestamp: event deltas start from it */
	u64 commit;	/* committed bytes of data[]; flag bits 30-31 */
	unsigned char data[];
};
#define BUF_PAGE_HDR_SIZE offsetof(struct buffer_data_page, data)
#define BUF_PAGE_SIZE	  (PAGE_SIZE - BUF_PAGE_HDR_SIZE)

#define RB_MISSED_EVENTS (1UL << 31)
#define RB_MISSED_STORED (1UL << 30)

enum ring_buffer_type {
	RINGBUF_TYPE_DATA_TYPE_LEN_MAX = 28,
	RINGBUF_TYPE_PADDING,
	RINGBUF_TYPE_TIME_EXTEND,
	RINGBUF_TYPE_TIME_STAMP,
};
#define RB_EVNT_HDR_SIZE 4
#define TS_SHIFT	 27
#define TS_MASK		 ((1ULL << TS_SHIFT) - 1)

/* --- the meta page (include/uapi/linux/trace_mmap.h) --- */
struct trace_buffer_meta {
	u32 meta_page_size;
	u32 meta_struct_len;
	u32 subbuf_size;
	u32 nr_subbufs;
	struct {
		u64 lost_events;
		u32 id;
		u32 read;
	} reader;
	u64 flags;
	u64 entries;
	u64 overrun;
	u64 read;
	u64 pages_lost;
	u64 pages_touched;
};

/*
 * The descriptor the host hands to __tracing_load() (struct trace_buffer_desc
 * followed by one struct ring_buffer_desc per CPU, each variable-length).
 * Upstream the addresses are host kernel VAs; the hypmem image has no host
 * kernel, so its "host VAs" are physical addresses.
 */
struct ring_buffer_desc {
	int cpu;
	unsigned int nr_page_va;
	unsigned long meta_va;
	unsigned long page_va[];
};

struct trace_buffer_desc {
	int nr_cpus;
	size_t struct_len; /* bytes of __data */
	char __data[];
};

static inline size_t ring_buffer_desc_size(unsigned int nr_page_va)
{
	return sizeof(struct ring_buffer_desc) + nr_page_va * sizeof(unsigned long);
}

/* --- hyp-private writer state (kernel/trace/simple_ring_buffer.c names) --- */
struct simple_buffer_page {
	struct list_head link; /* ring order; the reader page is outside */
	struct buffer_data_page *page;
	u64 entries; /* events committed on this page */
	u32 write;   /* bytes reserved on this page */
	u32 id;
};

enum simple_rb_status {
	SIMPLE_RB_UNAVAILABLE = 0,
	SIMPLE_RB_READY,
	SIMPLE_RB_WRITING,
};

struct simple_rb_cbs; /* upstream: the writer's callbacks; none here */

struct simple_rb_per_cpu {
	struct simple_buffer_page *tail_page;
	struct simple_buffer_page *reader_page;
	struct simple_buffer_page *head_page; /* a hint: the HEAD link is the truth */
	struct simple_buffer_page *bpages;
	struct trace_buffer_meta *meta;
	u32 nr_pages; /* reader page included */
	u32 status;
	u64 last_overrun;
	u64 write_stamp;
	struct simple_rb_cbs *cbs;
};

struct hyp_trace_buffer {
	struct simple_rb_per_cpu *simple_rbs; /* per-CPU: per_cpu_ptr(simple_rbs, cpu) */
	void *bpages_backing_start;	      /* every CPU's bpages[], one after another */
	size_t bpages_backing_size;	      /* bytes in use; 0: not loaded */
	hyp_spinlock_t lock;		      /* load, unload, enable */
};

extern struct hyp_trace_buffer trace_buffer;

/* CPU @cpu's ring, or NULL when @cpu has none loaded. */
struct simple_rb_per_cpu *hyp_trace_rb(unsigned int cpu);

/*
 * Arch hook (lib/el2/arch/arm64/trace_arch.c, lib/el2/host/trace_host.c); the
 * CPU number is hyp_smp_processor_id() (el2/percpu.h).
 */
u64 trace_clock(void); /* boot-clock nanoseconds */

/* --- the events, generated from el2/trace_events.h --- */
struct remote_event_hdr {
	unsigned short id;
};

#define HE_PROTO(...)	     __VA_ARGS__
#define HE_STRUCT(...)	     __VA_ARGS__
#define HE_ASSIGN(...)	     __VA_ARGS__
#define HE_PRINTK(...)	     __VA_ARGS__
#define he_field(type, name) type name;

/* Ids: the position in the list. */
#define HYP_EVENT(name, proto, str, assign, printk) HYP_EVENT_ID_##name,
enum hyp_event_id {
#include "el2/trace_events.h"
	HYP_NR_EVENTS
};
#undef HYP_EVENT

/* Payload structs, ordinary C layout as upstream (not packed). */
#define HYP_EVENT(name, proto, str, assign, printk)                                                \
	struct remote_event_format_##name {                                                        \
		struct remote_event_hdr hdr;                                                       \
		str                                                                                \
	};
#include "el2/trace_events.h"
#undef HYP_EVENT

extern u8 hyp_event_enabled[HYP_NR_EVENTS];

/**
 * hyp_trace_write() - Reserve, copy and commit one event on this CPU.
 * @payload: the event (remote_event_hdr first), @len bytes.
 *
 * Return: 0, or -EBUSY (buffer busy: re-entered, or not loaded/enabled),
 * -E2BIG (larger than a page can hold).  A refused event is counted in the
 * CPU's "dropped", never written.
 */
int hyp_trace_write(const void *payload, u32 len);

/* trace_<name>(args): nothing but a flag test when tracing is off. */
#define HYP_EVENT(name, proto, str, assign, printk)                                                \
	static inline void trace_##name(proto)                                                     \
	{                                                                                          \
		struct remote_event_format_##name __ev, *__entry = &__ev;                          \
                                                                                                   \
		if (!READ_ONCE(hyp_event_enabled[HYP_EVENT_ID_##name]))                            \
			return;                                                                    \
		__builtin_memset(&__ev, 0, sizeof(__ev));                                          \
		__ev.hdr.id = HYP_EVENT_ID_##name;                                                 \
		assign(void) __entry;                                                              \
		hyp_trace_write(&__ev, sizeof(__ev));                                              \
	}
#include "el2/trace_events.h"
#undef HYP_EVENT

#undef he_field
#undef HE_PROTO
#undef HE_STRUCT
#undef HE_ASSIGN
#undef HE_PRINTK

/* --- the host's interface (upstream: hypercalls) --- */
int __tracing_load(const struct trace_buffer_desc *desc, size_t size);
void __tracing_unload(void);
int __tracing_enable(bool enable);
int __tracing_enable_event(unsigned short id, bool enable);
int __tracing_swap_reader(unsigned int cpu);
int __tracing_reset(unsigned int cpu);

/*
 * hyp_trace_format_text() - The host's side: tracefs-style "format" text of
 * every event (as a host writes events/hypervisor/<name>/format), generated
 * from the event list, with the real offsets.  Nothing in the hypervisor
 * keeps it.  Returns its length (at most @size - 1; @buf is NUL-terminated).
 */
int hyp_trace_format_text(char *buf, u32 size);

/*
 * hyp_trace_setup_area() - Play the host: lay out @nr_cpus buffers of
 * @pages_per_cpu data pages (reader included) plus a meta page each, the
 * CPUs' per-CPU copies (hyp_percpu_init()) and the descriptor, in [@area,
 * @area + @size) (hyp VAs, page aligned), then load.
 * The descriptor's "host VAs" are hyp_virt_to_phys() of the pages.
 */
int hyp_trace_setup_area(void *area, u64 size, unsigned int nr_cpus, unsigned int pages_per_cpu);

/* Bytes hyp_trace_setup_area() needs. */
u64 hyp_trace_area_size(unsigned int nr_cpus, unsigned int pages_per_cpu);

/*
 * hyp_trace_mark() - Note, for the ground truth, how many events this CPU
 * has committed so far ("marks": [{name, cpu, entries, ts}]), so a test can
 * tell which events a phase of the workload wrote.  @name must be a string
 * literal.  At most HYP_TRACE_MAX_MARKS marks; later ones are ignored.
 */
#define HYP_TRACE_MAX_MARKS 8
void hyp_trace_mark(const char *name);

/* The "trace" object of the ground truth (no leading comma). */
void hyp_trace_truth_print(void);

#endif /* EL2_TRACE_H */
