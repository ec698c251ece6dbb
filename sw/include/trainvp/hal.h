/*
 * Hardware abstraction for the TrainVP SoC peripherals: console UART, simulation control and CLINT.
 * Addresses come from the platform memory map and register offsets from the shared register headers;
 * nothing here repeats a number.
 */
#ifndef TRAINVP_HAL_H
#define TRAINVP_HAL_H

#include <stdint.h>

#include "hw/memory_map.h"
#include "periph/clint_regs.h"
#include "periph/simctrl_regs.h"
#include "periph/uart_regs.h"
#include "trainvp/mmio.h"

/* Console: raw output that bypasses stdio, safe inside trap handlers (console.c). */
void console_putc(char c);
void console_puts(const char* s);
void console_put_hex32(uint32_t value); /* "0x" and eight digits */
void console_put_dec(int32_t value);

/* Simulation control: ends the simulation; trainvp exits with (code & 0xff). */
static inline void simctrl_exit(uint32_t code) {
    mmio_write32(TRAINVP_SIMCTRL_BASE + SIMCTRL_REG_EXIT, code);
}
static inline uint32_t simctrl_id(void) {
    return mmio_read32(TRAINVP_SIMCTRL_BASE + SIMCTRL_REG_ID);
}

/* CLINT (SiFive layout): mtime, mtimecmp and msip of hart 0. */
static inline uint64_t clint_mtime(void) {
    uint32_t hi, lo, hi2;
    do {
        hi = mmio_read32(TRAINVP_CLINT_BASE + CLINT_REG_MTIME_HI);
        lo = mmio_read32(TRAINVP_CLINT_BASE + CLINT_REG_MTIME_LO);
        hi2 = mmio_read32(TRAINVP_CLINT_BASE + CLINT_REG_MTIME_HI);
    } while (hi != hi2);
    return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t clint_timecmp(void) {
    uint32_t lo = mmio_read32(TRAINVP_CLINT_BASE + CLINT_REG_MTIMECMP_LO);
    uint32_t hi = mmio_read32(TRAINVP_CLINT_BASE + CLINT_REG_MTIMECMP_HI);
    return ((uint64_t)hi << 32) | lo;
}

/* Writes the high word to all ones first so no intermediate value below the old or new compare value
 * raises a spurious timer interrupt (privileged spec section 3.2.1). */
static inline void clint_set_timecmp(uint64_t value) {
    mmio_write32(TRAINVP_CLINT_BASE + CLINT_REG_MTIMECMP_HI, 0xffffffffu);
    mmio_write32(TRAINVP_CLINT_BASE + CLINT_REG_MTIMECMP_LO, (uint32_t)value);
    mmio_write32(TRAINVP_CLINT_BASE + CLINT_REG_MTIMECMP_HI, (uint32_t)(value >> 32));
}

/* Timer compare at the far future: the timer interrupt stays clear. */
static inline void clint_disable_timer(void) {
    clint_set_timecmp(UINT64_MAX);
}

static inline void clint_set_msip(uint32_t pending) {
    mmio_write32(TRAINVP_CLINT_BASE + CLINT_REG_MSIP, pending & 1u);
}
static inline uint32_t clint_msip(void) {
    return mmio_read32(TRAINVP_CLINT_BASE + CLINT_REG_MSIP) & 1u;
}

#endif /* TRAINVP_HAL_H */
