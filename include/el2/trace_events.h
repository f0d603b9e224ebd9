/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The hypervisor's tracepoints: the ONE list.  Every other description of an
 * event (the struct EL2 writes, the trace_<name>() call, the event id, the
 * tracefs-style "format" text a host would publish) is generated from it.
 *
 * This file has no include guard on purpose: include/el2/trace.h includes it
 * several times with different definitions of the macros below, the way the
 * kernel's define_trace.h / define_remote_events.h do with kvm_hypevents.h.
 *
 *   HYP_EVENT(name, HE_PROTO(args), HE_STRUCT(fields), HE_ASSIGN(stmts),
 *             HE_PRINTK(fmt, args))
 *   he_field(type, name)     one payload member, in C struct order
 *
 * Kernel names where upstream has the event (hyp_enter, hyp_exit, and the
 * host_hcall / host_smc / host_mem_abort of the Android hyp events); the
 * memory events are ours.  Event ids are positions in this list (0, 1, ...),
 * and the list is kept in name order, as Linux 7.x numbers its events: a
 * reader of a dump, which has no format text, numbers the DWARF structs
 * remote_event_format_* in name order and gets these ids.
 */

/* One argument per line, as the kernel lays out its event lists. */
/* clang-format off */
HYP_EVENT(host_hcall,
	  HE_PROTO(u32 id, u8 invalid),
	  HE_STRUCT(he_field(u32, id) he_field(u8, invalid)),
	  HE_ASSIGN(__entry->id = id; __entry->invalid = invalid;),
	  HE_PRINTK("id=%u invalid=%u", __entry->id, __entry->invalid))

HYP_EVENT(host_mem_abort,
	  HE_PROTO(u64 esr, u64 addr),
	  HE_STRUCT(he_field(u64, esr) he_field(u64, addr)),
	  HE_ASSIGN(__entry->esr = esr; __entry->addr = addr;),
	  HE_PRINTK("esr=0x%llx addr=0x%llx", __entry->esr, __entry->addr))

HYP_EVENT(host_smc,
	  HE_PROTO(u64 id, u8 forwarded),
	  HE_STRUCT(he_field(u64, id) he_field(u8, forwarded)),
	  HE_ASSIGN(__entry->id = id; __entry->forwarded = forwarded;),
	  HE_PRINTK("id=%llu forwarded=%u", __entry->id, __entry->forwarded))

HYP_EVENT(hyp_enter,
	  HE_PROTO(void),
	  HE_STRUCT(),
	  HE_ASSIGN(),
	  HE_PRINTK(" "))

HYP_EVENT(hyp_exit,
	  HE_PROTO(void),
	  HE_STRUCT(),
	  HE_ASSIGN(),
	  HE_PRINTK(" "))

/* A block left a pool: @pool is the hyp VA of its struct hyp_pool. */
HYP_EVENT(hyp_page_alloc,
	  HE_PROTO(u64 pool, u64 pfn, u8 order),
	  HE_STRUCT(he_field(u64, pool) he_field(u64, pfn) he_field(u8, order)),
	  HE_ASSIGN(__entry->pool = pool; __entry->pfn = pfn; __entry->order = order;),
	  HE_PRINTK("pool=0x%llx pfn=0x%llx order=%u", __entry->pool, __entry->pfn,
		    __entry->order))

/* The last reference to a block was dropped: it goes back to @pool. */
HYP_EVENT(hyp_page_free,
	  HE_PROTO(u64 pool, u64 pfn, u8 order),
	  HE_STRUCT(he_field(u64, pool) he_field(u64, pfn) he_field(u8, order)),
	  HE_ASSIGN(__entry->pool = pool; __entry->pfn = pfn; __entry->order = order;),
	  HE_PRINTK("pool=0x%llx pfn=0x%llx order=%u", __entry->pool, __entry->pfn,
		    __entry->order))
/* clang-format on */
