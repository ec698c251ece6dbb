// VectorUnit alone (unit_bench.h): tiles of real plans with small buffers give the kernels' results bit for
// bit: ReLU and its mask on the stored bits (container bits above the format ignored) and through floats,
// pooling by image planes, softmax cross-entropy with the loss summed across tiles, the SGD update; and the
// unit's guest errors (a label >= classes, an argmax outside its plane) carry the right address.
#include "accel/accel_op.h"
#include "accel/vector_unit.h"
#include "kernels/activation.h"
#include "kernels/loss.h"
#include "kernels/pool.h"
#include "kernels/sgd.h"
#include "unit_bench.h"

using namespace trainvp;
using namespace trainvp::test;

namespace {

struct VuBench : UnitBench {
    VectorUnit vu;
    explicit VuBench(const AcceleratorConfig& c) : UnitBench(c), vu("vector_unit", c) {
        ctrl.socket.bind(vu.cmd_in);
        vu.buffers_out.bind(icn.in);
    }
    accel::DecodedOp decode(const accel_desc& d) {
        accel::DecodedOp op;
        accel::DecodeError err;
        REQUIRE(accel::decode_descriptor(d, kHostBase, cfg, op, err));
        return op;
    }
    tlm::tlm_response_status run_op(const accel::DecodedOp& op, std::vector<accel::TileCommand>& replies) {
        accel::TilePlan plan;
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        const tlm::tlm_response_status s = execute(op, plan, replies, delay);
        CHECK(plan.tiles.size() > 1);
        return s;
    }
};

std::vector<uint8_t> packed(const std::vector<float>& v, const num::Format& f) {
    std::vector<uint8_t> b(v.size() * accel::container_bytes(f));
    accel::pack_tensor(v.data(), v.size(), f, b.data());
    return b;
}

}  // namespace

TEST_CASE("ReLU and its mask on stored bits and through floats equal the kernels", "[accel][vector]") {
    VuBench b(unit_config(1024));
    b.run([&] {
        std::mt19937 rng(5);
        const size_t n = 700;
        for (const char* text : {"fx12.6", "fx16.10", "int8@-4", "bf16"}) {
            INFO(text);
            const num::Format f = num::Format::parse(text), fg = num::Format::parse("fx12.8");
            const std::vector<float> x = random_tensor(rng, n, f, 3), g = random_tensor(rng, n, fg, 3);
            std::vector<uint8_t> xb = packed(x, f), gb = packed(g, fg);
            // Garbage above the format's bits must be ignored, as decode() ignores it.
            if (f.total_bits == 12 || fg.total_bits == 12)
                for (size_t i = 0; i < n; i += 3) gb[2 * i + 1] |= 0xf0;
            if (f.kind == num::FormatKind::fixed && f.total_bits == 12)
                for (size_t i = 0; i < n; i += 5) xb[2 * i + 1] |= 0xa0;
            uint64_t heap = kHostBase + 0x1000;
            accel_desc d{};
            d.opcode = ACCEL_OP_RELU_FWD;
            d.count = static_cast<uint32_t>(n);
            d.fmt[ACCEL_OPND_X] = d.fmt[ACCEL_OPND_Y] = code_of(f);
            d.fmt[ACCEL_OPND_G] = d.fmt[ACCEL_OPND_DX] = code_of(fg);
            d.addr_x = b.put(xb.data(), xb.size(), heap);
            d.addr_y = static_cast<uint32_t>(heap);
            heap += 4 * n;
            std::vector<accel::TileCommand> replies;
            REQUIRE(b.run_op(b.decode(d), replies) == tlm::TLM_OK_RESPONSE);
            std::vector<float> xv(n), y(n);
            accel::unpack_tensor(xb.data(), n, f, xv.data());  // what the garbage bits decode to
            kern::relu_forward(n, xv.data(), y.data());
            const std::vector<uint8_t> expect_y = packed(y, f);
            CHECK(std::equal(expect_y.begin(), expect_y.end(), b.dram.begin() + (d.addr_y - kHostBase)));

            d.opcode = ACCEL_OP_RELU_BWD;
            d.addr_g = b.put(gb.data(), gb.size(), heap);
            d.addr_dx = static_cast<uint32_t>(heap);
            replies.clear();
            REQUIRE(b.run_op(b.decode(d), replies) == tlm::TLM_OK_RESPONSE);
            std::vector<float> gv(n), dx(n);
            accel::unpack_tensor(gb.data(), n, fg, gv.data());
            kern::relu_backward(n, y.data(), gv.data(), dx.data());
            const std::vector<uint8_t> expect_dx = packed(dx, fg);
            CHECK(std::equal(expect_dx.begin(), expect_dx.end(), b.dram.begin() + (d.addr_dx - kHostBase)));
        }
    });
}

TEST_CASE("pooling by image planes equals the kernels and an argmax outside its plane is BAD_ARGUMENT",
          "[accel][vector][pool]") {
    VuBench b(unit_config(1024));
    b.run([&] {
        std::mt19937 rng(6);
        const kern::PoolShape s{3, 8, 6, 2, 2};
        const uint32_t N = 2;
        const num::Format f = num::Format::parse("fx16.10"), fo = num::Format::parse("fx8.3:sr");
        const std::vector<float> x = random_tensor(rng, N * s.in_size(), f, 2);
        const std::vector<float> g = random_tensor(rng, N * s.out_size(), f, 2);
        uint64_t heap = kHostBase + 0x1000;
        accel_desc d{};
        d.opcode = ACCEL_OP_MAXPOOL_FWD;
        d.batch = N, d.in_channels = s.channels, d.in_rows = s.in_rows, d.in_cols = s.in_cols, d.kernel = 2,
        d.stride = 2;
        d.sr_seed = 3, d.sr_tensor[0] = 8;
        d.fmt[ACCEL_OPND_X] = d.fmt[ACCEL_OPND_Y] = d.fmt[ACCEL_OPND_G] = code_of(f);
        d.fmt[ACCEL_OPND_DX] = code_of(fo);
        d.addr_x = b.put_values(x, f, heap);
        d.addr_g = b.put_values(g, f, heap);
        d.addr_y = static_cast<uint32_t>(heap), heap += 4096;
        d.addr_aux = static_cast<uint32_t>(heap), heap += 4096;
        d.addr_dx = static_cast<uint32_t>(heap), heap += 4096;
        std::vector<accel::TileCommand> replies;
        REQUIRE(b.run_op(b.decode(d), replies) == tlm::TLM_OK_RESPONSE);
        std::vector<float> y(N * s.out_size()), dx(N * s.in_size());
        std::vector<uint32_t> am(y.size());
        kern::Workspace ws;
        kern::maxpool_forward(s, N, x.data(), y.data(), am.data());
        CHECK(same_bits(b.values(d.addr_y, y.size(), f), y));
        CHECK(std::memcmp(b.dram.data() + (d.addr_aux - kHostBase), am.data(), am.size() * 4) == 0);
        d.opcode = ACCEL_OP_MAXPOOL_BWD;
        replies.clear();
        REQUIRE(b.run_op(b.decode(d), replies) == tlm::TLM_OK_RESPONSE);
        kern::maxpool_backward(s, N, {g.data(), f}, am.data(), {dx.data(), fo, num::SrKey{3, 8, 0}}, ws);
        CHECK(same_bits(b.values(d.addr_dx, dx.size(), fo), dx));
        // Entry 17 (plane 1 of sample 0) names an element of plane 0: inside the image, outside its plane.
        uint32_t bad = 5;
        std::memcpy(b.dram.data() + (d.addr_aux - kHostBase) + 4 * 17, &bad, 4);
        replies.clear();
        REQUIRE(b.run_op(b.decode(d), replies) == tlm::TLM_GENERIC_ERROR_RESPONSE);
        CHECK(replies.back().error == ACCEL_ERR_BAD_ARGUMENT);
        CHECK(replies.back().error_address == d.addr_aux + 4 * 17);
    });
}

TEST_CASE(
    "softmax cross-entropy sums its loss across tiles as the kernel does and a bad label names its address",
    "[accel][vector][loss]") {
    VuBench b(unit_config(256));
    b.run([&] {
        std::mt19937 rng(7);
        const uint32_t N = 13, C = 7;
        const num::Format f = num::Format::parse("fx16.10"), fo = num::Format::parse("fx16.12:sr");
        const std::vector<float> z = random_tensor(rng, N * C, f, 4);
        std::vector<uint8_t> labels(N);
        for (uint8_t& l : labels) l = static_cast<uint8_t>(rng() % C);
        uint64_t heap = kHostBase + 0x1000;
        accel_desc d{};
        d.opcode = ACCEL_OP_SOFTMAX_XENT;
        d.flags = ACCEL_FLAG_LOSS_GRAD;
        d.batch = N, d.fc_out = C;
        d.sr_seed = 4, d.sr_tensor[0] = 2;
        d.fmt[ACCEL_OPND_X] = code_of(f), d.fmt[ACCEL_OPND_DX] = code_of(fo);
        d.addr_x = b.put_values(z, f, heap);
        d.addr_labels = b.put(labels.data(), N, heap);
        d.addr_aux = static_cast<uint32_t>(heap), heap += 64;
        d.addr_dx = static_cast<uint32_t>(heap), heap += 4 * N * C;
        std::vector<accel::TileCommand> replies;
        REQUIRE(b.run_op(b.decode(d), replies) == tlm::TLM_OK_RESPONSE);
        std::vector<float> dz(N * C);
        const kern::LossResult r =
            kern::softmax_cross_entropy(N, C, z.data(), labels.data(), {dz.data(), fo, {4, 2, 0}});
        accel_loss_result rec;
        std::memcpy(&rec, b.dram.data() + (d.addr_aux - kHostBase), sizeof rec);
        CHECK(std::memcmp(&rec.loss_sum, &r.loss_sum, sizeof(double)) == 0);
        CHECK(rec.correct == r.correct);
        CHECK(rec.count == N);
        CHECK(same_bits(b.values(d.addr_dx, dz.size(), fo), dz));
        b.dram[d.addr_labels - kHostBase + 9] = C;  // one past the classes
        replies.clear();
        REQUIRE(b.run_op(b.decode(d), replies) == tlm::TLM_GENERIC_ERROR_RESPONSE);
        CHECK(replies.back().error == ACCEL_ERR_BAD_LABEL);
        CHECK(replies.back().error_address == d.addr_labels + 9);
    });
}

TEST_CASE("the SGD update with momentum and weight decay over element tiles equals the kernel",
          "[accel][vector][sgd]") {
    VuBench b(unit_config(512));
    b.run([&] {
        std::mt19937 rng(8);
        const size_t n = 300;
        const num::Format fg = num::Format::parse("fx16.12"), fm = num::Format::parse("fp32"),
                          fw = num::Format::parse("fx16.14:sr");
        const std::vector<float> grad = random_tensor(rng, n, fg, 1);
        std::vector<float> master = random_tensor(rng, n, fm, 1), vel = random_tensor(rng, n, fm, 0.1);
        uint64_t heap = kHostBase + 0x1000;
        accel_desc d{};
        d.opcode = ACCEL_OP_SGD_UPDATE;
        d.count = static_cast<uint32_t>(n);
        d.batch = 4;
        d.lr = 0.05, d.momentum = 0.9, d.weight_decay = 1e-3;
        d.sr_seed = 2, d.sr_tensor[0] = 1, d.sr_tensor[1] = 2, d.sr_tensor[2] = 3;
        d.fmt[ACCEL_OPND_DW] = code_of(fg), d.fmt[ACCEL_OPND_MASTER] = code_of(fm),
        d.fmt[ACCEL_OPND_W] = code_of(fw);
        d.addr_dw = b.put_values(grad, fg, heap);
        d.addr_master = b.put_values(master, fm, heap);
        d.addr_velocity = b.put_values(vel, fm, heap);
        d.addr_w = static_cast<uint32_t>(heap), heap += 4 * n;
        std::vector<accel::TileCommand> replies;
        REQUIRE(b.run_op(b.decode(d), replies) == tlm::TLM_OK_RESPONSE);
        std::vector<float> w(n);
        kern::sgd_update(n, grad.data(), {master.data(), fm, {2, 1, 0}}, vel.data(), {2, 2, 0},
                         {w.data(), fw, {2, 3, 0}}, kern::SgdParams{0.05, 0.9, 1e-3, 4});
        CHECK(same_bits(b.values(d.addr_master, n, fm), master));
        CHECK(same_bits(b.values(d.addr_velocity, n, fm), vel));
        CHECK(same_bits(b.values(d.addr_w, n, fw), w));
    });
}
