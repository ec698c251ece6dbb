/*
 * Every accelerator error firmware can provoke on the platform (accel_regs.h ACCEL_ERRORS): each raises the
 * error interrupt through the PLIC (machine external interrupt, mcause 11, claim = TRAINVP_IRQ_ACCEL) with
 * its ERR_CODE, ERR_ADDR and ERR_DESC, stops the queue with the failed descriptor not consumed, reaches the
 * caller through the ops layer, and is cleared by CTRL.SOFT_RESET, after which the accelerator works again.
 *
 * DMA_BUS is not reachable from firmware here: the platform gives the accelerator exactly the populated DRAM
 * as its window (Platform::accel_config), so every address a descriptor can name is either an ADDR_RANGE
 * error or answered by the DRAM. test/accel/test_accel_errors.cpp covers it with a hole in a test bench.
 */
#include <stdio.h>
#include <string.h>

#include "trainvp/accel_ops.h"
#include "trainvp/check.h"
#include "trainvp/csr.h"
#include "trainvp/plic.h"

#define FP32 ACCEL_FMT_FP32
/* A DRAM area for operands whose contents do not matter (the errors happen before any data moves). */
#define SCRATCH_AREA TRAINVP_HOST_AREA_BASE
/* The first address past the DRAM window: outside the accelerator's reach whatever ram.size is. */
#define BEYOND_DRAM ((uint32_t)TRAINVP_DRAM_BASE + (uint32_t)TRAINVP_DRAM_WINDOW)

static struct accel_ring ring;
static struct accel_caps caps;
static float src[16], dst[16];
static uint32_t errors_seen;

static int ring_init_and_run_ok(void);

/* A valid element-wise descriptor to corrupt. */
static accel_desc relu(uint32_t count) {
    accel_desc d;
    accel_desc_relu_fwd(&d, count, accel_fp32(src), accel_fp32(dst));
    return d;
}

static void start(void) {
    accel_reset();
    CHECK_EQ(accel_ring_init(&ring, NULL, 8, ACCEL_COMPLETE_IRQ), 0);
    plic_last_source = 0;
    plic_last_mcause = 0;
}

/* After the error: its interrupt came through the PLIC, the registers hold code and address, the queue has
 * stopped; then reset clears it and a descriptor runs again. */
static void expect(const char* what, uint32_t code, uint32_t addr, uint32_t desc_index) {
    const uint32_t events = accel_irq_wait(ACCEL_IRQ_ERROR);
    CHECK(events & ACCEL_IRQ_ERROR);
    CHECK_EQ(plic_last_source, TRAINVP_IRQ_ACCEL);
    CHECK_EQ(plic_last_mcause, MCAUSE_INTERRUPT | IRQ_M_EXT);
    struct accel_error e;
    CHECK_EQ(accel_error_read(&e), code);
    CHECK_EQ(e.code, code);
    CHECK_EQ(e.addr, addr);
    CHECK_EQ(e.desc, desc_index);
    CHECK(accel_status() & ACCEL_STATUS_ERROR);
    if (e.code != code || e.addr != addr) printf("accel_errors: %s: unexpected report\n", what);
    printf("accel_errors: %-34s -> ", what);
    accel_error_print(&e);
    /* Stopped: a further submission is refused with the same error, and nothing runs. */
    const accel_desc ok = relu(4);
    if (ring.entries) {
        const uint32_t head = ACCEL_RD(RING_HEAD);
        CHECK_EQ(accel_try_submit(&ring, &ok, 1), (int)code);
        CHECK_EQ(ACCEL_RD(RING_HEAD), head);
    }
    /* Recovery. */
    accel_reset();
    CHECK_EQ(ACCEL_RD(STATUS), ACCEL_STATUS_IDLE);
    CHECK_EQ(ACCEL_RD(ERR_CODE), ACCEL_ERR_NONE);
    CHECK_EQ(ACCEL_RD(ERR_ADDR), 0);
    CHECK_EQ(ACCEL_RD(IRQ_STATUS), 0);
    CHECK_EQ(ACCEL_RD(RING_SIZE), 0);
    CHECK_EQ(ring_init_and_run_ok(), 0);
    ++errors_seen;
}

/* A fresh ring and one good descriptor to completion. */
static int ring_init_and_run_ok(void) {
    for (int i = 0; i < 4; ++i) src[i] = (float)(i - 2), dst[i] = 99.0f;
    CHECK_EQ(accel_ring_init(&ring, NULL, 8, ACCEL_COMPLETE_IRQ), 0);
    const accel_desc ok = relu(4);
    const int rc = accel_run(&ring, &ok, NULL);
    CHECK(dst[0] == 0.0f && dst[3] == 1.0f);
    accel_irq_take();
    return rc;
}

/* Runs one good descriptor (slot 0), then `bad` (slot 1) through the ops layer: the wait returns its error.
 */
static void descriptor_error(const char* what, const accel_desc* bad, uint32_t code, uint32_t addr) {
    start();
    CHECK_EQ(ring_init_and_run_ok(), 0);
    const uint32_t slot = ring.tail;
    const uint32_t desc_addr = ACCEL_ADDR(&ring.slots[slot]);
    struct accel_error e;
    const int rc = accel_run(&ring, bad, &e);
    CHECK_EQ(rc, (int)code);
    CHECK_EQ(e.code, code);
    CHECK_EQ(e.addr, addr ? addr : desc_addr);
    CHECK_EQ(e.desc, slot);
    CHECK_EQ(ACCEL_RD(RING_HEAD), slot); /* the failed descriptor is not consumed */
    expect(what, code, addr ? addr : desc_addr, slot);
}

static void test_descriptor_errors(void) {
    accel_desc d = relu(4);
    d.opcode = 0x7e;
    descriptor_error("unknown opcode", &d, ACCEL_ERR_UNKNOWN_OPCODE, 0);
    d = relu(4);
    d.addr_x += 2; /* fp32 needs 4-byte alignment */
    descriptor_error("misaligned operand", &d, ACCEL_ERR_MISALIGNED, d.addr_x);
    d = relu(4);
    d.fmt[ACCEL_OPND_Y] = ACCEL_FMT_FX(16, 8);
    d.addr_y += 1; /* a 16-bit container at an odd address */
    descriptor_error("misaligned 16-bit operand", &d, ACCEL_ERR_MISALIGNED, d.addr_y);
    d = relu(4);
    d.addr_x = 0x1000;
    descriptor_error("operand below DRAM", &d, ACCEL_ERR_ADDR_RANGE, 0x1000);
    d = relu(4);
    d.addr_y = BEYOND_DRAM - 8; /* 16 bytes running past the end of the DRAM window */
    descriptor_error("operand beyond DRAM", &d, ACCEL_ERR_ADDR_RANGE, BEYOND_DRAM - 8);
    d = relu(0);
    descriptor_error("count 0", &d, ACCEL_ERR_SHAPE, 0);

    const struct accel_fc_shape too_wide = {4, caps.max_dim + 1};
    accel_desc_fc_fwd(&d, &too_wide, 1, accel_fp32(src), accel_fp32(src), ACCEL_NO_ADDR, accel_fp32(dst));
    descriptor_error("fc_out beyond CAP_MAX_DIM", &d, ACCEL_ERR_SHAPE, 0);
    /* One input plane larger than half the activation buffer (double buffering) cannot be tiled. */
    uint16_t side = 16;
    while ((uint32_t)side * side * 4u <= caps.abuf_bytes) side *= 2;
    const struct accel_conv_shape big = {1, side, side, 1, 3, 1, 0};
    accel_desc_conv_fwd(&d, &big, 1, accel_tensor(SCRATCH_AREA, FP32), accel_fp32(src), ACCEL_NO_ADDR,
                        accel_tensor(SCRATCH_AREA + (uint32_t)side * side * 4u, FP32));
    descriptor_error("input plane beyond the buffers", &d, ACCEL_ERR_SHAPE, 0);

    d = relu(4);
    d.fmt[ACCEL_OPND_X] = 7; /* kind 7 does not exist */
    descriptor_error("invalid format kind", &d, ACCEL_ERR_FORMAT, 0);
    d = relu(4);
    d.fmt[ACCEL_OPND_X] = ACCEL_FMT_FX(2, 0); /* fixed point needs 4..32 bits */
    descriptor_error("2-bit fixed point", &d, ACCEL_ERR_FORMAT, 0);
    for (uint32_t kind = 0; kind < ACCEL_FMT_KIND_COUNT; ++kind) {
        if (caps.formats & (1u << kind)) continue;
        d = relu(4);
        d.fmt[ACCEL_OPND_X] = ACCEL_FMT(kind, ACCEL_RND_RNE, 8, 0);
        descriptor_error("format not in CAP_FORMATS", &d, ACCEL_ERR_FORMAT, 0);
    }

    d = relu(4);
    d.reserved[1] = 1;
    descriptor_error("reserved word non-zero", &d, ACCEL_ERR_BAD_ARGUMENT, 0);
    d = relu(4);
    d.sr_index_base = 1; /* DMA_COPY only */
    descriptor_error("sr_index_base on RELU_FWD", &d, ACCEL_ERR_BAD_ARGUMENT, 0);
    d = relu(4);
    d.flags = 0x80;
    descriptor_error("unknown flag", &d, ACCEL_ERR_BAD_ARGUMENT, 0);
    const struct accel_fc_shape fc = {4, 2};
    accel_desc_fc_fwd(&d, &fc, 2, accel_fp32(src), accel_fp32(src), ACCEL_NO_ADDR, accel_fp32(dst));
    accel_desc_set_acc_bits(&d, (uint8_t)(caps.max_acc_bits + 1));
    descriptor_error("acc_bits beyond CAP_MAX_ACC_BITS", &d, ACCEL_ERR_BAD_ARGUMENT, 0);

    static const uint8_t labels[3] = {1, 9, 2};
    static accel_loss_result result __attribute__((aligned(8)));
    accel_desc_softmax_xent(&d, 3, 4, accel_fp32(src), ACCEL_ADDR(labels), ACCEL_ADDR(&result),
                            accel_tensor(ACCEL_NO_ADDR, FP32));
    descriptor_error("label beyond the classes", &d, ACCEL_ERR_BAD_LABEL, ACCEL_ADDR(&labels[1]));
}

/* Ring errors: provoked by register writes (HAL), reported at once. */
static void test_ring_errors(void) {
    /* Descriptors published before the ring is configured. */
    accel_reset();
    ring.entries = 0;
    plic_last_source = 0;
    ACCEL_WR(IRQ_ENABLE, ACCEL_IRQ_ERROR);
    ACCEL_WR(DOORBELL, 1);
    expect("doorbell without a ring", ACCEL_ERR_RING_UNCONFIGURED, 0, 0);

    start();
    ACCEL_WR(RING_TAIL, ring.entries);
    expect("RING_TAIL >= RING_SIZE", ACCEL_ERR_TAIL_INVALID, ring.entries, 0);

    /* Held queue (ENABLE = 0): RING_SIZE - 1 pending fill it; one more passes the head. */
    start();
    accel_desc nops[7];
    for (int i = 0; i < 7; ++i) accel_desc_nop(&nops[i]);
    ACCEL_WR(CTRL, 0);
    CHECK_EQ(accel_try_submit(&ring, nops, 7), 0);
    CHECK_EQ(accel_ring_space(&ring), 0);
    CHECK_EQ(accel_try_submit(&ring, nops, 1), ACCEL_DRV_EFULL); /* the driver does not overrun it */
    CHECK_EQ(ACCEL_RD(STATUS), ACCEL_STATUS_IDLE);               /* held: pending but not busy */
    ACCEL_WR(DOORBELL, 1);
    expect("doorbell on a full queue", ACCEL_ERR_QUEUE_FULL, 0, 0);

    start();
    ACCEL_WR(DOORBELL, ring.entries);
    expect("doorbell for more than the ring", ACCEL_ERR_QUEUE_FULL, 0, 0);

    /* The ring itself: misaligned, and outside DRAM (the descriptor fetch is checked like an operand). */
    start();
    ACCEL_WR(RING_BASE, ACCEL_ADDR(ring.slots) + 4);
    ACCEL_WR(DOORBELL, 1);
    expect("misaligned RING_BASE", ACCEL_ERR_MISALIGNED, ACCEL_ADDR(ring.slots) + 4, 0);
    start();
    ACCEL_WR(RING_BASE, 0x1000);
    ACCEL_WR(DOORBELL, 1);
    expect("ring outside DRAM", ACCEL_ERR_ADDR_RANGE, 0x1000, 0);
}

/* Configuration written while busy: a descriptor long enough to be running during the next register write
 * (busy = running, or enabled with descriptors pending). The write is ignored; the running descriptor
 * still completes. */
static void config_busy(const char* what, uint32_t offset, uint32_t value) {
    start();
    accel_desc d;
    const uint32_t n = 65536;
    accel_desc_relu_fwd(&d, n, accel_tensor(SCRATCH_AREA, FP32), accel_tensor(SCRATCH_AREA, FP32));
    const uint32_t base = ACCEL_RD(RING_BASE), size = ACCEL_RD(RING_SIZE), ctrl = ACCEL_RD(CTRL);
    CHECK_EQ(accel_try_submit(&ring, &d, 1), 0);
    accel_write(offset, value);
    CHECK(accel_status() & ACCEL_STATUS_ERROR);
    CHECK_EQ(ACCEL_RD(RING_BASE), base);
    CHECK_EQ(ACCEL_RD(RING_SIZE), size);
    CHECK_EQ(ACCEL_RD(CTRL), ctrl);
    expect(what, ACCEL_ERR_CONFIG_BUSY, offset, 0);
}

static void test_config_busy(void) {
    config_busy("RING_BASE written while busy", ACCEL_REG_RING_BASE, (uint32_t)SCRATCH_AREA);
    config_busy("RING_SIZE written while busy", ACCEL_REG_RING_SIZE, 4);
    config_busy("CTRL.ENABLE cleared while busy", ACCEL_REG_CTRL, 0);

    /* Reset while running drops the descriptor: idle at once, no interrupt later. */
    start();
    accel_desc d;
    accel_desc_relu_fwd(&d, 65536, accel_tensor(SCRATCH_AREA, FP32), accel_tensor(SCRATCH_AREA, FP32));
    CHECK_EQ(accel_try_submit(&ring, &d, 1), 0);
    CHECK(accel_status() & ACCEL_STATUS_BUSY);
    const uint32_t irqs = accel_irq_count;
    accel_reset();
    CHECK_EQ(ACCEL_RD(STATUS), ACCEL_STATUS_IDLE);
    for (volatile int i = 0; i < 20000; ++i) continue; /* well past the descriptor's run time */
    CHECK_EQ(ACCEL_RD(STATUS), ACCEL_STATUS_IDLE);
    CHECK_EQ(ACCEL_RD(IRQ_STATUS), 0);
    CHECK_EQ(accel_irq_count, irqs);
    CHECK_EQ(ring_init_and_run_ok(), 0);
}

int main(void) {
    CHECK_EQ(accel_probe(&caps), ACCEL_DRV_OK);
    CHECK_EQ(accel_irq_install(1, NULL), 0);
    irq_global_enable();
    test_descriptor_errors();
    test_ring_errors();
    test_config_busy();
    printf("accel_errors: %lu errors raised and recovered (DMA_BUS is not reachable on this platform)\n",
           (unsigned long)errors_seen);
    CHECK(errors_seen >= 23);
    irq_global_disable();
    accel_irq_uninstall();
    accel_reset();
    test_finish("accel_errors");
}
