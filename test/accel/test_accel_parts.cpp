// Replacing the accelerator's parts (AcceleratorParts): a foreign weight buffer, a recording PE array, and
// a weight bit flipped in the weight buffer between its DMA and its tile's compute, which shows that the
// PE array computes from what the buffer holds.
#include <algorithm>
#include <functional>
#include <memory>

#include "accel/accel_op.h"
#include "accel/accel_protocol.h"
#include "accel/pe_array.h"
#include "accel/tile_plan.h"
#include "accel_bench.h"
#include "accel_test_parts.h"
#include "common/state_io.h"
#include "kernels/conv2d.h"

using namespace trainvp;
using namespace trainvp::test;

namespace {

struct Conv {
    kern::Conv2dShape s{3, 12, 12, 8, 3, 1, 1};
    uint32_t N = 4;
    num::Format fx = num::Format::parse("fx16.10"), fw = num::Format::parse("fx16.12"),
                fy = num::Format::parse("fx16.8");
    std::vector<float> x, w, b;
    Conv() {
        std::mt19937 rng(21);
        x = random_values(rng, N * s.in_size(), fx);
        w = random_values(rng, s.weight_count(), fw, 0.5);
        b = random_values(rng, s.out_channels, fw, 0.5);
    }
    accel_desc desc(AccelBench& bench) const {
        accel_desc d{};
        d.opcode = ACCEL_OP_CONV_FWD;
        d.flags = ACCEL_FLAG_HAS_BIAS;
        d.layer_id = 1;
        d.batch = N, d.in_channels = s.in_channels, d.in_rows = s.in_rows, d.in_cols = s.in_cols;
        d.out_channels = s.out_channels, d.kernel = s.kernel, d.stride = s.stride, d.pad = s.pad;
        d.fmt[ACCEL_OPND_X] = code(fx), d.fmt[ACCEL_OPND_W] = code(fw), d.fmt[ACCEL_OPND_Y] = code(fy);
        d.addr_x = bench.put(x, fx), d.addr_w = bench.put(w, fw), d.addr_b = bench.put(b, fw);
        d.addr_y = bench.alloc(size_t{N} * s.out_size() * 2);
        return d;
    }
    std::vector<float> golden(const std::vector<float>& weights) const {
        std::vector<float> y(N * s.out_size());
        kern::Workspace ws;
        kern::conv2d_forward(s, N, {x.data(), fx}, {weights.data(), fw}, {b.data(), fw}, {y.data(), fy, {}},
                             kern::MacContext{}, ws);
        return y;
    }
};

// A PE array that records every tile command and, before passing it to a real PeArray inside it, lets the
// test act on the buffers.
struct RecordingPeArray : sc_core::sc_module {
    tlm_utils::simple_target_socket<RecordingPeArray> cmd_in{"cmd_in"};
    tlm_utils::simple_initiator_socket<RecordingPeArray> to_array{"to_array"};
    PeArray array;
    std::vector<accel::Tile> tiles;
    std::function<void(const accel::TileCommand&)> before;

    RecordingPeArray(sc_core::sc_module_name n, const AcceleratorConfig& c)
        : sc_module(n), array("array", c) {
        cmd_in.register_b_transport(this, &RecordingPeArray::command);
        to_array.bind(array.cmd_in);
    }
    void command(tlm::tlm_generic_payload& t, sc_core::sc_time& delay) {
        if (const auto* cmd = t.get_extension<accel::TileCommand>()) {
            tiles.push_back(*cmd->tile);
            if (before) before(*cmd);
        }
        to_array->b_transport(t, delay);
    }
};

AcceleratorParts recording_parts(RecordingPeArray*& out) {
    AcceleratorParts parts;
    parts.pe_array = [&out](const char* name, const AcceleratorConfig& c) {
        auto m = std::make_unique<RecordingPeArray>(name, c);
        out = m.get();
        ComputePart p;
        p.cmd_in = &m->cmd_in;
        p.buffers_out = &m->array.buffers_out;
        p.module = std::move(m);
        return p;
    };
    return parts;
}

}  // namespace

TEST_CASE("a foreign weight buffer with extra latency gives identical results and more cycles",
          "[accel][parts]") {
    const Conv l;
    ForeignMemory* foreign = nullptr;
    AcceleratorParts parts;
    parts.buffer = [&foreign](const char* name, accel::BufferId id, const AcceleratorConfig& c) {
        BufferPart p;
        if (id != accel::BufferId::weight) return p;  // the others stay SramBuffers
        auto m = std::make_unique<ForeignMemory>(name, c.weight_buffer.capacity_bytes,
                                                 sc_core::sc_time(200, sc_core::SC_NS));
        foreign = m.get();
        p.in = &m->in;
        p.module = std::move(m);
        return p;
    };
    const AcceleratorConfig cfg = small_buffers(8192);
    AccelBench ref(cfg, dram_config(), true, "ref_"), alt(cfg, dram_config(), true, "alt_", parts);
    REQUIRE(foreign);
    CHECK(std::string(foreign->name()) == "alt_accel.weight_buffer");
    std::vector<float> y_ref, y_alt;
    uint64_t c_ref = 0, c_alt = 0;
    auto body = [&l](AccelBench& b, std::vector<float>& y, uint64_t& cycles) {
        return [&l, &b, &y, &cycles] {
            b.setup_ring();
            const accel_desc d = l.desc(b);
            REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
            y = b.get(d.addr_y, size_t{l.N} * l.s.out_size(), l.fy);
            cycles = b.acc.stats().last()->stats.cycles;
        };
    };
    ref.cpu.body = body(ref, y_ref, c_ref);
    alt.cpu.body = body(alt, y_alt, c_alt);
    sc_core::sc_start();
    REQUIRE(ref.cpu.body_finished);
    REQUIRE(alt.cpu.body_finished);
    CHECK(bit_equal(y_ref, l.golden(l.w)));
    CHECK(bit_equal(y_alt, y_ref));
    CHECK(foreign->transactions > 0);  // the DMA and the PE array really used it
    CHECK(c_alt > c_ref);
}

TEST_CASE("a recording PE array sees the exact tile commands of a conv layer, in plan order",
          "[accel][parts]") {
    const Conv l;
    RecordingPeArray* rec = nullptr;
    const AcceleratorConfig cfg = small_buffers(4096);
    AccelBench b(cfg, dram_config(), true, "", recording_parts(rec));
    REQUIRE(rec);
    CHECK(std::string(rec->name()) == "accel.pe_array");
    b.run([&] {
        b.setup_ring();
        const accel_desc d = l.desc(b);
        const uint64_t desc_addr = kRing;
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        accel::DecodedOp op;
        accel::DecodeError err;
        REQUIRE(accel::decode_descriptor(d, desc_addr, cfg, op, err));
        accel::TilePlan plan;
        std::string why;
        REQUIRE(accel::plan_tiles(op, cfg, plan, why));
        REQUIRE(plan.tiles.size() > 3);
        REQUIRE(rec->tiles.size() == plan.tiles.size());
        for (size_t i = 0; i < plan.tiles.size(); ++i) {
            INFO("tile " << i);
            const accel::Tile &got = rec->tiles[i], &want = plan.tiles[i];
            CHECK(got.n0 == want.n0);
            CHECK(got.n == want.n);
            CHECK(got.c0 == want.c0);
            CHECK(got.c == want.c);
            CHECK(got.k0 == want.k0);
            CHECK(got.kc == want.kc);
            CHECK(got.first == want.first);
            CHECK(got.last == want.last);
            for (int s = 0; s < accel::kTileSlots; ++s) {
                CHECK(got.slots[s].buffer == want.slots[s].buffer);
                CHECK(got.slots[s].offset == want.slots[s].offset);
                CHECK(got.slots[s].bytes == want.slots[s].bytes);
            }
        }
        CHECK(bit_equal(b.get(d.addr_y, size_t{l.N} * l.s.out_size(), l.fy), l.golden(l.w)));
    });
}

TEST_CASE(
    "one weight bit flipped in the weight buffer after its DMA changes the output as the kernel predicts",
    "[accel][parts][dataflow]") {
    const Conv l;
    RecordingPeArray* rec = nullptr;
    AccelBench b(AcceleratorConfig{}, dram_config(), true, "", recording_parts(rec));
    TestInitiator debugger("debugger");
    debugger.socket.bind(b.acc.debug_in);
    // Weight 37 (output channel 1), bit 13 of its 16-bit container: flipped once, before the first tile.
    const size_t j = 37;
    const int bit = 13;
    bool flipped = false;
    rec->before = [&](const accel::TileCommand& cmd) {
        if (flipped) return;
        const accel::BufferSlot& s = cmd.tile->slot(accel::Opnd::w);
        REQUIRE(s.buffer == accel::BufferId::weight);
        uint16_t v = 0;
        const uint64_t addr = Accelerator::kDebugWeightBase + s.offset + 2 * j;
        REQUIRE(debugger.debug(tlm::TLM_READ_COMMAND, addr, &v, 2) == 2);
        v ^= static_cast<uint16_t>(1u << bit);
        REQUIRE(debugger.debug(tlm::TLM_WRITE_COMMAND, addr, &v, 2) == 2);
        flipped = true;
    };
    b.run([&] {
        b.setup_ring();
        const accel_desc d = l.desc(b);
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        REQUIRE(flipped);
        // The kernel on the corrupted weights: the flipped container decoded in the weight format.
        std::vector<uint8_t> bytes(l.w.size() * 2);
        accel::pack_tensor(l.w.data(), l.w.size(), l.fw, bytes.data());
        bytes[2 * j + bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
        std::vector<float> corrupted(l.w.size());
        accel::unpack_tensor(bytes.data(), corrupted.size(), l.fw, corrupted.data());
        REQUIRE(corrupted[j] != l.w[j]);
        const std::vector<float> y = b.get(d.addr_y, size_t{l.N} * l.s.out_size(), l.fy);
        CHECK(bit_equal(y, l.golden(corrupted)));
        CHECK_FALSE(bit_equal(y, l.golden(l.w)));
        // The DRAM copy of the weights is untouched: the corruption lived only in the buffer.
        CHECK(bit_equal(b.get(d.addr_w, l.w.size(), l.fw), l.w));
    });
}

// Checkpoints with a replaced part: a foreign weight buffer keeps no PartState, so the accelerator saves its
// contents through transport_dbg and writes them back the same way; the restored accelerator then computes
// the next descriptor exactly as the one it was saved from. An image with a foreign buffer does not go into
// an accelerator with a built-in one.
TEST_CASE("a checkpoint carries a foreign buffer's contents through transport_dbg",
          "[accel][parts][checkpoint]") {
    const Conv l;
    std::vector<ForeignMemory*> foreign;
    AcceleratorParts parts;
    parts.buffer = [&foreign](const char* name, accel::BufferId id, const AcceleratorConfig& c) {
        BufferPart p;
        if (id != accel::BufferId::weight) return p;
        auto m = std::make_unique<ForeignMemory>(name, c.weight_buffer.capacity_bytes,
                                                 sc_core::sc_time(20, sc_core::SC_NS));
        foreign.push_back(m.get());
        p.in = &m->in;
        p.module = std::move(m);
        return p;
    };
    const AcceleratorConfig cfg = small_buffers(8192);
    AccelBench a(cfg, dram_config(), true, "a_", parts), b(cfg, dram_config(), true, "b_", parts),
        builtin(cfg, dram_config(), true, "c_");
    REQUIRE(foreign.size() == 2);
    a.run([&] {
        a.setup_ring();
        accel_desc d = l.desc(a);
        REQUIRE(a.submit(d) == ACCEL_IRQ_DONE);
        REQUIRE(std::count(foreign[0]->mem.begin(), foreign[0]->mem.end(), 0) <
                static_cast<long>(foreign[0]->mem.size()));
        trainvp::StateWriter image;
        a.acc.save_state(image);

        trainvp::StateReader into_builtin(image.data(), "accel");
        CHECK_THROWS_WITH(builtin.acc.restore_state(into_builtin),
                          "accel: part 'weight_buffer' was saved as buffer contents, this one holds the "
                          "part's own state");

        std::vector<uint8_t> dram(a.heap - kDram);
        a.mem.read(0, dram.data(), dram.size());
        b.mem.write(0, dram.data(), dram.size());
        b.heap = a.heap;
        trainvp::StateReader r(image.data(), "accel");
        b.acc.restore_state(r);
        r.expect_end();
        CHECK(foreign[1]->mem == foreign[0]->mem);
        CHECK(foreign[1]->transactions == 0);  // written through transport_dbg, not b_transport
        b.tail = a.tail;

        d.layer_id = 2;
        d.addr_y = a.alloc(size_t{l.N} * l.s.out_size() * 2);
        b.heap = a.heap;
        d.flags |= ACCEL_FLAG_IRQ_ON_DONE;
        for (AccelBench* x : {&a, &b}) {
            sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
            REQUIRE(x->cpu.write(kRing + uint64_t{x->tail} * ACCEL_DESC_BYTES, &d, sizeof d, delay) ==
                    tlm::TLM_OK_RESPONSE);
        }
        const sc_core::sc_time t0 = sc_core::sc_time_stamp();
        a.set_reg(ACCEL_REG_DOORBELL, 1);
        b.set_reg(ACCEL_REG_DOORBELL, 1);
        sc_core::wait(a.irq.posedge_event() & b.irq.posedge_event());
        CHECK(bit_equal(b.get(d.addr_y, size_t{l.N} * l.s.out_size(), l.fy),
                        a.get(d.addr_y, size_t{l.N} * l.s.out_size(), l.fy)));
        CHECK(b.acc.stats().last()->stats.cycles == a.acc.stats().last()->stats.cycles);
        CHECK(b.acc.stats().last()->end_ns == a.acc.stats().last()->end_ns);
        CHECK(sc_core::sc_time_stamp() > t0);
        CHECK(foreign[1]->mem == foreign[0]->mem);
    });
}
