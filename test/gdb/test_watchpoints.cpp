// Watch ranges of the RV32 core: debugger watchpoints stop run() before the access (GDB's non-steppable
// RISC-V watchpoints), store hooks run after the store, and neither touches the DMI fast path when unset.
#include <catch2/catch.hpp>

#include "cpu/rv32_core.h"
#include "cpu/rv32_test_util.h"

using namespace rv32test;
using trainvp::StopReason;
using trainvp::WatchKind;

namespace {

constexpr uint32_t kCode = TestBus::kRamBase;
constexpr uint32_t kData = TestBus::kRamBase + 0x1000;

struct Fixture {
    TestBus bus;
    trainvp::Rv32Core core{bus, trainvp::CpuConfig{}};
    Fixture() {
        core.add_dmi_region(bus.dmi());
        core.reset(kCode);
    }
};

// x5 = kData; lw x6, 0(x5); sw x7, 4(x5); sw x7, 8(x5); then spins.
void load_store_program(TestBus& bus) {
    Asm a(bus, kCode);
    a.li(5, kData).li(7, 0x1234)(lw(6, 5, 0))(sw(7, 5, 4))(sw(7, 5, 8))(jal(0, 0));
}
constexpr uint32_t kLwPc = kCode + 16, kSw4Pc = kCode + 20, kSw8Pc = kCode + 24;

}  // namespace

TEST_CASE("a write watchpoint stops before the store, which runs when resumed", "[gdb][watch]") {
    Fixture f;
    load_store_program(f.bus);
    REQUIRE(f.core.add_watchpoint(kData + 4, 4, WatchKind::write));

    const auto r = f.core.run(100);
    REQUIRE(r.reason == StopReason::watchpoint);
    CHECK(f.core.pc() == kSw4Pc);               // the store has not executed
    CHECK(f.bus.word(kData + 4) == 0);          // nor written memory
    CHECK(f.core.reg(6) == f.bus.word(kData));  // the load before it did run
    CHECK(f.core.last_watch_hit().addr == kData + 4);
    CHECK(f.core.last_watch_hit().size == 4);
    CHECK(f.core.last_watch_hit().write);
    CHECK(f.core.last_watch_hit().watch == WatchKind::write);
    CHECK(r.instructions == 5);  // li, li (2 each) and lw: the store is not counted

    // GDB removes the watchpoint to step over the store, then resumes.
    REQUIRE(f.core.remove_watchpoint(kData + 4, 4, WatchKind::write));
    REQUIRE(f.core.step().reason == StopReason::budget);
    CHECK(f.bus.word(kData + 4) == 0x1234);
    CHECK(f.core.pc() == kSw8Pc);
}

TEST_CASE("a store overlapping part of a watched range triggers it, neighbours do not", "[gdb][watch]") {
    Fixture f;
    load_store_program(f.bus);
    REQUIRE(f.core.add_watchpoint(kData + 10, 1, WatchKind::write));  // one byte inside the word at +8
    const auto r = f.core.run(100);
    REQUIRE(r.reason == StopReason::watchpoint);
    CHECK(f.core.pc() == kSw8Pc);  // the store to +4 went by
    CHECK(f.bus.word(kData + 4) == 0x1234);
    CHECK(f.core.last_watch_hit().addr == kData + 10);
}

TEST_CASE("read and access watchpoints trigger on loads, not on the wrong kind", "[gdb][watch]") {
    Fixture f;
    load_store_program(f.bus);
    f.bus.set_word(kData, 0xcafe);
    f.core.set_reg(6, 0x55);

    SECTION("read") {
        REQUIRE(f.core.add_watchpoint(kData, 4, WatchKind::read));
        REQUIRE(f.core.run(100).reason == StopReason::watchpoint);
        CHECK(f.core.pc() == kLwPc);
        CHECK(f.core.reg(6) == 0x55);  // the load did not write its destination
        CHECK_FALSE(f.core.last_watch_hit().write);
        CHECK(f.core.last_watch_hit().watch == WatchKind::read);
    }
    SECTION("access") {
        REQUIRE(f.core.add_watchpoint(kData + 8, 4, WatchKind::access));
        REQUIRE(f.core.run(100).reason == StopReason::watchpoint);
        CHECK(f.core.pc() == kSw8Pc);
        CHECK(f.core.last_watch_hit().watch == WatchKind::access);
        CHECK(f.core.last_watch_hit().write);
    }
    SECTION("a read watchpoint ignores stores") {
        REQUIRE(f.core.add_watchpoint(kData + 4, 8, WatchKind::read));
        CHECK(f.core.run(100).reason == StopReason::budget);
        CHECK(f.bus.word(kData + 8) == 0x1234);
    }
}

TEST_CASE("AMOs and LR/SC hit watchpoints before executing", "[gdb][watch]") {
    Fixture f;
    f.bus.set_word(kData, 10);
    Asm a(f.bus, kCode);
    a.li(5, kData).li(7, 5)(amo(0x00, 6, 5, 7))  // amoadd.w x6, x7, (x5)
        (amo(0x02, 8, 5, 0))                     // lr.w x8, (x5)
        (amo(0x03, 9, 5, 7))                     // sc.w x9, x7, (x5)
        (jal(0, 0));
    const uint32_t amo_pc = kCode + 16, lr_pc = kCode + 20, sc_pc = kCode + 24;

    REQUIRE(f.core.add_watchpoint(kData, 4, WatchKind::read));
    REQUIRE(f.core.run(100).reason == StopReason::watchpoint);
    CHECK(f.core.pc() == amo_pc);
    CHECK(f.bus.word(kData) == 10);
    REQUIRE(f.core.remove_watchpoint(kData, 4, WatchKind::read));
    f.core.step();
    CHECK(f.bus.word(kData) == 15);
    CHECK(f.core.reg(6) == 10);

    REQUIRE(f.core.add_watchpoint(kData, 4, WatchKind::access));
    REQUIRE(f.core.run(100).reason == StopReason::watchpoint);
    CHECK(f.core.pc() == lr_pc);
    REQUIRE(f.core.remove_watchpoint(kData, 4, WatchKind::access));
    f.core.step();
    CHECK(f.core.reg(8) == 15);

    REQUIRE(f.core.add_watchpoint(kData, 4, WatchKind::write));
    REQUIRE(f.core.run(100).reason == StopReason::watchpoint);
    CHECK(f.core.pc() == sc_pc);
    REQUIRE(f.core.remove_watchpoint(kData, 4, WatchKind::write));
    f.core.step();
    CHECK(f.core.reg(9) == 0);  // the reservation survived the stop: SC succeeds
    CHECK(f.bus.word(kData) == 5);
}

TEST_CASE("a store hook runs after each store to its range and does not stop the core", "[gdb][watch]") {
    Fixture f;
    load_store_program(f.bus);
    struct Seen {
        uint32_t addr, size, value, memory;
    };
    std::vector<Seen> seen;
    REQUIRE(f.core.add_store_hook(kData + 4, 8, [&](uint32_t addr, unsigned size, uint32_t value) {
        seen.push_back({addr, size, value, f.bus.word(addr)});
    }));
    CHECK(f.core.run(8).reason == StopReason::budget);
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].addr == kData + 4);
    CHECK(seen[0].size == 4);
    CHECK(seen[0].value == 0x1234);
    CHECK(seen[0].memory == 0x1234);  // called after the store
    CHECK(seen[1].addr == kData + 8);
}

TEST_CASE("a store hook may stop the run", "[gdb][watch]") {
    Fixture f;
    load_store_program(f.bus);
    REQUIRE(
        f.core.add_store_hook(kData + 4, 4, [&](uint32_t, unsigned, uint32_t) { f.core.request_stop(); }));
    CHECK(f.core.run(100).reason == StopReason::stop_requested);
    CHECK(f.core.pc() == kSw8Pc);  // stopped after the store that asked
}

TEST_CASE("watched bytes leave the DMI fast path, the rest of the region keeps it", "[gdb][watch]") {
    Fixture f;
    load_store_program(f.bus);
    REQUIRE(f.core.add_watchpoint(kData + 0x100, 4, WatchKind::access));
    CHECK(f.core.run(8).reason == StopReason::budget);
    // Every access was direct: the watched range split the region, the accesses beside it stayed in DMI.
    CHECK(f.bus.bus_loads == 0);
    CHECK(f.bus.bus_stores == 0);
    CHECK(f.bus.word(kData + 8) == 0x1234);
    f.core.clear_watchpoints();
    CHECK(f.core.add_watchpoint(kData, 4, WatchKind::read));
}

TEST_CASE("watchpoints on bus-only addresses work too", "[gdb][watch]") {
    Fixture f;
    Asm a(f.bus, kCode);
    a.li(5, TestBus::kMmioBase).li(7, 0x77)(sw(7, 5, 0))(jal(0, 0));
    REQUIRE(f.core.add_watchpoint(TestBus::kMmioBase, 4, WatchKind::write));
    REQUIRE(f.core.run(100).reason == StopReason::watchpoint);
    CHECK(f.bus.mmio_stores.empty());
    f.core.clear_watchpoints();
    f.core.step();
    REQUIRE(f.bus.mmio_stores.size() == 1);
    CHECK(f.bus.mmio_stores[0].value == 0x77);
}

TEST_CASE("watch range bookkeeping: empty ranges, table limit, removal of unknown ranges", "[gdb][watch]") {
    Fixture f;
    CHECK_FALSE(f.core.add_watchpoint(kData, 0, WatchKind::write));
    CHECK_FALSE(f.core.remove_watchpoint(kData, 4, WatchKind::write));
    for (unsigned i = 0; i < trainvp::Rv32Core::kMaxWatchRanges; ++i)
        REQUIRE(f.core.add_watchpoint(kData + 8 * i, 4, WatchKind::write));
    CHECK_FALSE(f.core.add_watchpoint(kData + 0x800, 4, WatchKind::write));
    CHECK_FALSE(f.core.add_store_hook(kData + 0x800, 4, [](uint32_t, unsigned, uint32_t) {}));
    CHECK_FALSE(f.core.remove_watchpoint(kData, 4, WatchKind::read));  // same range, other kind
    CHECK(f.core.remove_watchpoint(kData, 4, WatchKind::write));

    // The table is whole again after clearing: every byte of RAM is back on the fast path.
    f.core.clear_watchpoints();
    load_store_program(f.bus);
    f.core.reset(kCode);
    CHECK(f.core.run(8).reason == StopReason::budget);
    CHECK(f.bus.bus_stores == 0);
}
