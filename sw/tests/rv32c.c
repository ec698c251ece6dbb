/*
 * RV32C compressed instructions (unprivileged spec chapter 16), each written with its explicit c.*
 * mnemonic so the assembler must emit the 16-bit form: loads and stores (sp-relative and register),
 * immediates and their sign extension, the ALU forms, jumps with their 2-byte link, branches taken and
 * not taken, and c.ebreak trapping with mepc at the 16-bit instruction.
 */
#include <stdint.h>

#include "trainvp/check.h"
#include "trainvp/csr.h"
#include "trainvp/trap.h"

#define RVC(body) ".option push\n.option rvc\n" body "\n.option pop\n"

/* a0 = a; a1 = b; op a0, a1; result a0 */
#define C_RR(op, a, b)                                                         \
    ({                                                                         \
        uint32_t c_rd_;                                                        \
        __asm__ volatile(RVC("mv a0, %1\nmv a1, %2\n" op " a0, a1\nmv %0, a0") \
                         : "=r"(c_rd_)                                         \
                         : "r"((uint32_t)(a)), "r"((uint32_t)(b))              \
                         : "a0", "a1");                                        \
        c_rd_;                                                                 \
    })

/* a0 = a; op a0, imm; result a0 */
#define C_RI(op, a, imm)                                            \
    ({                                                              \
        uint32_t c_rd_;                                             \
        __asm__ volatile(RVC("mv a0, %1\n" op " a0, %2\nmv %0, a0") \
                         : "=r"(c_rd_)                              \
                         : "r"((uint32_t)(a)), "i"(imm)             \
                         : "a0");                                   \
        c_rd_;                                                      \
    })

/* op a0, imm; result a0 (c.li, c.lui) */
#define C_I(op, imm)                                                        \
    ({                                                                      \
        uint32_t c_rd_;                                                     \
        __asm__ volatile(RVC("li a0, 0x5a5a5a5a\n" op " a0, %1\nmv %0, a0") \
                         : "=r"(c_rd_)                                      \
                         : "i"(imm)                                         \
                         : "a0");                                           \
        c_rd_;                                                              \
    })

/* 1 if "op a0, target" branches */
#define C_BRANCH_TAKEN(op, a)                                                    \
    ({                                                                           \
        uint32_t c_taken_;                                                       \
        __asm__ volatile(RVC("mv a0, %1\nli %0, 1\n" op " a0, 1f\nli %0, 0\n1:") \
                         : "=&r"(c_taken_)                                       \
                         : "r"((uint32_t)(a))                                    \
                         : "a0");                                                \
        c_taken_;                                                                \
    })

static void test_immediates(void) {
    CHECK_EQ(C_I("c.li", 0), 0);
    CHECK_EQ(C_I("c.li", 31), 31);
    CHECK_EQ(C_I("c.li", -32), 0xffffffe0);
    CHECK_EQ(C_I("c.li", -1), 0xffffffff);
    CHECK_EQ(C_I("c.lui", 1), 0x1000);
    CHECK_EQ(C_I("c.lui", 31), 0x1f000);
    CHECK_EQ(C_I("c.lui", 0xfffe0), 0xfffe0000); /* nzimm[17] sign-extends */
    CHECK_EQ(C_I("c.lui", 0xfffff), 0xfffff000);
    CHECK_EQ(C_RI("c.addi", 10, -1), 9);
    CHECK_EQ(C_RI("c.addi", 0x7fffffff, 1), 0x80000000);
    CHECK_EQ(C_RI("c.addi", 0, -32), 0xffffffe0);
    CHECK_EQ(C_RI("c.addi", 0, 31), 31);

    uint32_t value = 42;
    __asm__ volatile(RVC("c.nop") : "+r"(value));
    CHECK_EQ(value, 42);
}

static void test_alu(void) {
    CHECK_EQ(C_RR("c.mv", 0, 0x12345678), 0x12345678);
    CHECK_EQ(C_RR("c.add", 0x7fffffff, 1), 0x80000000);
    CHECK_EQ(C_RR("c.add", 0xffffffff, 2), 1);
    CHECK_EQ(C_RR("c.sub", 5, 7), 0xfffffffe);
    CHECK_EQ(C_RR("c.sub", 0x80000000, 1), 0x7fffffff);
    CHECK_EQ(C_RR("c.and", 0xff00ff00, 0x0ff00ff0), 0x0f000f00);
    CHECK_EQ(C_RR("c.or", 0xff00ff00, 0x0ff00ff0), 0xfff0fff0);
    CHECK_EQ(C_RR("c.xor", 0xff00ff00, 0x0ff00ff0), 0xf0f0f0f0);
    CHECK_EQ(C_RI("c.andi", 0x12345678, -1), 0x12345678);
    CHECK_EQ(C_RI("c.andi", 0x12345678, -32), 0x12345660);
    CHECK_EQ(C_RI("c.andi", 0x12345678, 15), 8);
    CHECK_EQ(C_RI("c.andi", 0x12345678, 0), 0);
    CHECK_EQ(C_RI("c.slli", 1, 31), 0x80000000);
    CHECK_EQ(C_RI("c.slli", 0x12345678, 4), 0x23456780);
    CHECK_EQ(C_RI("c.slli", 0x80000001, 1), 2);
    CHECK_EQ(C_RI("c.srli", 0x80000000, 31), 1);
    CHECK_EQ(C_RI("c.srli", 0x87654321, 4), 0x08765432);
    CHECK_EQ(C_RI("c.srai", 0x80000000, 31), 0xffffffff);
    CHECK_EQ(C_RI("c.srai", 0x87654321, 4), 0xf8765432);
    CHECK_EQ(C_RI("c.srai", 0x7fffffff, 31), 0);
    CHECK_EQ(C_RI("c.srai", 0x40000000, 1), 0x20000000);
}

static void test_stack_pointer_forms(void) {
    uint32_t sp_before, sp_during, result, direct;

    /* c.addi4spn: rd' = sp + nzuimm (zero-extended, multiple of 4, up to 1020). */
    __asm__ volatile(RVC("mv %1, sp\nc.addi4spn a0, sp, 1020\nmv %0, a0")
                     : "=r"(result), "=r"(sp_before)
                     :
                     : "a0");
    CHECK_EQ(result, sp_before + 1020);
    __asm__ volatile(RVC("mv %1, sp\nc.addi4spn a1, sp, 4\nmv %0, a1")
                     : "=r"(result), "=r"(sp_before)
                     :
                     : "a1");
    CHECK_EQ(result, sp_before + 4);

    /* c.addi16sp: sp += nzimm (sign-extended multiple of 16, -512..496). */
    __asm__ volatile(RVC("mv %0, sp\nc.addi16sp sp, -512\nmv %1, sp\nc.addi16sp sp, 496\nc.addi16sp sp, 16")
                     : "=&r"(sp_before), "=&r"(sp_during));
    CHECK_EQ(sp_during, sp_before - 512);
    uint32_t sp_after;
    __asm__ volatile("mv %0, sp" : "=r"(sp_after));
    CHECK_EQ(sp_after, sp_before);

    /* c.swsp / c.lwsp at the smallest and largest offsets, cross-checked with plain lw/sw. */
    __asm__ volatile(RVC("addi sp, sp, -256\nli a0, 0x13579bdf\nc.swsp a0, 252(sp)\nlw %1, 252(sp)\n"
                         "li a1, 0x2468ace0\nsw a1, 0(sp)\nc.lwsp %0, 0(sp)\naddi sp, sp, 256")
                     : "=&r"(result), "=&r"(direct)
                     :
                     : "a0", "a1", "memory");
    CHECK_EQ(direct, 0x13579bdf);
    CHECK_EQ(result, 0x2468ace0);
    __asm__ volatile(RVC("addi sp, sp, -16\nli a0, 0xfedcba98\nc.swsp a0, 8(sp)\nc.lwsp %0, 8(sp)\n"
                         "addi sp, sp, 16")
                     : "=&r"(result)
                     :
                     : "a0", "memory");
    CHECK_EQ(result, 0xfedcba98);
}

static volatile uint32_t words[32] __attribute__((aligned(8)));

static void test_register_loads_stores(void) {
    uint32_t result;
    words[0] = 0x11111111;
    words[31] = 0x89abcdef;
    /* c.lw / c.sw: base and data in x8..x15, offsets 0..124. */
    __asm__ volatile(RVC("mv a1, %1\nc.lw a0, 124(a1)\nmv %0, a0")
                     : "=r"(result)
                     : "r"(words)
                     : "a0", "a1", "memory");
    CHECK_EQ(result, 0x89abcdef);
    __asm__ volatile(RVC("mv a1, %1\nc.lw a0, 0(a1)\nmv %0, a0")
                     : "=r"(result)
                     : "r"(words)
                     : "a0", "a1", "memory");
    CHECK_EQ(result, 0x11111111);
    __asm__ volatile(RVC("mv a2, %0\nli a3, 0x0badf00d\nc.sw a3, 4(a2)\nli a3, 0x76543210\nc.sw a3, 124(a2)")
                     :
                     : "r"(words)
                     : "a2", "a3", "memory");
    CHECK_EQ(words[1], 0x0badf00d);
    CHECK_EQ(words[31], 0x76543210);
    CHECK_EQ(words[0], 0x11111111);
    CHECK_EQ(words[2], 0);
}

static void test_jumps(void) {
    uint32_t link, expected, marker;

    /* c.j forward, skipping a marker write. */
    __asm__ volatile(RVC("li %0, 0\nc.j 1f\nli %0, 1\n1:") : "=&r"(marker));
    CHECK_EQ(marker, 0);
    /* c.j backward. */
    __asm__ volatile(RVC("li %0, 0\nj 2f\n1: addi %0, %0, 1\nj 3f\n2: c.j 1b\n3:") : "=&r"(marker));
    CHECK_EQ(marker, 1);

    /* c.jal: ra = address of the next instruction, which is only 2 bytes on. */
    __asm__ volatile(
        RVC("mv t1, ra\nlui %1, %%hi(1f)\naddi %1, %1, %%lo(1f)\nc.jal 1f\n1: mv %0, ra\nmv ra, t1")
        : "=&r"(link), "=&r"(expected)
        :
        : "t1");
    CHECK_EQ(link, expected);

    /* c.jal skipping code: link is the 16-bit instruction after it. */
    __asm__ volatile(RVC("mv t1, ra\nli %2, 0\nlui %1, %%hi(1f)\naddi %1, %1, %%lo(1f)\nc.jal 2f\n"
                         "1: c.li %2, 1\n2: mv %0, ra\nmv ra, t1")
                     : "=&r"(link), "=&r"(expected), "=&r"(marker)
                     :
                     : "t1");
    CHECK_EQ(link, expected);
    CHECK_EQ(marker, 0);

    /* c.jr: jump to rs1. */
    __asm__ volatile(RVC("li %0, 0\nlui a0, %%hi(1f)\naddi a0, a0, %%lo(1f)\nc.jr a0\nli %0, 1\n1:")
                     : "=&r"(marker)
                     :
                     : "a0");
    CHECK_EQ(marker, 0);

    /* c.jalr: ra = pc + 2, target = rs1. */
    __asm__ volatile(
        RVC("mv t1, ra\nli %2, 0\nlui a0, %%hi(2f)\naddi a0, a0, %%lo(2f)\n"
            "lui %1, %%hi(1f)\naddi %1, %1, %%lo(1f)\nc.jalr a0\n1: c.li %2, 1\n2: mv %0, ra\nmv ra, t1")
        : "=&r"(link), "=&r"(expected), "=&r"(marker)
        :
        : "a0", "t1");
    CHECK_EQ(link, expected);
    CHECK_EQ(marker, 0);

    /* c.jalr with rs1 = ra: the target is the old ra (written after the target is taken). */
    __asm__ volatile(
        RVC("mv t1, ra\nli %2, 0\nlui ra, %%hi(2f)\naddi ra, ra, %%lo(2f)\n"
            "lui %1, %%hi(1f)\naddi %1, %1, %%lo(1f)\nc.jalr ra\n1: c.li %2, 1\n2: mv %0, ra\nmv ra, t1")
        : "=&r"(link), "=&r"(expected), "=&r"(marker)
        :
        : "t1");
    CHECK_EQ(link, expected);
    CHECK_EQ(marker, 0);
}

static void test_branches(void) {
    CHECK_EQ(C_BRANCH_TAKEN("c.beqz", 0), 1);
    CHECK_EQ(C_BRANCH_TAKEN("c.beqz", 1), 0);
    CHECK_EQ(C_BRANCH_TAKEN("c.beqz", 0x80000000), 0);
    CHECK_EQ(C_BRANCH_TAKEN("c.bnez", 0), 0);
    CHECK_EQ(C_BRANCH_TAKEN("c.bnez", 1), 1);
    CHECK_EQ(C_BRANCH_TAKEN("c.bnez", 0x80000000), 1);

    /* Backward c.bnez: a count-down loop. */
    uint32_t count = 0;
    __asm__ volatile(RVC("li a0, 6\n1: addi %0, %0, 1\nc.addi a0, -1\nc.bnez a0, 1b") : "+r"(count) : : "a0");
    CHECK_EQ(count, 6);
}

static volatile uint32_t ebreak_mcause, ebreak_mepc, ebreak_insn, ebreak_count;

static void on_breakpoint(struct trap_frame* frame) {
    ebreak_mcause = frame->mcause;
    ebreak_mepc = frame->mepc;
    ebreak_insn = trap_instruction_at(frame->mepc);
    ++ebreak_count;
    trap_skip_instruction(frame);
}

static void test_ebreak(void) {
    trap_install();
    trap_set_exception_handler(CAUSE_BREAKPOINT, on_breakpoint);
    uint32_t at, after;
    __asm__ volatile(RVC("lui %0, %%hi(1f)\naddi %0, %0, %%lo(1f)\nli %1, 0\n1: c.ebreak\nc.li %1, 1")
                     : "=&r"(at), "=&r"(after)
                     :
                     : "memory");
    CHECK_EQ(ebreak_count, 1);
    CHECK_EQ(ebreak_mcause, CAUSE_BREAKPOINT);
    CHECK_EQ(ebreak_mepc, at);
    CHECK_EQ(ebreak_insn, 0x9002); /* c.ebreak, 16 bits */
    CHECK_EQ(after, 1);            /* resumed 2 bytes on, at the next instruction */
    trap_set_exception_handler(CAUSE_BREAKPOINT, 0);
}

int main(void) {
    test_immediates();
    test_alu();
    test_stack_pointer_forms();
    test_register_loads_stores();
    test_jumps();
    test_branches();
    test_ebreak();
    test_finish("rv32c");
}
