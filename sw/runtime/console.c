/* picolibc stdio on the console UART: printf and friends write to UART0. */
#include <stdio.h>

#include "hw/memory_map.h"
#include "periph/uart_regs.h"
#include "trainvp/mmio.h"

static int uart_putc(char c, FILE *file) {
    (void)file;
    mmio_write32(TRAINVP_UART0_BASE + UART_REG_TXDATA, (unsigned char)c);
    return (unsigned char)c;
}

static int uart_getc(FILE *file) {
    (void)file;
    return EOF; /* the console has no receiver */
}

static FILE uart_stdio = FDEV_SETUP_STREAM(uart_putc, uart_getc, NULL, _FDEV_SETUP_RW);

FILE *const stdin = &uart_stdio;
FILE *const stdout = &uart_stdio;
FILE *const stderr = &uart_stdio;
