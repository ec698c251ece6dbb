// The vector unit as ETA's auxiliary core: ADD, global average pooling and the range group normalization
// (forward and backward, gamma/beta gradients) against the kernels bit for bit, through the ring in DRAM,
// with buffers large enough for one tile and small enough to split the batch (the norm's dgamma and dbeta are
// then summed across tiles in the unit); the statistics records equal what the kernel keeps; bad shapes are
// refused with SHAPE; each operation's cycles and energy actions are the vector unit's own.
#include "accel_bench.h"
#include "kernels/global_pool.h"
#include "kernels/group_norm.h"
#include "kernels/residual.h"

using namespace trainvp;
using namespace trainvp::test;

namespace {

const std::vector<num::Format>& format_pool() {
    static const std::vector<num::Format> pool = {
        num::Format{},
        num::Format::parse("fx16.10"),
        num::Format::parse("fx16.8:sr"),
        num::Format::parse("fx8.4"),
        num::Format::parse("bf16"),
        num::Format::parse("fp8e4m3"),
        num::Format::parse("fp8e5m2:sr"),
        num::Format::parse("int8@-5"),
    };
    return pool;
}

num::Format pick(std::mt19937& rng) {
    return format_pool()[rng() % format_pool().size()];
}
uint32_t rnd(std::mt19937& rng, uint32_t lo, uint32_t hi) {
    return lo + rng() % (hi - lo + 1);
}

void check_stored(AccelBench& b, uint32_t addr, const std::vector<float>& golden, const num::Format& fmt) {
    std::vector<uint8_t> expect(golden.size() * accel::container_bytes(fmt)), got(expect.size());
    accel::pack_tensor(golden.data(), golden.size(), fmt, expect.data());
    b.mem.read(addr - kDram, got.data(), got.size());
    REQUIRE(expect == got);
}

accel_desc base_desc(uint8_t opcode, std::mt19937& rng) {
    accel_desc d{};
    d.opcode = opcode;
    d.sr_seed = rng();
    d.sr_step = rng() % 100;
    d.sr_tensor[0] = 21;
    d.sr_tensor[1] = 22;
    d.sr_tensor[2] = 23;
    d.layer_id = 3;
    return d;
}

num::SrKey key(const accel_desc& d, int i) {
    return num::SrKey{d.sr_seed, d.sr_tensor[i], d.sr_step};
}

void add_trials(AccelBench& b, int trials, uint32_t seed) {
    std::mt19937 rng(seed);
    for (int t = 0; t < trials; ++t) {
        const uint32_t n = rnd(rng, 1, 900);
        const num::Format fx = pick(rng), f2 = pick(rng), fy = pick(rng);
        const auto x = random_values(rng, n, fx), x2 = random_values(rng, n, f2);
        accel_desc d = base_desc(ACCEL_OP_ADD, rng);
        d.count = n;
        d.fmt[ACCEL_OPND_X] = code(fx), d.fmt[ACCEL_OPND_G] = code(f2), d.fmt[ACCEL_OPND_Y] = code(fy);
        d.addr_x = b.put(x, fx), d.addr_g = b.put(x2, f2), d.addr_y = b.alloc(4 * n);
        INFO("trial " << t << " " << fx.to_string() << " + " << f2.to_string() << " -> " << fy.to_string());
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        std::vector<float> y(n);
        kern::add_forward(n, {x.data(), fx}, {x2.data(), f2}, {y.data(), fy, key(d, 0)});
        check_stored(b, d.addr_y, y, fy);
    }
}

// ADD with three or four addends (ADD_X3 at addr_dx, ADD_X4 at addr_dw): the golden network's sum of an
// add's inputs or of a layer's error parts, in order, in double, rounded once (kern::sum_errors).
void add_n_trials(AccelBench& b, int trials, uint32_t seed) {
    std::mt19937 rng(seed);
    for (int t = 0; t < trials; ++t) {
        const uint32_t n = rnd(rng, 1, 900), inputs = rnd(rng, 3, 4);
        const num::Format fy = pick(rng);
        num::Format f[4];
        std::vector<float> x[4];
        for (uint32_t k = 0; k < inputs; ++k) f[k] = pick(rng), x[k] = random_values(rng, n, f[k]);
        accel_desc d = base_desc(ACCEL_OP_ADD, rng);
        d.count = n;
        d.flags = ACCEL_FLAG_ADD_X3 | (inputs == 4 ? ACCEL_FLAG_ADD_X4 : 0);
        d.fmt[ACCEL_OPND_X] = code(f[0]), d.fmt[ACCEL_OPND_G] = code(f[1]), d.fmt[ACCEL_OPND_DX] = code(f[2]);
        d.addr_x = b.put(x[0], f[0]), d.addr_g = b.put(x[1], f[1]), d.addr_dx = b.put(x[2], f[2]);
        if (inputs == 4) d.fmt[ACCEL_OPND_DW] = code(f[3]), d.addr_dw = b.put(x[3], f[3]);
        d.fmt[ACCEL_OPND_Y] = code(fy), d.addr_y = b.alloc(4 * n);
        INFO("trial " << t << ": " << inputs << " addends -> " << fy.to_string());
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        std::vector<float> y(n);
        kern::In parts[4];
        for (uint32_t k = 0; k < inputs; ++k) parts[k] = kern::In{x[k].data(), f[k]};
        kern::sum_errors(n, parts, inputs, {y.data(), fy, key(d, 0)});
        check_stored(b, d.addr_y, y, fy);
    }
}

void gavgpool_trials(AccelBench& b, int trials, uint32_t seed) {
    std::mt19937 rng(seed);
    kern::Workspace ws;
    for (int t = 0; t < trials; ++t) {
        const uint32_t N = rnd(rng, 1, 4);
        const kern::GlobalPoolShape s{rnd(rng, 1, 6), rnd(rng, 1, 8), rnd(rng, 1, 8)};
        const num::Format fx = pick(rng), fy = pick(rng), fg = pick(rng), fdx = pick(rng);
        const auto x = random_values(rng, size_t{N} * s.channels * s.plane(), fx);
        const auto g = random_values(rng, size_t{N} * s.channels, fg);
        accel_desc d = base_desc(ACCEL_OP_GAVGPOOL_FWD, rng);
        d.batch = N, d.in_channels = s.channels, d.in_rows = s.rows, d.in_cols = s.cols;
        d.fmt[ACCEL_OPND_X] = code(fx), d.fmt[ACCEL_OPND_Y] = code(fy);
        d.fmt[ACCEL_OPND_G] = code(fg), d.fmt[ACCEL_OPND_DX] = code(fdx);
        d.addr_x = b.put(x, fx), d.addr_g = b.put(g, fg);
        d.addr_y = b.alloc(4 * g.size()), d.addr_dx = b.alloc(4 * x.size());
        INFO("trial " << t);
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        std::vector<float> y(g.size()), dx(x.size());
        kern::global_avgpool_forward(s, N, {x.data(), fx}, {y.data(), fy, key(d, 0)});
        check_stored(b, d.addr_y, y, fy);
        d.opcode = ACCEL_OP_GAVGPOOL_BWD;
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        kern::global_avgpool_backward(s, N, {g.data(), fg}, {dx.data(), fdx, key(d, 0)}, ws);
        check_stored(b, d.addr_dx, dx, fdx);
    }
}

// Forward and backward of random norm layers.
void norm_trials(AccelBench& b, int trials, uint32_t seed, uint32_t max_batch = 5) {
    std::mt19937 rng(seed);
    kern::Workspace ws;
    for (int t = 0; t < trials; ++t) {
        const uint32_t N = rnd(rng, 1, max_batch);
        kern::GroupNormShape s;
        s.groups = rnd(rng, 1, 3);
        s.channels = s.groups * rnd(rng, 1, 3);
        s.rows = rnd(rng, 2, 4);  // a sample must fit half a buffer: the unit normalizes whole samples
        s.cols = rnd(rng, 2, 4);
        s.scale_bits = rng() % 2 ? 0 : rnd(rng, 1, kern::GroupNormShape::kMaxScaleBits);
        const uint32_t backward = rng() % 3;  // s held fixed, through the range, or the projection
        s.range_gradient = backward == 1;
        s.projection = backward == 2;
        const num::Format fx = pick(rng), fw = pick(rng), fy = pick(rng), fg = pick(rng), fdx = pick(rng),
                          fdw = pick(rng);
        const size_t n = size_t{N} * s.size();
        const auto x = random_values(rng, n, fx, 3.0), g = random_values(rng, n, fg);
        const auto gamma = random_values(rng, s.channels, fw, 1.5), beta = random_values(rng, s.channels, fw);
        accel_desc d = base_desc(ACCEL_OP_NORM_FWD, rng);
        d.batch = N, d.in_channels = static_cast<uint16_t>(s.channels);
        d.in_rows = static_cast<uint16_t>(s.rows), d.in_cols = static_cast<uint16_t>(s.cols);
        d.out_channels = static_cast<uint16_t>(s.groups), d.kernel = static_cast<uint8_t>(s.scale_bits);
        d.fmt[ACCEL_OPND_X] = code(fx), d.fmt[ACCEL_OPND_W] = code(fw), d.fmt[ACCEL_OPND_Y] = code(fy);
        d.fmt[ACCEL_OPND_G] = code(fg), d.fmt[ACCEL_OPND_DX] = code(fdx), d.fmt[ACCEL_OPND_DW] = code(fdw);
        d.addr_x = b.put(x, fx), d.addr_w = b.put(gamma, fw), d.addr_b = b.put(beta, fw);
        d.addr_g = b.put(g, fg);
        d.addr_y = b.alloc(4 * n), d.addr_dx = b.alloc(4 * n);
        d.addr_aux = b.alloc(sizeof(accel_norm_stats) * N * s.groups);
        d.addr_dw = b.alloc(4 * s.channels), d.addr_db = b.alloc(4 * s.channels);
        INFO("trial " << t << " N " << N << " C " << s.channels << " groups " << s.groups << " scale_bits "
                      << s.scale_bits << " range " << s.range_gradient << " projection " << s.projection);
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        std::vector<float> y(n), dx(n), dgamma(s.channels), dbeta(s.channels);
        kern::GroupNormSaved saved;
        kern::group_norm_forward(s, N, {x.data(), fx}, {gamma.data(), fw}, {beta.data(), fw},
                                 {y.data(), fy, key(d, 0)}, saved, ws);
        check_stored(b, d.addr_y, y, fy);
        std::vector<accel_norm_stats> rec(N * s.groups);
        b.mem.read(d.addr_aux - kDram, rec.data(), rec.size() * sizeof rec[0]);
        for (size_t k = 0; k < rec.size(); ++k) {
            REQUIRE(std::memcmp(&rec[k].mean, &saved.mean[k], sizeof(double)) == 0);
            REQUIRE(std::memcmp(&rec[k].scale, &saved.scale[k], sizeof(double)) == 0);
            REQUIRE(rec[k].arg_max == saved.arg_max[k]);
            REQUIRE(rec[k].arg_min == saved.arg_min[k]);
        }
        d.opcode = ACCEL_OP_NORM_BWD;
        if (s.range_gradient) d.flags |= ACCEL_FLAG_NORM_RANGE_GRAD;
        if (s.projection) d.flags |= ACCEL_FLAG_NORM_PROJECT;
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        kern::group_norm_backward(s, N, {g.data(), fg}, {x.data(), fx}, {gamma.data(), fw}, saved,
                                  {dx.data(), fdx, key(d, 0)}, {dgamma.data(), fdw, key(d, 1)},
                                  {dbeta.data(), fdw, key(d, 2)}, ws);
        check_stored(b, d.addr_dx, dx, fdx);
        check_stored(b, d.addr_dw, dgamma, fdw);
        check_stored(b, d.addr_db, dbeta, fdw);
    }
}

}  // namespace

TEST_CASE("ADD equals the kernel's residual addition", "[accel][aux]") {
    AccelBench b;
    b.run([&] {
        b.setup_ring();
        add_trials(b, 12, 31);
    });
}

TEST_CASE("ADD equals the kernel when small buffers force tiling", "[accel][aux][tiling]") {
    AccelBench b(small_buffers(1024));
    b.run([&] {
        b.setup_ring();
        add_trials(b, 8, 32);
        CHECK(b.acc.stats().total().tiles > b.acc.stats().total().descriptors);
    });
}

TEST_CASE("ADD of three and four addends equals the kernels' sum, rounded once", "[accel][aux]") {
    AccelBench b;
    b.run([&] {
        b.setup_ring();
        add_n_trials(b, 12, 41);
        // 1 + 2^-30 - 1 in fp32: summed in double and rounded once it is 2^-30; two fp32 ADDs chained would
        // round 1 + 2^-30 to 1 and give 0.
        const num::Format fp32{};
        std::mt19937 rng(1);
        accel_desc d = base_desc(ACCEL_OP_ADD, rng);
        d.count = 1;
        d.flags = ACCEL_FLAG_ADD_X3;
        d.addr_x = b.put({1.0f}, fp32), d.addr_g = b.put({std::ldexp(1.0f, -30)}, fp32);
        d.addr_dx = b.put({-1.0f}, fp32), d.addr_y = b.alloc(4);
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        check_stored(b, d.addr_y, {std::ldexp(1.0f, -30)}, fp32);
    });
}

TEST_CASE("ADD of four addends equals the kernels when small buffers force tiling", "[accel][aux][tiling]") {
    AccelBench b(small_buffers(1024));
    b.run([&] {
        b.setup_ring();
        add_n_trials(b, 8, 42);
        CHECK(b.acc.stats().total().tiles > b.acc.stats().total().descriptors);
    });
}

TEST_CASE("ADD_X4 without ADD_X3, and ADD_X3 on another opcode, are refused", "[accel][aux]") {
    AccelBench b;
    b.run([&] {
        b.setup_ring();
        const num::Format fp32{};
        std::mt19937 rng(3);
        accel_desc d = base_desc(ACCEL_OP_ADD, rng);
        d.count = 4;
        d.addr_x = b.put(std::vector<float>(4, 1.0f), fp32), d.addr_g = d.addr_x, d.addr_dx = d.addr_x;
        d.addr_dw = d.addr_x, d.addr_y = b.alloc(16);
        d.flags = ACCEL_FLAG_ADD_X4;
        CHECK(b.submit(d) == ACCEL_IRQ_ERROR);
        CHECK(b.reg(ACCEL_REG_ERR_CODE) == ACCEL_ERR_BAD_ARGUMENT);
        b.set_reg(ACCEL_REG_CTRL, ACCEL_CTRL_SOFT_RESET);
        b.setup_ring();
        d.opcode = ACCEL_OP_RELU_FWD;
        d.flags = ACCEL_FLAG_ADD_X3;
        CHECK(b.submit(d) == ACCEL_IRQ_ERROR);
        CHECK(b.reg(ACCEL_REG_ERR_CODE) == ACCEL_ERR_BAD_ARGUMENT);
        b.set_reg(ACCEL_REG_CTRL, ACCEL_CTRL_SOFT_RESET);
        b.setup_ring();
        d.opcode = ACCEL_OP_ADD;  // and with both flags it runs: 1 + 1 + 1 + 1
        d.flags = ACCEL_FLAG_ADD_X3 | ACCEL_FLAG_ADD_X4;
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        check_stored(b, d.addr_y, std::vector<float>(4, 4.0f), fp32);
    });
}

TEST_CASE("global average pooling forward and backward equal the kernels", "[accel][aux]") {
    AccelBench b;
    b.run([&] {
        b.setup_ring();
        gavgpool_trials(b, 8, 33);
    });
}

TEST_CASE("global average pooling equals the kernels when small buffers force tiling",
          "[accel][aux][tiling]") {
    AccelBench b(small_buffers(1024));
    b.run([&] {
        b.setup_ring();
        gavgpool_trials(b, 8, 40);
        CHECK(b.acc.stats().total().tiles > b.acc.stats().total().descriptors);
    });
}

TEST_CASE("range group norm forward, backward and gamma/beta gradients equal the kernels",
          "[accel][aux][norm]") {
    AccelBench b;
    b.run([&] {
        b.setup_ring();
        norm_trials(b, 12, 34);
        CHECK(b.acc.stats().total().tiles == b.acc.stats().total().descriptors);
    });
}

TEST_CASE("range group norm equals the kernels when the batch is split across tiles",
          "[accel][aux][norm][tiling]") {
    AccelBench b(small_buffers(4096));
    b.run([&] {
        b.setup_ring();
        norm_trials(b, 12, 35, 16);
        // dgamma and dbeta are then sums across tiles.
        CHECK(b.acc.stats().total().tiles > b.acc.stats().total().descriptors);
    });
}

TEST_CASE("norm descriptors with bad groups, a backward flag on the forward pass or both backward flags are refused",
          "[accel][aux][norm][errors]") {
    AccelBench b;
    b.run([&] {
        b.setup_ring();
        std::mt19937 rng(36);
        const num::Format f = num::Format::parse("fx16.10");
        accel_desc d = base_desc(ACCEL_OP_NORM_FWD, rng);
        d.batch = 2, d.in_channels = 6, d.in_rows = 2, d.in_cols = 2,
        d.out_channels = 4;  // 4 does not divide 6
        for (int s : {ACCEL_OPND_X, ACCEL_OPND_W, ACCEL_OPND_Y}) d.fmt[s] = code(f);
        d.addr_x = d.addr_y = b.alloc(4 * 48);
        d.addr_w = d.addr_b = b.alloc(4 * 6);
        d.addr_aux = b.alloc(24 * 8);
        CHECK(b.submit(d) == ACCEL_IRQ_ERROR);
        CHECK(b.reg(ACCEL_REG_ERR_CODE) == ACCEL_ERR_SHAPE);
        b.set_reg(ACCEL_REG_CTRL, ACCEL_CTRL_SOFT_RESET);
        b.setup_ring();
        d.out_channels = 3;
        d.kernel = kern::GroupNormShape::kMaxScaleBits + 1;  // scale_bits out of range
        CHECK(b.submit(d) == ACCEL_IRQ_ERROR);
        CHECK(b.reg(ACCEL_REG_ERR_CODE) == ACCEL_ERR_SHAPE);
        b.set_reg(ACCEL_REG_CTRL, ACCEL_CTRL_SOFT_RESET);
        b.setup_ring();
        d.kernel = 0;
        for (uint8_t flags : {uint8_t{ACCEL_FLAG_NORM_RANGE_GRAD}, uint8_t{ACCEL_FLAG_NORM_PROJECT}}) {
            INFO("flags " << int{flags} << " on NORM_FWD");
            d.flags = flags;
            CHECK(b.submit(d) == ACCEL_IRQ_ERROR);
            CHECK(b.reg(ACCEL_REG_ERR_CODE) == ACCEL_ERR_BAD_ARGUMENT);
            b.set_reg(ACCEL_REG_CTRL, ACCEL_CTRL_SOFT_RESET);
            b.setup_ring();
        }
        d.opcode = ACCEL_OP_NORM_BWD;  // the two backward variants exclude each other
        d.flags = ACCEL_FLAG_NORM_RANGE_GRAD | ACCEL_FLAG_NORM_PROJECT;
        CHECK(b.submit(d) == ACCEL_IRQ_ERROR);
        CHECK(b.reg(ACCEL_REG_ERR_CODE) == ACCEL_ERR_BAD_ARGUMENT);
    });
}

TEST_CASE("the auxiliary operations report the vector unit's cycles and energy actions per layer and phase",
          "[accel][aux][stats]") {
    AccelBench b;
    b.run([&] {
        b.setup_ring();
        norm_trials(b, 2, 37);
        add_trials(b, 2, 38);
        gavgpool_trials(b, 2, 39);
        const auto& per_layer = b.acc.stats().per_layer();
        REQUIRE(per_layer.count(3));
        for (const char* phase : {"NORM_FWD", "NORM_BWD", "ADD", "GAVGPOOL_FWD", "GAVGPOOL_BWD"}) {
            INFO(phase);
            REQUIRE(per_layer.at(3).count(phase));
            const accel::PhaseStats& ps = per_layer.at(3).at(phase);
            CHECK(ps.descriptors == 2);
            CHECK(ps.compute_cycles > 0);
            CHECK(ps.macs == 0);  // no PE-array work
            CHECK(!ps.actions.vector_ops.empty());
            CHECK(ps.actions.update_ops.empty());
        }
        // The backward pass of the norm does more element work than its forward pass.
        CHECK(per_layer.at(3).at("NORM_BWD").compute_cycles > per_layer.at(3).at("NORM_FWD").compute_cycles);
    });
}
