// SPDX-License-Identifier: GPL-2.0-only
/*
 * Boot of the EL2 image under QEMU, playing both roles the kernel splits
 * between the host and EL2:
 *
 *  - the host's part (kvm_hyp_reserve, the hyp VA tag, a first table):
 *    hyp_early_init(), with the MMU off, at the physical address;
 *  - EL2's part (__pkvm_init, the switch to pkvm_pgtable, finalise), then
 *    the workload: hyp_main(), at hyp VAs.
 *
 * Until hyp_main() runs, code must not use data holding pointers: the MMU is
 * off and nothing is where the link address says.
 */
#include "el2/printk.h"
#include "el2/setup.h"
#include "el2/string.h"
#include "el2/heap_workload.h"
#include "el2/mem_protect.h"
#include "el2/workload.h"
#include "el2_arch.h"
#include "trace_boot.h"
#include "fdt.h"
#include "fw_cfg.h"
#include "host_boot.h"
#include "pl011.h"
#include "smp.h"
#include "vmcoreinfo.h"

/* The release in the boot banner: the VERSION file, given by the build. */
#ifndef HYPMEM_VERSION
#error "HYPMEM_VERSION is defined by lib/el2/build.mk from the VERSION file"
#endif

extern char __hyp_text_start[], __hyp_text_end[];
extern char __hyp_rodata_start[], __hyp_rodata_end[];
extern char __hyp_data_start[], __hyp_data_end[];
extern char __hyp_idmap_text_start[], __hyp_idmap_text_end[];
extern char __host_payload_end[];

/* Workload parameters, from fw_cfg "opt/hypmem/args" ("seed=N ops=N"). */
static u64 boot_seed = 1;
static u64 boot_ops = 20000;
static u64 boot_rounds = 16; /* guest lifetimes the EL1 host plays */
static u64 ram_base, ram_size;
static unsigned long nr_cpus = 1;

/* The temporary table: one L0 page and one L1 page of 1 GiB blocks. */
static kvm_pte_t boot_pgd[PTRS_PER_PTE] __aligned(PAGE_SIZE);
static kvm_pte_t boot_pud[PTRS_PER_PTE] __aligned(PAGE_SIZE);

static struct workload wl;
/* The host's pages for the heap workload: 4 MiB from 64 MiB into RAM. */
#define HEAP_HOST_OFFSET (64UL << 20)
#define HEAP_HOST_PAGES	 1024
static struct heap_workload heap_wl;

static u64 early_va_to_pa(const void *va)
{
	return (u64)va; /* MMU off: addresses are physical */
}

static u64 hyp_va_to_pa(const void *va)
{
	return __hyp_pa(va);
}

static u64 parse_u64(const char *s, const char **end)
{
	u64 v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (u64)(*s++ - '0');
	*end = s;
	return v;
}

static void parse_args(const char *s)
{
	while (*s) {
		const char *end;

		if (!strncmp(s, "seed=", 5)) {
			boot_seed = parse_u64(s + 5, &end);
			s = end;
		} else if (!strncmp(s, "ops=", 4)) {
			boot_ops = parse_u64(s + 4, &end);
			s = end;
		} else if (!strncmp(s, "rounds=", 7)) {
			boot_rounds = parse_u64(s + 7, &end);
			s = end;
		} else if (!strncmp(s, "ipa=", 4)) {
			hyp_host_ipa_bits = (u32)parse_u64(s + 4, &end);
			s = end;
		} else {
			s++;
		}
	}
}

/*
 * The hyp linear map puts PA at PA + tag, with the tag in the top half of
 * the 48-bit VA space and a few "random" bits taken from the seed, so that
 * hyp_physvirt_offset differs between runs as it does between boots.  The
 * tag is a multiple of 512 GiB, so the same L1 page serves both maps.
 */
static u64 hyp_linear_tag(u64 seed)
{
	return BIT(HYP_VA_BITS - 1) | (((seed * 0x5bd1e995ULL) >> 7) & 0x7f) << 40;
}

static kvm_pte_t boot_block(u64 pa, bool device)
{
	kvm_pte_t pte = pa | KVM_PTE_VALID | KVM_PTE_LEAF_ATTR_LO_S1_AF;

	pte |= (kvm_pte_t)KVM_PTE_LEAF_ATTR_LO_S1_SH_IS << 8;
	pte |= (kvm_pte_t)KVM_PTE_LEAF_ATTR_LO_S1_AP_RW << 6;
	if (device)
		pte |= ((kvm_pte_t)MT_DEVICE_nGnRE << 2) | KVM_PTE_LEAF_ATTR_HI_S1_XN;
	return pte;
}

/* Called from start.S with the MMU off; returns the TTBR0_EL2 value. */
u64 hyp_early_init(const void *dtb)
{
	const void *fdt = (const void *)VIRT_RAM_BASE;
	static char args[256];
	u64 tag, gib;
	u32 len = 0;

	pl011_init((void *)VIRT_UART_PA);
	if (dtb && !fdt_check(dtb, 1 << 20))
		fdt = dtb;
	if (fdt_check(fdt, 1 << 20) || fdt_memory_range(fdt, &ram_base, &ram_size))
		hyp_panic_str("no usable device tree memory node");
	if (fdt_cpu_count(fdt) > 0)
		nr_cpus = fdt_cpu_count(fdt);

	if (!fw_cfg_init((void *)VIRT_FW_CFG_PA, early_va_to_pa) &&
	    !fw_cfg_read_file("opt/hypmem/args", args, sizeof(args) - 1, &len))
		args[len < sizeof(args) ? len : sizeof(args) - 1] = '\0';
	parse_args(args);

	tag = hyp_linear_tag(boot_seed);
	hyp_physvirt_offset = -(s64)tag;

	/* idmap: device GiB 0, RAM GiBs; the linear map reuses the same L1. */
	boot_pud[0] = boot_block(0, true);
	for (gib = ram_base >> 30; gib <= (ram_base + ram_size - 1) >> 30; gib++)
		boot_pud[gib & (PTRS_PER_PTE - 1)] = boot_block(gib << 30, false);
	boot_pgd[0] = (u64)boot_pud | KVM_PTE_VALID | (KVM_PTE_TYPE_TABLE << 1);
	boot_pgd[(tag >> 39) & (PTRS_PER_PTE - 1)] = boot_pgd[0];
	return (u64)boot_pgd;
}

static void hyp_image_layout(struct hyp_image_layout *img)
{
	img->text_start = __hyp_text_start;
	img->text_end = __hyp_text_end;
	img->rodata_start = __hyp_rodata_start;
	img->rodata_end = __hyp_rodata_end;
	img->data_start = __hyp_data_start;
	img->data_end = __hyp_data_end;
	img->idmap_start = __hyp_pa(__hyp_idmap_text_start);
	img->idmap_end = __hyp_pa(__hyp_idmap_text_end);
}

/* kvm_hyp_reserve(): a 2 MiB-aligned carve-out at the top of RAM. */
static void hyp_reserve(phys_addr_t *base, u64 *size)
{
	*size = ALIGN((u64)hyp_carveout_pages() << PAGE_SHIFT, SZ_2M);
	*base = ALIGN_DOWN(ram_base + ram_size - *size, SZ_2M);
}

static void publish_vmcoreinfo(const char *release)
{
	u64 text_pa = __hyp_pa(__hyp_text_start);

	vmcoreinfo_append("OSRELEASE=%s\n", release);
	vmcoreinfo_append("PAGESIZE=%lu\n", PAGE_SIZE);
	vmcoreinfo_symbol("_text", KIMAGE_VADDR);
	vmcoreinfo_number("VA_BITS", HYP_VA_BITS);
	vmcoreinfo_number_hex("kimage_voffset", KIMAGE_VADDR - text_pa);
	vmcoreinfo_number_hex("PHYS_OFFSET", ram_base);
	vmcoreinfo_append("KERNELOFFSET=0\n");
	if (vmcoreinfo_publish())
		hyp_printf("hypmem: no etc/vmcoreinfo (QEMU needs -device vmcoreinfo)\n");
}

static void hyp_switch_pgd(phys_addr_t pgd)
{
	arch_dsb_ish();
	write_sysreg(pgd, ttbr0_el2);
	arch_isb();
	__asm__ volatile("tlbi alle2\n\tdsb ish\n\tisb" ::: "memory");
}

void __noreturn hyp_main(void)
{
	struct hyp_image_layout img;
	struct truth_target tgt;
	unsigned long uart_va, fw_cfg_va;
	static char release[64];
	phys_addr_t base;
	u64 size;
	int ret;

	hyp_memory[0].base = ram_base;
	hyp_memory[0].size = ram_size;
	hyp_memblock_nr = 1;
	hyp_snprintf(release, sizeof(release), "hypmem-el2 %s layout-%d", HYPMEM_VERSION,
		     HYP_PAGE_LAYOUT);
	hyp_printf("hypmem EL2 core %s: EL%lu, %llu MiB RAM at 0x%llx, %lu CPU(s), seed %llu\n",
		   release, (read_sysreg(CurrentEL) >> 2) & 3, (unsigned long long)(ram_size >> 20),
		   (unsigned long long)ram_base, nr_cpus, (unsigned long long)boot_seed);

	hyp_reserve(&base, &size);
	hyp_image_layout(&img);
	ret = __pkvm_init(base, size, nr_cpus, HYP_VA_BITS, &img);
	if (ret)
		hyp_panic_str("__pkvm_init failed");

	/* Devices move to private VAs before the temporary table goes away. */
	if (__pkvm_create_private_mapping(VIRT_UART_PA, PAGE_SIZE, PAGE_HYP_DEVICE, &uart_va) ||
	    __pkvm_create_private_mapping(VIRT_FW_CFG_PA, PAGE_SIZE, PAGE_HYP_DEVICE, &fw_cfg_va))
		hyp_panic_str("cannot map devices");
	hyp_switch_pgd(__hyp_pa(pkvm_pgtable.pgd));
	pl011_init((void *)uart_va);
	fw_cfg_init((void *)fw_cfg_va, hyp_va_to_pa);

	id_aa64mmfr0_el1_sys_val = read_sysreg(id_aa64mmfr0_el1);
	ret = __pkvm_init_finalise();
	if (ret)
		hyp_panic_str("__pkvm_init_finalise failed");
	hyp_printf("hypmem: hyp_physvirt_offset 0x%llx, carve-out 0x%llx+0x%llx, vmemmap at 0x%llx\n",
		   (unsigned long long)hyp_physvirt_offset, (unsigned long long)base,
		   (unsigned long long)size, (unsigned long long)__hyp_vmemmap);

	publish_vmcoreinfo(release);
	hyp_trace_boot(base);
	hyp_smp_boot();

	workload_init(&wl, boot_seed, boot_ops);
	workload_add_pool(&wl, "hpool", &hpool);
	workload_add_pool(&wl, "host_s2_pool", &host_s2_pool);
	workload_run(&wl);
	hyp_trace_mark("workload");
	if (workload_verify(&wl))
		hyp_panic_str("workload record and pool lists disagree");
	heap_workload_boot(&heap_wl, boot_seed, boot_ops, ram_base + HEAP_HOST_OFFSET,
			   HEAP_HOST_PAGES);

	/* The EL1 host, behind its stage-2, up to the trace buffers or the carve-out. */
	ret = pkvm_host_run(&(struct host_boot_args){
		.ram_base = ram_base,
		.ram_size = ram_size,
		.free_start = ALIGN(__hyp_pa(__host_payload_end), SZ_2M),
		.free_end = hyp_trace_area_bytes ? hyp_trace_area_pa : base,
		.reserved_start = ram_base + HEAP_HOST_OFFSET,
		.reserved_end = ram_base + HEAP_HOST_OFFSET + HEAP_HOST_PAGES * PAGE_SIZE,
		.shared_start = hyp_trace_area_pa,
		.shared_end = hyp_trace_area_pa + hyp_trace_area_bytes,
		.seed = boot_seed,
		.rounds = boot_rounds,
	});
	if (ret)
		hyp_printf("hypmem: the EL1 host ended with %d\n", ret);
	hyp_smp_run();

	tgt = (struct truth_target){
		.release = release,
		.ram_start = ram_base,
		.ram_end = ram_base + ram_size,
		.kimage_voffset = KIMAGE_VADDR - __hyp_pa(__hyp_text_start),
		.carveout_base = base,
		.carveout_size = size,
		.heap = &heap_wl,
	};
	truth_print(&wl, &tgt);
	hyp_printf("HYPMEM-READY\n");
	hyp_trace_idle(&wl);
}

void __noreturn hyp_bad_exception(u64 type, u64 esr, u64 elr, u64 far)
{
	hyp_printf("HYPMEM-PANIC exception %llu: ESR_EL2 0x%llx ELR_EL2 0x%llx FAR_EL2 0x%llx\n",
		   (unsigned long long)type, (unsigned long long)esr, (unsigned long long)elr,
		   (unsigned long long)far);
	for (;;)
		__asm__ volatile("wfi");
}

void hyp_panic_str(const char *what)
{
	hyp_printf("HYPMEM-PANIC %s\n", what);
	for (;;)
		__asm__ volatile("wfi");
}

void hyp_panic_list(const void *entry, const void *prev, const void *next)
{
	hyp_printf("HYPMEM-PANIC list corruption at %p (prev %p, next %p)\n", entry, prev, next);
	for (;;)
		__asm__ volatile("wfi");
}

bool __hyp_warn_on(bool cond, const char *file, int line, const char *what)
{
	if (cond)
		hyp_printf("WARNING: %s:%d: %s\n", file, line, what);
	return cond;
}
