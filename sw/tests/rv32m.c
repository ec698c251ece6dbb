/*
 * RV32M multiply and divide (unprivileged spec chapter 7): all eight instructions over a table of
 * operand pairs whose expected results were computed independently with Python's arbitrary-precision
 * integers, including division by zero (quotient all ones, remainder the dividend), the signed overflow
 * INT_MIN / -1 (quotient INT_MIN, remainder 0) and every sign combination (section 7.2, table 7.1).
 */
#include <stdint.h>
#include <stdio.h>

#include "isa.h"
#include "trainvp/check.h"

struct m_case {
    uint32_t a, b;
    uint32_t mul, mulh, mulhsu, mulhu, div, divu, rem, remu;
};

static const struct m_case cases[] = {
    /* a, b, mul, mulh, mulhsu, mulhu, div, divu, rem, remu */
    {0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0xffffffff, 0xffffffff,
     0x00000000, 0x00000000},
    {0x00000007, 0x00000003, 0x00000015, 0x00000000, 0x00000000, 0x00000000, 0x00000002, 0x00000002,
     0x00000001, 0x00000001},
    {0xfffffff9, 0x00000003, 0xffffffeb, 0xffffffff, 0xffffffff, 0x00000002, 0xfffffffe, 0x55555553,
     0xffffffff, 0x00000000},
    {0x00000007, 0xfffffffd, 0xffffffeb, 0xffffffff, 0x00000006, 0x00000006, 0xfffffffe, 0x00000000,
     0x00000001, 0x00000007},
    {0xfffffff9, 0xfffffffd, 0x00000015, 0x00000000, 0xfffffff9, 0xfffffff6, 0x00000002, 0x00000000,
     0xffffffff, 0xfffffff9},
    {0x80000000, 0xffffffff, 0x80000000, 0x00000000, 0x80000000, 0x7fffffff, 0x80000000, 0x00000000,
     0x00000000, 0x80000000},
    {0x80000000, 0x00000001, 0x80000000, 0xffffffff, 0xffffffff, 0x00000000, 0x80000000, 0x80000000,
     0x00000000, 0x00000000},
    {0xffffffff, 0xffffffff, 0x00000001, 0x00000000, 0xffffffff, 0xfffffffe, 0x00000001, 0x00000001,
     0x00000000, 0x00000000},
    {0x7fffffff, 0x7fffffff, 0x00000001, 0x3fffffff, 0x3fffffff, 0x3fffffff, 0x00000001, 0x00000001,
     0x00000000, 0x00000000},
    {0x80000000, 0x80000000, 0x00000000, 0x40000000, 0xc0000000, 0x40000000, 0x00000001, 0x00000001,
     0x00000000, 0x00000000},
    {0x12345678, 0x9abcdef0, 0x242d2080, 0xf8cc93d6, 0x0b00ea4e, 0x0b00ea4e, 0x00000000, 0x00000000,
     0x12345678, 0x12345678},
    {0x00000005, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0xffffffff, 0xffffffff,
     0x00000005, 0x00000005},
    {0xfffffffb, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0xffffffff, 0xffffffff,
     0xfffffffb, 0xfffffffb},
    {0x00000000, 0xffffffff, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000,
     0x00000000, 0x00000000},
    {0xffffffff, 0x00000001, 0xffffffff, 0xffffffff, 0xffffffff, 0x00000000, 0xffffffff, 0xffffffff,
     0x00000000, 0x00000000},
    {0x7fffffff, 0xffffffff, 0x80000001, 0xffffffff, 0x7ffffffe, 0x7ffffffe, 0x80000001, 0x00000000,
     0x00000000, 0x7fffffff},
    {0x00000001, 0x80000000, 0x80000000, 0xffffffff, 0x00000000, 0x00000000, 0x00000000, 0x00000000,
     0x00000001, 0x00000001},
};

static void test_table(void) {
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        const struct m_case* c = &cases[i];
        unsigned failed_before = check_failed;
        CHECK_EQ(OP_RR("mul", c->a, c->b), c->mul);
        CHECK_EQ(OP_RR("mulh", c->a, c->b), c->mulh);
        CHECK_EQ(OP_RR("mulhsu", c->a, c->b), c->mulhsu);
        CHECK_EQ(OP_RR("mulhu", c->a, c->b), c->mulhu);
        CHECK_EQ(OP_RR("div", c->a, c->b), c->div);
        CHECK_EQ(OP_RR("divu", c->a, c->b), c->divu);
        CHECK_EQ(OP_RR("rem", c->a, c->b), c->rem);
        CHECK_EQ(OP_RR("remu", c->a, c->b), c->remu);
        if (check_failed != failed_before)
            printf("  in case %u: a=0x%08lx b=0x%08lx\n", i, (unsigned long)c->a, (unsigned long)c->b);
    }
}

static void test_register_aliasing(void) {
    /* rd == rs1 == rs2: the operands are read before the result is written. */
    uint32_t x = 0xfffffff9;
    __asm__ volatile(ASM_NORVC("mul %0, %0, %0") : "+r"(x));
    CHECK_EQ(x, 49);
    x = 0x80000000;
    __asm__ volatile(ASM_NORVC("mulhu %0, %0, %0") : "+r"(x));
    CHECK_EQ(x, 0x40000000);
    x = 0xfffffff9;
    __asm__ volatile(ASM_NORVC("div %0, %0, %0") : "+r"(x));
    CHECK_EQ(x, 1);
    /* Writes to x0 are discarded. */
    uint32_t zero;
    __asm__ volatile(ASM_NORVC("li t0, 7\nmul x0, t0, t0\ndiv x0, t0, x0\nmv %0, x0") : "=r"(zero) : : "t0");
    CHECK_EQ(zero, 0);
}

int main(void) {
    test_table();
    test_register_aliasing();
    test_finish("rv32m");
}
