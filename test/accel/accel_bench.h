// Test bench of the accelerator tests: a plain TLM initiator (no CPU), a Router, the real Memory as DRAM
// and the Accelerator, wired as in the platform (registers at TRAINVP_ACCEL_BASE, DRAM at TRAINVP_DRAM_BASE,
// the accelerator's DMA on the same router). Helpers write tensors, submit descriptors through the ring and
// wait for the interrupt.
#pragma once

#include <catch2/catch.hpp>

#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <systemc>
#include <vector>

#include "accel/accel_desc.h"
#include "accel/accel_format.h"
#include "accel/accel_regs.h"
#include "accel/accel_stats.h"
#include "accel/accelerator.h"
#include "bus/router.h"
#include "hw/memory_map.h"
#include "mem/memory.h"
#include "mem/tlm_test_initiator.h"

namespace trainvp::test {

constexpr uint64_t kDram = TRAINVP_DRAM_BASE;
constexpr uint64_t kRegs = TRAINVP_ACCEL_BASE;
constexpr uint64_t kRing = kDram + 0x1000;  // 64 descriptors
constexpr uint32_t kRingSize = 64;
constexpr uint64_t kHeap = kDram + 0x10000;

inline AcceleratorConfig small_buffers(uint64_t bytes = 2048) {
    AcceleratorConfig c;
    c.weight_buffer.capacity_bytes = c.activation_buffer.capacity_bytes = c.gradient_buffer.capacity_bytes =
        bytes;
    return c;
}

inline MemoryConfig dram_config(uint64_t size = 16u << 20) {
    MemoryConfig m;
    m.size_bytes = size;
    m.read_latency_ns = 20;
    m.write_latency_ns = 20;
    m.bytes_per_ns = 8;
    return m;
}

struct AccelBench {
    TestInitiator cpu;
    Router bus;
    Memory mem;
    Accelerator acc;
    sc_core::sc_signal<bool> irq;
    uint64_t heap = kHeap;
    uint32_t tail = 0;

    // `prefix` names the modules, so that several benches can share one simulation.
    explicit AccelBench(const AcceleratorConfig& cfg = {}, const MemoryConfig& mcfg = dram_config(),
                        bool map_dram = true, const std::string& prefix = "",
                        const AcceleratorParts& parts = {})
        : cpu((prefix + "cpu").c_str()),
          bus((prefix + "bus").c_str()),
          mem((prefix + "dram").c_str(), mcfg),
          acc((prefix + "accel").c_str(), cfg, parts),
          irq((prefix + "irq").c_str()) {
        cpu.socket.bind(bus.bus_in);
        acc.dma_out.bind(bus.bus_in);
        if (map_dram) bus.map(mem.bus_in, {kDram, mcfg.size_bytes}, "dram");
        bus.map(acc.regs_in, {kRegs, TRAINVP_ACCEL_SIZE}, "accel");
        acc.irq.bind(irq);
    }

    void run(std::function<void()> body) {
        cpu.body = std::move(body);
        sc_core::sc_start();
        REQUIRE(cpu.body_finished);
    }

    // Register access from the test thread.
    uint32_t reg(uint32_t offset) {
        tlm::tlm_response_status s;
        const uint32_t v = cpu.read32(kRegs + offset, &s);
        REQUIRE(s == tlm::TLM_OK_RESPONSE);
        return v;
    }
    void set_reg(uint32_t offset, uint32_t value) {
        REQUIRE(cpu.write32(kRegs + offset, value) == tlm::TLM_OK_RESPONSE);
    }

    void setup_ring(uint32_t irq_enable = ACCEL_IRQ_DONE | ACCEL_IRQ_ERROR) {
        set_reg(ACCEL_REG_RING_BASE, static_cast<uint32_t>(kRing));
        set_reg(ACCEL_REG_RING_SIZE, kRingSize);
        set_reg(ACCEL_REG_IRQ_ENABLE, irq_enable);
        tail = 0;
    }

    uint32_t alloc(uint64_t bytes) {
        const uint64_t a = heap;
        heap += (bytes + 63) & ~uint64_t{63};
        REQUIRE(heap < kDram + mem.size());
        return static_cast<uint32_t>(a);
    }
    uint32_t put(const std::vector<float>& v, const num::Format& fmt) {
        std::vector<uint8_t> bytes(v.size() * accel::container_bytes(fmt));
        accel::pack_tensor(v.data(), v.size(), fmt, bytes.data());
        const uint32_t a = alloc(bytes.size());
        mem.write(a - kDram, bytes.data(), bytes.size());
        return a;
    }
    uint32_t put_bytes(const void* p, size_t n) {
        const uint32_t a = alloc(n);
        mem.write(a - kDram, p, n);
        return a;
    }
    std::vector<float> get(uint32_t addr, size_t n, const num::Format& fmt) {
        std::vector<uint8_t> bytes(n * accel::container_bytes(fmt));
        mem.read(addr - kDram, bytes.data(), bytes.size());
        std::vector<float> v(n);
        accel::unpack_tensor(bytes.data(), n, fmt, v.data());
        return v;
    }

    // Writes `d` into the next ring slot with TLM writes (as firmware would), rings the doorbell, waits for
    // the interrupt and returns IRQ_STATUS (cleared afterwards).
    uint32_t submit(accel_desc d, bool irq_on_done = true) {
        if (irq_on_done) d.flags |= ACCEL_FLAG_IRQ_ON_DONE;
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        REQUIRE(cpu.write(kRing + uint64_t{tail} * ACCEL_DESC_BYTES, &d, sizeof d, delay) ==
                tlm::TLM_OK_RESPONSE);
        tail = (tail + 1) % kRingSize;
        set_reg(ACCEL_REG_DOORBELL, 1);
        return wait_irq();
    }
    uint32_t wait_irq() {
        // The irq output follows IRQ_STATUS one delta later, so look at the status, not at the line's level.
        uint32_t status;
        while ((status = reg(ACCEL_REG_IRQ_STATUS)) == 0) sc_core::wait(irq.value_changed_event());
        if (!irq.read()) sc_core::wait(irq.posedge_event());  // raised in this delta by a register write
        REQUIRE(irq.read());
        set_reg(ACCEL_REG_IRQ_STATUS, status);
        return status;
    }
};

inline uint16_t code(const num::Format& f) {
    uint16_t c = 0;
    REQUIRE(accel::code_from_format(f, c));
    return c;
}

// Random values representable in `fmt`, roughly in [-range, range].
inline std::vector<float> random_values(std::mt19937& rng, size_t n, const num::Format& fmt,
                                        double range = 2.0) {
    std::uniform_real_distribution<double> u(-range, range);
    std::vector<float> v(n);
    num::Format f = fmt;
    if (f.rounding == num::Rounding::stochastic) f.rounding = num::Rounding::nearest_even;
    for (auto& x : v) x = num::quantize(static_cast<float>(u(rng)), f);
    return v;
}

inline bool bit_equal(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace trainvp::test
