// The cycle-stepped array against the analytic model (cycle counts, stalls, traffic: exactly equal) and
// against the kernels' GEMM (values: bit for bit), for every dataflow on many small shapes and array sizes.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "accel/array_timing.h"
#include "kernels/gemm.h"

using namespace trainvp;
using namespace trainvp::timing;

namespace {

const Dataflow kDataflows[] = {Dataflow::output_stationary, Dataflow::weight_stationary,
                               Dataflow::input_stationary};
const uint32_t kArrays[][2] = {{1, 1}, {2, 3}, {4, 4}, {8, 8}, {16, 16}};

// Real domain: floats of widely different magnitudes, so any change of summation order changes the result.
std::vector<double> real_values(size_t n, std::mt19937& rng) {
    std::uniform_real_distribution<float> mant(-1.0f, 1.0f);
    std::uniform_int_distribution<int> exp(-20, 20);
    std::vector<double> v(n);
    for (double& x : v) x = std::ldexp(static_cast<double>(mant(rng)), exp(rng));
    return v;
}

// Integer domain: raw integers times 2^-frac.
std::vector<double> fixed_values(size_t n, int frac, int max_raw, std::mt19937& rng) {
    std::uniform_int_distribution<int> raw(-max_raw, max_raw);
    std::vector<double> v(n);
    for (double& x : v) x = std::ldexp(static_cast<double>(raw(rng)), -frac);
    return v;
}

struct Case {
    GemmShape shape;
    ArrayConfig cfg;
    kern::MacConfig mac;
    std::vector<double> a, b, c0;
};

// Runs the cycle model, the analytic model and the kernels' GEMM on one case and checks that they agree.
void check_case(const Case& k, const TimingParams& p, const BufferBandwidth& bw) {
    const GemmShape& s = k.shape;
    std::vector<double> expected = s.accumulate ? k.c0 : std::vector<double>(s.m * s.n, 0.0);
    kern::gemm_accumulate(k.mac, s.m, s.n, s.k, k.a.data(), s.k, k.b.data(), s.n, expected.data(), s.n,
                          nullptr);
    std::vector<double> got = k.c0;
    const GemmTiming cyc = cycle_gemm(s, k.cfg, p, bw, k.mac, k.a.data(), k.b.data(), got.data());
    const GemmTiming ana = analytic_gemm(s, k.cfg, p, bw);

    INFO(dataflow_name(k.cfg.dataflow) << " array " << k.cfg.rows << "x" << k.cfg.cols << " GEMM M=" << s.m
                                       << " N=" << s.n << " K=" << s.k << " accumulate=" << s.accumulate);
    size_t mismatches = 0;
    for (size_t i = 0; i < expected.size(); ++i)
        if (std::memcmp(&expected[i], &got[i], sizeof(double)) != 0) ++mismatches;
    CHECK(mismatches == 0);
    CHECK(cyc.compute_cycles == ana.compute_cycles);
    CHECK(cyc.fill_drain_cycles == ana.fill_drain_cycles);
    CHECK(cyc.stream_cycles == ana.stream_cycles);
    CHECK(cyc.folds == ana.folds);
    CHECK(cyc.macs == s.macs());
    CHECK(cyc.overhead_cycles == ana.overhead_cycles);
    for (size_t r = 0; r < kStallReasons; ++r) {
        INFO(stall_reason_name(static_cast<StallReason>(r)));
        CHECK(cyc.stall_cycles_by_reason[r] == ana.stall_cycles_by_reason[r]);
    }
    CHECK(cyc.total_cycles == ana.total_cycles);
    CHECK(cyc.a_read_bytes == ana.a_read_bytes);
    CHECK(cyc.b_read_bytes == ana.b_read_bytes);
    CHECK(cyc.c_read_bytes == ana.c_read_bytes);
    CHECK(cyc.c_write_bytes == ana.c_write_bytes);
}

Case random_case(std::mt19937& rng, Dataflow d, uint32_t rows, uint32_t cols, uint64_t max_dim) {
    std::uniform_int_distribution<uint64_t> dim(1, max_dim);
    Case k;
    k.shape.m = dim(rng), k.shape.n = dim(rng), k.shape.k = dim(rng);
    k.shape.accumulate = rng() % 4 != 0;
    k.cfg.rows = rows, k.cfg.cols = cols, k.cfg.dataflow = d;
    k.a = real_values(k.shape.m * k.shape.k, rng);
    k.b = real_values(k.shape.k * k.shape.n, rng);
    k.c0 = real_values(k.shape.m * k.shape.n, rng);
    return k;
}

}  // namespace

TEST_CASE("cycle model: values and cycles equal the kernels and the analytic model, ideal bandwidth") {
    std::mt19937 rng(20240611);
    uint64_t cases = 0;
    for (Dataflow d : kDataflows)
        for (const auto& arr : kArrays)
            for (int n = 0; n < 24; ++n) {
                check_case(random_case(rng, d, arr[0], arr[1], 40), TimingParams::ideal(),
                           BufferBandwidth::ideal());
                ++cases;
            }
    CHECK(cases == 3 * 5 * 24);
}

TEST_CASE("cycle model: every shape up to 6 x 6 x 6 on a 2 x 3 and a 4 x 4 array") {
    std::mt19937 rng(7);
    for (Dataflow d : kDataflows)
        for (const auto& arr : {std::pair<uint32_t, uint32_t>{2, 3}, {4, 4}})
            for (uint64_t m = 1; m <= 6; ++m)
                for (uint64_t n = 1; n <= 6; ++n)
                    for (uint64_t kk = 1; kk <= 6; ++kk) {
                        Case k;
                        k.shape.m = m, k.shape.n = n, k.shape.k = kk;
                        k.cfg.rows = arr.first, k.cfg.cols = arr.second, k.cfg.dataflow = d;
                        k.a = real_values(m * kk, rng);
                        k.b = real_values(kk * n, rng);
                        k.c0 = real_values(m * n, rng);
                        check_case(k, TimingParams::ideal(), BufferBandwidth::ideal());
                    }
}

TEST_CASE("cycle model: saturating integer accumulation matches the kernels' order of additions") {
    // 12-bit accumulators with products of up to 2^10: partial sums saturate, so the result depends on the
    // order of the additions, which every dataflow must keep ascending in k.
    std::mt19937 rng(99);
    num::AccumulatorSpec acc;
    acc.bits = 12;
    num::Format fx = num::Format::fixed_point(16, 2);
    const kern::MacConfig mac = kern::mac_config(fx, fx, acc);
    REQUIRE(mac.domain == kern::AccDomain::integer);
    uint64_t saturating_cases = 0;
    for (Dataflow d : kDataflows)
        for (const auto& arr : kArrays)
            for (int n = 0; n < 6; ++n) {
                Case k = random_case(rng, d, arr[0], arr[1], 24);
                k.mac = mac;
                k.a = fixed_values(k.shape.m * k.shape.k, 2, 31, rng);
                k.b = fixed_values(k.shape.k * k.shape.n, 2, 31, rng);
                k.c0 = fixed_values(k.shape.m * k.shape.n, 4, 1000, rng);
                num::AccStats stats;
                std::vector<double> probe = k.shape.accumulate ? k.c0 : std::vector<double>(k.c0.size(), 0.0);
                kern::gemm_accumulate(mac, k.shape.m, k.shape.n, k.shape.k, k.a.data(), k.shape.k, k.b.data(),
                                      k.shape.n, probe.data(), k.shape.n, &stats);
                if (stats.saturated > 0) ++saturating_cases;
                check_case(k, TimingParams::ideal(), BufferBandwidth::ideal());
            }
    CHECK(saturating_cases > 10);
}

TEST_CASE(
    "cycle model: stalls by reason equal the analytic model under finite bandwidth and bank conflicts") {
    std::mt19937 rng(31337);
    std::uniform_int_distribution<uint32_t> banks(1, 8), width_log2(0, 3), ports(1, 2), stride_pad(0, 3);
    uint64_t stalled = 0;
    for (Dataflow d : kDataflows)
        for (const auto& arr : kArrays)
            for (int n = 0; n < 8; ++n) {
                Case k = random_case(rng, d, arr[0], arr[1], 30);
                k.shape.a_bytes = 1u << (rng() % 3);
                k.shape.b_bytes = 1u << (rng() % 3);
                k.shape.c_bytes = 4;
                BufferBandwidth bw;
                for (BufferPort* port : {&bw.a, &bw.b, &bw.c})
                    *port = BufferPort{banks(rng), 1u << width_log2(rng), ports(rng)};
                // Lane strides: packed, or padded by a few words to move lanes onto other banks.
                if (rng() % 2) k.shape.layout.a_lane_stride_bytes = (k.shape.k + stride_pad(rng)) * 8;
                if (rng() % 2)
                    k.shape.layout.b_lane_stride_bytes = (k.shape.k + k.shape.n + stride_pad(rng)) * 8;
                TimingParams p;  // default overheads too
                p.bank_access_cycles = 1 + rng() % 2;
                check_case(k, p, bw);
                if (analytic_gemm(k.shape, k.cfg, p, bw).stall_cycles() > 0) ++stalled;
            }
    CHECK(stalled > 40);
}

// The analytic model walks only the folds whose addresses differ modulo each buffer's bank period and
// replays the others' stalls; the cycle model walks every fold. Many folds, lane strides that are not
// multiples of the periods, banks of words wider than the elements (where a fold's lanes cross into new
// words depends on its base), every dataflow: the stalls must still be equal.
TEST_CASE("cycle model: stalls equal the analytic model's over many folds of repeating bank patterns") {
    std::mt19937 rng(4242);
    uint64_t stalled = 0;
    for (Dataflow d : kDataflows)
        for (uint32_t banks : {1u, 2u, 3u})
            for (uint64_t pad : {1u, 3u}) {
                // A 3 x 5 array: fold bases step by 3 or 5 lane strides, so they fall mid-word.
                Case k = random_case(rng, d, 3, 5, 1);
                k.shape.m = 37, k.shape.n = 45, k.shape.k = 23;
                k.shape.a_bytes = 2, k.shape.b_bytes = 1, k.shape.c_bytes = 4;
                k.shape.layout.a_lane_stride_bytes = (k.shape.k + pad) * 2;
                k.shape.layout.b_lane_stride_bytes = k.shape.n + 2 * pad;
                k.a = real_values(k.shape.m * k.shape.k, rng);
                k.b = real_values(k.shape.k * k.shape.n, rng);
                k.c0 = real_values(k.shape.m * k.shape.n, rng);
                BufferBandwidth bw;
                bw.a = BufferPort{banks, 4, 1};
                bw.b = BufferPort{banks, 2, 1};
                bw.c = BufferPort{banks, 8, 1};
                TimingParams p;
                check_case(k, p, bw);
                if (analytic_gemm(k.shape, k.cfg, p, bw).stall_cycles() > 0) ++stalled;
            }
    CHECK(stalled >= 12);
}

TEST_CASE("cycle model: without accumulate the previous contents of C are ignored") {
    std::mt19937 rng(5);
    for (Dataflow d : kDataflows) {
        Case k = random_case(rng, d, 4, 4, 12);
        k.shape.accumulate = false;
        std::vector<double> c = k.c0, zero(k.c0.size(), 0.0);
        cycle_gemm(k.shape, k.cfg, TimingParams::ideal(), BufferBandwidth::ideal(), k.mac, k.a.data(),
                   k.b.data(), c.data());
        cycle_gemm(k.shape, k.cfg, TimingParams::ideal(), BufferBandwidth::ideal(), k.mac, k.a.data(),
                   k.b.data(), zero.data());
        CHECK(c == zero);
    }
}
