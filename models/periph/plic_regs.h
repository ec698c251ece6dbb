/* PLIC register layout (subset of the SiFive PLIC: one context, machine mode), shared by the model and the
 * firmware. Offsets from the PLIC base. Sources are 1 .. TRAINVP_IRQ_COUNT-1 (hw/memory_map.h); 0 is
 * reserved. */
#ifndef TRAINVP_PERIPH_PLIC_REGS_H
#define TRAINVP_PERIPH_PLIC_REGS_H

#define PLIC_REG_PRIORITY_BASE 0x000000 /* 32-bit priority of source n at + 4 * n; 0 = never interrupts */
#define PLIC_REG_PRIORITY(n) (PLIC_REG_PRIORITY_BASE + 4 * (n))
#define PLIC_REG_PENDING 0x001000   /* read-only: bit n = source n pending */
#define PLIC_REG_ENABLE 0x002000    /* context 0: bit n enables source n */
#define PLIC_REG_THRESHOLD 0x200000 /* context 0: only priorities above it interrupt */
/* context 0: a read claims the best pending source (0: none); writing a claimed id completes it */
#define PLIC_REG_CLAIM 0x200004
#define PLIC_PRIORITY_MAX 7 /* priority and threshold registers hold 3 bits */

#endif
