// SramBuffer alone, driven by a test initiator: reads and writes with the access latency plus the banks'
// streaming time, DMI over the whole buffer, transport_dbg, counters, and TLM errors for what it refuses.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "accel/sram_buffer.h"
#include "common/state_io.h"
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

// Checkpoints: a buffer restored into a fresh one of the same geometry holds the same bytes and counters and
// serves the same accesses in the same time; one of another size refuses the image and keeps its contents.
TEST_CASE("buffer state restored into a fresh buffer behaves identically", "[accel][sram][checkpoint]") {
    const SramConfig c{2048, 4, 8, 1, 2};
    TestInitiator cpu_a{"cpu_a"}, cpu_b{"cpu_b"}, cpu_small{"cpu_small"};
    SramBuffer a("a", c, 500e6), b("b", c, 500e6), small("small", SramConfig{1024, 4, 8, 1, 2}, 500e6);
    cpu_a.socket.bind(a.in);
    cpu_b.socket.bind(b.in);
    cpu_small.socket.bind(small.in);
    cpu_a.body = [&] {
        std::vector<uint8_t> data(300);
        for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 11 + 3);
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        REQUIRE(cpu_a.write(100, data.data(), data.size(), delay) == tlm::TLM_OK_RESPONSE);
        REQUIRE(cpu_a.read(0, data.data(), 64, delay) == tlm::TLM_OK_RESPONSE);
        tlm::tlm_dmi dmi;  // a write the counters do not see
        REQUIRE(cpu_a.dmi(0, dmi, tlm::TLM_WRITE_COMMAND));
        dmi.get_dmi_ptr()[2047] = 0xee;

        StateWriter image;
        a.save_state(image);
        StateReader r(image.data(), "buffer a");
        b.restore_state(r);
        r.expect_end();
        CHECK(std::equal(a.data(), a.data() + 2048, b.data()));
        CHECK(b.data()[2047] == 0xee);
        CHECK(b.counters().write_bytes == 300);
        CHECK(b.counters().read_bytes == 64);
        CHECK(b.counters().read_accesses == a.counters().read_accesses);
        CHECK(b.counters().write_accesses == a.counters().write_accesses);

        // The same access on both: same data, same time, same counters after.
        std::vector<uint8_t> from_a(200), from_b(200);
        sc_core::sc_time da = sc_core::SC_ZERO_TIME, db = sc_core::SC_ZERO_TIME;
        REQUIRE(cpu_a.read(150, from_a.data(), 200, da) == tlm::TLM_OK_RESPONSE);
        REQUIRE(cpu_b.read(150, from_b.data(), 200, db) == tlm::TLM_OK_RESPONSE);
        CHECK(from_b == from_a);
        CHECK(db == da);
        CHECK(b.counters().read_bytes == a.counters().read_bytes);

        // Another size: refused with both sizes, nothing changed.
        const uint8_t before = 0x5a;
        REQUIRE(cpu_small.write8(7, before) == tlm::TLM_OK_RESPONSE);
        StateReader too_big(image.data(), "buffer a");
        CHECK_THROWS_WITH(small.restore_state(too_big),
                          "buffer a: the small holds 2048 bytes, this one 1024");
        CHECK(small.data()[7] == before);
        // A truncated image is refused too.
        StateReader cut(image.data().data(), image.size() - 8, "buffer a");
        CHECK_THROWS_AS(b.restore_state(cut), StateError);
    };
    sc_core::sc_start();
    REQUIRE(cpu_a.body_finished);
}
