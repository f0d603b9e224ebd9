// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tracing hook at EL2: the clock.
 *
 * trace_clock() converts the virtual counter to nanoseconds as upstream's
 * nvhe/clock.c does (epoch + (cycles - epoch_cyc) * mult >> shift), with the
 * epoch at counter zero: QEMU starts the counter at machine reset, so the
 * clock reads as time since boot, like the host's boot clock.  mult/shift
 * come from CNTFRQ_EL0 on first use; a 128-bit product keeps it exact for
 * any uptime.
 *
 * The CPU number is hyp_smp_processor_id() (el2/percpu.h): TPIDR_EL2.
 */
#include "el2/trace.h"
#include "el2_arch.h"

#define CLOCK_SHIFT 32

static u64 clock_mult;

u64 trace_clock(void)
{
	u64 mult = READ_ONCE(clock_mult);
	u64 cyc;

	if (unlikely(!mult)) {
		u64 freq = read_sysreg(cntfrq_el0);

		mult = freq ? (u64)(((unsigned __int128)1000000000ULL << CLOCK_SHIFT) / freq) : 0;
		WRITE_ONCE(clock_mult, mult);
	}
	arch_isb();
	cyc = read_sysreg(cntvct_el0);
	return (u64)(((unsigned __int128)cyc * mult) >> CLOCK_SHIFT);
}
