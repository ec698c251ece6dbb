// Memory target: data path, byte enables, range and streaming checks, latency, DMI and debug access.
#include <catch2/catch.hpp>

#include <array>
#include <stdexcept>

#include "common/transfer_timing.h"
#include "mem/memory.h"
#include "mem/tlm_test_initiator.h"
#include "stderr_capture.h"

using sc_core::SC_NS;
using sc_core::sc_time;
using trainvp::Memory;
using trainvp::MemoryConfig;
using trainvp::test::TestInitiator;

namespace {

struct Bench {
    TestInitiator cpu{"cpu"};
    Memory mem;
    explicit Bench(const MemoryConfig& config) : mem("mem", config) { cpu.socket.bind(mem.bus_in); }
    void run(std::function<void()> body) {
        cpu.body = std::move(body);
        sc_core::sc_start();
        REQUIRE(cpu.body_finished);
    }
};

MemoryConfig small_config() {
    MemoryConfig c;
    c.size_bytes = 4096;
    c.read_latency_ns = 7;
    c.write_latency_ns = 11;
    return c;
}

}  // namespace

TEST_CASE("memory config validation names the field", "[memory]") {
    MemoryConfig c;
    REQUIRE_NOTHROW(c.validate());
    c.size_bytes = 0;
    REQUIRE_THROWS_WITH(c.validate(), Catch::Contains("size_bytes"));
    c = MemoryConfig{};
    c.read_latency_ns = -1;
    REQUIRE_THROWS_WITH(c.validate(), Catch::Contains("read_latency_ns"));
    c = MemoryConfig{};
    c.write_latency_ns = std::nan("");
    REQUIRE_THROWS_WITH(c.validate(), Catch::Contains("write_latency_ns"));
    c = MemoryConfig{};
    c.bytes_per_ns = -0.5;
    REQUIRE_THROWS_AS(c.validate(), std::invalid_argument);
    REQUIRE_THROWS_WITH(c.validate(), Catch::Contains("bytes_per_ns"));
}

TEST_CASE("memory writes and reads back through b_transport", "[memory]") {
    Bench b(small_config());
    b.run([&] {
        const std::array<uint8_t, 8> out = {1, 2, 3, 4, 5, 6, 7, 8};
        std::array<uint8_t, 8> in{};
        sc_time delay;
        CHECK(b.cpu.write(0x100, out.data(), 8, delay) == tlm::TLM_OK_RESPONSE);
        CHECK(b.cpu.read(0x100, in.data(), 8, delay) == tlm::TLM_OK_RESPONSE);
        CHECK(in == out);
        // The last bytes of the memory are reachable.
        CHECK(b.cpu.write32(4092, 0xa5a5a5a5u) == tlm::TLM_OK_RESPONSE);
        CHECK(b.cpu.read32(4092) == 0xa5a5a5a5u);
    });
    uint8_t host[8];
    b.mem.read(0x100, host, 8);
    CHECK(host[0] == 1);
    CHECK(host[7] == 8);
}

TEST_CASE("memory honours byte enables, repeating a short byte-enable array", "[memory]") {
    Bench b(small_config());
    std::array<uint8_t, 8> fill;
    fill.fill(0xee);
    b.mem.write(0x40, fill.data(), fill.size());
    b.run([&] {
        std::array<uint8_t, 8> data = {0, 1, 2, 3, 4, 5, 6, 7};
        const unsigned char be[2] = {TLM_BYTE_ENABLED, TLM_BYTE_DISABLED};
        TestInitiator::Access a;
        a.command = tlm::TLM_WRITE_COMMAND;
        a.address = 0x40;
        a.data = data.data();
        a.length = 8;
        a.byte_enables = be;
        a.byte_enable_length = 2;  // pattern repeats over the 8 bytes (IEEE 1666-2011 14.14)
        sc_time delay;
        CHECK(b.cpu.transport(a, delay) == tlm::TLM_OK_RESPONSE);

        // Reads with byte enables leave disabled bytes of the data buffer untouched.
        std::array<uint8_t, 8> back;
        back.fill(0x11);
        const unsigned char be_read[4] = {TLM_BYTE_DISABLED, TLM_BYTE_ENABLED, TLM_BYTE_ENABLED,
                                          TLM_BYTE_DISABLED};
        a.command = tlm::TLM_READ_COMMAND;
        a.data = back.data();
        a.byte_enables = be_read;
        a.byte_enable_length = 4;
        CHECK(b.cpu.transport(a, delay) == tlm::TLM_OK_RESPONSE);
        CHECK(back == std::array<uint8_t, 8>{0x11, 0xee, 2, 0x11, 0x11, 0xee, 6, 0x11});

        // A byte-enable pointer with length 0 is malformed.
        a.byte_enable_length = 0;
        CHECK(b.cpu.transport(a, delay) == tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    });
    std::array<uint8_t, 8> host;
    b.mem.read(0x40, host.data(), 8);
    CHECK(host == std::array<uint8_t, 8>{0, 0xee, 2, 0xee, 4, 0xee, 6, 0xee});
}

TEST_CASE("memory rejects out-of-range and streaming accesses", "[memory]") {
    Bench b(small_config());
    b.run([&] {
        uint32_t word = 0x12345678;
        sc_time delay;
        CHECK(b.cpu.write(4094, &word, 4, delay) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
        CHECK(b.cpu.write(4096, &word, 4, delay) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
        CHECK(b.cpu.read(~0ull - 1, &word, 4, delay) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
        CHECK(delay == sc_core::SC_ZERO_TIME);  // refused accesses cost no memory latency

        std::array<uint8_t, 8> data{};
        TestInitiator::Access a;
        a.command = tlm::TLM_WRITE_COMMAND;
        a.address = 0x10;
        a.data = data.data();
        a.length = 8;
        a.streaming_width = 4;
        CHECK(b.cpu.transport(a, delay) == tlm::TLM_BURST_ERROR_RESPONSE);
        a.streaming_width = 16;  // wider than the data: an ordinary transfer (IEEE 1666-2011 14.13)
        CHECK(b.cpu.transport(a, delay) == tlm::TLM_OK_RESPONSE);
    });
    uint8_t tail[2];
    b.mem.read(4094, tail, 2);
    CHECK(tail[0] == 0);
    CHECK(tail[1] == 0);
}

// An integrator who never calls install_report_handler() still gets one line per warning, not SystemC's
// default three-line form ending in "In file: :0".
TEST_CASE("memory warnings print as one line without install_report_handler", "[memory][log]") {
    Bench b(small_config());
    std::vector<std::string> lines;
    b.run([&] {
        trainvp::test::StderrCapture capture;
        CHECK(b.cpu.read32(0x1000) == 0xdeadbeefu);
        lines = capture.lines();
    });
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] ==
          "[0 s] warning: mem: access of 4 bytes at offset 0x00001000 is outside the memory (size "
          "0x00001000)");
}

TEST_CASE("memory host access checks its range", "[memory]") {
    Bench b(small_config());
    const uint8_t bytes[4] = {9, 8, 7, 6};
    REQUIRE_NOTHROW(b.mem.write(4092, bytes, 4));
    REQUIRE_THROWS_AS(b.mem.write(4093, bytes, 4), std::out_of_range);
    uint8_t back[4];
    REQUIRE_THROWS_AS(b.mem.read(~0ull, back, 4), std::out_of_range);
    REQUIRE_NOTHROW(b.mem.read(4092, back, 4));
    CHECK(back[3] == 6);
    CHECK(b.mem.data()[4093] == 8);
    CHECK(b.mem.size() == 4096);
}

TEST_CASE("memory adds read, write and bandwidth latency to the delay", "[memory]") {
    MemoryConfig c = small_config();
    c.bytes_per_ns = 2.0;
    Bench b(c);
    b.run([&] {
        uint8_t buf[64] = {};
        sc_time delay(100, SC_NS);
        CHECK(b.cpu.write(0, buf, 4, delay) == tlm::TLM_OK_RESPONSE);
        CHECK(delay == sc_time(100 + 11 + 2, SC_NS));
        delay = sc_core::SC_ZERO_TIME;
        CHECK(b.cpu.read(0, buf, 64, delay) == tlm::TLM_OK_RESPONSE);
        CHECK(delay == sc_time(7 + 32, SC_NS));
        CHECK(sc_core::sc_time_stamp() == sc_core::SC_ZERO_TIME);  // the target never waits
    });
}

TEST_CASE("memory answers the burst-timing request of a DMI grant with what b_transport charges",
          "[memory]") {
    MemoryConfig c = small_config();
    c.bytes_per_ns = 2.5;
    Bench b(c);
    b.run([&] {
        trainvp::TransferTimingExt timing;
        tlm::tlm_dmi dmi;
        REQUIRE(b.cpu.dmi(0, dmi, tlm::TLM_READ_COMMAND, &timing));
        CHECK(timing.answered);
        CHECK(timing.bytes_per_ns == 2.5);
        uint8_t buf[256] = {};
        for (unsigned int n : {1u, 3u, 64u, 255u, 256u}) {
            sc_time delay = sc_core::SC_ZERO_TIME;
            CHECK(b.cpu.read(16, buf, n, delay) == tlm::TLM_OK_RESPONSE);
            CHECK(delay == dmi.get_read_latency() + trainvp::transfer_time(n, timing.bytes_per_ns));
            delay = sc_core::SC_ZERO_TIME;
            CHECK(b.cpu.write(16, buf, n, delay) == tlm::TLM_OK_RESPONSE);
            CHECK(delay == dmi.get_write_latency() + trainvp::transfer_time(n, timing.bytes_per_ns));
        }
    });
}

TEST_CASE("memory without DMI leaves the burst-timing request unanswered", "[memory]") {
    MemoryConfig off = small_config();
    off.dmi = false;
    Bench n(off);
    n.run([&] {
        trainvp::TransferTimingExt timing;
        tlm::tlm_dmi dmi;
        CHECK_FALSE(n.cpu.dmi(0, dmi, tlm::TLM_READ_COMMAND, &timing));
        CHECK_FALSE(timing.answered);
    });
}

TEST_CASE("memory grants read-write DMI over its whole range with an inclusive end", "[memory]") {
    Bench b(small_config());
    b.run([&] {
        tlm::tlm_dmi dmi;
        bool hint = false;
        uint32_t word = 0;
        TestInitiator::Access a;
        a.address = 0x20;
        a.data = reinterpret_cast<unsigned char*>(&word);
        a.length = 4;
        sc_time delay;
        b.cpu.transport(a, delay, nullptr, &hint);
        CHECK(hint);

        CHECK(b.cpu.dmi(0x20, dmi, tlm::TLM_WRITE_COMMAND));
        CHECK(dmi.get_dmi_ptr() == b.mem.data());
        CHECK(dmi.get_start_address() == 0);
        CHECK(dmi.get_end_address() == 4095);
        CHECK(dmi.is_read_write_allowed());
        CHECK(dmi.get_read_latency() == sc_time(7, SC_NS));
        CHECK(dmi.get_write_latency() == sc_time(11, SC_NS));

        // Stores through the pointer are what b_transport reads.
        dmi.get_dmi_ptr()[0x30] = 0x5a;
        CHECK((b.cpu.read32(0x30) & 0xff) == 0x5a);

        // Beyond the memory: denied, and the denial covers the rest of the address space.
        CHECK_FALSE(b.cpu.dmi(4096, dmi));
        CHECK(dmi.get_start_address() == 4096);
        CHECK(dmi.get_granted_access() == tlm::tlm_dmi::DMI_ACCESS_NONE);
    });
}

TEST_CASE("memory with DMI disabled refuses pointers and clears the hint", "[memory]") {
    MemoryConfig c = small_config();
    c.dmi = false;
    Bench b(c);
    b.run([&] {
        tlm::tlm_dmi dmi;
        CHECK_FALSE(b.cpu.dmi(0, dmi));
        CHECK(dmi.get_granted_access() == tlm::tlm_dmi::DMI_ACCESS_NONE);
        CHECK(dmi.get_dmi_ptr() == nullptr);
        uint32_t word = 0;
        bool hint = true;
        TestInitiator::Access a;
        a.data = reinterpret_cast<unsigned char*>(&word);
        a.length = 4;
        sc_time delay;
        CHECK(b.cpu.transport(a, delay, nullptr, &hint) == tlm::TLM_OK_RESPONSE);
        CHECK_FALSE(hint);
    });
}

TEST_CASE("memory debug access moves bytes without timing and clips at the end", "[memory]") {
    Bench b(small_config());
    b.run([&] {
        const char text[] = "debug";
        CHECK(b.cpu.debug(tlm::TLM_WRITE_COMMAND, 0x200, const_cast<char*>(text), 6) == 6);
        char back[6] = {};
        CHECK(b.cpu.debug(tlm::TLM_READ_COMMAND, 0x200, back, 6) == 6);
        CHECK(std::string(back) == "debug");
        uint8_t tail[16] = {};
        CHECK(b.cpu.debug(tlm::TLM_READ_COMMAND, 4090, tail, 16) == 6);
        CHECK(b.cpu.debug(tlm::TLM_READ_COMMAND, 5000, tail, 16) == 0);
        CHECK(sc_core::sc_time_stamp() == sc_core::SC_ZERO_TIME);
    });
    CHECK(b.mem.data()[0x204] == 'g');
}
