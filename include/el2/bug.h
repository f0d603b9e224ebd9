/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fatal conditions in the EL2 core.  At EL2 these print "HYPMEM-PANIC ..."
 * on the UART (the launcher watches for it) and stop the CPU; in the native
 * unit-test build they print and abort(), so a test that trips one fails.
 */
#ifndef EL2_BUG_H
#define EL2_BUG_H

#include "el2/types.h"

void hyp_panic_str(const char *what) __noreturn;
void hyp_panic_list(const void *entry, const void *prev, const void *next) __noreturn;

#define BUG_ON(cond)                                                           \
	do {                                                                   \
		if (unlikely(cond))                                            \
			hyp_panic_str(__FILE__ ": BUG_ON(" #cond ")");         \
	} while (0)

#define WARN_ON(cond) __hyp_warn_on(!!(cond), __FILE__, __LINE__, #cond)
bool __hyp_warn_on(bool cond, const char *file, int line, const char *what);

#endif /* EL2_BUG_H */
