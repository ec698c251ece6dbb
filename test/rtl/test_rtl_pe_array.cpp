// The RTL GEMM engine behind `hardware.array.model: rtl` (models/rtl/rtl_pe_array.h): the kernels' GEMMs in
// both orientations, on the Verilated 4 x 4 array, give gemm_accumulate's values bit for bit (saturation
// included) and take analytic_gemm's compute cycles for the oriented GEMM; what it refuses.
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <vector>

#include "accel/array_timing.h"
#include "kernels/gemm.h"
#include "rtl/rtl_pe_array.h"
#include "rtl/verilated_arrays.h"

using namespace trainvp;

namespace {

// Values of an integer format: raw * 2^-frac with raw a random integer of `bits` bits (signed).
std::vector<double> values(std::mt19937& rng, size_t n, int bits, int frac, double zero_share) {
    std::uniform_int_distribution<int32_t> raw(-(1 << (bits - 1)), (1 << (bits - 1)) - 1);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<double> v(n);
    for (double& x : v) x = u(rng) < zero_share ? 0.0 : std::ldexp(raw(rng), -frac);
    return v;
}

}  // namespace

TEST_CASE("RTL engine: kernels' GEMMs equal gemm_accumulate and take the native model's cycles") {
    std::mt19937 rng(12);
    std::uniform_int_distribution<int> dim(1, 9), frac(-3, 15), pick(0, 2);
    const timing::Dataflow flows[] = {timing::Dataflow::output_stationary,
                                      timing::Dataflow::weight_stationary,
                                      timing::Dataflow::input_stationary};
    int saturated = 0, transposed = 0, checked = 0;
    for (timing::Dataflow d : flows) {
        rtl::RtlGemmEngine engine(rtl::make_verilated_array(4, 4), d);
        timing::ArrayConfig array;
        array.rows = array.cols = 4, array.dataflow = d;
        for (int i = 0; i < 60; ++i) {
            const size_t M = dim(rng), N = dim(rng), K = dim(rng);
            const int fa = frac(rng), fb = frac(rng);
            const int abits = pick(rng) == 0 ? 8 : 16, bbits = pick(rng) == 0 ? 8 : 16;
            kern::MacConfig cfg;
            cfg.domain = kern::AccDomain::integer;
            cfg.frac = fa + fb;
            cfg.bits = pick(rng) == 0 ? 20 : 48;
            // Strided operands, as the kernels pass them.
            const size_t lda = K + 1, ldb = N + 2, ldc = N + 1;
            const std::vector<double> A = values(rng, M * lda, abits, fa, 0.2),
                                      B = values(rng, K * ldb, bbits, fb, 0.2);
            std::vector<double> init = values(rng, M * ldc, 12, cfg.frac, 0.3);
            std::vector<double> want = init, got = init;
            const kern::WeightSide side = i % 2 ? kern::WeightSide::b : kern::WeightSide::a;
            num::AccStats stats;
            kern::gemm_accumulate(cfg, M, N, K, A.data(), lda, B.data(), ldb, want.data(), ldc, &stats);
            engine.begin_tile();
            engine.gemm(cfg, M, N, K, A.data(), lda, B.data(), ldb, got.data(), ldc, side);
            for (size_t m = 0; m < M; ++m)
                for (size_t n = 0; n < N; ++n) REQUIRE(got[m * ldc + n] == want[m * ldc + n]);
            timing::GemmShape s;
            s.m = side == kern::WeightSide::b ? N : M, s.n = side == kern::WeightSide::b ? M : N, s.k = K;
            const timing::GemmTiming t = timing::analytic_gemm(s, array, timing::TimingParams::ideal(),
                                                               timing::BufferBandwidth::ideal());
            REQUIRE(engine.tile_cycles() == t.compute_cycles);
            saturated += stats.saturated > 0;
            transposed += side == kern::WeightSide::b && M != N;
            ++checked;
        }
        CHECK(engine.gemms() == 60);
    }
    CHECK(checked == 180);
    CHECK(saturated > 0);   // the 20-bit accumulators saturate in some GEMMs
    CHECK(transposed > 0);  // and the orientation mattered
}

TEST_CASE("RTL engine: real-domain GEMMs and operands wider than the array are refused") {
    rtl::RtlGemmEngine engine(rtl::make_verilated_array(4, 4), timing::Dataflow::output_stationary);
    kern::MacConfig cfg;  // real domain
    const double a[1] = {0.5}, b[1] = {0.25};
    double c[1] = {0.0};
    CHECK_THROWS_WITH(engine.gemm(cfg, 1, 1, 1, a, 1, b, 1, c, 1, kern::WeightSide::a),
                      Catch::Contains("integers only"));
    cfg.domain = kern::AccDomain::integer;
    cfg.frac = 0;
    const double wide[1] = {40001.0};  // odd and wider than 16 bits: no shift fits
    CHECK_THROWS_WITH(engine.gemm(cfg, 1, 1, 1, wide, 1, b, 1, c, 1, kern::WeightSide::a),
                      Catch::Contains("do not fit the RTL array's 16-bit inputs"));
}

TEST_CASE("RTL array: what it cannot run is named") {
    AcceleratorConfig cfg;
    cfg.rows = cfg.cols = 4;
    CHECK(rtl::rtl_array_problem(cfg).empty());
    cfg.rows = 3;
    CHECK_THAT(rtl::rtl_array_problem(cfg),
               Catch::Contains("Verilated for 4x4") && Catch::Contains("not 3x4"));
    CHECK(rtl::rtl_format_problem(num::Format::parse("fx16.8")).empty());
    CHECK(rtl::rtl_format_problem(num::Format::parse("int8@-5")).empty());
    CHECK_THAT(rtl::rtl_format_problem(num::Format::parse("bf16")), Catch::Contains("not an integer format"));
    CHECK_THAT(rtl::rtl_format_problem(num::Format::parse("fx20.8")), Catch::Contains("has 20 bits"));
}
