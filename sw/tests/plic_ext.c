/*
 * The machine external interrupt through the PLIC (PLIC specification 1.0.0; privileged spec v1.12 sections
 * 3.1.7, 3.1.9): register widths, priority 0 and the threshold masking a pending source, the enable bits,
 * claim closing the gateway and completion reopening it (a level source still high interrupts again),
 * mie.MEIE and mstatus.MIE masking, vectored entry at mtvec.BASE + 4 * 11, and the driver's dispatcher.
 *
 * The source is the accelerator's line (TRAINVP_IRQ_ACCEL), which is high while IRQ_STATUS & IRQ_ENABLE is
 * non-zero: after a NOP with IRQ_ON_DONE has latched IRQ_STATUS.DONE, IRQ_ENABLE switches the line.
 */
#include <stdio.h>

#include "trainvp/accel_ops.h"
#include "trainvp/check.h"
#include "trainvp/csr.h"
#include "trainvp/plic.h"
#include "trainvp/trap.h"

#define SRC TRAINVP_IRQ_ACCEL
#define SRC_BIT (1u << SRC)
/* Bound on polling for a level change to propagate (device -> PLIC -> mip happens within a few accesses). */
#define POLL_LIMIT 1000u

static void line_high(void) {
    ACCEL_WR(IRQ_ENABLE, ACCEL_IRQ_DONE);
}
static void line_low(void) {
    ACCEL_WR(IRQ_ENABLE, 0);
}

/* Polls until (mip & MEIP) == want; returns the polls (POLL_LIMIT: never). */
static uint32_t wait_meip(int want) {
    uint32_t polls = 0;
    while (((csr_read(CSR_MIP) & MIP_MEIP) != 0) != want && polls < POLL_LIMIT) ++polls;
    return polls;
}
static uint32_t wait_pending(int want) {
    uint32_t polls = 0;
    while (((plic_pending() & SRC_BIT) != 0) != want && polls < POLL_LIMIT) ++polls;
    return polls;
}

/* The handler under test: claims, records, lowers the line unless told to leave it high once, completes. */
static volatile uint32_t taken, leave_high, seen_mcause, seen_claim, seen_pending_after_claim;
static volatile int32_t seen_vector;
static void on_external(struct trap_frame* f) {
    ++taken;
    seen_mcause = f->mcause;
    seen_vector = f->vector;
    const uint32_t id = plic_claim();
    seen_claim = id;
    seen_pending_after_claim = plic_pending();
    if (leave_high)
        --leave_high;
    else
        line_low();
    if (id) plic_complete(id);
}

/* Spins for a while with interrupts open, so a wrongly unmasked interrupt would be taken. */
static void linger(void) {
    for (volatile uint32_t i = 0; i < 200; ++i) (void)csr_read(CSR_MIP);
}

static void test_registers(void) {
    plic_set_priority(SRC, 0xffffffffu);
    CHECK_EQ(plic_priority(SRC), PLIC_PRIORITY_MAX); /* 3 bits */
    plic_set_priority(0, 5);
    CHECK_EQ(plic_priority(0), 0); /* source 0 does not exist */
    plic_set_threshold(0xffffffffu);
    CHECK_EQ(plic_threshold(), PLIC_PRIORITY_MAX);
    plic_set_enabled(0xffffffffu);
    CHECK_EQ(plic_enabled(), ((1u << TRAINVP_IRQ_COUNT) - 1u) & ~1u); /* sources 1 .. COUNT-1 */
    plic_set_enabled(0);
    plic_set_threshold(0);
    plic_set_priority(SRC, 0);
    CHECK_EQ(plic_claim(), 0); /* nothing pending */
}

/* Latches IRQ_STATUS.DONE with the line held low. */
static void prepare_source(void) {
    struct accel_ring ring;
    accel_reset();
    CHECK_EQ(accel_ring_init(&ring, NULL, 2, ACCEL_COMPLETE_POLL), ACCEL_DRV_OK);
    accel_desc nop;
    accel_desc_nop(&nop);
    nop.flags = ACCEL_FLAG_IRQ_ON_DONE;
    CHECK_EQ(accel_submit(&ring, &nop, 1, NULL), ACCEL_DRV_OK);
    CHECK_EQ(accel_wait_poll(&ring, NULL), ACCEL_ERR_NONE);
    CHECK_EQ(ACCEL_RD(IRQ_STATUS), ACCEL_IRQ_DONE);
    CHECK_EQ(plic_pending() & SRC_BIT, 0);
}

static void test_masking(void) {
    trap_set_interrupt_handler(IRQ_M_EXT, on_external);
    csr_set(CSR_MIE, MIE_MEIE);
    irq_global_enable();
    taken = 0;

    /* Pending in the gateway, but disabled and at priority 0: no MEIP, nothing to claim. */
    line_high();
    CHECK(wait_pending(1) < POLL_LIMIT);
    linger();
    CHECK_EQ(csr_read(CSR_MIP) & MIP_MEIP, 0);
    CHECK_EQ(taken, 0);
    /* Enabled at priority 0: "never interrupt". */
    plic_enable(SRC);
    linger();
    CHECK_EQ(csr_read(CSR_MIP) & MIP_MEIP, 0);
    CHECK_EQ(taken, 0);
    /* Priority 1 with threshold 1: only priorities above the threshold interrupt. */
    plic_set_threshold(1);
    plic_set_priority(SRC, 1);
    linger();
    CHECK_EQ(csr_read(CSR_MIP) & MIP_MEIP, 0);
    CHECK_EQ(taken, 0);
    /* Disabled again, above the threshold: the enable bit masks it. */
    plic_disable(SRC);
    plic_set_priority(SRC, 2);
    linger();
    CHECK_EQ(taken, 0);
    CHECK_EQ(plic_claim(), 0); /* a disabled source is never claimed */

    /* Enabled and above the threshold, with mie.MEIE clear: MEIP pending, not taken. */
    csr_clear(CSR_MIE, MIE_MEIE);
    plic_enable(SRC);
    CHECK(wait_meip(1) < POLL_LIMIT);
    linger();
    CHECK_EQ(taken, 0);
    /* mstatus.MIE clear and MEIE set: still not taken, WFI would wake. */
    irq_global_disable();
    csr_set(CSR_MIE, MIE_MEIE);
    linger();
    CHECK_EQ(taken, 0);
    /* Opening MIE takes it at once. */
    irq_global_enable();
    const uint32_t taken_at_enable = taken;
    CHECK_EQ(taken_at_enable, 1);
    CHECK_EQ(seen_mcause, MCAUSE_INTERRUPT | IRQ_M_EXT);
    CHECK_EQ(seen_claim, SRC);
    CHECK_EQ(seen_pending_after_claim & SRC_BIT, 0); /* claimed: the gateway is closed */
    CHECK_EQ(seen_vector, -1);                       /* direct mode */
    CHECK(wait_meip(0) < POLL_LIMIT);
    CHECK_EQ(plic_pending() & SRC_BIT, 0);
    plic_set_threshold(0);
}

/* A completion with the level source still high makes it pending again and interrupts a second time. */
static void test_level_retrigger(void) {
    taken = 0;
    leave_high = 1;
    line_high();
    CHECK(wait_meip(0) < POLL_LIMIT);
    uint32_t polls = 0;
    while (taken < 2 && polls < POLL_LIMIT) ++polls;
    CHECK_EQ(taken, 2);
    CHECK_EQ(seen_claim, SRC);
    linger();
    CHECK_EQ(taken, 2);
    CHECK_EQ(csr_read(CSR_MIP) & MIP_MEIP, 0);
}

/* Claim and complete by hand with interrupts closed: the claim returns the source and hides it from the
 * pending register and from MEIP until the completion. A completion of a source not claimed is ignored. */
static void test_claim_complete(void) {
    irq_global_disable();
    taken = 0;
    line_high();
    CHECK(wait_meip(1) < POLL_LIMIT);
    CHECK(plic_pending() & SRC_BIT);
    CHECK_EQ(plic_claim(), SRC);
    CHECK_EQ(plic_pending() & SRC_BIT, 0);
    CHECK(wait_meip(0) < POLL_LIMIT);
    CHECK_EQ(plic_claim(), 0); /* nothing else */
    plic_complete(SRC);
    CHECK(plic_pending() & SRC_BIT); /* the line is still high */
    CHECK(wait_meip(1) < POLL_LIMIT);
    line_low();
    CHECK(wait_meip(0) < POLL_LIMIT);
    CHECK_EQ(plic_pending() & SRC_BIT, 0);
    plic_complete(SRC); /* not claimed: ignored */
    line_high();
    CHECK(wait_meip(1) < POLL_LIMIT);
    CHECK_EQ(taken, 0);
    line_low();
    CHECK(wait_meip(0) < POLL_LIMIT);
    irq_global_enable();
    linger();
    CHECK_EQ(taken, 0);
}

/* Vectored mode: an interrupt with code 11 enters at mtvec.BASE + 44 (privileged spec 3.1.7). */
static void test_vectored(void) {
    trap_install_vectored();
    CHECK_EQ(csr_read(CSR_MTVEC), (uint32_t)(uintptr_t)trap_vector_table | MTVEC_MODE_VECTORED);
    taken = 0;
    seen_vector = -2;
    line_high();
    uint32_t polls = 0;
    while (taken == 0 && polls < POLL_LIMIT) ++polls;
    CHECK_EQ(taken, 1);
    CHECK_EQ(seen_vector, IRQ_M_EXT);
    CHECK_EQ(seen_mcause, MCAUSE_INTERRUPT | IRQ_M_EXT);
    CHECK_EQ(seen_claim, SRC);
    trap_install();
    CHECK_EQ(csr_read(CSR_MTVEC) & MTVEC_MODE_MASK, MTVEC_MODE_DIRECT);
}

/* The driver's dispatcher (plic_attach): claims, calls the source's handler with its id, completes. */
static volatile uint32_t dispatched, dispatched_source;
static void on_accel_line(uint32_t source) {
    ++dispatched;
    dispatched_source = source;
    line_low();
}

static void test_dispatcher(void) {
    plic_set_enabled(0);
    plic_set_priority(SRC, 0);
    CHECK_EQ(plic_attach(0, 1, on_accel_line), -1);
    CHECK_EQ(plic_attach(SRC, 0, on_accel_line), -1);
    CHECK_EQ(plic_attach(SRC, PLIC_PRIORITY_MAX + 1, on_accel_line), -1);
    CHECK_EQ(plic_attach(SRC, 3, on_accel_line), 0);
    CHECK_EQ(plic_priority(SRC), 3);
    CHECK(plic_enabled() & SRC_BIT);
    CHECK(csr_read(CSR_MIE) & MIE_MEIE);
    const uint32_t claims_before = plic_claims;
    line_high();
    uint32_t polls = 0;
    while (dispatched == 0 && polls < POLL_LIMIT) ++polls;
    CHECK_EQ(dispatched, 1);
    CHECK_EQ(dispatched_source, SRC);
    CHECK_EQ(plic_claims - claims_before, 1);
    CHECK_EQ(plic_last_source, SRC);
    CHECK_EQ(plic_last_mcause, MCAUSE_INTERRUPT | IRQ_M_EXT);
    plic_detach(SRC);
    CHECK_EQ(plic_enabled() & SRC_BIT, 0);
    line_high();
    linger();
    CHECK_EQ(dispatched, 1);
    line_low();
}

int main(void) {
    test_registers();
    prepare_source();
    test_masking();
    test_level_retrigger();
    test_claim_complete();
    test_vectored();
    test_dispatcher();
    irq_global_disable();
    accel_reset();
    printf("plic_ext: external interrupts taken through the PLIC: %lu dispatched\n",
           (unsigned long)plic_claims);
    test_finish("plic_ext");
}
