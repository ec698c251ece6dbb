// Phase -> GEMM mapping, and the LeNet-5 ideal-bandwidth table of docs/accelerator-timing.md.
#include <catch2/catch.hpp>

#include "accel/gemm_mapping.h"
#include "common/error.h"
#include "kernels/conv2d.h"

using namespace trainvp;
using namespace trainvp::timing;

namespace {

LayerShape conv(uint32_t ci, uint32_t rows, uint32_t co, uint32_t k, uint32_t stride = 1, uint32_t pad = 0) {
    LayerShape l;
    l.in_channels = ci, l.in_rows = rows, l.in_cols = rows;
    l.out_channels = co, l.kernel = k, l.stride = stride, l.pad = pad;
    return l;
}

LayerShape fc(uint32_t in, uint32_t out) {
    LayerShape l;
    l.fc_in = in, l.fc_out = out;
    return l;
}

ArrayConfig array16(Dataflow d) {
    ArrayConfig cfg;
    cfg.dataflow = d;
    return cfg;
}

uint64_t ideal_cycles(Phase p, const LayerShape& l, Dataflow d) {
    return phase_timing(p, l, 1, array16(d), TimingParams::ideal(), BufferBandwidth::ideal())
        .total.total_cycles;
}

}  // namespace

TEST_CASE("mapping: convolution phases are the kernels' im2col GEMMs") {
    // 2 x 9 x 9 input, 3 filters of 3 x 3, stride 2, pad 1, batch 4: 5 x 5 outputs.
    const LayerShape l = conv(2, 9, 3, 3, 2, 1);
    kern::Conv2dShape k;
    k.in_channels = 2, k.in_rows = 9, k.in_cols = 9, k.out_channels = 3, k.kernel = 3, k.stride = 2,
    k.pad = 1;
    const uint64_t pixels = uint64_t{k.out_rows()} * k.out_cols() * 4;
    REQUIRE(pixels == 100);

    const PhaseWork fwd = phase_work(Phase::conv_forward, l, 4);
    REQUIRE(fwd.gemms.size() == 1);
    CHECK(fwd.gemms[0].m == 3);
    CHECK(fwd.gemms[0].k == k.patch_size());
    CHECK(fwd.gemms[0].n == pixels);
    CHECK(fwd.gemms[0].accumulate);  // bias preload
    CHECK(fwd.gemms[0].macs() == uint64_t{k.out_size()} * k.patch_size() * 4);

    // The compact GEMMs: the array skips the stride zeros (see "mapping: stride zeros" for the dense ones).
    const PhaseWork bwd = phase_work(Phase::conv_backward_data, l, 4, {}, true);
    REQUIRE(bwd.gemms.size() == 1);
    CHECK(bwd.gemms[0].m == k.patch_size());
    CHECK(bwd.gemms[0].k == 3);
    CHECK(bwd.gemms[0].n == pixels);
    REQUIRE(bwd.vector_ops.size() == 1);  // col2im
    CHECK(bwd.vector_ops[0].ops == k.patch_size() * pixels);

    const PhaseWork wg = phase_work(Phase::conv_weight_grad, l, 4, {}, true);
    REQUIRE(wg.gemms.size() == 1);
    CHECK(wg.gemms[0].m == 3);
    CHECK(wg.gemms[0].n == k.patch_size() + 1);  // bias gradient as a column of ones
    CHECK(wg.gemms[0].k == pixels);
    CHECK_FALSE(wg.gemms[0].accumulate);
}

TEST_CASE("mapping: fully connected phases, and bias off") {
    LayerShape l = fc(400, 120);
    const PhaseWork fwd = phase_work(Phase::fc_forward, l, 8);
    CHECK(fwd.gemms[0].m == 120);
    CHECK(fwd.gemms[0].n == 8);
    CHECK(fwd.gemms[0].k == 400);
    const PhaseWork bwd = phase_work(Phase::fc_backward_data, l, 8);
    CHECK(bwd.gemms[0].m == 400);
    CHECK(bwd.gemms[0].n == 8);
    CHECK(bwd.gemms[0].k == 120);
    l.bias = false;
    const PhaseWork wg = phase_work(Phase::fc_weight_grad, l, 8);
    CHECK(wg.gemms[0].m == 120);
    CHECK(wg.gemms[0].n == 400);
    CHECK(wg.gemms[0].k == 8);
    CHECK_FALSE(phase_work(Phase::fc_forward, l, 8).gemms[0].accumulate);
}

TEST_CASE("mapping: element-wise phases run on the columns") {
    LayerShape pool = conv(6, 28, 6, 2, 2);
    const LayerTiming pf = phase_timing(Phase::pool_forward, pool, 2, array16(Dataflow::output_stationary),
                                        TimingParams::ideal(), BufferBandwidth::ideal());
    REQUIRE(pf.work.vector_ops.size() == 1);
    CHECK(pf.work.vector_ops[0].ops == 6 * 14 * 14 * 2 * 4);  // outputs x window
    CHECK(pf.total.total_cycles == 6 * 14 * 14 * 2 * 4 / 16);
    const PhaseWork pb = phase_work(Phase::pool_backward, pool, 2);
    CHECK(pb.vector_ops[0].ops == 6 * 28 * 28 * 2);

    LayerShape act = conv(16, 10, 16, 1);
    CHECK(phase_work(Phase::activation_forward, act, 3).vector_ops[0].ops == 1600 * 3);
    CHECK(phase_work(Phase::activation_backward, act, 3).vector_ops[0].ops == 1600 * 3);
    LayerShape logits = conv(10, 1, 10, 1);
    CHECK(phase_work(Phase::loss_grad, logits, 5).vector_ops[0].ops == 4 * 10 * 5);
    LayerShape params;
    params.elements = 1000;
    CHECK(phase_work(Phase::sgd_update, params, 7).vector_ops[0].ops == 3000);
    CHECK(phase_work(Phase::dma_convert, params, 7).vector_ops[0].ops == 1000);
    params.elements = 0;
    CHECK(phase_work(Phase::sgd_update, params, 1).vector_ops.empty());
}

TEST_CASE("mapping: impossible layer shapes are user errors naming the phase") {
    CHECK_THROWS_AS(phase_work(Phase::conv_forward, conv(1, 3, 1, 5), 1), UserError);
    CHECK_THROWS_AS(phase_work(Phase::fc_forward, fc(0, 3), 1), UserError);
    CHECK_THROWS_AS(phase_work(Phase::fc_forward, fc(3, 3), 0), UserError);
    LayerShape padded_pool = conv(1, 8, 1, 2, 2, 1);
    CHECK_THROWS_WITH(phase_work(Phase::pool_forward, padded_pool, 1), Catch::Contains("pool_forward"));
}

// The table in docs/accelerator-timing.md "LeNet-5 on a 16 x 16 array" (batch 1, ideal bandwidth, no
// overheads). Hand check of conv1 forward, output stationary: Sr = M = 6, Sc = N = 784, T = K = 25: one row
// fold, 49 column folds: 2 * 49 * 6 + 784 + 49 * (25 - 2) = 2499. Weight stationary: Sr = K = 25,
// Sc = M = 6, T = N = 784: 2 row folds: 2 * 25 + 2 * 6 + 2 * (784 - 2) = 1626.
TEST_CASE("LeNet-5 forward, backward-data and weight-gradient cycles on a 16 x 16 array") {
    struct Row {
        Phase phase;
        LayerShape layer;
        uint64_t macs, os, ws, is;
    };
    const LayerShape c1 = conv(1, 32, 6, 5), c2 = conv(6, 14, 16, 5);
    const LayerShape f1 = fc(400, 120), f2 = fc(120, 84), f3 = fc(84, 10);
    const Row rows[] = {
        {Phase::conv_forward, c1, 117600, 2499, 1626, 4410},
        {Phase::conv_forward, c2, 240000, 1360, 1440, 4080},
        {Phase::fc_forward, f1, 48000, 3432, 9200, 3775},
        {Phase::fc_forward, f2, 10080, 882, 2064, 904},
        {Phase::fc_forward, f3, 840, 103, 222, 222},
        {Phase::conv_backward_data, c2, 240000, 4080, 1450, 1360},
        {Phase::fc_backward_data, f1, 48000, 3775, 9000, 3432},
        {Phase::fc_backward_data, f2, 10080, 904, 2016, 882},
        {Phase::fc_backward_data, f3, 840, 222, 198, 103},
        {Phase::conv_weight_grad, c1, 122304, 1614, 3038, 4802},
        {Phase::conv_weight_grad, c2, 241600, 1451, 1355, 4037},
        {Phase::fc_weight_grad, f1, 48120, 9240, 3328, 3521},
        {Phase::fc_weight_grad, f2, 10164, 2022, 810, 793},
        {Phase::fc_weight_grad, f3, 850, 199, 95, 145},
    };
    for (const Row& r : rows) {
        INFO(phase_name(r.phase) << " " << r.macs);
        const PhaseWork w = phase_work(r.phase, r.layer, 1);
        REQUIRE(w.gemms.size() == 1);
        CHECK(w.gemms[0].macs() == r.macs);
        const auto gemm_cycles = [&](Dataflow d) {
            return analytic_gemm(w.gemms[0], array16(d), TimingParams::ideal(), BufferBandwidth::ideal())
                .compute_cycles;
        };
        CHECK(gemm_cycles(Dataflow::output_stationary) == r.os);
        CHECK(gemm_cycles(Dataflow::weight_stationary) == r.ws);
        CHECK(gemm_cycles(Dataflow::input_stationary) == r.is);
    }
    // The forward GEMM phases have no vector part, so the phase total is the GEMM.
    CHECK(ideal_cycles(Phase::conv_forward, c1, Dataflow::output_stationary) == 2499);
    CHECK(ideal_cycles(Phase::fc_forward, f3, Dataflow::weight_stationary) == 222);
}

TEST_CASE("mapping: stride zeros of the backward passes, dense and skipped") {
    // A stride-s convolution's backward passes on a dense array are the stride-1 convolution's on the error
    // map dilated with zeros: (H + 2 pad - k + 1)^2 positions per sample and channel instead of Ho^2.
    struct Case {
        uint32_t rows, k, stride, pad, dilated, real;
    };
    // 32 x 32, 3 x 3, pad 1, stride 2: 32^2 dilated, 16^2 real (1/4); 14 x 14, 3 x 3, stride 3: 12^2 and 4^2
    // (1/9, with two trailing rows and columns of zeros); 9 x 9, 3 x 3, stride 2, pad 1: 9^2 and 5^2.
    const Case cases[] = {{32, 3, 2, 1, 32 * 32, 16 * 16},
                          {14, 3, 3, 0, 12 * 12, 4 * 4},
                          {9, 3, 2, 1, 81, 25},
                          {10, 5, 1, 0, 36, 36}};
    for (const Case& c : cases) {
        const LayerShape l = conv(2, c.rows, 3, c.k, c.stride, c.pad);
        const uint32_t batch = 4;
        CHECK(uint64_t{l.out_rows()} * l.out_cols() == c.real);
        CHECK(backward_positions(c.rows, c.rows, c.k, c.stride, c.pad, false) == c.dilated);
        CHECK(backward_positions(c.rows, c.rows, c.k, c.stride, c.pad, true) == c.real);
        for (bool skip : {false, true}) {
            const uint64_t positions = uint64_t{skip ? c.real : c.dilated} * batch;
            const PhaseWork bwd = phase_work(Phase::conv_backward_data, l, batch, {}, skip);
            CHECK(bwd.gemms[0].m == 2u * c.k * c.k);
            CHECK(bwd.gemms[0].n == positions);
            CHECK(bwd.gemms[0].k == 3);
            CHECK(bwd.vector_ops[0].ops == 2u * c.k * c.k * positions);  // col2im of the dense dcol
            const PhaseWork wg = phase_work(Phase::conv_weight_grad, l, batch, {}, skip);
            CHECK(wg.gemms[0].m == 3);
            CHECK(wg.gemms[0].n == 2u * c.k * c.k + 1);
            CHECK(wg.gemms[0].k == positions);
            // Forward never changes.
            CHECK(phase_work(Phase::conv_forward, l, batch, {}, skip).gemms[0].n == uint64_t{c.real} * batch);
        }
        const double saved = 1.0 - double(c.real) / c.dilated;
        const uint64_t dense =
            phase_timing(Phase::conv_weight_grad, l, batch, array16(Dataflow::output_stationary),
                         TimingParams::ideal(), BufferBandwidth::ideal(), {}, false)
                .total.total_cycles;
        const uint64_t skipped =
            phase_timing(Phase::conv_weight_grad, l, batch, array16(Dataflow::output_stationary),
                         TimingParams::ideal(), BufferBandwidth::ideal(), {}, true)
                .total.total_cycles;
        if (c.stride == 1) {
            CHECK(dense == skipped);
        } else {
            CHECK(skipped < dense);
            // Output stationary streams the reduction (K, the positions) in time: the cycles shrink nearly
            // as the MACs do.
            CHECK(1.0 - double(skipped) / dense == Approx(saved).margin(0.1));
        }
    }
    // Fully connected layers have no stride.
    LayerShape f = fc(400, 120);
    CHECK(phase_work(Phase::fc_weight_grad, f, 8, {}, false).gemms[0].macs() ==
          phase_work(Phase::fc_weight_grad, f, 8, {}, true).gemms[0].macs());
}
