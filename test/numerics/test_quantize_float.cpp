// fp16, bf16, OCP FP8 E4M3/E5M2: hand-computed IEEE vectors, then every input class against the
// table-search reference (reference.h).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "numerics/format.h"
#include "reference.h"

using trainvp::num::Format;
using trainvp::num::FormatKind;
using trainvp::num::quantize;
using trainvp::num::QuantStats;
using trainvp::num::Rounding;

namespace {

float q(float x, const char* fmt, QuantStats* st = nullptr) {
    return quantize(x, Format::parse(fmt), st);
}
float p2(int e) {
    return std::ldexp(1.0f, e);
}
float from_bits(uint32_t u) {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}
bool same(float a, float b) {  // identical value including the sign of zero; NaN matches NaN
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
    return a == b && std::signbit(a) == std::signbit(b);
}

}  // namespace

TEST_CASE("fp16 vectors", "[numerics][fp16]") {
    QuantStats st;
    CHECK(q(65504.0f, "fp16", &st) == 65504.0f);
    CHECK(q(65519.0f, "fp16", &st) == 65504.0f);
    CHECK(st.saturated == 0);
    CHECK(q(65520.0f, "fp16", &st) == INFINITY);  // max + half ulp ties to the even 65536: overflow
    CHECK(q(-65520.0f, "fp16", &st) == -INFINITY);
    CHECK(st.saturated == 2);
    // Toward zero, 65520 truncates to 65504 in its own binade: no overflow (IEEE 754-2019 7.4 judges overflow
    // on the result rounded with an unbounded exponent). 1e9 does overflow, to the largest finite value.
    CHECK(q(65520.0f, "fp16:rtz", &st) == 65504.0f);
    CHECK(st.saturated == 2);
    CHECK(q(1e9f, "fp16:rtz", &st) == 65504.0f);
    CHECK(st.saturated == 3);
    CHECK(q(INFINITY, "fp16:rtz", &st) == INFINITY);  // an exact infinity is not an overflow
    CHECK(st.saturated == 3);
    // Ties in the normal range: 1 + 2^-11 is half an ulp above 1.
    CHECK(q(1.0f + p2(-11), "fp16") == 1.0f);
    CHECK(q(1.0f + 3 * p2(-11), "fp16") == 1.0f + p2(-9));
    CHECK(q(1.0f + p2(-11), "fp16:rhu") == 1.0f + p2(-10));
    CHECK(q(-(1.0f + p2(-11)), "fp16:rhu") == -1.0f);  // ties toward +inf
    CHECK(q(1.0f + p2(-11) + p2(-20), "fp16") == 1.0f + p2(-10));
    CHECK(q(2.0f - p2(-12), "fp16") == 2.0f);  // carry into the exponent
    CHECK(q(2.0f - p2(-12), "fp16:rtz") == 2.0f - p2(-10));
    // Subnormals: min 2^-24, min normal 2^-14, largest subnormal 1023 * 2^-24.
    CHECK(q(p2(-24), "fp16") == p2(-24));
    CHECK(q(p2(-25), "fp16", &st) == 0.0f);  // tie between 0 and 2^-24: even is 0
    CHECK(st.underflow_to_zero == 1);
    CHECK(q(3 * p2(-26), "fp16") == p2(-24));
    CHECK(q(p2(-25) + p2(-40), "fp16") == p2(-24));
    CHECK(q(3 * p2(-25), "fp16") == 2 * p2(-24));  // 1.5 ulp: tie to even 2
    CHECK(q(1023 * p2(-24), "fp16") == 1023 * p2(-24));
    CHECK(q(1023.5f * p2(-24), "fp16") == p2(-14));
    CHECK(q(1023.5f * p2(-24), "fp16:rtz") == 1023 * p2(-24));
    CHECK(q(p2(-14) + p2(-25), "fp16") == p2(-14));  // tie at the bottom normal binade (ulp 2^-24)
    // Float subnormal inputs are rounded, not flushed first.
    CHECK(same(q(-p2(-140), "fp16"), -0.0f));
    CHECK(same(q(-0.0f, "fp16"), -0.0f));
    CHECK(std::isnan(q(std::numeric_limits<float>::quiet_NaN(), "fp16")));
}

TEST_CASE("bf16 vectors", "[numerics][bf16]") {
    QuantStats st;
    CHECK(q(1.0f, "bf16") == from_bits(0x3F800000u));
    CHECK(q(from_bits(0x3F808000u), "bf16") == 1.0f);  // low 16 bits exactly half: tie to even
    CHECK(q(from_bits(0x3F818000u), "bf16") == from_bits(0x3F820000u));
    CHECK(q(from_bits(0x3F808001u), "bf16") == from_bits(0x3F810000u));
    CHECK(q(from_bits(0x3F81FFFFu), "bf16:rtz") == from_bits(0x3F810000u));
    CHECK(q(from_bits(0xBF81FFFFu), "bf16:rtz") == from_bits(0xBF810000u));
    CHECK(q(3.14159265f, "bf16") == from_bits(0x40490000u));  // 3.140625
    const float max = from_bits(0x7F7F0000u);
    CHECK(q(max, "bf16") == max);
    CHECK(q(std::numeric_limits<float>::max(), "bf16", &st) == INFINITY);
    CHECK(q(std::numeric_limits<float>::max(), "bf16:rtz", &st) == max);  // truncation, not overflow
    CHECK(st.saturated == 1);
    CHECK(q(INFINITY, "bf16:rtz", &st) == INFINITY);
    CHECK(st.saturated == 1);
    CHECK(q(from_bits(0x7F7F7FFFu), "bf16") == max);
    // Subnormals: bf16 keeps fp32's exponent range, min subnormal 2^-133.
    CHECK(q(p2(-133), "bf16") == p2(-133));
    CHECK(q(p2(-134), "bf16", &st) == 0.0f);
    CHECK(st.underflow_to_zero == 1);
    CHECK(q(3 * p2(-135), "bf16") == p2(-133));
    CHECK(q(p2(-149), "bf16") == 0.0f);
    CHECK(q(from_bits(0x00018000u), "bf16") == from_bits(0x00020000u));  // subnormal tie to even
    CHECK(q(from_bits(0x00008000u), "bf16") == 0.0f);
}

TEST_CASE("fp8 E4M3 vectors (OCP FP8, satfinite)", "[numerics][fp8]") {
    QuantStats st;
    CHECK(q(448.0f, "fp8e4m3", &st) == 448.0f);
    CHECK(q(464.0f, "fp8e4m3", &st) == 448.0f);  // tie between 448 and 480 (no such value): 448 is even
    CHECK(st.saturated == 0);
    CHECK(q(465.0f, "fp8e4m3", &st) == 448.0f);
    CHECK(q(-1e6f, "fp8e4m3", &st) == -448.0f);
    CHECK(q(INFINITY, "fp8e4m3", &st) == 448.0f);
    CHECK(q(-INFINITY, "fp8e4m3:rtz", &st) == -448.0f);
    CHECK(q(500.0f, "fp8e4m3:sr", &st) == 448.0f);
    CHECK(st.saturated == 5);
    CHECK(std::isnan(q(std::numeric_limits<float>::quiet_NaN(), "fp8e4m3")));
    CHECK(q(p2(-9), "fp8e4m3") == p2(-9));
    CHECK(q(p2(-10), "fp8e4m3") == 0.0f);
    CHECK(q(3 * p2(-11), "fp8e4m3") == p2(-9));
    CHECK(q(p2(-6), "fp8e4m3") == p2(-6));
    CHECK(q(7 * p2(-9), "fp8e4m3") == 7 * p2(-9));
    CHECK(q(1.0625f, "fp8e4m3") == 1.0f);   // tie, even mantissa 000
    CHECK(q(1.1875f, "fp8e4m3") == 1.25f);  // tie, even mantissa 010
    CHECK(q(1.1875f, "fp8e4m3:rtz") == 1.125f);
    CHECK(q(240.0f, "fp8e4m3") == 240.0f);
}

TEST_CASE("fp8 E5M2 vectors", "[numerics][fp8]") {
    QuantStats st;
    CHECK(q(57344.0f, "fp8e5m2", &st) == 57344.0f);
    CHECK(q(61439.0f, "fp8e5m2", &st) == 57344.0f);
    CHECK(st.saturated == 0);
    CHECK(q(61440.0f, "fp8e5m2", &st) == INFINITY);      // max + half ulp: tie to even 65536, overflow
    CHECK(q(61440.0f, "fp8e5m2:rtz", &st) == 57344.0f);  // truncation, not overflow
    CHECK(q(1e6f, "fp8e5m2:rtz", &st) == 57344.0f);      // overflow toward zero: largest finite
    CHECK(st.saturated == 2);
    CHECK(q(-INFINITY, "fp8e5m2", &st) == -INFINITY);
    CHECK(q(p2(-16), "fp8e5m2") == p2(-16));
    CHECK(q(p2(-17), "fp8e5m2") == 0.0f);
    CHECK(q(3 * p2(-18), "fp8e5m2") == p2(-16));
    CHECK(q(1.125f, "fp8e5m2") == 1.0f);
    CHECK(q(1.375f, "fp8e5m2") == 1.5f);
    CHECK(q(1.125f, "fp8e5m2:rhu") == 1.25f);
    CHECK(q(-1.125f, "fp8e5m2:rhu") == -1.0f);
}

TEST_CASE("fp32 is the identity", "[numerics][fp32]") {
    for (float x : {0.1f, -3e38f, p2(-149), -0.0f, INFINITY}) {
        CHECK(same(q(x, "fp32"), x));
        CHECK(same(q(x, "fp32:sr"), x));
    }
    CHECK(std::isnan(q(std::numeric_limits<float>::quiet_NaN(), "fp32")));
}

namespace {

// All float inputs of interest: every bit pattern of every 8/16-bit format decoded, the midpoints and
// near-midpoints between them, random normals and subnormals, the extremes.
std::vector<float> probe_inputs() {
    std::vector<float> in;
    for (uint32_t hi = 0; hi < 0x10000u; ++hi) {
        const uint32_t base = hi << 16;
        in.push_back(from_bits(base));
        in.push_back(from_bits(base | 0x8000u));  // bf16 tie
        in.push_back(from_bits(base | 0x7FFFu));
        in.push_back(from_bits(base | 0x8001u));
        in.push_back(from_bits(base | 0x1000u));  // fp16 tie (13 dropped bits)
        in.push_back(from_bits(base | 0x0FFFu));
    }
    std::mt19937 rng(42);
    std::uniform_int_distribution<uint32_t> bits;
    for (int i = 0; i < 200000; ++i) in.push_back(from_bits(bits(rng)));
    for (int i = 0; i < 50000; ++i) in.push_back(from_bits(bits(rng) & 0x807FFFFFu));  // float subnormals
    for (int i = 0; i < 100000; ++i) {
        // Dense around the fp8/fp16 ranges: exponents -30..20.
        const uint32_t e = 97 + bits(rng) % 51;
        in.push_back(from_bits((bits(rng) & 0x807FFFFFu) | (e << 23)));
    }
    in.push_back(std::numeric_limits<float>::max());
    in.push_back(-std::numeric_limits<float>::max());
    return in;
}

}  // namespace

TEST_CASE("nearest-even and truncation match the table-search reference", "[numerics][float][reference]") {
    const std::vector<float> in = probe_inputs();
    const FormatKind kinds[] = {FormatKind::fp16, FormatKind::bf16, FormatKind::fp8_e4m3,
                                FormatKind::fp8_e5m2};
    for (FormatKind kind : kinds) {
        const auto& ref = trainvp::num::test::ref_format(kind);
        for (Rounding mode : {Rounding::nearest_even, Rounding::truncate}) {
            const Format fmt = Format::of_kind(kind, mode);
            INFO(fmt.to_string());
            std::vector<float> out = in;
            trainvp::num::quantize_array(out.data(), out.size(), fmt, {});
            size_t mismatches = 0;
            for (size_t i = 0; i < in.size(); ++i) {
                const float want = static_cast<float>(ref.round(in[i], mode));
                if (!same(out[i], want) && mismatches++ < 5) {
                    FAIL_CHECK("x=" << in[i] << " got " << out[i] << " want " << want);
                }
            }
            CHECK(mismatches == 0);
        }
    }
}

TEST_CASE("half-up differs from nearest-even only at ties", "[numerics][float]") {
    const std::vector<float> in = probe_inputs();
    for (const char* f : {"fp16", "bf16", "fp8e4m3", "fp8e5m2"}) {
        INFO(f);
        std::vector<float> rne = in, rhu = in;
        trainvp::num::quantize_array(rne.data(), rne.size(), Format::parse(f), {});
        trainvp::num::quantize_array(rhu.data(), rhu.size(), Format::parse(std::string(f) + ":rhu"), {});
        size_t bad = 0, differ = 0;
        for (size_t i = 0; i < in.size(); ++i) {
            if (same(rne[i], rhu[i])) continue;
            ++differ;
            // A difference must be a tie: x exactly halfway, and rhu took the neighbour toward +infinity.
            const double mid = 0.5 * (static_cast<double>(rne[i]) + static_cast<double>(rhu[i]));
            const bool ok =
                std::isfinite(mid) ? (mid == static_cast<double>(in[i]) && rhu[i] > rne[i]) : rhu[i] > rne[i];
            if (!ok && bad++ < 5) FAIL_CHECK("x=" << in[i] << " rne " << rne[i] << " rhu " << rhu[i]);
        }
        CHECK(bad == 0);
        CHECK(differ > 0);
    }
}

TEST_CASE("element-wise quantize equals quantize_array for the floating kinds", "[numerics][float]") {
    // quantize() takes the generic rounding core, quantize_array's rne/rtz loops the fp32-bit-pattern path.
    const std::vector<float> in = probe_inputs();
    for (const char* f : {"fp16", "fp16:rtz", "fp16:rhu", "fp16:sr", "bf16", "bf16:rtz", "bf16:sr", "fp8e4m3",
                          "fp8e4m3:rtz", "fp8e4m3:sr", "fp8e5m2", "fp8e5m2:rtz", "fp8e5m2:rhu", "fp32"}) {
        INFO(f);
        const Format fmt = Format::parse(f);
        const trainvp::num::SrKey key{3, 4, 5};
        std::vector<float> a = in;
        QuantStats sa, se;
        trainvp::num::quantize_array(a.data(), a.size(), fmt, key, &sa);
        size_t bad = 0;
        for (size_t i = 0; i < in.size(); ++i) {
            const float e = quantize(in[i], fmt, key, i, &se);
            if (!same(a[i], e) && bad++ < 5)
                FAIL_CHECK("x=" << in[i] << " array " << a[i] << " element " << e);
        }
        CHECK(bad == 0);
        CHECK(sa.values == se.values);
        CHECK(sa.saturated == se.saturated);
        CHECK(sa.underflow_to_zero == se.underflow_to_zero);
    }
}
