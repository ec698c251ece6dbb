/*
 * TrainVP platform memory map: the single source for the SoC assembly (C++), the firmware (C) and the
 * firmware linker script (run through the C preprocessor with TRAINVP_LINKER_SCRIPT defined).
 *
 * RAM sits at 0x8000_0000, where RISC-V test programs expect it; peripherals sit below it.
 * Values carry no integer suffix so the GNU linker can read them too.
 */
#ifndef TRAINVP_HW_MEMORY_MAP_H
#define TRAINVP_HW_MEMORY_MAP_H

/* Core-local interruptor: msip, mtimecmp, mtime (SiFive CLINT layout). */
#define TRAINVP_CLINT_BASE 0x02000000
#define TRAINVP_CLINT_SIZE 0x00010000
/* Platform-level interrupt controller (external interrupts). */
#define TRAINVP_PLIC_BASE 0x0C000000
#define TRAINVP_PLIC_SIZE 0x04000000
/* Console UART. */
#define TRAINVP_UART0_BASE 0x10000000
#define TRAINVP_UART0_SIZE 0x00001000
/* Simulation control: exit code and host services for firmware. */
#define TRAINVP_SIMCTRL_BASE 0x10001000
#define TRAINVP_SIMCTRL_SIZE 0x00001000
/* Training accelerator register file. */
#define TRAINVP_ACCEL_BASE 0x10010000
#define TRAINVP_ACCEL_SIZE 0x00010000
/* Main memory (DRAM). The window is fixed; the populated size comes from the scenario (ram.size). */
#define TRAINVP_DRAM_BASE 0x80000000
#define TRAINVP_DRAM_WINDOW 0x40000000

/*
 * Firmware layout inside DRAM. The firmware image (code, data, heap, stack) lives in the first
 * TRAINVP_FW_SIZE bytes; the platform places datasets and job descriptions above it.
 */
#define TRAINVP_FW_CODE_SIZE 0x00400000
#define TRAINVP_FW_SIZE 0x01000000
#define TRAINVP_FW_STACK_SIZE 0x00010000
#define TRAINVP_FW_DATA_BASE (TRAINVP_DRAM_BASE + TRAINVP_FW_CODE_SIZE)
#define TRAINVP_FW_DATA_SIZE (TRAINVP_FW_SIZE - TRAINVP_FW_CODE_SIZE)
#define TRAINVP_HOST_AREA_BASE (TRAINVP_DRAM_BASE + TRAINVP_FW_SIZE)

/* Interrupt lines into the PLIC (source 0 is reserved by the PLIC specification). */
#define TRAINVP_IRQ_UART0 1
#define TRAINVP_IRQ_ACCEL 2
#define TRAINVP_IRQ_COUNT 8

#ifndef TRAINVP_LINKER_SCRIPT
/*
 * X-macro table of every mapped region: X(name, base, size, description). The platform maps its
 * targets from it, docs/memory-map.md is checked against it, and firmware may iterate it.
 */
#define TRAINVP_MEMORY_MAP(X)                                                          \
    X(clint, TRAINVP_CLINT_BASE, TRAINVP_CLINT_SIZE, "core-local interruptor")         \
    X(plic, TRAINVP_PLIC_BASE, TRAINVP_PLIC_SIZE, "platform-level interrupt controller") \
    X(uart0, TRAINVP_UART0_BASE, TRAINVP_UART0_SIZE, "console UART")                   \
    X(simctrl, TRAINVP_SIMCTRL_BASE, TRAINVP_SIMCTRL_SIZE, "simulation control")       \
    X(accel, TRAINVP_ACCEL_BASE, TRAINVP_ACCEL_SIZE, "training accelerator registers") \
    X(dram, TRAINVP_DRAM_BASE, TRAINVP_DRAM_WINDOW, "main memory (populated: ram.size)")
#endif

#endif /* TRAINVP_HW_MEMORY_MAP_H */
