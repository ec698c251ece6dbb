// Controller alone: a test thread programs the registers; doubles stand in for the DMA engine (the ring image
// for descriptor fetches, fixed times for tile transfers), the PE array and the vector unit (fixed times).
// The controller issues each tile's loads, compute and stores in plan order to the right unit, composes the
// descriptor's time from what the units report (double buffering), raises DONE, and turns a unit's error into
// ERR_CODE / ERR_ADDR / the error interrupt without consuming the descriptor.
#include <catch2/catch.hpp>

#include <tlm_utils/simple_target_socket.h>

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "accel/accel_regs.h"
#include "accel/controller.h"
#include "common/state_io.h"
#include "mem/tlm_test_initiator.h"

using namespace trainvp;
using namespace trainvp::accel;
using trainvp::test::TestInitiator;

namespace {

constexpr uint64_t kDram = 0x8000'0000, kRing = kDram + 0x1000;
const sc_core::sc_time kLoad(100, sc_core::SC_NS), kStore(50, sc_core::SC_NS), kCompute(30, sc_core::SC_NS);

struct DmaDouble : sc_core::sc_module {
    tlm_utils::simple_target_socket<DmaDouble> cmd_in{"cmd_in"};
    std::vector<uint8_t> ring = std::vector<uint8_t>(16 * ACCEL_DESC_BYTES);
    std::vector<DmaCommand> moves;
    uint64_t fail_at = ~0ull;  // DRAM address of a load that answers with a bus error
    explicit DmaDouble(sc_core::sc_module_name n) : sc_module(n) {
        cmd_in.register_b_transport(this, &DmaDouble::cmd);
    }
    void cmd(tlm::tlm_generic_payload& t, sc_core::sc_time& delay) {
        DmaCommand* c = command_of<DmaCommand>(t);
        REQUIRE(c);
        t.set_response_status(tlm::TLM_OK_RESPONSE);
        if (c->kind == DmaCommand::Kind::fetch) {
            std::memcpy(c->data, ring.data() + (c->dram_address - kRing), c->row_bytes);
            return;  // fetches take no time here
        }
        moves.push_back(*c);
        c->bytes = uint64_t{c->rows} * c->row_bytes;
        delay += c->kind == DmaCommand::Kind::load ? kLoad : kStore;
        if (c->dram_address == fail_at) {
            c->fault_address = fail_at + 64;
            t.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
        }
    }
};

struct UnitDouble : sc_core::sc_module {
    tlm_utils::simple_target_socket<UnitDouble> cmd_in{"cmd_in"};
    std::vector<Tile> tiles;
    std::vector<uint32_t> opcodes;
    uint32_t error = ACCEL_ERR_NONE;
    explicit UnitDouble(sc_core::sc_module_name n) : sc_module(n) {
        cmd_in.register_b_transport(this, &UnitDouble::cmd);
    }
    void cmd(tlm::tlm_generic_payload& t, sc_core::sc_time& delay) {
        TileCommand* c = command_of<TileCommand>(t);
        REQUIRE(c);
        tiles.push_back(*c->tile);
        opcodes.push_back(c->op->desc.opcode);
        c->estimate.compute.cycles = 15;  // 30 ns at 500 MHz
        delay += kCompute;
        c->error = error;
        c->error_address = 0x8000'4321;
        c->why = "double";
        t.set_response_status(error ? tlm::TLM_GENERIC_ERROR_RESPONSE : tlm::TLM_OK_RESPONSE);
    }
};

AcceleratorConfig small() {
    AcceleratorConfig c;
    c.weight_buffer.capacity_bytes = c.activation_buffer.capacity_bytes = c.gradient_buffer.capacity_bytes =
        2048;
    return c;
}

struct Bench {
    TestInitiator cpu{"cpu"};
    Controller ctl;
    DmaDouble dma{"dma"};
    UnitDouble pe{"pe_array"}, vu{"vector_unit"};
    sc_core::sc_signal<bool> irq{"irq"};
    uint32_t tail = 0;
    explicit Bench(const AcceleratorConfig& c = small()) : ctl("controller", c) {
        cpu.socket.bind(ctl.regs_in);
        ctl.dma_out.bind(dma.cmd_in);
        ctl.pe_out.bind(pe.cmd_in);
        ctl.vector_out.bind(vu.cmd_in);
        ctl.irq.bind(irq);
    }
    void run(std::function<void()> body) {
        cpu.body = std::move(body);
        sc_core::sc_start();
        REQUIRE(cpu.body_finished);
    }
    uint32_t reg(uint32_t off) { return cpu.read32(off); }
    void set(uint32_t off, uint32_t v) { REQUIRE(cpu.write32(off, v) == tlm::TLM_OK_RESPONSE); }
    void setup() {
        set(ACCEL_REG_RING_BASE, static_cast<uint32_t>(kRing));
        set(ACCEL_REG_RING_SIZE, 16);
        set(ACCEL_REG_IRQ_ENABLE, ACCEL_IRQ_DONE | ACCEL_IRQ_ERROR);
    }
    uint32_t submit(accel_desc d) {
        d.flags |= ACCEL_FLAG_IRQ_ON_DONE;
        std::memcpy(dma.ring.data() + tail * ACCEL_DESC_BYTES, &d, sizeof d);
        tail = (tail + 1) % 16;
        set(ACCEL_REG_DOORBELL, 1);
        uint32_t s;
        while ((s = reg(ACCEL_REG_IRQ_STATUS)) == 0) sc_core::wait(irq.value_changed_event());
        set(ACCEL_REG_IRQ_STATUS, s);
        return s;
    }
};

accel_desc conv() {
    accel_desc d{};
    d.opcode = ACCEL_OP_CONV_FWD;
    d.batch = 4, d.in_channels = 3, d.in_rows = d.in_cols = 8, d.out_channels = 5, d.kernel = 3, d.stride = 1,
    d.pad = 1;
    d.addr_x = kDram + 0x10000, d.addr_w = kDram + 0x20000, d.addr_y = kDram + 0x30000;
    return d;  // fp32 everywhere (format code 0)
}

}  // namespace

TEST_CASE("controller runs a plan tile by tile: loads, the PE array, stores, with double-buffered time",
          "[accel][controller]") {
    Bench b;
    b.run([&] {
        b.setup();
        const accel_desc d = conv();
        const sc_core::sc_time t0 = sc_core::sc_time_stamp();
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        const sc_core::sc_time took = sc_core::sc_time_stamp() - t0;
        // The plan the controller must have followed.
        DecodedOp op;
        DecodeError err;
        REQUIRE(decode_descriptor(d, kRing, small(), op, err));
        TilePlan plan;
        std::string why;
        REQUIRE(plan_tiles(op, small(), plan, why));
        REQUIRE(plan.tiles.size() > 2);
        REQUIRE(b.pe.tiles.size() == plan.tiles.size());
        CHECK(b.vu.tiles.empty());
        size_t m = 0;
        double total = 0, prev_store = 0;
        std::vector<double> load(plan.tiles.size()), store(plan.tiles.size());
        for (size_t i = 0; i < plan.tiles.size(); ++i) {
            const Tile& t = plan.tiles[i];
            CHECK(b.pe.tiles[i].c0 == t.c0);
            CHECK(b.pe.tiles[i].k0 == t.k0);
            CHECK(b.pe.tiles[i].n0 == t.n0);
            for (uint32_t k = 0; k < t.load_count; ++k, ++m) {
                REQUIRE(m < b.dma.moves.size());
                CHECK(b.dma.moves[m].kind == DmaCommand::Kind::load);
                CHECK(b.dma.moves[m].dram_address == t.loads[k].dram_address);
                CHECK(b.dma.moves[m].buffer_address ==
                      buffer_address(t.loads[k].buffer, t.loads[k].buffer_offset));
            }
            for (uint32_t k = 0; k < t.store_count; ++k, ++m) {
                REQUIRE(m < b.dma.moves.size());
                CHECK(b.dma.moves[m].kind == DmaCommand::Kind::store);
                CHECK(b.dma.moves[m].dram_address == t.stores[k].dram_address);
            }
            load[i] = 100.0 * t.load_count;
            store[i] = 50.0 * t.store_count;
        }
        CHECK(m == b.dma.moves.size());
        // Double buffering: load_0 + sum max(compute_i, load_{i+1} + store_{i-1}) + store_last.
        const size_t n = plan.tiles.size();
        total = load[0] + store[n - 1];
        for (size_t i = 0; i < n; ++i) {
            prev_store = i ? store[i - 1] : 0.0;
            total += std::max(30.0, (i + 1 < n ? load[i + 1] : 0.0) + prev_store);
        }
        const DescriptorRecord* rec = b.ctl.stats().last();
        REQUIRE(rec);
        CHECK(rec->stats.cycles == static_cast<uint64_t>(std::ceil(total / 2.0)));
        CHECK(rec->stats.compute_cycles == 15 * n);
        CHECK(rec->stats.tiles == n);
        CHECK(took >= sc_core::sc_time(total, sc_core::SC_NS));
        CHECK(b.reg(ACCEL_REG_RING_HEAD) == 1);
    });
}

TEST_CASE("element-wise work goes to the vector unit and without double buffering times add up",
          "[accel][controller]") {
    AcceleratorConfig c = small();
    c.double_buffering = false;
    Bench b(c);
    b.run([&] {
        b.setup();
        accel_desc d{};
        d.opcode = ACCEL_OP_RELU_FWD;
        d.count = 1000;  // 4 KB of fp32 in and out: 2 tiles in a 2 KB buffer
        d.addr_x = kDram + 0x10000, d.addr_y = kDram + 0x20000;
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        CHECK(b.pe.tiles.empty());
        REQUIRE(b.vu.tiles.size() >= 2);
        CHECK(b.vu.opcodes[0] == ACCEL_OP_RELU_FWD);
        const size_t n = b.vu.tiles.size();
        CHECK(b.ctl.stats().last()->stats.cycles == (n * (100 + 30 + 50)) / 2);
    });
}

TEST_CASE("a unit's error or a DMA bus error stops the queue with its code and address",
          "[accel][controller][errors]") {
    Bench b;
    b.run([&] {
        b.setup();
        b.vu.error = ACCEL_ERR_BAD_LABEL;
        accel_desc d{};
        d.opcode = ACCEL_OP_RELU_FWD;
        d.count = 16;
        d.addr_x = kDram + 0x10000, d.addr_y = kDram + 0x20000;
        CHECK(b.submit(d) == ACCEL_IRQ_ERROR);
        CHECK(b.reg(ACCEL_REG_ERR_CODE) == ACCEL_ERR_BAD_LABEL);
        CHECK(b.reg(ACCEL_REG_ERR_ADDR) == 0x8000'4321u);
        CHECK(b.reg(ACCEL_REG_RING_HEAD) == 0);  // not consumed
        CHECK((b.reg(ACCEL_REG_STATUS) & ACCEL_STATUS_ERROR) != 0);
        b.set(ACCEL_REG_CTRL, ACCEL_CTRL_SOFT_RESET);
        b.tail = 0;
        b.setup();
        b.vu.error = ACCEL_ERR_NONE;
        b.dma.fail_at = conv().addr_w;
        CHECK(b.submit(conv()) == ACCEL_IRQ_ERROR);
        CHECK(b.reg(ACCEL_REG_ERR_CODE) == ACCEL_ERR_DMA_BUS);
        CHECK(b.reg(ACCEL_REG_ERR_ADDR) == conv().addr_w + 64);
        CHECK(b.pe.tiles.empty());  // the first tile's weight load failed before any compute
    });
}

namespace {

std::vector<uint32_t> registers(const Controller& c) {
    std::vector<uint32_t> v;
    for (uint32_t off = 0; off < ACCEL_REG_SPAN; off += 4) {
        uint32_t x = 0;
        v.push_back(c.peek_register(off, x) ? x : 0xdeadbeef);
    }
    return v;
}

// The statistics without the descriptors' absolute start and end times, and without the count of the host's
// register accesses (the bench polls IRQ_STATUS until the interrupt, as often as its timing makes it).
nlohmann::json timeless(nlohmann::json j) {
    for (auto& d : j["descriptors"]) {
        d.erase("start_ns");
        d.erase("end_ns");
    }
    j["total"]["actions"].erase("register_accesses");
    return j;
}

}  // namespace

// Checkpoints: the controller's state saved between descriptors and restored after it has moved on (an error
// with its interrupt): the registers and statistics are those saved, and the next descriptor runs exactly as
// it ran the first time from the saved state.
TEST_CASE(
    "controller state restored after it moved on runs the next descriptor as it did from the saved state",
    "[accel][controller][checkpoint]") {
    Bench b;
    b.run([&] {
        b.setup();
        REQUIRE(b.submit(conv()) == ACCEL_IRQ_DONE);
        // While a descriptor runs the state is not complete.
        std::string why;
        accel_desc running = conv();
        running.flags |= ACCEL_FLAG_IRQ_ON_DONE;
        std::memcpy(b.dma.ring.data() + b.tail * ACCEL_DESC_BYTES, &running, sizeof running);
        b.tail = (b.tail + 1) % 16;
        b.set(ACCEL_REG_DOORBELL, 1);
        CHECK_FALSE(b.ctl.quiescent(why));  // the doorbell takes effect after the register access
        CHECK(why == "the accelerator has descriptors queued (head 1, tail 2)");
        sc_core::wait(10, sc_core::SC_NS);
        CHECK_FALSE(b.ctl.quiescent(why));
        CHECK(why == "the accelerator is executing descriptor 1");
        sc_core::wait(b.irq.value_changed_event());
        CHECK_FALSE(b.ctl.quiescent(why));
        CHECK(why == "the accelerator's interrupt line is high");
        b.set(ACCEL_REG_IRQ_STATUS, ACCEL_IRQ_DONE);
        b.set(ACCEL_REG_PERF_CTRL, ACCEL_PERF_SNAPSHOT);
        b.set(ACCEL_REG_SCRATCH, 0x5eed);
        REQUIRE(b.ctl.quiescent(why));

        StateWriter image;
        b.ctl.save_state(image);
        const std::vector<uint32_t> regs0 = registers(b.ctl);
        const nlohmann::json stats0 = b.ctl.stats_json();
        const uint32_t tail0 = b.tail;
        accel_desc next = conv();
        next.layer_id = 9;
        auto run_next = [&] {
            const sc_core::sc_time t0 = sc_core::sc_time_stamp();
            REQUIRE(b.submit(next) == ACCEL_IRQ_DONE);
            return sc_core::sc_time_stamp() - t0;
        };
        const sc_core::sc_time took = run_next();
        const std::vector<uint32_t> regs1 = registers(b.ctl);
        const nlohmann::json stats1 = timeless(b.ctl.stats_json());
        REQUIRE(regs1 != regs0);

        // Move on: a bus error stops the queue and leaves the error interrupt high.
        b.dma.fail_at = conv().addr_w;
        std::memcpy(b.dma.ring.data() + b.tail * ACCEL_DESC_BYTES, &running, sizeof running);
        b.tail = (b.tail + 1) % 16;
        b.set(ACCEL_REG_DOORBELL, 1);
        sc_core::wait(b.irq.posedge_event());
        b.dma.fail_at = ~0ull;
        REQUIRE(b.reg(ACCEL_REG_ERR_CODE) == ACCEL_ERR_DMA_BUS);
        REQUIRE(registers(b.ctl) != regs0);

        StateReader r(image.data(), "controller");
        b.ctl.restore_state(r);
        r.expect_end();
        CHECK(registers(b.ctl) == regs0);
        CHECK(b.ctl.stats_json() == stats0);
        CHECK(b.ctl.quiescent(why));
        REQUIRE(b.irq.read());
        sc_core::wait(1, sc_core::SC_NS);  // the line, high for the error, follows the restored state
        CHECK_FALSE(b.irq.read());

        b.tail = tail0;
        CHECK(run_next() == took);
        CHECK(registers(b.ctl) == regs1);
        CHECK(timeless(b.ctl.stats_json()) == stats1);
    });
}

TEST_CASE("controller state with ring pointers outside the ring is refused",
          "[accel][controller][checkpoint]") {
    Bench b;
    b.run([&] {
        b.setup();
        REQUIRE(b.submit(conv()) == ACCEL_IRQ_DONE);
        StateWriter image;
        b.ctl.save_state(image);
        // RING_SIZE is the 8th word of the image, head the 9th: a head of 16 in a ring of 16.
        const uint32_t bad_head = 16;
        std::memcpy(image.data().data() + 8 * 4, &bad_head, 4);
        StateReader r(image.data(), "controller");
        CHECK_THROWS_WITH(b.ctl.restore_state(r),
                          "controller: ring pointers head 16, tail 1 outside a ring of 16");
        CHECK(b.reg(ACCEL_REG_RING_HEAD) == 1);  // unchanged
    });
}

TEST_CASE("a controller without a sparse engine refuses SPARSE_* descriptors as unknown opcodes",
          "[accel][controller][sparse]") {
    Bench b;  // sparse_out left unbound
    b.run([&] {
        b.setup();
        accel_desc d{};
        d.opcode = ACCEL_OP_SPARSE_CONFIG;
        d.addr_aux = kDram + 0x10000;
        REQUIRE(b.submit(d) == ACCEL_IRQ_ERROR);
        CHECK(b.reg(ACCEL_REG_ERR_CODE) == ACCEL_ERR_UNKNOWN_OPCODE);
        CHECK(b.reg(ACCEL_REG_ERR_ADDR) == static_cast<uint32_t>(kRing));
        CHECK(b.pe.opcodes.empty());
        CHECK(b.vu.opcodes.empty());
    });
}
