/*
 * Accelerator HAL: register access by the names of the single-source table (accel/accel_regs.h), reset,
 * capabilities, status and error reporting, and the interrupt path accelerator -> PLIC source
 * TRAINVP_IRQ_ACCEL -> machine external interrupt (mcause 11). Programming model: docs/accelerator.md.
 * Library trainvp_accel_driver (sw/driver); the ops layer (trainvp/accel_ops.h) sits on top.
 */
#ifndef TRAINVP_ACCEL_HAL_H
#define TRAINVP_ACCEL_HAL_H

#include <stdint.h>

#include "accel/accel_desc.h"
#include "accel/accel_regs.h"
#include "hw/memory_map.h"
#include "trainvp/mmio.h"

/* Driver results: 0 success, a positive value is an ACCEL_ERR_* code reported by the hardware, a negative
 * value a driver-level failure. */
#define ACCEL_DRV_OK 0
#define ACCEL_DRV_EINVAL (-1) /* bad argument (size, alignment, state) */
#define ACCEL_DRV_EFULL (-2)  /* not enough free ring slots (non-blocking submit) */
#define ACCEL_DRV_ENODEV (-3) /* ID, major version or descriptor size differ from the headers */

/* ---- Register access ------------------------------------------------------------------------------ */

static inline uint32_t accel_read(uint32_t offset) {
    return mmio_read32(TRAINVP_ACCEL_BASE + offset);
}
static inline void accel_write(uint32_t offset, uint32_t value) {
    mmio_write32(TRAINVP_ACCEL_BASE + offset, value);
}
/* By table name: ACCEL_RD(STATUS), ACCEL_WR(IRQ_ENABLE, ACCEL_IRQ_DONE). */
#define ACCEL_RD(name) accel_read(ACCEL_REG_##name)
#define ACCEL_WR(name, value) accel_write(ACCEL_REG_##name, (value))

/* One row of the register table, generated from ACCEL_REGS. */
struct accel_reg_info {
    const char* name; /* "IRQ_STATUS" */
    uint32_t offset;
    uint32_t access; /* ACCEL_ACCESS_RO, _RW, _W1C, _WO, _CFG */
    uint32_t reset;  /* the table's reset column (0 for CFG registers: their value is the configuration's) */
    const char* description;
};
extern const struct accel_reg_info accel_reg_table[];
extern const uint32_t accel_reg_count;
/* The row for `offset`, or NULL for a hole. */
const struct accel_reg_info* accel_reg_find(uint32_t offset);
/* "RO", "RW", "W1C", "WO", "CFG" */
const char* accel_access_name(uint32_t access);

/* ---- Identification, capabilities, reset ---------------------------------------------------------- */

struct accel_caps {
    uint32_t id, version;
    uint32_t rows, cols;
    uint32_t dataflows;       /* bit per ACCEL_DATAFLOW_* supported */
    uint32_t active_dataflow; /* ACCEL_DATAFLOW_* */
    uint32_t formats;         /* bit per ACCEL_FMT_KIND_* */
    uint32_t wbuf_bytes, abuf_bytes, gbuf_bytes;
    uint32_t max_dim, max_acc_bits, desc_bytes, clock_khz;
};

/* Reads ID, VERSION and the CAP_* registers into *caps (may be NULL). ACCEL_DRV_ENODEV if the ID, the
 * major version or CAP_DESC_BYTES differ from the headers the firmware was built with. */
int accel_probe(struct accel_caps* caps);
/* Non-zero if the format code's kind is in caps->formats (the code's other fields are the hardware's to
 * check: an invalid code is a FORMAT error at execution). */
int accel_caps_supports_format(const struct accel_caps* caps, uint16_t fmt);

/* CTRL.SOFT_RESET: every register back to its reset value (ring configuration included), queue and
 * error cleared, a descriptor in flight dropped. Also forgets the interrupt events the handler collected. */
void accel_reset(void);

/* ---- Status and errors ---------------------------------------------------------------------------- */

static inline uint32_t accel_status(void) {
    return ACCEL_RD(STATUS);
}
static inline int accel_is_idle(void) {
    return (accel_status() & ACCEL_STATUS_IDLE) != 0;
}

struct accel_error {
    uint32_t code; /* ACCEL_ERR_* (0 = none) */
    uint32_t addr; /* ERR_ADDR: the faulting address, the descriptor's address or a register offset */
    uint32_t desc; /* ERR_DESC: ring index of the failed descriptor */
};
/* Reads ERR_CODE, ERR_ADDR, ERR_DESC into *err (may be NULL); returns ERR_CODE. */
uint32_t accel_error_read(struct accel_error* err);

/* Names from the X-macro tables: accel_error_name(ACCEL_ERR_QUEUE_FULL) = "QUEUE_FULL"; "?" if unknown. */
const char* accel_error_name(uint32_t code);
const char* accel_error_description(uint32_t code);
const char* accel_opcode_name(uint32_t opcode);
/* Prints "accel: error QUEUE_FULL (6) at 0x00000000, descriptor 3: <description>" on the console. */
void accel_error_print(const struct accel_error* err);

/* ---- Performance counters ------------------------------------------------------------------------- */

struct accel_perf {
    uint64_t cycles, compute, stall, macs, dma_rd, dma_wr, desc;
};
/* PERF_CTRL.SNAPSHOT (and CLEAR if `clear`), then the snapshot's 64-bit values. */
void accel_perf_read(struct accel_perf* perf, int clear);

/* ---- Interrupts ----------------------------------------------------------------------------------- */

static inline void accel_irq_set_enable(uint32_t mask) {
    ACCEL_WR(IRQ_ENABLE, mask);
}
static inline uint32_t accel_irq_status(void) {
    return ACCEL_RD(IRQ_STATUS);
}
static inline void accel_irq_ack(uint32_t mask) {
    ACCEL_WR(IRQ_STATUS, mask); /* write 1 to clear */
}

/* Called from the interrupt handler with the IRQ_STATUS bits it acknowledged. */
typedef void (*accel_irq_callback_t)(uint32_t irq_status);

/* Routes the accelerator's line through the PLIC (plic_attach(TRAINVP_IRQ_ACCEL, priority, ...)): the
 * handler reads IRQ_STATUS, acknowledges it (the line drops before the PLIC completion), adds the bits to
 * accel_irq_events and calls `callback` (may be NULL). Sets mie.MEIE; mstatus.MIE, the PLIC threshold and
 * IRQ_ENABLE are the caller's. Returns 0 or ACCEL_DRV_EINVAL for a bad priority. */
int accel_irq_install(uint32_t plic_priority, accel_irq_callback_t callback);
void accel_irq_uninstall(void);
int accel_irq_installed(void);

/* IRQ_STATUS bits the handler has acknowledged since the last accel_irq_take(), and interrupts served. */
extern volatile uint32_t accel_irq_events;
extern volatile uint32_t accel_irq_count;
/* Returns accel_irq_events and clears it (with interrupts masked around the read-modify-write). */
uint32_t accel_irq_take(void);
/* Sleeps until the handler has collected one of the `mask` events, then takes them (accel_irq_take). */
uint32_t accel_irq_wait(uint32_t mask);

/* Sleeps with WFI until done(ctx) is non-zero, race-free: the check runs with mstatus.MIE clear, so an
 * interrupt arriving between the check and the WFI still wakes it (WFI wakes on any interrupt pending and
 * enabled in mie), and MIE opens for one instruction after each wake-up so the handler runs
 * (docs/firmware-guide.md "Sleeping until an interrupt"). mstatus.MIE is restored on return. Returns the
 * number of WFIs executed. Something must raise an interrupt enabled in mie, or it sleeps for ever. */
uint32_t accel_wfi_until(int (*done)(void* ctx), void* ctx);

#endif /* TRAINVP_ACCEL_HAL_H */
