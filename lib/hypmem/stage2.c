// SPDX-License-Identifier: GPL-2.0-only
/*
 * The stage-2 / hyp stage-1 decoders (see include/hypmem/stage2.h), as
 * visitors of the table walker (pgwalk.c).
 *
 * Decoding: a visitor per question, as in the kernel's pgtable.c.  The
 * stage-2 visitor classifies each batch (owner, state, permissions),
 * counts the descriptors that hold a reference on their table page, merges
 * batches into runs, and at TABLE_POST compares the count with the table
 * page's hyp_page refcount.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hypmem/decode.h"
#include "hypmem/stage2.h"
#include "pgwalk.h"
#include "array.h"

/* Stage-2 leaf attributes (arch/arm64/include/asm/kvm_pgtable.h). */
#define S2_MEMATTR(pte) (((pte) >> 2) & 0xf)
#define S2_AP_R		(1ULL << 6)
#define S2_AP_W		(1ULL << 7)
#define S2_XN		(1ULL << 54)
#define S2_MT_NORMAL	0xfULL
/*
 * With FEAT_S2FWB (HCR_EL2.FWB, e.g. QEMU's -cpu max) MemAttr 0b0110 is
 * Normal Write-Back and 0b0111 "as stage-1": the host's own attributes
 * apply (7.2's host stage-2 maps all of it so, MMIO included).  Without FWB
 * both would mix outer non-cacheable with inner cacheable, which KVM never
 * asks for, so the FWB reading is the one taken.
 */
#define S2_MT_FWB_NORMAL    0x6ULL
#define S2_MT_FWB_NORMAL_S1 0x7ULL
#define S2_DEFAULT_MASK (0xfffc000000000000ULL | 0xffcULL) /* ATTR_HI | ATTR_LO */
#define S2_DEFAULT_MEM	((S2_MT_NORMAL << 2) | S2_AP_R | S2_AP_W | (3ULL << 8) | (1ULL << 10))
#define S2_DEFAULT_MMIO (S2_DEFAULT_MEM | S2_XN)
#define S2_SH_MASK	(3ULL << 8)
/* Stage-1 leaf attributes. */
#define S1_ATTRIDX(pte) (((pte) >> 2) & 0x7)
#define S1_AP_RO	(1ULL << 7)
#define S1_XN		(1ULL << 54)
/* Invalid entries, v6.1 era through 6.x: the owner id in bits 9:2. */
#define INVALID_PTE_OWNER_MASK 0x3fcULL
/*
 * Invalid entries, 7.x era (enum kvm_invalid_pte_type in DWARF): a type in
 * bits 63:60; a host donation keeps the new owner in bits 3:1 and 56 bits
 * of metadata in 59:4, which for a donation to a guest hold the VM handle
 * (metadata bits 15:0) and the guest frame number (metadata bits 55:16).
 */
#define INVALID_TYPE(pte)	 ((pte) >> 60)
#define DONATION_OWNER(pte)	 (((pte) >> 1) & 0x7)
#define DONATION_META(pte)	 (((pte) >> 4) & ((1ULL << 56) - 1))
#define META_HANDLE(meta)	 ((meta) & 0xffff)
#define META_GFN(meta)		 ((meta) >> 16)

/* --- names --- */

static const char *const state_names[HYPMEM_S2_NR_STATES + 1] = {
    "owned", "shared_owned", "shared_borrowed", "nopage", "reserved", "-",
};

const char *hypmem_s2_state_name(enum hypmem_s2_state state)
{
	return state <= HYPMEM_S2_NOSTATE ? state_names[state] : "reserved";
}

const char *hypmem_s2_prot_name(unsigned int prot)
{
	static const char *const names[8] = {"---", "r--", "-w-", "rw-",
					     "--x", "r-x", "-wx", "rwx"};

	return names[prot & 7];
}

const char *hypmem_s2_memattr_name(unsigned int memattr, char *buf, size_t len)
{
	static const char *const names[5] = {"none", "normal", "device", "other", "as_stage1"};

	if (memattr < 5)
		return names[memattr];
	snprintf(buf, len, "attr%u", memattr - 16);
	return buf;
}

const char *hypmem_s2_size_name(int level)
{
	static const char *const names[4] = {"512G", "1G", "2M", "4K"};

	return level >= 0 && level < 4 ? names[level] : "?";
}

const char *hypmem_s2_level_size_name(const struct hypmem_stage2 *s, int level, char *buf)
{
	unsigned int ps = geom_shift(&s->geom), shift;
	static const char units[] = "KMGTP";

	if (level < 0 || level > 3)
		return "?";
	shift = level_shift(level, ps);
	snprintf(buf, 8, "%u%c", 1U << ((shift - 10) % 10), units[(shift - 10) / 10]);
	return buf;
}

const char *hypmem_s2_type_name(const struct hypmem_stage2 *s, unsigned int type, char *buf)
{
	if (s->cfg.invalid_types) {
		if (type == (uint64_t)s->cfg.type_locked)
			return "locked";
		if (type == (uint64_t)s->cfg.type_donation)
			return "host_donation";
		if (type == (uint64_t)s->cfg.type_poisoned)
			return "guest_poisoned";
	}
	snprintf(buf, 16, "type%u", type);
	return buf;
}

const char *hypmem_s2_owner_name(const struct hypmem_stage2 *s, unsigned int owner, char *buf)
{
	if (owner < HYPMEM_S2_MAX_OWNERS && s->cfg.owner_names[owner][0])
		return s->cfg.owner_names[owner];
	snprintf(buf, 16, "owner%u", owner);
	return buf;
}

/* --- the stage-2 (and stage-1) decoder --- */

struct decode {
	struct hypmem_stage2 *s;
	struct hypmem_findings *f;
	/* In the table being walked, per level + 1 (a 5-level table starts at -1). */
	uint64_t counted[HYPMEM_PGTABLE_LEVELS + 1];
	bool have_run;
	struct hypmem_s2_run run;
};

static bool is_memory(const struct hypmem_s2_config *cfg, uint64_t pa)
{
	for (size_t i = 0; i < cfg->nr_ram; i++)
		if (pa >= cfg->ram[i].start && pa < cfg->ram[i].end)
			return true;
	return false;
}

/*
 * Does this leaf hold a reference on its table page?  With LPA2 the
 * shareability field is gone from descriptors (bits 9:8 carry OA[51:50]),
 * and so from the default mappings.
 */
static bool leaf_counted(const struct hypmem_stage2 *s, uint64_t pte)
{
	const struct hypmem_s2_config *cfg = &s->cfg;
	uint64_t mask = S2_DEFAULT_MASK, mem = S2_DEFAULT_MEM, mmio = S2_DEFAULT_MMIO;

	if (!(pte & PTE_VALID) || !cfg->android_refcounts || cfg->stage1)
		return true;
	if (s->geom.lpa2) {
		mask &= ~S2_SH_MASK;
		mem &= ~S2_SH_MASK;
		mmio &= ~S2_SH_MASK;
	}
	return (pte & mask) !=
	       (is_memory(cfg, pte_oa(pte, s->geom.lpa2, geom_shift(&s->geom))) ? mem : mmio);
}

static enum hypmem_s2_state leaf_state(const struct hypmem_s2_config *cfg, uint64_t pte)
{
	int8_t st = cfg->state_of_raw[(pte >> cfg->state_shift) & 3];

	return st < 0 ? HYPMEM_S2_RESERVED : (enum hypmem_s2_state)st;
}

/*
 * A 7.x invalid entry: its type, and for a host donation the new owner and
 * the metadata.  The host stage-2 holds donations (to the hyp: metadata 0;
 * to a guest: VM handle and gfn) and break-before-make locks; a guest
 * stage-2 holds locks and poisoned pages.
 */
static struct hypmem_error *classify_typed(struct decode *d,
					   const struct hypmem_pgtable_visit_ctx *ctx,
					   struct hypmem_s2_run *r)
{
	const struct hypmem_s2_config *cfg = &d->s->cfg;
	uint64_t pte = ctx->old, type = INVALID_TYPE(pte), meta = DONATION_META(pte);
	unsigned int owner = DONATION_OWNER(pte);

	r->state = HYPMEM_S2_NOPAGE;
	r->type = (unsigned int)type;
	r->owner = cfg->guest ? cfg->guest_owner : 0;
	if (type == (uint64_t)cfg->type_locked) {
		/* A break-before-make in progress: nothing else in the entry. */
		if (pte & ~(0xfULL << 60))
			goto reserved;
		return NULL;
	}
	if (type == (uint64_t)cfg->type_poisoned && cfg->guest)
		return NULL;
	if (type != (uint64_t)cfg->type_donation || cfg->guest)
		goto reserved;
	r->owner = owner;
	if ((cfg->owner_max >= 0 && (int)owner > cfg->owner_max) ||
	    (cfg->owner_max < 0 && !cfg->owner_names[owner][0]) || owner == cfg->host_owner)
		return hypmem_findings_add(d->f, HYPMEM_FINDING_BAD_OWNER, ctx->ptep,
					   "donation entry 0x%016" PRIx64 " at 0x%" PRIx64
					   " (IA 0x%" PRIx64 ") names owner %u, which cannot own it",
					   pte, ctx->ptep, ctx->addr, owner);
	if (owner == cfg->guest_owner) {
		r->vm_handle = (uint32_t)META_HANDLE(meta);
		r->gfn = META_GFN(meta);
		return NULL;
	}
	if (meta)
		return hypmem_findings_add(d->f, HYPMEM_FINDING_RESERVED_ENCODING, ctx->ptep,
					   "donation entry 0x%016" PRIx64 " at 0x%" PRIx64
					   " to the %s carries metadata 0x%" PRIx64,
					   pte, ctx->ptep, cfg->owner_names[owner], meta);
	return NULL;
reserved:
	return hypmem_findings_add(d->f, HYPMEM_FINDING_RESERVED_ENCODING, ctx->ptep,
				   "invalid level %d entry 0x%016" PRIx64 " at 0x%" PRIx64
				   " has type %" PRIu64 ", not one a %s stage-2 holds",
				   ctx->level, pte, ctx->ptep, type, cfg->guest ? "guest" : "host");
}

static struct hypmem_error *classify(struct decode *d, const struct hypmem_pgtable_visit_ctx *ctx,
				     struct hypmem_s2_run *r)
{
	const struct hypmem_s2_config *cfg = &d->s->cfg;
	uint64_t pte = ctx->old;
	uint64_t granule = 1ULL << level_shift(ctx->level, geom_shift(&d->s->geom));

	memset(r, 0, sizeof(*r));
	r->start = ctx->addr;
	r->end = ctx->addr + ctx->nr * granule;
	r->level = ctx->level;
	r->valid = pte & PTE_VALID;
	if (!r->valid && cfg->invalid_types)
		return classify_typed(d, ctx, r);
	if (!r->valid) {
		r->state = HYPMEM_S2_NOPAGE;
		r->owner = (unsigned int)((pte & INVALID_PTE_OWNER_MASK) >> 2);
		if ((pte & ~INVALID_PTE_OWNER_MASK) || !r->owner)
			return hypmem_findings_add(d->f, HYPMEM_FINDING_RESERVED_ENCODING,
						   ctx->ptep,
						   "invalid level %d entry 0x%016" PRIx64
						   " at 0x%" PRIx64 " is not an owner annotation",
						   ctx->level, pte, ctx->ptep);
		if ((cfg->owner_max >= 0 && (int)r->owner > cfg->owner_max) ||
		    (cfg->owner_max < 0 && !cfg->owner_names[r->owner][0]))
			return hypmem_findings_add(d->f, HYPMEM_FINDING_BAD_OWNER, ctx->ptep,
						   "entry at 0x%" PRIx64 " (IA 0x%" PRIx64
						   ") names owner %u, which does not exist",
						   ctx->ptep, ctx->addr, r->owner);
		return NULL;
	}
	if (cfg->guest)
		r->owner = cfg->guest_owner;
	r->phys = pte_oa(pte, d->s->geom.lpa2, geom_shift(&d->s->geom));
	r->state = cfg->no_leaf_state ? HYPMEM_S2_NOSTATE : leaf_state(cfg, pte);
	if (cfg->stage1) {
		r->prot = HYPMEM_PROT_R | (pte & S1_AP_RO ? 0 : HYPMEM_PROT_W) |
			  (pte & S1_XN ? 0 : HYPMEM_PROT_X);
		r->memattr = 16 + (unsigned int)S1_ATTRIDX(pte);
	} else {
		uint64_t mt = S2_MEMATTR(pte);

		r->prot = (pte & S2_AP_R ? HYPMEM_PROT_R : 0) |
			  (pte & S2_AP_W ? HYPMEM_PROT_W : 0) | (pte & S2_XN ? 0 : HYPMEM_PROT_X);
		r->memattr = mt == S2_MT_NORMAL || mt == S2_MT_FWB_NORMAL ? HYPMEM_MEMATTR_NORMAL
			     : mt == S2_MT_FWB_NORMAL_S1		   ? HYPMEM_MEMATTR_AS_STAGE1
			     : mt <= 3					   ? HYPMEM_MEMATTR_DEVICE
									   : HYPMEM_MEMATTR_OTHER;
	}
	if (r->state == HYPMEM_S2_RESERVED)
		return hypmem_findings_add(d->f, HYPMEM_FINDING_RESERVED_ENCODING, ctx->ptep,
					   "leaf 0x%016" PRIx64 " at 0x%" PRIx64
					   " has a reserved page state",
					   pte, ctx->ptep);
	if (cfg->check_identity && r->phys != r->start)
		return hypmem_findings_add(d->f, HYPMEM_FINDING_NOT_IDENTITY, ctx->ptep,
					   "leaf at 0x%" PRIx64 " maps IA 0x%" PRIx64
					   " to PA 0x%" PRIx64 " in an identity map",
					   ctx->ptep, r->start, r->phys);
	return NULL;
}

static struct hypmem_error *flush_run(struct decode *d)
{
	struct hypmem_stage2 *s = d->s;

	if (!d->have_run)
		return NULL;
	d->have_run = false;
	s->nr_runs_total++;
	if (!s->cfg.keep_runs)
		return NULL;
	if (!hypmem_grow((void **)&s->runs, &s->cap_runs, s->nr_runs + 1, sizeof(*s->runs)))
		return &hypmem_enomem;
	s->runs[s->nr_runs++] = d->run;
	return NULL;
}

static bool same_run(const struct hypmem_s2_run *a, const struct hypmem_s2_run *b,
		     unsigned int page_shift)
{
	return a->end == b->start && a->level == b->level && a->valid == b->valid &&
	       a->owner == b->owner && a->state == b->state && a->prot == b->prot &&
	       a->type == b->type && a->vm_handle == b->vm_handle &&
	       (!a->vm_handle ||
		a->gfn + ((a->end - a->start) >> page_shift) == b->gfn) &&
	       a->memattr == b->memattr && (!a->valid || a->phys + (a->end - a->start) == b->phys);
}

static struct hypmem_error *decode_leaf(struct decode *d,
					const struct hypmem_pgtable_visit_ctx *ctx)
{
	struct hypmem_stage2 *s = d->s;
	uint64_t bytes = ctx->nr << level_shift(ctx->level, geom_shift(&s->geom));
	struct hypmem_s2_run r;
	struct hypmem_error *err;

	/*
	 * An invalid but non-zero hyp stage-1 entry is a fixmap slot (v6.x
	 * clears only the valid bit): a hole, not a mapping, not corruption.
	 */
	if (s->cfg.stage1 && !(ctx->old & PTE_VALID))
		return NULL;
	err = classify(d, ctx, &r);
	if (err)
		return err;
	/* The walker hands over no valid leaf at level -1; an invalid one is a hole. */
	if (ctx->level < 0)
		return NULL;
	if (leaf_counted(s, ctx->old))
		d->counted[ctx->level + 1] += ctx->nr;
	s->by_level[ctx->level].count += ctx->nr;
	s->by_level[ctx->level].bytes += bytes;
	if (r.valid) {
		s->mapped_by_level[ctx->level].count += ctx->nr;
		s->mapped_by_level[ctx->level].bytes += bytes;
	}
	s->by_owner[r.owner % HYPMEM_S2_MAX_OWNERS].count += ctx->nr;
	s->by_owner[r.owner % HYPMEM_S2_MAX_OWNERS].bytes += bytes;
	if (r.state < HYPMEM_S2_NR_STATES) {
		s->by_state[r.state].count += ctx->nr;
		s->by_state[r.state].bytes += bytes;
	}
	if (!r.valid && s->cfg.invalid_types) {
		s->by_type[r.type & 15].count += ctx->nr;
		s->by_type[r.type & 15].bytes += bytes;
	}
	if (d->have_run && same_run(&d->run, &r, geom_shift(&s->geom))) {
		d->run.end = r.end;
		return NULL;
	}
	err = flush_run(d);
	d->run = r;
	d->have_run = true;
	return err;
}

/* A table page holds one reference for itself and one per counted entry. */
static struct hypmem_error *check_refcount(struct decode *d, uint64_t pa, uint64_t counted)
{
	const struct hypmem_s2_config *cfg = &d->s->cfg;
	struct hypmem_error *err;
	uint64_t rc;

	if (!cfg->refcount)
		return NULL;
	err = cfg->refcount(cfg->refcount_arg, pa, &rc);
	if (err) {
		if (err->code == HYPMEM_ERROR_NO_MEMORY)
			return err;
		hypmem_error_destroy(err);
		return NULL; /* the vmemmap decoder reports unreadable entries */
	}
	if (rc == counted + 1)
		return NULL;
	return hypmem_findings_add(d->f, HYPMEM_FINDING_TABLE_REFCOUNT, pa,
				   "table page 0x%" PRIx64 " has refcount %" PRIu64
				   " but holds %" PRIu64 " counted entries (expected %" PRIu64 ")",
				   pa, rc, counted, counted + 1);
}

/* A 2M range the host owns wholly but maps with pages. */
static struct hypmem_error *add_candidate(struct hypmem_stage2 *s, uint64_t addr)
{
	s->candidates++;
	if (!s->cfg.keep_runs)
		return NULL;
	if (!hypmem_grow((void **)&s->candidate_addrs, &s->cap_candidate_addrs,
			 s->nr_candidate_addrs + 1, sizeof(*s->candidate_addrs)))
		return &hypmem_enomem;
	s->candidate_addrs[s->nr_candidate_addrs++] = addr;
	return NULL;
}

static struct hypmem_error *decode_visitor(const struct hypmem_pgtable_visit_ctx *ctx,
					   enum hypmem_walk_flags visit)
{
	struct decode *d = ctx->arg;
	struct hypmem_stage2 *s = d->s;
	int child = ctx->level + 1;

	switch (visit) {
	case HYPMEM_WALK_TABLE_PRE:
		s->tables++;
		s->tables_by_level[child]++;
		d->counted[child]++;
		d->counted[child + 1] = 0;
		return NULL;
	case HYPMEM_WALK_TABLE_POST:
		if (child == 3 && !s->cfg.stage1 && !d->counted[child + 1]) {
			struct hypmem_error *err = add_candidate(s, ctx->addr);

			if (err)
				return err;
		}
		return check_refcount(d, ctx->child_pa, d->counted[child + 1]);
	default:
		return decode_leaf(d, ctx);
	}
}

/* The root pages: counted once the walk is over, from a second read. */
static struct hypmem_error *check_roots(struct decode *d, struct hypmem_source *src)
{
	const struct hypmem_stage2 *s = d->s;
	unsigned int ps = geom_shift(&s->geom), nr = 1U << level_bits(ps);
	struct hypmem_error *err = NULL;
	uint64_t *entries;

	if (!s->cfg.refcount)
		return NULL;
	entries = malloc(8ULL * nr);
	if (!entries)
		return &hypmem_enomem;
	for (unsigned int p = 0; p < s->geom.pgd_pages; p++) {
		uint64_t pa = s->geom.pgd_pa + ((uint64_t)p << ps), counted = 0;

		err = hypmem_source_read(src, entries, pa, 1ULL << ps);

		if (err) {
			hypmem_error_destroy(err);
			err = NULL; /* else a root missing last is returned freed */
			continue;   /* reported by the walk */
		}
		for (unsigned int i = 0; i < nr; i++) {
			uint64_t pte = entries[i];
			bool table = (pte & 3) == 3 && s->geom.start_level < 3;

			counted += pte && (table || leaf_counted(s, pte));
		}
		err = check_refcount(d, pa, counted);
		if (err)
			break;
	}
	free(entries);
	return err;
}

struct hypmem_error *hypmem_stage2_decode_raw(struct hypmem_source *src,
					      struct hypmem_findings *findings,
					      struct hypmem_stage2 *s)
{
	struct decode d = {.s = s, .f = findings};
	struct hypmem_pgtable_walker walker = {
	    .cb = decode_visitor,
	    .arg = &d,
	    .flags = HYPMEM_WALK_LEAF | HYPMEM_WALK_TABLE_PRE | HYPMEM_WALK_TABLE_POST,
	};
	struct hypmem_error *err;

	s->nr_runs = 0; /* a buffer the caller kept (cap_runs) is reused */
	s->tables = s->geom.pgd_pages;
	/* A level -1 root has no slot per level: it is in the total only. */
	if (s->geom.start_level >= 0)
		s->tables_by_level[s->geom.start_level] = s->geom.pgd_pages;
	err = hypmem_pgtable_walk(src, &s->geom, 0, 1ULL << s->geom.ia_bits, &walker, findings);
	if (!err)
		err = flush_run(&d);
	if (!err)
		err = check_roots(&d, src);
	return err;
}

void hypmem_stage2_deinit(struct hypmem_stage2 *s)
{
	free(s->runs);
	free(s->candidate_addrs);
	memset(s, 0, sizeof(*s));
}

/* --- learning the table from DWARF --- */

static struct hypmem_error *read_struct_field(struct hypmem_target *t,
					      const struct hypmem_type *type, const uint8_t *buf,
					      const char *path, bool required, uint64_t *ret,
					      bool *present)
{
	struct hypmem_field f;
	struct hypmem_error *err = hypmem_field_lookup(t, type, path, required, &f);

	if (err)
		return err;
	if (present)
		*present = f.present;
	hypmem_field_get(&f, buf, type->size, ret);
	return NULL;
}

static bool enumerator(struct hypmem_target *t, const char *name, int64_t *ret)
{
	struct hypmem_error *err = hypmem_dwarf_enumerator(hypmem_target_dwarf(t), name, ret);

	if (!err)
		return true;
	hypmem_error_destroy(err);
	return false;
}

/* Owner names from enum pkvm_component_id, whichever members this kernel has. */
static void learn_owners(struct hypmem_target *t, struct hypmem_s2_config *cfg)
{
	static const char *const ids[] = {"PKVM_ID_HOST", "PKVM_ID_HYP", "PKVM_ID_GUEST",
					  "PKVM_ID_FFA", "PKVM_ID_PROTECTED"};
	int64_t v;

	cfg->owner_max = -1;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		if (!enumerator(t, ids[i], &v) || v < 0 || v >= HYPMEM_S2_MAX_OWNERS)
			continue;
		snprintf(cfg->owner_names[v], sizeof(cfg->owner_names[v]), "%s", ids[i] + 8);
		for (char *c = cfg->owner_names[v]; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
		if (v > cfg->owner_max)
			cfg->owner_max = (int)v;
	}
	if (enumerator(t, "PKVM_ID_MAX", &v) && v >= 0 && v < HYPMEM_S2_MAX_OWNERS)
		cfg->owner_max = (int)v;
	cfg->host_owner = enumerator(t, "PKVM_ID_HOST", &v) && v >= 0 && v < 256 ? (unsigned)v : 0;
	cfg->guest_owner =
	    enumerator(t, "PKVM_ID_GUEST", &v) && v >= 0 && v < 256 ? (unsigned)v : 2;
}

/*
 * The era of invalid entries: enum kvm_invalid_pte_type exists in 7.x
 * (its enumerators give the type values); before it, owner ids in 9:2.
 */
static void learn_invalid_types(struct hypmem_target *t, struct hypmem_s2_config *cfg)
{
	int64_t v;

	cfg->type_locked = cfg->type_donation = cfg->type_poisoned = -1;
	if (enumerator(t, "KVM_INVALID_PTE_TYPE_LOCKED", &v) && v > 0 && v < 16)
		cfg->type_locked = v;
	if (enumerator(t, "KVM_HOST_INVALID_PTE_TYPE_DONATION", &v) && v > 0 && v < 16)
		cfg->type_donation = v;
	if (enumerator(t, "KVM_GUEST_INVALID_PTE_TYPE_POISONED", &v) && v > 0 && v < 16)
		cfg->type_poisoned = v;
	cfg->invalid_types = cfg->type_locked >= 0 || cfg->type_donation >= 0;
}

/*
 * Page states: in the v6.1 era the enum values are the software-bit masks
 * themselves (SHARED_OWNED = SW0 = bit 55); later they are small integers
 * placed in the same two bits.  Which one, DWARF says.
 */
static void learn_states(struct hypmem_target *t, struct hypmem_s2_config *cfg)
{
	static const struct {
		const char *name;
		enum hypmem_s2_state state;
	} states[] = {
	    {"PKVM_PAGE_OWNED", HYPMEM_S2_OWNED},
	    {"PKVM_PAGE_SHARED_OWNED", HYPMEM_S2_SHARED_OWNED},
	    {"PKVM_PAGE_SHARED_BORROWED", HYPMEM_S2_SHARED_BORROWED},
	};
	int64_t sw0 = 1LL << 55, v;
	bool masks;

	if (enumerator(t, "KVM_PGTABLE_PROT_SW0", &v) && v > 0)
		sw0 = v;
	cfg->state_shift = (unsigned int)__builtin_ctzll((uint64_t)sw0);
	masks = enumerator(t, "PKVM_PAGE_SHARED_OWNED", &v) && v >= sw0;
	memset(cfg->state_of_raw, -1, sizeof(cfg->state_of_raw));
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		uint64_t raw = i; /* upstream's values, when DWARF lacks the enum */

		if (enumerator(t, states[i].name, &v))
			raw = masks ? (uint64_t)v >> cfg->state_shift : (uint64_t)v;
		if (raw < 4)
			cfg->state_of_raw[raw] = (int8_t)states[i].state;
	}
}

/* What a guest stage-2 decoder needs from DWARF (vms.c). */
void hypmem_stage2_learn_guest(struct hypmem_target *t, struct hypmem_s2_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	learn_owners(t, cfg);
	learn_invalid_types(t, cfg);
	learn_states(t, cfg);
	cfg->guest = true;
	cfg->keep_runs = true;
	cfg->ram = hypmem_target_info(t)->ram;
	cfg->nr_ram = hypmem_target_info(t)->nr_ram;
}

struct refcount_arg {
	struct hypmem_target *t;
};

static struct hypmem_error *vmemmap_refcount(void *arg, uint64_t pa, uint64_t *ret)
{
	struct refcount_arg *a = arg;
	struct hypmem_page page;
	struct hypmem_error *err =
	    hypmem_vmemmap_read(a->t, pa >> hypmem_target_info(a->t)->page_shift, 1, &page);

	if (!err)
		*ret = page.refcount;
	return err;
}

/* A pool's [range_start, range_end), or {0, 0} if DWARF or the dump lack it. */
static void pool_range(struct hypmem_target *t, const char *name, struct hypmem_ram_range *ret)
{
	struct hypmem_type type;
	struct hypmem_error *err;
	uint8_t buf[512];
	uint64_t pa;

	ret->start = ret->end = 0;
	err = hypmem_target_symbol_pa(t, name, &pa, &type);
	if (!err && (type.size == 0 || type.size > sizeof(buf)))
		return;
	if (!err)
		err = hypmem_target_read(t, buf, pa, type.size);
	if (!err)
		err = read_struct_field(t, &type, buf, "range_start", true, &ret->start, NULL);
	if (!err)
		err = read_struct_field(t, &type, buf, "range_end", true, &ret->end, NULL);
	if (err || ret->end <= ret->start)
		ret->start = ret->end = 0;
	hypmem_error_destroy(err);
}

/* host_mmu (v6.2+) or host_kvm: its pgt, and what else DWARF tells. */
static struct hypmem_error *find_host_table(struct hypmem_target *t, struct hypmem_stage2 *s,
					    uint64_t *ia_bits, int64_t *start_level)
{
	static const char *const names[] = {"host_mmu", "host_kvm"};
	struct hypmem_type type, pgt;
	struct hypmem_member m;
	struct hypmem_error *err = NULL;
	uint64_t pa = 0, v, pgd_phys;
	uint8_t buf[4096]; /* struct host_mmu is 1256 bytes in Debian's 6.12 */
	bool have_phys;
	size_t i;

	for (i = 0; i < 2; i++) {
		err = hypmem_target_symbol_pa(t, names[i], &pa, &type);
		if (!err)
			break;
		if (!hypmem_error_catch(&err, HYPMEM_ERROR_LOOKUP))
			return err;
	}
	if (i == 2) {
		snprintf(s->missing, sizeof(s->missing),
			 "no host_mmu or host_kvm in the image's DWARF or symbols");
		return NULL;
	}
	snprintf(s->table, sizeof(s->table), "%s", names[i]);
	if (type.kind != HYPMEM_TYPE_STRUCT || type.size > sizeof(buf))
		return hypmem_error_create(HYPMEM_ERROR_FORMAT, "%s is not a struct host_mmu",
					   names[i]);
	err = hypmem_target_read(t, buf, pa, type.size);
	if (err)
		return err;
	if ((err = read_struct_field(t, &type, buf, "pgt.ia_bits", true, ia_bits, NULL)) ||
	    (err = read_struct_field(t, &type, buf, "pgt.start_level", true, &v, NULL)) ||
	    (err = read_struct_field(t, &type, buf, "pgt.pgd", true, &s->pgd, NULL)) ||
	    (err = read_struct_field(t, &type, buf, "arch.mmu.pgd_phys", false, &pgd_phys,
				     &have_phys)))
		return err;
	*start_level = (int64_t)v;
	/* All zero: a kernel that never set the host stage-2 up (pKVM not enabled). */
	if (!s->pgd) {
		snprintf(s->missing, sizeof(s->missing),
			 "%s.pgt.pgd is NULL: the host stage-2 was never set up", names[i]);
		return NULL;
	}
	/*
	 * Android's struct kvm_pgtable_pte_ops (the coalescing on reclaim patch)
	 * changed which descriptors are counted.
	 */
	err = hypmem_dwarf_member(hypmem_target_dwarf(t), &type, "pgt", &m);
	if (err)
		return err;
	pgt = m.type;
	s->cfg.android_refcounts =
	    hypmem_dwarf_has_member(hypmem_target_dwarf(t), &pgt, "pte_ops", NULL);
	s->found = true;
	if (have_phys && pgd_phys != hypmem_target_hyp_linear_to_pa(t, s->pgd))
		return hypmem_findings_add(
		    hypmem_target_findings(t), HYPMEM_FINDING_TRANSLATION, pa,
		    "%s.pgt.pgd 0x%" PRIx64 " is PA 0x%" PRIx64
		    " but arch.mmu.pgd_phys says 0x%" PRIx64,
		    names[i], s->pgd, hypmem_target_hyp_linear_to_pa(t, s->pgd), pgd_phys);
	return NULL;
}

struct hypmem_error *hypmem_stage2_decode(struct hypmem_target *t, unsigned int flags,
					  struct hypmem_stage2 *s)
{
	const struct hypmem_target_info *info = hypmem_target_info(t);
	struct refcount_arg rarg = {.t = t};
	struct hypmem_hyp_page_layout layout;
	struct hypmem_error *err;
	uint64_t ia_bits = 0;
	int64_t start_level = -1;

	memset(s, 0, sizeof(*s));
	s->cfg.keep_runs = flags & HYPMEM_S2_KEEP_RUNS;
	s->cfg.stage1 = flags & HYPMEM_S2_HYP_STAGE1;
	if (s->cfg.stage1) {
		snprintf(s->table, sizeof(s->table), "pkvm_pgtable");
		s->pgd = info->hyp_pgd;
		ia_bits = info->hyp_ia_bits;
		start_level = info->hyp_start_level;
		s->found = true;
		pool_range(t, "hpool", &s->pool);
	} else {
		err = find_host_table(t, s, &ia_bits, &start_level);
		if (err || !s->found)
			return err;
		pool_range(t, "host_s2_pool", &s->pool);
		s->cfg.check_identity = true;
		learn_owners(t, &s->cfg);
		learn_invalid_types(t, &s->cfg);
	}
	learn_states(t, &s->cfg);
	s->cfg.ram = info->ram;
	s->cfg.nr_ram = info->nr_ram;
	/*
	 * Refcounts of table pages are checked on the host stage-2 only: the
	 * hyp stage-1's first tables come from the early allocator, and real
	 * kernels (v6.1, v6.12) leave some of them uncounted.
	 */
	if (!s->cfg.stage1) {
		err = hypmem_hyp_page_layout(t, &layout);
		if (!err) {
			/*
			 * 7.x keeps the host's page states in the vmemmap only
			 * (since v6.15 they are there; the host stage-2 maps
			 * RWX).  Both marks of the era are required: the
			 * vmemmap fields and the typed invalid entries.
			 */
			s->cfg.no_leaf_state = layout.host_state.present && s->cfg.invalid_types;
			s->cfg.refcount = vmemmap_refcount;
			s->cfg.refcount_arg = &rarg;
		} else if (!hypmem_error_catch(&err, HYPMEM_ERROR_LOOKUP)) {
			return err;
		}
	}

	err = hypmem_pgtable_geometry_init_granule(
	    &s->geom, info->page_shift, (uint32_t)ia_bits, (int)start_level,
	    hypmem_target_hyp_linear_to_pa(t, s->pgd), !s->cfg.stage1);
	if (err) {
		struct hypmem_error *ferr =
		    hypmem_findings_add(hypmem_target_findings(t), HYPMEM_FINDING_TABLE_UNREADABLE,
					s->pgd, "%s: %s", s->table, err->message);

		hypmem_error_destroy(err);
		return ferr;
	}
	if (s->pool.end) {
		s->geom.table_ranges = &s->pool;
		s->geom.nr_table_ranges = 1;
	}
	err = hypmem_stage2_decode_raw(hypmem_target_source(t), hypmem_target_findings(t), s);
	s->cfg.refcount = NULL;
	s->cfg.refcount_arg = NULL;
	s->geom.table_ranges = s->pool.end ? &s->pool : NULL;
	return err;
}
