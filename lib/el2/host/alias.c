// SPDX-License-Identifier: GPL-2.0-only
/*
 * Native shim: private hyp VAs as real host mappings (see el2_arch.h).
 * The test reserves the private VA range (PROT_NONE) and backs its RAM
 * buffer with a memfd; mapping a private page maps the file page of its
 * physical address at that VA, unmapping puts PROT_NONE back, so a stray
 * access to an unmapped heap page faults natively as it would at EL2.
 */
#include <sys/mman.h>

#include "el2/types.h"
#include "el2_arch.h"

static struct {
	int fd;
	void *ram;
	unsigned long phys, size;
} host_ram = {.fd = -1};

void host_alias_ram(int fd, void *ram, unsigned long phys, unsigned long size)
{
	host_ram.fd = fd;
	host_ram.ram = ram;
	host_ram.phys = phys;
	host_ram.size = size;
}

int arch_private_va_alias(unsigned long va, unsigned long phys, unsigned long size)
{
	void *p;

	if (host_ram.fd < 0)
		return 0;
	if (phys < host_ram.phys || phys - host_ram.phys > host_ram.size ||
	    host_ram.size - (phys - host_ram.phys) < size)
		return -EINVAL;
	p = mmap((void *)va, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, host_ram.fd,
		 (off_t)(phys - host_ram.phys));
	return p == MAP_FAILED ? -ENOMEM : 0;
}

void arch_private_va_unalias(unsigned long va, unsigned long size)
{
	if (host_ram.fd < 0)
		return;
	mmap((void *)va, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
	     -1, 0);
}
