/*
 * RV32I base integer instructions (unprivileged spec chapter 2) with their corner cases: wrap-around,
 * signed versus unsigned comparisons, shift amounts 0 and 31 (and only the low five bits of rs2),
 * sign extension of immediates and loads, link values, jalr clearing bit 0, writes to x0.
 */
#include <stdint.h>

#include "isa.h"
#include "trainvp/check.h"

static void test_add_sub(void) {
    CHECK_EQ(OP_RR("add", 1, 2), 3);
    CHECK_EQ(OP_RR("add", 0x7fffffff, 1), 0x80000000);
    CHECK_EQ(OP_RR("add", 0xffffffff, 1), 0);
    CHECK_EQ(OP_RR("add", 0x80000000, 0x80000000), 0);
    CHECK_EQ(OP_RR("sub", 5, 7), 0xfffffffe);
    CHECK_EQ(OP_RR("sub", 0x80000000, 1), 0x7fffffff);
    CHECK_EQ(OP_RR("sub", 0, 0x80000000), 0x80000000);
    CHECK_EQ(OP_RI("addi", 0, -2048), 0xfffff800);
    CHECK_EQ(OP_RI("addi", 0, 2047), 0x7ff);
    CHECK_EQ(OP_RI("addi", 0x7fffffff, 1), 0x80000000);
    CHECK_EQ(OP_RI("addi", 1, -1), 0);
    CHECK_EQ(OP_RI("addi", 0, -1), 0xffffffff);
}

static void test_compare(void) {
    CHECK_EQ(OP_RR("slt", 0xffffffff, 1), 1); /* -1 < 1 */
    CHECK_EQ(OP_RR("sltu", 0xffffffff, 1), 0);
    CHECK_EQ(OP_RR("slt", 1, 0xffffffff), 0);
    CHECK_EQ(OP_RR("sltu", 1, 0xffffffff), 1);
    CHECK_EQ(OP_RR("slt", 0x80000000, 0x7fffffff), 1);
    CHECK_EQ(OP_RR("sltu", 0x80000000, 0x7fffffff), 0);
    CHECK_EQ(OP_RR("slt", 5, 5), 0);
    CHECK_EQ(OP_RR("sltu", 5, 5), 0);
    CHECK_EQ(OP_RR("sltu", 0, 1), 1);
    CHECK_EQ(OP_RI("slti", 0xffffffff, 0), 1);
    CHECK_EQ(OP_RI("slti", 0, -1), 0);
    CHECK_EQ(OP_RI("slti", 0x80000000, -2048), 1);
    CHECK_EQ(OP_RI("slti", 0xfffff800, -2048), 0);
    /* sltiu sign-extends its immediate and then compares unsigned: -1 is 0xffffffff. */
    CHECK_EQ(OP_RI("sltiu", 0xfffffffe, -1), 1);
    CHECK_EQ(OP_RI("sltiu", 0xffffffff, -1), 0);
    CHECK_EQ(OP_RI("sltiu", 0, 1), 1); /* seqz */
    CHECK_EQ(OP_RI("sltiu", 1, 1), 0);
}

static void test_logic(void) {
    CHECK_EQ(OP_RR("and", 0xff00ff00, 0x0ff00ff0), 0x0f000f00);
    CHECK_EQ(OP_RR("or", 0xff00ff00, 0x0ff00ff0), 0xfff0fff0);
    CHECK_EQ(OP_RR("xor", 0xff00ff00, 0x0ff00ff0), 0xf0f0f0f0);
    CHECK_EQ(OP_RI("andi", 0xffffffff, -16), 0xfffffff0); /* immediate sign-extended */
    CHECK_EQ(OP_RI("andi", 0x12345678, 0x7ff), 0x678);
    CHECK_EQ(OP_RI("ori", 0x12340000, -2048), 0xfffff800);
    CHECK_EQ(OP_RI("ori", 0x12340000, 0x0f0), 0x123400f0);
    CHECK_EQ(OP_RI("xori", 0x12345678, -1), 0xedcba987); /* not */
    CHECK_EQ(OP_RI("xori", 0x12345678, 0x0ff), 0x12345687);
}

static void test_shifts(void) {
    CHECK_EQ(OP_RR("sll", 0x80000001, 0), 0x80000001);
    CHECK_EQ(OP_RR("sll", 0x00000001, 31), 0x80000000);
    CHECK_EQ(OP_RR("sll", 0x00000003, 31), 0x80000000);
    CHECK_EQ(OP_RR("sll", 0x00000001, 33), 2);         /* only rs2[4:0] counts */
    CHECK_EQ(OP_RR("sll", 0x00000001, 0xffffffe0), 1); /* shift by 32 is by 0 */
    CHECK_EQ(OP_RR("srl", 0x80000000, 0), 0x80000000);
    CHECK_EQ(OP_RR("srl", 0x80000000, 31), 1);
    CHECK_EQ(OP_RR("srl", 0xffffffff, 31), 1);
    CHECK_EQ(OP_RR("srl", 0x80000000, 36), 0x08000000);
    CHECK_EQ(OP_RR("sra", 0x80000000, 0), 0x80000000);
    CHECK_EQ(OP_RR("sra", 0x80000000, 31), 0xffffffff);
    CHECK_EQ(OP_RR("sra", 0x7fffffff, 31), 0);
    CHECK_EQ(OP_RR("sra", 0x80000000, 4), 0xf8000000);
    CHECK_EQ(OP_RR("sra", 0x80000000, 0x24), 0xf8000000);
    CHECK_EQ(OP_RI("slli", 0x80000001, 0), 0x80000001);
    CHECK_EQ(OP_RI("slli", 0x00000001, 31), 0x80000000);
    CHECK_EQ(OP_RI("slli", 0x12345678, 4), 0x23456780);
    CHECK_EQ(OP_RI("srli", 0x80000000, 0), 0x80000000);
    CHECK_EQ(OP_RI("srli", 0x80000000, 31), 1);
    CHECK_EQ(OP_RI("srli", 0x87654321, 4), 0x08765432);
    CHECK_EQ(OP_RI("srai", 0x80000000, 0), 0x80000000);
    CHECK_EQ(OP_RI("srai", 0x80000000, 31), 0xffffffff);
    CHECK_EQ(OP_RI("srai", 0x87654321, 4), 0xf8765432);
    CHECK_EQ(OP_RI("srai", 0x7fffffff, 31), 0);
}

static void test_upper_immediates(void) {
    CHECK_EQ(OP_I("lui", 0), 0);
    CHECK_EQ(OP_I("lui", 1), 0x1000);
    CHECK_EQ(OP_I("lui", 0xfffff), 0xfffff000);
    CHECK_EQ(OP_I("lui", 0x80000), 0x80000000);

    /* auipc adds to its own address: compare with the link-time address of the same instruction. */
    uint32_t pc, expected;
    __asm__ volatile(ASM_NORVC("lui %1, %%hi(1f)\naddi %1, %1, %%lo(1f)\n1: auipc %0, 0")
                     : "=r"(pc), "=&r"(expected));
    CHECK_EQ(pc, expected);
    __asm__ volatile(ASM_NORVC("lui %1, %%hi(1f)\naddi %1, %1, %%lo(1f)\n1: auipc %0, 0x12345")
                     : "=r"(pc), "=&r"(expected));
    CHECK_EQ(pc, expected + 0x12345000);
    __asm__ volatile(ASM_NORVC("lui %1, %%hi(1f)\naddi %1, %1, %%lo(1f)\n1: auipc %0, 0xfffff")
                     : "=r"(pc), "=&r"(expected));
    CHECK_EQ(pc, expected - 0x1000);
}

#define CHECK_BRANCH(op, a, b, taken) CHECK_EQ(BRANCH_TAKEN(op, a, b), taken)

static void test_branches(void) {
    CHECK_BRANCH("beq", 7, 7, 1);
    CHECK_BRANCH("beq", 7, 8, 0);
    CHECK_BRANCH("beq", 0, 0x80000000, 0);
    CHECK_BRANCH("bne", 7, 7, 0);
    CHECK_BRANCH("bne", 7, 8, 1);
    CHECK_BRANCH("bne", 0xffffffff, 0x7fffffff, 1);
    /* blt/bge signed, bltu/bgeu unsigned: -1 versus 1. */
    CHECK_BRANCH("blt", 0xffffffff, 1, 1);
    CHECK_BRANCH("blt", 1, 0xffffffff, 0);
    CHECK_BRANCH("blt", 3, 3, 0);
    CHECK_BRANCH("blt", 0x80000000, 0x7fffffff, 1);
    CHECK_BRANCH("bge", 0xffffffff, 1, 0);
    CHECK_BRANCH("bge", 1, 0xffffffff, 1);
    CHECK_BRANCH("bge", 3, 3, 1);
    CHECK_BRANCH("bge", 0x7fffffff, 0x80000000, 1);
    CHECK_BRANCH("bltu", 0xffffffff, 1, 0);
    CHECK_BRANCH("bltu", 1, 0xffffffff, 1);
    CHECK_BRANCH("bltu", 3, 3, 0);
    CHECK_BRANCH("bltu", 0x7fffffff, 0x80000000, 1);
    CHECK_BRANCH("bgeu", 0xffffffff, 1, 1);
    CHECK_BRANCH("bgeu", 1, 0xffffffff, 0);
    CHECK_BRANCH("bgeu", 3, 3, 1);
    CHECK_BRANCH("bgeu", 0x7fffffff, 0x80000000, 0);

    /* A backward branch: count a loop down to zero. */
    uint32_t count = 0, n = 5;
    __asm__ volatile(ASM_NORVC("1: addi %0, %0, 1\naddi %1, %1, -1\nbnez %1, 1b") : "+r"(count), "+r"(n));
    CHECK_EQ(count, 5);
    CHECK_EQ(n, 0);
}

static void test_jumps(void) {
    uint32_t link, expected, marker;

    /* jal: rd = address of the next instruction; forward target skips the marker write. */
    __asm__ volatile(ASM_NORVC("li %2, 0\nlui %1, %%hi(1f)\naddi %1, %1, %%lo(1f)\njal %0, 1f\nli %2, 1\n1:")
                     : "=r"(link), "=&r"(expected), "=&r"(marker));
    CHECK_EQ(link, expected - 4);
    CHECK_EQ(marker, 0);

    /* jal backward: jump forward, then back to a label before the jal. */
    __asm__ volatile(ASM_NORVC("li %1, 0\nj 2f\n1: addi %1, %1, 1\nj 3f\n2: jal %0, 1b\n3:")
                     : "=&r"(link), "=&r"(marker));
    CHECK_EQ(marker, 1);

    /* jalr: target = (rs1 + imm) & ~1, rd = pc + 4. */
    __asm__ volatile(ASM_NORVC("li %2, 0\nlui %1, %%hi(1f)\naddi %1, %1, %%lo(1f)\naddi t0, %1, 1\n"
                               "jalr %0, 0(t0)\nli %2, 1\n1:")
                     : "=&r"(link), "=&r"(expected), "=&r"(marker)
                     :
                     : "t0");
    CHECK_EQ(link, expected - 4);
    CHECK_EQ(marker, 0);

    /* jalr with an odd immediate and a negative base offset. */
    __asm__ volatile(ASM_NORVC("li %2, 0\nlui %1, %%hi(1f)\naddi %1, %1, %%lo(1f)\naddi t0, %1, -8\n"
                               "jalr %0, 9(t0)\nli %2, 1\n1:")
                     : "=&r"(link), "=&r"(expected), "=&r"(marker)
                     :
                     : "t0");
    CHECK_EQ(link, expected - 4);
    CHECK_EQ(marker, 0);

    /* jalr with rd == rs1: the target uses the old rs1, then rd receives the link. */
    __asm__ volatile(ASM_NORVC("li %2, 0\nlui %1, %%hi(1f)\naddi %1, %1, %%lo(1f)\nmv t0, %1\n"
                               "jalr t0, 0(t0)\nli %2, 1\n1: mv %0, t0")
                     : "=&r"(link), "=&r"(expected), "=&r"(marker)
                     :
                     : "t0");
    CHECK_EQ(link, expected - 4);
    CHECK_EQ(marker, 0);
}

static volatile uint8_t load_data[8]
    __attribute__((aligned(8))) = {0x80, 0x7f, 0xff, 0x01, 0x34, 0x12, 0x00, 0x80};

static void test_loads(void) {
    const volatile uint8_t* p = load_data;
    CHECK_EQ(LOAD("lb", p, 0), 0xffffff80);
    CHECK_EQ(LOAD("lbu", p, 0), 0x80);
    CHECK_EQ(LOAD("lb", p, 1), 0x7f);
    CHECK_EQ(LOAD("lb", p, 2), 0xffffffff);
    CHECK_EQ(LOAD("lbu", p, 2), 0xff);
    CHECK_EQ(LOAD("lh", p, 0), 0x7f80);
    CHECK_EQ(LOAD("lh", p, 2), 0x01ff);
    CHECK_EQ(LOAD("lh", p, 6), 0xffff8000);
    CHECK_EQ(LOAD("lhu", p, 6), 0x8000);
    CHECK_EQ(LOAD("lhu", p, 4), 0x1234);
    CHECK_EQ(LOAD("lw", p, 0), 0x01ff7f80);
    CHECK_EQ(LOAD("lw", p, 4), 0x80001234);
    /* Negative offsets from a base past the data. */
    const volatile uint8_t* end = load_data + 8;
    CHECK_EQ(LOAD("lw", end, -4), 0x80001234);
    CHECK_EQ(LOAD("lh", end, -2), 0xffff8000);
    CHECK_EQ(LOAD("lb", end, -8), 0xffffff80);
    CHECK_EQ(LOAD("lbu", end, -1), 0x80);
}

static volatile uint32_t store_data[2] __attribute__((aligned(8)));

static void test_stores(void) {
    volatile uint32_t* p = store_data;
    p[0] = 0x11223344;
    p[1] = 0x55667788;
    STORE("sb", 0xabcdefaa, p, 1); /* only the low byte is written */
    CHECK_EQ(p[0], 0x1122aa44);
    CHECK_EQ(p[1], 0x55667788);
    STORE("sh", 0xabcd9876, p, 2);
    CHECK_EQ(p[0], 0x98760044 | 0xaa00);
    STORE("sh", 0x0000beef, p, 4);
    CHECK_EQ(p[1], 0x5566beef);
    STORE("sw", 0xcafef00d, p, 4);
    CHECK_EQ(p[1], 0xcafef00d);
    CHECK_EQ(p[0], 0x9876aa44);
    volatile uint32_t* end = store_data + 2;
    STORE("sw", 0x01020304, end, -8);
    CHECK_EQ(p[0], 0x01020304);
    STORE("sb", 0xff, end, -1);
    CHECK_EQ(p[1], 0xfffef00d);
    STORE("sh", 0x7777, end, -6);
    CHECK_EQ(p[0], 0x77770304);
}

static void test_x0(void) {
    uint32_t value;
    __asm__ volatile(ASM_NORVC("addi x0, x0, 5\nmv %0, x0") : "=r"(value));
    CHECK_EQ(value, 0);
    __asm__ volatile(ASM_NORVC("lui x0, 0x12345\nadd %0, x0, x0") : "=r"(value));
    CHECK_EQ(value, 0);
    __asm__ volatile(ASM_NORVC("auipc x0, 1\nor %0, x0, x0") : "=r"(value));
    CHECK_EQ(value, 0);
    __asm__ volatile(ASM_NORVC("lw x0, 0(%1)\nmv %0, x0") : "=r"(value) : "r"(load_data) : "memory");
    CHECK_EQ(value, 0);
    __asm__ volatile(ASM_NORVC("jal x0, 1f\n1: sltu %0, x0, x0") : "=r"(value));
    CHECK_EQ(value, 0);
    /* An ALU result that would be non-zero, written to x0, then read through a dependent op. */
    __asm__ volatile(ASM_NORVC("li t0, -1\nsub x0, x0, t0\naddi %0, x0, 0") : "=r"(value) : : "t0");
    CHECK_EQ(value, 0);
}

static void test_fences(void) {
    /* fence and fence.i execute as ordering no-ops on a single in-order hart; they must not trap. */
    uint32_t value = 1;
    __asm__ volatile(ASM_NORVC("fence\nfence rw, rw\nfence.i\naddi %0, %0, 1") : "+r"(value) : : "memory");
    CHECK_EQ(value, 2);
}

int main(void) {
    test_add_sub();
    test_compare();
    test_logic();
    test_shifts();
    test_upper_immediates();
    test_branches();
    test_jumps();
    test_loads();
    test_stores();
    test_x0();
    test_fences();
    test_finish("rv32i");
}
