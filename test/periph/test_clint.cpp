// CLINT: the timer interrupt rises exactly when mtime reaches mtimecmp, falls when mtimecmp moves ahead,
// mtime follows simulated time (including the initiator's local offset), msip drives the software interrupt.
#include <catch2/catch.hpp>

#include <vector>

#include "common/state_io.h"
#include "mem/tlm_test_initiator.h"
#include "periph/clint.h"
#include "periph/clint_regs.h"

using sc_core::SC_NS;
using sc_core::sc_time;
using sc_core::SC_US;
using trainvp::Clint;
using trainvp::ClintConfig;
using trainvp::test::TestInitiator;

namespace {

// Records the time of every change of a signal.
struct EdgeRecorder : sc_core::sc_module {
    sc_core::sc_in<bool> in{"in"};
    std::vector<std::pair<sc_time, bool>> edges;
    SC_HAS_PROCESS(EdgeRecorder);
    explicit EdgeRecorder(sc_core::sc_module_name name) : sc_module(name) {
        SC_METHOD(record);
        sensitive << in;
        dont_initialize();
    }
    void record() { edges.emplace_back(sc_core::sc_time_stamp(), in.read()); }
};

struct Bench {
    TestInitiator cpu{"cpu"};
    Clint clint;
    sc_core::sc_signal<bool> timer{"timer"}, soft{"soft"};
    EdgeRecorder timer_edges{"timer_edges"}, soft_edges{"soft_edges"};

    explicit Bench(const ClintConfig& config = {}) : clint("clint", config) {
        cpu.socket.bind(clint.bus_in);
        clint.timer_irq.bind(timer);
        clint.soft_irq.bind(soft);
        timer_edges.in.bind(timer);
        soft_edges.in.bind(soft);
    }
    void run(std::function<void()> body, const sc_time& until) {
        cpu.body = std::move(body);
        sc_core::sc_start(until);
        REQUIRE(cpu.body_finished);
    }
};

}  // namespace

TEST_CASE("clint config validation names the field", "[clint]") {
    ClintConfig c;
    REQUIRE_NOTHROW(c.validate());
    c.timebase_hz = 0;
    REQUIRE_THROWS_WITH(c.validate(), Catch::Contains("timebase_hz"));
    c.timebase_hz = 1.5;
    REQUIRE_THROWS_WITH(c.validate(), Catch::Contains("timebase_hz"));
    c = ClintConfig{};
    c.latency_ns = -2;
    REQUIRE_THROWS_WITH(c.validate(), Catch::Contains("latency_ns"));
}

TEST_CASE("clint timer interrupt rises exactly when mtime reaches mtimecmp", "[clint]") {
    Bench b;  // 10 MHz: one tick per 100 ns
    b.run(
        [&] {
            CHECK_FALSE(b.timer.read());  // mtimecmp resets to all ones
            sc_core::wait(1, SC_US);
            CHECK(b.cpu.write32(CLINT_REG_MTIMECMP_HI, 0) == tlm::TLM_OK_RESPONSE);
            CHECK(b.cpu.write32(CLINT_REG_MTIMECMP_LO, 50) == tlm::TLM_OK_RESPONSE);  // mtime 50 at 5 us
            sc_core::wait(10, SC_US);
            CHECK(b.timer.read());
            // Moving mtimecmp ahead lowers the line when the write takes effect (local time 11.3 us);
            // it rises again when mtime reaches 200 (20 us).
            CHECK(b.cpu.write32(CLINT_REG_MTIMECMP_LO, 200, sc_time(300, SC_NS)) == tlm::TLM_OK_RESPONSE);
            sc_core::wait(14, SC_US);
            CHECK(b.cpu.write32(CLINT_REG_MTIMECMP_LO, 300) == tlm::TLM_OK_RESPONSE);
            sc_core::wait(1, SC_US);
            // A compare value already reached at the write's local time fires at that time (26.7 us).
            CHECK(b.cpu.write32(CLINT_REG_MTIMECMP_LO, 100, sc_time(700, SC_NS)) == tlm::TLM_OK_RESPONSE);
        },
        sc_time(40, SC_US));
    const std::vector<std::pair<sc_time, bool>> expected = {{sc_time(5, SC_US), true},
                                                            {sc_time(11300, SC_NS), false},
                                                            {sc_time(20, SC_US), true},
                                                            {sc_time(25, SC_US), false},
                                                            {sc_time(26700, SC_NS), true}};
    CHECK(b.timer_edges.edges == expected);
}

TEST_CASE("clint computes the interrupt time exactly for a timebase that does not divide the resolution",
          "[clint]") {
    ClintConfig config;
    config.timebase_hz = 32768;
    Bench b(config);
    b.run(
        [&] {
            CHECK(b.cpu.write32(CLINT_REG_MTIMECMP_HI, 0) == tlm::TLM_OK_RESPONSE);
            CHECK(b.cpu.write32(CLINT_REG_MTIMECMP_LO, 3) == tlm::TLM_OK_RESPONSE);
        },
        sc_time(1, sc_core::SC_MS));
    // 3 ticks of 1/32768 s = 91552734.375 ps; mtime reaches 3 on the next picosecond.
    const sc_time when = sc_time::from_value(91552735);
    REQUIRE(sc_core::sc_get_time_resolution() == sc_time(1, sc_core::SC_PS));
    REQUIRE(b.timer_edges.edges.size() == 1);
    CHECK(b.timer_edges.edges[0].first == when);
    CHECK(b.clint.mtime_at(when) == 3);
    CHECK(b.clint.mtime_at(when - sc_time(1, sc_core::SC_PS)) == 2);
}

TEST_CASE("clint mtime follows simulated time and can be written", "[clint]") {
    Bench b;
    b.run(
        [&] {
            CHECK(b.cpu.read32(CLINT_REG_MTIME_LO) == 0);
            sc_core::wait(1, SC_US);
            CHECK(b.cpu.read32(CLINT_REG_MTIME_LO) == 10);
            CHECK(b.cpu.read32(CLINT_REG_MTIME_LO, nullptr, sc_time(250, SC_NS)) ==
                  12);  // local time 1.25 us
            CHECK(b.cpu.read32(CLINT_REG_MTIME_HI) == 0);
            CHECK(b.cpu.write32(CLINT_REG_MTIME_HI, 1) == tlm::TLM_OK_RESPONSE);
            CHECK(b.cpu.write32(CLINT_REG_MTIME_LO, 1000) == tlm::TLM_OK_RESPONSE);
            sc_core::wait(1, SC_US);
            uint64_t mtime = 0;
            sc_time delay;
            CHECK(b.cpu.read(CLINT_REG_MTIME_LO, &mtime, 8, delay) == tlm::TLM_OK_RESPONSE);
            CHECK(mtime == (1ull << 32) + 1010);
            uint32_t dbg[2] = {};
            CHECK(b.cpu.debug(tlm::TLM_READ_COMMAND, CLINT_REG_MTIME_LO, dbg, 8) == 8);
            CHECK(dbg[0] == 1010);
            CHECK(dbg[1] == 1);
            CHECK(b.cpu.read32(CLINT_REG_MTIMECMP_LO) == 0xffffffffu);
        },
        sc_time(10, SC_US));
}

TEST_CASE("clint msip bit 0 drives the software interrupt", "[clint]") {
    Bench b;
    b.run(
        [&] {
            CHECK(b.cpu.write32(CLINT_REG_MSIP, 1, sc_time(5, SC_NS)) == tlm::TLM_OK_RESPONSE);
            sc_core::wait(10, SC_NS);
            CHECK(b.soft.read());
            CHECK(b.cpu.read32(CLINT_REG_MSIP) == 1);
            CHECK(b.cpu.write32(CLINT_REG_MSIP, 0xfffffffe) == tlm::TLM_OK_RESPONSE);
            sc_core::wait(10, SC_NS);
            CHECK_FALSE(b.soft.read());
            CHECK(b.cpu.read32(CLINT_REG_MSIP) == 0);
        },
        sc_time(1, SC_US));
    const std::vector<std::pair<sc_time, bool>> expected = {{sc_time(5, SC_NS), true},
                                                            {sc_time(10, SC_NS), false}};
    CHECK(b.soft_edges.edges == expected);
    CHECK(b.timer_edges.edges.empty());
}

TEST_CASE("clint rejects holes and malformed accesses", "[clint]") {
    Bench b;
    b.run(
        [&] {
            tlm::tlm_response_status status;
            CHECK(b.cpu.write32(0x4, 1) == tlm::TLM_ADDRESS_ERROR_RESPONSE);  // a second hart's msip
            b.cpu.read32(0x8000, &status);
            CHECK(status == tlm::TLM_ADDRESS_ERROR_RESPONSE);
            CHECK(b.cpu.write32(CLINT_REG_MTIMECMP_LO + 2, 1) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
            CHECK(b.cpu.write8(CLINT_REG_MSIP, 1) == tlm::TLM_BURST_ERROR_RESPONSE);
            uint64_t both = 0;
            sc_time delay;
            CHECK(b.cpu.write(CLINT_REG_MSIP, &both, 8, delay) == tlm::TLM_BURST_ERROR_RESPONSE);
            CHECK(b.cpu.read32(CLINT_REG_MTIMECMP_LO) == 0xffffffffu);  // untouched
        },
        sc_time(1, SC_US));
}

// A checkpoint of the CLINT restored into a fresh instance during the simulation: it reads the same
// registers, counts mtime on from the same base, raises the timer at the same moment and drives msip.
TEST_CASE("clint state restored into a fresh instance behaves identically", "[clint][checkpoint]") {
    Bench a;
    TestInitiator cpu_b("cpu_b");
    Clint clint_b("clint_b");
    sc_core::sc_signal<bool> timer_b{"timer_b"}, soft_b{"soft_b"};
    EdgeRecorder timer_b_edges{"timer_b_edges"};
    cpu_b.socket.bind(clint_b.bus_in);
    clint_b.timer_irq.bind(timer_b);
    clint_b.soft_irq.bind(soft_b);
    timer_b_edges.in.bind(timer_b);
    a.run(
        [&] {
            sc_core::wait(2, SC_US);
            CHECK(a.cpu.write32(CLINT_REG_MTIME_LO, 1000) == tlm::TLM_OK_RESPONSE);  // mtime 1000 at 2 us
            sc_core::wait(1, SC_US);
            CHECK(a.cpu.write32(CLINT_REG_MTIMECMP_HI, 0) == tlm::TLM_OK_RESPONSE);
            CHECK(a.cpu.write32(CLINT_REG_MTIMECMP_LO, 1080) == tlm::TLM_OK_RESPONSE);  // mtime 1080 at 10 us
            CHECK(a.cpu.write32(CLINT_REG_MSIP, 1) == tlm::TLM_OK_RESPONSE);
            sc_core::wait(1, SC_US);
            trainvp::StateWriter w;
            a.clint.save_state(w);
            trainvp::StateReader r(w.data(), "clint");
            clint_b.restore_state(r);
            r.expect_end();
            sc_core::wait(1, SC_NS);
            CHECK(soft_b.read());
            CHECK_FALSE(timer_b.read());
            CHECK(cpu_b.read32(CLINT_REG_MTIMECMP_LO) == 1080);
            CHECK(cpu_b.read32(CLINT_REG_MTIME_LO) == a.cpu.read32(CLINT_REG_MTIME_LO));
            sc_core::wait(10, SC_US);
            CHECK(timer_b.read());
        },
        sc_time(50, SC_US));
    REQUIRE(a.timer_edges.edges.size() == 1);
    REQUIRE(timer_b_edges.edges.size() == 1);
    CHECK(timer_b_edges.edges[0] == a.timer_edges.edges[0]);
    CHECK(a.timer_edges.edges[0].first == sc_time(10, SC_US));
}
