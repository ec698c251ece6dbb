/* Accelerator HAL (trainvp/accel_hal.h): tables generated from the single-source headers, identification,
 * errors, performance counters and the interrupt handler behind the PLIC. */
#include "trainvp/accel_hal.h"

#include <stddef.h>

#include "trainvp/csr.h"
#include "trainvp/hal.h"
#include "trainvp/plic.h"

const struct accel_reg_info accel_reg_table[] = {
#define ACCEL_REG_INFO(name, offset, access, reset, desc) {#name, offset, ACCEL_ACCESS_##access, reset, desc},
    ACCEL_REGS(ACCEL_REG_INFO)
#undef ACCEL_REG_INFO
};
const uint32_t accel_reg_count = sizeof accel_reg_table / sizeof accel_reg_table[0];

const struct accel_reg_info* accel_reg_find(uint32_t offset) {
    for (uint32_t i = 0; i < accel_reg_count; ++i)
        if (accel_reg_table[i].offset == offset) return &accel_reg_table[i];
    return NULL;
}

const char* accel_access_name(uint32_t access) {
    switch (access) {
        case ACCEL_ACCESS_RO:
            return "RO";
        case ACCEL_ACCESS_RW:
            return "RW";
        case ACCEL_ACCESS_W1C:
            return "W1C";
        case ACCEL_ACCESS_WO:
            return "WO";
        case ACCEL_ACCESS_CFG:
            return "CFG";
        default:
            return "?";
    }
}

static const char* const error_names[ACCEL_ERR_COUNT] = {
#define ACCEL_ERROR_NAME(name, value, desc) [value] = #name,
    ACCEL_ERRORS(ACCEL_ERROR_NAME)
#undef ACCEL_ERROR_NAME
};
static const char* const error_descriptions[ACCEL_ERR_COUNT] = {
#define ACCEL_ERROR_DESC(name, value, desc) [value] = desc,
    ACCEL_ERRORS(ACCEL_ERROR_DESC)
#undef ACCEL_ERROR_DESC
};
static const char* const opcode_names[ACCEL_OP_COUNT] = {
#define ACCEL_OPCODE_NAME(name, value, desc) [value] = #name,
    ACCEL_OPCODES(ACCEL_OPCODE_NAME)
#undef ACCEL_OPCODE_NAME
};

const char* accel_error_name(uint32_t code) {
    return code < ACCEL_ERR_COUNT && error_names[code] ? error_names[code] : "?";
}
const char* accel_error_description(uint32_t code) {
    return code < ACCEL_ERR_COUNT && error_descriptions[code] ? error_descriptions[code]
                                                              : "unknown error code";
}
const char* accel_opcode_name(uint32_t opcode) {
    return opcode < ACCEL_OP_COUNT && opcode_names[opcode] ? opcode_names[opcode] : "?";
}

int accel_probe(struct accel_caps* caps) {
    struct accel_caps c;
    c.id = ACCEL_RD(ID);
    c.version = ACCEL_RD(VERSION);
    const uint32_t array = ACCEL_RD(CAP_ARRAY);
    c.rows = ACCEL_CAP_ARRAY_ROWS(array);
    c.cols = ACCEL_CAP_ARRAY_COLS(array);
    const uint32_t dataflow = ACCEL_RD(CAP_DATAFLOW);
    c.dataflows = dataflow & 0xffu;
    c.active_dataflow = ACCEL_CAP_DATAFLOW_ACTIVE(dataflow);
    c.formats = ACCEL_RD(CAP_FORMATS);
    c.wbuf_bytes = ACCEL_RD(CAP_WBUF_BYTES);
    c.abuf_bytes = ACCEL_RD(CAP_ABUF_BYTES);
    c.gbuf_bytes = ACCEL_RD(CAP_GBUF_BYTES);
    c.max_dim = ACCEL_RD(CAP_MAX_DIM);
    c.max_acc_bits = ACCEL_RD(CAP_MAX_ACC_BITS);
    c.desc_bytes = ACCEL_RD(CAP_DESC_BYTES);
    c.clock_khz = ACCEL_RD(CAP_CLOCK_KHZ);
    if (caps) *caps = c;
    /* A minor version adds features compatibly; a different major version or descriptor size does not. */
    if (c.id != ACCEL_ID_VALUE || (c.version >> 16) != (ACCEL_VERSION_VALUE >> 16) ||
        c.desc_bytes != ACCEL_DESC_BYTES)
        return ACCEL_DRV_ENODEV;
    return ACCEL_DRV_OK;
}

int accel_caps_supports_format(const struct accel_caps* caps, uint16_t fmt) {
    return (caps->formats >> ACCEL_FMT_KIND_OF(fmt)) & 1u;
}

void accel_reset(void) {
    ACCEL_WR(CTRL, ACCEL_CTRL_SOFT_RESET);
    accel_irq_take();
}

uint32_t accel_error_read(struct accel_error* err) {
    const uint32_t code = ACCEL_RD(ERR_CODE);
    if (err) {
        err->code = code;
        err->addr = ACCEL_RD(ERR_ADDR);
        err->desc = ACCEL_RD(ERR_DESC);
    }
    return code;
}

void accel_error_print(const struct accel_error* err) {
    console_puts("accel: error ");
    console_puts(accel_error_name(err->code));
    console_puts(" (");
    console_put_dec((int32_t)err->code);
    console_puts(") at ");
    console_put_hex32(err->addr);
    console_puts(", descriptor ");
    console_put_dec((int32_t)err->desc);
    console_puts(": ");
    console_puts(accel_error_description(err->code));
    console_putc('\n');
}

static uint64_t read64(uint32_t lo_offset, uint32_t hi_offset) {
    const uint32_t lo = accel_read(lo_offset);
    return ((uint64_t)accel_read(hi_offset) << 32) | lo;
}

void accel_perf_read(struct accel_perf* p, int clear) {
    /* Snapshot first so both halves of every counter come from one instant (docs/accelerator.md). */
    ACCEL_WR(PERF_CTRL, ACCEL_PERF_SNAPSHOT | (clear ? ACCEL_PERF_CLEAR : 0u));
    p->cycles = read64(ACCEL_REG_PERF_CYCLES_LO, ACCEL_REG_PERF_CYCLES_HI);
    p->compute = read64(ACCEL_REG_PERF_COMPUTE_LO, ACCEL_REG_PERF_COMPUTE_HI);
    p->stall = read64(ACCEL_REG_PERF_STALL_LO, ACCEL_REG_PERF_STALL_HI);
    p->macs = read64(ACCEL_REG_PERF_MACS_LO, ACCEL_REG_PERF_MACS_HI);
    p->dma_rd = read64(ACCEL_REG_PERF_DMA_RD_LO, ACCEL_REG_PERF_DMA_RD_HI);
    p->dma_wr = read64(ACCEL_REG_PERF_DMA_WR_LO, ACCEL_REG_PERF_DMA_WR_HI);
    p->desc = read64(ACCEL_REG_PERF_DESC_LO, ACCEL_REG_PERF_DESC_HI);
}

volatile uint32_t accel_irq_events;
volatile uint32_t accel_irq_count;
static accel_irq_callback_t irq_callback;
static int irq_installed;

/* The line is level-triggered (high while IRQ_STATUS & IRQ_ENABLE): acknowledging every bit read lowers it
 * before the dispatcher's PLIC completion, so the completion does not re-raise the interrupt. */
static void accel_isr(uint32_t source) {
    (void)source;
    const uint32_t status = ACCEL_RD(IRQ_STATUS);
    if (status == 0) return;
    ACCEL_WR(IRQ_STATUS, status);
    accel_irq_events |= status;
    ++accel_irq_count;
    if (irq_callback) irq_callback(status);
}

int accel_irq_install(uint32_t plic_priority, accel_irq_callback_t callback) {
    irq_callback = callback;
    if (plic_attach(TRAINVP_IRQ_ACCEL, plic_priority, accel_isr) != 0) return ACCEL_DRV_EINVAL;
    irq_installed = 1;
    return ACCEL_DRV_OK;
}

void accel_irq_uninstall(void) {
    plic_detach(TRAINVP_IRQ_ACCEL);
    irq_callback = NULL;
    irq_installed = 0;
}

int accel_irq_installed(void) {
    return irq_installed;
}

uint32_t accel_irq_take(void) {
    const uint32_t mie = csr_read(CSR_MSTATUS) & MSTATUS_MIE;
    irq_global_disable();
    const uint32_t events = accel_irq_events;
    accel_irq_events = 0;
    if (mie) irq_global_enable();
    return events;
}

uint32_t accel_wfi_until(int (*done)(void* ctx), void* ctx) {
    const uint32_t mie = csr_read(CSR_MSTATUS) & MSTATUS_MIE;
    uint32_t wakeups = 0;
    irq_global_disable();
    while (!done(ctx)) {
        wfi();
        ++wakeups;
        irq_global_enable();
        irq_global_disable();
    }
    if (mie) irq_global_enable();
    return wakeups;
}

static int events_seen(void* mask) {
    return (accel_irq_events & *(const uint32_t*)mask) != 0;
}

uint32_t accel_irq_wait(uint32_t mask) {
    accel_wfi_until(events_seen, &mask);
    return accel_irq_take();
}
