// The RTL systolic array as the cycle reference of the native model: hundreds of random small GEMMs per
// dataflow, with partial folds, on a 4 x 4 and a 3 x 5 Verilated array. Values equal kern::gemm_accumulate in
// the integer domain bit for bit (saturating accumulators included); cycles and folds equal analytic_gemm
// with ideal bandwidth and no overheads, and the cycle-stepped model.
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "accel/array_timing.h"
#include "common/error.h"
#include "kernels/gemm.h"
#include "numerics/accumulator.h"
#include "rtl/rtl_gemm.h"
#include "rtl/verilated_arrays.h"

using namespace trainvp;
using namespace trainvp::timing;

namespace {

std::unique_ptr<rtl::ArrayPins> make_array(uint32_t rows, uint32_t cols) {
    std::unique_ptr<rtl::ArrayPins> pins = rtl::make_verilated_array(rows, cols);
    REQUIRE(pins);
    CHECK(pins->rows() == rows);
    CHECK(pins->cols() == cols);
    return pins;
}

// Operands are raw integers; the kernels see them as raw * 2^-frac (fixed point), products with
// kFracA + kFracB fraction bits.
constexpr int kFracA = 7, kFracB = 4;

struct Operands {
    std::vector<int32_t> a, b;
    std::vector<int64_t> c0;
};

// Accumulator width and the operand range that goes with it: 48 bits with full 16-bit operands never
// saturates; 20 and 12 bits with smaller operands saturate in some sums and not in others.
struct Precision {
    int bits;
    int32_t max_raw;
};
const Precision kPrecisions[] = {{48, 32767}, {20, 300}, {12, 40}};

Operands random_operands(const GemmShape& s, const Precision& p, std::mt19937& rng) {
    std::uniform_int_distribution<int32_t> raw(-p.max_raw, p.max_raw);
    const int64_t acc_hi = num::acc_max(p.bits) / 2;
    std::uniform_int_distribution<int64_t> acc(-acc_hi, acc_hi);
    Operands o;
    o.a.resize(s.m * s.k);
    o.b.resize(s.k * s.n);
    o.c0.resize(s.m * s.n);
    for (int32_t& v : o.a) v = raw(rng);
    for (int32_t& v : o.b) v = raw(rng);
    for (int64_t& v : o.c0) v = acc(rng);
    return o;
}

struct Doubles {
    kern::MacConfig mac{kern::AccDomain::integer, kFracA + kFracB, 48};
    std::vector<double> a, b, c;
};

// The operands as the kernels and the C++ array models see them.
Doubles as_doubles(const GemmShape& s, const Operands& o, int bits) {
    Doubles d;
    d.mac.bits = bits;
    d.a.resize(o.a.size());
    d.b.resize(o.b.size());
    d.c.assign(o.c0.size(), 0.0);
    for (size_t i = 0; i < d.a.size(); ++i) d.a[i] = std::ldexp(o.a[i], -kFracA);
    for (size_t i = 0; i < d.b.size(); ++i) d.b[i] = std::ldexp(o.b[i], -kFracB);
    if (s.accumulate)
        for (size_t i = 0; i < d.c.size(); ++i)
            d.c[i] = std::ldexp(static_cast<double>(o.c0[i]), -d.mac.frac);
    return d;
}

std::vector<int64_t> to_raw(const std::vector<double>& c, int frac) {
    std::vector<int64_t> raw(c.size());
    for (size_t i = 0; i < c.size(); ++i) raw[i] = static_cast<int64_t>(std::ldexp(c[i], frac));
    return raw;
}

struct Tally {
    int gemms = 0, partial_row_folds = 0, partial_col_folds = 0;
    uint64_t saturated = 0;
};

// One GEMM on the RTL array, checked against the kernels and the analytic model.
void check_gemm(rtl::ArrayPins& pins, const GemmShape& s, Dataflow d, const Precision& p, std::mt19937& rng,
                Tally& tally) {
    const Operands o = random_operands(s, p, rng);
    Doubles k = as_doubles(s, o, p.bits);
    num::AccStats stats;
    kern::gemm_accumulate(k.mac, s.m, s.n, s.k, k.a.data(), s.k, k.b.data(), s.n, k.c.data(), s.n, &stats);
    const std::vector<int64_t> expected = to_raw(k.c, k.mac.frac);
    std::vector<int64_t> got = o.c0;
    const rtl::RtlGemmStats rtl_stats = rtl::run_gemm(pins, s, d, p.bits, o.a.data(), o.b.data(), got.data());

    const ArrayConfig cfg{pins.rows(), pins.cols(), d};
    const GemmTiming ana = analytic_gemm(s, cfg, TimingParams::ideal(), BufferBandwidth::ideal());
    Doubles stepped = as_doubles(s, o, p.bits);
    const GemmTiming cyc = cycle_gemm(s, cfg, TimingParams::ideal(), BufferBandwidth::ideal(), stepped.mac,
                                      stepped.a.data(), stepped.b.data(), stepped.c.data());
    INFO(dataflow_name(d) << " array " << cfg.rows << "x" << cfg.cols << " GEMM M=" << s.m << " N=" << s.n
                          << " K=" << s.k << " accumulate=" << s.accumulate << " bits=" << p.bits);
    size_t mismatches = 0;
    for (size_t i = 0; i < expected.size(); ++i) mismatches += expected[i] != got[i];
    CHECK(mismatches == 0);
    CHECK(rtl_stats.compute_cycles == ana.compute_cycles);
    CHECK(rtl_stats.compute_cycles == cyc.compute_cycles);
    CHECK(to_raw(stepped.c, stepped.mac.frac) == got);
    CHECK(rtl_stats.folds == ana.folds);
    CHECK(rtl_stats.preload_cycles ==
          (d == Dataflow::output_stationary && s.accumulate ? std::min<uint64_t>(s.m, cfg.rows) : 0));

    const FoldGrid g = fold_grid(s, cfg);
    ++tally.gemms;
    tally.partial_row_folds += g.sr % cfg.rows != 0;
    tally.partial_col_folds += g.sc % cfg.cols != 0;
    tally.saturated += stats.saturated;
}

void random_gemms(Dataflow d) {
    std::mt19937 rng(1200 + static_cast<int>(d));
    std::uniform_int_distribution<uint64_t> dim(1, 13);
    std::uniform_int_distribution<int> coin(0, 1), precision(0, 2);
    for (const auto& size : {std::pair<uint32_t, uint32_t>{4, 4}, {3, 5}}) {
        const auto pins = make_array(size.first, size.second);
        Tally tally;
        for (int n = 0; n < 150; ++n) {
            GemmShape s;
            s.m = dim(rng), s.n = dim(rng), s.k = dim(rng);
            s.accumulate = coin(rng) == 1;
            check_gemm(*pins, s, d, kPrecisions[precision(rng)], rng, tally);
        }
        INFO(dataflow_name(d) << " " << size.first << "x" << size.second);
        CHECK(tally.gemms == 150);
        // The random shapes did exercise partial folds in both directions and saturating sums.
        CHECK(tally.partial_row_folds > 30);
        CHECK(tally.partial_col_folds > 30);
        CHECK(tally.saturated > 0);
    }
}

}  // namespace

TEST_CASE("rtl array: output stationary on random GEMMs equals the kernels and the analytic model") {
    random_gemms(Dataflow::output_stationary);
}

TEST_CASE("rtl array: weight stationary on random GEMMs equals the kernels and the analytic model") {
    random_gemms(Dataflow::weight_stationary);
}

TEST_CASE("rtl array: input stationary (weight stationary on the transposed product) equals both") {
    random_gemms(Dataflow::input_stationary);
}

TEST_CASE("rtl array: every GEMM up to 5 x 5 x 5 on the 3 x 5 array, all dataflows") {
    const auto pins = make_array(3, 5);
    std::mt19937 rng(7);
    Tally tally;
    for (Dataflow d : {Dataflow::output_stationary, Dataflow::weight_stationary, Dataflow::input_stationary})
        for (uint64_t m = 1; m <= 5; ++m)
            for (uint64_t n = 1; n <= 5; ++n)
                for (uint64_t k = 1; k <= 5; ++k) {
                    GemmShape s;
                    s.m = m, s.n = n, s.k = k;
                    s.accumulate = (m + n + k) % 2 == 0;
                    check_gemm(*pins, s, d, kPrecisions[0], rng, tally);
                }
    CHECK(tally.gemms == 375);
}

// Hand check of one partial fold on the 4 x 4 array, output stationary, M = 2, N = 3, K = 4: r = 2 rows,
// c = 3 columns: 2r + c + T - 2 = 4 + 3 + 4 - 2 = 9 cycles. Weight stationary, same GEMM: Sr = K = 4,
// Sc = M = 2, T = N = 3: 8 + 2 + 3 - 2 = 11.
TEST_CASE("rtl array: one partial fold, hand-checked cycles and values") {
    const auto pins = make_array(4, 4);
    GemmShape s;
    s.m = 2, s.n = 3, s.k = 4;
    s.accumulate = false;
    const std::vector<int32_t> a = {1, 2, 3, 4, -5, 6, -7, 8};              // 2 x 4
    const std::vector<int32_t> b = {1, 0, 2, 0, 1, -1, 3, 1, 0, -2, 2, 1};  // 4 x 3
    // Row 0: [1 2 3 4] . columns: 1 + 0 + 9 - 8 = 2; 0 + 2 + 3 + 8 = 13; 2 - 2 + 0 + 4 = 4.
    // Row 1: [-5 6 -7 8]: -5 + 0 - 21 - 16 = -42; 0 + 6 - 7 + 16 = 15; -10 - 6 + 0 + 8 = -8.
    const std::vector<int64_t> expected = {2, 13, 4, -42, 15, -8};
    std::vector<int64_t> c(6, 0);
    CHECK(rtl::run_gemm(*pins, s, Dataflow::output_stationary, 48, a.data(), b.data(), c.data())
              .compute_cycles == 9);
    CHECK(c == expected);
    std::fill(c.begin(), c.end(), 0);
    CHECK(rtl::run_gemm(*pins, s, Dataflow::weight_stationary, 48, a.data(), b.data(), c.data())
              .compute_cycles == 11);
    CHECK(c == expected);
}

TEST_CASE("rtl array: the array's error output catches feeders that break the skew") {
    const auto pins = make_array(4, 4);
    pins->reset();
    pins->set_fold(false, 48, 4, 4);
    pins->set_controls(true, false, false, false);
    // Row 0 gets an A element but column 0 no B element in the same cycle: PE(0, 0) sees one operand.
    pins->set_west(0, true, 3);
    pins->eval();
    CHECK_FALSE(pins->error());
    pins->clock();
    CHECK(pins->error());
    pins->reset();
    CHECK_FALSE(pins->error());
}

TEST_CASE("rtl array: operands wider than the array's 16 bits are rejected") {
    const auto pins = make_array(4, 4);
    GemmShape s;
    s.m = 1, s.n = 1, s.k = 1;
    const int32_t a = 40000, b = 1;
    int64_t c = 0;
    CHECK_THROWS_AS(rtl::run_gemm(*pins, s, Dataflow::output_stationary, 48, &a, &b, &c), UserError);
    const int32_t ok = 2;
    CHECK_THROWS_AS(rtl::run_gemm(*pins, s, Dataflow::output_stationary, 65, &ok, &b, &c), UserError);
}

TEST_CASE("rtl array: the Verilated sizes are listed and no other size is made") {
    const auto sizes = rtl::verilated_array_sizes();
    REQUIRE(sizes.size() == 2);
    CHECK(sizes[0] == std::make_pair(4u, 4u));
    CHECK(sizes[1] == std::make_pair(3u, 5u));
    CHECK(rtl::make_verilated_array(5, 3) == nullptr);
}
