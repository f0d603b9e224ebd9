// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the EL2 host stage-2 (pgtable_stage2.c, host_stage2.c,
 * pkvm.c, stage2_truth.c), natively, once per hyp_page layout: faults map
 * the largest block, donations annotate and split.  Layouts 4 and 32:
 * refcounts follow Android's coalescing rule, reclaim zaps tables and the next fault maps
 * the block again.  Layout 8 (7.x): typed donations with metadata, every
 * non-zero entry counted, reclaim maps the pages again (a block replacing
 * its table where the range covers it), states only in the vmemmap.
 *
 * The oracle is this file's own reading of the descriptors: it walks the
 * table pages itself (no kvm_pgtable_walk), applies the era's counting
 * rule written out independently, and checks every table page's refcount,
 * that every table page comes from host_s2_pool, and that the pool lost
 * exactly the pages the table holds.  It also merges its own leaves into
 * runs and compares them with stage2_describe(), the ground-truth printer.
 */
#include <stdio.h>

#include "el2/stage2_truth.h"
#include "el2/workload.h"
#include "el2_stage2_env.h"
#include "test.h"
#include "../lib/rng.h"

#define PTE_ADDR  0x0000fffffffff000ULL
#define ATTR_MASK (0xfffc000000000000ULL | 0xffcULL)
#define DEF_MEM	  ((0xfULL << 2) | (1ULL << 6) | (1ULL << 7) | (3ULL << 8) | (1ULL << 10))
#define DEF_MMIO  (DEF_MEM | (1ULL << 54))

/* The annotation a page given to the hyp / to a guest's gfn carries. */
#if HYP_PAGE_LAYOUT == 8
#define HYP_ANNOT (0x2000000000000000ULL | 0x2ULL)
#define GUEST_ANNOT(handle, gfn)                                                                   \
	(0x2000000000000000ULL | 0x4ULL | ((u64)(handle) << 4) | ((u64)(gfn) << 20))
#else
#define HYP_ANNOT		 ((u64)PKVM_ID_HYP << 2)
#define GUEST_ANNOT(handle, gfn) ((u64)PKVM_ID_GUEST << 2)
#endif
/* The first page a test may give a guest after a one-page VM's metadata. */
#define GUEST_PAGE(k) host_pa(((u64)S2ENV_VM_PAGES(1) - 1 + (k)) * PAGE_SIZE)

static struct s2env env;

static bool oracle_counted(u64 pte, int level)
{
	u64 pa = pte & PTE_ADDR;
	bool mem = pa >= S2ENV_RAM_PA && pa < S2ENV_RAM_PA + S2ENV_RAM_SIZE;

	if (HYP_PAGE_LAYOUT == 8 || !pte)
		return pte != 0;
	if (!pte)
		return false;
	if (!(pte & 1))
		return true; /* owner annotation */
	if (level < 3 && (pte & 2))
		return true; /* table */
	return (pte & ATTR_MASK) != (mem ? DEF_MEM : DEF_MMIO);
}

static u64 *table_va(u64 pte)
{
	return hyp_phys_to_virt(pte & PTE_ADDR);
}

struct oracle {
	u64 table_pages;
	u64 bad;
	struct stage2_run runs[4096];
	unsigned int nr_runs;
};

static void oracle_leaf(struct oracle *o, u64 pte, u64 addr, int level)
{
	u64 size = 1ULL << (12 + 9 * (3 - level));
	struct stage2_run r = {.start = addr, .end = addr + size, .level = (s8)level};
	struct stage2_run *prev = o->nr_runs ? &o->runs[o->nr_runs - 1] : NULL;

	r.valid = pte & 1;
	if (!r.valid && HYP_PAGE_LAYOUT == 8) {
		r.type = (u8)(pte >> 60);
		r.owner = r.type == 2 ? (pte >> 1) & 7 : 0;
		r.state = 3;
		if (r.owner == 2) {
			r.vm_handle = (u16)(pte >> 4);
			r.gfn = (pte >> 20) & ((1ULL << 40) - 1);
		}
	} else if (!r.valid) {
		r.owner = (pte >> 2) & 0xff;
		r.state = 3;
	} else {
		u64 sw = (pte >> 55) & 3;

		r.state = HYP_PAGE_LAYOUT == 8 ? 5 : sw == 0 ? 0 : sw == 1 ? 1 : sw == 2 ? 2 : 4;
		r.prot = ((pte >> 6) & 1) | (((pte >> 7) & 1) << 1) | (((pte >> 54) & 1) ? 0 : 4);
		r.memattr = ((pte >> 2) & 0xf) == 0xf ? 1 : ((pte >> 2) & 0xf) <= 3 ? 2 : 3;
	}
	if (prev && prev->end == r.start && prev->level == r.level && prev->valid == r.valid &&
	    prev->owner == r.owner && prev->state == r.state && prev->prot == r.prot &&
	    prev->memattr == r.memattr && prev->type == r.type && prev->vm_handle == r.vm_handle &&
	    (!r.vm_handle || prev->gfn + ((prev->end - prev->start) >> 12) == r.gfn)) {
		prev->end = r.end;
		return;
	}
	if (o->nr_runs < 4096)
		o->runs[o->nr_runs++] = r;
}

/* Check one table page: its refcount, its pool, then its children. */
static void oracle_table(struct oracle *o, u64 *table, int level, u64 base)
{
	u64 pa = hyp_virt_to_phys(table), counted = 0;

	o->table_pages++;
	if (pa < host_s2_pool.range_start || pa >= host_s2_pool.range_end) {
		printf("#   table page 0x%llx outside host_s2_pool\n", (unsigned long long)pa);
		o->bad++;
	}
	for (int i = 0; i < 512; i++) {
		u64 pte = table[i], addr = base + ((u64)i << (12 + 9 * (3 - level)));

		counted += oracle_counted(pte, level);
		if (level < 3 && (pte & 3) == 3)
			oracle_table(o, table_va(pte), level + 1, addr);
		else if (pte)
			oracle_leaf(o, pte, addr, level);
	}
	if (hyp_page_count(table) != (int)(1 + counted)) {
		printf("#   table 0x%llx level %d: refcount %d, expected 1 + %llu\n",
		       (unsigned long long)pa, level, hyp_page_count(table),
		       (unsigned long long)counted);
		o->bad++;
	}
}

/* The whole table; returns the number of problems (each printed). */
static u64 oracle_check(struct oracle *o)
{
	struct kvm_pgtable *pgt = &host_mmu.pgt;
	u64 pgd_pages = kvm_pgtable_stage2_pgd_size(host_mmu.arch.vtcr) >> PAGE_SHIFT;
	struct pool_free_stats st;

	memset(o, 0, sizeof(*o));
	for (u64 i = 0; i < pgd_pages; i++)
		oracle_table(o, pgt->pgd + i * 512, pgt->start_level,
			     i << (12 + 9 * (4 - pgt->start_level)));
	pool_free_stats(&host_s2_pool, &st);
	if (o->table_pages != host_s2_stats.table_pages) {
		printf("#   %llu table pages, stats say %llu\n", (unsigned long long)o->table_pages,
		       (unsigned long long)host_s2_stats.table_pages);
		o->bad++;
	}
	if (st.free_pages + o->table_pages !=
	    (host_s2_pool.range_end - host_s2_pool.range_start) >> PAGE_SHIFT) {
		printf("#   pool: %llu free + %llu table pages != pool size\n",
		       (unsigned long long)st.free_pages, (unsigned long long)o->table_pages);
		o->bad++;
	}
	return o->bad;
}

static struct oracle oracle;

#define CHECK_TABLE() CHECK_EQ_U64(oracle_check(&oracle), 0)

static void leaf(u64 addr, kvm_pte_t *pte, s8 *level)
{
	*pte = 0;
	*level = -1;
	kvm_pgtable_get_leaf(&host_mmu.pgt, addr, pte, level);
}

static u64 pfn(u64 pa)
{
	return pa >> PAGE_SHIFT;
}

static u64 host_pa(u64 off)
{
	return hyp_pfn_to_phys(env.host_first_pfn) + off;
}

TEST(init_annotates_the_carveout)
{
	kvm_pte_t pte;
	s8 level;

	REQUIRE(s2env_init(&env, 0, S2ENV_S2POOL_PAGES) == 0);
	CHECK_EQ_U64(host_mmu.pgt.ia_bits, 48);
	CHECK_EQ_U64(host_mmu.pgt.start_level, 0);
	CHECK_EQ_U64(host_mmu.arch.mmu.pgd_phys, hyp_virt_to_phys(host_mmu.pgt.pgd));
	/* The vmemmap backing and the pools belong to EL2. */
	leaf(S2ENV_RAM_PA, &pte, &level);
	CHECK_EQ_U64(pte, HYP_ANNOT);
	CHECK_EQ_U64(level, 3);
	leaf(hyp_pfn_to_phys(env.host_first_pfn - 1), &pte, &level);
	CHECK_EQ_U64(pte, HYP_ANNOT);
	leaf(host_pa(0), &pte, &level);
	CHECK_EQ_U64(pte, 0);
#if HYP_PAGE_LAYOUT == 8
	CHECK_EQ_U64(get_host_state(hyp_phys_to_page(S2ENV_RAM_PA)), PKVM_NOPAGE);
	CHECK_EQ_U64(get_hyp_state(hyp_phys_to_page(S2ENV_RAM_PA)), PKVM_PAGE_OWNED);
	CHECK_EQ_U64(get_host_state(hyp_phys_to_page(host_pa(0))), PKVM_PAGE_OWNED);
#endif
	CHECK_TABLE();
}

TEST(fault_maps_the_largest_block)
{
	kvm_pte_t pte;
	s8 level;

	REQUIRE(s2env_init(&env, 0, S2ENV_S2POOL_PAGES) == 0);
	/* [2G, 3G) is all RAM and all the host's: one 1G block. */
	CHECK_EQ_U64(handle_host_mem_abort(0xa0001234ULL), 0);
	leaf(0x80000000ULL, &pte, &level);
	CHECK_EQ_U64(level, 1);
	CHECK_EQ_U64(pte & (ATTR_MASK | 3 | PTE_ADDR), 0x80000000ULL | DEF_MEM | 1);
	/* Next to the carve-out's 2M ranges, a 2M block. */
	CHECK_EQ_U64(handle_host_mem_abort(S2ENV_RAM_PA + (64ULL << 20) + 8), 0);
	leaf(S2ENV_RAM_PA + (64ULL << 20), &pte, &level);
	CHECK_EQ_U64(level, 2);
	/* In the carve-out's last 2M range, only pages are free of annotations. */
	if (env.host_first_pfn % 512) {
		CHECK_EQ_U64(handle_host_mem_abort(host_pa(0)), 0);
		leaf(host_pa(0), &pte, &level);
		CHECK_EQ_U64(level, 3);
		CHECK(pte & 1);
	}
	/* MMIO below RAM: a 1G block, read-write, execute-never. */
	CHECK_EQ_U64(handle_host_mem_abort(0x09000000ULL), 0);
	leaf(0x09000000ULL, &pte, &level);
	CHECK_EQ_U64(level, 1);
	CHECK_EQ_U64(pte & ATTR_MASK, DEF_MMIO);
	/* Far above RAM: level 0 cannot hold a block, level 1 can. */
	CHECK_EQ_U64(handle_host_mem_abort(0x8000000000ULL), 0);
	leaf(0x8000000000ULL, &pte, &level);
	CHECK_EQ_U64(level, 1);
	/* EL2's own pages stay out of reach. */
	CHECK_EQ_U64(handle_host_mem_abort(S2ENV_RAM_PA), -EPERM);
	/* Faulting on a mapped address changes nothing. */
	CHECK_EQ_U64(handle_host_mem_abort(0xa0001234ULL), 0);
	CHECK_EQ_U64(host_s2_stats.faults_by_level[1], 3);
	CHECK_TABLE();
}

TEST(donate_hyp_splits_and_annotates)
{
	u64 block = S2ENV_RAM_PA + (64ULL << 20), page = block + 0x5000;
	kvm_pte_t pte, hpte = 0;
	s8 level, hlevel = -1;

	REQUIRE(s2env_init(&env, 0, S2ENV_S2POOL_PAGES) == 0);
	CHECK_EQ_U64(handle_host_mem_abort(block), 0);
	CHECK_EQ_U64(__pkvm_host_donate_hyp(pfn(page), 2), 0);
	leaf(page, &pte, &level);
	CHECK_EQ_U64(level, 3);
	CHECK_EQ_U64(pte, HYP_ANNOT);
	leaf(page + PAGE_SIZE, &pte, &level);
	CHECK_EQ_U64(pte, HYP_ANNOT);
	/* The rest of the old block is unmapped, to be faulted back by pages. */
	leaf(block, &pte, &level);
	CHECK_EQ_U64(level, 3);
	CHECK_EQ_U64(pte, 0);
	CHECK_EQ_U64(handle_host_mem_abort(block), 0);
	leaf(block, &pte, &level);
	CHECK_EQ_U64(level, 3);
	CHECK(pte & 1);
	/* EL2 maps it, as its own. */
	kvm_pgtable_get_leaf(&pkvm_pgtable, (u64)__hyp_va(page), &hpte, &hlevel);
	CHECK(kvm_pte_valid(hpte));
	CHECK_EQ_U64(hpte & PKVM_PAGE_STATE_PROT_MASK, 0);
	/* Not the host's any more: no second donation, no access. */
	CHECK_EQ_U64(__pkvm_host_donate_hyp(pfn(page), 1), -EPERM);
	CHECK_EQ_U64(handle_host_mem_abort(page), -EPERM);
#if HYP_PAGE_LAYOUT == 8
	CHECK_EQ_U64(get_host_state(hyp_phys_to_page(page)), PKVM_NOPAGE);
	CHECK_EQ_U64(get_hyp_state(hyp_phys_to_page(page)), PKVM_PAGE_OWNED);
#endif
	CHECK_TABLE();
	CHECK_EQ_U64(__pkvm_hyp_donate_host(pfn(page), 2), 0);
#if HYP_PAGE_LAYOUT == 8
	/* And back: mapped again at once, by pages. */
	leaf(page, &pte, &level);
	CHECK_EQ_U64(pte & (ATTR_MASK | 3 | PTE_ADDR), page | DEF_MEM | 3);
	CHECK_EQ_U64(get_host_state(hyp_phys_to_page(page)), PKVM_PAGE_OWNED);
	CHECK_EQ_U64(get_hyp_state(hyp_phys_to_page(page)), PKVM_NOPAGE);
#else
	/* And back: the table held only the host's pages, so it goes. */
	leaf(page, &pte, &level);
	CHECK_EQ_U64(pte, 0);
	CHECK(level <= 2);
	CHECK(host_s2_stats.coalesce_events >= 1);
#endif
	CHECK_TABLE();
}

TEST(share_unshare_leaves_a_candidate)
{
	u64 page = S2ENV_RAM_PA + (66ULL << 20) + 0x3000;
	struct stage2_summary sum;
	kvm_pte_t pte, hpte = 0;
	s8 level, hlevel;

	REQUIRE(s2env_init(&env, 0, S2ENV_S2POOL_PAGES) == 0);
	CHECK_EQ_U64(handle_host_mem_abort(page), 0);
	CHECK_EQ_U64(__pkvm_host_share_hyp(pfn(page)), 0);
	leaf(page, &pte, &level);
	kvm_pgtable_get_leaf(&pkvm_pgtable, (u64)__hyp_va(page), &hpte, &hlevel);
#if HYP_PAGE_LAYOUT == 8
	/* Only the vmemmap changes; the host keeps its 2M block. */
	CHECK_EQ_U64(level, 2);
	CHECK_EQ_U64(pte & ATTR_MASK, DEF_MEM);
	CHECK(kvm_pte_valid(hpte));
	CHECK_EQ_U64(hpte & PKVM_PAGE_STATE_PROT_MASK, 0);
	CHECK_EQ_U64(get_host_state(hyp_phys_to_page(page)), PKVM_PAGE_SHARED_OWNED);
	CHECK_EQ_U64(get_hyp_state(hyp_phys_to_page(page)), PKVM_PAGE_SHARED_BORROWED);
#else
	CHECK_EQ_U64(level, 3);
	CHECK_EQ_U64(pte & PKVM_PAGE_STATE_PROT_MASK, KVM_PGTABLE_PROT_SW0);
	CHECK(oracle_counted(pte, 3));
	CHECK_EQ_U64(hpte & PKVM_PAGE_STATE_PROT_MASK, KVM_PGTABLE_PROT_SW1);
#endif
	CHECK_EQ_U64(__pkvm_host_share_hyp(pfn(page)), -EPERM);
	CHECK_TABLE();

	CHECK_EQ_U64(__pkvm_host_unshare_hyp(pfn(page)), 0);
	leaf(page, &pte, &level);
	CHECK_EQ_U64(level, HYP_PAGE_LAYOUT == 8 ? 2 : 3);
	CHECK_EQ_U64(pte & ATTR_MASK, DEF_MEM);
	hpte = 0;
	kvm_pgtable_get_leaf(&pkvm_pgtable, (u64)__hyp_va(page), &hpte, &hlevel);
	CHECK(!kvm_pte_valid(hpte));
	CHECK_EQ_U64(__pkvm_host_unshare_hyp(pfn(page)), -EPERM);
	CHECK_TABLE();
	/* Unsharing does not coalesce: the 2M range is still mapped by pages. */
	REQUIRE(stage2_describe(&host_mmu.pgt, false, NULL, NULL, &sum) == 0);
	CHECK_EQ_U64(sum.candidates, HYP_PAGE_LAYOUT == 8 ? 0 : 1);
}

/* Donate three guest ranges in [2G, 3G), reclaim them: back to one 1G block. */
TEST(guest_reclaim_coalesces_up_to_1g)
{
	u64 base = 0x80000000ULL;
	u64 r[3][2] = {
	    {base + 0x5000, 100}, {base + (6ULL << 20), 512}, {base + (10ULL << 20) + 0x3000, 600}};
	struct pool_free_stats before, after;
	kvm_pte_t pte;
	s8 level;
	long handle;

	REQUIRE(s2env_init(&env, 0, S2ENV_S2POOL_PAGES) == 0);
	pool_free_stats(&host_s2_pool, &before);
	CHECK_EQ_U64(handle_host_mem_abort(base), 0);
	handle = __pkvm_init_vm(pfn(host_pa(0)), S2ENV_VM_PAGES(2));
	REQUIRE(handle > 0);
	for (int i = 0; i < 3; i++)
		CHECK_EQ_U64(__pkvm_host_donate_guest(handle, pfn(r[i][0]), r[i][1]), 0);
	leaf(r[1][0], &pte, &level);
	CHECK_EQ_U64(pte, GUEST_ANNOT(handle, r[0][1]));
	CHECK_EQ_U64(level, 3);
	/* The host touches memory around the guest: blocks and pages. */
	CHECK_EQ_U64(handle_host_mem_abort(base + (20ULL << 20)), 0);
	CHECK_EQ_U64(handle_host_mem_abort(base + (13ULL << 20) + 0x10000), 0);
	CHECK_EQ_U64(handle_host_mem_abort(base), 0);
	leaf(base + (20ULL << 20), &pte, &level);
	CHECK_EQ_U64(level, 2);
	CHECK_EQ_U64(handle_host_mem_abort(r[0][0]), -EPERM);
	CHECK_EQ_U64(__pkvm_reclaim_dying_guest_page(handle, pfn(r[0][0]), r[0][1]), -ENOENT);
	CHECK_TABLE();

	CHECK_EQ_U64(__pkvm_teardown_vm(handle), 0);
	for (int i = 0; i < 3; i++)
		CHECK_EQ_U64(__pkvm_reclaim_dying_guest_page(handle, pfn(r[i][0]), r[i][1]), 0);
	CHECK_EQ_U64(pkvm_vm_stats.freed, 1);
#if HYP_PAGE_LAYOUT == 8
	/* Mapped back at once: the aligned 2M range as a block, the rest by pages. */
	leaf(base + (6ULL << 20), &pte, &level);
	CHECK_EQ_U64(level, 2);
	CHECK_EQ_U64(pte & (ATTR_MASK | 3 | PTE_ADDR), (base + (6ULL << 20)) | DEF_MEM | 1);
	leaf(r[2][0], &pte, &level);
	CHECK_EQ_U64(level, 3);
	CHECK(pte & 1);
	CHECK(host_s2_stats.coalesced_by_level[2] >= 1);
	CHECK_EQ_U64(get_host_state(hyp_phys_to_page(r[2][0])), PKVM_PAGE_OWNED);
	CHECK_EQ_U64(pkvm_vm_slot((unsigned int)(handle - HANDLE_OFFSET)), 0);
	CHECK_TABLE();
#else
	/* Every table under the 1G entry held only default leaves: all zapped. */
	leaf(base + (20ULL << 20), &pte, &level);
	CHECK_EQ_U64(pte, 0);
	CHECK_EQ_U64(level, 1);
	CHECK(host_s2_stats.coalesced_by_level[1] >= 1);
	CHECK(host_s2_stats.coalesced_by_level[2] >= 3);
	CHECK_EQ_U64(handle_host_mem_abort(base + (6ULL << 20)), 0);
	leaf(base + (6ULL << 20), &pte, &level);
	CHECK_EQ_U64(level, 1);
	CHECK(pte & 1);
	CHECK_TABLE();
	/* The metadata pages came back too; the pool lost only what the table holds. */
	pool_free_stats(&host_s2_pool, &after);
	CHECK_EQ_U64(after.free_pages, before.free_pages);
#endif
	(void)before;
	(void)after;
}

TEST(vm_errors)
{
	long handle;

	REQUIRE(s2env_init(&env, 0, S2ENV_S2POOL_PAGES) == 0);
	CHECK_EQ_U64(__pkvm_init_vm(pfn(S2ENV_RAM_PA), S2ENV_VM_PAGES(1)), -EPERM); /* EL2's page */
	handle = __pkvm_init_vm(pfn(host_pa(0)), S2ENV_VM_PAGES(1));
	REQUIRE(handle > 0);
	CHECK_EQ_U64(__pkvm_host_donate_guest(handle, pfn(GUEST_PAGE(0)), 1), -EPERM);
	CHECK_EQ_U64(__pkvm_host_donate_guest(handle + 1, pfn(GUEST_PAGE(1)), 1), -ENOENT);
	CHECK_EQ_U64(__pkvm_host_donate_guest(handle, pfn(GUEST_PAGE(1)), 4), 0);
	CHECK_EQ_U64(__pkvm_host_donate_hyp(pfn(GUEST_PAGE(2)), 1), -EPERM);
	CHECK_EQ_U64(__pkvm_teardown_vm(handle), 0);
	CHECK_EQ_U64(__pkvm_teardown_vm(handle), -ENOENT);
	CHECK_EQ_U64(__pkvm_host_donate_guest(handle, pfn(GUEST_PAGE(8)), 1), -ENOENT);
	/* A sub-range first, then the rest (a hole in the middle splits the range). */
	CHECK_EQ_U64(__pkvm_reclaim_dying_guest_page(handle, pfn(GUEST_PAGE(2)), 1), 0);
	CHECK_EQ_U64(__pkvm_reclaim_dying_guest_page(handle, pfn(GUEST_PAGE(2)), 1), -ENOENT);
	CHECK_EQ_U64(__pkvm_reclaim_dying_guest_page(handle, pfn(GUEST_PAGE(1)), 1), 0);
	CHECK_EQ_U64(__pkvm_reclaim_dying_guest_page(handle, pfn(GUEST_PAGE(3)), 2), 0);
	CHECK_EQ_U64(pkvm_vm_stats.freed, 1);
	CHECK_EQ_U64(pkvm_vm_stats.reclaimed_pages, 4);
	CHECK_TABLE();
}

#if HYP_PAGE_LAYOUT == 8
/* 7.x: a page shared with two VMs, mapped by both, counted in the vmemmap. */
TEST(share_guest_counts_the_vms)
{
	u64 page = GUEST_PAGE(60), meta2 = GUEST_PAGE(100);
	struct hyp_page *p;
	long a, b;
	kvm_pte_t pte;
	s8 level;

	REQUIRE(s2env_init(&env, 0, S2ENV_S2POOL_PAGES) == 0);
	a = __pkvm_init_vm(pfn(host_pa(0)), S2ENV_VM_PAGES(1));
	b = __pkvm_init_vm(pfn(meta2), S2ENV_VM_PAGES(1));
	REQUIRE(a > 0 && b > 0);
	p = hyp_phys_to_page(page);
	CHECK_EQ_U64(__pkvm_host_share_guest(a, pfn(page)), 0);
	CHECK_EQ_U64(__pkvm_host_share_guest(b, pfn(page)), 0);
	CHECK_EQ_U64(p->host_share_guest_count, 2);
	CHECK_EQ_U64(get_host_state(p), PKVM_PAGE_SHARED_OWNED);
	/* Shared with guests: the hyp may not borrow it, nobody may be given it. */
	CHECK_EQ_U64(__pkvm_host_share_hyp(pfn(page)), -EPERM);
	CHECK_EQ_U64(__pkvm_host_donate_hyp(pfn(page), 1), -EPERM);
	/* Each VM maps it at its first gfn, SHARED_BORROWED. */
	pte = 0;
	kvm_pgtable_get_leaf(&pkvm_vm_slot(0)->pgt, 0, &pte, &level);
	CHECK_EQ_U64(pte & (PTE_ADDR | 1), page | 1);
	CHECK_EQ_U64(pte & PKVM_PAGE_STATE_PROT_MASK, KVM_PGTABLE_PROT_SW1);
	CHECK_EQ_U64(__pkvm_teardown_vm(a), 0);
	CHECK_EQ_U64(__pkvm_reclaim_dying_guest_page(a, pfn(page), 1), 0);
	CHECK_EQ_U64(p->host_share_guest_count, 1);
	CHECK_EQ_U64(get_host_state(p), PKVM_PAGE_SHARED_OWNED);
	CHECK_EQ_U64(__pkvm_teardown_vm(b), 0);
	CHECK_EQ_U64(__pkvm_reclaim_dying_guest_page(b, pfn(page), 1), 0);
	CHECK_EQ_U64(p->host_share_guest_count, 0);
	CHECK_EQ_U64(get_host_state(p), PKVM_PAGE_OWNED);
	CHECK_EQ_U64(pkvm_vm_stats.freed, 2);
	CHECK_TABLE();
}
#endif

static void check_concatenated(u32 ipa_bits, u64 pgd_pages, s8 start_level)
{
	kvm_pte_t pte;
	s8 level;

	REQUIRE(s2env_init(&env, ipa_bits, S2ENV_S2POOL_PAGES) == 0);
	CHECK_EQ_U64(host_mmu.pgt.ia_bits, ipa_bits);
	CHECK_EQ_U64(host_mmu.pgt.start_level, start_level);
	CHECK_EQ_U64(kvm_pgtable_stage2_pgd_size(host_mmu.arch.vtcr), pgd_pages * PAGE_SIZE);
	/* Both ends of RAM, MMIO, and the last page of the IPA space. */
	CHECK_EQ_U64(handle_host_mem_abort(S2ENV_RAM_PA + S2ENV_RAM_SIZE - PAGE_SIZE), 0);
	CHECK_EQ_U64(handle_host_mem_abort(host_pa(0)), 0);
	CHECK_EQ_U64(handle_host_mem_abort(0x09000000ULL), 0);
	CHECK_EQ_U64(handle_host_mem_abort(BIT(ipa_bits) - PAGE_SIZE), 0);
	leaf(BIT(ipa_bits) - PAGE_SIZE, &pte, &level);
	CHECK(pte & 1);
	CHECK(handle_host_mem_abort(BIT(ipa_bits)) != 0);
	CHECK_EQ_U64(__pkvm_host_donate_hyp(pfn(host_pa(0x200000)), 3), 0);
	CHECK_TABLE();
}

TEST(concatenated_pgd_32bit)
{
	check_concatenated(32, 4, 2);
}

TEST(concatenated_pgd_40bit)
{
	check_concatenated(40, 2, 1);
}

TEST(single_pgd_36bit)
{
	check_concatenated(36, 1, 1);
}

TEST(pool_exhaustion_is_clean)
{
	long handle;
	int ret = 0, i;

	/* Room for the PGD and the carve-out's tables, little more. */
	REQUIRE(s2env_init(&env, 0, 24) == 0);
	handle = __pkvm_init_vm(pfn(host_pa(0)), S2ENV_VM_PAGES(1));
	REQUIRE(handle > 0);
	/* One page every 2M: a new last-level table each time. */
	for (i = 1; i < 64 && !ret; i++)
		ret = __pkvm_host_donate_guest(handle, pfn(host_pa((u64)i << 21)), 1);
	CHECK_EQ_U64(ret, -ENOMEM);
	CHECK_TABLE();
	CHECK_EQ_U64(__pkvm_teardown_vm(handle), 0);
	for (int j = 1; j < i - 1; j++)
		CHECK_EQ_U64(__pkvm_reclaim_dying_guest_page(handle, pfn(host_pa((u64)j << 21)), 1),
			     0);
	CHECK_TABLE();
}

static struct stage2_run described[4096];
static unsigned int nr_described;

static void collect(const struct stage2_run *r, void *arg)
{
	(void)arg;
	if (nr_described < 4096)
		described[nr_described++] = *r;
}

static u64 rng = 88172645463325252ULL;

static u64 next_rand(void)
{
	return test_rng_next(&rng);
}

/* Random operations; the oracle after each; then the describer against the oracle's runs. */
TEST(random_operations_keep_the_invariants)
{
	long handles[8] = {0};
	u64 span = 256ULL << 20, bad = 0;
	struct stage2_summary sum;

	REQUIRE(s2env_init(&env, 0, S2ENV_S2POOL_PAGES) == 0);
	for (int op = 0; op < 600 && !bad; op++) {
		u64 r = next_rand(), addr = host_pa((r >> 8) % span & PAGE_MASK);
		u64 nr = 1 + (r >> 40) % 700;
		int vm = (r >> 20) % 8;

		switch (r % 7) {
		case 0:
		case 1:
			handle_host_mem_abort(addr);
			break;
		case 2:
			if (!handles[vm])
				handles[vm] = __pkvm_init_vm(pfn(addr), S2ENV_VM_PAGES(1 + r % 3));
			else
				__pkvm_host_donate_guest(handles[vm], pfn(addr), nr);
			break;
		case 3:
			if (handles[vm] > 0) {
				unsigned int slot = (unsigned int)(handles[vm] - HANDLE_OFFSET);
				struct pkvm_hyp_vm *v = pkvm_vm_slot(slot);

				__pkvm_teardown_vm(handles[vm]);
				while (v && pkvm_vm_slot(slot) == v && v->nr_ranges)
					CHECK_EQ_U64(__pkvm_reclaim_dying_guest_page(
							 handles[vm], v->ranges[0].pfn,
							 v->ranges[0].nr_pages),
						     0);
				handles[vm] = 0;
			}
			break;
		case 4:
			__pkvm_host_share_hyp(pfn(addr));
			break;
		case 5:
			__pkvm_host_unshare_hyp(pfn(addr));
			break;
		default:
			if (!__pkvm_host_donate_hyp(pfn(addr), 1 + r % 4) && (r & 0x100))
				CHECK_EQ_U64(__pkvm_hyp_donate_host(pfn(addr), 1 + r % 4), 0);
			break;
		}
		bad = oracle_check(&oracle);
	}
	CHECK_EQ_U64(bad, 0);
	/* Layout 8 coalesces only when a give-back covers an aligned block. */
	CHECK(HYP_PAGE_LAYOUT == 8 || host_s2_stats.coalesce_events > 0);

	nr_described = 0;
	REQUIRE(stage2_describe(&host_mmu.pgt, false, collect, NULL, &sum) == 0);
	CHECK_EQ_U64(sum.nr_runs, oracle.nr_runs);
	CHECK_EQ_U64(nr_described, oracle.nr_runs);
	CHECK_EQ_U64(sum.tables, oracle.table_pages);
	for (unsigned int i = 0; i < nr_described && i < oracle.nr_runs; i++) {
		struct stage2_run *a = &described[i], *b = &oracle.runs[i];

		if (a->start != b->start || a->end != b->end || a->level != b->level ||
		    a->valid != b->valid || a->owner != b->owner || a->state != b->state ||
		    a->prot != b->prot || a->memattr != b->memattr || a->type != b->type ||
		    a->vm_handle != b->vm_handle || a->gfn != b->gfn) {
			printf("#   run %u differs: 0x%llx-0x%llx vs 0x%llx-0x%llx\n", i,
			       (unsigned long long)described[i].start,
			       (unsigned long long)described[i].end,
			       (unsigned long long)oracle.runs[i].start,
			       (unsigned long long)oracle.runs[i].end);
			CHECK(0);
			break;
		}
	}
}

TEST_MAIN
