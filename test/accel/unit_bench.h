// Test bench for the PE array and the vector unit on their own: the unit under test on a buffer interconnect
// with three SramBuffers (or a foreign memory in one window), a test thread that plays the controller and the
// DMA with debug accesses: for each tile of a real plan it copies the loads from a host "DRAM" image into the
// buffer slots, sends the TileCommand, and copies the stores back.
#pragma once

#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <random>
#include <vector>

#include "accel/accel_format.h"
#include "accel/buffer_interconnect.h"
#include "accel/sram_buffer.h"
#include "accel/tile_plan.h"
#include "accel_test_parts.h"

namespace trainvp::test {

constexpr uint64_t kHostBase = 0x8000'0000;

struct UnitBench {
    TestInitiator ctrl{"ctrl"}, debugger{"debugger"};
    AcceleratorConfig cfg;
    BufferInterconnect icn;
    std::unique_ptr<SramBuffer> sram[3];
    std::unique_ptr<ForeignMemory> foreign;
    std::vector<uint8_t> dram = std::vector<uint8_t>(1u << 20, 0);  // host image of DRAM at kHostBase

    // `foreign_weight`: the weight buffer is a memory without DMI that takes 40 ns per transaction.
    explicit UnitBench(const AcceleratorConfig& c, bool foreign_weight = false)
        : cfg(c), icn("interconnect", c.interconnect, c.clock_hz) {
        debugger.socket.bind(icn.debug_in);
        for (int b = 0; b < 3; ++b) {
            const auto id = static_cast<accel::BufferId>(b);
            if (b == 0 && foreign_weight) {
                foreign = std::make_unique<ForeignMemory>("weight_buffer", c.weight_buffer.capacity_bytes,
                                                          sc_core::sc_time(40, sc_core::SC_NS));
                icn.map(foreign->in, id);
                continue;
            }
            sram[b] = std::make_unique<SramBuffer>((std::string(accel::buffer_name(id)) + "_buffer").c_str(),
                                                   c.buffer(id), c.clock_hz);
            icn.map(sram[b]->in, id);
        }
    }
    // The unit under test binds `ctrl` to its cmd_in and its buffers_out to `icn.in`.

    void run(std::function<void()> body) {
        ctrl.body = std::move(body);
        sc_core::sc_start();
        REQUIRE(ctrl.body_finished);
    }

    uint32_t put(const void* p, size_t n, uint64_t& heap) {
        const uint64_t a = heap;
        std::memcpy(dram.data() + (a - kHostBase), p, n);
        heap += (n + 63) & ~uint64_t{63};
        return static_cast<uint32_t>(a);
    }

    void move(const accel::DmaMove& m, bool load) {
        for (uint32_t r = 0; r < m.rows; ++r) {
            uint8_t* host = dram.data() + (m.dram_address - kHostBase + r * m.dram_stride);
            const uint64_t buf = accel::buffer_address(m.buffer, m.buffer_offset + r * m.row_bytes);
            const unsigned n = static_cast<unsigned>(m.row_bytes);
            REQUIRE(debugger.debug(load ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, buf, host, n) == n);
        }
    }

    // Runs every tile of `op`'s plan; returns the unit's response for the first failing tile (or OK).
    tlm::tlm_response_status execute(const accel::DecodedOp& op, accel::TilePlan& plan,
                                     std::vector<accel::TileCommand>& replies, sc_core::sc_time& delay) {
        std::string why;
        REQUIRE(accel::plan_tiles(op, cfg, plan, why));
        for (const accel::Tile& t : plan.tiles) {
            for (uint32_t i = 0; i < t.load_count; ++i) move(t.loads[i], true);
            accel::TileCommand cmd;
            cmd.op = &op;
            cmd.tile = &t;
            const tlm::tlm_response_status s = send_command(ctrl.socket, cmd, delay);
            replies.push_back(cmd);
            if (s != tlm::TLM_OK_RESPONSE) return s;
            for (uint32_t i = 0; i < t.store_count; ++i) move(t.stores[i], false);
        }
        return tlm::TLM_OK_RESPONSE;
    }

    std::vector<float> values(uint32_t addr, size_t n, const num::Format& f) const {
        std::vector<float> v(n);
        accel::unpack_tensor(dram.data() + (addr - kHostBase), n, f, v.data());
        return v;
    }
    uint32_t put_values(const std::vector<float>& v, const num::Format& f, uint64_t& heap) {
        std::vector<uint8_t> bytes(v.size() * accel::container_bytes(f));
        accel::pack_tensor(v.data(), v.size(), f, bytes.data());
        return put(bytes.data(), bytes.size(), heap);
    }
};

inline AcceleratorConfig unit_config(uint64_t buffer_bytes) {
    AcceleratorConfig c;
    c.weight_buffer.capacity_bytes = c.activation_buffer.capacity_bytes = c.gradient_buffer.capacity_bytes =
        buffer_bytes;
    c.dram_base = kHostBase;
    c.dram_size = 1u << 20;
    return c;
}

inline uint16_t code_of(const num::Format& f) {
    uint16_t c = 0;
    REQUIRE(accel::code_from_format(f, c));
    return c;
}

inline std::vector<float> random_tensor(std::mt19937& rng, size_t n, const num::Format& f, double range) {
    std::uniform_real_distribution<double> u(-range, range);
    num::Format g = f;
    if (g.rounding == num::Rounding::stochastic) g.rounding = num::Rounding::nearest_even;
    std::vector<float> v(n);
    for (float& x : v) x = num::quantize(static_cast<float>(u(rng)), g);
    return v;
}

inline bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace trainvp::test
