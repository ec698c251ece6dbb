// Rv32Core unit tests with a plain in-memory bus (no SystemC): arithmetic, memory, CSRs, timing.
// Traps, interrupts and atomics: test_rv32_traps.cpp.
#include <catch2/catch.hpp>

#include "common/state_io.h"
#include "rv32_test_util.h"

using namespace rv32test;
using trainvp::CpuConfig;
using trainvp::Rv32Core;
using trainvp::StopReason;

namespace {
constexpr uint32_t kBase = TestBus::kRamBase;

struct Machine {
    TestBus bus;
    CpuConfig cfg;
    Rv32Core core;
    Asm code{bus, kBase};
    explicit Machine(bool dmi, CpuConfig c = {}) : cfg(c), core(bus, cfg) {
        if (dmi) core.add_dmi_region(bus.dmi());
        core.reset(kBase);
    }
    // Runs exactly the instructions written so far (no traps expected).
    trainvp::RunResult run_all() {
        const auto r = core.run((code.pc() - kBase) / 4);
        return r;
    }
};

enum : uint32_t { kMisa = 0x301, kMscratch = 0x340, kMcycle = 0xb00, kMinstret = 0xb02, kMcycleh = 0xb80 };
enum : uint32_t { kMhartid = 0xf14, kCycle = 0xc00, kTime = 0xc01, kInstret = 0xc02, kMip = 0x344 };
}  // namespace

TEST_CASE("M extension corner cases", "[cpu][core]") {
    Machine m(GENERATE(false, true));
    m.code.li(1, 0x80000000u).li(2, 0xffffffffu).li(3, 7);
    const uint32_t M = 0x01;              // funct7 of the M extension
    m.code(enc_r(M, 0, 3, 4, 10, 0x33));  // div  x10 = 7 / 0
    m.code(enc_r(M, 0, 3, 5, 11, 0x33));  // divu x11 = 7 / 0
    m.code(enc_r(M, 0, 3, 6, 12, 0x33));  // rem  x12 = 7 % 0
    m.code(enc_r(M, 0, 3, 7, 13, 0x33));  // remu x13 = 7 % 0
    m.code(enc_r(M, 2, 1, 4, 14, 0x33));  // div  x14 = INT_MIN / -1
    m.code(enc_r(M, 2, 1, 6, 15, 0x33));  // rem  x15 = INT_MIN % -1
    m.code(enc_r(M, 2, 1, 1, 16, 0x33));  // mulh   x16 = INT_MIN * -1 >> 32
    m.code(enc_r(M, 2, 1, 3, 17, 0x33));  // mulhu  x17 = 0x80000000 * 0xffffffff >> 32
    m.code(enc_r(M, 2, 1, 2, 18, 0x33));  // mulhsu x18 = INT_MIN * 0xffffffff >> 32
    m.code(enc_r(M, 3, 1, 0, 19, 0x33));  // mul    x19 = 0x80000000 * 7
    m.code(enc_r(M, 2, 3, 4, 20, 0x33));  // div  x20 = 7 / -1
    m.code(enc_r(M, 3, 2, 6, 21, 0x33));  // rem  x21 = -1 % 7
    m.code(enc_r(M, 3, 2, 5, 22, 0x33));  // divu x22 = 0xffffffff / 7
    m.run_all();
    CHECK(m.core.reg(10) == 0xffffffffu);
    CHECK(m.core.reg(11) == 0xffffffffu);
    CHECK(m.core.reg(12) == 7);
    CHECK(m.core.reg(13) == 7);
    CHECK(m.core.reg(14) == 0x80000000u);
    CHECK(m.core.reg(15) == 0);
    CHECK(m.core.reg(16) == 0);            // 2^31 fits: high word 0
    CHECK(m.core.reg(17) == 0x7fffffffu);  // (2^31 * (2^32 - 1)) >> 32
    CHECK(m.core.reg(18) == 0x80000000u);  // -2^31 * (2^32 - 1) = -2^63 + 2^31
    CHECK(m.core.reg(19) == 0x80000000u);
    CHECK(m.core.reg(20) == static_cast<uint32_t>(-7));
    CHECK(m.core.reg(21) == static_cast<uint32_t>(-1));
    CHECK(m.core.reg(22) == 0xffffffffu / 7);
}

TEST_CASE("shifts by 31 and shift amounts use the low five bits", "[cpu][core]") {
    Machine m(true);
    m.code.li(1, 0x80000001u).li(2, 31).li(3, 33);
    m.code(enc_r(0x00, 2, 1, 1, 10, 0x33));   // sll x10 = x1 << 31
    m.code(enc_r(0x00, 2, 1, 5, 11, 0x33));   // srl x11 = x1 >> 31
    m.code(enc_r(0x20, 2, 1, 5, 12, 0x33));   // sra x12 = x1 >>a 31
    m.code(enc_r(0x00, 31, 1, 1, 13, 0x13));  // slli x13, x1, 31
    m.code(enc_r(0x00, 31, 1, 5, 14, 0x13));  // srli
    m.code(enc_r(0x20, 31, 1, 5, 15, 0x13));  // srai
    m.code(enc_r(0x00, 3, 1, 1, 16, 0x33));   // sll by 33 -> by 1
    m.code(enc_r(0x20, 3, 1, 5, 17, 0x33));   // sra by 33 -> by 1
    m.run_all();
    CHECK(m.core.reg(10) == 0x80000000u);
    CHECK(m.core.reg(11) == 1);
    CHECK(m.core.reg(12) == 0xffffffffu);
    CHECK(m.core.reg(13) == 0x80000000u);
    CHECK(m.core.reg(14) == 1);
    CHECK(m.core.reg(15) == 0xffffffffu);
    CHECK(m.core.reg(16) == 2);
    CHECK(m.core.reg(17) == 0xc0000000u);
}

TEST_CASE("writes to x0 are ignored", "[cpu][core]") {
    Machine m(GENERATE(false, true));
    m.bus.set_word(kBase + 0x800, 0x12345678);
    m.code(addi(0, 0, 5));
    m.code(lui(0, 0x12345));
    m.code.li(1, kBase + 0x800);
    m.code(lw(0, 1, 0));
    m.code(csrrs(0, kMscratch, 0));
    m.code(jal(0, 4));
    m.code(add(2, 0, 0));
    m.run_all();
    CHECK(m.core.reg(0) == 0);
    CHECK(m.core.reg(2) == 0);
    CHECK(m.core.pc() == kBase + 8 * 4);
}

TEST_CASE("loads sign- and zero-extend, stores write the right bytes", "[cpu][core]") {
    const bool dmi = GENERATE(false, true);
    Machine m(dmi);
    const uint32_t data = kBase + 0x1000;
    m.bus.set_word(data, 0x8081f2f3u);
    m.code.li(1, data);
    m.code(enc_i(0, 1, 0, 10, 0x03));  // lb  x10, 0(x1)  = 0xf3
    m.code(enc_i(0, 1, 4, 11, 0x03));  // lbu x11
    m.code(enc_i(2, 1, 1, 12, 0x03));  // lh  x12, 2(x1) = 0x8081
    m.code(enc_i(2, 1, 5, 13, 0x03));  // lhu x13
    m.code(enc_i(1, 1, 0, 14, 0x03));  // lb  x14, 1(x1) = 0xf2
    m.code.li(2, 0x11223344u);
    m.code(enc_s(4, 2, 1, 0, 0x23));  // sb x2, 4(x1)
    m.code(enc_s(6, 2, 1, 1, 0x23));  // sh x2, 6(x1)
    m.code(sw(2, 1, 8));
    m.run_all();
    CHECK(m.core.reg(10) == 0xfffffff3u);
    CHECK(m.core.reg(11) == 0xf3u);
    CHECK(m.core.reg(12) == 0xffff8081u);
    CHECK(m.core.reg(13) == 0x8081u);
    CHECK(m.core.reg(14) == 0xfffffff2u);
    CHECK(m.bus.word(data + 4) == 0x33440044u);
    CHECK(m.bus.word(data + 8) == 0x11223344u);
    if (dmi) {
        CHECK(m.bus.bus_loads == 0);
        CHECK(m.bus.bus_stores == 0);
        CHECK(m.bus.bus_fetches == 0);
    } else {
        CHECK(m.bus.bus_loads == 5);
        CHECK(m.bus.bus_stores == 3);
    }
}

TEST_CASE("MMIO outside DMI goes through the bus", "[cpu][core]") {
    Machine m(true);
    m.code.li(1, TestBus::kMmioBase).li(2, 0xcafe);
    m.code(sw(2, 1, 0x10));
    m.code(lw(3, 1, 0x20));
    m.run_all();
    REQUIRE(m.bus.mmio_stores.size() == 1);
    CHECK(m.bus.mmio_stores[0].addr == TestBus::kMmioBase + 0x10);
    CHECK(m.bus.mmio_stores[0].value == 0xcafe);
    CHECK(m.core.reg(3) == TestBus::kMmioValue);
}

TEST_CASE("compressed code runs and mixes with 32-bit code", "[cpu][core]") {
    Machine m(GENERATE(false, true));
    m.code.c(0x4529);  // c.li a0, 10
    m.code.c(0x4581);  // c.li a1, 0
    const uint32_t loop = m.code.pc();
    m.code.c(0x95aa);         // c.add a1, a0
    m.code.c(0x157d);         // c.addi a0, -1
    m.code.c(0xfd75);         // c.bnez a0, loop (-4)
    m.code(addi(12, 11, 1));  // 32-bit at a 2-byte aligned pc
    (void)loop;
    m.core.run(2 + 3 * 10 + 1);
    CHECK(m.core.reg(11) == 55);
    CHECK(m.core.reg(12) == 56);
    CHECK(m.core.pc() == kBase + 14);
}

TEST_CASE("CSR basics: misa, mhartid, read-only access, counters", "[cpu][core]") {
    CpuConfig cfg;
    cfg.hart_id = 3;
    Machine m(true, cfg);
    m.code(csrrs(1, kMisa, 0));
    m.code(csrrs(2, kMhartid, 0));
    m.code.li(3, 0x1234);
    m.code(csrrw(4, kMscratch, 3));   // x4 = old (0), mscratch = 0x1234
    m.code(csrrsi(5, kMscratch, 3));  // x5 = 0x1234, mscratch |= 3
    m.code(csrrci(6, kMscratch, 4));  // x6 = 0x1237, mscratch &= ~4
    m.code(csrrs(7, kMscratch, 0));
    m.code(csrrwi(0, kMip, 31));  // writable CSR, read-only bits: no effect, no trap
    m.code(csrrs(8, kMip, 0));
    m.run_all();
    CHECK(m.core.reg(1) == 0x40001105u);  // RV32 + A, C, I, M
    CHECK(m.core.reg(2) == 3);
    CHECK(m.core.reg(4) == 0);
    CHECK(m.core.reg(5) == 0x1234);
    CHECK(m.core.reg(6) == 0x1237);
    CHECK(m.core.reg(7) == 0x1233);
    CHECK(m.core.reg(8) == 0);
    uint32_t mcause = 1;
    REQUIRE(m.core.read_csr(0x342, mcause));
    CHECK(mcause == 0);  // no trap happened
}

TEST_CASE("mcycle and minstret count and are writable; user counters mirror them", "[cpu][core]") {
    CpuConfig cfg;
    cfg.cycles.alu = 1;
    cfg.cycles.csr = 2;
    Machine m(true, cfg);
    m.code(addi(1, 0, 1))(addi(1, 0, 1))(addi(1, 0, 1));
    m.code(csrrs(10, kMinstret, 0));  // 3 retired before it
    m.code(csrrs(11, kCycle, 0));     // 3 * 1 + 2 + 2 (its own cost is charged first)
    m.code.li(2, 1000);
    m.code(csrrw(0, kMcycle, 2));
    m.code(csrrw(0, kMinstret, 2));
    m.code(csrrs(12, kMcycle, 0));  // 1000 + csrrw minstret (2) + its own 2 cycles
    m.code(
        csrrs(13, kInstret, 0));  // 1000 + the csrrs before it; a minstret write replaces its own increment
    m.code(csrrs(14, kMcycleh, 0));
    m.code(csrrs(15, kTime, 0));
    m.run_all();
    CHECK(m.core.reg(10) == 3);
    CHECK(m.core.reg(11) == 3 + 2 + 2);
    CHECK(m.core.reg(12) == 1004);
    CHECK(m.core.reg(13) == 1001);
    CHECK(m.core.reg(14) == 0);
    CHECK(m.core.reg(15) == 1004 + 2 + 2 + 2);  // default time source: mcycle
    CHECK(m.core.stats().instret == 13);
}

TEST_CASE("instruction classes are charged their configured cycles", "[cpu][core]") {
    CpuConfig cfg;
    cfg.cycles.alu = 1;
    cfg.cycles.mul = 5;
    cfg.cycles.div = 40;
    cfg.cycles.load = 3;
    cfg.cycles.store = 2;
    cfg.cycles.branch_taken = 7;
    cfg.cycles.branch_not_taken = 2;
    cfg.cycles.jump = 4;
    Machine m(true, cfg);
    m.code.li(1, kBase + 0x1000);        // 2 alu
    m.code(enc_r(1, 1, 1, 0, 2, 0x33));  // mul: 5
    m.code(enc_r(1, 1, 1, 4, 2, 0x33));  // div: 40
    m.code(lw(3, 1, 0));                 // 3
    m.code(sw(3, 1, 0));                 // 2
    m.code(bne(0, 0, 8));                // not taken: 2
    m.code(bne(1, 0, 8));                // taken: 7 (skips one)
    m.code(addi(0, 0, 0));
    m.code(jal(0, 4));  // 4
    const auto r = m.core.run(9);
    CHECK(r.instructions == 9);
    CHECK(r.cycles == 2 + 5 + 40 + 3 + 2 + 2 + 7 + 4);
    CHECK(m.core.mcycle() == r.cycles);
}

TEST_CASE("executed instructions are counted by class for the energy model", "[cpu][core][energy]") {
    Machine m(GENERATE(false, true));
    m.code.li(1, kBase + 0x1000);        // lui, addi: 2 alu
    m.code(enc_r(1, 1, 1, 0, 2, 0x33));  // mul
    m.code(enc_r(1, 1, 1, 4, 2, 0x33));  // div
    m.code(lw(3, 1, 0));                 // load
    m.code(sw(3, 1, 0));                 // store
    m.code(bne(0, 0, 8));                // branch not taken
    m.code(bne(1, 0, 8));                // branch taken (skips one)
    m.code(addi(0, 0, 0));
    m.code(jal(0, 4));           // jump
    m.code(csrrs(4, 0x340, 0));  // csr
    m.core.run(5);               // two run() calls: the counts carry over
    m.core.run(5);
    // alu, mul, div, load, store, branch_taken, branch_not_taken, jump, csr, system, atomic
    const std::array<uint64_t, 11> want{2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
    CHECK(m.core.stats().insns_by_class == want);
    CHECK(std::string(trainvp::insn_class_name(5)) == "branch_taken");
    // Saved and restored into a fresh core, the counts go on from where they were.
    trainvp::StateWriter w;
    m.core.save_state(w);
    Machine n(true);
    trainvp::StateReader r(w.data(), "core");
    n.core.restore_state(r);
    CHECK(n.core.stats().insns_by_class == want);
}

TEST_CASE("run stops at the cycle budget", "[cpu][core]") {
    Machine m(true);
    for (int i = 0; i < 100; ++i) m.code(addi(1, 1, 1));
    const auto r = m.core.run(UINT64_MAX, 10);
    CHECK(r.reason == StopReason::budget);
    CHECK(r.cycles == 10);
    CHECK(r.instructions == 10);
    CHECK(m.core.reg(1) == 10);
}

TEST_CASE("self-modifying code takes effect (fence.i, and plain stores into cached code)", "[cpu][core]") {
    Machine m(GENERATE(false, true));
    const uint32_t target = kBase + 0x100;
    m.bus.set_word(target, addi(10, 0, 1));
    m.bus.set_word(target + 4, jal(0, -static_cast<int32_t>(target + 4 - kBase)));  // back to start
    m.code(jal(1, static_cast<int32_t>(target - kBase)));                           // at kBase: call target
    m.core.run(2);                                                                  // jal, addi
    CHECK(m.core.reg(10) == 1);
    m.core.run(1);  // jal back to kBase
    // Rewrite the cached instruction through the core, then fence.i, then run it again.
    Asm patch(m.bus, kBase + 0x200);
    patch.li(2, addi(10, 0, 2))
        .li(3, target)(sw(2, 3, 0))(kFenceI)(jal(0, -static_cast<int32_t>(0x200 + 6 * 4 - 0x100)));
    m.core.set_pc(kBase + 0x200);
    m.core.run(8);  // li (2), li (2), sw, fence.i, jal, addi
    CHECK(m.core.reg(10) == 2);
    // Without fence.i: the store check alone must drop the stale predecoded instruction.
    Asm patch2(m.bus, kBase + 0x300);
    patch2.li(2, addi(10, 0, 3))
        .li(3, target)(sw(2, 3, 0))(jal(0, -static_cast<int32_t>(0x300 + 5 * 4 - 0x100)));
    m.core.set_pc(kBase + 0x300);
    m.core.run(7);
    CHECK(m.core.reg(10) == 3);
}

TEST_CASE("decode cache aliasing: two pcs mapping to the same slot", "[cpu][core]") {
    Machine m(true);
    const uint32_t far = kBase + 2 * Rv32Core::kDecodeCacheEntries;  // same index as kBase
    REQUIRE(far + 8 <= kBase + TestBus::kRamSize);
    m.code(addi(1, 1, 1));
    m.code(jal(0, static_cast<int32_t>(far - (kBase + 4))));
    m.bus.set_word(far, addi(2, 2, 1));
    m.bus.set_word(far + 4, jal(0, -static_cast<int32_t>(far + 4 - kBase)));
    m.core.run(8);
    CHECK(m.core.reg(1) == 2);
    CHECK(m.core.reg(2) == 2);
}

TEST_CASE("DMI invalidation falls back to the bus", "[cpu][core]") {
    Machine m(true);
    m.code(addi(1, 1, 1))(jal(0, -4));
    m.core.run(10);
    CHECK(m.bus.bus_fetches == 0);
    m.core.invalidate_dmi(kBase, kBase + 15);
    CHECK(m.core.dmi_region_count() == 0);
    m.core.run(10);
    CHECK(m.bus.bus_fetches > 0);
    CHECK(m.core.reg(1) == 10);
}

TEST_CASE("config validation names the field", "[cpu][config]") {
    CpuConfig cfg;
    cfg.cycles.div = 0;
    CHECK_THROWS_WITH(cfg.validate(), Catch::Contains("cpu.cycles.div"));
    cfg = CpuConfig{};
    cfg.clock_hz = -1;
    CHECK_THROWS_WITH(cfg.validate(), Catch::Contains("cpu.clock_hz"));
    CHECK_NOTHROW(CpuConfig{}.validate());
}

// A checkpoint of the core: saved after any number of instructions (between LR and SC, around CSR writes
// and mcycle/minstret writes) and restored into a fresh core, the copy runs on to the same registers, CSRs,
// counters, statistics and memory as the original.
TEST_CASE("core state restored into a fresh core runs on identically", "[cpu][core][checkpoint]") {
    const bool dmi = GENERATE(false, true);
    const uint32_t data = kBase + 0x800;
    auto program = [&](Machine& m) {
        m.code.li(1, 20).li(5, data).li(6, kBase + 0x400);
        m.code(csrrwi(0, kMscratch, 5))(csrrw(0, 0x305, 6))(csrrw(0, kMcycle, 6));  // mtvec, mcycle
        const uint32_t loop = m.code.pc();
        m.code(amo(0x02, 7, 5, 0));    // lr.w x7, (x5)
        m.code(add(2, 2, 1));          // x2 += x1
        m.code(amo(0x03, 8, 5, 2));    // sc.w x8, x2, (x5)
        m.code(csrrs(9, kMcycle, 0));  // x9 = mcycle
        m.code(csrrs(10, kMinstret, 0));
        m.code(add(11, 11, 8));  // count failed SCs
        m.code(addi(1, 1, -1));
        m.code(bne(1, 0, static_cast<int32_t>(loop - m.code.pc())));
        m.code(csrrw(0, kMinstret, 1));
        m.code(kWfi);
    };
    const unsigned save_after = GENERATE(range(1u, 40u));
    Machine a(dmi), b(dmi);
    program(a);
    program(b);
    a.core.run(save_after);
    trainvp::StateWriter w;
    a.core.save_state(w);
    b.bus.ram = a.bus.ram;
    trainvp::StateReader r(w.data(), "core");
    b.core.restore_state(r);
    r.expect_end();

    const auto ra = a.core.run(UINT64_MAX), rb = b.core.run(UINT64_MAX);
    INFO("saved after " << save_after << " instructions, dmi " << dmi);
    CHECK(ra.reason == StopReason::wfi);
    CHECK(rb.reason == ra.reason);
    CHECK(rb.instructions == ra.instructions);
    CHECK(rb.cycles == ra.cycles);
    CHECK(b.core.pc() == a.core.pc());
    for (unsigned i = 0; i < 32; ++i) CHECK(b.core.reg(i) == a.core.reg(i));
    for (uint32_t csr : std::initializer_list<uint32_t>{0x300, 0x304, 0x305, kMscratch, 0x341, 0x342, 0x343,
                                                        kMip, kMcycle, kMinstret, kMcycleh}) {
        uint32_t va = 0, vb = 0;
        CHECK(a.core.read_csr(csr, va));
        CHECK(b.core.read_csr(csr, vb));
        CHECK(vb == va);
    }
    CHECK(b.core.stats().instret == a.core.stats().instret);
    CHECK(b.core.stats().cycles == a.core.stats().cycles);
    CHECK(b.core.reg(11) == 0);  // every SC succeeded: the reservation survived the save
    CHECK(b.bus.ram == a.bus.ram);
}

TEST_CASE("a short core state image is refused and leaves the core as it was", "[cpu][core][checkpoint]") {
    Machine a(true), b(true);
    a.code.li(3, 1234);
    a.run_all();
    trainvp::StateWriter w;
    a.core.save_state(w);
    b.core.set_reg(3, 77);
    trainvp::StateReader r(w.data().data(), w.size() - 8, "section 'cpu'");
    CHECK_THROWS_WITH(b.core.restore_state(r), Catch::Contains("section 'cpu': ends at byte"));
    CHECK(b.core.reg(3) == 77);
}

// The trap-loop detector's count is part of the state: a core saved in the middle of a trap loop and
// restored declares itself stuck at the same instruction as the original.
TEST_CASE("a core restored in a trap loop is stuck at the same point", "[cpu][core][checkpoint]") {
    Machine a(true), b(true);
    for (Machine* m : {&a, &b}) {
        m->code.li(2, 0x40000000u);                // mtvec in unmapped memory
        m->code(csrrw(0, 0x305, 2))(0xffffffffu);  // then an illegal instruction
    }
    a.core.run(300);
    trainvp::StateWriter w;
    a.core.save_state(w);
    trainvp::StateReader r(w.data(), "core");
    b.core.restore_state(r);
    const auto ra = a.core.run(UINT64_MAX), rb = b.core.run(UINT64_MAX);
    CHECK(ra.reason == StopReason::stuck);
    CHECK(rb.reason == StopReason::stuck);
    CHECK(rb.instructions == ra.instructions);
    CHECK(b.core.repeated_trap().repeats == a.core.repeated_trap().repeats);
    CHECK(b.core.stats().exceptions_by_cause[1] == a.core.stats().exceptions_by_cause[1]);
}
