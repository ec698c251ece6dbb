/*
 * RV32A atomics (unprivileged spec chapter 8): lr.w/sc.w success and the failures the spec requires
 * (no reservation, a reservation for another address), and every amo*.w with the old value returned in
 * rd and the new value in memory, including signed versus unsigned min/max. Misaligned and unmapped
 * AMOs must trap as store/AMO exceptions (privileged spec table 3.6).
 */
#include <stdint.h>
#include <stdio.h>

#include "trainvp/check.h"
#include "trainvp/csr.h"
#include "trainvp/trap.h"

#define NORVC(body) ".option push\n.option norvc\n" body "\n.option pop\n"

static volatile uint32_t cell[4] __attribute__((aligned(16)));

/* old = amo<op>.w rs2, (addr) */
#define AMO(op, addr, value)                                 \
    ({                                                       \
        uint32_t amo_old_;                                   \
        __asm__ volatile(NORVC(op " %0, %2, (%1)")           \
                         : "=&r"(amo_old_)                   \
                         : "r"(addr), "r"((uint32_t)(value)) \
                         : "memory");                        \
        amo_old_;                                            \
    })

static uint32_t lr(volatile uint32_t* addr) {
    uint32_t value;
    __asm__ volatile(NORVC("lr.w %0, (%1)") : "=r"(value) : "r"(addr) : "memory");
    return value;
}

/* 0 on success, non-zero on failure (spec section 8.2). */
static uint32_t sc(volatile uint32_t* addr, uint32_t value) {
    uint32_t status;
    __asm__ volatile(NORVC("sc.w %0, %2, (%1)") : "=&r"(status) : "r"(addr), "r"(value) : "memory");
    return status;
}

static void test_lr_sc(void) {
    cell[0] = 100;
    cell[1] = 200;
    CHECK_EQ(lr(&cell[0]), 100);
    CHECK_EQ(sc(&cell[0], 101), 0);
    CHECK_EQ(cell[0], 101);

    /* The successful sc consumed the reservation: a second sc fails and leaves memory alone. */
    CHECK(sc(&cell[0], 102) != 0);
    CHECK_EQ(cell[0], 101);

    /* A reservation on cell[0] does not cover cell[1]. */
    CHECK_EQ(lr(&cell[0]), 101);
    CHECK(sc(&cell[1], 201) != 0);
    CHECK_EQ(cell[1], 200);
    CHECK_EQ(cell[0], 101);

    /* The usual retry loop: an atomic increment. */
    uint32_t old, status;
    __asm__ volatile(NORVC("1: lr.w %0, (%2)\naddi t0, %0, 5\nsc.w %1, t0, (%2)\nbnez %1, 1b")
                     : "=&r"(old), "=&r"(status)
                     : "r"(&cell[1])
                     : "t0", "memory");
    CHECK_EQ(old, 200);
    CHECK_EQ(status, 0);
    CHECK_EQ(cell[1], 205);

    /* Ordering bits do not change the result. */
    CHECK_EQ(({
                 uint32_t v;
                 __asm__ volatile(NORVC("lr.w.aqrl %0, (%1)") : "=r"(v) : "r"(&cell[1]) : "memory");
                 v;
             }),
             205);
    uint32_t st;
    __asm__ volatile(NORVC("sc.w.rl %0, %2, (%1)") : "=&r"(st) : "r"(&cell[1]), "r"(206) : "memory");
    CHECK_EQ(st, 0);
    CHECK_EQ(cell[1], 206);
}

#define CHECK_AMO(op, before, operand, after)             \
    do {                                                  \
        cell[2] = (before);                               \
        CHECK_EQ(AMO(op, &cell[2], (operand)), (before)); \
        CHECK_EQ(cell[2], (after));                       \
    } while (0)

static void test_amos(void) {
    CHECK_AMO("amoswap.w", 0x11111111, 0x22222222, 0x22222222);
    CHECK_AMO("amoadd.w", 0x7fffffff, 1, 0x80000000);
    CHECK_AMO("amoadd.w", 0xffffffff, 2, 1);
    CHECK_AMO("amoxor.w", 0xff00ff00, 0x0ff00ff0, 0xf0f0f0f0);
    CHECK_AMO("amoand.w", 0xff00ff00, 0x0ff00ff0, 0x0f000f00);
    CHECK_AMO("amoor.w", 0xff00ff00, 0x0ff00ff0, 0xfff0fff0);
    /* min/max signed: 0x80000000 is the most negative; unsigned: the largest of the two. */
    CHECK_AMO("amomin.w", 0x80000000, 1, 0x80000000);
    CHECK_AMO("amomin.w", 1, 0x80000000, 0x80000000);
    CHECK_AMO("amomin.w", 0xffffffff, 0xfffffffe, 0xfffffffe);
    CHECK_AMO("amomax.w", 0x80000000, 1, 1);
    CHECK_AMO("amomax.w", 0xffffffff, 0, 0);
    CHECK_AMO("amominu.w", 0x80000000, 1, 1);
    CHECK_AMO("amominu.w", 0, 0xffffffff, 0);
    CHECK_AMO("amomaxu.w", 0x80000000, 1, 0x80000000);
    CHECK_AMO("amomaxu.w", 1, 0xffffffff, 0xffffffff);
    CHECK_AMO("amoadd.w.aqrl", 40, 2, 42);
    CHECK_AMO("amoswap.w.aq", 5, 6, 6);

    /* rd = x0: memory still updated. */
    cell[3] = 10;
    __asm__ volatile(NORVC("amoadd.w x0, %1, (%0)") : : "r"(&cell[3]), "r"(7) : "memory");
    CHECK_EQ(cell[3], 17);
    /* rd == rs2: rd receives the old value, memory the operand. */
    uint32_t x = 99;
    __asm__ volatile(NORVC("amoswap.w %0, %0, (%1)") : "+r"(x) : "r"(&cell[3]) : "memory");
    CHECK_EQ(x, 17);
    CHECK_EQ(cell[3], 99);
}

static volatile uint32_t fault_count, fault_mcause, fault_mtval;

static void on_fault(struct trap_frame* frame) {
    ++fault_count;
    fault_mcause = frame->mcause;
    fault_mtval = frame->mtval;
    trap_skip_instruction(frame);
}

static void test_amo_faults(void) {
    trap_install();
    for (uint32_t cause = CAUSE_MISALIGNED_LOAD; cause <= CAUSE_STORE_ACCESS; ++cause) {
        trap_set_exception_handler(cause, on_fault);
    }
    /* Misaligned AMO: store/AMO address misaligned (or access fault, which the spec also allows). */
    uint32_t addr = (uint32_t)(uintptr_t)&cell[0] + 2;
    cell[0] = 0x12345678;
    cell[1] = 0x9abcdef0;
    fault_count = 0;
    (void)AMO("amoadd.w", addr, 1);
    CHECK_EQ(fault_count, 1);
    CHECK(fault_mcause == CAUSE_MISALIGNED_STORE || fault_mcause == CAUSE_STORE_ACCESS);
    CHECK_EQ(fault_mtval, addr);
    CHECK_EQ(cell[0], 0x12345678);
    CHECK_EQ(cell[1], 0x9abcdef0);

    /* AMO to an unmapped address: store/AMO access fault with mtval = the address. */
    uint32_t unmapped = 0x40000000;
    fault_count = 0;
    (void)AMO("amoswap.w", unmapped, 1);
    CHECK_EQ(fault_count, 1);
    CHECK_EQ(fault_mcause, CAUSE_STORE_ACCESS);
    CHECK_EQ(fault_mtval, unmapped);
    printf("rv32a: amoswap.w to 0x%08lx: mcause %lu, mtval 0x%08lx\n", (unsigned long)unmapped,
           (unsigned long)fault_mcause, (unsigned long)fault_mtval);

    /* Misaligned lr.w: a load exception; misaligned sc.w: a store/AMO exception. */
    fault_count = 0;
    __asm__ volatile(NORVC("lr.w t0, (%0)") : : "r"(addr) : "t0", "memory");
    CHECK_EQ(fault_count, 1);
    CHECK(fault_mcause == CAUSE_MISALIGNED_LOAD || fault_mcause == CAUSE_LOAD_ACCESS);
    CHECK_EQ(fault_mtval, addr);
    fault_count = 0;
    __asm__ volatile(NORVC("sc.w t0, %1, (%0)") : : "r"(addr), "r"(0) : "t0", "memory");
    CHECK_EQ(fault_count, 1);
    CHECK(fault_mcause == CAUSE_MISALIGNED_STORE || fault_mcause == CAUSE_STORE_ACCESS);
    CHECK_EQ(fault_mtval, addr);
    CHECK_EQ(cell[0], 0x12345678);
}

int main(void) {
    test_lr_sc();
    test_amos();
    test_amo_faults();
    test_finish("rv32a");
}
