// The arithmetic contract of docs/numerics.md "## Kernels": splitting a reduction into chunks (carrying the
// accumulator), splitting outputs into tiles, or splitting a batch never changes a single bit.
#include <catch2/catch.hpp>
#include <cstring>

#include "kernel_test_util.h"
#include "kernels/conv2d.h"
#include "kernels/fully_connected.h"
#include "kernels/gemm.h"

using namespace trainvp;
using namespace trainvp::kern;

namespace {

struct Case {
    const char* name;
    num::Format a, b;
    int acc_bits;
    double range;
};

std::vector<double> as_double(const std::vector<float>& v) {
    return std::vector<double>(v.begin(), v.end());
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

}  // namespace

TEST_CASE("gemm_accumulate: K chunks with a carried accumulator equal one call, bit for bit") {
    const Case cases[] = {
        {"fp32 x fp32", num::Format{}, num::Format{}, 48, 1.0},
        {"bf16 x fx16", num::Format::parse("bf16"), num::Format::parse("fx16.12"), 48, 4.0},
        {"fx16 x fx16", num::Format::parse("fx16.12"), num::Format::parse("fx16.14"), 48, 4.0},
        {"fx16 x fx16, saturating 24-bit accumulator", num::Format::parse("fx16.12"),
         num::Format::parse("fx16.12"), 24, 7.0},
        {"fx8 x fx12", num::Format::parse("fx8.4"), num::Format::parse("fx12.8"), 20, 7.0},
    };
    const size_t M = 7, N = 19, K = 53;
    for (const Case& c : cases) {
        INFO(c.name);
        const MacConfig cfg = mac_config(c.a, c.b, num::AccumulatorSpec{c.acc_bits});
        const std::vector<double> A = as_double(ktest::random_values(M * K, 21, c.a, -c.range, c.range));
        const std::vector<double> B = as_double(ktest::random_values(K * N, 22, c.b, -c.range, c.range));
        std::vector<double> whole(M * N, 0.0);
        num::AccStats whole_stats;
        gemm_accumulate(cfg, M, N, K, A.data(), K, B.data(), N, whole.data(), N, &whole_stats);
        for (size_t chunk : {size_t{1}, size_t{5}, size_t{16}, size_t{52}}) {
            std::vector<double> tiled(M * N, 0.0);
            num::AccStats stats;
            for (size_t k0 = 0; k0 < K; k0 += chunk) {
                const size_t kn = std::min(chunk, K - k0);
                gemm_accumulate(cfg, M, N, kn, A.data() + k0, K, B.data() + k0 * N, N, tiled.data(), N,
                                &stats);
            }
            CHECK(same_bits(tiled, whole));
            CHECK(stats.saturated == whole_stats.saturated);
        }
        // Output tiles: any rectangle of C computed on its own.
        std::vector<double> tiles(M * N, 0.0);
        for (size_t m0 = 0; m0 < M; m0 += 3)
            for (size_t n0 = 0; n0 < N; n0 += 5)
                gemm_accumulate(cfg, std::min<size_t>(3, M - m0), std::min<size_t>(5, N - n0), K,
                                A.data() + m0 * K, K, B.data() + n0, N, tiles.data() + m0 * N + n0, N,
                                nullptr);
        CHECK(same_bits(tiles, whole));
        if (c.acc_bits < 32) CHECK(whole_stats.saturated > 0);  // the saturating path was exercised
        if (cfg.domain == AccDomain::integer && whole_stats.saturated == 0) {
            // Without saturation integer sums are exact, so independently computed partial sums may also be
            // combined afterwards (what a partial-sum buffer does).
            std::vector<double> lo(M * N, 0.0), hi(M * N, 0.0);
            gemm_accumulate(cfg, M, N, 20, A.data(), K, B.data(), N, lo.data(), N, nullptr);
            gemm_accumulate(cfg, M, N, K - 20, A.data() + 20, K, B.data() + 20 * N, N, hi.data(), N, nullptr);
            for (size_t i = 0; i < lo.size(); ++i) lo[i] = accumulate_value(cfg, lo[i], hi[i], nullptr);
            CHECK(same_bits(lo, whole));
        }
    }
}

TEST_CASE("gemm_accumulate: the saturating path equals a sequential acc_add reference") {
    const num::Format f = num::Format::parse("fx12.6");
    const MacConfig cfg = mac_config(f, f, num::AccumulatorSpec{22});
    const size_t M = 3, N = 4, K = 40;
    const std::vector<float> A = ktest::random_values(M * K, 23, f, -30, 30);
    const std::vector<float> B = ktest::random_values(K * N, 24, f, -30, 30);
    std::vector<double> acc(M * N, 0.0);
    num::AccStats stats;
    gemm_accumulate(cfg, M, N, K, as_double(A).data(), K, as_double(B).data(), N, acc.data(), N, &stats);
    num::AccStats ref_stats;
    for (size_t m = 0; m < M; ++m)
        for (size_t n = 0; n < N; ++n) {
            int64_t raw = 0;
            for (size_t k = 0; k < K; ++k)
                raw = num::acc_add(raw, num::to_raw(A[m * K + k], f) * num::to_raw(B[k * N + n], f), 22,
                                   &ref_stats);
            CHECK(acc[m * N + n] == std::ldexp(static_cast<double>(raw), -12));
        }
    CHECK(stats.saturated == ref_stats.saturated);
    CHECK(stats.saturated > 0);
}

TEST_CASE("round_block equals per-element rounding with the element's tensor index") {
    const num::Format out_formats[] = {num::Format::parse("fx16.10:sr"), num::Format::parse("fx8.3"),
                                       num::Format::parse("bf16:sr"), num::Format::parse("fp16")};
    const num::Format in = num::Format::parse("fx16.12");
    const num::SrKey key{99, 5, 3};
    for (const num::Format& out : out_formats) {
        INFO(out.to_string());
        for (AccDomain domain : {AccDomain::integer, AccDomain::real}) {
            MacConfig cfg = mac_config(in, in, num::AccumulatorSpec{});
            if (domain == AccDomain::real) cfg = MacConfig{};
            const std::vector<float> a = ktest::random_values(60, 25, in, -4, 4),
                                     b = ktest::random_values(60, 26, in, -4, 4);
            std::vector<double> acc(60);
            for (size_t i = 0; i < 60; ++i) acc[i] = double(a[i]) * b[i];
            std::vector<float> block(60), single(60);
            num::QuantStats s1, s2;
            round_block(cfg, 6, 10, acc.data(), 10, block.data(), 10, out, key, 1000, &s1);
            for (size_t i = 0; i < 60; ++i)
                single[i] = round_accumulator(cfg, acc[i], out, key, 1000 + i, &s2);
            CHECK(ktest::bitwise_equal(block, single));
            CHECK(s1.values == s2.values);
            CHECK(s1.saturated == s2.saturated);
        }
    }
}

TEST_CASE(
    "layer kernels: a batch split into single images, or outputs tiled, rounds identically (SR included)") {
    const num::Format x_fmt = num::Format::parse("fx16.12:sr"), w_fmt = num::Format::parse("fx16.14:sr");
    const num::Format y_fmt = num::Format::parse("fx16.10:sr"), g_fmt = num::Format::parse("bf16:sr");
    const Conv2dShape s{2, 8, 8, 3, 3, 1, 1};
    const uint32_t batch = 3;
    const std::vector<float> x = ktest::random_values(batch * s.in_size(), 27, x_fmt, -2, 2);
    const std::vector<float> w = ktest::random_values(s.weight_count(), 28, w_fmt, -1, 1);
    const std::vector<float> b = ktest::random_values(s.out_channels, 29, w_fmt, -1, 1);
    const std::vector<float> g = ktest::random_values(batch * s.out_size(), 30, g_fmt, -1, 1);
    const MacContext mc{};
    Workspace ws;
    const num::SrKey ykey{1, 2, 3}, dxkey{1, 4, 3};
    std::vector<float> y(batch * s.out_size()), y_split(y.size()), dx(batch * s.in_size()),
        dx_split(dx.size());
    conv2d_forward(s, batch, In{x.data(), x_fmt}, In{w.data(), w_fmt}, In{b.data(), w_fmt},
                   Out{y.data(), y_fmt, ykey}, mc, ws);
    conv2d_backward_data(s, batch, In{g.data(), g_fmt}, In{w.data(), w_fmt}, Out{dx.data(), g_fmt, dxkey}, mc,
                         ws);
    for (uint32_t n = 0; n < batch; ++n) {
        Out yo{y_split.data() + n * s.out_size(), y_fmt, ykey, nullptr, uint64_t{n} * s.out_size()};
        conv2d_forward(s, 1, In{x.data() + n * s.in_size(), x_fmt}, In{w.data(), w_fmt}, In{b.data(), w_fmt},
                       yo, mc, ws);
        Out dxo{dx_split.data() + n * s.in_size(), g_fmt, dxkey, nullptr, uint64_t{n} * s.in_size()};
        conv2d_backward_data(s, 1, In{g.data() + n * s.out_size(), g_fmt}, In{w.data(), w_fmt}, dxo, mc, ws);
    }
    CHECK(ktest::bitwise_equal(y, y_split));
    CHECK(ktest::bitwise_equal(dx, dx_split));

    // Fully connected forward tiled by output rows (samples) of the GEMM.
    const FcShape fs{s.in_size(), 10};
    const std::vector<float> fw = ktest::random_values(fs.in * fs.out, 31, w_fmt, -0.5, 0.5);
    std::vector<float> fy(batch * fs.out), fy_split(fy.size());
    fc_forward(fs, batch, In{x.data(), x_fmt}, In{fw.data(), w_fmt}, In{nullptr, w_fmt},
               Out{fy.data(), y_fmt, ykey}, mc, ws);
    for (uint32_t n = 0; n < batch; ++n)
        fc_forward(fs, 1, In{x.data() + n * fs.in, x_fmt}, In{fw.data(), w_fmt}, In{nullptr, w_fmt},
                   Out{fy_split.data() + n * fs.out, y_fmt, ykey, nullptr, uint64_t{n} * fs.out}, mc, ws);
    CHECK(ktest::bitwise_equal(fy, fy_split));
}
