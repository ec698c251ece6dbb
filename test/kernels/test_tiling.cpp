// The arithmetic contract of docs/numerics.md "## Kernels": splitting a reduction into chunks (carrying the
// accumulator), splitting outputs into tiles, or splitting a batch never changes a single bit.
#include <catch2/catch.hpp>
#include <cstring>

#include "kernel_test_util.h"
#include "kernels/conv2d.h"
#include "kernels/fully_connected.h"
#include "kernels/gemm.h"
#include "kernels/loss.h"
#include "kernels/pool.h"

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

namespace {

// Copies rows of `row` elements, `stride` apart, starting at `first`, into a packed vector.
std::vector<float> gather(const std::vector<float>& v, size_t first, size_t rows, size_t row, size_t stride) {
    std::vector<float> out(rows * row);
    for (size_t r = 0; r < rows; ++r) std::copy_n(v.begin() + first + r * stride, row, out.begin() + r * row);
    return out;
}

void scatter(std::vector<float>& v, const std::vector<float>& packed, size_t first, size_t rows, size_t row,
             size_t stride) {
    for (size_t r = 0; r < rows; ++r)
        std::copy_n(packed.begin() + r * row, row, v.begin() + first + r * stride);
}

struct TileCase {
    const char* name;
    num::Format x, w, y, g;
    int acc_bits = 0;
};

const TileCase kTileCases[] = {
    {"fixed, stochastic outputs", num::Format::parse("fx16.12"), num::Format::parse("fx16.14"),
     num::Format::parse("fx16.10:sr"), num::Format::parse("fx16.12")},
    {"fixed, saturating 20-bit accumulator", num::Format::parse("fx12.6"), num::Format::parse("fx12.6"),
     num::Format::parse("fx16.8"), num::Format::parse("fx12.6"), 20},
    {"bf16 x fx16, fp16 outputs", num::Format::parse("bf16"), num::Format::parse("fx16.12"),
     num::Format::parse("fp16:sr"), num::Format::parse("bf16")},
    {"fp32", num::Format{}, num::Format{}, num::Format{}, num::Format{}},
};

// Every split: sample groups of nb, channel tiles of tc, reduction chunks of kc.
struct Split {
    uint32_t nb, tc, kc;
};

}  // namespace

TEST_CASE("conv tile entry points over any split equal the whole-layer kernels, bit for bit") {
    const Conv2dShape s{5, 7, 6, 4, 3, 1, 1};
    const uint32_t N = 3, Ci = s.in_channels, Co = s.out_channels, kk = s.kernel * s.kernel;
    const size_t plane = s.in_rows * s.in_cols, P = s.out_rows() * s.out_cols();
    const Split splits[] = {{3, 4, 5}, {1, 1, 1}, {2, 3, 2}, {3, 2, 4}};
    for (const TileCase& c : kTileCases) {
        INFO(c.name);
        const double range = c.acc_bits ? 30.0 : 2.0;
        const std::vector<float> x = ktest::random_values(N * s.in_size(), 40, c.x, -range, range);
        const std::vector<float> w = ktest::random_values(s.weight_count(), 41, c.w, -range, range);
        const std::vector<float> b = ktest::random_values(Co, 42, c.w, -1, 1);
        const std::vector<float> g = ktest::random_values(N * s.out_size(), 43, c.g, -range, range);
        const MacContext mc{num::AccumulatorSpec{c.acc_bits ? c.acc_bits : 48}};
        const num::SrKey k0{7, 1, 2}, k1{7, 2, 2};
        Workspace ws;
        std::vector<float> y(N * s.out_size()), dx(N * s.in_size()), dw(s.weight_count()), db(Co);
        conv2d_forward(s, N, {x.data(), c.x}, {w.data(), c.w}, {b.data(), c.w}, {y.data(), c.y, k0}, mc, ws);
        conv2d_backward_data(s, N, {g.data(), c.g}, {w.data(), c.w}, {dx.data(), c.y, k0}, mc, ws);
        conv2d_weight_grad(s, N, {g.data(), c.g}, {x.data(), c.x}, {dw.data(), c.y, k0}, {db.data(), c.y, k1},
                           mc, ws);
        for (const Split& sp : splits) {
            INFO("split " << sp.nb << " " << sp.tc << " " << sp.kc);
            std::vector<float> ty(y.size()), tdx(dx.size()), tdw(dw.size()), tdb(db.size());
            // Forward: output channels x input-channel chunks, accumulators carried across the chunks.
            for (uint32_t b0 = 0; b0 < N; b0 += sp.nb)
                for (uint32_t c0 = 0; c0 < Co; c0 += sp.tc) {
                    const uint32_t n = std::min(sp.nb, N - b0), tc = std::min(sp.tc, Co - c0);
                    std::vector<double> acc(n * tc * P);
                    std::vector<float> out(n * tc * P);
                    for (uint32_t k = 0; k < Ci; k += sp.kc) {
                        const uint32_t kc = std::min(sp.kc, Ci - k);
                        const ChannelTile t{c0, tc, k, kc};
                        const auto xs = gather(x, (b0 * Ci + k) * plane, n, kc * plane, Ci * plane);
                        const auto ws_ = gather(w, (c0 * Ci + k) * kk, tc, kc * kk, Ci * kk);
                        const auto bs = gather(b, c0, 1, tc, tc);
                        conv2d_forward_tile(
                            s, n, t, {xs.data(), c.x}, {ws_.data(), c.w}, {bs.data(), c.w}, acc.data(),
                            TileStep{k == 0, k + kc == Ci},
                            {out.data(), c.y, k0, nullptr, uint64_t{b0} * s.out_size() + c0 * P}, mc, ws);
                    }
                    scatter(ty, out, (b0 * Co + c0) * P, n, tc * P, Co * P);
                }
            CHECK(ktest::bitwise_equal(ty, y));
            // Backward-data: input-channel tiles x output-channel chunks (the column matrix carried).
            for (uint32_t b0 = 0; b0 < N; b0 += sp.nb)
                for (uint32_t c0 = 0; c0 < Ci; c0 += sp.kc) {
                    const uint32_t n = std::min(sp.nb, N - b0), tc = std::min(sp.kc, Ci - c0);
                    std::vector<double> acc(n * tc * kk * P);
                    std::vector<float> out(n * tc * plane);
                    for (uint32_t o = 0; o < Co; o += sp.tc) {
                        const uint32_t oc = std::min(sp.tc, Co - o);
                        const auto gs = gather(g, (b0 * Co + o) * P, n, oc * P, Co * P);
                        const auto ws_ = gather(w, (o * Ci + c0) * kk, oc, tc * kk, Ci * kk);
                        conv2d_backward_data_tile(
                            s, n, ChannelTile{c0, tc, o, oc}, {gs.data(), c.g}, {ws_.data(), c.w}, acc.data(),
                            TileStep{o == 0, o + oc == Co},
                            {out.data(), c.y, k0, nullptr, uint64_t{b0} * s.in_size() + c0 * plane}, mc, ws);
                    }
                    scatter(tdx, out, (b0 * Ci + c0) * plane, n, tc * plane, Ci * plane);
                }
            CHECK(ktest::bitwise_equal(tdx, dx));
            // Weight gradient: output channels x input channels, sample groups carried.
            for (uint32_t c0 = 0; c0 < Co; c0 += sp.tc)
                for (uint32_t k = 0; k < Ci; k += sp.kc) {
                    const uint32_t tc = std::min(sp.tc, Co - c0), kc = std::min(sp.kc, Ci - k);
                    const ChannelTile t{c0, tc, k, kc};
                    std::vector<double> acc(wgrad_acc_doubles(s, t));
                    std::vector<float> out(tc * kc * kk), outb(tc);
                    for (uint32_t b0 = 0; b0 < N; b0 += sp.nb) {
                        const uint32_t n = std::min(sp.nb, N - b0);
                        const auto gs = gather(g, (b0 * Co + c0) * P, n, tc * P, Co * P);
                        const auto xs = gather(x, (b0 * Ci + k) * plane, n, kc * plane, Ci * plane);
                        const bool last = b0 + n == N;
                        conv2d_weight_grad_tile(
                            s, n, t, {gs.data(), c.g}, {xs.data(), c.x}, acc.data(), k == 0,
                            TileStep{b0 == 0, last},
                            {out.data(), c.y, k0, nullptr, uint64_t{c0} * Ci * kk + k * kk},
                            {k == 0 ? outb.data() : nullptr, c.y, k1, nullptr, c0}, mc, ws);
                    }
                    scatter(tdw, out, (c0 * Ci + k) * kk, tc, kc * kk, Ci * kk);
                    if (k == 0) scatter(tdb, outb, c0, 1, tc, tc);
                }
            CHECK(ktest::bitwise_equal(tdw, dw));
            CHECK(ktest::bitwise_equal(tdb, db));
        }
    }
}

TEST_CASE("fc tile entry points over any split equal the whole-layer kernels, bit for bit") {
    const FcShape s{23, 9};
    const uint32_t N = 5;
    const Split splits[] = {{5, 9, 23}, {1, 1, 1}, {2, 4, 7}, {3, 5, 10}};
    for (const TileCase& c : kTileCases) {
        INFO(c.name);
        const double range = c.acc_bits ? 30.0 : 2.0;
        const std::vector<float> x = ktest::random_values(N * s.in, 44, c.x, -range, range);
        const std::vector<float> w = ktest::random_values(s.in * s.out, 45, c.w, -range, range);
        const std::vector<float> b = ktest::random_values(s.out, 46, c.w, -1, 1);
        const std::vector<float> g = ktest::random_values(N * s.out, 47, c.g, -range, range);
        const MacContext mc{num::AccumulatorSpec{c.acc_bits ? c.acc_bits : 48}};
        const num::SrKey k0{9, 1, 2}, k1{9, 2, 2};
        Workspace ws;
        std::vector<float> y(N * s.out), dx(N * s.in), dw(s.in * s.out), db(s.out);
        fc_forward(s, N, {x.data(), c.x}, {w.data(), c.w}, {b.data(), c.w}, {y.data(), c.y, k0}, mc, ws);
        fc_backward_data(s, N, {g.data(), c.g}, {w.data(), c.w}, {dx.data(), c.y, k0}, mc, ws);
        fc_weight_grad(s, N, {g.data(), c.g}, {x.data(), c.x}, {dw.data(), c.y, k0}, {db.data(), c.y, k1}, mc,
                       ws);
        for (const Split& sp : splits) {
            INFO("split " << sp.nb << " " << sp.tc << " " << sp.kc);
            std::vector<float> ty(y.size()), tdx(dx.size()), tdw(dw.size()), tdb(db.size());
            for (uint32_t b0 = 0; b0 < N; b0 += sp.nb)
                for (uint32_t c0 = 0; c0 < s.out; c0 += sp.tc) {
                    const uint32_t n = std::min(sp.nb, N - b0), tc = std::min(sp.tc, s.out - c0);
                    std::vector<double> acc(n * tc);
                    std::vector<float> out(n * tc);
                    for (uint32_t k = 0; k < s.in; k += sp.kc) {
                        const uint32_t kc = std::min(sp.kc, s.in - k);
                        const auto xs = gather(x, b0 * s.in + k, n, kc, s.in);
                        const auto ws_ = gather(w, c0 * s.in + k, tc, kc, s.in);
                        const auto bs = gather(b, c0, 1, tc, tc);
                        fc_forward_tile(s, n, ChannelTile{c0, tc, k, kc}, {xs.data(), c.x}, {ws_.data(), c.w},
                                        {bs.data(), c.w}, acc.data(), TileStep{k == 0, k + kc == s.in},
                                        {out.data(), c.y, k0, nullptr, uint64_t{b0} * s.out + c0}, mc, ws);
                    }
                    scatter(ty, out, b0 * s.out + c0, n, tc, s.out);
                }
            CHECK(ktest::bitwise_equal(ty, y));
            for (uint32_t b0 = 0; b0 < N; b0 += sp.nb)
                for (uint32_t c0 = 0; c0 < s.in; c0 += sp.kc) {
                    const uint32_t n = std::min(sp.nb, N - b0), tc = std::min(sp.kc, s.in - c0);
                    std::vector<double> acc(n * tc);
                    std::vector<float> out(n * tc);
                    for (uint32_t o = 0; o < s.out; o += sp.tc) {
                        const uint32_t oc = std::min(sp.tc, s.out - o);
                        const auto gs = gather(g, b0 * s.out + o, n, oc, s.out);
                        const auto ws_ = gather(w, o * s.in + c0, oc, tc, s.in);
                        fc_backward_data_tile(
                            s, n, ChannelTile{c0, tc, o, oc}, {gs.data(), c.g}, {ws_.data(), c.w}, acc.data(),
                            TileStep{o == 0, o + oc == s.out},
                            {out.data(), c.y, k0, nullptr, uint64_t{b0} * s.in + c0}, mc, ws);
                    }
                    scatter(tdx, out, b0 * s.in + c0, n, tc, s.in);
                }
            CHECK(ktest::bitwise_equal(tdx, dx));
            for (uint32_t c0 = 0; c0 < s.out; c0 += sp.tc)
                for (uint32_t k = 0; k < s.in; k += sp.kc) {
                    const uint32_t tc = std::min(sp.tc, s.out - c0), kc = std::min(sp.kc, s.in - k);
                    std::vector<double> acc(tc * kc + tc);
                    std::vector<float> out(tc * kc), outb(tc);
                    for (uint32_t b0 = 0; b0 < N; b0 += sp.nb) {
                        const uint32_t n = std::min(sp.nb, N - b0);
                        const auto gs = gather(g, b0 * s.out + c0, n, tc, s.out);
                        const auto xs = gather(x, b0 * s.in + k, n, kc, s.in);
                        fc_weight_grad_tile(s, n, ChannelTile{c0, tc, k, kc}, {gs.data(), c.g},
                                            {xs.data(), c.x}, acc.data(), k == 0,
                                            TileStep{b0 == 0, b0 + n == N},
                                            {out.data(), c.y, k0, nullptr, uint64_t{c0} * s.in + k},
                                            {k == 0 ? outb.data() : nullptr, c.y, k1, nullptr, c0}, mc, ws);
                    }
                    scatter(tdw, out, c0 * s.in + k, tc, kc, s.in);
                    if (k == 0) scatter(tdb, outb, c0, 1, tc, tc);
                }
            CHECK(ktest::bitwise_equal(tdw, dw));
            CHECK(ktest::bitwise_equal(tdb, db));
        }
    }
}

TEST_CASE("pooling plane ranges and softmax row groups equal the whole-tensor kernels") {
    const PoolShape s{3, 6, 8, 2, 2};
    const uint32_t N = 3;
    const size_t planes = N * s.channels, in_plane = s.in_rows * s.in_cols,
                 out_plane = s.out_rows() * s.out_cols();
    const num::Format f = num::Format::parse("fx16.10"), fo = num::Format::parse("fx8.4:sr");
    const std::vector<float> x = ktest::random_values(N * s.in_size(), 48, f, -2, 2);
    const std::vector<float> g = ktest::random_values(N * s.out_size(), 49, f, -2, 2);
    const num::SrKey key{3, 4, 5};
    Workspace ws;
    std::vector<float> my(N * s.out_size()), mdx(N * s.in_size()), ay(my.size()), adx(mdx.size());
    std::vector<uint32_t> am(my.size());
    maxpool_forward(s, N, x.data(), my.data(), am.data());
    maxpool_backward(s, N, {g.data(), f}, am.data(), {mdx.data(), fo, key}, ws);
    avgpool_forward(s, N, {x.data(), f}, {ay.data(), fo, key});
    avgpool_backward(s, N, {g.data(), f}, {adx.data(), fo, key}, ws);
    for (size_t chunk : {size_t{1}, size_t{2}, size_t{4}, planes}) {
        INFO("planes per group " << chunk);
        std::vector<float> ty(my.size()), tdx(mdx.size()), tay(ay.size()), tadx(adx.size());
        std::vector<uint32_t> tam(am.size());
        for (size_t q = 0; q < planes; q += chunk) {
            const size_t n = std::min(chunk, planes - q);
            maxpool_forward_planes(s, q, n, x.data() + q * in_plane, ty.data() + q * out_plane,
                                   tam.data() + q * out_plane);
            maxpool_backward_planes(s, q, n, {g.data() + q * out_plane, f}, am.data() + q * out_plane,
                                    {tdx.data() + q * in_plane, fo, key, nullptr, q * in_plane}, ws);
            avgpool_forward_planes(s, n, {x.data() + q * in_plane, f},
                                   {tay.data() + q * out_plane, fo, key, nullptr, q * out_plane});
            avgpool_backward_planes(s, n, {g.data() + q * out_plane, f},
                                    {tadx.data() + q * in_plane, fo, key, nullptr, q * in_plane}, ws);
        }
        CHECK(ktest::bitwise_equal(ty, my));
        CHECK(tam == am);
        CHECK(ktest::bitwise_equal(tdx, mdx));
        CHECK(ktest::bitwise_equal(tay, ay));
        CHECK(ktest::bitwise_equal(tadx, adx));
    }

    const uint32_t batch = 7, classes = 5;
    const std::vector<float> z = ktest::random_values(batch * classes, 50, f, -3, 3);
    const uint8_t labels[batch] = {0, 4, 2, 2, 1, 3, 0};
    std::vector<float> dz(batch * classes), tdz(dz.size());
    const LossResult whole = softmax_cross_entropy(batch, classes, z.data(), labels, {dz.data(), fo, key});
    for (uint32_t rows : {1u, 2u, 3u, batch}) {
        LossResult r;
        for (uint32_t n0 = 0; n0 < batch; n0 += rows) {
            const uint32_t n = std::min(rows, batch - n0);
            softmax_cross_entropy_rows(n, classes, z.data() + n0 * classes, labels + n0,
                                       {tdz.data() + n0 * classes, fo, key, nullptr, uint64_t{n0} * classes},
                                       r);
        }
        CHECK(std::memcmp(&r.loss_sum, &whole.loss_sum, sizeof(double)) == 0);
        CHECK(r.correct == whole.correct);
        CHECK(ktest::bitwise_equal(tdz, dz));
    }
}
