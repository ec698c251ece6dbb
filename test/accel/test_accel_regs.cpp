// Register file: reset values from the single-source table, TLM conformance of the register socket (sizes,
// alignment, byte enables, streaming, holes, debug transport), write-1-to-clear, performance counters,
// statistics and the buffers' debug view.
#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "accel/accel_protocol.h"
#include "accel_bench.h"
#include "common/state_io.h"

using namespace trainvp;
using namespace trainvp::test;

TEST_CASE("registers reset to the table's values and capabilities follow the configuration",
          "[accel][regs]") {
    AcceleratorConfig cfg;
    cfg.rows = 8, cfg.cols = 32, cfg.dataflow = Dataflow::weight_stationary;
    cfg.weight_buffer.capacity_bytes = 32768;
    AccelBench b(cfg);
    b.run([&] {
        int checked = 0;
#define CHECK_RESET(name, offset, access, reset, desc)                                                       \
    if (ACCEL_ACCESS_##access != ACCEL_ACCESS_CFG) {                                                         \
        INFO(#name);                                                                                         \
        CHECK(b.reg(offset) == static_cast<uint32_t>(ACCEL_ACCESS_##access == ACCEL_ACCESS_WO ? 0 : reset)); \
        ++checked;                                                                                           \
    }
        ACCEL_REGS(CHECK_RESET)
#undef CHECK_RESET
        CHECK(checked > 20);
        CHECK(b.reg(ACCEL_REG_ID) == ACCEL_ID_VALUE);
        CHECK(ACCEL_CAP_ARRAY_ROWS(b.reg(ACCEL_REG_CAP_ARRAY)) == 8);
        CHECK(ACCEL_CAP_ARRAY_COLS(b.reg(ACCEL_REG_CAP_ARRAY)) == 32);
        CHECK(ACCEL_CAP_DATAFLOW_ACTIVE(b.reg(ACCEL_REG_CAP_DATAFLOW)) == ACCEL_DATAFLOW_WS);
        CHECK(b.reg(ACCEL_REG_CAP_WBUF_BYTES) == 32768);
        CHECK(b.reg(ACCEL_REG_CAP_DESC_BYTES) == ACCEL_DESC_BYTES);
        CHECK(b.reg(ACCEL_REG_CAP_FORMATS) == 0x7f);
        CHECK(b.reg(ACCEL_REG_CAP_CLOCK_KHZ) == 500000);
        // Read-only registers ignore writes; RW keep them; reset restores.
        b.set_reg(ACCEL_REG_ID, 0);
        CHECK(b.reg(ACCEL_REG_ID) == ACCEL_ID_VALUE);
        b.set_reg(ACCEL_REG_SCRATCH, 0xfeedf00d);
        CHECK(b.reg(ACCEL_REG_SCRATCH) == 0xfeedf00d);
        b.set_reg(ACCEL_REG_CTRL, ACCEL_CTRL_SOFT_RESET);
        CHECK(b.reg(ACCEL_REG_SCRATCH) == 0);
    });
}

TEST_CASE("register socket follows the TLM rules", "[accel][regs][tlm]") {
    AccelBench b;
    b.run([&] {
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        uint8_t buf[8] = {};
        TestInitiator::Access a;
        a.address = kRegs + ACCEL_REG_SCRATCH;
        a.data = buf;
        a.length = 2;
        CHECK(b.cpu.transport(a, delay) == tlm::TLM_BURST_ERROR_RESPONSE);  // 16-bit access
        a.length = 8;
        CHECK(b.cpu.transport(a, delay) == tlm::TLM_BURST_ERROR_RESPONSE);  // 64-bit access
        a.length = 4;
        a.address = kRegs + ACCEL_REG_SCRATCH + 2;
        CHECK(b.cpu.transport(a, delay) == tlm::TLM_ADDRESS_ERROR_RESPONSE);  // misaligned
        a.address = kRegs + 0x0fc;
        CHECK(b.cpu.transport(a, delay) == tlm::TLM_ADDRESS_ERROR_RESPONSE);  // hole
        a.address = kRegs + 0x400;
        CHECK(b.cpu.transport(a, delay) == tlm::TLM_ADDRESS_ERROR_RESPONSE);  // beyond the register span
        const unsigned char partial[4] = {TLM_BYTE_ENABLED, 0, TLM_BYTE_ENABLED, TLM_BYTE_ENABLED};
        a.address = kRegs + ACCEL_REG_SCRATCH;
        a.command = tlm::TLM_WRITE_COMMAND;
        a.byte_enables = partial;
        a.byte_enable_length = 4;
        CHECK(b.cpu.transport(a, delay) == tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
        const unsigned char all[4] = {TLM_BYTE_ENABLED, TLM_BYTE_ENABLED, TLM_BYTE_ENABLED, TLM_BYTE_ENABLED};
        a.byte_enables = all;
        std::memcpy(buf, "\x11\x22\x33\x44", 4);
        CHECK(b.cpu.transport(a, delay) == tlm::TLM_OK_RESPONSE);
        CHECK(b.reg(ACCEL_REG_SCRATCH) == 0x44332211u);
        a.byte_enables = nullptr;
        a.byte_enable_length = 0;
        a.streaming_width = 2;
        CHECK(b.cpu.transport(a, delay) == tlm::TLM_BURST_ERROR_RESPONSE);
        CHECK(delay > sc_core::SC_ZERO_TIME);  // the accepted access added its latency

        // Debug transport: byte-wise reads of the register image, no side effects, holes stop it.
        uint8_t img[8] = {};
        CHECK(b.cpu.debug(tlm::TLM_READ_COMMAND, kRegs + ACCEL_REG_ID, img, 8) == 8);
        uint32_t id, version;
        std::memcpy(&id, img, 4);
        std::memcpy(&version, img + 4, 4);
        CHECK(id == ACCEL_ID_VALUE);
        CHECK(version == ACCEL_VERSION_VALUE);
        CHECK(b.cpu.debug(tlm::TLM_READ_COMMAND, kRegs + 0x0fc, img, 4) == 0);
        CHECK(b.cpu.debug(tlm::TLM_WRITE_COMMAND, kRegs + ACCEL_REG_SCRATCH, img, 4) == 0);
        uint32_t v = 0;
        CHECK(b.acc.peek_register(ACCEL_REG_SCRATCH, v));
        CHECK(v == 0x44332211u);
    });
}

TEST_CASE("IRQ_STATUS is write-1-to-clear and IRQ_ENABLE masks the line", "[accel][regs][irq]") {
    AccelBench b;
    b.run([&] {
        b.setup_ring(0);  // no interrupt enabled
        accel_desc nop{};
        nop.flags = ACCEL_FLAG_IRQ_ON_DONE;
        b.mem.write(kRing - kDram, &nop, sizeof nop);
        b.mem.write(kRing - kDram + ACCEL_DESC_BYTES, &nop, sizeof nop);
        b.set_reg(ACCEL_REG_DOORBELL, 2);
        sc_core::wait(sc_core::sc_time(1, sc_core::SC_US));
        CHECK(b.reg(ACCEL_REG_RING_HEAD) == 2);
        CHECK(b.reg(ACCEL_REG_IRQ_STATUS) == ACCEL_IRQ_DONE);
        CHECK_FALSE(b.irq.read());
        b.set_reg(ACCEL_REG_IRQ_ENABLE, ACCEL_IRQ_DONE);
        sc_core::wait(sc_core::sc_time(1, sc_core::SC_NS));  // the line follows within two deltas
        CHECK(b.irq.read());
        b.set_reg(ACCEL_REG_IRQ_STATUS, ACCEL_IRQ_ERROR);  // writing 1 to another bit clears nothing
        CHECK(b.reg(ACCEL_REG_IRQ_STATUS) == ACCEL_IRQ_DONE);
        b.set_reg(ACCEL_REG_IRQ_STATUS, ACCEL_IRQ_DONE);
        sc_core::wait(sc_core::sc_time(1, sc_core::SC_NS));  // the line follows within two deltas
        CHECK(b.reg(ACCEL_REG_IRQ_STATUS) == 0);
        CHECK_FALSE(b.irq.read());
        CHECK(b.reg(ACCEL_REG_STATUS) == ACCEL_STATUS_IDLE);
    });
}

TEST_CASE("performance counters, statistics JSON and the buffers' debug view", "[accel][regs][stats]") {
    AccelBench b;
    b.run([&] {
        b.setup_ring();
        const num::Format f = num::Format::parse("fx16.8");
        accel_desc d{};
        d.opcode = ACCEL_OP_FC_FWD;
        d.layer_id = 3;
        d.batch = 4, d.fc_in = 32, d.fc_out = 16;
        for (int i = 0; i < 7; ++i) d.fmt[i] = code(f);
        std::vector<float> w(32 * 16);
        for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i % 7) * 0.25f;
        d.addr_x = b.put(std::vector<float>(4 * 32, 1.0f), f);
        d.addr_w = b.put(w, f);
        d.addr_y = b.alloc(4 * 16 * 2);
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        b.set_reg(ACCEL_REG_PERF_CTRL, ACCEL_PERF_SNAPSHOT);
        auto u64 = [&](uint32_t lo) { return uint64_t{b.reg(lo)} | uint64_t{b.reg(lo + 4)} << 32; };
        CHECK(u64(ACCEL_REG_PERF_DESC_LO) == 2);
        CHECK(u64(ACCEL_REG_PERF_MACS_LO) == 2u * 4 * 32 * 16);
        CHECK(u64(ACCEL_REG_PERF_DMA_RD_LO) == 2u * (ACCEL_DESC_BYTES + 4 * 32 * 2 + 32 * 16 * 2));
        CHECK(u64(ACCEL_REG_PERF_DMA_WR_LO) == 2u * 4 * 16 * 2);
        const uint64_t cycles = u64(ACCEL_REG_PERF_CYCLES_LO);
        CHECK(cycles >= u64(ACCEL_REG_PERF_COMPUTE_LO));
        CHECK(u64(ACCEL_REG_PERF_COMPUTE_LO) > 0);
        b.set_reg(ACCEL_REG_PERF_CTRL, ACCEL_PERF_CLEAR | ACCEL_PERF_SNAPSHOT);
        CHECK(u64(ACCEL_REG_PERF_CYCLES_LO) == cycles);  // the snapshot is taken before the clear
        b.set_reg(ACCEL_REG_PERF_CTRL, ACCEL_PERF_SNAPSHOT);
        CHECK(u64(ACCEL_REG_PERF_DESC_LO) == 0);

        const nlohmann::json j = b.acc.stats_json();
        CHECK(j["total"]["descriptors"] == 2);
        CHECK(j["per_phase"]["FC_FWD"]["macs"] == 2u * 4 * 32 * 16);
        CHECK(j["per_layer"]["3"]["FC_FWD"]["descriptors"] == 2);
        CHECK(j["total"]["macs_by_format"]["fx16.8xfx16.8"] == 2u * 4 * 32 * 16);
        CHECK(j["total"]["buffers"]["weight"]["write_bytes"] == 2u * 32 * 16 * 2);
        CHECK(j["descriptors"].size() == 2);
        CHECK(j["total"]["utilisation"].get<double>() > 0.0);
        CHECK(j["total"]["utilisation"].get<double>() <= 1.0);

        // The weight buffer holds the weights the DMA brought in.
        std::vector<uint8_t> expect(w.size() * 2), got(w.size() * 2);
        accel::pack_tensor(w.data(), w.size(), f, expect.data());
        tlm::tlm_generic_payload t;
        t.set_command(tlm::TLM_READ_COMMAND);
        t.set_address(Accelerator::kDebugWeightBase);
        t.set_data_ptr(got.data());
        t.set_data_length(static_cast<unsigned int>(got.size()));
        CHECK(b.acc.debug_buffers(t) == got.size());
        CHECK(got == expect);
        t.set_address(0x3000'0000);
        CHECK(b.acc.debug_buffers(t) == 0);
    });
}

namespace {

// A buffer's whole contents through the accelerator's debug socket.
std::vector<uint8_t> buffer_contents(Accelerator& acc, accel::BufferId id) {
    std::vector<uint8_t> bytes(acc.config().buffer(id).capacity_bytes);
    tlm::tlm_generic_payload t;
    t.set_command(tlm::TLM_READ_COMMAND);
    t.set_address(accel::buffer_address(id));
    t.set_data_ptr(bytes.data());
    t.set_data_length(static_cast<unsigned int>(bytes.size()));
    REQUIRE(acc.debug_buffers(t) == bytes.size());
    return bytes;
}

}  // namespace

// A checkpoint of the accelerator between descriptors, restored into a fresh instance during the simulation
// together with a copy of DRAM: registers, performance counters, statistics and buffers are the same, and
// a descriptor started on both at the same time completes at the same time with the same results and
// statistics.
TEST_CASE("accelerator state restored into a fresh instance behaves identically", "[accel][checkpoint]") {
    AccelBench a({}, dram_config(), true, "a_"), b({}, dram_config(), true, "b_");
    a.run([&] {
        a.setup_ring();
        const num::Format f = num::Format::parse("fx16.8");
        accel_desc d{};
        d.opcode = ACCEL_OP_FC_FWD;
        d.layer_id = 3;
        d.batch = 4, d.fc_in = 32, d.fc_out = 16;
        for (int i = 0; i < 7; ++i) d.fmt[i] = code(f);
        std::vector<float> w(32 * 16);
        for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i % 7) * 0.25f;
        d.addr_x = a.put(std::vector<float>(4 * 32, 1.0f), f);
        d.addr_w = a.put(w, f);
        d.addr_y = a.alloc(4 * 16 * 2);
        REQUIRE(a.submit(d) == ACCEL_IRQ_DONE);
        REQUIRE(a.submit(d) == ACCEL_IRQ_DONE);
        a.set_reg(ACCEL_REG_PERF_CTRL, ACCEL_PERF_SNAPSHOT);
        a.set_reg(ACCEL_REG_SCRATCH, 0x5eed);

        std::string why;
        REQUIRE(a.acc.quiescent(why));
        trainvp::StateWriter image;
        a.acc.save_state(image);
        std::vector<uint8_t> dram(a.heap - kDram);
        a.mem.read(0, dram.data(), dram.size());
        b.mem.write(0, dram.data(), dram.size());
        trainvp::StateReader r(image.data(), "accel");
        b.acc.restore_state(r);
        r.expect_end();
        b.tail = a.tail;
        sc_core::wait(sc_core::SC_ZERO_TIME);

        for (uint32_t off = 0; off < ACCEL_REG_SPAN; off += 4) {
            INFO("register offset " << off);
            uint32_t va = 0, vb = 0;
            CHECK(a.acc.peek_register(off, va) == b.acc.peek_register(off, vb));
            CHECK(vb == va);
        }
        CHECK(b.acc.stats_json() == a.acc.stats_json());
        for (int id = 0; id < accel::kBufferCount; ++id) {
            INFO("buffer " << accel::buffer_name(static_cast<accel::BufferId>(id)));
            const std::vector<uint8_t> in_a = buffer_contents(a.acc, static_cast<accel::BufferId>(id));
            // The weights and activations of the last tile are still there; the gradient buffer is unused.
            if (id != static_cast<int>(accel::BufferId::gradient))
                CHECK(std::count(in_a.begin(), in_a.end(), 0) < static_cast<long>(in_a.size()));
            CHECK(buffer_contents(b.acc, static_cast<accel::BufferId>(id)) == in_a);
        }
        CHECK_FALSE(b.irq.read());

        // One more descriptor on both at once: same completion time, output and statistics.
        d.layer_id = 5;
        d.flags |= ACCEL_FLAG_IRQ_ON_DONE;
        for (AccelBench* x : {&a, &b}) {
            sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
            REQUIRE(x->cpu.write(kRing + uint64_t{x->tail} * ACCEL_DESC_BYTES, &d, sizeof d, delay) ==
                    tlm::TLM_OK_RESPONSE);
        }
        a.set_reg(ACCEL_REG_DOORBELL, 1);
        b.set_reg(ACCEL_REG_DOORBELL, 1);
        sc_core::wait(a.irq.posedge_event() & b.irq.posedge_event());
        CHECK(b.get(d.addr_y, 4 * 16, f) == a.get(d.addr_y, 4 * 16, f));
        CHECK(b.acc.stats_json() == a.acc.stats_json());
        CHECK(b.reg(ACCEL_REG_IRQ_STATUS) == a.reg(ACCEL_REG_IRQ_STATUS));
    });
}

// A checkpoint section from another layout is refused with a message, never misread: the version-1 layout of
// the accelerator as one class, a part under another name, a buffer of another size, a truncated image.
TEST_CASE("accelerator state of another layout or size is refused, naming what differs",
          "[accel][checkpoint]") {
    AcceleratorConfig smaller;
    smaller.weight_buffer.capacity_bytes = 64 * 1024;
    AccelBench a(smaller, dram_config(), true, "a_"), b({}, dram_config(), true, "b_");
    a.run([&] {
        a.setup_ring();
        trainvp::StateWriter image;
        a.acc.save_state(image);
        const std::vector<uint8_t> good = image.data();
        auto refuse = [&](const std::vector<uint8_t>& bytes) {
            trainvp::StateReader r(bytes, "accel");
            try {
                b.acc.restore_state(r);
            } catch (const trainvp::StateError& e) {
                return std::string(e.what());
            }
            return std::string("accepted");
        };

        // Version 1 began with the same word 1 and went on with the registers.
        std::vector<uint8_t> v1 = good;
        const uint32_t one = 1;
        std::memcpy(v1.data(), &one, 4);
        CHECK(refuse(v1) == "accel: accelerator state of layout version 1; this build reads version 5");

        std::vector<uint8_t> renamed = good;
        const std::string first = "controller";
        auto at = std::search(renamed.begin(), renamed.end(), first.begin(), first.end());
        REQUIRE(at != renamed.end());
        at[9] = 'x';
        CHECK(refuse(renamed) == "accel: part 'controllex' where this accelerator has 'controller'");

        CHECK(refuse(good) ==
              "accel, part 'weight_buffer': the b_accel.weight_buffer holds 65536 bytes, this "
              "one 131072");

        std::vector<uint8_t> cut(good.begin(), good.end() - 1);
        CHECK_THAT(refuse(cut), Catch::StartsWith("accel"));
        CHECK(refuse(cut) != "accepted");
    });
}
