// ISS throughput harness, hidden by default ([.bench]): run with
//   test/cpu/test_iss_speed "[.bench]" -s
// It prints MIPS and checks the computed results (never the time).
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "rv32_test_util.h"

using namespace rv32test;

namespace {
constexpr uint32_t kBase = TestBus::kRamBase;

double run_and_report(const char* what, trainvp::Rv32Core& core, uint64_t instructions) {
    // CPU time as well as wall time: the build machine is shared, so wall time undercounts.
    const auto t0 = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();
    const auto r = core.run(instructions);
    const double cpu_s = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double n = static_cast<double>(r.instructions);
    std::printf("%s: %llu instructions, wall %.3f s = %.1f MIPS, cpu %.3f s = %.1f MIPS\n", what,
                static_cast<unsigned long long>(r.instructions), s, n / s / 1e6, cpu_s, n / cpu_s / 1e6);
    return n / cpu_s / 1e6;
}
}  // namespace

TEST_CASE("ISS speed: integer loop with loads and stores through DMI", "[.bench][cpu]") {
    TestBus bus;
    trainvp::CpuConfig cfg;
    trainvp::Rv32Core core(bus, cfg);
    core.add_dmi_region(bus.dmi());
    core.reset(kBase);
    Asm a(bus, kBase);
    const uint32_t iterations = 12'500'000;  // 8 instructions per iteration: 100M
    a.li(1, iterations).li(10, kBase + 0x1000).li(5, 1).li(6, 3);
    const uint32_t loop = a.pc();
    a(add(5, 5, 6))(enc_r(0, 5, 6, 4, 6, 0x33))(enc_r(0, 3, 5, 1, 7, 0x13))(sw(7, 10, 0))(lw(8, 10, 0));
    a(add(9, 9, 8))(addi(1, 1, -1));
    a(bne(1, 0, static_cast<int32_t>(loop - a.pc())));
    const uint64_t total = 8 + uint64_t{iterations} * 8;
    run_and_report("alu+load/store loop", core, total);
    CHECK(core.reg(1) == 0);
    CHECK(core.pc() == a.pc());
    CHECK(core.stats().instret == total);
}

TEST_CASE("ISS speed: compressed ALU loop", "[.bench][cpu]") {
    TestBus bus;
    trainvp::CpuConfig cfg;
    trainvp::Rv32Core core(bus, cfg);
    core.add_dmi_region(bus.dmi());
    core.reset(kBase);
    Asm a(bus, kBase);
    const uint32_t iterations = 25'000'000;  // 4 instructions per iteration: 100M
    a.li(10, iterations);
    a.c(0x4581);  // c.li a1, 0
    a.c(0x95aa);  // c.add a1, a0       <- loop
    a.c(0x058e);  // c.slli a1, 3
    a.c(0x157d);  // c.addi a0, -1
    a.c(0xfd6d);  // c.bnez a0, -6
    run_and_report("compressed alu loop", core, 3 + uint64_t{iterations} * 4);
    CHECK(core.reg(10) == 0);
    CHECK(core.pc() == a.pc());
}
