// SPDX-License-Identifier: GPL-2.0-only
/*
 * Secondary CPUs (see smp.h): PSCI CPU_ON through QEMU's SMC conduit, entry
 * in smp_entry.S with the boot CPU's MMU settings, then the phases.
 *
 * CPU n is started with MPIDR affinity n % 16 in Aff0 and n / 16 in Aff1:
 * how QEMU's virt machine numbers its CPUs with a GICv3 (16 per cluster).
 * Each CPU checks its own MPIDR_EL1 against that on entry.
 *
 * Synchronisation is three words: smp_online (a bit per CPU that reached
 * C), smp_phase (written by CPU 0 only) and smp_done (CPUs finished with
 * the SMP phase).  Waiters load-acquire and WFE; writers store-release and
 * SEV.  Secondaries never print unless something is wrong.
 *
 * fw_cfg arguments: smp_ops=N operations per CPU in the SMP phase (default
 * 5000), seed=N (the workload's seed; each CPU's stream derives from it).
 */
#include "el2/mem_protect.h"
#include "el2/mm.h"
#include "el2/printk.h"
#include "el2/setup.h"
#include "el2/smp_workload.h"
#include "el2/string.h"
#include "el2/trace.h"
#include "el2_arch.h"
#include "fw_cfg.h"
#include "psci.h"
#include "smp.h"

#define SECONDARY_STACK_SIZE  (16 * 1024)
#define SMP_ONLINE_TIMEOUT_MS 2000

/* Read by smp_entry.S with the MMU off: keep the offsets in step. */
struct hyp_secondary_boot {
	u64 mair, tcr, ttbr0, sctlr;
	u64 vbar, sp, cpu, entry;
} __aligned(64);

enum smp_phase {
	SMP_PHASE_WAIT,
	SMP_PHASE_RUN,
	SMP_PHASE_PARK,
	SMP_PHASE_LIVE,
};

extern char __hyp_secondary_entry[];
void __noreturn hyp_secondary_main(u64 cpu);

static struct hyp_secondary_boot secondary_boot[HYP_MAX_CPUS];
static u8 secondary_stacks[HYP_MAX_CPUS][SECONDARY_STACK_SIZE] __aligned(16);
static u32 smp_online = 1; /* CPU 0 */
static u32 smp_phase;
static u32 smp_done;
static u32 smp_bad_mpidr;
static unsigned int smp_nr_cpus = 1; /* CPUs the phase waits for */

static inline void sev(void)
{
	__asm__ volatile("dsb ish\n\tsev" ::: "memory");
}

static inline void wfe(void)
{
	__asm__ volatile("wfe" ::: "memory");
}

static u64 cpu_mpidr(unsigned int cpu)
{
	return (cpu % 16) | ((u64)(cpu / 16) << 8);
}

static u64 now_ms(void)
{
	u64 freq = read_sysreg(cntfrq_el0);

	arch_isb();
	return freq ? read_sysreg(cntvct_el0) / (freq / 1000 ? freq / 1000 : 1) : 0;
}

/* The struct is read with the MMU (and so the caches) off: clean it to PoC. */
static void dcache_clean_poc(const void *addr, size_t size)
{
	u64 line = 4UL << ((read_sysreg(ctr_el0) >> 16) & 0xf);
	u64 p = (u64)addr & ~(line - 1), end = (u64)addr + size;

	for (; p < end; p += line)
		__asm__ volatile("dc cvac, %0" ::"r"(p) : "memory");
	arch_dsb_ish();
}

static u64 arg_value(const char *args, const char *key, u64 def)
{
	size_t klen = strlen(key);
	const char *s = args;
	u64 v;

	for (; *s; s++) {
		if ((s == args || s[-1] == ' ') && !strncmp(s, key, klen) && s[klen] == '=') {
			for (v = 0, s += klen + 1; *s >= '0' && *s <= '9'; s++)
				v = v * 10 + (u64)(*s - '0');
			return v;
		}
	}
	return def;
}

void hyp_smp_boot(void)
{
	unsigned int nr = hyp_nr_cpus ? (unsigned int)hyp_nr_cpus : 1, cpu;
	phys_addr_t entry = __hyp_pa(__hyp_secondary_entry);
	u32 want = 1, online;
	long ver;
	u64 t0;

	if (nr > HYP_MAX_CPUS) {
		hyp_printf("hypmem: %u CPUs, using the first %u\n", nr, HYP_MAX_CPUS);
		nr = HYP_MAX_CPUS;
	}
	if (nr < 2)
		return;
	ver = psci_version();
	for (cpu = 1; cpu < nr; cpu++) {
		struct hyp_secondary_boot *b = &secondary_boot[cpu];
		int ret;

		b->mair = read_sysreg(mair_el2);
		b->tcr = read_sysreg(tcr_el2);
		b->ttbr0 = read_sysreg(ttbr0_el2);
		b->sctlr = read_sysreg(sctlr_el2);
		b->vbar = read_sysreg(vbar_el2);
		b->sp = (u64)&secondary_stacks[cpu][SECONDARY_STACK_SIZE];
		b->cpu = cpu;
		b->entry = (u64)hyp_secondary_main;
		dcache_clean_poc(b, sizeof(*b));
		ret = psci_cpu_on(cpu_mpidr(cpu), entry, __hyp_pa(b));
		if (ret) {
			hyp_printf("hypmem: PSCI CPU_ON of CPU %u (MPIDR 0x%llx) failed: %d\n", cpu,
				   (unsigned long long)cpu_mpidr(cpu), ret);
			break;
		}
		want |= 1U << cpu;
	}
	t0 = now_ms();
	while ((online = __atomic_load_n(&smp_online, __ATOMIC_ACQUIRE)) != want &&
	       now_ms() - t0 < SMP_ONLINE_TIMEOUT_MS)
		wfe();
	if (__atomic_load_n(&smp_bad_mpidr, __ATOMIC_ACQUIRE))
		hyp_panic_str("a secondary CPU's MPIDR is not the one it was started as");
	/* The phase runs on CPUs 0..n-1 that all came up. */
	for (smp_nr_cpus = 0; smp_nr_cpus < nr && (online & (1U << smp_nr_cpus)); smp_nr_cpus++)
		;
	hyp_printf("hypmem: PSCI %ld.%ld, %u of %u CPU(s) online\n", ver >> 16, ver & 0xffff,
		   smp_nr_cpus, nr);
}

unsigned int hyp_smp_nr_online(void)
{
	return smp_nr_cpus;
}

static void wait_phase(u32 at_least)
{
	while (__atomic_load_n(&smp_phase, __ATOMIC_ACQUIRE) < at_least)
		wfe();
}

void __noreturn hyp_secondary_main(u64 cpu)
{
	struct smp_workload *sw = &hyp_smp_workload;
	u64 mpidr = read_sysreg(mpidr_el1) & 0xff00ffffffULL;

	if (mpidr != cpu_mpidr(cpu) || hyp_smp_processor_id() != cpu)
		__atomic_store_n(&smp_bad_mpidr, 1, __ATOMIC_RELEASE);
	__atomic_fetch_or(&smp_online, 1U << cpu, __ATOMIC_RELEASE);
	sev();

	wait_phase(SMP_PHASE_RUN);
	if (cpu < smp_nr_cpus) {
		smp_workload_run_cpu(sw, cpu);
		hyp_trace_mark("smp_end");
		__atomic_fetch_add(&smp_done, 1, __ATOMIC_RELEASE);
		sev();
	}

	wait_phase(SMP_PHASE_PARK);
	if (__atomic_load_n(&smp_phase, __ATOMIC_ACQUIRE) == SMP_PHASE_LIVE)
		for (;;)
			smp_workload_run_cpu(sw, cpu);
	for (;;)
		__asm__ volatile("wfi");
}

void hyp_smp_run(void)
{
	struct smp_workload *sw = &hyp_smp_workload;
	static char args[256];
	u32 len = 0;

	if (smp_nr_cpus < 2)
		return;
	if (!fw_cfg_read_file("opt/hypmem/args", args, sizeof(args) - 1, &len))
		args[len < sizeof(args) ? len : sizeof(args) - 1] = '\0';
	smp_workload_init(sw, arg_value(args, "seed", 1), arg_value(args, "smp_ops", 5000),
			  smp_nr_cpus);
	smp_workload_add_pool(sw, "hpool", &hpool);
	smp_workload_add_pool(sw, "host_s2_pool", &host_s2_pool);
	smp_workload_begin(sw);

	hyp_trace_mark("smp_begin");
	__atomic_store_n(&smp_phase, SMP_PHASE_RUN, __ATOMIC_RELEASE);
	sev();
	smp_workload_run_cpu(sw, 0);
	hyp_trace_mark("smp_end");
	while (__atomic_load_n(&smp_done, __ATOMIC_ACQUIRE) < smp_nr_cpus - 1)
		wfe();

	if (smp_workload_end(sw))
		hyp_panic_str("the SMP phase left the pools changed");
	hyp_printf("hypmem: SMP phase: %u CPUs x %llu ops on the shared pools, pools unchanged\n",
		   smp_nr_cpus, (unsigned long long)sw->ops_per_cpu);
}

void hyp_smp_release(bool live)
{
	if (smp_nr_cpus < 2)
		return;
	__atomic_store_n(&smp_phase, live ? SMP_PHASE_LIVE : SMP_PHASE_PARK, __ATOMIC_RELEASE);
	sev();
}
