// Router: map/overlap checks, decode and address translation, region crossing, DMI translation in both
// directions with invalidation fan-out, debug transport and per-hop latency.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "bus/router.h"
#include "mem/memory.h"
#include "mem/tlm_test_initiator.h"

using sc_core::SC_NS;
using sc_core::sc_time;
using trainvp::AddressRange;
using trainvp::Memory;
using trainvp::MemoryConfig;
using trainvp::Router;
using trainvp::RouterConfig;
using trainvp::test::TestInitiator;

namespace {

MemoryConfig memory_of(uint64_t size, double latency_ns = 0) {
    MemoryConfig c;
    c.size_bytes = size;
    c.read_latency_ns = latency_ns;
    c.write_latency_ns = latency_ns;
    return c;
}

// A target that records the local addresses it sees and can invalidate DMI on demand.
struct ProbeTarget : sc_core::sc_module {
    tlm_utils::simple_target_socket<ProbeTarget> bus_in{"bus_in"};
    uint64_t last_address = ~0ull;
    uint64_t last_dmi_address = ~0ull;
    unsigned int calls = 0;

    explicit ProbeTarget(sc_core::sc_module_name name) : sc_module(name) {
        bus_in.register_b_transport(this, &ProbeTarget::b_transport);
        bus_in.register_get_direct_mem_ptr(this, &ProbeTarget::get_direct_mem_ptr);
    }
    void b_transport(tlm::tlm_generic_payload& t, sc_time&) {
        ++calls;
        last_address = t.get_address();
        t.set_response_status(tlm::TLM_OK_RESPONSE);
    }
    bool get_direct_mem_ptr(tlm::tlm_generic_payload& t, tlm::tlm_dmi& dmi) {
        last_dmi_address = t.get_address();
        dmi.set_start_address(0);
        dmi.set_end_address(~0ull);  // claims everything: the router must clip it to the region
        dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_NONE);
        return false;
    }
    void invalidate(uint64_t start, uint64_t end) { bus_in->invalidate_direct_mem_ptr(start, end); }
};

constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t kRomBase = 0x00001000;
constexpr uint64_t kProbeBase = 0x10000000;

// Two initiators, a 64 KiB RAM in a 1 MiB window, an 8 KiB ROM exposed through a 4 KiB window, a probe.
struct Bench {
    TestInitiator cpu{"cpu"};
    TestInitiator dma{"dma"};
    Router router;
    Memory ram{"ram", memory_of(0x10000, 5)};
    Memory rom{"rom", memory_of(0x2000)};
    ProbeTarget probe{"probe"};

    explicit Bench(const RouterConfig& config = {}) : router("router", config) {
        cpu.socket.bind(router.bus_in);
        dma.socket.bind(router.bus_in);
        router.map(ram.bus_in, {kRamBase, 0x100000}, "ram");
        router.map(rom.bus_in, {kRomBase, 0x1000}, "rom");
        router.map(probe.bus_in, {kProbeBase, 0x1000}, "probe");
    }
    void run(std::function<void()> body) {
        cpu.body = std::move(body);
        sc_core::sc_start();
        REQUIRE(cpu.body_finished);
    }
};

}  // namespace

TEST_CASE("address ranges are half-open", "[router]") {
    const AddressRange r{0x1000, 0x100};
    CHECK(r.contains(0x1000));
    CHECK(r.contains(0x10ff));
    CHECK_FALSE(r.contains(0x1100));
    CHECK_FALSE(r.contains(0xfff));
    CHECK(r.end() == 0x1100);
}

TEST_CASE("router map rejects overlaps and empty ranges, naming both regions", "[router]") {
    Router router("router");
    Memory a("a", memory_of(0x1000)), b("b", memory_of(0x1000)), c("c", memory_of(0x1000));
    router.map(a.bus_in, {0x1000, 0x1000}, "alpha");
    REQUIRE_THROWS_AS(router.map(b.bus_in, {0x1800, 0x1000}, "beta"), std::invalid_argument);
    REQUIRE_THROWS_WITH(router.map(b.bus_in, {0x0, 0x1001}, "beta"),
                        Catch::Contains("'beta'") && Catch::Contains("'alpha'"));
    REQUIRE_THROWS_WITH(router.map(b.bus_in, {0x1fff, 0x1}, "beta"), Catch::Contains("overlaps"));
    REQUIRE_THROWS_WITH(router.map(b.bus_in, {0x5000, 0}, "beta"),
                        Catch::Contains("'beta'") && Catch::Contains("size 0"));
    REQUIRE_THROWS_AS(router.map(b.bus_in, {~0ull - 4, 0x10}, "beta"), std::invalid_argument);
    // Adjacent ranges do not overlap.
    REQUIRE_NOTHROW(router.map(b.bus_in, {0x2000, 0x1000}, "beta"));
    REQUIRE_NOTHROW(router.map(c.bus_in, {0x0, 0x1000}, "gamma"));
    REQUIRE(router.regions().size() == 3);
    CHECK(router.regions()[1].name == "beta");
    CHECK(router.regions()[1].range.base == 0x2000);
    CHECK(router.regions()[2].range.end() == 0x1000);
}

TEST_CASE("router decodes, translates to local addresses and restores the address", "[router]") {
    Bench b;
    b.run([&] {
        uint64_t after = 0;
        uint32_t value = 0xcafef00d;
        TestInitiator::Access a;
        a.command = tlm::TLM_WRITE_COMMAND;
        a.address = kRamBase + 0x1234;
        a.data = reinterpret_cast<unsigned char*>(&value);
        a.length = 4;
        sc_time delay;
        CHECK(b.cpu.transport(a, delay, &after) == tlm::TLM_OK_RESPONSE);
        CHECK(after == kRamBase + 0x1234);
        CHECK(b.dma.read32(kRamBase + 0x1234) == 0xcafef00d);

        CHECK(b.cpu.write32(kProbeBase + 0x88, 1) == tlm::TLM_OK_RESPONSE);
        CHECK(b.probe.last_address == 0x88);
        CHECK(b.cpu.write32(kRomBase + 0xffc, 0x01020304) == tlm::TLM_OK_RESPONSE);
    });
    uint32_t host = 0;
    b.ram.read(0x1234, &host, 4);
    CHECK(host == 0xcafef00d);
    b.rom.read(0xffc, &host, 4);
    CHECK(host == 0x01020304);
}

TEST_CASE("router answers decode misses and region crossings with address errors", "[router]") {
    Bench b;
    b.run([&] {
        tlm::tlm_response_status status;
        b.cpu.read32(0x20000000, &status);
        CHECK(status == tlm::TLM_ADDRESS_ERROR_RESPONSE);
        b.cpu.read32(kRamBase - 4, &status);
        CHECK(status == tlm::TLM_ADDRESS_ERROR_RESPONSE);
        // Starts in the probe region and runs 2 bytes past its end.
        CHECK(b.cpu.write32(kProbeBase + 0xffe, 0) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
        CHECK(b.probe.calls == 0);
        // Inside the RAM window but beyond the populated RAM: the memory itself refuses.
        b.cpu.read32(kRamBase + 0x10000, &status);
        CHECK(status == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    });
}

TEST_CASE("router adds its hop latency to every transaction", "[router]") {
    RouterConfig config;
    config.hop_latency_ns = 3;
    Bench b(config);
    b.run([&] {
        uint32_t word = 0;
        sc_time delay(10, SC_NS);
        CHECK(b.cpu.read(kRamBase, &word, 4, delay) == tlm::TLM_OK_RESPONSE);
        CHECK(delay == sc_time(10 + 3 + 5, SC_NS));
        delay = sc_core::SC_ZERO_TIME;
        CHECK(b.cpu.read(0x40000000, &word, 4, delay) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
        CHECK(delay == sc_time(3, SC_NS));
    });
    REQUIRE_THROWS_WITH(
        [] {
            RouterConfig bad;
            bad.hop_latency_ns = -1;
            bad.validate();
        }(),
        Catch::Contains("hop_latency_ns"));
}

TEST_CASE("routers chain: each hop translates and adds its latency", "[router]") {
    TestInitiator cpu("cpu");
    RouterConfig hop;
    hop.hop_latency_ns = 2;
    Router outer("outer", hop), inner("inner", hop);
    Memory mem("mem", memory_of(0x1000, 1));
    cpu.socket.bind(outer.bus_in);
    outer.map(inner.bus_in, {0x40000000, 0x10000}, "inner");
    inner.map(mem.bus_in, {0x8000, 0x1000}, "mem");
    cpu.body = [&] {
        uint32_t word = 0x11223344;
        sc_time delay;
        CHECK(cpu.write(0x40008010, &word, 4, delay) == tlm::TLM_OK_RESPONSE);
        CHECK(delay == sc_time(2 + 2 + 1, SC_NS));
        tlm::tlm_dmi dmi;
        CHECK(cpu.dmi(0x40008010, dmi));
        CHECK(dmi.get_start_address() == 0x40008000);
        CHECK(dmi.get_end_address() == 0x40008fff);
        // Each hop adds its latency to the grant too: a DMI access costs what b_transport annotates.
        CHECK(dmi.get_read_latency() == sc_time(2 + 2 + 1, SC_NS));
        CHECK(dmi.get_write_latency() == sc_time(2 + 2 + 1, SC_NS));
    };
    sc_core::sc_start();
    REQUIRE(cpu.body_finished);
    CHECK(mem.data()[0x10] == 0x44);
}

TEST_CASE("router translates DMI ranges to global addresses and clips them to the region", "[router]") {
    Bench b;
    b.run([&] {
        tlm::tlm_dmi dmi;
        CHECK(b.cpu.dmi(kRamBase + 0x400, dmi));
        CHECK(dmi.get_start_address() == kRamBase);
        CHECK(dmi.get_end_address() == kRamBase + 0xffff);
        CHECK(dmi.get_dmi_ptr() == b.ram.data());
        CHECK(dmi.is_read_write_allowed());
        CHECK(dmi.get_read_latency() == sc_time(5, SC_NS));

        // The ROM is 8 KiB behind a 4 KiB window: the grant must stop at the window.
        CHECK(b.dma.dmi(kRomBase + 0x10, dmi));
        CHECK(dmi.get_start_address() == kRomBase);
        CHECK(dmi.get_end_address() == kRomBase + 0xfff);
        CHECK(dmi.get_dmi_ptr() == b.rom.data());

        // The target is asked with the local address; a denial over "everything" is clipped too.
        CHECK_FALSE(b.cpu.dmi(kProbeBase + 0x20, dmi));
        CHECK(b.probe.last_dmi_address == 0x20);
        CHECK(dmi.get_start_address() == kProbeBase);
        CHECK(dmi.get_end_address() == kProbeBase + 0xfff);

        // A decode miss is denied over the whole unmapped gap around it.
        CHECK_FALSE(b.cpu.dmi(0x20000000, dmi));
        CHECK(dmi.get_granted_access() == tlm::tlm_dmi::DMI_ACCESS_NONE);
        CHECK(dmi.get_start_address() == kProbeBase + 0x1000);
        CHECK(dmi.get_end_address() == kRamBase - 1);
    });
}

TEST_CASE("router fans DMI invalidations out to every initiator in global addresses", "[router]") {
    Bench b;
    b.run([&] {
        b.probe.invalidate(0x100, 0x1ff);
        b.probe.invalidate(0x0, ~0ull);  // "everything" from the target: clipped to its region
    });
    for (TestInitiator* i : {&b.cpu, &b.dma}) {
        REQUIRE(i->invalidations.size() == 2);
        CHECK(i->invalidations[0].first == kProbeBase + 0x100);
        CHECK(i->invalidations[0].second == kProbeBase + 0x1ff);
        CHECK(i->invalidations[1].first == kProbeBase);
        CHECK(i->invalidations[1].second == kProbeBase + 0xfff);
    }
}

TEST_CASE("router forwards debug transport with translation and clips at the region end", "[router]") {
    Bench b;
    b.ram.data()[0x20] = 0x77;
    b.run([&] {
        uint8_t buf[16] = {};
        CHECK(b.cpu.debug(tlm::TLM_READ_COMMAND, kRamBase + 0x20, buf, 1) == 1);
        CHECK(buf[0] == 0x77);
        const uint8_t pattern[4] = {1, 2, 3, 4};
        CHECK(b.dma.debug(tlm::TLM_WRITE_COMMAND, kRomBase + 0x100, const_cast<uint8_t*>(pattern), 4) == 4);
        // Only 8 bytes of the ROM window remain: the rest of the request is not served.
        CHECK(b.cpu.debug(tlm::TLM_READ_COMMAND, kRomBase + 0xff8, buf, 16) == 8);
        CHECK(b.cpu.debug(tlm::TLM_READ_COMMAND, 0x30000000, buf, 4) == 0);
        CHECK(sc_core::sc_time_stamp() == sc_core::SC_ZERO_TIME);
    });
    CHECK(b.rom.data()[0x103] == 4);
}
