/*
 * Machine interrupts through the CLINT (privileged spec v1.12 sections 3.1.6, 3.1.9, 3.2.1, 3.3.3):
 * the timer interrupt taken after WFI with simulated time at or past mtimecmp, the software interrupt
 * through msip, mie masking a pending interrupt, vectored mtvec entering at BASE + 4 * cause, and
 * mstatus.MIE/MPIE/MPP across a trap and mret.
 *
 * Every wait is race-free: WFI runs with mstatus.MIE clear, since WFI wakes on any interrupt pending
 * and enabled in mie regardless of mstatus.MIE; the interrupt is then taken by setting MIE.
 */
#include <stdint.h>
#include <stdio.h>

#include "trainvp/check.h"
#include "trainvp/csr.h"
#include "trainvp/hal.h"
#include "trainvp/trap.h"

/* The timer compare is this many mtime ticks ahead: long enough that WFI must really sleep. */
#define TIMER_DELTA_TICKS 10000u
/* Bound on polling for an MMIO write to reach mip; the CLINT model may deliver at the next sync. */
#define POLL_LIMIT 100000u

static volatile uint32_t timer_count, soft_count;
static volatile uint64_t timer_seen_mtime;
static volatile uint32_t seen_mcause, seen_mstatus, seen_vector, seen_mip;

static void on_timer(struct trap_frame* frame) {
    ++timer_count;
    timer_seen_mtime = clint_mtime();
    seen_mcause = frame->mcause;
    seen_mstatus = frame->mstatus;
    seen_vector = (uint32_t)frame->vector;
    seen_mip = csr_read(CSR_MIP);
    clint_disable_timer(); /* clears MTIP: mtimecmp is in the far future again */
}

static void on_soft(struct trap_frame* frame) {
    ++soft_count;
    seen_mcause = frame->mcause;
    seen_mstatus = frame->mstatus;
    seen_vector = (uint32_t)frame->vector;
    clint_set_msip(0); /* clears MSIP */
}

static uint32_t wait_for_mip(uint32_t bit) {
    uint32_t polls = 0;
    while (!(csr_read(CSR_MIP) & bit) && polls < POLL_LIMIT) ++polls;
    return polls;
}

static uint32_t wait_for_mip_clear(uint32_t bit) {
    uint32_t polls = 0;
    while ((csr_read(CSR_MIP) & bit) && polls < POLL_LIMIT) ++polls;
    return polls;
}

/* Sleeps until the timer interrupt has been taken; returns how many WFIs it took. */
static uint32_t sleep_until_timer(void) {
    uint32_t wakeups = 0;
    while (timer_count == 0 && wakeups < 1000) {
        wfi();
        ++wakeups;
        irq_global_enable(); /* a pending, enabled interrupt is taken here */
        irq_global_disable();
    }
    return wakeups;
}

static void test_timer_wfi(void) {
    irq_global_disable();
    timer_count = 0;
    uint64_t start = clint_mtime();
    uint64_t compare = start + TIMER_DELTA_TICKS;
    clint_set_timecmp(compare);
    CHECK_EQ64(clint_timecmp(), compare);
    CHECK((csr_read(CSR_MIP) & MIP_MTIP) == 0);
    csr_set(CSR_MIE, MIE_MTIE);

    uint32_t instret_before = csr_read(CSR_MINSTRET);
    uint32_t wakeups = sleep_until_timer();
    uint32_t instret_asleep = csr_read(CSR_MINSTRET) - instret_before;

    CHECK_EQ(timer_count, 1);
    CHECK_EQ(wakeups, 1); /* WFI slept until the interrupt rather than returning at once */
    CHECK(timer_seen_mtime >= compare);
    CHECK(clint_mtime() >= compare);
    CHECK_EQ(seen_mcause, MCAUSE_INTERRUPT | IRQ_M_TIMER);
    CHECK(seen_mip & MIP_MTIP);
    CHECK_EQ(seen_vector, (uint32_t)-1); /* direct mode */
    /* Trap entry: MPIE holds the MIE it interrupted (1), MIE is cleared, MPP is machine mode. */
    CHECK((seen_mstatus & MSTATUS_MIE) == 0);
    CHECK(seen_mstatus & MSTATUS_MPIE);
    CHECK_EQ(seen_mstatus & MSTATUS_MPP, MSTATUS_MPP_M);
    CHECK(wait_for_mip_clear(MIP_MTIP) < POLL_LIMIT);
    printf("interrupts: timer: compare %lu, seen at mtime %lu after %lu wakeups and %lu instructions\n",
           (unsigned long)compare, (unsigned long)timer_seen_mtime, (unsigned long)wakeups,
           (unsigned long)instret_asleep);
    csr_clear(CSR_MIE, MIE_MTIE);
}

static void test_timer_masked(void) {
    /* Pending but disabled in mie: not taken, even with MIE set; taken as soon as mie enables it. */
    timer_count = 0;
    csr_clear(CSR_MIE, MIE_MTIE);
    clint_set_timecmp(clint_mtime()); /* due now */
    irq_global_enable();
    CHECK(wait_for_mip(MIP_MTIP) < POLL_LIMIT);
    CHECK(csr_read(CSR_MIP) & MIP_MTIP);
    CHECK_EQ(timer_count, 0);
    csr_set(CSR_MIE, MIE_MTIE);
    uint32_t count_after_enable = timer_count; /* the interrupt comes before this load */
    irq_global_disable();
    CHECK_EQ(count_after_enable, 1);
    csr_clear(CSR_MIE, MIE_MTIE);

    /* Enabled in mie but mstatus.MIE clear: pending, not taken. */
    timer_count = 0;
    csr_set(CSR_MIE, MIE_MTIE);
    clint_set_timecmp(clint_mtime());
    CHECK(wait_for_mip(MIP_MTIP) < POLL_LIMIT);
    CHECK_EQ(timer_count, 0);
    irq_global_enable();
    irq_global_disable();
    CHECK_EQ(timer_count, 1);
    csr_clear(CSR_MIE, MIE_MTIE);
}

static void test_software_interrupt(void) {
    soft_count = 0;
    irq_global_enable();
    csr_clear(CSR_MIE, MIE_MSIE);
    clint_set_msip(1);
    CHECK_EQ(clint_msip(), 1);
    CHECK(wait_for_mip(MIP_MSIP) < POLL_LIMIT);
    CHECK_EQ(soft_count, 0); /* masked by mie */
    csr_set(CSR_MIE, MIE_MSIE);
    uint32_t count_after_enable = soft_count;
    irq_global_disable();
    CHECK_EQ(count_after_enable, 1);
    CHECK_EQ(seen_mcause, MCAUSE_INTERRUPT | IRQ_M_SOFT);
    CHECK_EQ(clint_msip(), 0);
    CHECK(wait_for_mip_clear(MIP_MSIP) < POLL_LIMIT);

    /* With mie.MSIE and MIE both set, a write to msip interrupts promptly. */
    soft_count = 0;
    irq_global_enable();
    clint_set_msip(1);
    uint32_t polls = 0;
    while (soft_count == 0 && polls < POLL_LIMIT) ++polls;
    irq_global_disable();
    CHECK_EQ(soft_count, 1);
    printf("interrupts: software interrupt taken after %lu polls\n", (unsigned long)polls);
    csr_clear(CSR_MIE, MIE_MSIE);
}

static volatile uint32_t ecall_vector, ecall_mstatus;

static void on_ecall(struct trap_frame* frame) {
    ecall_vector = (uint32_t)frame->vector;
    ecall_mstatus = frame->mstatus;
    trap_skip_instruction(frame);
}

static void test_vectored(void) {
    trap_install_vectored();
    CHECK_EQ(csr_read(CSR_MTVEC), (uint32_t)(uintptr_t)trap_vector_table | MTVEC_MODE_VECTORED);

    /* Interrupts enter at BASE + 4 * cause. */
    timer_count = 0;
    seen_vector = 0xffff;
    irq_global_disable();
    clint_set_timecmp(clint_mtime() + TIMER_DELTA_TICKS);
    csr_set(CSR_MIE, MIE_MTIE);
    (void)sleep_until_timer();
    CHECK_EQ(timer_count, 1);
    CHECK_EQ(seen_vector, IRQ_M_TIMER);
    csr_clear(CSR_MIE, MIE_MTIE);

    soft_count = 0;
    csr_set(CSR_MIE, MIE_MSIE);
    clint_set_msip(1);
    CHECK(wait_for_mip(MIP_MSIP) < POLL_LIMIT);
    irq_global_enable();
    irq_global_disable();
    CHECK_EQ(soft_count, 1);
    CHECK_EQ(seen_vector, IRQ_M_SOFT);
    csr_clear(CSR_MIE, MIE_MSIE);

    /* Exceptions always enter at BASE. */
    ecall_vector = 0xffff;
    __asm__ volatile("ecall" ::: "memory");
    CHECK_EQ(ecall_vector, 0);

    trap_install();
}

static void test_mstatus_across_traps(void) {
    /* An exception taken with MIE clear: MPIE = 0 in the handler; mret sets MIE = MPIE (0), MPIE = 1. */
    irq_global_disable();
    __asm__ volatile("ecall" ::: "memory");
    CHECK((ecall_mstatus & MSTATUS_MIE) == 0);
    CHECK((ecall_mstatus & MSTATUS_MPIE) == 0);
    CHECK_EQ(ecall_mstatus & MSTATUS_MPP, MSTATUS_MPP_M);
    uint32_t after = csr_read(CSR_MSTATUS);
    CHECK((after & MSTATUS_MIE) == 0);
    CHECK(after & MSTATUS_MPIE);

    /* Taken with MIE set: MPIE = 1, MIE = 0 in the handler; mret restores MIE = 1. */
    irq_global_enable();
    __asm__ volatile("ecall" ::: "memory");
    after = csr_read(CSR_MSTATUS);
    irq_global_disable();
    CHECK((ecall_mstatus & MSTATUS_MIE) == 0);
    CHECK(ecall_mstatus & MSTATUS_MPIE);
    CHECK(after & MSTATUS_MIE);
    CHECK(after & MSTATUS_MPIE);

    /* mret by hand: MIE takes MPIE, MPIE becomes 1, pc = mepc. */
    uint32_t landed;
    csr_clear(CSR_MSTATUS, MSTATUS_MIE);
    csr_set(CSR_MSTATUS, MSTATUS_MPIE | MSTATUS_MPP_M);
    __asm__ volatile("la t0, 1f\ncsrw mepc, t0\nli %0, 0\nmret\nli %0, 2\n1: addi %0, %0, 1"
                     : "=&r"(landed)
                     :
                     : "t0", "memory");
    after = csr_read(CSR_MSTATUS);
    irq_global_disable();
    CHECK_EQ(landed, 1);
    CHECK(after & MSTATUS_MIE);
    CHECK(after & MSTATUS_MPIE);
    CHECK_EQ(after & MSTATUS_MPP, MSTATUS_MPP_M); /* M-only hart: MPP stays M */
}

int main(void) {
    trap_install();
    trap_set_interrupt_handler(IRQ_M_TIMER, on_timer);
    trap_set_interrupt_handler(IRQ_M_SOFT, on_soft);
    trap_set_exception_handler(CAUSE_MACHINE_ECALL, on_ecall);
    clint_disable_timer();
    clint_set_msip(0);
    csr_write(CSR_MIE, 0);

    test_timer_wfi();
    test_timer_masked();
    test_software_interrupt();
    test_vectored();
    test_mstatus_across_traps();
    test_finish("interrupts");
}
