/*
 * Accelerator register file from firmware, driven by the single-source table (accel/accel_regs.h): every
 * register's reset value and access kind (RO and CFG ignore writes, RW keep them, W1C clear the bits written
 * as 1, WO read as 0), the capabilities of the firmware-test platform, soft reset restoring the table, the
 * bus errors of accesses the register file does not decode, and the performance counter snapshot.
 * docs/accelerator.md "Programming model".
 */
#include <stdio.h>

#include "trainvp/accel_hal.h"
#include "trainvp/accel_ops.h"
#include "trainvp/check.h"
#include "trainvp/csr.h"
#include "trainvp/plic.h"
#include "trainvp/trap.h"

/* What the CFG registers report on scenarios/firmware-test.yaml, which has no hardware section: the
 * defaults of AcceleratorConfig (models/accel/accel_config.h) and `trainvp run --dump-config`. Returns 0 and
 * fails a check for a CFG register this test does not know yet. */
static uint32_t expected_cap(const struct accel_reg_info* r) {
    switch (r->offset) {
        case ACCEL_REG_CAP_ARRAY:
            return 16u | 16u << 16;
        case ACCEL_REG_CAP_DATAFLOW:
            return (1u << ACCEL_DATAFLOW_OS | 1u << ACCEL_DATAFLOW_WS | 1u << ACCEL_DATAFLOW_IS) |
                   ACCEL_DATAFLOW_OS << 8;
        case ACCEL_REG_CAP_FORMATS:
            return (1u << ACCEL_FMT_KIND_COUNT) - 1u;
        case ACCEL_REG_CAP_WBUF_BYTES:
        case ACCEL_REG_CAP_ABUF_BYTES:
        case ACCEL_REG_CAP_GBUF_BYTES:
            return 128u * 1024u;
        case ACCEL_REG_CAP_MAX_DIM:
            return 65535u;
        case ACCEL_REG_CAP_MAX_ACC_BITS:
            return 53u;
        case ACCEL_REG_CAP_DESC_BYTES:
            return ACCEL_DESC_BYTES;
        case ACCEL_REG_CAP_CLOCK_KHZ:
            return 500000u; /* 500 MHz */
        default:
            printf("accel_regs: no expected value for CFG register %s\n", r->name);
            CHECK(0);
            return 0;
    }
}

/* The value a register reads after reset: the table's reset column, a write-only register 0, a CFG
 * register the configuration. */
static uint32_t expected_reset(const struct accel_reg_info* r) {
    if (r->access == ACCEL_ACCESS_CFG) return expected_cap(r);
    if (r->access == ACCEL_ACCESS_WO) return 0;
    return r->reset;
}

/* Bits a RW register stores, from its description in the table; 0 for a RW register with side effects
 * that test_rw() covers on its own. */
static uint32_t rw_mask(const struct accel_reg_info* r, int* known) {
    *known = 1;
    switch (r->offset) {
        case ACCEL_REG_SCRATCH:
        case ACCEL_REG_RING_BASE:
        case ACCEL_REG_RING_SIZE:
            return 0xffffffffu;
        case ACCEL_REG_IRQ_ENABLE:
            return ACCEL_IRQ_DONE | ACCEL_IRQ_ERROR;
        case ACCEL_REG_CTRL:      /* SOFT_RESET resets; ENABLE: below */
        case ACCEL_REG_RING_TAIL: /* a write publishes descriptors: below */
            return 0;
        default:
            *known = 0;
            return 0;
    }
}

static uint32_t check_reset_values(const char* when) {
    uint32_t mismatches = 0;
    for (uint32_t i = 0; i < accel_reg_count; ++i) {
        const struct accel_reg_info* r = &accel_reg_table[i];
        const uint32_t value = accel_read(r->offset);
        const uint32_t expected = expected_reset(r);
        if (value != expected) {
            printf("accel_regs: %s: %s (0x%03lx, %s) reads 0x%08lx, expected 0x%08lx\n", when, r->name,
                   (unsigned long)r->offset, accel_access_name(r->access), (unsigned long)value,
                   (unsigned long)expected);
            ++mismatches;
        }
        CHECK_EQ(value, expected);
    }
    return mismatches;
}

static void test_reset_values(void) {
    CHECK(accel_reg_count >= 30);
    CHECK_EQ(check_reset_values("power-on"), 0);
    struct accel_caps caps;
    CHECK_EQ(accel_probe(&caps), ACCEL_DRV_OK);
    CHECK_EQ(caps.id, ACCEL_ID_VALUE);
    CHECK_EQ(caps.version, ACCEL_VERSION_VALUE);
    CHECK_EQ(caps.rows, 16);
    CHECK_EQ(caps.cols, 16);
    CHECK_EQ(caps.active_dataflow, ACCEL_DATAFLOW_OS);
    CHECK_EQ(caps.desc_bytes, sizeof(accel_desc));
    CHECK(accel_caps_supports_format(&caps, ACCEL_FMT_FX(16, 8)));
    printf("accel_regs: %lu registers; accelerator 0x%08lx v%lu.%lu, %lux%lu PEs, %lu kHz\n",
           (unsigned long)accel_reg_count, (unsigned long)caps.id, (unsigned long)(caps.version >> 16),
           (unsigned long)(caps.version & 0xffffu), (unsigned long)caps.rows, (unsigned long)caps.cols,
           (unsigned long)caps.clock_khz);
}

/* RO and CFG registers ignore writes (docs/accelerator.md: "Writes to read-only registers are ignored with a
 * warning"): no bus error, no error status, value unchanged. */
static void test_read_only(void) {
    uint32_t tested = 0;
    for (uint32_t i = 0; i < accel_reg_count; ++i) {
        const struct accel_reg_info* r = &accel_reg_table[i];
        if (r->access != ACCEL_ACCESS_RO && r->access != ACCEL_ACCESS_CFG) continue;
        const uint32_t before = accel_read(r->offset);
        accel_write(r->offset, ~before);
        accel_write(r->offset, 0);
        const uint32_t after = accel_read(r->offset);
        if (after != before) printf("accel_regs: read-only %s changed on write\n", r->name);
        CHECK_EQ(after, before);
        ++tested;
    }
    CHECK(tested >= 20);
    CHECK_EQ(ACCEL_RD(ERR_CODE), ACCEL_ERR_NONE);
    CHECK_EQ(ACCEL_RD(STATUS), ACCEL_STATUS_IDLE);
}

static void test_rw(void) {
    for (uint32_t i = 0; i < accel_reg_count; ++i) {
        const struct accel_reg_info* r = &accel_reg_table[i];
        if (r->access != ACCEL_ACCESS_RW) continue;
        int known;
        const uint32_t mask = rw_mask(r, &known);
        if (!known) printf("accel_regs: no write mask for RW register %s\n", r->name);
        CHECK(known);
        if (mask == 0) continue;
        const uint32_t patterns[] = {0xffffffffu, 0x00000000u, 0xa5a5a5a0u, 0x5a5a5a58u};
        for (unsigned p = 0; p < sizeof patterns / sizeof patterns[0]; ++p) {
            accel_write(r->offset, patterns[p]);
            const uint32_t v = accel_read(r->offset);
            if (v != (patterns[p] & mask))
                printf("accel_regs: %s: wrote 0x%08lx, read 0x%08lx\n", r->name, (unsigned long)patterns[p],
                       (unsigned long)v);
            CHECK_EQ(v, patterns[p] & mask);
        }
    }
    /* CTRL: ENABLE is stored; SOFT_RESET is a command that reads back as the reset value. */
    ACCEL_WR(CTRL, 0);
    CHECK_EQ(ACCEL_RD(CTRL), 0);
    ACCEL_WR(CTRL, ACCEL_CTRL_ENABLE);
    CHECK_EQ(ACCEL_RD(CTRL), ACCEL_CTRL_ENABLE);
    /* Writing RING_SIZE also zeroes head and tail; RING_TAIL publishes. Held (ENABLE = 0), the queue keeps
     * its descriptors without running them and without being busy. */
    ACCEL_WR(RING_BASE, TRAINVP_HOST_AREA_BASE);
    ACCEL_WR(RING_SIZE, 8);
    CHECK_EQ(ACCEL_RD(RING_HEAD), 0);
    CHECK_EQ(ACCEL_RD(RING_TAIL), 0);
    ACCEL_WR(CTRL, 0);
    ACCEL_WR(RING_TAIL, 5);
    CHECK_EQ(ACCEL_RD(RING_TAIL), 5);
    CHECK_EQ(ACCEL_RD(RING_HEAD), 0);
    CHECK_EQ(ACCEL_RD(STATUS), ACCEL_STATUS_IDLE);
    ACCEL_WR(DOORBELL, 2);
    CHECK_EQ(ACCEL_RD(RING_TAIL), 7);
    CHECK_EQ(ACCEL_RD(DOORBELL), 0); /* write-only */
    CHECK_EQ(ACCEL_RD(ERR_CODE), ACCEL_ERR_NONE);
    ACCEL_WR(RING_SIZE, 4);
    CHECK_EQ(ACCEL_RD(RING_TAIL), 0);
    accel_reset();
    CHECK_EQ(check_reset_values("after soft reset"), 0);
}

/* Waits until the accelerator's PLIC line has `level` (the irq output follows IRQ_STATUS & IRQ_ENABLE one
 * delta after the register write). Returns the polls it took (bounded). */
static uint32_t wait_line(int level) {
    uint32_t polls = 0;
    while ((((plic_pending() >> TRAINVP_IRQ_ACCEL) & 1u) != (uint32_t)level) && polls < 1000) ++polls;
    return polls;
}

/* IRQ_STATUS is write-1-to-clear; its bits drive the line through IRQ_ENABLE. The PLIC source stays
 * disabled here, so the line is only observed in the PLIC's pending register, never taken. */
static void test_w1c(void) {
    struct accel_ring ring;
    CHECK_EQ(accel_ring_init(&ring, NULL, 4, ACCEL_COMPLETE_POLL), ACCEL_DRV_OK);
    accel_desc nop;
    accel_desc_nop(&nop);
    nop.flags = ACCEL_FLAG_IRQ_ON_DONE;
    CHECK_EQ(accel_submit(&ring, &nop, 1, NULL), ACCEL_DRV_OK);
    CHECK_EQ(accel_wait_poll(&ring, NULL), ACCEL_ERR_NONE);
    CHECK_EQ(ACCEL_RD(IRQ_STATUS), ACCEL_IRQ_DONE);
    CHECK(wait_line(0) < 1000); /* IRQ_ENABLE = 0: the line stays low */
    ACCEL_WR(IRQ_ENABLE, ACCEL_IRQ_DONE);
    CHECK(wait_line(1) < 1000);
    ACCEL_WR(IRQ_STATUS, 0);
    CHECK_EQ(ACCEL_RD(IRQ_STATUS), ACCEL_IRQ_DONE);
    ACCEL_WR(IRQ_STATUS, ACCEL_IRQ_ERROR); /* a 1 on a clear bit changes nothing */
    CHECK_EQ(ACCEL_RD(IRQ_STATUS), ACCEL_IRQ_DONE);
    ACCEL_WR(IRQ_STATUS, ~(uint32_t)ACCEL_IRQ_DONE);
    CHECK_EQ(ACCEL_RD(IRQ_STATUS), ACCEL_IRQ_DONE);
    ACCEL_WR(IRQ_STATUS, ACCEL_IRQ_DONE);
    CHECK_EQ(ACCEL_RD(IRQ_STATUS), 0);
    CHECK(wait_line(0) < 1000);

    /* Both bits: DONE from a NOP, ERROR from an invalid tail; each clears on its own. */
    CHECK_EQ(accel_submit(&ring, &nop, 1, NULL), ACCEL_DRV_OK);
    CHECK_EQ(accel_wait_poll(&ring, NULL), ACCEL_ERR_NONE);
    ACCEL_WR(RING_TAIL, 4);
    CHECK_EQ(ACCEL_RD(ERR_CODE), ACCEL_ERR_TAIL_INVALID);
    CHECK_EQ(ACCEL_RD(IRQ_STATUS), ACCEL_IRQ_DONE | ACCEL_IRQ_ERROR);
    CHECK(ACCEL_RD(STATUS) & ACCEL_STATUS_ERROR);
    ACCEL_WR(IRQ_STATUS, ACCEL_IRQ_DONE);
    CHECK_EQ(ACCEL_RD(IRQ_STATUS), ACCEL_IRQ_ERROR);
    ACCEL_WR(IRQ_STATUS, ACCEL_IRQ_ERROR);
    CHECK_EQ(ACCEL_RD(IRQ_STATUS), 0);
    /* Clearing the event does not clear the error: only a reset does. */
    CHECK_EQ(ACCEL_RD(ERR_CODE), ACCEL_ERR_TAIL_INVALID);
    CHECK(ACCEL_RD(STATUS) & ACCEL_STATUS_ERROR);
    accel_reset();
    CHECK_EQ(ACCEL_RD(STATUS), ACCEL_STATUS_IDLE);
    CHECK_EQ(ACCEL_RD(ERR_CODE), ACCEL_ERR_NONE);
    CHECK(wait_line(0) < 1000);
}

static void test_perf(void) {
    struct accel_ring ring;
    CHECK_EQ(accel_ring_init(&ring, NULL, 8, ACCEL_COMPLETE_POLL), ACCEL_DRV_OK);
    accel_desc nops[5];
    for (int i = 0; i < 5; ++i) accel_desc_nop(&nops[i]);
    CHECK_EQ(accel_submit(&ring, nops, 5, NULL), ACCEL_DRV_OK);
    CHECK_EQ(accel_wait_poll(&ring, NULL), ACCEL_ERR_NONE);
    CHECK_EQ(ACCEL_RD(PERF_DESC_LO), 0); /* nothing before a snapshot */
    struct accel_perf p;
    accel_perf_read(&p, 1);
    CHECK_EQ64(p.desc, 5);
    CHECK(p.dma_rd >= 5u * ACCEL_DESC_BYTES); /* at least the descriptor fetches */
    CHECK_EQ(ACCEL_RD(PERF_CTRL), 0);         /* write-only */
    accel_perf_read(&p, 0);                   /* cleared by the previous read */
    CHECK_EQ64(p.desc, 0);
    CHECK_EQ64(p.cycles, 0);
    accel_reset();
}

static volatile uint32_t fault_count, fault_mcause, fault_mtval;
static void on_fault(struct trap_frame* f) {
    ++fault_count;
    fault_mcause = f->mcause;
    fault_mtval = f->mtval;
    trap_skip_instruction(f);
}

/* Accesses the register file does not decode answer with a TLM error: the core raises an access fault
 * with the address (docs/accelerator.md "Register accesses"; docs/firmware-guide.md "Traps"). */
static void expect_fault(uint32_t cause, uint32_t addr, int write, int size) {
    fault_count = 0;
    if (write) {
        if (size == 1)
            mmio_write8(addr, 0);
        else
            mmio_write32(addr, 0);
    } else {
        volatile uint32_t v = size == 1   ? mmio_read8(addr)
                              : size == 2 ? *(volatile uint16_t*)addr
                                          : mmio_read32(addr);
        (void)v;
    }
    CHECK_EQ(fault_count, 1);
    CHECK_EQ(fault_mcause, cause);
    CHECK_EQ(fault_mtval, addr);
}

static void test_bus_errors(void) {
    uint32_t hole = 0;
    for (uint32_t off = 0; off < ACCEL_REG_SPAN && !hole; off += 4)
        if (accel_reg_find(off) == NULL) hole = off;
    CHECK(hole != 0);
    trap_set_exception_handler(CAUSE_LOAD_ACCESS, on_fault);
    trap_set_exception_handler(CAUSE_STORE_ACCESS, on_fault);
    expect_fault(CAUSE_LOAD_ACCESS, TRAINVP_ACCEL_BASE + hole, 0, 4);
    expect_fault(CAUSE_STORE_ACCESS, TRAINVP_ACCEL_BASE + hole, 1, 4);
    expect_fault(CAUSE_LOAD_ACCESS, TRAINVP_ACCEL_BASE + ACCEL_REG_SPAN, 0, 4);    /* beyond the registers */
    expect_fault(CAUSE_LOAD_ACCESS, TRAINVP_ACCEL_BASE + ACCEL_REG_SCRATCH, 0, 1); /* byte access */
    expect_fault(CAUSE_LOAD_ACCESS, TRAINVP_ACCEL_BASE + ACCEL_REG_SCRATCH, 0, 2); /* halfword access */
    expect_fault(CAUSE_STORE_ACCESS, TRAINVP_ACCEL_BASE + ACCEL_REG_SCRATCH, 1, 1);
    trap_set_exception_handler(CAUSE_LOAD_ACCESS, NULL);
    trap_set_exception_handler(CAUSE_STORE_ACCESS, NULL);
    CHECK_EQ(ACCEL_RD(SCRATCH), 0); /* the rejected byte store did not land */
    CHECK_EQ(ACCEL_RD(ERR_CODE), ACCEL_ERR_NONE);
}

static void test_names(void) {
    CHECK(accel_reg_find(ACCEL_REG_IRQ_STATUS) != NULL);
    CHECK_EQ(accel_reg_find(ACCEL_REG_IRQ_STATUS)->access, ACCEL_ACCESS_W1C);
    CHECK_EQ(accel_reg_find(ACCEL_REG_DOORBELL)->access, ACCEL_ACCESS_WO);
    uint32_t named = 0;
    for (uint32_t code = 0; code < ACCEL_ERR_COUNT; ++code) named += accel_error_name(code)[0] != '?';
    CHECK_EQ(named, ACCEL_ERR_COUNT);
    CHECK(accel_error_name(ACCEL_ERR_COUNT)[0] == '?');
    CHECK(accel_error_name(ACCEL_ERR_QUEUE_FULL)[0] == 'Q');
    CHECK(accel_opcode_name(ACCEL_OP_DMA_COPY)[0] == 'D');
}

int main(void) {
    test_reset_values();
    test_read_only();
    test_rw();
    test_w1c();
    test_perf();
    test_bus_errors();
    test_names();
    accel_reset();
    CHECK_EQ(check_reset_values("at the end"), 0);
    test_finish("accel_regs");
}
