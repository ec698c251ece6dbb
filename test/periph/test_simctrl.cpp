// Simulation control: an exit write records the code and the time and stops the simulation.
#include <catch2/catch.hpp>

#include <vector>

#include "common/state_io.h"
#include "mem/tlm_test_initiator.h"
#include "periph/simctrl.h"
#include "periph/simctrl_regs.h"

using sc_core::SC_NS;
using sc_core::sc_time;
using sc_core::SC_US;
using trainvp::SimCtrl;
using trainvp::test::TestInitiator;

TEST_CASE("simctrl exit write stops the simulation and records the code", "[simctrl]") {
    TestInitiator cpu("cpu");
    SimCtrl simctrl("simctrl");
    cpu.socket.bind(simctrl.bus_in);
    uint32_t reported = 0;
    int calls = 0;
    simctrl.on_exit = [&](uint32_t code) {
        reported = code;
        ++calls;
    };
    bool ran_on = false;
    cpu.body = [&] {
        CHECK(cpu.read32(SIMCTRL_REG_ID) == SIMCTRL_ID_VALUE);
        sc_core::wait(5, SC_US);
        CHECK(cpu.write32(SIMCTRL_REG_EXIT, 0x1234, sc_time(100, SC_NS)) == tlm::TLM_OK_RESPONSE);
        CHECK(cpu.write32(SIMCTRL_REG_EXIT, 7) == tlm::TLM_OK_RESPONSE);  // a second exit changes nothing
        sc_core::wait(1, SC_US);
        ran_on = true;  // never reached: the simulation has stopped
    };
    CHECK_FALSE(simctrl.exited());
    sc_core::sc_start(sc_time(1, sc_core::SC_MS));
    CHECK(simctrl.exited());
    CHECK(simctrl.exit_code() == 0x1234);
    CHECK(simctrl.exit_time() == sc_time(5100, SC_NS));
    CHECK(sc_core::sc_time_stamp() == sc_time(5, SC_US));
    CHECK(sc_core::sc_get_status() == sc_core::SC_STOPPED);
    CHECK(reported == 0x1234);
    CHECK(calls == 1);
    CHECK_FALSE(ran_on);
}

TEST_CASE("simctrl keeps the full 32-bit exit value", "[simctrl]") {
    TestInitiator cpu("cpu");
    SimCtrl simctrl("simctrl");
    cpu.socket.bind(simctrl.bus_in);
    cpu.body = [&] { cpu.write32(SIMCTRL_REG_EXIT, 0xdeadbe01u); };
    sc_core::sc_start(sc_time(1, SC_US));
    CHECK(simctrl.exited());
    CHECK(simctrl.exit_code() == 0xdeadbe01u);
}

TEST_CASE("simctrl ID is read-only and unknown offsets fail", "[simctrl]") {
    TestInitiator cpu("cpu");
    SimCtrl simctrl("simctrl");
    cpu.socket.bind(simctrl.bus_in);
    cpu.body = [&] {
        tlm::tlm_response_status status;
        CHECK(cpu.write32(SIMCTRL_REG_ID, 0) == tlm::TLM_COMMAND_ERROR_RESPONSE);
        cpu.read32(0x100, &status);
        CHECK(status == tlm::TLM_ADDRESS_ERROR_RESPONSE);
        CHECK(cpu.write8(SIMCTRL_REG_EXIT, 1) == tlm::TLM_BURST_ERROR_RESPONSE);
        uint32_t id = 0;
        CHECK(cpu.debug(tlm::TLM_READ_COMMAND, SIMCTRL_REG_ID, &id, 4) == 4);
        CHECK(id == SIMCTRL_ID_VALUE);
        uint32_t code = 3;
        CHECK(cpu.debug(tlm::TLM_WRITE_COMMAND, SIMCTRL_REG_EXIT, &code, 4) == 0);
    };
    sc_core::sc_start(sc_time(1, SC_US));
    REQUIRE(cpu.body_finished);
    CHECK_FALSE(simctrl.exited());
}

TEST_CASE("simctrl progress writes reach on_progress and change nothing else", "[simctrl]") {
    TestInitiator cpu("cpu");
    SimCtrl simctrl("simctrl");
    cpu.socket.bind(simctrl.bus_in);
    std::vector<uint32_t> seen;
    simctrl.on_progress = [&](uint32_t value) { seen.push_back(value); };
    bool finished = false;
    cpu.body = [&] {
        CHECK(cpu.write32(SIMCTRL_REG_PROGRESS, 1) == tlm::TLM_OK_RESPONSE);
        CHECK(cpu.write32(SIMCTRL_REG_PROGRESS, 0xfffffffeu) == tlm::TLM_OK_RESPONSE);
        CHECK(cpu.read32(SIMCTRL_REG_PROGRESS) == 0);
        CHECK(cpu.write8(SIMCTRL_REG_PROGRESS, 1) == tlm::TLM_BURST_ERROR_RESPONSE);
        uint32_t value = 5;
        CHECK(cpu.debug(tlm::TLM_WRITE_COMMAND, SIMCTRL_REG_PROGRESS, &value, 4) == 0);
        sc_core::wait(1, SC_US);
        finished = true;
    };
    sc_core::sc_start(sc_time(10, SC_US));
    CHECK(finished);  // the simulation went on after the progress writes
    CHECK_FALSE(simctrl.exited());
    CHECK(seen == std::vector<uint32_t>{1, 0xfffffffeu});
}

TEST_CASE("simctrl state restored into a fresh instance keeps the exit", "[simctrl][checkpoint]") {
    TestInitiator cpu("cpu"), cpu_fresh("cpu_fresh");
    SimCtrl simctrl("simctrl"), fresh("fresh");
    cpu.socket.bind(simctrl.bus_in);
    cpu_fresh.socket.bind(fresh.bus_in);
    cpu.body = [&] {
        sc_core::wait(2, SC_US);
        CHECK(cpu.write32(SIMCTRL_REG_EXIT, 5) == tlm::TLM_OK_RESPONSE);
    };
    sc_core::sc_start(sc_time(1, sc_core::SC_MS));
    REQUIRE(simctrl.exited());
    trainvp::StateWriter w;
    simctrl.save_state(w);
    trainvp::StateReader r(w.data(), "simctrl");
    fresh.restore_state(r);
    r.expect_end();
    CHECK(fresh.exited());
    CHECK(fresh.exit_code() == 5);
    CHECK(fresh.exit_time() == simctrl.exit_time());
    trainvp::StateReader short_image(w.data().data(), 3, "simctrl");
    CHECK_THROWS_AS(fresh.restore_state(short_image), trainvp::StateError);
}
