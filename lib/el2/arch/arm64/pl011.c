// SPDX-License-Identifier: GPL-2.0-only
/*
 * PL011 UART, transmit only, polled.  The console of the EL2 image: the
 * launcher reads the ground truth from it.
 */
#include "el2/printk.h"
#include "io.h"
#include "pl011.h"

#define UARTDR	0x00
#define UARTFR	0x18
#define FR_TXFF (1U << 5)

static volatile u8 *uart_base;

void pl011_init(void *base)
{
	uart_base = base;
}

static void pl011_putc(char c)
{
	while (readl(uart_base + UARTFR) & FR_TXFF)
		;
	writel((u8)c, uart_base + UARTDR);
}

void pl011_write(const char *s, size_t n)
{
	if (!uart_base)
		return;
	while (n--) {
		if (*s == '\n')
			pl011_putc('\r');
		pl011_putc(*s++);
	}
}

void hyp_console_write(const char *s, size_t n)
{
	pl011_write(s, n);
}
