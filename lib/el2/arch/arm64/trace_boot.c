// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tracing in the hypmem image: the host's part of setting it up, and the
 * live mode.
 *
 * Upstream the host allocates the buffer pages, shares them with the
 * hypervisor and passes a descriptor to __tracing_load().  Here the boot code
 * plays the host: the pages are the RAM just below the hyp carve-out (host
 * memory, outside every pool), mapped into the hyp linear map as pinned
 * shared pages are.  fw_cfg arguments:
 *
 *   trace_pages=N   pages per CPU (reader page included), default 64, 0: off
 *   live=1          after the ground truth, keep running the workload
 *                   forever (hypmem-top on shared RAM, make demo-live)
 */
#include "el2/mm.h"
#include "el2/printk.h"
#include "el2/setup.h"
#include "el2/string.h"
#include "el2/trace.h"
#include "el2/workload.h"
#include "el2_arch.h"
#include "fw_cfg.h"
#include "smp.h"

static unsigned int trace_pages = 64;
static bool live_mode;
phys_addr_t hyp_trace_area_pa;
u64 hyp_trace_area_bytes;

static u64 arg_value(const char *args, const char *key, u64 def)
{
	size_t klen = strlen(key);
	const char *s = args;
	u64 v;

	while (*s) {
		if ((s == args || s[-1] == ' ') && !strncmp(s, key, klen) && s[klen] == '=') {
			s += klen + 1;
			for (v = 0; *s >= '0' && *s <= '9'; s++)
				v = v * 10 + (u64)(*s - '0');
			return v;
		}
		s++;
	}
	return def;
}

/* Called once fw_cfg is mapped and the pools exist; @carveout: its PA. */
void hyp_trace_boot(phys_addr_t carveout)
{
	static char args[256];
	unsigned int nr_cpus = hyp_nr_cpus ? hyp_nr_cpus : 1;
	void *area;
	u32 len = 0;
	u64 size;
	int ret;

	if (!fw_cfg_read_file("opt/hypmem/args", args, sizeof(args) - 1, &len))
		args[len < sizeof(args) ? len : sizeof(args) - 1] = '\0';
	trace_pages = arg_value(args, "trace_pages", trace_pages);
	live_mode = arg_value(args, "live", 0) != 0;
	if (!trace_pages)
		return;
	if (nr_cpus > HYP_MAX_CPUS)
		nr_cpus = HYP_MAX_CPUS;

	size = PAGE_ALIGN(hyp_trace_area_size(nr_cpus, trace_pages));
	hyp_trace_area_pa = ALIGN_DOWN(carveout - size, SZ_2M);
	hyp_trace_area_bytes = carveout - hyp_trace_area_pa;
	area = hyp_phys_to_virt(hyp_trace_area_pa);
	ret = pkvm_create_mappings(area, (char *)area + hyp_trace_area_bytes, PAGE_HYP);
	if (!ret)
		ret = hyp_trace_setup_area(area, hyp_trace_area_bytes, nr_cpus, trace_pages);
	if (ret) {
		hyp_printf("hypmem: tracing off (error %d)\n", ret);
		return;
	}
	hyp_printf("hypmem: tracing %u CPU(s), %u pages each, at 0x%llx\n", nr_cpus, trace_pages,
		   (unsigned long long)hyp_trace_area_pa);
}

/* After the ground truth: sleep, or in live mode run the workload forever. */
void __noreturn hyp_trace_idle(struct workload *wl)
{
	hyp_smp_release(live_mode);
	if (live_mode) {
		wl->ops = 1000;
		for (;;)
			workload_run(wl);
	}
	for (;;)
		__asm__ volatile("wfi");
}
