/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hyp_spinlock_t: a ticket lock with the kernel's layout (a u32 overlaid on
 * {owner, next} u16 halves, little-endian).  Built from compiler atomics so
 * the same code runs at EL2 (LDAXR/STLXR loops, -mno-outline-atomics) and
 * natively in the unit tests.
 *
 * A waiter spins on owner with load-acquires.  At EL2 each round is a YIELD
 * hint; natively it is sched_yield(): a ticket lock hands over in strict
 * order, so with more threads than host CPUs the next owner is often not
 * running, and spinning through its time slice would stall every waiter.
 */
#ifndef EL2_SPINLOCK_H
#define EL2_SPINLOCK_H

#include "el2/bug.h"
#include "el2/types.h"

#if __STDC_HOSTED__
#include <sched.h>
#define hyp_spin_relax() sched_yield()
#else
#define hyp_spin_relax() __asm__ volatile("yield" ::: "memory")
#endif

typedef union hyp_spinlock {
	u32 __val;
	struct {
		u16 owner, next;
	};
} hyp_spinlock_t;

#define __HYP_SPIN_LOCK_UNLOCKED { .__val = 0 }

static inline void hyp_spin_lock_init(hyp_spinlock_t *lock)
{
	__atomic_store_n(&lock->__val, 0, __ATOMIC_RELAXED);
}

static inline void hyp_spin_lock(hyp_spinlock_t *lock)
{
	u16 ticket = __atomic_fetch_add(&lock->next, 1, __ATOMIC_ACQUIRE);

	while (__atomic_load_n(&lock->owner, __ATOMIC_ACQUIRE) != ticket)
		hyp_spin_relax();
}

static inline void hyp_spin_unlock(hyp_spinlock_t *lock)
{
	u16 owner = __atomic_load_n(&lock->owner, __ATOMIC_RELAXED);

	__atomic_store_n(&lock->owner, (u16)(owner + 1), __ATOMIC_RELEASE);
}

static inline bool hyp_spin_is_locked(hyp_spinlock_t *lock)
{
	u32 v = __atomic_load_n(&lock->__val, __ATOMIC_RELAXED);

	return (u16)v != (u16)(v >> 16);
}

#define hyp_assert_lock_held(l)                                                \
	do {                                                                   \
		if (unlikely(!hyp_spin_is_locked(l)))                          \
			hyp_panic_str("lock not held");                        \
	} while (0)

#endif /* EL2_SPINLOCK_H */
