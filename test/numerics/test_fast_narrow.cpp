// The integer fast path of the narrow floating kinds (detail::quantize_narrow_float, narrow_float_code,
// narrow_float_code_rne, and the public quantize/quantize_array/encode/encode_fp8_array built on them)
// against the generic core (detail::quantize_float_format, encode_float_format): same values, same bits, same
// saturation and underflow counts, for every upper half of the float patterns, in every rounding mode, with
// stochastic thresholds at the edges and at random.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "numerics/detail.h"
#include "numerics/format.h"

namespace num = trainvp::num;
namespace detail = trainvp::num::detail;
using num::Format;
using num::FormatKind;
using num::Rounding;

namespace {

// Every upper half (sign, exponent, top 7 mantissa bits) with lower halves that sit at, just off and
// between the ties of every narrow kind (each drops at least 13 bits, so the tie bit of fp16 is bit 12 and
// the lower half decides it), plus one pseudo-random lower half per pattern.
std::vector<float> sweep_inputs() {
    static const uint32_t kLow[] = {0x0000u, 0x0001u, 0x0FFFu, 0x1000u, 0x1001u,
                                    0x7FFFu, 0x8000u, 0x8001u, 0xFFFFu};
    std::vector<float> v;
    v.reserve(65536u * (std::size(kLow) + 1));
    for (uint32_t hi = 0; hi < 65536u; ++hi) {
        for (uint32_t lo : kLow) v.push_back(detail::bits_float(hi << 16 | lo));
        v.push_back(detail::bits_float(hi << 16 | static_cast<uint32_t>(detail::mix64(hi) & 0xFFFFu)));
    }
    return v;
}

// Hand-picked edges: zeros, fp32 subnormals, NaNs with payloads, infinities, the largest floats.
std::vector<float> special_inputs() {
    const float kInf = std::numeric_limits<float>::infinity();
    std::vector<float> v = {0.0f,
                            -0.0f,
                            std::numeric_limits<float>::denorm_min(),
                            -std::numeric_limits<float>::denorm_min(),
                            detail::bits_float(0x007FFFFFu),
                            std::numeric_limits<float>::min(),
                            std::numeric_limits<float>::max(),
                            -std::numeric_limits<float>::max(),
                            kInf,
                            -kInf,
                            std::numeric_limits<float>::quiet_NaN(),
                            -std::numeric_limits<float>::quiet_NaN(),
                            detail::bits_float(0x7F800001u),  // signalling NaN
                            detail::bits_float(0xFFBFFFFFu)};
    // Each kind's largest value, its overflow midpoint and beyond, the normal/subnormal boundary and half
    // of the smallest subnormal, with their neighbouring floats.
    for (const detail::FloatSpec* s : {&detail::kFp16, &detail::kE4m3, &detail::kE5m2}) {
        const double top_ulp = std::ldexp(1.0, static_cast<int>(std::log2(s->max_finite)) - s->mant_bits);
        for (double d :
             {s->max_finite, s->max_finite + top_ulp / 2, s->max_finite + top_ulp, std::ldexp(1.0, s->emin()),
              std::ldexp(1.0, s->emin() - s->mant_bits), std::ldexp(1.0, s->emin() - s->mant_bits - 1),
              std::ldexp(3.0, s->emin() - s->mant_bits - 1)}) {
            const float f = static_cast<float>(d);
            for (float g : {f, std::nextafter(f, 0.0f), std::nextafter(f, kInf)}) {
                v.push_back(g);
                v.push_back(-g);
            }
        }
    }
    return v;
}

std::string hex(uint32_t u) {
    std::ostringstream os;
    os << "0x" << std::hex << u;
    return os.str();
}

struct Mismatch {
    uint64_t count = 0;
    std::string first;
    void note(const std::string& what) {
        if (count++ == 0) first = what;
    }
};

// Fast against generic for one spec and mode over inputs x thresholds; returns the comparisons made.
template <Rounding R, const detail::FloatSpec& S>
uint64_t compare_spec(const std::vector<float>& inputs, const std::vector<uint32_t>& thresholds,
                      Mismatch& bad) {
    uint64_t compared = 0;
    for (uint32_t t : thresholds) {
        for (float x : inputs) {
            detail::Counters cf, cg;
            const float fast = detail::quantize_narrow_float<R, S>(x, t, cf);
            const float generic = detail::quantize_float_format(x, S, R, t, cg);
            ++compared;
            if (detail::float_bits(fast) != detail::float_bits(generic) || cf.saturated != cg.saturated ||
                cf.underflow != cg.underflow) {
                bad.note("quantize x=" + hex(detail::float_bits(x)) + " t=" + hex(t) + " fast " +
                         hex(detail::float_bits(fast)) + " generic " + hex(detail::float_bits(generic)));
            }
            const uint32_t generic_code = detail::encode_float_format(generic, S);
            if (detail::narrow_float_code<S>(fast) != generic_code)
                bad.note("code x=" + hex(detail::float_bits(x)) + " t=" + hex(t));
            if (R == Rounding::nearest_even && detail::narrow_float_code_rne<S>(x) != generic_code)
                bad.note("branch-free code x=" + hex(detail::float_bits(x)));
        }
    }
    return compared;
}

template <const detail::FloatSpec& S>
uint64_t compare_all_modes(const std::vector<float>& inputs, Mismatch& bad) {
    const std::vector<uint32_t> none = {0u};
    std::vector<uint32_t> thresholds = {0u, 1u, 0x7FFFFFFFu, 0x80000000u, 0x80000001u, 0xFFFFFFFFu};
    for (uint64_t i = 0; i < 4; ++i) thresholds.push_back(num::sr_threshold(num::SrKey{7, 3, 11}, i));
    return compare_spec<Rounding::truncate, S>(inputs, none, bad) +
           compare_spec<Rounding::nearest_even, S>(inputs, none, bad) +
           compare_spec<Rounding::half_up, S>(inputs, none, bad) +
           compare_spec<Rounding::stochastic, S>(inputs, thresholds, bad);
}

const FormatKind kNarrowKinds[] = {FormatKind::fp16, FormatKind::fp8_e4m3, FormatKind::fp8_e5m2};
const Rounding kModes[] = {Rounding::truncate, Rounding::nearest_even, Rounding::half_up,
                           Rounding::stochastic};

// Every input in fp16, E4M3 and E5M2, all modes: no mismatch, and every comparison made.
void check_all_formats(const std::vector<float>& inputs) {
    Mismatch bad;
    uint64_t compared = compare_all_modes<detail::kFp16>(inputs, bad);
    compared += compare_all_modes<detail::kE4m3>(inputs, bad);
    compared += compare_all_modes<detail::kE5m2>(inputs, bad);
    INFO("first mismatch: " << bad.first);
    CHECK(bad.count == 0);
    CHECK(compared == 3u * inputs.size() * (3 + 10));
}

}  // namespace

TEST_CASE("narrow fast path equals the generic core on every upper half of the float patterns",
          "[numerics][fast]") {
    check_all_formats(sweep_inputs());
}

TEST_CASE("narrow fast path equals the generic core on special values", "[numerics][fast]") {
    check_all_formats(special_inputs());
}

TEST_CASE("narrow fast path: hand-checked saturation, overflow and underflow", "[numerics][fast]") {
    detail::Counters c;
    // E4M3 has no infinity: 480 (the tie above 448), infinity and FLT_MAX saturate to 448 in every mode.
    CHECK(detail::quantize_narrow_float<Rounding::nearest_even, detail::kE4m3>(480.0f, 0, c) == 448.0f);
    CHECK(detail::quantize_narrow_float<Rounding::stochastic, detail::kE4m3>(-INFINITY, 0, c) == -448.0f);
    CHECK(detail::quantize_narrow_float<Rounding::truncate, detail::kE4m3>(3.0e38f, 0, c) == 448.0f);
    CHECK(c.saturated == 3);
    // E5M2 at the overflow tie 61440: nearest-even overflows to infinity (saturated); truncation gives
    // 57344, in range, so not counted.
    CHECK(detail::quantize_narrow_float<Rounding::nearest_even, detail::kE5m2>(61440.0f, 0, c) == INFINITY);
    CHECK(detail::quantize_narrow_float<Rounding::truncate, detail::kE5m2>(61440.0f, 0, c) == 57344.0f);
    CHECK(c.saturated == 4);
    // Half the smallest E4M3 subnormal (2^-10) is a tie to 0; stochastic rounding goes up iff the
    // threshold is at least 2^31, because the discarded part is exactly half an ulp.
    CHECK(detail::float_bits(detail::quantize_narrow_float<Rounding::nearest_even, detail::kE4m3>(
              -std::ldexp(1.0f, -10), 0, c)) == 0x80000000u);
    CHECK(c.underflow == 1);
    CHECK(detail::quantize_narrow_float<Rounding::half_up, detail::kE4m3>(std::ldexp(1.0f, -10), 0, c) ==
          std::ldexp(1.0f, -9));
    CHECK(detail::quantize_narrow_float<Rounding::stochastic, detail::kE4m3>(std::ldexp(1.0f, -10),
                                                                             0x7FFFFFFFu, c) == 0.0f);
    CHECK(detail::quantize_narrow_float<Rounding::stochastic, detail::kE4m3>(
              std::ldexp(1.0f, -10), 0x80000000u, c) == std::ldexp(1.0f, -9));
    CHECK(c.underflow == 2);
    // Published patterns: E4M3 0.5 * 2^-6 is subnormal 0x04, E5M2 -2^-16 is 0x81.
    CHECK(detail::narrow_float_code<detail::kE4m3>(std::ldexp(1.0f, -7)) == 0x04u);
    CHECK(detail::narrow_float_code<detail::kE5m2>(-std::ldexp(1.0f, -16)) == 0x81u);
    CHECK(detail::narrow_float_code<detail::kE4m3>(std::numeric_limits<float>::quiet_NaN()) == 0x7Fu);
    CHECK(detail::narrow_float_code<detail::kE5m2>(-INFINITY) == 0xFCu);
}

TEST_CASE("public quantize, quantize_array and encode of the narrow kinds equal the generic core",
          "[numerics][fast]") {
    std::vector<float> inputs = special_inputs();
    for (uint32_t i = 0; i < 20000; ++i)
        inputs.push_back(detail::bits_float(static_cast<uint32_t>(detail::mix64(i) >> 32)));
    const num::SrKey key{0x5EEDu, 9, 4};
    uint64_t compared = 0;
    Mismatch bad;
    for (FormatKind kind : kNarrowKinds) {
        const detail::FloatSpec& spec = *detail::float_spec(kind);
        for (Rounding mode : kModes) {
            const Format fmt = Format::of_kind(kind, mode);
            std::vector<float> array = inputs;
            num::QuantStats array_stats;
            num::quantize_array(array.data(), array.size(), fmt, key, 100, &array_stats);
            detail::Counters total;
            const Rounding encode_mode = mode == Rounding::stochastic ? Rounding::nearest_even : mode;
            for (size_t i = 0; i < inputs.size(); ++i) {
                const float x = inputs[i];
                const uint32_t t = mode == Rounding::stochastic ? num::sr_threshold(key, 100 + i) : 0;
                const float generic = detail::quantize_float_format(x, spec, mode, t, total);
                num::QuantStats one;
                const float scalar = num::quantize(x, fmt, key, 100 + i, &one);
                detail::Counters ec;
                const uint32_t generic_code = detail::encode_float_format(
                    detail::quantize_float_format(x, spec, encode_mode, 0, ec), spec);
                ++compared;
                if (detail::float_bits(scalar) != detail::float_bits(generic) ||
                    detail::float_bits(array[i]) != detail::float_bits(generic) || one.values != 1)
                    bad.note(fmt.to_string() + " quantize x=" + hex(detail::float_bits(x)));
                if (num::encode(x, fmt) != generic_code)
                    bad.note(fmt.to_string() + " encode x=" + hex(detail::float_bits(x)));
            }
            CHECK(array_stats.values == inputs.size());
            CHECK(array_stats.saturated == total.saturated);
            CHECK(array_stats.underflow_to_zero == total.underflow);
        }
    }
    INFO("first mismatch: " << bad.first);
    CHECK(bad.count == 0);
    CHECK(compared == 3u * 4u * inputs.size());
}

TEST_CASE("encode_fp8_array equals encode element by element", "[numerics][fast][codec]") {
    std::vector<float> inputs = special_inputs();
    for (uint32_t hi = 0; hi < 65536u; ++hi) inputs.push_back(detail::bits_float(hi << 16 | (hi & 0x1FFFu)));
    Mismatch bad;
    for (FormatKind kind : {FormatKind::fp8_e4m3, FormatKind::fp8_e5m2}) {
        for (Rounding mode : kModes) {
            const Format fmt = Format::of_kind(kind, mode);
            std::vector<uint8_t> bytes(inputs.size(), 0xA5u);
            num::encode_fp8_array(inputs.data(), inputs.size(), fmt, bytes.data());
            for (size_t i = 0; i < inputs.size(); ++i)
                if (bytes[i] != num::encode(inputs[i], fmt))
                    bad.note(fmt.to_string() + " x=" + hex(detail::float_bits(inputs[i])));
        }
    }
    INFO("first mismatch: " << bad.first);
    CHECK(bad.count == 0);
    uint8_t byte = 0;
    const float one = 1.0f;
    CHECK_THROWS_AS(num::encode_fp8_array(&one, 1, Format::parse("fp16"), &byte), std::invalid_argument);
}
