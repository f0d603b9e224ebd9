// SPDX-License-Identifier: GPL-2.0-only
/*
 * Ground truth for the host stage-2, from the EL2 core's own walker and
 * counters (see stage2_truth.h).  The decoder (lib/hypmem/stage2.c) must
 * reproduce the runs and histograms printed here from a dump alone.
 */
#include "el2/mem_protect.h"
#include "el2/pkvm.h"
#include "el2/printk.h"
#include "el2/stage2_truth.h"
#include "el2/string.h"

enum {
	STATE_OWNED,
	STATE_SHARED_OWNED,
	STATE_SHARED_BORROWED,
	STATE_NOPAGE,
	STATE_RESERVED,
	STATE_NONE, /* layout 8's host leaves: the state is in the vmemmap */
};

struct describe_data {
	bool guest;
	stage2_run_fn fn;
	void *arg;
	struct stage2_summary *sum;
	struct kvm_pgtable *pgt;
	bool have_run;
	struct stage2_run run;
};

/*
 * Names live in arrays of characters, not of pointers: the image must hold
 * no link-time pointers in data (check-image.sh), and a switch returning
 * string literals would become such a table.
 */
#if HYP_PAGE_LAYOUT == 8
static const char owner_names[][12] = {"host", "hyp", "guest"};
#else
static const char owner_names[][12] = {"host", "hyp", "guest", "ffa", "protected"};
#endif
static const char state_names[][16] = {"owned",	 "shared_owned", "shared_borrowed",
				       "nopage", "reserved",	 "-"};
static const char type_names[][16] = {"type0", "locked", "host_donation", "guest_poisoned"};
static const char prot_names[][4] = {"---", "r--", "-w-", "rw-", "--x", "r-x", "-wx", "rwx"};
static const char memattr_names[][8] = {"none", "normal", "device", "other"};
static const char size_names[][8] = {"512G", "1G", "2M", "4K"};

const char *stage2_owner_name(u8 owner)
{
	return owner < ARRAY_SIZE(owner_names) ? owner_names[owner] : "unknown";
}

const char *stage2_state_name(u8 state)
{
	return state_names[state < ARRAY_SIZE(state_names) ? state : STATE_RESERVED];
}

static const char *stage2_type_name(u8 type)
{
	return type < ARRAY_SIZE(type_names) ? type_names[type] : "type?";
}

const char *stage2_prot_name(u8 prot)
{
	return prot_names[prot & 7];
}

const char *stage2_memattr_name(u8 memattr)
{
	return memattr_names[memattr & 3];
}

const char *stage2_size_name(s8 level)
{
	return size_names[level & 3];
}

static u8 leaf_state(kvm_pte_t pte)
{
	enum pkvm_page_state s =
	    pkvm_getstate((enum kvm_pgtable_prot)(pte & PKVM_PAGE_STATE_PROT_MASK));

	if (s == PKVM_PAGE_OWNED)
		return STATE_OWNED;
	if (s == PKVM_PAGE_SHARED_OWNED)
		return STATE_SHARED_OWNED;
	if (s == PKVM_PAGE_SHARED_BORROWED)
		return STATE_SHARED_BORROWED;
	return STATE_RESERVED;
}

static void classify(kvm_pte_t pte, u64 addr, s8 level, bool guest, struct stage2_run *r)
{
	u64 memattr = (pte & KVM_PTE_LEAF_ATTR_LO_S2_MEMATTR) >> 2;

	memset(r, 0, sizeof(*r));
	r->start = addr;
	r->end = addr + kvm_granule_size(level);
	r->level = level;
	r->valid = kvm_pte_valid(pte);
#if HYP_PAGE_LAYOUT == 8
	if (!r->valid) {
		r->state = STATE_NOPAGE;
		r->type = (u8)(pte >> KVM_INVALID_PTE_TYPE_SHIFT);
		r->owner = guest ? PKVM_ID_GUEST : PKVM_ID_HOST;
		if (r->type == KVM_HOST_INVALID_PTE_TYPE_DONATION) {
			u64 meta = (pte & KVM_HOST_DONATION_PTE_EXTRA_MASK) >>
				   KVM_HOST_DONATION_PTE_EXTRA_SHIFT;

			r->owner = (u8)((pte & KVM_HOST_DONATION_PTE_OWNER_MASK) >>
					KVM_HOST_DONATION_PTE_OWNER_SHIFT);
			if (r->owner == PKVM_ID_GUEST) {
				r->vm_handle = (u16)(meta & KVM_HOST_PTE_OWNER_GUEST_HANDLE_MASK);
				r->gfn = meta >> KVM_HOST_PTE_OWNER_GUEST_GFN_SHIFT;
			}
		}
		return;
	}
	r->owner = guest ? PKVM_ID_GUEST : PKVM_ID_HOST;
	r->state = guest ? leaf_state(pte) : STATE_NONE;
	r->phys = kvm_pte_to_phys(pte);
#else
	(void)guest;
	if (!r->valid) {
		r->owner = (pte & KVM_INVALID_PTE_OWNER_MASK) >> 2;
		r->state = STATE_NOPAGE;
		return;
	}
	r->owner = PKVM_ID_HOST;
	r->state = leaf_state(pte);
	r->phys = kvm_pte_to_phys(pte);
#endif
	r->prot = (pte & KVM_PTE_LEAF_ATTR_LO_S2_S2AP_R ? 1 : 0) |
		  (pte & KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W ? 2 : 0) |
		  (pte & KVM_PTE_LEAF_ATTR_HI_S2_XN ? 0 : 4);
	r->memattr = memattr == MT_S2_NORMAL ? 1 : memattr <= 3 ? 2 : 3;
}

static bool same_run(const struct stage2_run *a, const struct stage2_run *b)
{
	return a->end == b->start && a->level == b->level && a->valid == b->valid &&
	       a->owner == b->owner && a->state == b->state && a->prot == b->prot &&
	       a->memattr == b->memattr && a->type == b->type && a->vm_handle == b->vm_handle &&
	       (!a->vm_handle || a->gfn + ((a->end - a->start) >> PAGE_SHIFT) == b->gfn) &&
	       (!a->valid || a->phys + (a->end - a->start) == b->phys);
}

static void flush_run(struct describe_data *d)
{
	if (!d->have_run)
		return;
	d->sum->nr_runs++;
	if (d->fn)
		d->fn(&d->run, d->arg);
	d->have_run = false;
}

static void account(struct stage2_summary *sum, const struct stage2_run *r)
{
	u64 bytes = r->end - r->start;

	sum->count_by_level[r->level]++;
	sum->bytes_by_level[r->level] += bytes;
	sum->count_by_owner[r->owner]++;
	sum->bytes_by_owner[r->owner] += bytes;
	if (r->state < STAGE2_NR_STATES) {
		sum->count_by_state[r->state]++;
		sum->bytes_by_state[r->state] += bytes;
	}
	if (HYP_PAGE_LAYOUT == 8 && !r->valid) {
		sum->count_by_type[r->type & 15]++;
		sum->bytes_by_type[r->type & 15] += bytes;
	}
}

/* A last-level table with no counted entry could be a block again. */
static bool table_is_candidate(struct kvm_pgtable *pgt, kvm_pte_t *childp)
{
	unsigned int i;

	for (i = 0; i < PTRS_PER_PTE; i++)
		if (kvm_pgtable_stage2_pte_is_counted(pgt, childp[i], KVM_PGTABLE_LAST_LEVEL))
			return false;
	return true;
}

static int describe_walker(const struct kvm_pgtable_visit_ctx *ctx,
			   enum kvm_pgtable_walk_flags visit)
{
	struct describe_data *d = ctx->arg;
	struct stage2_run r;

	if (visit == KVM_PGTABLE_WALK_TABLE_PRE) {
		d->sum->tables++;
		d->sum->tables_by_level[ctx->level + 1]++;
		return 0;
	}
	if (visit == KVM_PGTABLE_WALK_TABLE_POST) {
		if (ctx->level == KVM_PGTABLE_LAST_LEVEL - 1 &&
		    table_is_candidate(d->pgt, kvm_pte_follow(ctx->old, ctx->mm_ops)))
			d->sum->candidates++;
		return 0;
	}
	if (!ctx->old)
		return 0;
	classify(ctx->old, ALIGN_DOWN(ctx->addr, kvm_granule_size(ctx->level)), ctx->level,
		 d->guest, &r);
	account(d->sum, &r);
	if (d->have_run && same_run(&d->run, &r)) {
		d->run.end = r.end;
		return 0;
	}
	flush_run(d);
	d->run = r;
	d->have_run = true;
	return 0;
}

int stage2_describe(struct kvm_pgtable *pgt, bool guest, stage2_run_fn fn, void *arg,
		    struct stage2_summary *sum)
{
	struct describe_data d = {
	    .guest = guest,
	    .fn = fn,
	    .arg = arg,
	    .sum = sum,
	    .pgt = pgt,
	};
	struct kvm_pgtable_walker walker = {
	    .cb = describe_walker,
	    .arg = &d,
	    .flags =
		KVM_PGTABLE_WALK_LEAF | KVM_PGTABLE_WALK_TABLE_PRE | KVM_PGTABLE_WALK_TABLE_POST,
	};
	u64 pgd_pages = kvm_pgtable_stage2_pgd_size(pgt->mmu->arch->vtcr) >> PAGE_SHIFT;
	int ret;

	memset(sum, 0, sizeof(*sum));
	sum->tables = pgd_pages;
	sum->tables_by_level[pgt->start_level] = pgd_pages;
	ret = kvm_pgtable_walk(pgt, 0, BIT(pgt->ia_bits), &walker);
	flush_run(&d);
	return ret;
}

/* --- printing --- */

static void print_run(const struct stage2_run *r, void *arg)
{
	bool *first = arg;

	hyp_printf("%s\n      {\"start\": \"0x%llx\", \"end\": \"0x%llx\", \"level\": %d, "
		   "\"size\": \"%s\", \"entries\": %llu, \"valid\": %s, \"owner\": \"%s\", "
		   "\"owner_id\": %u, \"state\": \"%s\", \"prot\": \"%s\", \"memattr\": \"%s\"",
		   *first ? "" : ",", (unsigned long long)r->start, (unsigned long long)r->end,
		   r->level, stage2_size_name(r->level),
		   (unsigned long long)((r->end - r->start) >> kvm_granule_shift(r->level)),
		   r->valid ? "true" : "false", stage2_owner_name(r->owner), r->owner,
		   stage2_state_name(r->state), stage2_prot_name(r->prot),
		   stage2_memattr_name(r->memattr));
	if (HYP_PAGE_LAYOUT == 8 && !r->valid)
		hyp_printf(", \"type\": \"%s\"", stage2_type_name(r->type));
	if (r->vm_handle)
		hyp_printf(", \"vm_handle\": %u, \"gfn\": \"0x%llx\"", r->vm_handle,
			   (unsigned long long)r->gfn);
	hyp_printf("}");
	*first = false;
}

static void print_bucket(const char **sep, const char *name, u64 count, u64 bytes)
{
	if (!count)
		return;
	hyp_printf("%s\"%s\": {\"count\": %llu, \"bytes\": %llu}", *sep, name,
		   (unsigned long long)count, (unsigned long long)bytes);
	*sep = ", ";
}

static void print_histogram(const struct stage2_summary *s, bool guest)
{
	const char *sep = "";
	unsigned int i;
	s8 level;

	hyp_printf("    \"histogram\": {\"by_size\": {");
	for (level = KVM_PGTABLE_LAST_LEVEL; level >= KVM_PGTABLE_FIRST_LEVEL; level--)
		print_bucket(&sep, stage2_size_name(level), s->count_by_level[level],
			     s->bytes_by_level[level]);
	hyp_printf("},\n      \"by_owner\": {");
	sep = "";
	for (i = guest ? PKVM_ID_GUEST : 0; i < STAGE2_NR_OWNERS; i++)
		print_bucket(&sep, stage2_owner_name(i), s->count_by_owner[i],
			     s->bytes_by_owner[i]);
	hyp_printf("},\n      \"by_state\": {");
	sep = "";
	for (i = 0; i < STAGE2_NR_STATES; i++)
		print_bucket(&sep, stage2_state_name(i), s->count_by_state[i],
			     s->bytes_by_state[i]);
	if (HYP_PAGE_LAYOUT == 8) {
		hyp_printf("},\n      \"by_type\": {");
		sep = "";
		for (i = 1; i < ARRAY_SIZE(type_names); i++)
			print_bucket(&sep, stage2_type_name(i), s->count_by_type[i],
				     s->bytes_by_type[i]);
	}
	hyp_printf("}},\n");
}

static void print_levels(const char *name, const u64 *v)
{
	const char *sep = "";
	int level;

	hyp_printf("\"%s\": {", name);
	for (level = KVM_PGTABLE_FIRST_LEVEL; level <= KVM_PGTABLE_LAST_LEVEL; level++) {
		if (!v[level])
			continue;
		hyp_printf("%s\"%d\": %llu", sep, level, (unsigned long long)v[level]);
		sep = ", ";
	}
	hyp_printf("}");
}

void stage2_truth_print(void)
{
	struct kvm_pgtable *pgt = &host_mmu.pgt;
	static struct stage2_summary s;
	struct pkvm_vm_stats *vs = &pkvm_vm_stats;
	bool first = true;
	unsigned int i, live = 0;

	if (!pgt->pgd)
		return;
	for (i = 0; i < KVM_MAX_PVMS; i++)
		live += pkvm_vm_slot(i) != NULL;

	hyp_printf(
	    "  \"stage2\": {\"table\": \"%s\", \"ia_bits\": %u, \"start_level\": %d, "
	    "\"pgd\": \"0x%llx\", \"pgd_pages\": %llu,\n",
	    HYP_PAGE_LAYOUT == 8 ? "host_mmu" : "host_kvm", pgt->ia_bits, (int)pgt->start_level,
	    (unsigned long long)(u64)pgt->pgd,
	    (unsigned long long)(kvm_pgtable_stage2_pgd_size(host_mmu.arch.vtcr) >> PAGE_SHIFT));
	hyp_printf("    \"runs\": [");
	host_lock_component();
	stage2_describe(pgt, false, print_run, &first, &s);
	host_unlock_component();
	hyp_printf("\n    ],\n");
	print_histogram(&s, false);
	hyp_printf("    \"tables\": %llu, ", (unsigned long long)s.tables);
	print_levels("tables_by_level", s.tables_by_level);
	hyp_printf(", \"coalescing_candidates\": %llu, \"nr_runs\": %llu,\n",
		   (unsigned long long)s.candidates, (unsigned long long)s.nr_runs);
	hyp_printf(
	    "    \"pool_pages\": %llu, \"pool_pages_peak\": %llu, \"coalesce_events\": %llu, ",
	    (unsigned long long)host_s2_stats.table_pages,
	    (unsigned long long)host_s2_stats.table_pages_peak,
	    (unsigned long long)host_s2_stats.coalesce_events);
	print_levels("coalesced_by_level", host_s2_stats.coalesced_by_level);
	hyp_printf(",\n    \"faults\": %llu, ", (unsigned long long)host_s2_stats.faults);
	print_levels("faults_by_level", host_s2_stats.faults_by_level);
	hyp_printf(",\n    \"vms\": {\"created\": %llu, \"torn_down\": %llu, \"freed\": %llu, "
		   "\"live\": %u, \"donated_pages\": %llu, \"reclaimed_pages\": %llu}\n  },\n",
		   (unsigned long long)vs->created, (unsigned long long)vs->torn_down,
		   (unsigned long long)vs->freed, live, (unsigned long long)vs->donated_pages,
		   (unsigned long long)vs->reclaimed_pages);
}

#if HYP_PAGE_LAYOUT == 8
static void print_guest(struct pkvm_hyp_vm *vm, unsigned int slot, bool last)
{
	static struct stage2_summary s;
	struct kvm_pgtable *pgt = &vm->pgt;
	bool first = true;
	u64 mapped = 0;
	s8 level;

	hyp_printf("    {\"slot\": %u, \"handle\": \"0x%x\", \"address\": \"0x%llx\", "
		   "\"nr_vcpus\": %d, \"pool_start\": \"0x%llx\", \"pool_end\": \"0x%llx\",\n",
		   slot, vm->kvm.arch.pkvm.handle, (unsigned long long)(u64)vm,
		   vm->kvm.created_vcpus, (unsigned long long)vm->pool.range_start,
		   (unsigned long long)vm->pool.range_end);
	hyp_printf("     \"stage2\": {\"table\": \"vm_table[%u]\", \"ia_bits\": %u, "
		   "\"start_level\": %d, \"pgd\": \"0x%llx\",\n    \"runs\": [",
		   slot, pgt->ia_bits, (int)pgt->start_level, (unsigned long long)(u64)pgt->pgd);
	stage2_describe(pgt, true, print_run, &first, &s);
	hyp_printf("\n    ],\n");
	print_histogram(&s, true);
	hyp_printf("    \"tables\": %llu, ", (unsigned long long)s.tables);
	print_levels("tables_by_level", s.tables_by_level);
	for (level = KVM_PGTABLE_FIRST_LEVEL; level <= KVM_PGTABLE_LAST_LEVEL; level++)
		mapped += s.bytes_by_level[level];
	hyp_printf(
	    ", \"nr_runs\": %llu},\n     \"mapped_bytes\": %llu, \"mapped_pages\": %llu}%s\n",
	    (unsigned long long)s.nr_runs, (unsigned long long)mapped,
	    (unsigned long long)(mapped >> PAGE_SHIFT), last ? "" : ",");
}

void vms_truth_print(void)
{
	unsigned int i, n = 0, seen = 0;

	for (i = 0; i < KVM_MAX_PVMS; i++)
		n += pkvm_vm_slot(i) != NULL;
	hyp_printf("  \"vms\": [\n");
	for (i = 0; i < KVM_MAX_PVMS; i++) {
		struct pkvm_hyp_vm *vm = pkvm_vm_slot(i);

		if (vm)
			print_guest(vm, i, ++seen == n);
	}
	hyp_printf("  ],\n");
}
#else
void vms_truth_print(void)
{
}
#endif
