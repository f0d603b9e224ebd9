/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * QEMU fw_cfg (MMIO interface of the virt machine): read named files and
 * write them through the DMA interface.  Returns 0 or a negative errno.
 */
#ifndef EL2_ARM64_FW_CFG_H
#define EL2_ARM64_FW_CFG_H

#include "el2/types.h"

/* @mmio: where the device is mapped now; @va_to_pa: for DMA addresses. */
int fw_cfg_init(void *mmio, u64 (*va_to_pa)(const void *va));
int fw_cfg_find_file(const char *name, u16 *select, u32 *size);
int fw_cfg_read_file(const char *name, void *buf, u32 len, u32 *size_ret);
int fw_cfg_write_file(u16 select, const void *buf, u32 len);

#endif
