/*
 * Synchronous exceptions and the machine CSRs (privileged spec v1.12, chapter 3): each trap is caught
 * by a handler that records mcause, mepc and mtval and resumes after the instruction; the test then
 * checks them against what the spec says (table 3.6 for the causes, section 3.1.16 for mtval) and that
 * the trapping instruction had no effect.
 */
#include <stdint.h>
#include <stdio.h>

#include "hw/memory_map.h"
#include "trainvp/check.h"
#include "trainvp/csr.h"
#include "trainvp/trap.h"

#define NORVC(body) ".option push\n.option norvc\n" body "\n.option pop\n"

/* Outside every region of the memory map: DRAM starts at 0x8000_0000, the peripherals end below
 * 0x1002_0000. */
#define UNMAPPED_ADDR 0x40000000u
/* A hole between the simulation-control device and the accelerator. */
#define UNMAPPED_PERIPH_ADDR (TRAINVP_SIMCTRL_BASE + TRAINVP_SIMCTRL_SIZE)

struct trap_record {
    uint32_t count, mcause, mepc, mtval, insn;
};
static volatile struct trap_record last;

static void record_trap(struct trap_frame* frame) {
    ++last.count;
    last.mcause = frame->mcause;
    last.mepc = frame->mepc;
    last.mtval = frame->mtval;
    uint32_t code = frame->mcause & MCAUSE_CODE_MASK;
    if (code == CAUSE_FETCH_ACCESS || code == CAUSE_MISALIGNED_FETCH) {
        /* Nothing to read at mepc: return to the caller of the bad jump instead. */
        last.insn = 0;
        frame->mepc = frame->x[1];
        return;
    }
    last.insn = trap_instruction_at(frame->mepc);
    trap_skip_instruction(frame);
}

static void expect_reset(void) {
    last.count = 0;
    last.mcause = last.mepc = last.mtval = last.insn = 0xdeadbeef;
}

/* Runs a single instruction (given as assembler text) at a known address with a and b in t1/t2 and
 * 0x55 preloaded into t0 so a suppressed write to t0 is visible. Returns t0 afterwards. */
#define AT_LABEL(insn, pc_out, a, b)                                                             \
    ({                                                                                           \
        uint32_t t0_out_;                                                                        \
        __asm__ volatile(NORVC("lui %1, %%hi(1f)\naddi %1, %1, %%lo(1f)\nmv t1, %2\nmv t2, %3\n" \
                               "li t0, 0x55\n1: " insn "\nmv %0, t0")                            \
                         : "=&r"(t0_out_), "=&r"(pc_out)                                         \
                         : "r"((uint32_t)(a)), "r"((uint32_t)(b))                                \
                         : "t0", "t1", "t2", "memory");                                          \
        t0_out_;                                                                                 \
    })

/* Checks one trap: exactly one, with the given cause, at the instruction's own address. */
#define CHECK_TRAP(cause, pc)           \
    do {                                \
        CHECK_EQ(last.count, 1);        \
        CHECK_EQ(last.mcause, (cause)); \
        CHECK_EQ(last.mepc, (pc));      \
    } while (0)

static void test_illegal_instructions(void) {
    static const struct {
        const char* what;
        uint32_t word;
    } words[] = {
        {"custom-0 opcode", 0x0000000b},
        {"flw (no F extension)", 0x00002007},
        {"OP with funct7 0x7f", 0xfe000033},
        {"sret (no S-mode)", 0x10200073},
    };
    uint32_t pc, t0;
    /* .word cannot take an operand from C, so each encoding gets its own asm statement. */
    for (unsigned i = 0; i < sizeof words / sizeof words[0]; ++i) {
        expect_reset();
        switch (i) {
            case 0:
                t0 = AT_LABEL(".word 0x0000000b", pc, 0, 0);
                break;
            case 1:
                t0 = AT_LABEL(".word 0x00002007", pc, 0, 0);
                break;
            case 2:
                t0 = AT_LABEL(".word 0xfe000033", pc, 0, 0);
                break;
            default:
                t0 = AT_LABEL(".word 0x10200073", pc, 0, 0);
                break;
        }
        unsigned failed_before = check_failed;
        CHECK_TRAP(CAUSE_ILLEGAL_INSTRUCTION, pc);
        CHECK_EQ(last.mtval, words[i].word); /* mtval = the instruction bits (section 3.1.16) */
        CHECK_EQ(t0, 0x55);
        if (check_failed != failed_before) printf("  in: %s\n", words[i].what);
    }

    /* 16-bit encodings: all zeros is defined illegal; c.addi16sp with 0 and c.jr x0 are reserved. */
    expect_reset();
    t0 = AT_LABEL(".half 0x0000\n.half 0x0001", pc, 0, 0); /* the 0x0001 (c.nop) keeps alignment */
    CHECK_TRAP(CAUSE_ILLEGAL_INSTRUCTION, pc);
    CHECK_EQ(last.mtval, 0);
    expect_reset();
    t0 = AT_LABEL(".half 0x6101\n.half 0x0001", pc, 0, 0);
    CHECK_TRAP(CAUSE_ILLEGAL_INSTRUCTION, pc);
    CHECK_EQ(last.mtval, 0x6101);
    expect_reset();
    t0 = AT_LABEL(".half 0x8002\n.half 0x0001", pc, 0, 0);
    CHECK_TRAP(CAUSE_ILLEGAL_INSTRUCTION, pc);
    CHECK_EQ(last.mtval, 0x8002);
    printf("traps: illegal instruction: mcause %lu, mtval 0x%08lx\n", (unsigned long)last.mcause,
           (unsigned long)last.mtval);
}

static void test_ecall_ebreak(void) {
    uint32_t pc;
    expect_reset();
    (void)AT_LABEL("ecall", pc, 0, 0);
    CHECK_TRAP(CAUSE_MACHINE_ECALL, pc);
    CHECK_EQ(last.mtval, 0);
    CHECK_EQ(last.insn, 0x00000073);

    expect_reset();
    (void)AT_LABEL("ebreak", pc, 0, 0);
    CHECK_TRAP(CAUSE_BREAKPOINT, pc);
    CHECK(last.mtval == 0 || last.mtval == pc); /* either is allowed for a breakpoint */
    CHECK_EQ(last.insn, 0x00100073);
    printf("traps: ecall mcause %lu, ebreak mcause %lu\n", (unsigned long)CAUSE_MACHINE_ECALL,
           (unsigned long)last.mcause);
}

static volatile uint32_t buffer[4] __attribute__((aligned(16)));

static void test_misaligned(void) {
    uint32_t pc, t0;
    uint32_t base = (uint32_t)(uintptr_t)buffer;
    buffer[0] = 0x11223344;
    buffer[1] = 0x55667788;

    expect_reset();
    t0 = AT_LABEL("lw t0, 1(t1)", pc, base, 0);
    CHECK_TRAP(CAUSE_MISALIGNED_LOAD, pc);
    CHECK_EQ(last.mtval, base + 1);
    CHECK_EQ(t0, 0x55);

    expect_reset();
    t0 = AT_LABEL("lh t0, 3(t1)", pc, base, 0);
    CHECK_TRAP(CAUSE_MISALIGNED_LOAD, pc);
    CHECK_EQ(last.mtval, base + 3);
    CHECK_EQ(t0, 0x55);

    expect_reset();
    t0 = AT_LABEL("lhu t0, 1(t1)", pc, base, 0);
    CHECK_TRAP(CAUSE_MISALIGNED_LOAD, pc);
    CHECK_EQ(last.mtval, base + 1);

    expect_reset();
    (void)AT_LABEL("sw t2, 2(t1)", pc, base, 0xaaaaaaaa);
    CHECK_TRAP(CAUSE_MISALIGNED_STORE, pc);
    CHECK_EQ(last.mtval, base + 2);
    CHECK_EQ(buffer[0], 0x11223344);
    CHECK_EQ(buffer[1], 0x55667788);

    expect_reset();
    (void)AT_LABEL("sh t2, 3(t1)", pc, base, 0xaaaaaaaa);
    CHECK_TRAP(CAUSE_MISALIGNED_STORE, pc);
    CHECK_EQ(last.mtval, base + 3);
    CHECK_EQ(buffer[0], 0x11223344);
    CHECK_EQ(buffer[1], 0x55667788);

    /* Byte accesses are never misaligned. */
    expect_reset();
    t0 = AT_LABEL("lbu t0, 3(t1)", pc, base, 0);
    CHECK_EQ(last.count, 0);
    CHECK_EQ(t0, 0x11);
}

static void test_access_faults(void) {
    uint32_t pc, t0;

    expect_reset();
    t0 = AT_LABEL("lw t0, 0(t1)", pc, UNMAPPED_ADDR, 0);
    CHECK_TRAP(CAUSE_LOAD_ACCESS, pc);
    CHECK_EQ(last.mtval, UNMAPPED_ADDR);
    CHECK_EQ(t0, 0x55);
    printf("traps: load access fault: mcause %lu, mtval 0x%08lx\n", (unsigned long)last.mcause,
           (unsigned long)last.mtval);

    expect_reset();
    t0 = AT_LABEL("lbu t0, 3(t1)", pc, UNMAPPED_PERIPH_ADDR, 0);
    CHECK_TRAP(CAUSE_LOAD_ACCESS, pc);
    CHECK_EQ(last.mtval, UNMAPPED_PERIPH_ADDR + 3);
    CHECK_EQ(t0, 0x55);

    /* The unmapped store of the foundation issue: a store access fault naming the address. */
    expect_reset();
    (void)AT_LABEL("sw t2, 0(t1)", pc, UNMAPPED_ADDR, 0x12345678);
    CHECK_TRAP(CAUSE_STORE_ACCESS, pc);
    CHECK_EQ(last.mtval, UNMAPPED_ADDR);
    printf("traps: store access fault: mcause %lu, mepc 0x%08lx, mtval 0x%08lx\n", (unsigned long)last.mcause,
           (unsigned long)last.mepc, (unsigned long)last.mtval);

    expect_reset();
    (void)AT_LABEL("sb t2, 1(t1)", pc, UNMAPPED_PERIPH_ADDR, 0x12);
    CHECK_TRAP(CAUSE_STORE_ACCESS, pc);
    CHECK_EQ(last.mtval, UNMAPPED_PERIPH_ADDR + 1);

    /* Instruction fetch from an unmapped address: mepc and mtval are the target (section 3.1.16). */
    expect_reset();
    uint32_t marker;
    __asm__ volatile(NORVC("mv t1, %1\nli %0, 0\njalr ra, 0(t1)\nli %0, 1")
                     : "=&r"(marker)
                     : "r"(UNMAPPED_ADDR)
                     : "ra", "t1", "memory");
    CHECK_EQ(marker, 1);
    CHECK_EQ(last.count, 1);
    CHECK_EQ(last.mcause, CAUSE_FETCH_ACCESS);
    CHECK_EQ(last.mepc, UNMAPPED_ADDR);
    CHECK_EQ(last.mtval, UNMAPPED_ADDR);
}

static void test_csr_access(void) {
    /* mscratch: read/write and the read-modify-write forms, each returning the old value. */
    csr_write(CSR_MSCRATCH, 0xdeadbeef);
    CHECK_EQ(csr_read(CSR_MSCRATCH), 0xdeadbeef);
    CHECK_EQ(csr_swap(CSR_MSCRATCH, 0x0f0f0f0f), 0xdeadbeef);
    uint32_t old;
    __asm__ volatile("csrrs %0, mscratch, %1" : "=r"(old) : "r"(0xf0000000u));
    CHECK_EQ(old, 0x0f0f0f0f);
    __asm__ volatile("csrrc %0, mscratch, %1" : "=r"(old) : "r"(0x0000000fu));
    CHECK_EQ(old, 0xff0f0f0f);
    CHECK_EQ(csr_read(CSR_MSCRATCH), 0xff0f0f00);
    __asm__ volatile("csrrwi %0, mscratch, 21" : "=r"(old));
    CHECK_EQ(old, 0xff0f0f00);
    __asm__ volatile("csrrsi %0, mscratch, 8" : "=r"(old));
    CHECK_EQ(old, 21);
    __asm__ volatile("csrrci %0, mscratch, 1" : "=r"(old));
    CHECK_EQ(old, 29);
    CHECK_EQ(csr_read(CSR_MSCRATCH), 28);

    /* misa: MXL = 1 (32-bit) and the I, M, A, C extensions. */
    uint32_t misa = csr_read(CSR_MISA);
    CHECK_EQ(misa >> MISA_MXL_SHIFT, MISA_MXL_32);
    CHECK(misa & MISA_EXT('I'));
    CHECK(misa & MISA_EXT('M'));
    CHECK(misa & MISA_EXT('A'));
    CHECK(misa & MISA_EXT('C'));
    CHECK((misa & (MISA_EXT('E') | MISA_EXT('F') | MISA_EXT('D'))) == 0);
    printf("traps: misa 0x%08lx\n", (unsigned long)misa);

    CHECK_EQ(csr_read(CSR_MHARTID), 0);
    (void)csr_read(CSR_MVENDORID);
    (void)csr_read(CSR_MARCHID);
    (void)csr_read(CSR_MIMPID);

    /* mepc[0] is always zero (IALIGN = 16 with C, section 3.1.14). */
    uint32_t saved_mepc = csr_read(CSR_MEPC);
    csr_write(CSR_MEPC, 0x80000003u);
    CHECK_EQ(csr_read(CSR_MEPC), 0x80000002u);
    csr_write(CSR_MEPC, saved_mepc);
}

static void test_csr_illegal(void) {
    uint32_t pc, t0;

    /* Writes to read-only CSRs (the top two address bits 11 mark them read-only, section 2.1). */
    expect_reset();
    t0 = AT_LABEL("csrw mvendorid, t1", pc, 1, 0);
    CHECK_TRAP(CAUSE_ILLEGAL_INSTRUCTION, pc);
    CHECK_EQ(last.mtval, last.insn);
    expect_reset();
    t0 = AT_LABEL("csrrw t0, mhartid, t1", pc, 1, 0);
    CHECK_TRAP(CAUSE_ILLEGAL_INSTRUCTION, pc);
    CHECK_EQ(last.mtval, last.insn);
    CHECK_EQ(t0, 0x55);
    /* csrrs with rs1 != x0 is a write even when the register holds 0 (unprivileged spec 9.1). */
    expect_reset();
    t0 = AT_LABEL("csrrs t0, mhartid, t1", pc, 0, 0);
    CHECK_TRAP(CAUSE_ILLEGAL_INSTRUCTION, pc);
    CHECK_EQ(t0, 0x55);
    expect_reset();
    t0 = AT_LABEL("csrrwi t0, marchid, 0", pc, 0, 0);
    CHECK_TRAP(CAUSE_ILLEGAL_INSTRUCTION, pc);
    /* Reads with rs1 = x0 or uimm = 0 do not write and are legal. */
    expect_reset();
    t0 = AT_LABEL("csrrs t0, mhartid, x0", pc, 0, 0);
    CHECK_EQ(last.count, 0);
    CHECK_EQ(t0, 0);
    expect_reset();
    t0 = AT_LABEL("csrrsi t0, mhartid, 0", pc, 0, 0);
    CHECK_EQ(last.count, 0);
    CHECK_EQ(t0, 0);

    /* Unimplemented CSRs: stvec (no S-mode) and a custom machine CSR. */
    expect_reset();
    t0 = AT_LABEL("csrr t0, 0x105", pc, 0, 0);
    CHECK_TRAP(CAUSE_ILLEGAL_INSTRUCTION, pc);
    CHECK_EQ(last.mtval, last.insn);
    CHECK_EQ(t0, 0x55);
    expect_reset();
    t0 = AT_LABEL("csrw 0x7c0, t1", pc, 5, 0);
    CHECK_TRAP(CAUSE_ILLEGAL_INSTRUCTION, pc);
    CHECK_EQ(last.mtval, last.insn);
}

static void test_counters(void) {
    uint32_t before, after;
    /* A read of minstret counts the instructions retired before the reading one (unprivileged spec
     * chapter 10, Zicntr): here the first csrr and ten nops. */
    __asm__ volatile(NORVC("csrr %0, minstret\nnop\nnop\nnop\nnop\nnop\nnop\nnop\nnop\nnop\nnop\n"
                           "csrr %1, minstret")
                     : "=&r"(before), "=r"(after));
    CHECK_EQ(after - before, 11);

    uint32_t cycles_before = csr_read(CSR_MCYCLE);
    for (volatile int i = 0; i < 100; ++i) {
    }
    uint32_t cycles_after = csr_read(CSR_MCYCLE);
    CHECK(cycles_after - cycles_before >= 100);

    uint64_t instret64 = csr_read_minstret64();
    uint64_t cycle64 = csr_read_mcycle64();
    CHECK(instret64 > 0);
    CHECK(cycle64 > 0);

    /* A CSR write to minstret takes precedence over the writing instruction's own increment, so the
     * next instruction reads the written value (privileged spec 3.1.10; Spike models it the same way). */
    __asm__ volatile(NORVC("csrw minstret, %1\ncsrr %0, minstret") : "=r"(after) : "r"(1000u));
    CHECK_EQ(after, 1000);
    /* The high half is writable on its own. */
    csr_write(CSR_MINSTRETH, 7);
    CHECK_EQ(csr_read(CSR_MINSTRETH), 7);
    csr_write(CSR_MCYCLE, 0);
    CHECK(csr_read(CSR_MCYCLE) < 1000);
    printf("traps: mcycle %lu, minstret %lu since reset\n", (unsigned long)cycle64, (unsigned long)instret64);
}

int main(void) {
    trap_install();
    for (uint32_t cause = 0; cause <= CAUSE_MACHINE_ECALL; ++cause)
        trap_set_exception_handler(cause, record_trap);

    test_illegal_instructions();
    test_ecall_ebreak();
    test_misaligned();
    test_access_faults();
    test_csr_access();
    test_csr_illegal();
    test_counters();
    test_finish("traps");
}
