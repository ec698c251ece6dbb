/*
 * Platform-level interrupt controller (RISC-V PLIC specification 1.0.0; the TrainVP subset has one context,
 * hart 0 in machine mode, and level-triggered gateways). Register layout from periph/plic_regs.h, source
 * numbers from hw/memory_map.h (TRAINVP_IRQ_*).
 *
 * A source interrupts the hart (mip.MEIP, mcause 11) while its line is high, it is enabled, its priority is
 * above the threshold and it is not claimed. A claim (read) returns the best such source and closes its
 * gateway; the completion (write of the id) reopens it, so a device must lower its line before completing
 * or it interrupts again.
 *
 * The dispatcher (sw/driver/plic.c, library trainvp_accel_driver) routes machine external interrupts to one
 * handler per source: plic_attach() registers it, sets the priority, enables the source and mie.MEIE.
 */
#ifndef TRAINVP_PLIC_H
#define TRAINVP_PLIC_H

#include <stdint.h>

#include "hw/memory_map.h"
#include "periph/plic_regs.h"
#include "trainvp/mmio.h"

static inline void plic_set_priority(uint32_t source, uint32_t priority) {
    mmio_write32(TRAINVP_PLIC_BASE + PLIC_REG_PRIORITY(source), priority);
}
static inline uint32_t plic_priority(uint32_t source) {
    return mmio_read32(TRAINVP_PLIC_BASE + PLIC_REG_PRIORITY(source));
}
/* Bit n = line n high and not claimed (whether or not it is enabled). */
static inline uint32_t plic_pending(void) {
    return mmio_read32(TRAINVP_PLIC_BASE + PLIC_REG_PENDING);
}
static inline uint32_t plic_enabled(void) {
    return mmio_read32(TRAINVP_PLIC_BASE + PLIC_REG_ENABLE);
}
static inline void plic_set_enabled(uint32_t mask) {
    mmio_write32(TRAINVP_PLIC_BASE + PLIC_REG_ENABLE, mask);
}
static inline void plic_enable(uint32_t source) {
    plic_set_enabled(plic_enabled() | (1u << source));
}
static inline void plic_disable(uint32_t source) {
    plic_set_enabled(plic_enabled() & ~(1u << source));
}
static inline void plic_set_threshold(uint32_t threshold) {
    mmio_write32(TRAINVP_PLIC_BASE + PLIC_REG_THRESHOLD, threshold);
}
static inline uint32_t plic_threshold(void) {
    return mmio_read32(TRAINVP_PLIC_BASE + PLIC_REG_THRESHOLD);
}
/* The best pending source (0: none); it stays claimed until plic_complete(). */
static inline uint32_t plic_claim(void) {
    return mmio_read32(TRAINVP_PLIC_BASE + PLIC_REG_CLAIM);
}
static inline void plic_complete(uint32_t source) {
    mmio_write32(TRAINVP_PLIC_BASE + PLIC_REG_CLAIM, source);
}

/* Dispatcher (plic.c). A handler runs in the trap context between claim and completion. */
typedef void (*plic_handler_t)(uint32_t source);

/* Installs the dispatcher as the machine external interrupt handler (trap_set_interrupt_handler(11)),
 * registers `handler` for `source`, sets its priority (1..PLIC_PRIORITY_MAX) and enables it, and sets
 * mie.MEIE. Does not touch mstatus.MIE or the threshold. Returns 0, or -1 for a bad source or priority. */
int plic_attach(uint32_t source, uint32_t priority, plic_handler_t handler);
/* Disables the source and forgets its handler. */
void plic_detach(uint32_t source);

/* Dispatcher statistics: claims that returned a source, and claims that returned 0 or a source without
 * a handler (a line that dropped between the interrupt and the claim). */
extern volatile uint32_t plic_claims;
extern volatile uint32_t plic_spurious;
/* mcause and claimed source of the last dispatched interrupt (for tests and diagnostics). */
extern volatile uint32_t plic_last_mcause;
extern volatile uint32_t plic_last_source;
extern volatile int32_t plic_last_vector;

#endif /* TRAINVP_PLIC_H */
