// SramBuffer alone, driven by a test initiator: reads and writes with the access latency plus the banks'
// streaming time, DMI over the whole buffer, transport_dbg, counters, and TLM errors for what it refuses.
#include <catch2/catch.hpp>

#include <vector>

#include "accel/sram_buffer.h"
#include "mem/tlm_test_initiator.h"

using namespace trainvp;
using trainvp::test::TestInitiator;

namespace {

struct Bench {
    TestInitiator cpu{"cpu"};
    SramBuffer buf;
    explicit Bench(const SramConfig& c) : buf("weight_buffer", c, 500e6) { cpu.socket.bind(buf.in); }
    void run(std::function<void()> body) {
        cpu.body = std::move(body);
        sc_core::sc_start();
        REQUIRE(cpu.body_finished);
    }
};

const sc_core::sc_time kCycle(2, sc_core::SC_NS);  // 500 MHz

}  // namespace

TEST_CASE("buffer reads and writes take latency plus the banks' streaming time", "[accel][sram]") {
    SramConfig c{4096, 4, 8, 1, 3};  // 32 bytes per cycle, 3 cycles latency
    Bench b(c);
    b.run([&] {
        std::vector<uint8_t> data(100);
        for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + 1);
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        REQUIRE(b.cpu.write(1000, data.data(), 100, delay) == tlm::TLM_OK_RESPONSE);
        CHECK(delay == kCycle * (3 + 4));  // ceil(100 / 32) = 4
        std::vector<uint8_t> back(100);
        delay = sc_core::SC_ZERO_TIME;
        REQUIRE(b.cpu.read(1000, back.data(), 100, delay) == tlm::TLM_OK_RESPONSE);
        CHECK(back == data);
        CHECK(delay == kCycle * 7);
        CHECK(b.buf.counters().write_bytes == 100);
        CHECK(b.buf.counters().read_bytes == 100);
        CHECK(b.buf.counters().read_accesses == 13);  // ceil(100 / 8) bank words
        // Two ports per bank double the rate.
        CHECK(b.buf.bytes_per_cycle() == 32);
    });
}

TEST_CASE("buffer DMI covers the whole buffer, read-write, with the access latency", "[accel][sram][dmi]") {
    SramConfig c{2048, 2, 4, 2, 2};
    Bench b(c);
    b.run([&] {
        tlm::tlm_dmi dmi;
        REQUIRE(b.cpu.dmi(300, dmi, tlm::TLM_WRITE_COMMAND));
        CHECK(dmi.get_start_address() == 0);
        CHECK(dmi.get_end_address() == 2047);  // inclusive
        CHECK(dmi.is_read_write_allowed());
        CHECK(dmi.get_read_latency() == kCycle * 2);
        dmi.get_dmi_ptr()[300] = 0x5a;
        uint8_t v = 0;
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        REQUIRE(b.cpu.read(300, &v, 1, delay) == tlm::TLM_OK_RESPONSE);
        CHECK(v == 0x5a);
        CHECK(b.buf.data()[300] == 0x5a);
    });
}

TEST_CASE("buffer transport_dbg reads and writes without time or counters, clipped at the end",
          "[accel][sram][debug]") {
    Bench b(SramConfig{1024, 4, 8, 1, 1});
    b.run([&] {
        uint8_t in[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[8] = {};
        CHECK(b.cpu.debug(tlm::TLM_WRITE_COMMAND, 1020, in, 8) == 4);
        CHECK(b.cpu.debug(tlm::TLM_READ_COMMAND, 1018, out, 8) == 6);
        CHECK(out[2] == 1);
        CHECK(out[5] == 4);
        CHECK(b.cpu.debug(tlm::TLM_READ_COMMAND, 1024, out, 4) == 0);
        CHECK(b.buf.counters().read_bytes == 0);
        CHECK(b.buf.counters().write_bytes == 0);
    });
}

TEST_CASE("buffer refuses out-of-range, byte-enabled, streaming and IGNORE transactions",
          "[accel][sram][errors]") {
    Bench b(SramConfig{1024, 4, 8, 1, 1});
    b.run([&] {
        uint8_t data[16] = {};
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        CHECK(b.cpu.read(1020, data, 8, delay) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
        CHECK(b.cpu.read(4096, data, 4, delay) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
        TestInitiator::Access a;
        a.address = 0;
        a.data = data;
        a.length = 8;
        const unsigned char be[8] = {0xff, 0, 0xff, 0, 0xff, 0, 0xff, 0};
        a.byte_enables = be;
        a.byte_enable_length = 8;
        CHECK(b.cpu.transport(a, delay) == tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
        a.byte_enables = nullptr;
        a.byte_enable_length = 0;
        a.streaming_width = 4;
        CHECK(b.cpu.transport(a, delay) == tlm::TLM_BURST_ERROR_RESPONSE);
        a.streaming_width = 0;
        a.command = tlm::TLM_IGNORE_COMMAND;
        CHECK(b.cpu.transport(a, delay) == tlm::TLM_COMMAND_ERROR_RESPONSE);
        CHECK(delay == sc_core::SC_ZERO_TIME);
    });
}
