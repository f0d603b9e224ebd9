/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Inside the trace reader: the state the files of lib/hypmem/trace*.c
 * share.  trace.c: pages into pending records, the merge, counting, the
 * accessors; trace_target.c: a target's buffers (dumps, live RAM);
 * trace_tracefs.c: a tracefs remote (raw pages, text pipes);
 * trace_export.c: the kept pages written as a kernel-shaped tracefs tree.
 */
#ifndef HYPMEM_TRACE_PRIV_H
#define HYPMEM_TRACE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "hypmem/decode.h"
#include "hypmem/ringbuf.h"
#include "hypmem/trace.h"
#include "pipe_reader.h"

#define DEFAULT_PAGE_SIZE 4096
#define MAX_PAGE_SIZE	  (64 * 1024)
#define MAX_RB_PAGES	  (1U << 20)
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
	uint64_t rb_pa;	 /* kernel layout: this CPU's struct simple_rb_per_cpu */
	uint64_t *bp_va; /* kernel layout: hyp VA of bpages[i] */
	uint32_t *bp_id; /* kernel layout: id of bpages[i] */
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
	uint8_t *rbuf;	   /* read buffer of RBUF_PAGES pages */
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
	size_t nr_kept, cap_kept; /* pages */
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
	/* struct trace_buffer_meta (the per-CPU meta page): the counters read */
	uint32_t meta_size;
	uint32_t off_entries, off_overrun, off_pages_lost, off_pages_touched;
	uint32_t sz_entries, sz_overrun, sz_pages_lost, sz_pages_touched;
};

struct trace_source_ops;
struct counter;

struct hypmem_trace {
	enum source_kind kind;
	const struct trace_source_ops *ops;
	unsigned int nr_slots; /* cpus[] entries allocated */
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
	/* Targets: the hyp_pool variables, to name pool= values (read once). */
	struct hypmem_pool *pools;
	size_t nr_pools;
	bool pools_read;
	struct {
		uint64_t va;
		const char *name; /* NULL: no pool there */
	} pool_va[16];
	unsigned int nr_pool_va;
	struct hypmem_findings findings;
	uint8_t *arena;
	size_t arena_len, arena_cap;
};

static inline uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
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

/* Reserve @n bytes in the arena; returns the offset, or SIZE_MAX. */
size_t trace_arena_alloc(struct hypmem_trace *tr, size_t n);
/* Keep a copy of @page (tr->page_size bytes) for export. */
struct hypmem_error *trace_keep_page(struct hypmem_trace *tr, struct cpu_state *c,
				     const uint8_t *page);
/* Decode @page (which stays put until its records are delivered). */
struct hypmem_error *trace_decode_page(struct hypmem_trace *tr, struct cpu_state *c,
				       unsigned int cpu, const uint8_t *page, uint32_t from,
				       uint64_t where, hypmem_rb_event_fn fn, void *arg,
				       struct hypmem_error **cb_err,
				       struct hypmem_findings *findings,
				       struct hypmem_rb_page_info *info);

/* Pending records of one page under way (trace_collect_event()'s @arg). */
struct collect {
	struct hypmem_trace *tr;
	struct cpu_state *c;
	const uint8_t *base; /* payload offsets are relative to this */
	struct hypmem_error *err;
	uint64_t lost; /* a LOST record to emit before the next event */
	bool have_lost;
};

bool trace_collect_event(const struct hypmem_rb_event *ev, void *arg);

struct hypmem_error *trace_target_collect_cpu(struct hypmem_trace *tr, unsigned int cpu);

/*
 * Decode @c's next trace_pipe_raw page(s) into c->recs, until one yields a
 * record or the file has no whole page left (c->done).
 */
struct hypmem_error *trace_tracefs_next_page(struct hypmem_trace *tr, unsigned int cpu);

void trace_tracefs_start_deadline(struct hypmem_trace *tr);

/* Add a CPU's findings of this poll to the reader's, as if added there. */
struct hypmem_error *trace_tracefs_flush_findings(struct hypmem_trace *tr, struct cpu_state *c);

/*
 * Refill @c's read buffer from its pipe so that a whole unit lies at rpos.
 * Waits for the pipe only until the poll's deadline; after it, takes at most
 * one more buffer's worth (reading the hypervisor's trace makes it trace).
 * Return: *@have if there is one; else c->done.
 */
struct hypmem_error *trace_tracefs_fill(struct hypmem_trace *tr, struct cpu_state *c,
					unsigned int cpu, bool *have);

/*
 * A trace_pipe_raw page flagged "missed events": account them and return
 * true with the count (or HYPMEM_TRACE_LOST_UNKNOWN) in *@lost.
 */
bool trace_tracefs_page_missed(struct hypmem_trace *tr, struct cpu_state *c, const uint8_t *page,
			       uint64_t *lost);

char *trace_path_join(const char *a, const char *b);

/*
 * What differs between the sources (a target, a tracefs remote): the merge
 * (hypmem_trace_poll()) and the counting (hypmem_trace_poll_counts()) call
 * only these.
 */
struct trace_source_ops {
	/* Before each poll (NULL: nothing). */
	void (*poll_begin)(struct hypmem_trace *tr);
	/* At the start of a poll, all of @cpu's new records at once (NULL: none). */
	struct hypmem_error *(*collect)(struct hypmem_trace *tr, unsigned int cpu);
	/* When @cpu's pending records run out, its next ones (NULL: none). */
	struct hypmem_error *(*more)(struct hypmem_trace *tr, unsigned int cpu);
	/* The buffer @c's pending_rec.off values count from. */
	const uint8_t *(*payloads)(const struct hypmem_trace *tr, const struct cpu_state *c);
	/* Count one CPU's new events (co->cpu), without the merge. */
	struct hypmem_error *(*count)(struct hypmem_trace *tr, struct counter *co);
	/* After each poll (NULL: nothing). */
	struct hypmem_error *(*poll_end)(struct hypmem_trace *tr);
};

/* One CPU's counting under way (hypmem_trace_poll_counts()). */
struct counter {
	struct hypmem_trace_counts *k;
	struct cpu_state *c;
	unsigned int cpu;
	bool first; /* no event of this CPU seen yet in this poll */
	bool stop;
	hypmem_trace_fn fn;
	void *arg;
};

/* Count one event of co->cpu; false if the caller's fn stopped the poll. */
bool trace_count_one(struct counter *co, uint64_t ts, const uint8_t *payload, uint32_t len);

#endif /* HYPMEM_TRACE_PRIV_H */
