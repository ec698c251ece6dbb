// Saturating accumulators and the rounding of raw sums into output formats.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "numerics/accumulator.h"

using namespace trainvp::num;

TEST_CASE("accumulator ranges and saturation at 16, 32, 48 and 64 bits", "[numerics][acc]") {
    CHECK(acc_max(16) == 32767);
    CHECK(acc_min(16) == -32768);
    CHECK(acc_max(32) == 2147483647);
    CHECK(acc_min(48) == -(int64_t{1} << 47));
    CHECK(acc_max(64) == std::numeric_limits<int64_t>::max());
    CHECK_THROWS_AS(acc_max(65), std::invalid_argument);
    CHECK_THROWS_AS(AccumulatorSpec{1}.validate(), std::invalid_argument);
    CHECK_NOTHROW(AccumulatorSpec{}.validate());

    for (int bits : {16, 32, 48}) {
        INFO(bits << " bits");
        const int64_t hi = acc_max(bits), lo = acc_min(bits);
        AccStats st;
        CHECK(acc_add(hi - 5, 5, bits, &st) == hi);
        CHECK(st.saturated == 0);
        CHECK(acc_add(hi - 5, 6, bits, &st) == hi);
        CHECK(acc_add(hi, hi, bits, &st) == hi);
        CHECK(acc_add(lo, -1, bits, &st) == lo);
        CHECK(st.saturated == 3);
        CHECK(acc_add(lo + 1, -1, bits, &st) == lo);
        CHECK(acc_add(hi, lo, bits, &st) == -1);
        CHECK(st.saturated == 3);
        CHECK(st.additions == 6);
        // Saturation is sticky only through the value: once clamped, a later negative addend comes back down.
        int64_t acc = 0;
        for (int i = 0; i < 10; ++i) acc = acc_add(acc, hi / 4, bits, &st);
        CHECK(acc == hi);
        acc = acc_add(acc, -hi / 4, bits, &st);
        CHECK(acc == hi - hi / 4);
        CHECK(acc_saturate(hi + 1, bits, &st) == hi);
        CHECK(acc_saturate(lo, bits, &st) == lo);
    }
    AccStats st;
    const int64_t max64 = std::numeric_limits<int64_t>::max();
    CHECK(acc_add(max64, 1, 64, &st) == max64);
    CHECK(acc_add(std::numeric_limits<int64_t>::min(), -1, 64, &st) == std::numeric_limits<int64_t>::min());
    CHECK(st.saturated == 2);
}

TEST_CASE("acc_mac: exact products, saturation of the sum", "[numerics][acc]") {
    AccStats st;
    // fx8.4 operands (raw 24 = 1.5, raw -40 = -2.5): product raw -960 with 8 fraction bits = -3.75.
    CHECK(acc_mac(0, 24, -40, 32, &st) == -960);
    const int32_t big = std::numeric_limits<int32_t>::min();
    CHECK(acc_mac(0, big, big, 64, &st) == int64_t{1} << 62);
    CHECK(acc_mac(0, big, big, 48, &st) == acc_max(48));
    CHECK(acc_mac(acc_min(48), 1, -1, 48, &st) == acc_min(48));
    CHECK(st.additions == 4);
    CHECK(st.saturated == 2);
    // A dot product of 1000 terms fits in 48 bits but not in 16.
    int64_t a48 = 0, a16 = 0;
    AccStats s48, s16;
    for (int i = 0; i < 1000; ++i) {
        a48 = acc_mac(a48, 127, 127, 48, &s48);
        a16 = acc_mac(a16, 127, 127, 16, &s16);
    }
    CHECK(a48 == 16129000);
    CHECK(s48.saturated == 0);
    CHECK(a16 == 32767);
    CHECK(s16.saturated == 998);  // 2 * 16129 fits, the third product overflows
}

TEST_CASE("round_raw into fixed: hand vectors", "[numerics][acc][round_raw]") {
    // raw with 8 fraction bits into fx8.4: drop 4 bits.
    const SrKey k{};
    CHECK(round_raw(8, 8, Format::parse("fx8.4"), k, 0) == 0.0f);     // 0.5 LSB: even 0
    CHECK(round_raw(24, 8, Format::parse("fx8.4"), k, 0) == 0.125f);  // 1.5 LSB: even 2
    CHECK(round_raw(-24, 8, Format::parse("fx8.4"), k, 0) == -0.125f);
    CHECK(round_raw(-24, 8, Format::parse("fx8.4:rhu"), k, 0) == -0.0625f);  // ties toward +inf
    CHECK(round_raw(-24, 8, Format::parse("fx8.4:rtz"), k, 0) == -0.0625f);
    CHECK(round_raw(-25, 8, Format::parse("fx8.4:rtz"), k, 0) == -0.0625f);
    CHECK(round_raw(-8, 8, Format::parse("fx8.4:rhu"), k, 0) == 0.0f);
    CHECK_FALSE(std::signbit(round_raw(-8, 8, Format::parse("fx8.4:rhu"), k, 0)));
    QuantStats st;
    CHECK(round_raw(int64_t{1} << 40, 8, Format::parse("fx8.4"), k, 0, &st) == 7.9375f);
    CHECK(round_raw(std::numeric_limits<int64_t>::min(), 0, Format::parse("fx8.4"), k, 0, &st) == -8.0f);
    CHECK(round_raw(3, -100, Format::parse("fx16.8"), k, 0, &st) == 32767.0f / 256.0f);  // 3 * 2^100
    CHECK(st.saturated == 3);
    CHECK(round_raw(1, 200, Format::parse("fx16.8"), k, 0, &st) == 0.0f);
    CHECK(st.underflow_to_zero == 1);
    CHECK(st.values == 4);
    // Fewer input fraction bits than output: exact left shift.
    CHECK(round_raw(-3, 2, Format::parse("fx16.12"), k, 0) == -0.75f);
    CHECK(round_raw(5, 0, Format::parse("int8@1"), k, 0) == 4.0f);  // 2.5 steps of 2: even 2
    // A 48-bit accumulator of fx16.12 x fx16.12 products (24 fraction bits) rounded back to fx16.12.
    int64_t acc = 0;
    acc = acc_mac(acc, 4096, 4096, 48);                                 // 1.0 * 1.0
    acc = acc_mac(acc, 2048, -1, 48);                                   // 0.5 * -2^-12
    CHECK(round_raw(acc, 24, Format::parse("fx16.12"), k, 0) == 1.0f);  // 1 - 2^-13: tie to even 4096
    CHECK(round_raw(acc, 24, Format::parse("fx16.12:rtz"), k, 0) == 4095.0f / 4096.0f);
}

TEST_CASE("round_raw into floating formats rounds once, from the exact integer",
          "[numerics][acc][round_raw]") {
    const SrKey k{};
    CHECK(round_raw((int64_t{1} << 24) + 1, 0, Format::parse("fp32"), k, 0) == 16777216.0f);
    CHECK(round_raw((int64_t{1} << 24) + 3, 0, Format::parse("fp32"), k, 0) == 16777220.0f);
    // 2^60 + 2^36 + 1 is above the fp32 tie 2^60 + 2^36; via a double it would become the tie and round to
    // even.
    const int64_t raw = (int64_t{1} << 60) + (int64_t{1} << 36) + 1;
    CHECK(round_raw(raw, 0, Format::parse("fp32"), k, 0) == std::ldexp(1.0f, 60) + std::ldexp(1.0f, 37));
    CHECK(round_raw(-raw, 60, Format::parse("bf16"), k, 0) == -1.0f);
    CHECK(round_raw(2049, 0, Format::parse("fp16"), k, 0) == 2048.0f);
    CHECK(round_raw(2051, 0, Format::parse("fp16"), k, 0) == 2052.0f);
    QuantStats st;
    CHECK(round_raw(70000, 0, Format::parse("fp16"), k, 0, &st) == INFINITY);
    CHECK(round_raw(70000, 0, Format::parse("fp8e4m3"), k, 0, &st) == 448.0f);
    CHECK(st.saturated == 2);
    CHECK(round_raw(1, 25, Format::parse("fp16"), k, 0, &st) == 0.0f);  // 2^-25: tie to 0
    CHECK(round_raw(3, 26, Format::parse("fp16"), k, 0, &st) == std::ldexp(1.0f, -24));
    CHECK(st.underflow_to_zero == 1);
    CHECK(round_raw(0, 10, Format::parse("fp16"), k, 0) == 0.0f);
    CHECK(round_raw(1, -256, Format::parse("fp32"), k, 0) == INFINITY);
    CHECK_THROWS_AS(round_raw(1, 300, Format::parse("fp32"), k, 0), std::invalid_argument);
}

TEST_CASE("round_raw agrees with quantize whenever the raw value is a float", "[numerics][acc][round_raw]") {
    std::mt19937_64 rng(9);
    const char* formats[] = {"fx8.4",       "fx8.4:rtz",  "fx8.4:rhu",  "fx8.4:sr",   "fx16.12:sr",
                             "fx16.3:rhu",  "fx32.16:sr", "int8@-6:sr", "int8@2:rtz", "fp16",
                             "fp16:sr",     "bf16:rhu",   "bf16:sr",    "fp8e4m3",    "fp8e4m3:sr",
                             "fp8e5m2:rtz", "fp8e5m2:sr", "fp32:sr"};
    for (const char* text : formats) {
        INFO(text);
        const Format f = Format::parse(text);
        size_t bad = 0;
        for (int i = 0; i < 20000; ++i) {
            // 24-bit raw values make float(raw * 2^-frac_in) exact.
            const int64_t raw = static_cast<int64_t>(rng() % (1u << 24)) - (1 << 23);
            const int frac_in = static_cast<int>(rng() % 40) - 8;
            const float x = std::ldexp(static_cast<float>(raw), -frac_in);
            const SrKey key{rng(), 1, 2};
            QuantStats sa, sb;
            const float a = round_raw(raw, frac_in, f, key, static_cast<uint64_t>(i), &sa);
            const float b = quantize(x, f, key, static_cast<uint64_t>(i), &sb);
            const bool same =
                (std::isnan(a) && std::isnan(b)) || (a == b && std::signbit(a) == std::signbit(b));
            if ((!same || sa.saturated != sb.saturated || sa.underflow_to_zero != sb.underflow_to_zero) &&
                bad++ < 5) {
                FAIL_CHECK("raw " << raw << " frac_in " << frac_in << ": round_raw " << a << " quantize "
                                  << b);
            }
        }
        CHECK(bad == 0);
    }
}

TEST_CASE("to_raw gives the two's complement integer", "[numerics][acc]") {
    CHECK(to_raw(-1.0f, Format::parse("fx8.4")) == -16);
    CHECK(to_raw(7.9375f, Format::parse("fx8.4")) == 127);
    CHECK(to_raw(-3.0f, Format::parse("int8@-2")) == -12);
    CHECK(to_raw(-2147483648.0f, Format::parse("fx32.0")) == std::numeric_limits<int32_t>::min());
    CHECK_THROWS_AS(to_raw(1.0f, Format::parse("fp16")), std::invalid_argument);
}

TEST_CASE("round_raw_array equals round_raw element by element", "[numerics][acc][round_raw]") {
    const char* formats[] = {"fx16.8",   "fx16.8:rtz",  "fx16.8:rhu", "fx16.8:sr", "fx8.-2",
                             "fx32.20",  "fx24.30",     "int8@-7",    "int8@3:sr", "fp16",
                             "bf16:rtz", "fp8e4m3:rhu", "fp8e5m2:sr", "fp32"};
    std::mt19937_64 rng(12345);
    std::vector<int64_t> raw(1000);
    for (size_t i = 0; i < raw.size(); ++i) {
        const int shift = static_cast<int>(rng() % 62);
        raw[i] = static_cast<int64_t>(rng() >> 2) >> shift;
        if (rng() & 1) raw[i] = -raw[i];
    }
    raw[0] = 0;
    raw[1] = std::numeric_limits<int64_t>::min();
    raw[2] = std::numeric_limits<int64_t>::max();
    // Exact ties and near-ties for every shift the tested frac_in values produce.
    for (int s : {0, 1, 7, 15, 16, 23, 31, 32, 61})
        for (int64_t k = -20; k <= 20; ++k)
            for (int64_t off : {-1, 0, 1}) raw.push_back(k * (int64_t{1} << s) + off);
    const SrKey key{7, 3, 11};
    for (const char* text : formats) {
        const Format fmt = Format::parse(text);
        for (int frac_in : {-10, 0, 8, 9, 17, 24, 40, 70, 71, 256}) {
            CAPTURE(text, frac_in);
            QuantStats scalar_stats, array_stats;
            std::vector<float> array_out(raw.size());
            round_raw_array(raw.data(), raw.size(), frac_in, fmt, key, 500, array_out.data(), &array_stats);
            for (size_t i = 0; i < raw.size(); ++i) {
                const float s = round_raw(raw[i], frac_in, fmt, key, 500 + i, &scalar_stats);
                const bool same = std::isnan(s)
                                      ? std::isnan(array_out[i])
                                      : s == array_out[i] && std::signbit(s) == std::signbit(array_out[i]);
                if (!same) FAIL("element " << i << ": scalar " << s << ", array " << array_out[i]);
            }
            CHECK(array_stats.values == scalar_stats.values);
            CHECK(array_stats.saturated == scalar_stats.saturated);
            CHECK(array_stats.underflow_to_zero == scalar_stats.underflow_to_zero);
        }
    }
    float untouched = 42.0f;
    CHECK_THROWS_AS(round_raw_array(raw.data(), 1, 300, Format::parse("fx16.8"), key, 0, &untouched),
                    std::invalid_argument);
    CHECK(untouched == 42.0f);
}
