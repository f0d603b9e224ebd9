// SPDX-License-Identifier: GPL-2.0-only
/*
 * The hypervisor's VMs and their guest stage-2s, and the cross-structure
 * invariants of the 7.x era (see include/hypmem/vms.h).
 *
 * vm_table points to a page of struct pkvm_hyp_vm pointers (hyp linear
 * VAs).  Each VM is read whole (its struct kvm is several kilobytes), its
 * pgt gives a guest stage-2 the stage-2 decoder walks, with the guest's
 * rules: no identity map, the owner is the guest, page states in the
 * software bits of the leaves.
 *
 * The invariants compare three records of one fact, page by page over
 * hyp_memory: the vmemmap's host and hyp states and host_share_guest_count,
 * the host stage-2's runs (donations to the hyp, read-only hyp text), and
 * the guest stage-2 mappings (counted per page in a hash table).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hypmem/decode.h"
#include "hypmem/vms.h"

#define VM_STRUCT_MAX	  (1U << 20)
#define MAX_FINDINGS_PER_CHECK 64     /* then one summary finding */

void hypmem_vms_deinit(struct hypmem_vms *v)
{
	for (size_t i = 0; i < v->nr; i++)
		hypmem_stage2_deinit(&v->vms[i].s2);
	free(v->vms);
	memset(v, 0, sizeof(*v));
}

struct vm_layout {
	struct hypmem_type vm;
	struct hypmem_field ia_bits, start_level, pgd, vcpus, handle, range_start, range_end;
};

static struct hypmem_error *vm_layout(struct hypmem_target *t, struct vm_layout *l, bool *ok)
{
	struct hypmem_error *err;

	*ok = false;
	err = hypmem_dwarf_find_type(hypmem_target_dwarf(t), "struct pkvm_hyp_vm", &l->vm);
	if (err)
		return hypmem_error_catch(&err, HYPMEM_ERROR_LOOKUP) ? NULL : err;
	if (l->vm.size == 0 || l->vm.size > VM_STRUCT_MAX)
		return NULL;
	if ((err = hypmem_field_lookup(t, &l->vm, "pgt.ia_bits", false, &l->ia_bits)) ||
	    (err = hypmem_field_lookup(t, &l->vm, "pgt.start_level", false, &l->start_level)) ||
	    (err = hypmem_field_lookup(t, &l->vm, "pgt.pgd", false, &l->pgd)) ||
	    (err = hypmem_field_lookup(t, &l->vm, "kvm.created_vcpus", false, &l->vcpus)) ||
	    (err = hypmem_field_lookup(t, &l->vm, "kvm.arch.pkvm.handle", false, &l->handle)) ||
	    (err = hypmem_field_lookup(t, &l->vm, "pool.range_start", false, &l->range_start)) ||
	    (err = hypmem_field_lookup(t, &l->vm, "pool.range_end", false, &l->range_end)))
		return hypmem_error_catch(&err, HYPMEM_ERROR_LOOKUP) ? NULL : err;
	*ok = l->ia_bits.present && l->start_level.present && l->pgd.present;
	return NULL;
}

struct hypmem_error *hypmem_vm_table_read(struct hypmem_target *t, bool typed,
					  struct hypmem_vm_table *vt, struct hypmem_error **unreadable)
{
	struct hypmem_dwarf *dw = hypmem_target_dwarf(t);
	struct hypmem_type type, ptr, elem;
	struct hypmem_error *err;
	uint8_t buf[8], raw[HYPMEM_VM_TABLE_SLOTS * 8];

	memset(vt, 0, sizeof(*vt));
	*unreadable = NULL;
	err = hypmem_target_symbol_pa(t, "vm_table", &vt->var_pa, &type);
	/* 6.1 has a sysctl table of that name: only a pointer to pointers will do. */
	if (err || type.kind != HYPMEM_TYPE_POINTER || hypmem_dwarf_element_type(dw, &type, &ptr) ||
	    ptr.kind != HYPMEM_TYPE_POINTER ||
	    (typed && (hypmem_dwarf_element_type(dw, &ptr, &elem) ||
		       elem.kind != HYPMEM_TYPE_STRUCT || !elem.name ||
		       strcmp(elem.name, "pkvm_hyp_vm")))) {
		hypmem_error_destroy(err);
		return NULL;
	}
	err = hypmem_target_read(t, buf, vt->var_pa, sizeof(buf));
	if (err)
		return err;
	vt->table = hypmem_load_le(buf, 8);
	if (!vt->table)
		return NULL;
	err = hypmem_target_read(t, raw, hypmem_target_hyp_linear_to_pa(t, vt->table), sizeof(raw));
	if (err) {
		*unreadable = err;
		return NULL;
	}
	for (size_t i = 0; i < HYPMEM_VM_TABLE_SLOTS; i++)
		vt->slots[i] = hypmem_load_le(raw + i * 8, 8);
	vt->nr = HYPMEM_VM_TABLE_SLOTS;
	return NULL;
}

/* vm_table's slots, or *nr 0 when the kernel has none. */
static struct hypmem_error *read_slots(struct hypmem_target *t, uint64_t *slots, size_t *nr)
{
	struct hypmem_vm_table *vt = malloc(sizeof(*vt));
	struct hypmem_error *err, *unreadable;

	*nr = 0;
	if (!vt)
		return &hypmem_enomem;
	err = hypmem_vm_table_read(t, false, vt, &unreadable);
	if (!err && unreadable) {
		err = hypmem_findings_add(hypmem_target_findings(t), HYPMEM_FINDING_VM_INVALID,
					  vt->table, "vm_table 0x%" PRIx64 " is not readable: %s",
					  vt->table, unreadable->message);
		hypmem_error_destroy(unreadable);
	} else if (!err) {
		memcpy(slots, vt->slots, vt->nr * sizeof(*slots));
		*nr = vt->nr;
	}
	free(vt);
	return err;
}

static struct hypmem_error *decode_vm(struct hypmem_target *t, const struct vm_layout *l,
				      uint8_t *buf, struct hypmem_vm *vm)
{
	struct hypmem_findings *f = hypmem_target_findings(t);
	struct hypmem_stage2 *s = &vm->s2;
	uint64_t ia_bits = 0, level = 0, pgd = 0;
	struct hypmem_error *err;

	err = hypmem_target_read(t, buf, hypmem_target_hyp_linear_to_pa(t, vm->va), l->vm.size);
	if (err) {
		struct hypmem_error *ferr =
		    hypmem_findings_add(f, HYPMEM_FINDING_VM_INVALID, vm->va,
					"vm_table[%u]: VM 0x%" PRIx64 " is not readable: %s",
					vm->slot, vm->va, err->message);

		hypmem_error_destroy(err);
		return ferr;
	}
	hypmem_field_get(&l->ia_bits, buf, l->vm.size, &ia_bits);
	hypmem_field_get(&l->start_level, buf, l->vm.size, &level);
	hypmem_field_get(&l->pgd, buf, l->vm.size, &pgd);
	hypmem_field_get(&l->vcpus, buf, l->vm.size, &vm->nr_vcpus);
	hypmem_field_get(&l->handle, buf, l->vm.size, &vm->handle);
	hypmem_field_get(&l->range_start, buf, l->vm.size, &vm->pool.start);
	hypmem_field_get(&l->range_end, buf, l->vm.size, &vm->pool.end);
	if (l->start_level.is_signed && l->start_level.size == 1)
		level = (uint64_t)(int64_t)(int8_t)level;
	hypmem_stage2_learn_guest(t, &s->cfg);
	snprintf(s->table, sizeof(s->table), "vm_table[%u]", vm->slot);
	s->pgd = pgd;
	if (!pgd) {
		snprintf(s->missing, sizeof(s->missing), "no guest stage-2 yet (pgt.pgd NULL)");
		return NULL;
	}
	err = hypmem_pgtable_geometry_init_granule(&s->geom, hypmem_target_info(t)->page_shift,
						   (uint32_t)ia_bits, (int)(int64_t)level,
						   hypmem_target_hyp_linear_to_pa(t, pgd), true);
	if (err) {
		struct hypmem_error *ferr =
		    hypmem_findings_add(f, HYPMEM_FINDING_VM_INVALID, vm->va,
					"vm_table[%u]: guest stage-2: %s", vm->slot, err->message);

		hypmem_error_destroy(err);
		return ferr;
	}
	s->found = true;
	return hypmem_stage2_decode_raw(hypmem_target_source(t), f, s);
}

struct hypmem_error *hypmem_vms_decode(struct hypmem_target *t, struct hypmem_vms *ret)
{
	uint64_t *slots = calloc(HYPMEM_VM_TABLE_SLOTS, sizeof(*slots));
	struct hypmem_error *err;
	struct vm_layout l;
	uint8_t *buf = NULL;
	size_t nr_slots;
	bool ok;

	memset(ret, 0, sizeof(*ret));
	if (!slots)
		return &hypmem_enomem;
	err = vm_layout(t, &l, &ok);
	if (!err && ok)
		err = read_slots(t, slots, &nr_slots);
	if (err || !ok || !nr_slots)
		goto out;
	ret->found = true;
	buf = malloc(l.vm.size);
	if (!buf) {
		err = &hypmem_enomem;
		goto out;
	}
	for (size_t i = 0; i < nr_slots && !err; i++) {
		struct hypmem_vm *grown;

		if (!slots[i])
			continue;
		if (slots[i] == HYPMEM_VM_TABLE_RESERVED) {
			ret->nr_reserved++;
			continue;
		}
		grown = realloc(ret->vms, (ret->nr + 1) * sizeof(*grown));
		if (!grown) {
			err = &hypmem_enomem;
			break;
		}
		ret->vms = grown;
		memset(&grown[ret->nr], 0, sizeof(grown[0]));
		grown[ret->nr].slot = (unsigned int)i;
		grown[ret->nr].va = slots[i];
		err = decode_vm(t, &l, buf, &grown[ret->nr]);
		ret->nr++;
	}
out:
	free(buf);
	free(slots);
	return err;
}

/* --- invariants --- */

/*
 * A value per PA: open addressing, PA | 1 as the key.  Guest mappings per
 * page (added up), and the (VM handle, gfn) of each page a guest owns.
 */
struct pa_count {
	uint64_t *keys, *counts;
	size_t cap, nr;
};

static struct hypmem_error *pc_add(struct pa_count *h, uint64_t pa, uint64_t n)
{
	size_t j;

	if ((h->nr + 1) * 2 > h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 1024;
		uint64_t *k = calloc(cap, sizeof(*k)), *c = calloc(cap, sizeof(*c));

		if (!k || !c) {
			free(k);
			free(c);
			return &hypmem_enomem;
		}
		for (size_t i = 0; i < h->cap; i++) {
			if (!h->keys[i])
				continue;
			for (j = (h->keys[i] * 0x9e3779b97f4a7c15ULL >> 17) & (cap - 1); k[j];
			     j = (j + 1) & (cap - 1))
				;
			k[j] = h->keys[i];
			c[j] = h->counts[i];
		}
		free(h->keys);
		free(h->counts);
		h->keys = k;
		h->counts = c;
		h->cap = cap;
	}
	for (j = ((pa | 1) * 0x9e3779b97f4a7c15ULL >> 17) & (h->cap - 1); h->keys[j];
	     j = (j + 1) & (h->cap - 1))
		if (h->keys[j] == (pa | 1)) {
			h->counts[j] += n;
			return NULL;
		}
	h->keys[j] = pa | 1;
	h->counts[j] = n;
	h->nr++;
	return NULL;
}

static uint64_t pc_get(const struct pa_count *h, uint64_t pa)
{
	if (!h->cap)
		return 0;
	for (size_t j = ((pa | 1) * 0x9e3779b97f4a7c15ULL >> 17) & (h->cap - 1); h->keys[j];
	     j = (j + 1) & (h->cap - 1))
		if (h->keys[j] == (pa | 1))
			return h->counts[j];
	return 0;
}

struct check {
	struct hypmem_target *t;
	struct hypmem_findings *f;
	const struct hypmem_stage2 *host;
	const struct hypmem_vms *vms;
	struct pa_count guest_maps;  /* PA -> SHARED_BORROWED guest mappings */
	struct pa_count guest_owned; /* PA -> (gfn << 16 | handle) + 1 */
	size_t run;		/* host run cursor (runs are in address order) */
	int64_t nopage, owned, shared_owned, shared_borrowed;
	unsigned int hyp_owner, guest_owner, page_shift;
	uint64_t checked, reported[5];
};

static bool vm_exists(const struct hypmem_vms *vms, uint64_t handle)
{
	for (size_t i = 0; i < vms->nr; i++)
		if (vms->vms[i].handle == handle)
			return true;
	return false;
}

/* The (handle, gfn) a host stage-2 donation to a guest records for @pa. */
static uint64_t donation_key(const struct hypmem_s2_run *r, uint64_t pa, unsigned int shift)
{
	return ((r->gfn + ((pa - r->start) >> shift)) << 16 | r->vm_handle) + 1;
}

/* The host stage-2 run holding @pa, or NULL (a hole: nothing mapped yet). */
static const struct hypmem_s2_run *host_run(struct check *c, uint64_t pa)
{
	const struct hypmem_stage2 *h = c->host;

	while (c->run < h->nr_runs && h->runs[c->run].end <= pa)
		c->run++;
	if (c->run < h->nr_runs && h->runs[c->run].start <= pa)
		return &h->runs[c->run];
	return NULL;
}

static struct hypmem_error *report(struct check *c, unsigned int which,
				   enum hypmem_finding_kind kind, uint64_t pa, const char *msg,
				   const struct hypmem_page *p)
{
	if (++c->reported[which] > MAX_FINDINGS_PER_CHECK)
		return NULL;
	return hypmem_findings_add(c->f, kind, pa,
				   "page 0x%" PRIx64 ": %s (vmemmap: host %s, hyp %s, "
				   "host_share_guest_count %" PRIu64 ")",
				   pa, msg, p->host_state_name, p->hyp_state_name,
				   p->host_share_guest_count);
}

static struct hypmem_error *check_page(const struct hypmem_page *p, void *arg)
{
	struct check *c = arg;
	const struct hypmem_s2_run *r = host_run(c, p->phys);
	uint64_t maps = pc_get(&c->guest_maps, p->phys);
	int64_t host = p->host_state, hyp = p->hyp_state;
	struct hypmem_error *err = NULL;
	bool donated_to_hyp = r && !r->valid && r->owner == c->hyp_owner;
	bool donated_to_guest = r && !r->valid && r->owner == c->guest_owner && r->vm_handle;
	uint64_t owned_by = pc_get(&c->guest_owned, p->phys);

	c->checked++;
	/* A donation to a guest: host NOPAGE, and that VM maps the page at that gfn. */
	if (donated_to_guest && host != c->nopage)
		err = report(c, 4, HYPMEM_FINDING_STATE_MISMATCH, p->phys,
			     "the host stage-2 gives it to a guest, the vmemmap does not say nopage",
			     p);
	if (!err && donated_to_guest && !vm_exists(c->vms, r->vm_handle))
		err = report(c, 4, HYPMEM_FINDING_BAD_OWNER, p->phys,
			     "the host stage-2 gives it to a VM handle vm_table does not hold", p);
	else if (!err && donated_to_guest &&
		 owned_by != donation_key(r, p->phys, c->page_shift))
		err = report(c, 4, HYPMEM_FINDING_STATE_MISMATCH, p->phys,
			     "donated to a guest, whose stage-2 does not own it at that gfn", p);
	if (!err && owned_by && !donated_to_guest)
		err = report(c, 4, HYPMEM_FINDING_STATE_MISMATCH, p->phys,
			     "a guest stage-2 owns it, the host stage-2 did not give it away", p);
	if (!err && donated_to_hyp && host != c->nopage)
		err = report(c, 0, HYPMEM_FINDING_STATE_MISMATCH, p->phys,
			     "the host stage-2 gives it to the hyp, the vmemmap does not say nopage",
			     p);
	if (!err && donated_to_hyp && hyp != c->owned)
		err = report(c, 0, HYPMEM_FINDING_STATE_MISMATCH, p->phys,
			     "the host stage-2 gives it to the hyp, which does not own it", p);
	/* A page has one owner: what the hyp owns, the host cannot have. */
	if (!err && hyp == c->owned && host != c->nopage)
		err = report(c, 0, HYPMEM_FINDING_STATE_MISMATCH, p->phys,
			     "the hyp owns it, yet the host's state is not nopage", p);
	/* The host keeps a read-only view of the hyp's text (setup.c); nothing else. */
	if (!err && host == c->nopage && r && r->valid && (r->prot & HYPMEM_PROT_W))
		err = report(c, 0, HYPMEM_FINDING_STATE_MISMATCH, p->phys,
			     "host state nopage, yet the host stage-2 maps it writable", p);
	if (!err && hyp == c->shared_borrowed && host != c->shared_owned)
		err = report(c, 1, HYPMEM_FINDING_STATE_MISMATCH, p->phys,
			     "the hyp borrows it, the host does not share it", p);
	if (!err && hyp == c->shared_owned && host != c->shared_borrowed)
		err = report(c, 1, HYPMEM_FINDING_STATE_MISMATCH, p->phys,
			     "the hyp shares it, the host does not borrow it", p);
	if (!err && host == c->shared_owned && hyp != c->shared_borrowed &&
	    !p->host_share_guest_count)
		err = report(c, 1, HYPMEM_FINDING_STATE_MISMATCH, p->phys,
			     "the host shares it with neither the hyp nor a guest", p);
	if (!err && host == c->shared_owned && hyp == c->shared_borrowed &&
	    p->host_share_guest_count)
		err = report(c, 1, HYPMEM_FINDING_STATE_MISMATCH, p->phys,
			     "the host shares it with the hyp and with guests", p);
	if (!err && p->host_share_guest_count != maps) {
		char msg[96];

		snprintf(msg, sizeof(msg), "%" PRIu64 " guest stage-2 mapping(s) of it", maps);
		err = report(c, 2, HYPMEM_FINDING_SHARE_COUNT_MISMATCH, p->phys, msg, p);
	}
	if (!err && p->host_share_guest_count && host != c->shared_owned)
		err = report(c, 2, HYPMEM_FINDING_STATE_MISMATCH, p->phys,
			     "shared with guests but not host shared_owned", p);
	return err;
}

static int64_t state_value(struct hypmem_target *t, const char *name, int64_t dflt)
{
	int64_t v;
	struct hypmem_error *err = hypmem_dwarf_enumerator(hypmem_target_dwarf(t), name, &v);

	if (!err)
		return v;
	hypmem_error_destroy(err);
	return dflt;
}

/* Every page of each VM's pool must be the hyp's, donated by the host. */
static struct hypmem_error *check_pools(struct check *c)
{
	unsigned int ps = hypmem_target_info(c->t)->page_shift;

	for (size_t i = 0; i < c->vms->nr; i++) {
		const struct hypmem_vm *vm = &c->vms->vms[i];

		c->run = 0;
		for (uint64_t pa = vm->pool.start; pa < vm->pool.end && pa >= vm->pool.start;
		     pa += 1ULL << ps) {
			const struct hypmem_s2_run *r = host_run(c, pa);

			struct hypmem_error *err;

			if (r && !r->valid && r->owner == c->hyp_owner)
				continue;
			/* One finding per VM: the first page that is not the hyp's. */
			err = hypmem_findings_add(c->f, HYPMEM_FINDING_STATE_MISMATCH, pa,
						  "vm_table[%u].pool page 0x%" PRIx64
						  " is not memory donated to the hyp",
						  vm->slot, pa);
			if (err)
				return err;
			break;
		}
	}
	return NULL;
}

struct hypmem_error *hypmem_vms_check(struct hypmem_target *t, const struct hypmem_stage2 *host,
				      const struct hypmem_vms *vms, uint64_t *nr_checked)
{
	const struct hypmem_target_info *info = hypmem_target_info(t);
	struct check c = {.t = t, .f = hypmem_target_findings(t), .host = host, .vms = vms};
	struct hypmem_hyp_page_layout l;
	struct hypmem_error *err;
	uint64_t budget = 0;
	int64_t v;

	if (nr_checked)
		*nr_checked = 0;
	err = hypmem_hyp_page_layout(t, &l);
	if (err)
		return hypmem_error_catch(&err, HYPMEM_ERROR_LOOKUP) ? NULL : err;
	/* Only the era that records each fact twice; with host runs to compare. */
	if (!l.host_state.present || !l.hyp_state_comp.present || !host->found ||
	    !host->cfg.keep_runs || !host->cfg.invalid_types)
		return NULL;
	c.nopage = state_value(t, "PKVM_NOPAGE", 3);
	c.owned = state_value(t, "PKVM_PAGE_OWNED", 0);
	c.shared_owned = state_value(t, "PKVM_PAGE_SHARED_OWNED", 1);
	c.shared_borrowed = state_value(t, "PKVM_PAGE_SHARED_BORROWED", 2);
	v = state_value(t, "PKVM_ID_HYP", 1);
	c.hyp_owner = v >= 0 && v < HYPMEM_S2_MAX_OWNERS ? (unsigned int)v : 1;
	c.guest_owner = host->cfg.guest_owner;
	c.page_shift = info->page_shift;
	/*
	 * Each guest mapping of a page, a block counting once for each of its
	 * pages: shares (SHARED_BORROWED: host_share_guest_count counts them)
	 * and pages the guest owns (given by the host: a donation records the
	 * VM's handle and the gfn).
	 */
	/* Corrupt tables could claim far more mappings than RAM has pages: cap the work. */
	for (size_t i = 0; i < info->nr_ram; i++)
		budget += (info->ram[i].end - info->ram[i].start) >> info->page_shift;
	budget = budget * 4 + (1ULL << 20);
	for (size_t i = 0; i < vms->nr && !err; i++) {
		const struct hypmem_vm *vm = &vms->vms[i];
		const struct hypmem_stage2 *s = &vm->s2;

		for (size_t k = 0; k < s->nr_runs && !err; k++) {
			const struct hypmem_s2_run *r = &s->runs[k];
			uint64_t n = (r->end - r->start) >> info->page_shift;

			if (!r->valid)
				continue;
			if (n > budget) {
				err = hypmem_findings_add(
				    c.f, HYPMEM_FINDING_VM_INVALID, vm->va,
				    "vm_table[%u]: guest stage-2s map more pages than RAM could "
				    "back: cross-checks of guest mappings stopped",
				    vm->slot);
				goto counted;
			}
			budget -= n;
			for (uint64_t j = 0; j < n && !err; j++) {
				uint64_t pa = r->phys + (j << info->page_shift);
				uint64_t gfn = (r->start >> info->page_shift) + j;

				if (r->state == HYPMEM_S2_SHARED_BORROWED)
					err = pc_add(&c.guest_maps, pa, 1);
				else if (r->state == HYPMEM_S2_OWNED)
					err = pc_add(&c.guest_owned, pa,
						     (gfn << 16 | (vm->handle & 0xffff)) + 1);
			}
		}
	}
counted:
	if (!err)
		err = hypmem_vmemmap_for_each(t, 0, UINT64_MAX, check_page, &c, NULL);
	if (!err)
		err = check_pools(&c);
	for (unsigned int i = 0; !err && i < 5; i++)
		if (c.reported[i] > MAX_FINDINGS_PER_CHECK)
			err = hypmem_findings_add(c.f, HYPMEM_FINDING_STATE_MISMATCH, 0,
						  "%" PRIu64 " more pages break the same invariant",
						  c.reported[i] - MAX_FINDINGS_PER_CHECK);
	free(c.guest_maps.keys);
	free(c.guest_maps.counts);
	free(c.guest_owned.keys);
	free(c.guest_owned.counts);
	if (nr_checked)
		*nr_checked = c.checked;
	return err;
}
