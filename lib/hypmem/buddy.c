// SPDX-License-Identifier: GPL-2.0-only
/*
 * Buddy pools (struct hyp_pool): free lists walked and checked.
 *
 * Every pointer on a free list is a claim.  A node must be a hyp linear VA
 * of a page-aligned page inside the pool (or, in the v5.13 layout, the
 * "node" member of a vmemmap entry of such a page); its vmemmap entry must
 * say refcount 0 and the list's order; the block must be aligned to its
 * order and end inside the pool; its tail pages must carry HYP_NO_ORDER.
 * Walks are capped at one step per pool page and run Brent's cycle
 * detection.  After the walk, two checks need the whole picture: the buddy
 * of a free block of order k is not itself a free block of order k (they
 * would have merged), and every free head in the vmemmap is on a list.
 *
 * The list heads of orders at or above max_order may be uninitialised (the
 * kernel only initialises the lists a pool can use); an all-zero head there
 * is "not in use", not corruption.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypmem/decode.h"
#include "hypmem/vms.h"

#define POOL_STRUCT_MAX 4096

struct pool_layout {
	struct hypmem_type type;
	struct hypmem_field range_start, range_end, max_order;
	uint32_t free_area_offset;
	uint32_t nr_areas;
	uint32_t list_size;
	struct hypmem_field next, prev;
};

/* The target's page shift: pools, PFNs and blocks are in its pages. */
#define PSHIFT(t) (hypmem_target_info(t)->page_shift)

struct pool_walk {
	struct hypmem_target *t;
	struct hypmem_findings *f;
	const struct hypmem_hyp_page_layout *hp;
	struct hypmem_pool *pool;
	uint64_t first_pfn;
	uint8_t *is_head;	/* per pool page: 0, or order+1 of a listed head */
};

static struct hypmem_error *pool_layout(struct hypmem_target *t, struct pool_layout *l)
{
	struct hypmem_dwarf *dw = hypmem_target_dwarf(t);
	struct hypmem_type list;
	struct hypmem_member fa;
	struct hypmem_error *err;

	memset(l, 0, sizeof(*l));
	err = hypmem_dwarf_find_type(dw, "struct hyp_pool", &l->type);
	if (err)
		return err;
	if (l->type.size == 0 || l->type.size > POOL_STRUCT_MAX)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "struct hyp_pool has size %" PRIu64,
					   l->type.size);
	if ((err = hypmem_field_lookup(t, &l->type, "range_start", true, &l->range_start)) ||
	    (err = hypmem_field_lookup(t, &l->type, "range_end", true, &l->range_end)) ||
	    (err = hypmem_field_lookup(t, &l->type, "max_order", true, &l->max_order)) ||
	    (err = hypmem_dwarf_member(dw, &l->type, "free_area", &fa)))
		return err;
	if (fa.type.kind != HYPMEM_TYPE_ARRAY || fa.type.nr_elements == 0 ||
	    fa.type.nr_elements > HYPMEM_MAX_ORDERS)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT,
					   "struct hyp_pool.free_area is not an array of 1..%d lists",
					   HYPMEM_MAX_ORDERS);
	err = hypmem_dwarf_element_type(dw, &fa.type, &list);
	if (err)
		return err;
	if ((err = hypmem_field_lookup(t, &list, "next", true, &l->next)) ||
	    (err = hypmem_field_lookup(t, &list, "prev", true, &l->prev)))
		return err;
	l->free_area_offset = (uint32_t)fa.offset;
	l->nr_areas = (uint32_t)fa.type.nr_elements;
	l->list_size = (uint32_t)list.size;
	if (l->free_area_offset + (uint64_t)l->nr_areas * l->list_size > l->type.size)
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "struct hyp_pool.free_area overflows");
	return NULL;
}

/* Read a list node {next, prev} at hyp VA @node. */
static struct hypmem_error *read_node(struct pool_walk *w, const struct pool_layout *l,
				      uint64_t node_pa, uint64_t *next, uint64_t *prev)
{
	uint8_t buf[64];
	struct hypmem_error *err;

	if (l->list_size > sizeof(buf))
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "struct list_head too large");
	err = hypmem_target_read(w->t, buf, node_pa, l->list_size);
	if (err)
		return err;
	hypmem_field_get(&l->next, buf, l->list_size, next);
	hypmem_field_get(&l->prev, buf, l->list_size, prev);
	return NULL;
}

/*
 * Turn a node pointer into the PFN of its page and the PA of the node, or
 * record why not.  Returns false when the walk must stop.
 */
static bool node_to_pfn(struct pool_walk *w, uint64_t node, uint64_t head_pa, uint64_t *pfn,
			uint64_t *node_pa)
{
	const struct hypmem_target_info *info = hypmem_target_info(w->t);
	struct hypmem_pool *pool = w->pool;
	uint64_t pa;

	if (w->hp->node_in_page) {
		pa = hypmem_target_hyp_linear_to_pa(w->t, node);
		if (pa & ((1ULL << PSHIFT(w->t)) - 1)) {
			hypmem_findings_add(w->f, HYPMEM_FINDING_NODE_MISALIGNED, head_pa,
					    "%s: list node 0x%" PRIx64 " (PA 0x%" PRIx64
					    ") is not at the start of a page",
					    pool->name, node, pa);
			return false;
		}
		*node_pa = pa;
	} else {
		uint64_t off = node - w->hp->node_offset - info->vmemmap_base;
		struct hypmem_error *err;

		if (node < info->vmemmap_base || off % w->hp->size) {
			hypmem_findings_add(w->f, HYPMEM_FINDING_NODE_MISALIGNED, head_pa,
					    "%s: list node 0x%" PRIx64
					    " is not the node of a vmemmap entry",
					    pool->name, node);
			return false;
		}
		pa = (off / w->hp->size) << PSHIFT(w->t);
		err = hypmem_target_hyp_to_pa(w->t, node, node_pa, NULL);
		if (err) {
			hypmem_findings_add(w->f, HYPMEM_FINDING_LIST_BROKEN, head_pa,
					    "%s: list node 0x%" PRIx64 " unreadable: %s", pool->name,
					    node, err->message);
			hypmem_error_destroy(err);
			return false;
		}
	}
	if (pa < pool->range_start || pa >= pool->range_end) {
		hypmem_findings_add(w->f, HYPMEM_FINDING_NODE_OUTSIDE_POOL, pa,
				    "%s: free-list node for PA 0x%" PRIx64
				    " lies outside the pool [0x%" PRIx64 ", 0x%" PRIx64 ")",
				    pool->name, pa, pool->range_start, pool->range_end);
		return false;
	}
	*pfn = pa >> PSHIFT(w->t);
	return true;
}

/* Check the block headed by @pfn, on list @order. */
static struct hypmem_error *check_block(struct pool_walk *w, uint64_t pfn, unsigned int order)
{
	struct hypmem_pool *pool = w->pool;
	uint64_t pa = pfn << PSHIFT(w->t), nr = 1ULL << order;
	struct hypmem_page head, tail;
	struct hypmem_error *err;

	err = hypmem_vmemmap_read(w->t, pfn, 1, &head);
	if (err) {
		hypmem_findings_add(w->f, HYPMEM_FINDING_VMEMMAP_UNMAPPED, pa,
				    "%s: vmemmap entry of free page 0x%" PRIx64 " unreadable: %s",
				    pool->name, pa, err->message);
		hypmem_error_destroy(err);
		return NULL;
	}
	if (head.refcount)
		hypmem_findings_add(w->f, HYPMEM_FINDING_FREE_PAGE_REFERENCED, pa,
				    "%s: page 0x%" PRIx64 " on free list %u has refcount %" PRIu64,
				    pool->name, pa, order, head.refcount);
	if (head.order != order)
		hypmem_findings_add(w->f, HYPMEM_FINDING_ORDER_MISMATCH, pa,
				    "%s: page 0x%" PRIx64 " on free list %u has order %" PRIu64,
				    pool->name, pa, order, head.order);
	if (pfn & (nr - 1))
		hypmem_findings_add(w->f, HYPMEM_FINDING_NODE_MISALIGNED, pa,
				    "%s: free block 0x%" PRIx64 " of order %u is not aligned",
				    pool->name, pa, order);
	if (pa + (nr << PSHIFT(w->t)) > pool->range_end || pa + (nr << PSHIFT(w->t)) < pa) {
		hypmem_findings_add(w->f, HYPMEM_FINDING_NODE_OUTSIDE_POOL, pa,
				    "%s: free block 0x%" PRIx64 " of order %u runs past the pool end",
				    pool->name, pa, order);
		return NULL;
	}
	for (uint64_t i = 1; i < nr; i++) {
		err = hypmem_vmemmap_read(w->t, pfn + i, 1, &tail);
		if (err) {
			hypmem_error_destroy(err);
			break;
		}
		if (!tail.no_order || tail.refcount) {
			hypmem_findings_add(w->f, HYPMEM_FINDING_FREE_TAIL_NOT_NO_ORDER,
					    (pfn + i) << PSHIFT(w->t),
					    "%s: page 0x%" PRIx64 " inside free block 0x%" PRIx64
					    " (order %u) has order %" PRIu64 ", refcount %" PRIu64,
					    pool->name, (pfn + i) << PSHIFT(w->t), pa, order, tail.order,
					    tail.refcount);
			break;
		}
	}
	return NULL;
}

static struct hypmem_error *walk_list(struct pool_walk *w, const struct pool_layout *l,
				      unsigned int order, uint64_t head_pa)
{
	struct hypmem_pool *pool = w->pool;
	uint64_t head_va = hypmem_target_pa_to_hyp_linear(w->t, head_pa);
	uint64_t next, prev, cur, expect_prev = head_va, tortoise, steps = 0;
	uint64_t power = 1, lam = 0, cap = pool->nr_pages + 1;
	struct hypmem_error *err;

	err = read_node(w, l, head_pa, &next, &prev);
	if (err)
		return err;
	cur = tortoise = next;
	while (cur != head_va) {
		uint64_t pfn, node_pa;

		if (steps++ >= cap) {
			hypmem_findings_add(w->f, HYPMEM_FINDING_LIST_TOO_LONG, head_pa,
					    "%s: free list %u is longer than the pool (%" PRIu64
					    " pages); walk stopped",
					    pool->name, order, pool->nr_pages);
			break;
		}
		if (!node_to_pfn(w, cur, head_pa, &pfn, &node_pa))
			break;
		err = read_node(w, l, node_pa, &next, &prev);
		if (err) {
			hypmem_findings_add(w->f, HYPMEM_FINDING_LIST_BROKEN, node_pa,
					    "%s: free list %u: node at PA 0x%" PRIx64 " unreadable: %s",
					    pool->name, order, node_pa, err->message);
			hypmem_error_destroy(err);
			break;
		}
		if (prev != expect_prev)
			hypmem_findings_add(w->f, HYPMEM_FINDING_LIST_PREV_MISMATCH, node_pa,
					    "%s: free list %u: node 0x%" PRIx64 " has prev 0x%" PRIx64
					    ", expected 0x%" PRIx64,
					    pool->name, order, cur, prev, expect_prev);

		uint8_t *mark = &w->is_head[pfn - w->first_pfn];
		if (*mark) {
			hypmem_findings_add(w->f, HYPMEM_FINDING_BLOCK_ON_TWO_LISTS, pfn << PSHIFT(w->t),
					    "%s: free block 0x%" PRIx64
					    " is listed twice (orders %u and %u)",
					    pool->name, pfn << PSHIFT(w->t), *mark - 1, order);
		} else {
			*mark = (uint8_t)(order + 1);
			pool->free_blocks_by_order[order]++;
			pool->free_pages_by_order[order] += 1ULL << order;
			pool->free_pages += 1ULL << order;
			err = check_block(w, pfn, order);
			if (err)
				return err;
		}

		/* Brent: the tortoise teleports to the hare at powers of two. */
		expect_prev = cur;
		cur = next;
		if (++lam == power) {
			tortoise = cur;
			power *= 2;
			lam = 0;
		} else if (cur == tortoise && cur != head_va) {
			hypmem_findings_add(w->f, HYPMEM_FINDING_LIST_CYCLE, node_pa,
					    "%s: free list %u loops back to node 0x%" PRIx64
					    " without returning to its head",
					    pool->name, order, cur);
			break;
		}
	}
	return NULL;
}

static struct hypmem_error *check_buddies(struct pool_walk *w)
{
	struct hypmem_pool *pool = w->pool;

	for (uint64_t i = 0; i < pool->nr_pages; i++) {
		unsigned int order;
		uint64_t pfn, buddy;

		if (!w->is_head[i])
			continue;
		order = w->is_head[i] - 1;
		pfn = w->first_pfn + i;
		buddy = pfn ^ (1ULL << order);
		if (buddy <= pfn || buddy < w->first_pfn || buddy - w->first_pfn >= pool->nr_pages)
			continue;
		/* Both would have merged, unless the merged block was too big. */
		if (w->is_head[buddy - w->first_pfn] == order + 1 && order + 1 < pool->nr_orders &&
		    ((buddy & ~(1ULL << order)) << PSHIFT(w->t)) + (2ULL << (order + PSHIFT(w->t))) <= pool->range_end)
			hypmem_findings_add(w->f, HYPMEM_FINDING_BUDDIES_BOTH_FREE, pfn << PSHIFT(w->t),
					    "%s: buddies 0x%" PRIx64 " and 0x%" PRIx64
					    " are both free at order %u",
					    pool->name, pfn << PSHIFT(w->t), buddy << PSHIFT(w->t), order);
	}
	return NULL;
}

static struct hypmem_error *unlisted_head(const struct hypmem_page *p, void *arg)
{
	struct pool_walk *w = arg;

	if (p->refcount || p->no_order || w->is_head[p->pfn - w->first_pfn])
		return NULL;
	return hypmem_findings_add(w->f, HYPMEM_FINDING_FREE_HEAD_NOT_LISTED, p->pfn << PSHIFT(w->t),
				   "%s: page 0x%" PRIx64 " looks free (refcount 0, order %" PRIu64
				   ") but is on no free list",
				   w->pool->name, p->pfn << PSHIFT(w->t), p->order);
}

/* Whether [start, end) lies inside one hyp_memory[] region. */
static bool range_in_ram(struct hypmem_target *t, uint64_t start, uint64_t end)
{
	const struct hypmem_target_info *info = hypmem_target_info(t);

	for (size_t i = 0; i < info->nr_ram; i++)
		if (start >= info->ram[i].start && end <= info->ram[i].end)
			return true;
	return false;
}

static struct hypmem_error *decode_pool(struct hypmem_target *t, const struct pool_layout *l,
					const struct hypmem_hyp_page_layout *hp, const char *name,
					uint64_t pa, struct hypmem_pool *pool)
{
	struct hypmem_findings *f = hypmem_target_findings(t);
	size_t before = f->total;
	struct pool_walk w = { .t = t, .f = f, .hp = hp, .pool = pool };
	struct hypmem_vmemmap_summary sum = { 0 };
	struct hypmem_error *err;
	uint8_t *buf;

	memset(pool, 0, sizeof(*pool));
	snprintf(pool->name, sizeof(pool->name), "%s", name);
	pool->addr = pa;
	pool->nr_areas = l->nr_areas;
	buf = malloc(l->type.size);
	if (!buf)
		return &hypmem_enomem;
	err = hypmem_target_read(t, buf, pa, l->type.size);
	if (err)
		goto out;
	hypmem_field_get(&l->range_start, buf, l->type.size, &pool->range_start);
	hypmem_field_get(&l->range_end, buf, l->type.size, &pool->range_end);
	hypmem_field_get(&l->max_order, buf, l->type.size, &pool->max_order);

	if (pool->range_start >= pool->range_end || (pool->range_start | pool->range_end) & ((1ULL << PSHIFT(t)) - 1) ||
	    ((pool->range_end - pool->range_start) >> PSHIFT(t)) > (1ULL << 32)) {
		hypmem_findings_add(f, HYPMEM_FINDING_POOL_INVALID, pa,
				    "%s: implausible range [0x%" PRIx64 ", 0x%" PRIx64 ")", name,
				    pool->range_start, pool->range_end);
		goto out;
	}
	if (!range_in_ram(t, pool->range_start, pool->range_end)) {
		/*
		 * A pool's pages come from the hyp carve-out, which is RAM.  A
		 * range outside hyp_memory[] is corrupt, and must not size the
		 * per-page work below (a fuzzer found 16 TiB "pools").
		 */
		hypmem_findings_add(f, HYPMEM_FINDING_POOL_INVALID, pa,
				    "%s: range [0x%" PRIx64 ", 0x%" PRIx64
				    ") is not inside one hyp_memory region",
				    name, pool->range_start, pool->range_end);
		goto out;
	}
	pool->nr_pages = (pool->range_end - pool->range_start) >> PSHIFT(t);
	if (pool->max_order > l->nr_areas)
		hypmem_findings_add(f, HYPMEM_FINDING_BAD_ORDER, pa,
				    "%s: max_order %" PRIu64 " exceeds the %u free lists", name,
				    pool->max_order, l->nr_areas);

	w.first_pfn = pool->range_start >> PSHIFT(t);
	w.is_head = calloc(pool->nr_pages, 1);
	if (!w.is_head) {
		err = &hypmem_enomem;
		goto out;
	}
	for (unsigned int order = 0; order < l->nr_areas; order++) {
		uint64_t head_pa = pa + l->free_area_offset + (uint64_t)order * l->list_size;
		uint64_t next, prev;

		hypmem_field_get(&l->next, buf + l->free_area_offset + order * l->list_size,
				 l->list_size, &next);
		hypmem_field_get(&l->prev, buf + l->free_area_offset + order * l->list_size,
				 l->list_size, &prev);
		if (!next && !prev) {
			if (order < pool->max_order)
				hypmem_findings_add(f, HYPMEM_FINDING_LIST_UNINITIALISED, head_pa,
						    "%s: free list %u (below max_order %" PRIu64
						    ") is uninitialised",
						    name, order, pool->max_order);
			continue;
		}
		pool->nr_orders = order + 1;
		err = walk_list(&w, l, order, head_pa);
		if (err)
			goto out;
	}
	err = check_buddies(&w);
	if (!err)
		err = hypmem_vmemmap_for_each(t, w.first_pfn, w.first_pfn + pool->nr_pages,
					      unlisted_head, &w, &sum);
	/* The vmemmap may be unbacked elsewhere, never under a pool. */
	if (!err && sum.nr_unbacked)
		err = hypmem_findings_add(f, HYPMEM_FINDING_VMEMMAP_UNMAPPED, pa,
					  "%s: %" PRIu64 " of its %" PRIu64
					  " pages have no vmemmap entry (hyp VA not mapped)",
					  name, sum.nr_unbacked, pool->nr_pages);
	hypmem_vmemmap_summary_deinit(&sum);
out:
	pool->findings = f->total - before;
	free(w.is_head);
	free(buf);
	return err;
}

/*
 * Per-VM pools.  Kernels with hyp-side VM state (Debian's 6.12; not 6.1)
 * keep a static vm_table: a pointer to a page of struct pkvm_hyp_vm
 * pointers (hyp linear VAs, NULL for free slots; the kernel allocates
 * KVM_MAX_PVMS slots, at most a page), and each VM has its own hyp_pool for
 * its stage-2 tables.  They are found from DWARF alone: a hyp type struct
 * pkvm_hyp_vm with a "pool" member, and vm_table typed as a pointer to
 * pointers to it (our EL2 image has an array of structs: not this).
 * Appends to *@pools (realloc()ed), one pool named "vm_table[N].pool" per VM.
 */
static struct hypmem_error *vm_pools(struct hypmem_target *t, const struct pool_layout *l,
				     const struct hypmem_hyp_page_layout *hp,
				     struct hypmem_pool **pools, size_t *nr)
{
	struct hypmem_dwarf *dw = hypmem_target_dwarf(t);
	struct hypmem_type vm;
	struct hypmem_member pool;
	struct hypmem_error *err, *unreadable;
	struct hypmem_vm_table vt;

	err = hypmem_dwarf_find_type(dw, "struct pkvm_hyp_vm", &vm);
	if (err)
		return hypmem_error_catch(&err, HYPMEM_ERROR_LOOKUP) ? NULL : err;
	if (!hypmem_dwarf_has_member(dw, &vm, "pool", &pool) ||
	    pool.type.kind != HYPMEM_TYPE_STRUCT || !pool.type.name ||
	    strcmp(pool.type.name, "hyp_pool"))
		return NULL;
	err = hypmem_vm_table_read(t, true, &vt, &unreadable);
	if (err)
		return err;
	if (unreadable) {
		err = hypmem_findings_add(hypmem_target_findings(t), HYPMEM_FINDING_POOL_INVALID,
					  vt.var_pa, "vm_table 0x%" PRIx64 " is not readable: %s",
					  vt.table, unreadable->message);
		hypmem_error_destroy(unreadable);
		return err;
	}
	for (size_t i = 0; i < vt.nr; i++) {
		uint64_t vm_va = vt.slots[i];
		struct hypmem_pool *grown;
		char name[64];

		/* Empty, or reserved for a VM being created (no hyp VM yet). */
		if (!vm_va || vm_va == HYPMEM_VM_TABLE_RESERVED)
			continue;
		grown = realloc(*pools, (*nr + 1) * sizeof(**pools));
		if (!grown)
			return &hypmem_enomem;
		*pools = grown;
		snprintf(name, sizeof(name), "vm_table[%zu].pool", i);
		err = decode_pool(t, l, hp, name, hypmem_target_hyp_linear_to_pa(t, vm_va) + pool.offset,
				  &grown[*nr]);
		if (err && err->code == HYPMEM_ERROR_FAULT) {
			/* A VM struct outside the dump: say so, go on with the others. */
			struct hypmem_error *ferr = hypmem_findings_add(
			    hypmem_target_findings(t), HYPMEM_FINDING_POOL_INVALID, vm_va,
			    "%s: VM 0x%" PRIx64 " is not readable: %s", name, vm_va, err->message);

			hypmem_error_destroy(err);
			if (ferr)
				return ferr;
			continue;
		}
		if (err)
			return err;
		(*nr)++;
	}
	return NULL;
}

struct hypmem_error *hypmem_pools_decode(struct hypmem_target *t, struct hypmem_pool **pools_ret,
					 size_t *nr_ret)
{
	struct hypmem_hyp_page_layout hp;
	struct pool_layout l;
	struct hypmem_error *err;
	char **names = NULL;
	size_t nr_names = 0, nr = 0;
	struct hypmem_pool *pools = NULL;

	*pools_ret = NULL;
	*nr_ret = 0;
	if ((err = hypmem_hyp_page_layout(t, &hp)) || (err = pool_layout(t, &l)))
		return err;
	err = hypmem_dwarf_variables_of_type(hypmem_target_dwarf(t), "struct hyp_pool", &names,
					     &nr_names);
	if (err)
		return err;
	pools = calloc(nr_names ? nr_names : 1, sizeof(*pools));
	if (!pools) {
		err = &hypmem_enomem;
		goto out;
	}
	for (size_t i = 0; i < nr_names; i++) {
		uint64_t pa;

		err = hypmem_target_symbol_pa(t, names[i], &pa, NULL);
		if (err)
			goto out;
		err = decode_pool(t, &l, &hp, names[i], pa, &pools[nr]);
		if (err)
			goto out;
		nr++;
	}
	err = vm_pools(t, &l, &hp, &pools, &nr);
	if (err)
		goto out;
	*pools_ret = pools;
	*nr_ret = nr;
	pools = NULL;
out:
	for (size_t i = 0; i < nr_names; i++)
		free(names[i]);
	free(names);
	free(pools);
	return err;
}
