// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VMCOREINFO note and its publication through fw_cfg.  The note lives
 * in one page-aligned static buffer: Elf64_Nhdr, "VMCOREINFO\0" padded to 4
 * bytes, then the text padded to 4 bytes.  QEMU reads it by physical address
 * when a dump is taken, so it always reflects the last publish.
 */
#include <stdarg.h>

#include "el2/memory.h"
#include "el2/printk.h"
#include "el2/string.h"
#include "fw_cfg.h"
#include "vmcoreinfo.h"

#define VMCOREINFO_NOTE_NAME "VMCOREINFO"
#define VMCOREINFO_BYTES     4096

struct elf64_nhdr {
	u32 n_namesz;
	u32 n_descsz;
	u32 n_type;
};

static char vmcoreinfo_text[VMCOREINFO_BYTES];
static u32 vmcoreinfo_len;
static u8 vmcoreinfo_note[VMCOREINFO_BYTES + 64] __aligned(PAGE_SIZE);

/* The layout QEMU expects in etc/vmcoreinfo (FWCfgVMCoreInfo), little-endian. */
struct fw_cfg_vmcoreinfo {
	u16 host_format;
	u16 guest_format;
	u32 size;
	u64 paddr;
} __attribute__((packed));

#define FW_CFG_VMCOREINFO_FORMAT_ELF 1

void vmcoreinfo_append(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = hyp_vsnprintf(vmcoreinfo_text + vmcoreinfo_len,
			  sizeof(vmcoreinfo_text) - vmcoreinfo_len, fmt, ap);
	va_end(ap);
	if (n > 0 && vmcoreinfo_len + (u32)n < sizeof(vmcoreinfo_text))
		vmcoreinfo_len += n;
}

void vmcoreinfo_symbol(const char *name, u64 addr)
{
	vmcoreinfo_append("SYMBOL(%s)=%llx\n", name, (unsigned long long)addr);
}

void vmcoreinfo_number(const char *name, s64 value)
{
	vmcoreinfo_append("NUMBER(%s)=%lld\n", name, (long long)value);
}

void vmcoreinfo_number_hex(const char *name, u64 value)
{
	vmcoreinfo_append("NUMBER(%s)=0x%llx\n", name, (unsigned long long)value);
}

int vmcoreinfo_publish(void)
{
	static struct fw_cfg_vmcoreinfo info;
	struct elf64_nhdr nhdr = {
		.n_namesz = sizeof(VMCOREINFO_NOTE_NAME),
		.n_descsz = vmcoreinfo_len,
		.n_type = 0,
	};
	u32 name_len = ALIGN((u32)sizeof(VMCOREINFO_NOTE_NAME), 4U);
	u32 total = sizeof(nhdr) + name_len + ALIGN(vmcoreinfo_len, 4U);
	u16 select;
	u32 size;
	int ret;

	memset(vmcoreinfo_note, 0, sizeof(vmcoreinfo_note));
	memcpy(vmcoreinfo_note, &nhdr, sizeof(nhdr));
	memcpy(vmcoreinfo_note + sizeof(nhdr), VMCOREINFO_NOTE_NAME, sizeof(VMCOREINFO_NOTE_NAME));
	memcpy(vmcoreinfo_note + sizeof(nhdr) + name_len, vmcoreinfo_text, vmcoreinfo_len);

	ret = fw_cfg_find_file("etc/vmcoreinfo", &select, &size);
	if (ret)
		return ret;
	if (size < sizeof(info))
		return -EINVAL;
	info.host_format = 0;
	info.guest_format = FW_CFG_VMCOREINFO_FORMAT_ELF;
	info.size = total;
	info.paddr = hyp_virt_to_phys(vmcoreinfo_note);
	return fw_cfg_write_file(select, &info, sizeof(info));
}
