// Rv32Core traps, interrupts, WFI, atomics and extension hooks, with a plain in-memory bus.
#include <catch2/catch.hpp>
#include <vector>

#include "rv32_test_util.h"

using namespace rv32test;
using trainvp::CpuConfig;
using trainvp::IrqLine;
using trainvp::Rv32Core;
using trainvp::StopReason;

namespace {
constexpr uint32_t kBase = TestBus::kRamBase;
constexpr uint32_t kHandler = kBase + 0x800;
constexpr uint32_t kData = kBase + 0x2000;

enum : uint32_t { kMstatus = 0x300, kMie = 0x304, kMtvec = 0x305, kMscratch = 0x340, kMepc = 0x341 };
enum : uint32_t { kMcause = 0x342, kMtval = 0x343, kMip = 0x344, kMhartid = 0xf14, kCycle = 0xc00 };
constexpr uint32_t kMie_bit = 1u << 3, kMpie_bit = 1u << 7;

struct Machine {
    TestBus bus;
    CpuConfig cfg;
    Rv32Core core;
    Asm code{bus, kBase};
    explicit Machine(bool dmi = true) : core(bus, cfg) {
        if (dmi) core.add_dmi_region(bus.dmi());
        core.reset(kBase);
        REQUIRE(core.write_csr(kMtvec, kHandler));
    }
    uint32_t csr(uint32_t n) const {
        uint32_t v = 0;
        REQUIRE(core.read_csr(n, v));
        return v;
    }
    // Runs one instruction that is expected to trap; checks the trap frame.
    void expect_trap(uint32_t cause, uint32_t tval, uint32_t epc) {
        core.run(1);
        CHECK(core.pc() == kHandler);
        CHECK(csr(kMcause) == cause);
        CHECK(csr(kMtval) == tval);
        CHECK(csr(kMepc) == epc);
    }
};
}  // namespace

TEST_CASE("illegal instructions trap with mtval = the instruction bits", "[cpu][trap]") {
    Machine m;
    m.code(0xffffffffu);
    m.expect_trap(2, 0xffffffffu, kBase);
    m.core.set_pc(kBase + 4);  // the all-zero parcel: mtval 0
    m.expect_trap(2, 0, kBase + 4);
    m.bus.set_half(kBase + 8, 0x6002);  // c.flwsp: 16-bit mtval
    m.core.set_pc(kBase + 8);
    m.expect_trap(2, 0x6002, kBase + 8);
    CHECK(m.core.stats().exceptions_by_cause[2] == 3);
    CHECK(m.core.stats().instret == 0);
}

TEST_CASE("ecall, ebreak and c.ebreak", "[cpu][trap]") {
    Machine m;
    m.code(kEcall)(kEbreak).c(0x9002);
    m.expect_trap(11, 0, kBase);
    m.core.set_pc(kBase + 4);
    m.expect_trap(3, kBase + 4, kBase + 4);
    m.core.set_pc(kBase + 8);
    m.expect_trap(3, kBase + 8, kBase + 8);
}

TEST_CASE("misaligned loads and stores trap with mtval = address", "[cpu][trap]") {
    Machine m(GENERATE(false, true));
    m.code.li(1, kData + 1);
    m.code(lw(2, 1, 0));              // pc kBase + 8
    m.code(enc_i(1, 1, 1, 2, 0x03));  // lh x2, 1(x1): address kData + 2 is aligned
    m.code(enc_s(0, 2, 1, 1, 0x23));  // sh x2, 0(x1): misaligned
    m.code(enc_i(0, 1, 0, 3, 0x03));  // lb: never misaligned
    m.core.run(2);
    m.expect_trap(4, kData + 1, kBase + 8);
    m.core.set_pc(kBase + 12);
    m.core.run(1);
    CHECK(m.core.pc() == kBase + 16);
    m.expect_trap(6, kData + 1, kBase + 16);
    m.core.set_pc(kBase + 20);
    m.core.run(1);
    CHECK(m.core.pc() == kBase + 24);
}

TEST_CASE("bus errors raise access faults with mtval = address", "[cpu][trap]") {
    Machine m(GENERATE(false, true));
    const uint32_t unmapped = 0x40000000u;
    m.code.li(1, unmapped);
    m.code(lw(2, 1, 8));              // kBase + 8
    m.code(sw(2, 1, 12));             // kBase + 12
    m.code(enc_i(0, 1, 0, 0, 0x67));  // jalr x0, 0(x1): fetch fault at the target
    m.core.run(2);
    m.expect_trap(5, unmapped + 8, kBase + 8);
    m.core.set_pc(kBase + 12);
    m.expect_trap(7, unmapped + 12, kBase + 12);
    m.core.set_pc(kBase + 16);
    m.core.run(1);
    CHECK(m.core.pc() == unmapped);
    m.expect_trap(1, unmapped, unmapped);
}

TEST_CASE("a 32-bit instruction straddling the end of memory faults on its second half", "[cpu][trap]") {
    Machine m(GENERATE(false, true));
    const uint32_t last = kBase + TestBus::kRamSize - 2;
    m.bus.set_half(last, 0x0513);  // low half of addi a0, ...
    m.core.set_pc(last);
    m.expect_trap(1, last + 2, last);
}

TEST_CASE("mret restores MIE from MPIE and sets MPIE", "[cpu][trap]") {
    Machine m;
    m.code(csrrsi(0, kMstatus, 8));  // MIE = 1
    m.code(kEcall);                  // trap: MPIE = 1, MIE = 0
    Asm h(m.bus, kHandler);
    h(csrrs(10, kMstatus, 0));
    h(csrrs(11, kMepc, 0))(addi(11, 11, 4))(csrrw(0, kMepc, 11));
    h(kMret);
    m.core.run(2);
    CHECK((m.csr(kMstatus) & kMie_bit) == 0);
    CHECK((m.csr(kMstatus) & kMpie_bit) != 0);
    CHECK((m.csr(kMstatus) & (3u << 11)) == (3u << 11));  // MPP reads M
    m.core.run(5);
    CHECK((m.core.reg(10) & kMie_bit) == 0);
    CHECK(m.core.pc() == kBase + 8);
    CHECK((m.csr(kMstatus) & kMie_bit) != 0);
    CHECK((m.csr(kMstatus) & kMpie_bit) != 0);
}

TEST_CASE("CSR writes to read-only or missing CSRs are illegal", "[cpu][trap]") {
    Machine m;
    m.code(csrrs(1, kMhartid, 0));  // read: fine
    const uint32_t w1 = csrrw(0, kMhartid, 1);
    const uint32_t w2 = csrrs(0, kCycle, 1);   // rs1 != x0: writes
    const uint32_t w3 = csrrsi(2, kCycle, 0);  // uimm 0: read only, fine
    const uint32_t w4 = csrrs(3, 0x7c0, 0);    // unimplemented
    const uint32_t w5 = csrrw(3, 0x320, 1);    // mcountinhibit: omitted
    m.code(w1)(w2)(w3)(w4)(w5);
    m.core.run(1);
    CHECK(m.core.pc() == kBase + 4);
    m.expect_trap(2, w1, kBase + 4);
    m.core.set_pc(kBase + 8);
    m.expect_trap(2, w2, kBase + 8);
    m.core.set_pc(kBase + 12);
    m.core.run(1);
    CHECK(m.core.pc() == kBase + 16);
    m.expect_trap(2, w4, kBase + 16);
    m.core.set_pc(kBase + 20);
    m.expect_trap(2, w5, kBase + 20);
}

TEST_CASE("interrupts are taken only when enabled in mie and mstatus.MIE", "[cpu][irq]") {
    Machine m;
    for (int i = 0; i < 8; ++i) m.code(addi(1, 1, 1));
    m.core.set_irq_line(IrqLine::timer, true);
    m.core.run(1);
    CHECK(m.core.pc() == kBase + 4);  // mie = 0
    CHECK(m.csr(kMip) == (1u << 7));
    REQUIRE(m.core.write_csr(kMie, 1u << 7));
    m.core.run(1);
    CHECK(m.core.pc() == kBase + 8);  // mstatus.MIE = 0
    REQUIRE(m.core.write_csr(kMstatus, kMie_bit));
    m.core.run(0);  // takes the interrupt, executes nothing
    CHECK(m.core.pc() == kHandler);
    CHECK(m.csr(kMcause) == 0x80000007u);
    CHECK(m.csr(kMepc) == kBase + 8);
    CHECK(m.core.stats().interrupts_taken == 1);
    CHECK((m.csr(kMstatus) & kMie_bit) == 0);
    CHECK((m.csr(kMstatus) & kMpie_bit) != 0);
}

TEST_CASE("an interrupt enabled by a CSR instruction is taken before the next instruction", "[cpu][irq]") {
    Machine m;
    m.core.set_irq_line(IrqLine::software, true);
    m.code.li(1, 1u << 3);
    m.code(csrrw(0, kMie, 1));
    m.code(csrrsi(0, kMstatus, 8));  // kBase + 12
    m.code(addi(2, 0, 1));           // must not execute before the interrupt
    Asm(m.bus, kHandler)(addi(3, 0, 7));
    m.core.run(5);
    CHECK(m.core.reg(2) == 0);
    CHECK(m.core.reg(3) == 7);
    CHECK(m.csr(kMcause) == 0x80000003u);
    CHECK(m.csr(kMepc) == kBase + 16);
}

TEST_CASE("simultaneous interrupts: external before software before timer", "[cpu][irq]") {
    Machine m;
    m.code(addi(0, 0, 0));
    REQUIRE(m.core.write_csr(kMie, (1u << 3) | (1u << 7) | (1u << 11)));
    REQUIRE(m.core.write_csr(kMstatus, kMie_bit));
    m.core.set_irq_line(IrqLine::timer, true);
    m.core.set_irq_line(IrqLine::software, true);
    m.core.set_irq_line(IrqLine::external, true);
    m.core.run(0);
    CHECK(m.csr(kMcause) == 0x8000000bu);
    REQUIRE(m.core.write_csr(kMstatus, kMie_bit));
    m.core.set_irq_line(IrqLine::external, false);
    m.core.run(0);
    CHECK(m.csr(kMcause) == 0x80000003u);
}

TEST_CASE("vectored mtvec: interrupts to base + 4 * cause, exceptions to base", "[cpu][irq]") {
    Machine m;
    REQUIRE(m.core.write_csr(kMtvec, kHandler | 1));
    m.code(addi(0, 0, 0))(kEcall);
    REQUIRE(m.core.write_csr(kMie, 1u << 11));
    REQUIRE(m.core.write_csr(kMstatus, kMie_bit));
    m.core.set_irq_line(IrqLine::external, true);
    m.core.run(0);
    CHECK(m.core.pc() == kHandler + 4 * 11);
    m.core.set_irq_line(IrqLine::external, false);
    m.core.set_pc(kBase + 4);
    m.core.run(1);
    CHECK(m.core.pc() == kHandler);
    CHECK(m.csr(kMcause) == 11);
}

TEST_CASE("WFI sleeps until an enabled interrupt is pending", "[cpu][irq]") {
    Machine m;
    m.code(kWfi)(addi(1, 0, 1));
    REQUIRE(m.core.write_csr(kMie, 1u << 7));
    auto r = m.core.run(10);
    CHECK(r.reason == StopReason::wfi);
    CHECK(m.core.pc() == kBase + 4);
    CHECK_FALSE(m.core.wfi_wakeup_pending());
    m.core.set_irq_line(IrqLine::software, true);  // not enabled in mie: still asleep
    CHECK_FALSE(m.core.wfi_wakeup_pending());
    m.core.set_irq_line(IrqLine::timer, true);
    CHECK(m.core.wfi_wakeup_pending());
    // mstatus.MIE = 0: execution resumes after the WFI without a trap.
    r = m.core.run(1);
    CHECK(m.core.reg(1) == 1);
    // A WFI with an enabled interrupt already pending does not sleep.
    m.core.set_pc(kBase);
    r = m.core.run(2);
    CHECK(r.reason == StopReason::budget);
    CHECK(m.core.stats().wfi_sleeps == 1);
}

TEST_CASE("WFI with interrupts enabled wakes into the handler", "[cpu][irq]") {
    Machine m;
    m.code(kWfi)(addi(1, 0, 1));
    REQUIRE(m.core.write_csr(kMie, 1u << 7));
    REQUIRE(m.core.write_csr(kMstatus, kMie_bit));
    CHECK(m.core.run(10).reason == StopReason::wfi);
    m.core.set_irq_line(IrqLine::timer, true);
    m.core.run(0);
    CHECK(m.core.pc() == kHandler);
    CHECK(m.csr(kMepc) == kBase + 4);
    CHECK(m.core.reg(1) == 0);
}

TEST_CASE("LR/SC: success, failure without reservation, other address, after a trap", "[cpu][atomic]") {
    Machine m(GENERATE(false, true));
    m.bus.set_word(kData, 5);
    m.code.li(1, kData).li(2, 42).li(4, kData + 4);
    m.code(amo(0x02, 3, 1, 0));  // lr.w x3, (x1)
    m.code(amo(0x03, 5, 1, 2));  // sc.w x5, x2, (x1): succeeds
    m.code(amo(0x03, 6, 1, 2));  // sc.w x6: reservation consumed -> fails
    m.code(amo(0x02, 3, 1, 0));  // lr.w
    m.code(amo(0x03, 7, 4, 2));  // sc.w to another address fails (and clears the reservation)
    m.code(amo(0x03, 8, 1, 2));  // fails
    m.core.run(12);
    CHECK(m.core.reg(3) == 42);
    CHECK(m.core.reg(5) == 0);
    CHECK(m.core.reg(6) == 1);
    CHECK(m.core.reg(7) == 1);
    CHECK(m.core.reg(8) == 1);
    CHECK(m.bus.word(kData) == 42);
    CHECK(m.bus.word(kData + 4) == 0);
    // A trap between LR and SC clears the reservation.
    Asm p(m.bus, kBase + 0x100);
    p(amo(0x02, 3, 1, 0))(kEcall);
    Asm(m.bus, kHandler)(amo(0x03, 9, 1, 2));
    m.core.set_pc(kBase + 0x100);
    m.core.run(3);
    CHECK(m.core.reg(9) == 1);
}

TEST_CASE("AMOs return the old value and write the operation's result", "[cpu][atomic]") {
    const bool dmi = GENERATE(false, true);
    struct Case {
        uint32_t funct5;
        uint32_t mem, operand, expect;
    };
    const Case cases[] = {
        {0x01, 7, 9, 9},                    // amoswap
        {0x00, 7, 9, 16},                   // amoadd
        {0x04, 0xf0, 0xff, 0x0f},           // amoxor
        {0x0c, 0xf0, 0x3c, 0x30},           // amoand
        {0x08, 0xf0, 0x0f, 0xff},           // amoor
        {0x10, 0xfffffffe, 3, 0xfffffffe},  // amomin (signed)
        {0x14, 0xfffffffe, 3, 3},           // amomax
        {0x18, 0xfffffffe, 3, 3},           // amominu
        {0x1c, 0xfffffffe, 3, 0xfffffffe},  // amomaxu
    };
    for (const Case& c : cases) {
        Machine m(dmi);
        m.bus.set_word(kData, c.mem);
        m.code.li(1, kData).li(2, c.operand);
        m.code(amo(c.funct5, 3, 1, 2));
        m.core.run(5);
        INFO("funct5 " << c.funct5);
        CHECK(m.core.reg(3) == c.mem);
        CHECK(m.bus.word(kData) == c.expect);
    }
}

TEST_CASE("atomics: misaligned and faulting addresses", "[cpu][atomic]") {
    Machine m;
    m.code.li(1, kData + 2).li(4, 0x40000000u);
    m.code(amo(0x00, 3, 1, 0));  // amoadd misaligned: store/AMO misaligned
    m.code(amo(0x02, 3, 1, 0));  // lr.w misaligned: load misaligned
    m.code(amo(0x00, 3, 4, 0));  // amoadd to an unmapped address: store/AMO access fault
    m.core.run(4);
    m.expect_trap(6, kData + 2, kBase + 16);
    m.core.set_pc(kBase + 20);
    m.expect_trap(4, kData + 2, kBase + 20);
    m.core.set_pc(kBase + 24);
    m.expect_trap(7, 0x40000000u, kBase + 24);
}

TEST_CASE("ebreak hook, trace hook, breakpoints and stop requests", "[cpu][hooks]") {
    Machine m;
    m.code(addi(1, 0, 1))(kEbreak)(addi(2, 0, 2))(addi(3, 0, 3))(addi(4, 0, 4));
    int ebreaks = 0;
    m.core.set_ebreak_hook([&](Rv32Core& c) {
        ++ebreaks;
        c.set_reg(10, 99);
        return true;
    });
    std::vector<uint32_t> traced;
    m.core.set_trace_hook([&](const Rv32Core&, uint32_t pc, uint32_t bits) {
        traced.push_back(pc);
        if (pc == kBase) CHECK(bits == addi(1, 0, 1));
    });
    m.core.add_breakpoint(kBase + 12);
    auto r = m.core.run(100);
    CHECK(r.reason == StopReason::breakpoint);
    CHECK(m.core.pc() == kBase + 12);
    CHECK(ebreaks == 1);
    CHECK(m.core.reg(10) == 99);
    CHECK(m.core.reg(3) == 0);
    CHECK(traced == std::vector<uint32_t>{kBase, kBase + 4, kBase + 8});
    // Resuming from the breakpoint executes it.
    m.core.set_trace_hook(nullptr);
    m.core.set_ebreak_hook([&](Rv32Core& c) {
        c.request_stop();
        return true;
    });
    r = m.core.step();
    CHECK(m.core.reg(3) == 3);
    m.core.clear_breakpoints();
    m.core.set_pc(kBase + 4);
    r = m.core.run(100);
    CHECK(r.reason == StopReason::stop_requested);
    CHECK(m.core.pc() == kBase + 8);
    CHECK(r.instructions == 1);
}

TEST_CASE("ecall hook handles environment calls", "[cpu][hooks]") {
    Machine m;
    m.code(kEcall)(addi(1, 0, 1));
    m.core.set_ecall_hook([](Rv32Core& c) {
        c.set_reg(10, c.reg(17) + 1);
        return true;
    });
    m.core.set_reg(17, 41);
    m.core.run(2);
    CHECK(m.core.reg(10) == 42);
    CHECK(m.core.reg(1) == 1);
    CHECK(m.core.stats().exceptions_by_cause[11] == 0);
}

// --- no-progress detection (Rv32Core::kStuckTrapRepeats) ---

TEST_CASE("a trap vector in unmapped memory stops the core as stuck", "[cpu][stuck]") {
    constexpr uint64_t kRepeats = Rv32Core::kStuckTrapRepeats;
    constexpr uint32_t kUnmapped = 0x40000000u;
    Machine m(GENERATE(false, true));
    REQUIRE(m.core.write_csr(kMtvec, kUnmapped));
    m.code(0xffffffffu);  // illegal: traps to the unmapped vector, whose fetch faults to the same vector
    auto r = m.core.run(100 * kRepeats);
    CHECK(r.reason == StopReason::stuck);
    CHECK(r.instructions == kRepeats + 1);
    const trainvp::RepeatedTrap& t = m.core.repeated_trap();
    CHECK(t.cause == 1);
    CHECK(t.epc == kUnmapped);
    CHECK(t.tval == kUnmapped);
    CHECK(t.repeats == kRepeats);
    CHECK(m.core.stats().exceptions_by_cause[1] == kRepeats);
    CHECK(m.core.stats().exceptions_by_cause[2] == 1);
    CHECK(m.core.pc() == kUnmapped);
    // Running it again stops again at the next identical trap.
    r = m.core.run(100 * kRepeats);
    CHECK(r.reason == StopReason::stuck);
    CHECK(r.instructions == 1);
}

TEST_CASE("the count of a stuck trap carries across run() calls", "[cpu][stuck]") {
    // The runner and a single-stepping debugger call run() with small budgets.
    Machine m;
    m.bus.set_word(kHandler, 0);  // the trap vector holds an illegal instruction: it traps to itself
    m.code(0xffffffffu);
    uint64_t calls = 0;
    StopReason reason = StopReason::budget;
    while (reason == StopReason::budget && calls < 10 * Rv32Core::kStuckTrapRepeats) {
        reason = m.core.run(1).reason;
        ++calls;
    }
    CHECK(reason == StopReason::stuck);
    CHECK(calls == Rv32Core::kStuckTrapRepeats + 1);  // the first trap at kBase, then the vector's repeats
    CHECK(m.core.repeated_trap().cause == 2);
    CHECK(m.core.repeated_trap().epc == kHandler);
    CHECK(m.core.repeated_trap().tval == 0);
}

TEST_CASE("a handler that retires instructions and re-executes the faulting one is not stuck",
          "[cpu][stuck]") {
    constexpr uint64_t kRounds = 3 * Rv32Core::kStuckTrapRepeats;
    Machine m;
    m.bus.set_word(kData, 0x1234);
    // kBase: lw x1, 0(x2) faults while x2 is unmapped; the handler counts in x3 and returns to the same load,
    // until, after kRounds faults, it points x2 at RAM: a fix-and-retry handler that takes a while.
    m.code.li(2, 0x40000000u);
    const uint32_t load_pc = m.code.pc();
    m.code(lw(1, 2, 0))(jal(0, 0));
    Asm h(m.bus, kHandler);
    h(addi(3, 3, 1))(bne(3, 4, 12)).li(2, kData)(kMret);
    m.core.set_reg(4, static_cast<uint32_t>(kRounds));
    const auto r = m.core.run(20 * kRounds);
    CHECK(r.reason == StopReason::budget);
    CHECK(m.core.reg(3) == kRounds);
    CHECK(m.core.reg(1) == 0x1234);
    CHECK(m.core.pc() == load_pc + 4);
    CHECK(m.core.stats().exceptions_by_cause[5] == kRounds);
    CHECK(m.csr(kMepc) == load_pc);
}

TEST_CASE("interrupts at a WFI loop never count as a stuck trap", "[cpu][stuck]") {
    // The timer line stays high and the handler returns at once: an interrupt at the same pc, over and over.
    Machine m;
    m.code(kWfi)(jal(0, -4));
    Asm h(m.bus, kHandler);
    h(kMret);
    REQUIRE(m.core.write_csr(kMie, 1u << 7));
    REQUIRE(m.core.write_csr(kMstatus, kMie_bit));
    m.core.set_irq_line(IrqLine::timer, true);
    const auto r = m.core.run(10 * Rv32Core::kStuckTrapRepeats);
    CHECK(r.reason == StopReason::budget);
    CHECK(m.core.stats().interrupts_taken >= 3 * Rv32Core::kStuckTrapRepeats);
}

TEST_CASE("the same fault at different addresses or pcs is not stuck", "[cpu][stuck]") {
    // A loop storing to successive unmapped addresses, the handler skipping the store: faults without end,
    // but each one differs (mtval), and instructions retire in between anyway.
    Machine m;
    m.code.li(2, 0x40000000u);
    const uint32_t loop = m.code.pc();
    m.code(sw(0, 2, 0))(addi(2, 2, 4))(jal(0, -8));
    Asm h(m.bus, kHandler);
    h(csrrs(5, kMepc, 0))(addi(5, 5, 4))(csrrw(0, kMepc, 5))(kMret);
    const auto r = m.core.run(20 * Rv32Core::kStuckTrapRepeats);
    CHECK(r.reason == StopReason::budget);
    CHECK(m.core.stats().exceptions_by_cause[7] > 2 * Rv32Core::kStuckTrapRepeats);
    CHECK(m.core.repeated_trap().repeats == 1);
    CHECK(m.core.repeated_trap().epc == loop);
}
