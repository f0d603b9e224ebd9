// SPDX-License-Identifier: GPL-2.0-only
/*
 * Native shim for tracing: the clock and the CPU number.  Unit tests drive
 * both: host_trace_clock_ns, when non-zero, is the clock (tests step it to
 * make deltas that need TIME_EXTEND); host_cpu_id is per thread, so threads
 * play CPUs (hyp_smp_processor_id() in el2/percpu.h returns it).
 */
#include <time.h>

#include "el2/trace.h"

u64 host_trace_clock_ns;
__thread unsigned int host_cpu_id;

u64 trace_clock(void)
{
	struct timespec ts;

	if (host_trace_clock_ns)
		return host_trace_clock_ns;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}
