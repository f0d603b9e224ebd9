// SPDX-License-Identifier: GPL-2.0-only
/*
 * QEMU fw_cfg on the virt machine: a selector register, a data register and
 * a DMA address register, all big-endian.  Reads use the data register;
 * writes (needed for etc/vmcoreinfo) must go through DMA, whose control
 * block and buffer are addressed physically.
 */
#include "el2/string.h"
#include "el2_arch.h"
#include "fw_cfg.h"
#include "io.h"

#define FW_CFG_DATA 0x00
#define FW_CFG_SEL  0x08
#define FW_CFG_DMA  0x10

#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID	 0x01
#define FW_CFG_FILE_DIR	 0x19
#define FW_CFG_ID_DMA	 (1U << 1)

#define FW_CFG_DMA_CTL_ERROR  0x01
#define FW_CFG_DMA_CTL_SELECT 0x08
#define FW_CFG_DMA_CTL_WRITE  0x10

struct fw_cfg_dma_access {
	u32 control;
	u32 length;
	u64 address;
} __aligned(16);

static volatile u8 *fw_cfg_base;
static u64 (*fw_cfg_va_to_pa)(const void *va);
static bool fw_cfg_dma;

static void fw_cfg_select(u16 key)
{
	writew(be16(key), fw_cfg_base + FW_CFG_SEL);
}

static void fw_cfg_read(void *buf, u32 len)
{
	u8 *p = buf;

	while (len--)
		*p++ = readb(fw_cfg_base + FW_CFG_DATA);
}

int fw_cfg_init(void *mmio, u64 (*va_to_pa)(const void *va))
{
	char sig[4];
	u32 id;

	fw_cfg_base = mmio;
	fw_cfg_va_to_pa = va_to_pa;
	fw_cfg_select(FW_CFG_SIGNATURE);
	fw_cfg_read(sig, sizeof(sig));
	if (sig[0] != 'Q' || sig[1] != 'E' || sig[2] != 'M' || sig[3] != 'U') {
		fw_cfg_base = NULL;
		return -ENOENT;
	}
	fw_cfg_select(FW_CFG_ID);
	fw_cfg_read(&id, sizeof(id)); /* little-endian value */
	fw_cfg_dma = id & FW_CFG_ID_DMA;
	return 0;
}

int fw_cfg_find_file(const char *name, u16 *select, u32 *size)
{
	u32 count, i;

	if (!fw_cfg_base)
		return -ENOENT;
	fw_cfg_select(FW_CFG_FILE_DIR);
	fw_cfg_read(&count, sizeof(count));
	count = be32(count);
	for (i = 0; i < count && i < 4096; i++) {
		struct {
			u32 size;
			u16 select;
			u16 reserved;
			char name[56];
		} f;

		fw_cfg_read(&f, sizeof(f));
		f.name[55] = '\0';
		if (!strcmp(f.name, name)) {
			*select = be16(f.select);
			*size = be32(f.size);
			return 0;
		}
	}
	return -ENOENT;
}

int fw_cfg_read_file(const char *name, void *buf, u32 len, u32 *size_ret)
{
	u16 select;
	u32 size;
	int ret = fw_cfg_find_file(name, &select, &size);

	if (ret)
		return ret;
	if (size > len)
		size = len;
	fw_cfg_select(select);
	fw_cfg_read(buf, size);
	*size_ret = size;
	return 0;
}

int fw_cfg_write_file(u16 select, const void *buf, u32 len)
{
	static struct fw_cfg_dma_access access;
	u32 control;

	if (!fw_cfg_base || !fw_cfg_dma)
		return -ENOENT;
	access.control = be32((u32)select << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE);
	access.length = be32(len);
	access.address = be64(fw_cfg_va_to_pa(buf));
	arch_dsb_ish();
	writeq(be64(fw_cfg_va_to_pa(&access)), fw_cfg_base + FW_CFG_DMA);
	/* QEMU completes the transfer before the write returns; poll anyway. */
	do {
		arch_dsb_ish();
		control = be32(READ_ONCE(access.control));
	} while (control & ~FW_CFG_DMA_CTL_ERROR);
	return (control & FW_CFG_DMA_CTL_ERROR) ? -EIO : 0;
}
