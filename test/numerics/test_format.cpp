// Format descriptions: parsing, canonical text, ranges, int8 scale choice.
#include <catch2/catch.hpp>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "numerics/format.h"

using trainvp::num::choose_int8_scale;
using trainvp::num::Format;
using trainvp::num::FormatKind;
using trainvp::num::Rounding;

TEST_CASE("parse and to_string round-trip", "[numerics][format]") {
    const std::vector<std::string> texts = {
        "fp32",       "fp16",        "bf16",      "fp8e4m3",     "fp8e5m2",     "int8",
        "int8@-7",    "int8@3",      "fx16.12",   "fx8.4",       "fx4.0",       "fx32.31",
        "fx8.-2",     "fx8.10",      "fx24.149",  "fp16:rtz",    "bf16:sr",     "fx16.12:rhu",
        "int8@-5:sr", "fp8e4m3:rtz", "fx13.8:sr", "fx21.16:rtz", "fp8e5m2:rhu", "fx32.-96"};
    for (const std::string& t : texts) {
        INFO(t);
        const Format f = Format::parse(t);
        CHECK(f.to_string() == t);
        CHECK(Format::parse(f.to_string()) == f);
    }
    // ":rne" is the default and is dropped from the canonical text.
    CHECK(Format::parse("fx16.12:rne").to_string() == "fx16.12");
    CHECK(Format::parse("int8@0").to_string() == "int8");
}

TEST_CASE("parse fills the fields", "[numerics][format]") {
    const Format fx = Format::parse("fx16.12:sr");
    CHECK(fx.kind == FormatKind::fixed);
    CHECK(fx.total_bits == 16);
    CHECK(fx.frac_bits == 12);
    CHECK(fx.rounding == Rounding::stochastic);
    const Format i8 = Format::parse("int8@-7:rtz");
    CHECK(i8.kind == FormatKind::int8);
    CHECK(i8.scale_exp == -7);
    CHECK(i8.rounding == Rounding::truncate);
    CHECK(Format::parse("fp8e4m3").kind == FormatKind::fp8_e4m3);
    CHECK(Format::parse("fp8e5m2:rhu").rounding == Rounding::half_up);
    CHECK(Format::parse("fx8.-2").frac_bits == -2);
}

TEST_CASE("parse rejects malformed text with a message naming it", "[numerics][format]") {
    const std::vector<std::string> bad = {
        "",       "fp64",     "FP16",     "fx",          "fx16",   "fx16.",    "fx.12",     "fx3.1",
        "fx33.8", "fx16.150", "fx32.-97", "fx16.1x",     "int8@",  "int8@x",   "int8@-150", "int8@121",
        "int4",   "fp16:",    "fp16:rn",  "fp16:sr:rtz", "int8-7", "fx16.12 ", " fp16",     "fp8e4m3x"};
    for (const std::string& t : bad) {
        INFO("'" << t << "'");
        try {
            (void)Format::parse(t);
            FAIL("no exception");
        } catch (const std::invalid_argument& e) {
            CHECK(std::string(e.what()).find("'" + t + "'") != std::string::npos);
        }
    }
}

TEST_CASE("validate rejects out-of-range fields", "[numerics][format]") {
    Format f;
    f.kind = FormatKind::fixed;
    f.total_bits = 40;
    CHECK_THROWS_AS(f.validate(), std::invalid_argument);
    CHECK_THROWS_AS(Format::fixed_point(16, 200), std::invalid_argument);
    CHECK_THROWS_AS(Format::int8_scaled(500), std::invalid_argument);
    CHECK_NOTHROW(Format::fixed_point(16, -100));
    float x = 1.0f;
    CHECK_THROWS_AS(trainvp::num::quantize_array(&x, 1, f, {}), std::invalid_argument);
}

TEST_CASE("storage bits, exactness and ranges", "[numerics][format]") {
    struct Row {
        const char* text;
        int bits;
        bool exact;
        double max, lowest, min_pos;
    };
    const Row rows[] = {
        {"fp32", 32, true, 3.4028234663852886e38, -3.4028234663852886e38, std::ldexp(1.0, -149)},
        {"fp16", 16, true, 65504.0, -65504.0, std::ldexp(1.0, -24)},
        {"bf16", 16, true, 255.0 * std::ldexp(1.0, 120), -255.0 * std::ldexp(1.0, 120),
         std::ldexp(1.0, -133)},
        {"fp8e4m3", 8, true, 448.0, -448.0, std::ldexp(1.0, -9)},
        {"fp8e5m2", 8, true, 57344.0, -57344.0, std::ldexp(1.0, -16)},
        {"int8", 8, true, 127.0, -128.0, 1.0},
        {"int8@-7", 8, true, 127.0 / 128.0, -1.0, 1.0 / 128.0},
        {"fx8.4", 8, true, 7.9375, -8.0, 0.0625},
        {"fx16.12", 16, true, 32767.0 / 4096.0, -8.0, 1.0 / 4096.0},
        {"fx8.-2", 8, true, 508.0, -512.0, 4.0},
        {"fx8.10", 8, true, 127.0 / 1024.0, -0.125, 1.0 / 1024.0},
        {"fx24.0", 24, true, 8388607.0, -8388608.0, 1.0},
        {"fx25.0", 25, false, 16777215.0, -16777216.0, 1.0},
        {"fx32.16", 32, false, 32767.9999847412109375, -32768.0, 1.0 / 65536.0},
    };
    for (const Row& r : rows) {
        INFO(r.text);
        const Format f = Format::parse(r.text);
        CHECK(f.storage_bits() == r.bits);
        CHECK(f.exact_in_float() == r.exact);
        CHECK(f.max_value() == r.max);
        CHECK(f.lowest() == r.lowest);
        CHECK(f.min_positive() == r.min_pos);
    }
    CHECK(Format::parse("fp16").has_infinity());
    CHECK_FALSE(Format::parse("fp8e4m3").has_infinity());
    CHECK(Format::parse("fp8e5m2").has_infinity());
    CHECK(Format::parse("bf16").is_floating());
    CHECK_FALSE(Format::parse("fx16.8").is_floating());
    CHECK(Format::parse("fp16").ulp_at_one() == std::ldexp(1.0, -10));
}

TEST_CASE("operator== compares the fields that matter for the kind", "[numerics][format]") {
    Format a;
    a.kind = FormatKind::fp16;  // total_bits left at 32
    CHECK(a == Format::parse("fp16"));
    CHECK(a != Format::parse("fp16:sr"));
    CHECK(Format::parse("fx16.12") != Format::parse("fx16.11"));
    CHECK(Format::parse("fx16.12") != Format::parse("fx15.12"));
    CHECK(Format::parse("int8@-3") != Format::parse("int8@-4"));
    CHECK(Format::fixed_point(16, 12) == Format::parse("fx16.12"));
    CHECK(Format::int8_scaled(-7, Rounding::stochastic) == Format::parse("int8@-7:sr"));
}

TEST_CASE("int8 scale: smallest exponent with max|x| <= 127 * 2^s", "[numerics][format][int8]") {
    auto scale_of = [](std::vector<float> v) { return choose_int8_scale(v.data(), v.size()); };
    CHECK(scale_of({1.0f}) == -6);          // 127/64 = 1.98 >= 1, 127/128 < 1
    CHECK(scale_of({0.5f, -0.25f}) == -7);  // 127/128 >= 0.5
    CHECK(scale_of({127.0f}) == 0);
    CHECK(scale_of({127.5f}) == 1);
    CHECK(scale_of({-127.0f}) == 0);
    CHECK(scale_of({-128.0f}) == 1);      // symmetric rule: 128 > 127 * 2^0
    CHECK(scale_of({0.9921875f}) == -7);  // exactly 127/128
    CHECK(scale_of({0.99609375f}) == -6);
    CHECK(scale_of({}) == 0);
    CHECK(scale_of({0.0f, -0.0f}) == 0);
    CHECK(scale_of({NAN, INFINITY, 3.0f}) == -5);  // non-finite ignored; 127/32 = 3.97
    CHECK(scale_of({std::ldexp(1.0f, -149)}) == -149);
    CHECK(scale_of({3.0e38f}) == 120);

    // The chosen scale never saturates, and one step smaller would.
    std::vector<float> v = {0.013f, -0.7f, 0.31f};
    const int s = choose_int8_scale(v.data(), v.size());
    trainvp::num::QuantStats st;
    for (Rounding r : {Rounding::nearest_even, Rounding::half_up, Rounding::truncate, Rounding::stochastic}) {
        std::vector<float> q = v;
        trainvp::num::quantize_array(q.data(), q.size(), Format::int8_scaled(s, r), {}, &st);
    }
    CHECK(st.saturated == 0);
    std::vector<float> q = v;
    trainvp::num::quantize_array(q.data(), q.size(), Format::int8_scaled(s - 1), {}, &st);
    CHECK(st.saturated == 1);
}
