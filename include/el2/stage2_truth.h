/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The host stage-2 as the EL2 core itself describes it (stage2_truth.c):
 * its own walker over its own table, leaves merged into runs, histograms,
 * and the EL2 core's counters (faults, coalescing events, pool pages).  The
 * launcher reads it from the UART as the "stage2" section of truth.json
 * (man 5 hypmem-json); the unit tests call it in-process.
 *
 * A run is a maximal sequence of non-zero leaves at consecutive addresses
 * with the same level, validity, owner, state, permissions and memory type.
 * Zero entries (not mapped yet, implicitly the host's) end a run and are
 * not counted anywhere.
 */
#ifndef EL2_STAGE2_TRUTH_H
#define EL2_STAGE2_TRUTH_H

#include "el2/pgtable.h"

#define STAGE2_NR_STATES 5 /* owned, shared_owned, shared_borrowed, nopage, reserved */
#define STAGE2_NR_OWNERS 256

struct stage2_run {
	u64 start, end;
	s8 level;
	bool valid;
	u8 owner;      /* PKVM_ID_HOST for valid leaves */
	u8 state;      /* index into stage2_state_name() */
	u8 prot;       /* bit 0 r, bit 1 w, bit 2 x */
	u8 memattr;    /* 0 none, 1 normal, 2 device, 3 other */
	u8 type;       /* layout 8: enum kvm_invalid_pte_type of an invalid entry */
	u16 vm_handle; /* layout 8: a donation to a guest: its VM and gfn */
	u64 gfn;
	u64 phys; /* output of a valid leaf (not printed: runs are contiguous in it) */
};

struct stage2_summary {
	u64 tables; /* table pages, concatenated PGD pages included */
	u64 tables_by_level[KVM_PGTABLE_MAX_LEVELS];
	u64 count_by_level[KVM_PGTABLE_MAX_LEVELS], bytes_by_level[KVM_PGTABLE_MAX_LEVELS];
	u64 count_by_owner[STAGE2_NR_OWNERS], bytes_by_owner[STAGE2_NR_OWNERS];
	u64 count_by_state[STAGE2_NR_STATES], bytes_by_state[STAGE2_NR_STATES];
	u64 count_by_type[16], bytes_by_type[16];
	u64 candidates; /* last-level tables holding only default leaves and holes */
	u64 nr_runs;
};

typedef void (*stage2_run_fn)(const struct stage2_run *run, void *arg);

/*
 * Walk @pgt (the host stage-2, or with @guest a guest's), calling @fn for
 * every run in address order.
 */
int stage2_describe(struct kvm_pgtable *pgt, bool guest, stage2_run_fn fn, void *arg,
		    struct stage2_summary *sum);

const char *stage2_owner_name(u8 owner);
const char *stage2_state_name(u8 state);
const char *stage2_prot_name(u8 prot);
const char *stage2_memattr_name(u8 memattr);
const char *stage2_size_name(s8 level);

/* Print the "stage2" member of truth.json, with a trailing comma; nothing without a host stage-2. */
void stage2_truth_print(void);
/* Layout 8: the "vms" member of truth.json (every VM and its guest stage-2), with a comma. */
void vms_truth_print(void);

#endif /* EL2_STAGE2_TRUTH_H */
