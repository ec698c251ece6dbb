// int8 with a per-tensor scale tracked by the hardware (issue 15 item 3, docs/numerics.md "8-bit training"):
// the scale rule on hand-made code maxima and tensor sequences, and quantise/dequantise round trips.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "common/error.h"
#include "kernels/layer_formats.h"
#include "numerics/format.h"

using namespace trainvp;
using namespace trainvp::kern;

namespace {

// One step of the hardware: round the tensor into int8 at scale s, take the largest code, pick the next s.
int step(int s, std::vector<float> values) {
    const num::Format f = num::Format::int8_scaled(s);
    num::quantize_array(values.data(), values.size(), f, num::SrKey{});
    return next_int8_scale(s, max_int8_code(values.data(), values.size(), s));
}

}  // namespace

TEST_CASE("the next int8 scale follows the stated rule on hand-picked code maxima") {
    // Top code reached (127, or -128 as 128): one step coarser.
    CHECK(next_int8_scale(-7, 127) == -6);
    CHECK(next_int8_scale(-7, 128) == -6);
    // Largest code in [64, 126]: the scale stays.
    CHECK(next_int8_scale(-7, 64) == -7);
    CHECK(next_int8_scale(-7, 126) == -7);
    // Smaller codes: finer by the unused top bits, so the largest code lands in [64, 127].
    CHECK(next_int8_scale(-7, 63) == -8);   // 63 -> 126
    CHECK(next_int8_scale(-7, 32) == -8);   // 32 -> 64
    CHECK(next_int8_scale(-7, 31) == -9);   // 31 -> 124
    CHECK(next_int8_scale(-7, 1) == -13);   // 1 -> 64
    CHECK(next_int8_scale(-7, 0) == -8);    // all codes zero: one step finer
    // Clamped to the accelerator's scale field.
    CHECK(next_int8_scale(kMaxTrackedScale, 127) == kMaxTrackedScale);
    CHECK(next_int8_scale(kMinTrackedScale + 2, 1) == kMinTrackedScale);
}

TEST_CASE("max_int8_code reads the largest magnitude in codes, -128 included") {
    const std::vector<float> v = {0.25f, -0.5f, 0.125f};  // at 2^-7: codes 32, -64, 16
    CHECK(max_int8_code(v.data(), v.size(), -7) == 64);
    const std::vector<float> low = {-1.0f, 0.5f};  // at 2^-7: -128
    CHECK(max_int8_code(low.data(), low.size(), -7) == 128);
    const std::vector<float> nan = {std::nanf(""), 0.0f};
    CHECK(max_int8_code(nan.data(), nan.size(), 0) == 0);
}

TEST_CASE("a tracked scale rises one step per saturated step, falls to fit, and settles where the maximum is covered") {
    // Steps at max 0.3, then 5.0, then 0.01; each run of equal maxima must settle at the smallest scale
    // whose grid covers the maximum (num::choose_int8_scale, an independent reference).
    auto settle = [](int s, float max, int steps, std::vector<int>* trace) {
        const std::vector<float> t = {max, -0.5f * max, 0.25f * max, 0.0f};
        for (int i = 0; i < steps; ++i) {
            s = step(s, t);
            if (trace) trace->push_back(s);
        }
        return s;
    };
    int s = -7;
    s = settle(s, 0.3f, 3, nullptr);
    const std::vector<float> a = {0.3f};
    CHECK(s == num::choose_int8_scale(a.data(), 1));  // 0.3 * 2^8 = 76.8: s = -8
    CHECK(s == -8);
    std::vector<int> up;
    s = settle(s, 5.0f, 6, &up);
    // Saturated at -8, -7, -6, -5 (5.0 > 127 * 2^-5 = 3.97): one step coarser each; 5.0 * 2^4 = 80 at -4.
    CHECK(up == std::vector<int>{-7, -6, -5, -4, -4, -4});
    const std::vector<float> b = {5.0f};
    CHECK(s == num::choose_int8_scale(b.data(), 1));
    // A much smaller maximum, 0.01: at -4 and -5 every code is 0 (0.16, 0.32), so one step finer each; at
    // -6 the code is 1 (0.64), so six steps finer; at -12 the code is 41, one more; at -13 it is 82 and
    // the scale stays.
    std::vector<int> down;
    s = settle(s, 0.01f, 5, &down);
    CHECK(down == std::vector<int>{-5, -6, -12, -13, -13});
    const std::vector<float> c = {0.01f};
    CHECK(s == num::choose_int8_scale(c.data(), 1));
}

TEST_CASE("int8 quantise and dequantise round trips") {
    for (int s : {-13, -7, 0, 5}) {
        const num::Format f = num::Format::int8_scaled(s);
        // Every code decodes to q * 2^s and encodes back to itself.
        for (int q = -128; q <= 127; ++q) {
            const float v = std::ldexp(static_cast<float>(q), s);
            CHECK(num::decode(static_cast<uint32_t>(q) & 0xffu, f) == v);
            CHECK(num::encode(v, f) == (static_cast<uint32_t>(q) & 0xffu));
            CHECK(num::quantize(v, f) == v);
        }
        const float step = std::ldexp(1.0f, s);
        // Off the grid: nearest, ties to even; out of range: saturated.
        CHECK(num::quantize(2.3f * step, f) == 2.0f * step);
        CHECK(num::quantize(2.5f * step, f) == 2.0f * step);
        CHECK(num::quantize(3.5f * step, f) == 4.0f * step);
        CHECK(num::quantize(200.0f * step, f) == 127.0f * step);
        CHECK(num::quantize(-200.0f * step, f) == -128.0f * step);
    }
}

TEST_CASE("the int8 format request: tracked without a scale, refused with a fixed one") {
    const FormatRequest r = parse_format_request("int8");
    CHECK(r.tracked_int8);
    // Initial scale by the fraction rule: range 2 -> 7 - 1 = 6 fraction bits -> 2^-6; range 32 -> 2^-2.
    CHECK(resolve_format(r, 2.0).scale_exp == -6);
    CHECK(resolve_format(r, 32.0).scale_exp == -2);
    CHECK(resolve_format(parse_format_request("int8:sr"), 2.0).rounding == num::Rounding::stochastic);
    CHECK_THROWS_WITH(parse_format_request("int8@-7"), Catch::Matchers::Contains("no int8 with a fixed scale"));
    CHECK_THROWS_WITH(parse_format_request("int8:xx"), Catch::Matchers::Contains("rounding must be"));
}
