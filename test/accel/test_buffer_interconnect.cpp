// BufferInterconnect alone: three buffers mapped in their windows, a test initiator on `in` and another on
// the debug socket. Routing, latency plus width time, DMI translation, transport_dbg, decode misses,
// invalidation fan-out, and the mapping rules.
#include <catch2/catch.hpp>

#include <tlm_utils/simple_target_socket.h>

#include <memory>
#include <vector>

#include "accel/accel_protocol.h"
#include "accel/buffer_interconnect.h"
#include "accel/sram_buffer.h"
#include "mem/tlm_test_initiator.h"

using namespace trainvp;
using accel::BufferId;
using trainvp::test::TestInitiator;

namespace {

const sc_core::sc_time kCycle(2, sc_core::SC_NS);

// A buffer stand-in that can invalidate the DMI it granted.
struct Invalidator : sc_core::sc_module {
    tlm_utils::simple_target_socket<Invalidator> in{"in"};
    std::vector<uint8_t> mem = std::vector<uint8_t>(256);
    explicit Invalidator(sc_core::sc_module_name n) : sc_module(n) {
        in.register_b_transport(this, &Invalidator::b_transport);
        in.register_get_direct_mem_ptr(this, &Invalidator::dmi);
    }
    void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time&) {
        t.set_response_status(tlm::TLM_OK_RESPONSE);
    }
    bool dmi(tlm::tlm_generic_payload&, tlm::tlm_dmi& d) {
        d.set_dmi_ptr(mem.data());
        d.set_start_address(0);
        d.set_end_address(mem.size() - 1);
        d.allow_read_write();
        return true;
    }
};

struct Bench {
    TestInitiator unit{"unit"}, debugger{"debugger"};
    BufferInterconnect icn;
    SramBuffer weight, activation;
    Invalidator gradient{"gradient_buffer"};
    Bench()
        : icn("interconnect", InterconnectConfig{16, 3}, 500e6),
          weight("weight_buffer", SramConfig{4096, 4, 8, 1, 1}, 500e6),
          activation("activation_buffer", SramConfig{8192, 4, 8, 1, 2}, 500e6) {
        unit.socket.bind(icn.in);
        debugger.socket.bind(icn.debug_in);
        icn.map(weight.in, BufferId::weight);
        icn.map(activation.in, BufferId::activation);
        icn.map(gradient.in, BufferId::gradient);
    }
    void run(std::function<void()> body) {
        unit.body = std::move(body);
        sc_core::sc_start();
        REQUIRE(unit.body_finished);
    }
};

}  // namespace

TEST_CASE("interconnect routes each window to its buffer and adds latency plus a cycle per width",
          "[accel][interconnect]") {
    Bench b;
    b.run([&] {
        const uint32_t w = 0x11111111, a = 0x22222222;
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        REQUIRE(b.unit.write(accel::buffer_address(BufferId::weight, 64), &w, 4, delay) ==
                tlm::TLM_OK_RESPONSE);
        // interconnect: 3 + ceil(4 / 16) = 4 cycles; weight buffer: 1 + 1.
        CHECK(delay == kCycle * 6);
        delay = sc_core::SC_ZERO_TIME;
        std::vector<uint8_t> block(40, 0x22);
        REQUIRE(b.unit.write(accel::buffer_address(BufferId::activation, 64), block.data(), 40, delay) ==
                tlm::TLM_OK_RESPONSE);
        CHECK(delay == kCycle * (3 + 3 + 2 + 2));  // ceil(40/16) = 3; buffer 2 + ceil(40/32) = 2
        CHECK(b.weight.data()[64] == 0x11);
        CHECK(b.activation.data()[64] == 0x22);
        uint32_t v = 0;
        delay = sc_core::SC_ZERO_TIME;
        uint64_t after = 0;
        TestInitiator::Access acc;
        acc.address = accel::buffer_address(BufferId::activation, 64);
        acc.data = reinterpret_cast<unsigned char*>(&v);
        acc.length = 4;
        REQUIRE(b.unit.transport(acc, delay, &after) == tlm::TLM_OK_RESPONSE);
        CHECK(v == a);
        CHECK(after == acc.address);  // the initiator's address is restored
        // Beyond the three windows, and past a buffer's end inside its window.
        CHECK(b.unit.read(3 * accel::kBufferWindow, &v, 4, delay) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
        CHECK(b.unit.read(accel::buffer_address(BufferId::weight, 4096), &v, 4, delay) ==
              tlm::TLM_ADDRESS_ERROR_RESPONSE);
    });
}

TEST_CASE("interconnect DMI ranges are in interconnect addresses with its latency added",
          "[accel][interconnect][dmi]") {
    Bench b;
    b.run([&] {
        tlm::tlm_dmi dmi;
        REQUIRE(b.unit.dmi(accel::buffer_address(BufferId::activation, 100), dmi));
        CHECK(dmi.get_start_address() == accel::buffer_address(BufferId::activation));
        CHECK(dmi.get_end_address() == accel::buffer_address(BufferId::activation, 8191));
        CHECK(dmi.get_read_latency() == kCycle * (2 + 3));
        dmi.get_dmi_ptr()[100] = 0x77;
        CHECK(b.activation.data()[100] == 0x77);
        CHECK_FALSE(b.unit.dmi(5 * accel::kBufferWindow, dmi));
        CHECK(dmi.get_start_address() == 3 * accel::kBufferWindow);  // the denial names the unmapped range
        CHECK(dmi.get_end_address() == ~0ull);
        // A buffer's invalidation reaches the initiators in interconnect addresses.
        b.gradient.in->invalidate_direct_mem_ptr(0, 255);
        REQUIRE(b.unit.invalidations.size() == 1);
        CHECK(b.unit.invalidations[0].first == accel::buffer_address(BufferId::gradient));
        CHECK(b.unit.invalidations[0].second == accel::buffer_address(BufferId::gradient, 255));
    });
}

TEST_CASE("the debug socket reads and writes any buffer with transport_dbg only",
          "[accel][interconnect][debug]") {
    Bench b;
    b.run([&] {
        const uint8_t pattern[4] = {9, 8, 7, 6};
        CHECK(b.debugger.debug(tlm::TLM_WRITE_COMMAND, accel::buffer_address(BufferId::weight, 4094),
                               const_cast<uint8_t*>(pattern), 4) == 2);  // clipped at the buffer's end
        CHECK(b.weight.data()[4095] == 8);
        uint8_t out[2] = {};
        CHECK(b.debugger.debug(tlm::TLM_READ_COMMAND, accel::buffer_address(BufferId::weight, 4094), out,
                               2) == 2);
        CHECK(out[0] == 9);
        CHECK(b.debugger.debug(tlm::TLM_READ_COMMAND, 7 * accel::kBufferWindow, out, 2) == 0);
        CHECK(b.weight.counters().read_bytes == 0);  // no side effects
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        CHECK(b.debugger.read(0, out, 2, delay) == tlm::TLM_COMMAND_ERROR_RESPONSE);
    });
}

TEST_CASE("a buffer mapped twice is a wiring error", "[accel][interconnect]") {
    BufferInterconnect icn("interconnect", InterconnectConfig{}, 500e6);
    SramBuffer a("a", SramConfig{}, 500e6), c("c", SramConfig{}, 500e6);
    icn.map(a.in, BufferId::weight);
    CHECK_THROWS_AS(icn.map(c.in, BufferId::weight), std::logic_error);
}
