// Fixed point and int8: hand-computed vectors for every rounding mode, saturation and underflow counts.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "numerics/format.h"

using trainvp::num::Format;
using trainvp::num::quantize;
using trainvp::num::QuantStats;

namespace {

float q(float x, const char* fmt, QuantStats* st = nullptr) {
    return quantize(x, Format::parse(fmt), st);
}

struct Vec {
    float in;
    float rne, rtz, rhu;
};

void check_modes(const char* base, const std::vector<Vec>& vecs) {
    const std::string b = base;
    for (const Vec& v : vecs) {
        INFO(base << " x=" << v.in);
        CHECK(q(v.in, (b + ":rne").c_str()) == v.rne);
        CHECK(q(v.in, (b + ":rtz").c_str()) == v.rtz);
        CHECK(q(v.in, (b + ":rhu").c_str()) == v.rhu);
    }
}

}  // namespace

TEST_CASE("fx8.4 rounding modes at and around ties", "[numerics][fixed]") {
    // Grid step 1/16 = 0.0625. rhu = ties toward +infinity.
    check_modes("fx8.4", {
                             {0.03125f, 0.0f, 0.0f, 0.0625f},           // half an LSB: tie, even is 0
                             {0.09375f, 0.125f, 0.0625f, 0.125f},       // 1.5 LSB: tie, even is 2
                             {-0.03125f, 0.0f, 0.0f, 0.0f},             // -0.5 LSB: rhu goes toward +inf
                             {-0.09375f, -0.125f, -0.0625f, -0.0625f},  // -1.5 LSB
                             {0.1f, 0.125f, 0.0625f, 0.125f},           // 1.6 LSB
                             {-0.1f, -0.125f, -0.0625f, -0.125f},
                             {0.05f, 0.0625f, 0.0f, 0.0625f},  // 0.8 LSB
                             {1.0f, 1.0f, 1.0f, 1.0f},
                             {-2.15625f, -2.125f, -2.125f, -2.125f},   // -34.5 LSB: even -34; rhu -34
                             {-2.21875f, -2.25f, -2.1875f, -2.1875f},  // -35.5 LSB: even -36
                             {7.9375f, 7.9375f, 7.9375f, 7.9375f},     // max
                             {-8.0f, -8.0f, -8.0f, -8.0f},             // min
                         });
}

TEST_CASE("fx8.4 saturation and counts", "[numerics][fixed]") {
    QuantStats st;
    CHECK(q(8.0f, "fx8.4", &st) == 7.9375f);
    CHECK(st.saturated == 1);
    CHECK(q(7.96875f, "fx8.4", &st) == 7.9375f);  // 127.5 LSB ties to even 128: out of range
    CHECK(st.saturated == 2);
    CHECK(q(7.96875f, "fx8.4:rtz", &st) == 7.9375f);  // truncates to 127: in range
    CHECK(st.saturated == 2);
    CHECK(q(-8.03125f, "fx8.4", &st) == -8.0f);  // -128.5 ties to even -128: in range
    CHECK(st.saturated == 2);
    CHECK(q(-8.03125f, "fx8.4:rhu", &st) == -8.0f);  // ties toward +inf: -128
    CHECK(st.saturated == 2);
    CHECK(q(-8.04f, "fx8.4", &st) == -8.0f);  // -128.64 -> -129: clamped
    CHECK(st.saturated == 3);
    CHECK(q(1e30f, "fx8.4:sr", &st) == 7.9375f);
    CHECK(q(-INFINITY, "fx8.4", &st) == -8.0f);
    CHECK(q(INFINITY, "fx8.4:rtz", &st) == 7.9375f);
    CHECK(st.saturated == 6);
    // NaN -> 0, counted as saturated (documented: a fixed-point register has no NaN).
    CHECK(q(std::numeric_limits<float>::quiet_NaN(), "fx8.4", &st) == 0.0f);
    CHECK(st.saturated == 7);
    CHECK(st.values == 10);
    CHECK(st.underflow_to_zero == 0);
    CHECK(q(0.03f, "fx8.4", &st) == 0.0f);
    CHECK(q(-0.03f, "fx8.4:rtz", &st) == 0.0f);
    CHECK(q(0.0f, "fx8.4", &st) == 0.0f);  // zero is not an underflow
    CHECK(st.underflow_to_zero == 2);
    // Two's complement has no -0.
    CHECK_FALSE(std::signbit(q(-0.03f, "fx8.4")));
    CHECK_FALSE(std::signbit(q(-0.0f, "fx8.4:rtz")));
    CHECK_FALSE(std::signbit(q(-0.0f, "fx8.4:sr")));
}

TEST_CASE("unusual integer/fraction splits", "[numerics][fixed]") {
    // Negative frac_bits: step 4.
    CHECK(q(6.0f, "fx8.-2") == 8.0f);   // 1.5 steps: tie to even 2
    CHECK(q(10.0f, "fx8.-2") == 8.0f);  // 2.5 steps: tie to even 2
    CHECK(q(10.0f, "fx8.-2:rhu") == 12.0f);
    CHECK(q(1000.0f, "fx8.-2") == 508.0f);
    CHECK(q(-1000.0f, "fx8.-2") == -512.0f);
    // frac_bits > total_bits - 1: range [-2^-3, 2^-3).
    CHECK(q(0.1f, "fx8.10") == 102.0f / 1024.0f);
    CHECK(q(0.2f, "fx8.10") == 127.0f / 1024.0f);
    CHECK(q(-0.2f, "fx8.10") == -0.125f);
    // A grid as fine as float's smallest subnormal keeps float subnormals exact (no flush to zero).
    const float sub = std::ldexp(3.0f, -149);
    CHECK(q(sub, "fx24.149") == sub);
    CHECK(q(-sub, "fx24.149:rtz") == -sub);
    CHECK(q(std::ldexp(1.0f, -149), "fx24.148") == 0.0f);  // half LSB: tie to even 0
    CHECK(q(std::ldexp(3.0f, -149), "fx24.148") == std::ldexp(4.0f, -149));
    // Dey et al. 16-bit datapath: 5 integer bits, 10 fraction bits (papers.md 3.7).
    CHECK(q(3.14159265f, "fx16.10") == 3217.0f / 1024.0f);
    CHECK(q(100.0f, "fx16.10") == 32767.0f / 1024.0f);
}

TEST_CASE("fixed wider than 24 bits", "[numerics][fixed]") {
    QuantStats st;
    // Every float inside the range is already on a grid at least as coarse as its own ulp: exact.
    CHECK(q(123456.7890625f, "fx32.8", &st) == 123456.7890625f);
    CHECK(q(2147483520.0f, "fx32.0", &st) == 2147483520.0f);  // 2^31 - 128, a float
    CHECK(st.saturated == 0);
    // 2^31 saturates; 2^31 - 1 is no float, so the float result is the largest float below the maximum.
    CHECK(q(2147483648.0f, "fx32.0", &st) == 2147483520.0f);
    CHECK(st.saturated == 1);
    CHECK(q(-2147483648.0f, "fx32.0", &st) == -2147483648.0f);
    CHECK(q(-3e9f, "fx32.0", &st) == -2147483648.0f);
    CHECK(st.saturated == 2);
    CHECK(q(0.3f, "fx32.30") == 0.3f);
}

TEST_CASE("int8 with a power-of-two scale", "[numerics][int8]") {
    QuantStats st;
    CHECK(q(0.5f, "int8@-7", &st) == 0.5f);
    CHECK(q(1.0f, "int8@-7", &st) == 127.0f / 128.0f);
    CHECK(q(-1.0f, "int8@-7", &st) == -1.0f);
    CHECK(st.saturated == 1);
    CHECK(q(3.0f, "int8@1") == 4.0f);  // 1.5 steps of 2: tie to even 2
    CHECK(q(5.0f, "int8@1") == 4.0f);  // 2.5 -> 2
    CHECK(q(5.0f, "int8@1:rhu") == 6.0f);
    CHECK(q(-5.0f, "int8@1:rhu") == -4.0f);
    CHECK(q(-5.0f, "int8@1:rtz") == -4.0f);
    CHECK(q(300.0f, "int8") == 127.0f);
    CHECK(q(-300.0f, "int8") == -128.0f);
}

TEST_CASE("quantize_array equals element-wise quantize", "[numerics][fixed]") {
    std::vector<float> v;
    for (int i = -2000; i <= 2000; ++i) v.push_back(static_cast<float>(i) * 0.00731f);
    v.push_back(INFINITY);
    v.push_back(-INFINITY);
    v.push_back(std::numeric_limits<float>::quiet_NaN());
    v.push_back(std::ldexp(1.0f, -140));
    for (const char* f :
         {"fx8.4", "fx8.4:rtz", "fx8.4:rhu", "fx8.4:sr", "fx16.12", "fx32.20:sr", "int8@-3:rhu"}) {
        INFO(f);
        const Format fmt = Format::parse(f);
        const trainvp::num::SrKey key{11, 2, 3};
        std::vector<float> a = v;
        QuantStats sa;
        trainvp::num::quantize_array(a.data(), a.size(), fmt, key, &sa);
        QuantStats se;
        for (size_t i = 0; i < v.size(); ++i) {
            const float e = quantize(v[i], fmt, key, i, &se);
            if (std::isnan(e) || std::isnan(a[i]) || a[i] != e) {
                FAIL_CHECK("index " << i << ": array " << a[i] << " element " << e);
                break;
            }
        }
        CHECK(sa.values == se.values);
        CHECK(sa.saturated == se.saturated);
        CHECK(sa.underflow_to_zero == se.underflow_to_zero);
        CHECK(sa.saturated > 0);
    }
}
