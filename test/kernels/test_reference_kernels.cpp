// The optimised GEMM and conv kernels against straightforward loops that follow docs/numerics.md "Phases and
// their reduction orders" one product at a time, on random shapes (including the sizes of ResNet-20's
// layers, large enough for the packed GEMM path): equal bit for bit in the real domain. Operands have spread
// exponents, so another summation order changes the double accumulators (compared where the API exposes
// them: GEMM, conv forward and weight gradient); the fp32 results catch wrong indexing everywhere.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/conv2d.h"
#include "kernels/gemm.h"
#include "kernels/prng.h"

using namespace trainvp;
using namespace trainvp::kern;

namespace {

// Random floats with exponents spread over 2^-12..2^12 and random signs: sums of these round differently in
// another order.
std::vector<float> spread_floats(size_t n, uint64_t stream) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) {
        const double m = 1.0 + random_unit(777, stream, 2 * i);
        const double u = random_unit(777, stream, 2 * i + 1);
        const int e = static_cast<int>(u * 25.0) - 12;
        v[i] = static_cast<float>((u * 1e6 - std::floor(u * 1e6) < 0.5 ? -1.0 : 1.0) * std::ldexp(m, e));
    }
    return v;
}

uint32_t pick(uint64_t stream, uint64_t i, uint32_t lo, uint32_t hi) {
    return lo + static_cast<uint32_t>(random_unit(4242, stream, i) * (hi - lo + 1)) % (hi - lo + 1);
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

// x[n][c][y][x] with zero outside the image, as im2col reads it.
float at(const std::vector<float>& x, const Conv2dShape& s, uint32_t n, uint32_t c, int64_t y, int64_t xx) {
    if (y < 0 || xx < 0 || y >= s.in_rows || xx >= s.in_cols) return 0.0f;
    return x[((static_cast<size_t>(n) * s.in_channels + c) * s.in_rows + y) * s.in_cols + xx];
}

struct ConvCase {
    Conv2dShape s;
    uint32_t batch;
};

}  // namespace

TEST_CASE("gemm_accumulate equals the one-product-at-a-time loop, bit for bit, real domain") {
    const MacConfig cfg{};
    const uint32_t shapes[][3] = {{64, 64, 576}, {16, 1024, 27}, {144, 256, 32}, {576, 64, 64}, {8, 12, 257},
                                  {9, 25, 513},  {1, 13, 3},     {4, 4, 1},      {23, 49, 300}, {15, 24, 129}};
    constexpr int kShapes = sizeof shapes / sizeof shapes[0];
    for (int t = 0; t < kShapes + 6; ++t) {
        uint32_t M, N, K;
        if (t < kShapes) {
            M = shapes[t][0], N = shapes[t][1], K = shapes[t][2];
        } else {
            M = pick(t, 0, 1, 40), N = pick(t, 1, 1, 70), K = pick(t, 2, 1, 700);
        }
        const size_t lda = K + pick(t, 3, 0, 3), ldb = N + pick(t, 4, 0, 5), ldc = N + pick(t, 5, 0, 2);
        const std::vector<double> A = ktest::to_d(spread_floats(M * lda, 10 + t));
        const std::vector<double> B = ktest::to_d(spread_floats(K * ldb, 100 + t));
        std::vector<double> C = ktest::to_d(spread_floats(M * ldc, 1000 + t));
        std::vector<double> ref = C;
        for (size_t m = 0; m < M; ++m)
            for (size_t n = 0; n < N; ++n) {
                double acc = ref[m * ldc + n];
                for (size_t k = 0; k < K; ++k) acc += A[m * lda + k] * B[k * ldb + n];
                ref[m * ldc + n] = acc;
            }
        // Both register widths of the real-domain kernel (the 512-bit one where the processor has it).
        for (bool wide : {false, true}) {
            if (wide && !gemm_avx512_available()) continue;
            const bool was = gemm_use_avx512(wide);
            std::vector<double> got = C;
            gemm_accumulate(cfg, M, N, K, A.data(), lda, B.data(), ldb, got.data(), ldc, nullptr);
            gemm_use_avx512(was);
            INFO("M " << M << " N " << N << " K " << K << (wide ? ", AVX-512" : ", AVX2"));
            CHECK(same_bits(got, ref));
        }
    }
    if (!gemm_avx512_available()) WARN("no AVX-512 on this processor: only the 256-bit GEMM kernel was checked");
}

TEST_CASE("conv2d forward, backward-data and weight gradient equal reference loops, bit for bit, fp32") {
    std::vector<ConvCase> cases = {
        {Conv2dShape{16, 32, 32, 16, 3, 1, 1}, 2},  // ResNet-20 stage 1
        {Conv2dShape{16, 32, 32, 32, 3, 2, 1}, 2},  // stage transition
        {Conv2dShape{64, 8, 8, 64, 3, 1, 1}, 3},    // stage 3
        {Conv2dShape{3, 32, 32, 16, 3, 1, 1}, 1},   // stem
    };
    for (int t = 0; t < 8; ++t) {
        Conv2dShape s;
        s.kernel = pick(t, 10, 1, 4);
        s.stride = pick(t, 11, 1, 3);
        s.pad = pick(t, 12, 0, s.kernel - 1);
        s.in_channels = pick(t, 13, 1, 40);
        s.out_channels = pick(t, 14, 1, 40);
        s.in_rows = pick(t, 15, s.kernel, 20);
        s.in_cols = pick(t, 16, s.kernel, 20);
        cases.push_back({s, pick(t, 17, 1, 3)});
    }
    for (size_t t = 0; t < cases.size(); ++t) {
        const Conv2dShape& s = cases[t].s;
        const uint32_t N = cases[t].batch, OR = s.out_rows(), OC = s.out_cols(), K = s.kernel;
        const size_t P = static_cast<size_t>(OR) * OC;
        INFO("case " << t << ": " << s.in_channels << "x" << s.in_rows << "x" << s.in_cols << " -> "
                     << s.out_channels << " kernel " << K << " stride " << s.stride << " pad " << s.pad
                     << " batch " << N);
        const std::vector<float> x = spread_floats(N * s.in_size(), 20 + t);
        const std::vector<float> w = spread_floats(s.weight_count(), 30 + t);
        const std::vector<float> b = spread_floats(s.out_channels, 40 + t);
        const std::vector<float> g = spread_floats(N * s.out_size(), 50 + t);
        auto widx = [&](uint32_t co, uint32_t ci, uint32_t kh, uint32_t kw) {
            return ((static_cast<size_t>(co) * s.in_channels + ci) * K + kh) * K + kw;
        };
        auto gidx = [&](uint32_t n, uint32_t co, uint32_t oy, uint32_t ox) {
            return ((static_cast<size_t>(n) * s.out_channels + co) * OR + oy) * OC + ox;
        };
        auto iy_of = [&](uint32_t o, uint32_t k) { return static_cast<int64_t>(o) * s.stride + k - s.pad; };

        std::vector<float> y_ref(N * s.out_size()), dx_ref(N * s.in_size(), 0.0f), dw_ref(s.weight_count()),
            db_ref(s.out_channels);
        std::vector<double> y_acc_ref(y_ref.size()), dw_acc_ref(dw_ref.size());
        for (uint32_t n = 0; n < N; ++n)
            for (uint32_t co = 0; co < s.out_channels; ++co)
                for (uint32_t oy = 0; oy < OR; ++oy)
                    for (uint32_t ox = 0; ox < OC; ++ox) {
                        double acc = b[co];
                        for (uint32_t ci = 0; ci < s.in_channels; ++ci)
                            for (uint32_t kh = 0; kh < K; ++kh)
                                for (uint32_t kw = 0; kw < K; ++kw)
                                    acc += double(w[widx(co, ci, kh, kw)]) *
                                           double(at(x, s, n, ci, iy_of(oy, kh), iy_of(ox, kw)));
                        y_ref[gidx(n, co, oy, ox)] = static_cast<float>(acc);
                        y_acc_ref[gidx(n, co, oy, ox)] = acc;
                    }
        for (uint32_t n = 0; n < N; ++n)
            for (uint32_t ci = 0; ci < s.in_channels; ++ci)
                for (uint32_t iy = 0; iy < s.in_rows; ++iy)
                    for (uint32_t ix = 0; ix < s.in_cols; ++ix) {
                        double acc = 0.0;
                        for (uint32_t kh = 0; kh < K; ++kh)
                            for (uint32_t kw = 0; kw < K; ++kw) {
                                const int64_t ty = int64_t(iy) + s.pad - kh, tx = int64_t(ix) + s.pad - kw;
                                if (ty < 0 || tx < 0 || ty % s.stride || tx % s.stride) continue;
                                const uint32_t oy = ty / s.stride, ox = tx / s.stride;
                                if (oy >= OR || ox >= OC) continue;
                                double tap = 0.0;
                                for (uint32_t co = 0; co < s.out_channels; ++co)
                                    tap += double(w[widx(co, ci, kh, kw)]) * double(g[gidx(n, co, oy, ox)]);
                                acc += tap;
                            }
                        dx_ref[((static_cast<size_t>(n) * s.in_channels + ci) * s.in_rows + iy) * s.in_cols +
                               ix] = static_cast<float>(acc);
                    }
        for (uint32_t co = 0; co < s.out_channels; ++co) {
            for (uint32_t ci = 0; ci < s.in_channels; ++ci)
                for (uint32_t kh = 0; kh < K; ++kh)
                    for (uint32_t kw = 0; kw < K; ++kw) {
                        double acc = 0.0;
                        for (uint32_t n = 0; n < N; ++n)
                            for (uint32_t oy = 0; oy < OR; ++oy)
                                for (uint32_t ox = 0; ox < OC; ++ox)
                                    acc += double(g[gidx(n, co, oy, ox)]) *
                                           double(at(x, s, n, ci, iy_of(oy, kh), iy_of(ox, kw)));
                        dw_ref[widx(co, ci, kh, kw)] = static_cast<float>(acc);
                        dw_acc_ref[widx(co, ci, kh, kw)] = acc;
                    }
            double acc = 0.0;
            for (uint32_t n = 0; n < N; ++n)
                for (size_t p = 0; p < P; ++p) acc += g[gidx(n, co, 0, 0) + p];
            db_ref[co] = static_cast<float>(acc);
        }

        const num::Format f32{};
        const MacContext mc{};
        Workspace ws;
        std::vector<float> y(y_ref.size()), dx(dx_ref.size()), dw(dw_ref.size()), db(db_ref.size());
        conv2d_forward(s, N, {x.data(), f32}, {w.data(), f32}, {b.data(), f32}, ktest::out(y), mc, ws);
        conv2d_backward_data(s, N, {g.data(), f32}, {w.data(), f32}, ktest::out(dx), mc, ws);
        conv2d_weight_grad(s, N, {g.data(), f32}, {x.data(), f32}, ktest::out(dw), ktest::out(db), mc, ws);
        CHECK(ktest::bitwise_equal(y, y_ref));
        CHECK(ktest::bitwise_equal(dx, dx_ref));
        CHECK(ktest::bitwise_equal(dw, dw_ref));
        CHECK(ktest::bitwise_equal(db, db_ref));

        // The double accumulators before rounding, where another order shows even when the fp32 results
        // agree: forward and weight gradient through the tile entry points, left unrounded (step.last off).
        const ChannelTile whole{0, s.out_channels, 0, s.in_channels};
        std::vector<double> y_acc(y_ref.size()), w_acc(wgrad_acc_doubles(s, whole));
        conv2d_forward_tile(s, N, whole, {x.data(), f32}, {w.data(), f32}, {b.data(), f32}, y_acc.data(),
                            TileStep{true, false}, ktest::out(y), mc, ws);
        conv2d_weight_grad_tile(s, N, whole, {g.data(), f32}, {x.data(), f32}, w_acc.data(), false,
                                TileStep{true, false}, ktest::out(dw), ktest::out(db), mc, ws);
        std::vector<double> dw_acc(dw_acc_ref.size());
        const size_t stride = wgrad_acc_stride(s.out_channels), patch = s.patch_size();
        for (uint32_t co = 0; co < s.out_channels; ++co)
            for (size_t k = 0; k < patch; ++k) dw_acc[co * patch + k] = w_acc[k * stride + co];
        CHECK(same_bits(y_acc, y_acc_ref));
        CHECK(same_bits(dw_acc, dw_acc_ref));
    }
}
