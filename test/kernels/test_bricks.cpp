// Brick-PE arithmetic (docs/numerics.md "Brick PE"): products of a half-precision-or-narrower float and a
// fixed-point operand accumulated in fixed point. Checked against a slow reference that splits each operand
// into bricks from its bit pattern, forms every brick partial product with its alignment shift, accumulates
// the bricks separately and combines them, with 128-bit integers throughout.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/gemm.h"
#include "numerics/format.h"

using namespace trainvp;
using i128 = __int128;

namespace {

// Sign, significand (hidden bit included) and alignment shift of an operand, from its encoding:
// |value| = sig * 2^shift * 2^-lsb, lsb = the format's raw fraction (fp16: 24).
struct Parts {
    int sign = 1;
    uint64_t sig = 0;
    int shift = 0;
    bool nan = false, inf = false;
};

Parts fp16_parts(uint16_t bits) {
    Parts p;
    p.sign = (bits & 0x8000) ? -1 : 1;
    const int e = (bits >> 10) & 31, m = bits & 1023;
    if (e == 31) {
        (m ? p.nan : p.inf) = true;
        return p;
    }
    p.sig = e ? (1024u | m) : m;
    p.shift = std::max(e, 1) - 1;
    return p;
}

Parts fixed_parts(int64_t q) {
    Parts p;
    p.sign = q < 0 ? -1 : 1;
    p.sig = static_cast<uint64_t>(q < 0 ? -q : q);
    return p;
}

std::vector<uint64_t> bricks_of(uint64_t sig, int b) {
    std::vector<uint64_t> out;
    do {
        out.push_back(sig & ((uint64_t{1} << b) - 1));
        sig >>= b;
    } while (sig);
    return out;
}

i128 sat(i128 v, int bits, uint64_t& saturations) {
    const i128 hi = (i128{1} << (bits - 1)) - 1, lo = -(i128{1} << (bits - 1));
    if (v > hi) return ++saturations, hi;
    if (v < lo) return ++saturations, lo;
    return v;
}

// One product as the bricks form it: sum over brick pairs (i, j) of a_i * b_j * 2^(b(i+j)) * 2^shift.
i128 brick_product(const Parts& a, const Parts& f, int b) {
    const auto ab = bricks_of(a.sig, b), fb = bricks_of(f.sig, b);
    i128 sum = 0;
    for (size_t i = 0; i < ab.size(); ++i)
        for (size_t j = 0; j < fb.size(); ++j)
            sum += (i128(ab[i] * fb[j]) << (b * (i + j))) << (a.shift + f.shift);
    return a.sign * f.sign * sum;
}

struct Case {
    std::vector<uint16_t> err;  // fp16 patterns, K of them
    std::vector<int64_t> w;     // fixed-point q, K of them
};

// A random pattern with the extremes over-represented: zeros, subnormals, the largest finite, 1.0.
uint16_t random_fp16(std::mt19937_64& rng) {
    static const uint16_t special[] = {0x0000, 0x8000, 0x0001, 0x8001, 0x03FF,
                                       0x0400, 0x7BFF, 0xFBFF, 0x3C00};
    if (rng() % 4 == 0) return special[rng() % 9];
    uint16_t bits;
    do bits = static_cast<uint16_t>(rng());
    while (((bits >> 10) & 31) == 31);
    return bits;
}

int64_t random_fixed(std::mt19937_64& rng, int total) {
    const int64_t lo = -(int64_t{1} << (total - 1)), hi = (int64_t{1} << (total - 1)) - 1;
    switch (rng() % 6) {
        case 0:
            return 0;
        case 1:
            return lo;
        case 2:
            return hi;
        default:
            return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1));
    }
}

// The kernel's raw result for acc[0] = sum_k err_k * w_k, computed in `chunks` calls.
double kernel_sum(const Case& c, const num::Format& wf, int acc_bits, size_t chunks, num::AccStats& stats) {
    const num::Format ef = num::Format::of_kind(num::FormatKind::fp16);
    const kern::MacConfig cfg =
        kern::mac_config(ef, wf, num::AccumulatorSpec{acc_bits}, kern::MacArith::bricks);
    REQUIRE(cfg.domain == kern::AccDomain::integer);
    REQUIRE(cfg.frac == 24 + wf.frac_bits);
    const size_t K = c.err.size();
    std::vector<double> A(K), B(K);
    for (size_t k = 0; k < K; ++k) {
        A[k] = num::decode(c.err[k], ef);
        B[k] = std::ldexp(static_cast<double>(c.w[k]), -wf.frac_bits);
    }
    double acc = 0.0;
    const size_t step = (K + chunks - 1) / chunks;
    for (size_t k0 = 0; k0 < K; k0 += step) {
        const size_t n = std::min(step, K - k0);
        kern::gemm_accumulate(cfg, 1, 1, n, A.data() + k0, n, B.data() + k0, 1, &acc, 1, &stats);
    }
    return std::ldexp(acc, cfg.frac);  // raw
}

}  // namespace

TEST_CASE("brick PE: fp16 x fixed point accumulates exactly, brick by brick", "[bricks]") {
    std::mt19937_64 rng(13);
    int compared = 0;
    for (int total : {4, 8, 16}) {
        const num::Format wf = num::Format::fixed_point(total, total - 2);
        for (int trial = 0; trial < 200; ++trial) {
            Case c;
            const size_t K = 1 + rng() % 64;
            for (size_t k = 0; k < K; ++k) {
                c.err.push_back(random_fp16(rng));
                c.w.push_back(random_fixed(rng, total));
            }
            // Reference: separate accumulators per brick pair (unbounded), combined after the last product.
            const int b = 1 + static_cast<int>(rng() % 5);
            std::vector<std::vector<i128>> acc;
            for (size_t k = 0; k < K; ++k) {
                const Parts e = fp16_parts(c.err[k]), w = fixed_parts(c.w[k]);
                const auto eb = bricks_of(e.sig, b), wb = bricks_of(w.sig, b);
                if (acc.size() < eb.size()) acc.resize(eb.size());
                for (size_t i = 0; i < eb.size(); ++i) {
                    if (acc[i].size() < wb.size()) acc[i].resize(wb.size(), 0);
                    for (size_t j = 0; j < wb.size(); ++j)
                        acc[i][j] += e.sign * w.sign * (i128(eb[i] * wb[j]) << e.shift);
                }
            }
            i128 combined = 0;
            for (size_t i = 0; i < acc.size(); ++i)
                for (size_t j = 0; j < acc[i].size(); ++j) combined += acc[i][j] << (b * (i + j));
            // The combined sum equals the kernel's when no running sum leaves the 53-bit accumulator (which
            // then saturates; the next test case covers that).
            i128 running = 0;
            bool inside = true;
            for (size_t k = 0; k < K; ++k) {
                running += brick_product(fp16_parts(c.err[k]), fixed_parts(c.w[k]), b);
                inside &= running < (i128{1} << 52) && running >= -(i128{1} << 52);
            }
            REQUIRE(running == combined);
            num::AccStats stats;
            const double raw = kernel_sum(c, wf, 53, 1 + rng() % 3, stats);
            if (inside) {
                ++compared;
                CHECK(raw == static_cast<double>(static_cast<int64_t>(combined)));
                CHECK(stats.saturated == 0);
            }
        }
    }
    CHECK(compared > 300);  // most of the 600 random sums stay inside the accumulator
}

TEST_CASE("brick PE: the accumulator saturates after every product as the reference does", "[bricks]") {
    std::mt19937_64 rng(7);
    const num::Format wf = num::Format::fixed_point(8, 6);
    for (int acc_bits : {24, 32, 40, 53}) {
        for (int trial = 0; trial < 200; ++trial) {
            Case c;
            const size_t K = 1 + rng() % 40;
            for (size_t k = 0; k < K; ++k) {
                c.err.push_back(random_fp16(rng));
                c.w.push_back(random_fixed(rng, 8));
            }
            uint64_t ref_sat = 0;
            i128 ref = 0;
            for (size_t k = 0; k < K; ++k)
                ref =
                    sat(ref + brick_product(fp16_parts(c.err[k]), fixed_parts(c.w[k]), 4), acc_bits, ref_sat);
            num::AccStats stats;
            const double raw = kernel_sum(c, wf, acc_bits, 1, stats);
            CHECK(raw == static_cast<double>(static_cast<int64_t>(ref)));
            // Chunked reduction: the same value (the accumulator's state is one number).
            num::AccStats chunked_stats;
            CHECK(kernel_sum(c, wf, acc_bits, 3, chunked_stats) == raw);
            if (ref_sat > 0) CHECK(stats.saturated == ref_sat);
        }
    }
}

TEST_CASE("brick PE: special operands", "[bricks]") {
    const num::Format wf = num::Format::fixed_point(8, 6);
    num::AccStats stats;
    // NaN contributes nothing; +inf times a positive weight saturates the accumulator at its top.
    Case nan_case{{0x7E00, 0x3C00}, {64, 64}};  // NaN, 1.0; weights 1.0
    CHECK(kernel_sum(nan_case, wf, 53, 1, stats) == std::ldexp(1.0, 30));
    Case inf_case{{0x7C00, 0x3C00}, {64, -64}};
    stats = {};
    CHECK(kernel_sum(inf_case, wf, 53, 1, stats) == std::ldexp(1.0, 52) - 1 - std::ldexp(1.0, 30));
    CHECK(stats.saturated == 1);
    // Hand-computed: smallest subnormal 2^-24 times the smallest step 2^-6 is raw 1; largest finite fp16
    // 65504 = 2047 * 2^5 times -128 * 2^-6 is raw -2047 * 2^(5 + 24) * 128.
    stats = {};
    Case tiny{{0x0001}, {1}};
    CHECK(kernel_sum(tiny, wf, 53, 1, stats) == 1.0);
    Case big{{0x7BFF}, {-128}};
    CHECK(kernel_sum(big, wf, 53, 1, stats) == -2047.0 * std::ldexp(1.0, 29) * 128);
}

TEST_CASE("brick PE: refused operand pairs name both formats", "[bricks]") {
    using num::Format;
    using num::FormatKind;
    const num::AccumulatorSpec acc{48};
    const Format fx8 = Format::fixed_point(8, 6), fx24 = Format::fixed_point(24, 20);
    const Format bf16 = Format::of_kind(FormatKind::bf16), fp16 = Format::of_kind(FormatKind::fp16);
    CHECK_THROWS_WITH(kern::mac_config(bf16, fx8, acc, kern::MacArith::bricks),
                      Catch::Contains("not bf16 by fx8.6"));
    CHECK_THROWS_WITH(kern::mac_config(fp16, fp16, acc, kern::MacArith::bricks),
                      Catch::Contains("fp16 by fp16"));
    CHECK_THROWS_WITH(kern::mac_config(fp16, fx24, acc, kern::MacArith::bricks), Catch::Contains("62 bits"));
    // The uniform PE keeps the real domain for the same pair.
    CHECK(kern::mac_config(bf16, fx8, acc).domain == kern::AccDomain::real);
    CHECK(kern::mac_config(fp16, fx8, acc).domain == kern::AccDomain::real);
    // fp8 floats align at their own smallest subnormal: E4M3 2^-9, E5M2 2^-16.
    CHECK(kern::mac_config(Format::of_kind(FormatKind::fp8_e4m3), fx8, acc, kern::MacArith::bricks).frac ==
          9 + 6);
    CHECK(kern::mac_config(fx8, Format::of_kind(FormatKind::fp8_e5m2), acc, kern::MacArith::bricks).frac ==
          6 + 16);
}
