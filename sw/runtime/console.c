/* picolibc stdio on the console UART: printf and friends write to UART0. The raw console_* functions
 * bypass stdio for trap handlers and other places where stdio may be mid-call. */
#include <stdio.h>

#include "trainvp/hal.h"

void console_putc(char c) {
    mmio_write32(TRAINVP_UART0_BASE + UART_REG_TXDATA, (unsigned char)c);
}

void console_puts(const char* s) {
    while (*s) console_putc(*s++);
}

void console_put_hex32(uint32_t value) {
    static const char digits[] = "0123456789abcdef";
    console_puts("0x");
    for (int shift = 28; shift >= 0; shift -= 4) console_putc(digits[(value >> shift) & 0xfu]);
}

void console_put_dec(int32_t value) {
    char buf[12];
    int n = 0;
    uint32_t magnitude = value < 0 ? 0u - (uint32_t)value : (uint32_t)value;
    do {
        buf[n++] = (char)('0' + magnitude % 10u);
        magnitude /= 10u;
    } while (magnitude != 0);
    if (value < 0) console_putc('-');
    while (n > 0) console_putc(buf[--n]);
}

static int uart_putc(char c, FILE* file) {
    (void)file;
    console_putc(c);
    return (unsigned char)c;
}

static int uart_getc(FILE* file) {
    (void)file;
    return EOF; /* the console has no receiver */
}

static FILE uart_stdio = FDEV_SETUP_STREAM(uart_putc, uart_getc, NULL, _FDEV_SETUP_RW);

FILE* const stdin = &uart_stdio;
FILE* const stdout = &uart_stdio;
FILE* const stderr = &uart_stdio;
