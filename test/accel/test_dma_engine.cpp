// DmaEngine alone: a test thread sends DmaCommands; the DRAM side is the real Memory, the buffer side an
// SramBuffer (DMI) or a foreign memory without DMI. Data lands where the command says, the delay is the
// slower of the DRAM waves and the buffer side, bus errors stop the command with the burst's address.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>

#include "accel/dma_engine.h"
#include "accel/sram_buffer.h"
#include "accel_test_parts.h"
#include "common/state_io.h"
#include "mem/memory.h"

using namespace trainvp;
using namespace trainvp::test;
using accel::DmaCommand;

namespace {

const sc_core::sc_time kNs(1, sc_core::SC_NS);

AcceleratorConfig dma_config() {
    AcceleratorConfig c;
    c.dma.burst_bytes = 64;
    c.dma.max_outstanding = 2;
    c.interconnect = InterconnectConfig{16, 3};
    return c;  // 500 MHz: 2 ns per cycle
}

MemoryConfig dram() {
    MemoryConfig m;
    m.size_bytes = 8192;
    m.read_latency_ns = 20;
    m.write_latency_ns = 30;
    m.bytes_per_ns = 8;
    return m;
}

// A pass-through between the DMA and the DRAM that counts the bus transactions and DMI requests it forwards.
struct CountingHop : sc_core::sc_module {
    tlm_utils::simple_target_socket<CountingHop> in{"in"};
    tlm_utils::simple_initiator_socket<CountingHop> out{"out"};
    uint64_t transactions = 0, dmi_requests = 0;

    explicit CountingHop(sc_core::sc_module_name name) : sc_module(name) {
        in.register_b_transport(this, &CountingHop::b_transport);
        in.register_get_direct_mem_ptr(this, &CountingHop::get_direct_mem_ptr);
        out.register_invalidate_direct_mem_ptr(this, &CountingHop::invalidate);
    }
    void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay) {
        ++transactions;
        out->b_transport(t, delay);
    }
    bool get_direct_mem_ptr(tlm::tlm_generic_payload& t, tlm::tlm_dmi& dmi) {
        ++dmi_requests;
        return out->get_direct_mem_ptr(t, dmi);
    }
    void invalidate(sc_dt::uint64 start, sc_dt::uint64 end) { in->invalidate_direct_mem_ptr(start, end); }
};

struct Bench {
    TestInitiator ctrl{"ctrl"};
    DmaEngine dma;
    CountingHop hop{"hop"};
    Memory mem{"dram", dram()};
    std::unique_ptr<SramBuffer> sram;
    std::unique_ptr<ForeignMemory> foreign;
    explicit Bench(bool dmi = true, AcceleratorConfig config = dma_config()) : dma("dma", config) {
        ctrl.socket.bind(dma.cmd_in);
        dma.bus_out.bind(hop.in);
        hop.out.bind(mem.bus_in);
        if (dmi) {
            sram = std::make_unique<SramBuffer>("buffer", SramConfig{4096, 4, 8, 1, 1}, 500e6);
            dma.buffers_out.bind(sram->in);
        } else {
            foreign = std::make_unique<ForeignMemory>("buffer", 4096, sc_core::sc_time(50, sc_core::SC_NS));
            dma.buffers_out.bind(foreign->in);
        }
        for (uint32_t i = 0; i < 8192; ++i) {
            const uint8_t v = static_cast<uint8_t>(i * 13 + 5);
            mem.write(i, &v, 1);
        }
    }
    const uint8_t* buffer() const { return sram ? sram->data() : foreign->mem.data(); }
    void run(std::function<void()> body) {
        ctrl.body = std::move(body);
        sc_core::sc_start();
        REQUIRE(ctrl.body_finished);
    }
    tlm::tlm_response_status send(DmaCommand& c, sc_core::sc_time& delay) {
        return send_command(ctrl.socket, c, delay);
    }
};

DmaCommand load(uint64_t dram_addr, uint32_t rows, uint64_t row, uint64_t stride, uint64_t buffer) {
    DmaCommand c;
    c.kind = DmaCommand::Kind::load;
    c.dram_address = dram_addr;
    c.rows = rows;
    c.row_bytes = row;
    c.dram_stride = stride;
    c.buffer_address = buffer;
    return c;
}

// DRAM time of bursts of these lengths in waves of two: each wave as long as its slowest burst.
sc_core::sc_time waves(const std::vector<uint64_t>& bursts, double latency_ns) {
    double total = 0;
    for (size_t i = 0; i < bursts.size(); i += 2) {
        double wave = 0;
        for (size_t j = i; j < std::min(bursts.size(), i + 2); ++j)
            wave = std::max(wave, latency_ns + bursts[j] / 8.0);
        total += wave;
    }
    return sc_core::sc_time(total, sc_core::SC_NS);
}

}  // namespace

TEST_CASE("DMA load gathers strided rows into a buffer in bursts that never cross a burst boundary",
          "[accel][dma]") {
    Bench b;
    b.run([&] {
        // Rows of 100 bytes, 300 apart, from 0x1010: bursts split at the 64-byte boundaries of each row.
        DmaCommand c = load(0x1010, 3, 100, 300, 256);
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        REQUIRE(b.send(c, delay) == tlm::TLM_OK_RESPONSE);
        for (uint32_t r = 0; r < 3; ++r)
            for (uint32_t i = 0; i < 100; ++i)
                REQUIRE(b.buffer()[256 + r * 100 + i] ==
                        static_cast<uint8_t>((0x1010 + r * 300 + i) * 13 + 5));
        CHECK(c.bytes == 300);
        // Row starts 0x1010, 0x113c, 0x1268: 48+52, 4+64+32, 24+64+12.
        const sc_core::sc_time dram = waves({48, 52, 4, 64, 32, 24, 64, 12}, 20);
        CHECK(c.dram_time == dram);
        // Buffer side through DMI: the buffer's 1-cycle latency, then ceil(300 / 16) cycles of interconnect
        // width (this DMA talks to the buffer directly, so no interconnect latency).
        CHECK(c.buffer_time == kNs * 2 * (1 + 19));
        CHECK(delay == std::max(dram, c.buffer_time));
        CHECK(b.dma.counters().read_bursts == 8);
    });
}

TEST_CASE("DMA store scatters a buffer's packed rows to DRAM and fetch reads into the caller's memory",
          "[accel][dma]") {
    Bench b;
    b.run([&] {
        DmaCommand in = load(0, 1, 512, 512, 0);
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        REQUIRE(b.send(in, delay) == tlm::TLM_OK_RESPONSE);
        DmaCommand out = load(4096, 4, 128, 1024, 0);
        out.kind = DmaCommand::Kind::store;
        delay = sc_core::SC_ZERO_TIME;
        REQUIRE(b.send(out, delay) == tlm::TLM_OK_RESPONSE);
        CHECK(delay == waves({64, 64, 64, 64, 64, 64, 64, 64}, 30));  // writes: 30 ns latency
        uint8_t v = 0;
        for (uint32_t r = 0; r < 4; ++r) {
            b.mem.read(4096 + r * 1024 + 5, &v, 1);
            CHECK(v == static_cast<uint8_t>((r * 128 + 5) * 13 + 5));
        }
        uint8_t record[40] = {};
        DmaCommand fetch;
        fetch.kind = DmaCommand::Kind::fetch;
        fetch.dram_address = 100;
        fetch.data = record;
        fetch.row_bytes = sizeof record;
        delay = sc_core::SC_ZERO_TIME;
        REQUIRE(b.send(fetch, delay) == tlm::TLM_OK_RESPONSE);
        CHECK(record[39] == static_cast<uint8_t>(139 * 13 + 5));
        CHECK(delay == waves({28, 12}, 20));  // 100..127 and 128..139
    });
}

TEST_CASE("a bus error stops the DMA with the failed burst's address", "[accel][dma][errors]") {
    Bench b;
    b.run([&] {
        DmaCommand c = load(8192 - 96, 1, 200, 200, 0);  // runs off the end of the DRAM
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        CHECK(b.send(c, delay) == tlm::TLM_GENERIC_ERROR_RESPONSE);
        CHECK(c.fault_address == 8192);  // 8096..8127 and 8128..8191 moved first
        CHECK(c.bytes == 96);
        tlm::tlm_generic_payload t;
        t.set_command(tlm::TLM_IGNORE_COMMAND);
        b.ctrl.socket->b_transport(t, delay);
        CHECK(t.get_response_status() == tlm::TLM_COMMAND_ERROR_RESPONSE);
    });
}

TEST_CASE("a buffer without DMI gets one write per burst and its latency counts", "[accel][dma][foreign]") {
    Bench b(false);
    b.run([&] {
        DmaCommand c = load(0, 1, 640, 640, 1024);
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        REQUIRE(b.send(c, delay) == tlm::TLM_OK_RESPONSE);
        CHECK(b.buffer()[1024 + 639] == static_cast<uint8_t>(639 * 13 + 5));
        CHECK(b.foreign->transactions == 10);
        CHECK(c.buffer_time == kNs * 500);  // 10 bursts x 50 ns: slower than the DRAM
        CHECK(delay == c.buffer_time);
        CHECK(c.dram_time < c.buffer_time);
    });
}

// The DRAM states its burst timing with its DMI grant (common/transfer_timing.h): after the first burst on
// the bus, the DMA copies through the pointer and charges each burst what the bus would have.
TEST_CASE("DMA bursts after the first go through the DRAM's DMI grant with the bus's timing",
          "[accel][dma][dmi]") {
    Bench b;
    b.run([&] {
        DmaCommand c = load(0x1010, 3, 100, 300, 256);
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        REQUIRE(b.send(c, delay) == tlm::TLM_OK_RESPONSE);
        CHECK(b.hop.transactions == 1);
        CHECK(b.hop.dmi_requests == 1);
        CHECK(c.dram_time == waves({48, 52, 4, 64, 32, 24, 64, 12}, 20));
        CHECK(b.dma.counters().read_bursts == 8);
        for (uint32_t r = 0; r < 3; ++r)
            CHECK(b.buffer()[256 + r * 100 + 99] == static_cast<uint8_t>((0x1010 + r * 300 + 99) * 13 + 5));
        // Stores through the pointer land in the DRAM and cost the write latency.
        DmaCommand out = load(4096, 4, 128, 1024, 0);
        out.kind = DmaCommand::Kind::store;
        REQUIRE(b.send(out, delay) == tlm::TLM_OK_RESPONSE);
        CHECK(b.hop.transactions == 1);
        CHECK(out.dram_time == waves({64, 64, 64, 64, 64, 64, 64, 64}, 30));
        uint8_t v = 0;
        b.mem.read(4096 + 3 * 1024 + 127, &v, 1);
        CHECK(v == b.buffer()[3 * 128 + 127]);
        // A burst outside the grant still goes on the bus and fails there, with its address.
        DmaCommand bad = load(8192 - 32, 1, 64, 64, 0);
        CHECK(b.send(bad, delay) == tlm::TLM_GENERIC_ERROR_RESPONSE);
        CHECK(bad.fault_address == 8192);
        CHECK(bad.bytes == 32);
        CHECK(b.hop.transactions == 2);
    });
}

TEST_CASE("hardware.dma.dmi off puts every DMA burst on the bus with the same timing", "[accel][dma][dmi]") {
    AcceleratorConfig config = dma_config();
    config.dma.dmi = false;
    Bench b(true, config);
    b.run([&] {
        DmaCommand c = load(0x1010, 3, 100, 300, 256);
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        REQUIRE(b.send(c, delay) == tlm::TLM_OK_RESPONSE);
        CHECK(b.hop.transactions == 8);
        CHECK(b.hop.dmi_requests == 0);
        CHECK(c.dram_time == waves({48, 52, 4, 64, 32, 24, 64, 12}, 20));
    });
}

// A DRAM that grants DMI but does not state its burst timing (a third-party target): the DMA cannot know
// what a burst would cost, so every burst stays on the bus, and it asks for DMI only once.
TEST_CASE("a DRAM that grants DMI without burst timing keeps every DMA burst on the bus", "[accel][dma][dmi]") {
    TestInitiator ctrl("ctrl");
    DmaEngine dma("dma", dma_config());
    CountingHop hop("hop");
    ForeignMemory dram("dram", 8192, sc_core::sc_time(20, sc_core::SC_NS));
    dram.grant_dmi = true;
    SramBuffer sram("buffer", SramConfig{4096, 4, 8, 1, 1}, 500e6);
    ctrl.socket.bind(dma.cmd_in);
    dma.bus_out.bind(hop.in);
    hop.out.bind(dram.in);
    dma.buffers_out.bind(sram.in);
    for (uint32_t i = 0; i < 8192; ++i) dram.mem[i] = static_cast<uint8_t>(i * 7);
    ctrl.body = [&] {
        DmaCommand c = load(0x1010, 3, 100, 300, 256);
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        REQUIRE(send_command(ctrl.socket, c, delay) == tlm::TLM_OK_RESPONSE);
        CHECK(hop.transactions == 8);
        CHECK(dram.transactions == 8);
        CHECK(hop.dmi_requests == 1);
        CHECK(sram.data()[256 + 2 * 100 + 99] == static_cast<uint8_t>((0x1010 + 2 * 300 + 99) * 7));
    };
    sc_core::sc_start();
    REQUIRE(ctrl.body_finished);
}

// Checkpoints: the DMA engine's only lasting state is its counters; restored, they continue from the saved
// values.
TEST_CASE("DMA counters restored from a checkpoint continue from the saved values",
          "[accel][dma][checkpoint]") {
    Bench b;
    b.run([&] {
        DmaCommand c = load(0x1010, 3, 100, 300, 256);
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        REQUIRE(b.send(c, delay) == tlm::TLM_OK_RESPONSE);
        StateWriter image;
        b.dma.save_state(image);
        const DmaCounters saved = b.dma.counters();
        REQUIRE(saved.read_bytes == 300);
        REQUIRE(b.send(c, delay) == tlm::TLM_OK_RESPONSE);  // moves on past the image
        REQUIRE(b.dma.counters().read_bytes == 600);
        StateReader r(image.data(), "dma");
        b.dma.restore_state(r);
        r.expect_end();
        CHECK(b.dma.counters().read_bytes == saved.read_bytes);
        CHECK(b.dma.counters().read_bursts == saved.read_bursts);
        CHECK(b.dma.counters().write_bytes == saved.write_bytes);
        REQUIRE(b.send(c, delay) == tlm::TLM_OK_RESPONSE);
        CHECK(b.dma.counters().read_bytes == 600);
        CHECK(b.dma.counters().read_bursts == 2 * saved.read_bursts);
    });
}
