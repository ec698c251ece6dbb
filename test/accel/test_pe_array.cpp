// PeArray alone (unit_bench.h): the tiles of real plans, with buffers small enough to split channels, samples
// and the reduction, give the kernels' results bit for bit; the reply carries the array model's estimate;
// a foreign buffer without DMI still works and its latency shows in the time; non-GEMM work is refused.
#include "accel/accel_op.h"
#include "accel/pe_array.h"
#include "kernels/conv2d.h"
#include "kernels/fully_connected.h"
#include "unit_bench.h"

using namespace trainvp;
using namespace trainvp::test;

namespace {

struct PeBench : UnitBench {
    PeArray pe;
    explicit PeBench(const AcceleratorConfig& c, bool foreign = false)
        : UnitBench(c, foreign), pe("pe_array", c) {
        ctrl.socket.bind(pe.cmd_in);
        pe.buffers_out.bind(icn.in);
    }
};

struct Layer {
    kern::Conv2dShape s{3, 7, 6, 4, 3, 1, 1};
    uint32_t N = 3;
    num::Format fx = num::Format::parse("fx16.10"), fw = num::Format::parse("fx16.12"),
                fy = num::Format::parse("fx16.8:sr"), fg = num::Format::parse("bf16");
    std::vector<float> x, w, b, g;
    Layer() {
        std::mt19937 rng(17);
        x = random_tensor(rng, N * s.in_size(), fx, 2);
        w = random_tensor(rng, s.weight_count(), fw, 0.5);
        b = random_tensor(rng, s.out_channels, fw, 0.5);
        g = random_tensor(rng, N * s.out_size(), fg, 1);
    }
};

// A descriptor of `phase` (0 forward, 1 backward-data, 2 weight gradient) on the bench's DRAM image.
accel::DecodedOp decode(UnitBench& b, const Layer& l, int phase, uint32_t out_addr[2]) {
    uint64_t heap = kHostBase + 0x1000;
    accel_desc d{};
    d.opcode = static_cast<uint8_t>(ACCEL_OP_CONV_FWD + phase);
    d.flags = ACCEL_FLAG_HAS_BIAS;
    d.batch = l.N, d.in_channels = l.s.in_channels, d.in_rows = l.s.in_rows, d.in_cols = l.s.in_cols;
    d.out_channels = l.s.out_channels, d.kernel = l.s.kernel, d.stride = l.s.stride, d.pad = l.s.pad;
    d.sr_seed = 9, d.sr_step = 4, d.sr_tensor[0] = 1, d.sr_tensor[1] = 2;
    d.fmt[ACCEL_OPND_X] = code_of(l.fx), d.fmt[ACCEL_OPND_W] = code_of(l.fw),
    d.fmt[ACCEL_OPND_Y] = code_of(l.fy);
    d.fmt[ACCEL_OPND_G] = code_of(l.fg), d.fmt[ACCEL_OPND_DX] = code_of(l.fy),
    d.fmt[ACCEL_OPND_DW] = code_of(l.fy);
    d.addr_x = b.put_values(l.x, l.fx, heap), d.addr_w = b.put_values(l.w, l.fw, heap);
    d.addr_b = b.put_values(l.b, l.fw, heap), d.addr_g = b.put_values(l.g, l.fg, heap);
    d.addr_y = d.addr_dx = d.addr_dw = static_cast<uint32_t>(heap);
    heap += 0x4000;
    d.addr_db = static_cast<uint32_t>(heap);
    out_addr[0] = d.addr_y, out_addr[1] = d.addr_db;
    accel::DecodedOp op;
    accel::DecodeError err;
    REQUIRE(accel::decode_descriptor(d, kHostBase, b.cfg, op, err));
    return op;
}

}  // namespace

TEST_CASE("PE array tiles of split conv phases equal the kernels bit for bit", "[accel][pe]") {
    const Layer l;
    // 1 KiB buffers force channel, sample and reduction splits (checked below); the plan is the controller's.
    PeBench b(unit_config(1024));
    b.run([&] {
        kern::Workspace ws;
        const kern::MacContext mc{};
        bool split_reduction = false;
        for (int phase = 0; phase < 3; ++phase) {
            INFO("phase " << phase);
            uint32_t out[2];
            const accel::DecodedOp op = decode(b, l, phase, out);
            accel::TilePlan plan;
            std::vector<accel::TileCommand> replies;
            sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
            REQUIRE(b.execute(op, plan, replies, delay) == tlm::TLM_OK_RESPONSE);
            CHECK(plan.tiles.size() > 2);
            uint64_t cycles = 0;
            accel::ComputeTimer timer(b.cfg);
            for (size_t i = 0; i < plan.tiles.size(); ++i) {
                if (!plan.tiles[i].first || !plan.tiles[i].last) split_reduction = true;
                const accel::TileEstimate e = accel::estimate_tile(op, plan.tiles[i], b.cfg, timer);
                CHECK(replies[i].estimate.compute.cycles == e.compute.cycles);
                CHECK(replies[i].estimate.macs == e.macs);
                cycles += e.compute.cycles;
            }
            CHECK(delay == sc_core::sc_time(2.0 * cycles, sc_core::SC_NS));  // all buffers through DMI
            const num::SrKey k0{9, 1, 4}, k1{9, 2, 4};
            if (phase == 0) {
                std::vector<float> y(l.N * l.s.out_size());
                kern::conv2d_forward(l.s, l.N, {l.x.data(), l.fx}, {l.w.data(), l.fw}, {l.b.data(), l.fw},
                                     {y.data(), l.fy, k0}, mc, ws);
                CHECK(same_bits(b.values(out[0], y.size(), l.fy), y));
            } else if (phase == 1) {
                std::vector<float> dx(l.N * l.s.in_size());
                kern::conv2d_backward_data(l.s, l.N, {l.g.data(), l.fg}, {l.w.data(), l.fw},
                                           {dx.data(), l.fy, k0}, mc, ws);
                CHECK(same_bits(b.values(out[0], dx.size(), l.fy), dx));
            } else {
                std::vector<float> dw(l.s.weight_count()), db(l.s.out_channels);
                kern::conv2d_weight_grad(l.s, l.N, {l.g.data(), l.fg}, {l.x.data(), l.fx},
                                         {dw.data(), l.fy, k0}, {db.data(), l.fy, k1}, mc, ws);
                CHECK(same_bits(b.values(out[0], dw.size(), l.fy), dw));
                CHECK(same_bits(b.values(out[1], db.size(), l.fy), db));
            }
        }
        CHECK(split_reduction);
    });
}

TEST_CASE("PE array reaches a weight buffer without DMI by b_transport and its latency adds to the time",
          "[accel][pe][foreign]") {
    const Layer l;
    PeBench b(unit_config(1024), true);
    b.run([&] {
        uint32_t out[2];
        const accel::DecodedOp op = decode(b, l, 0, out);
        accel::TilePlan plan;
        std::vector<accel::TileCommand> replies;
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        REQUIRE(b.execute(op, plan, replies, delay) == tlm::TLM_OK_RESPONSE);
        uint64_t cycles = 0;
        for (const accel::TileCommand& r : replies) cycles += r.estimate.compute.cycles;
        // One read of the weights (and one of the bias where it is preloaded) per tile: 40 ns each, plus the
        // interconnect's latency and a cycle per 64 bytes.
        CHECK(b.foreign->transactions >= plan.tiles.size());
        double access_ns = 0;
        for (uint64_t n : b.foreign->lengths) access_ns += 40.0 + 2.0 * (2 + (n + 63) / 64);
        CHECK(delay == sc_core::sc_time(2.0 * cycles + access_ns, sc_core::SC_NS));
        std::vector<float> y(l.N * l.s.out_size());
        kern::Workspace ws;
        kern::conv2d_forward(l.s, l.N, {l.x.data(), l.fx}, {l.w.data(), l.fw}, {l.b.data(), l.fw},
                             {y.data(), l.fy, num::SrKey{9, 1, 4}}, kern::MacContext{}, ws);
        CHECK(same_bits(b.values(out[0], y.size(), l.fy), y));
    });
}

TEST_CASE("PE array refuses work that is not a conv or fc phase, and transactions that are not commands",
          "[accel][pe][errors]") {
    PeBench b(unit_config(4096));
    b.run([&] {
        accel::DecodedOp op;
        op.desc.opcode = ACCEL_OP_RELU_FWD;
        op.desc_address = kHostBase + 0x40;
        accel::Tile t;
        accel::TileCommand cmd;
        cmd.op = &op;
        cmd.tile = &t;
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        CHECK(send_command(b.ctrl.socket, cmd, delay) == tlm::TLM_GENERIC_ERROR_RESPONSE);
        CHECK(cmd.error == ACCEL_ERR_UNKNOWN_OPCODE);
        CHECK(cmd.error_address == op.desc_address);
        uint32_t word = 0;
        CHECK(b.ctrl.write(0, &word, 4, delay) == tlm::TLM_COMMAND_ERROR_RESPONSE);
    });
}
