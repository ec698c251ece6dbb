// Storage encodings: the bit patterns the hardware keeps in buffers and DRAM.
#include <cmath>
#include <stdexcept>

#include "numerics/detail.h"
#include "numerics/format.h"

namespace trainvp::num {

namespace detail {

uint32_t encode_float_format(float v, const FloatSpec& s) {
    const int width = 1 + s.exp_bits + s.mant_bits;
    const uint32_t sign = (float_bits(v) >> 31) << (width - 1);
    const uint32_t exp_ones = (1u << s.exp_bits) - 1;
    if (std::isnan(v)) {
        // Canonical quiet NaN: E4M3 has a single NaN per sign (S.1111.111); the IEEE-like kinds set the
        // exponent and the top mantissa bit.
        const uint32_t mant = s.has_inf ? 1u << (s.mant_bits - 1) : (1u << s.mant_bits) - 1;
        return sign | (exp_ones << s.mant_bits) | mant;
    }
    if (std::isinf(v)) return sign | (exp_ones << s.mant_bits);  // only reached for kinds with infinity
    const double a = std::fabs(static_cast<double>(v));
    if (a == 0.0) return sign;
    int e = 0;
    (void)std::frexp(a, &e);  // a in [2^(e-1), 2^e)
    const int exp = e - 1;
    if (exp < s.emin()) {
        const uint32_t mant = static_cast<uint32_t>(a * pow2(s.mant_bits - s.emin()));
        return sign | mant;
    }
    const uint32_t mant = static_cast<uint32_t>(a * pow2(s.mant_bits - exp)) - (1u << s.mant_bits);
    return sign | (static_cast<uint32_t>(exp + s.bias) << s.mant_bits) | mant;
}

}  // namespace detail

namespace {

Format encode_rounding(const Format& fmt) {
    Format f = fmt;
    // encode() has no SR key: a value that still needs rounding takes nearest-even.
    if (f.rounding == Rounding::stochastic) f.rounding = Rounding::nearest_even;
    return f;
}

// encode() of the narrow floating kinds without the generic core: one rounding mode per instantiation
// (stochastic takes nearest-even, as encode_rounding() says).
template <Rounding R, const detail::FloatSpec& S>
uint32_t encode_narrow(float v) {
    if constexpr (R == Rounding::nearest_even) {
        return detail::narrow_float_code_rne<S>(v);
    } else {
        detail::Counters unused;
        return detail::narrow_float_code<S>(detail::quantize_narrow_float<R, S>(v, 0, unused));
    }
}

template <const detail::FloatSpec& S>
uint32_t encode_narrow(float v, Rounding mode) {
    switch (mode) {
        case Rounding::truncate:
            return encode_narrow<Rounding::truncate, S>(v);
        case Rounding::half_up:
            return encode_narrow<Rounding::half_up, S>(v);
        case Rounding::nearest_even:
        case Rounding::stochastic:
            break;
    }
    return encode_narrow<Rounding::nearest_even, S>(v);
}

template <Rounding R, const detail::FloatSpec& S>
void encode_narrow_bytes(const float* values, size_t n, uint8_t* bytes) {
    for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<uint8_t>(encode_narrow<R, S>(values[i]));
}

template <const detail::FloatSpec& S>
void encode_narrow_bytes(const float* values, size_t n, Rounding mode, uint8_t* bytes) {
    switch (mode) {
        case Rounding::truncate:
            return encode_narrow_bytes<Rounding::truncate, S>(values, n, bytes);
        case Rounding::half_up:
            return encode_narrow_bytes<Rounding::half_up, S>(values, n, bytes);
        case Rounding::nearest_even:
        case Rounding::stochastic:
            break;
    }
    encode_narrow_bytes<Rounding::nearest_even, S>(values, n, bytes);
}

float decode_float_format(uint32_t bits, const detail::FloatSpec& s) {
    const int width = 1 + s.exp_bits + s.mant_bits;
    const bool neg = ((bits >> (width - 1)) & 1u) != 0;
    const uint32_t exp_ones = (1u << s.exp_bits) - 1;
    const uint32_t e = (bits >> s.mant_bits) & exp_ones;
    const uint32_t m = bits & ((1u << s.mant_bits) - 1);
    double a;
    if (e == 0) {
        a = m * detail::pow2(s.emin() - s.mant_bits);
    } else if (e == exp_ones && s.has_inf) {
        a = m == 0 ? INFINITY : NAN;
    } else if (e == exp_ones && m == (1u << s.mant_bits) - 1) {
        a = NAN;  // E4M3 S.1111.111
    } else {
        a = (static_cast<double>(m) + detail::pow2(s.mant_bits)) *
            detail::pow2(static_cast<int>(e) - s.bias - s.mant_bits);
    }
    const float f = static_cast<float>(a);
    return neg ? -f : f;
}

}  // namespace

uint32_t encode(float value, const Format& fmt) {
    fmt.validate();
    switch (fmt.kind) {
        case FormatKind::fp32:
            return detail::float_bits(value);
        case FormatKind::bf16: {
            // bf16 is the upper half of fp32 (same exponent range), after rounding the low 16 bits away.
            const float r = quantize(value, encode_rounding(fmt));
            if (std::isnan(r)) return ((detail::float_bits(r) >> 16) & 0x8000u) | 0x7FC0u;
            return detail::float_bits(r) >> 16;
        }
        case FormatKind::fp16:
            return encode_narrow<detail::kFp16>(value, fmt.rounding);
        case FormatKind::fp8_e4m3:
            return encode_narrow<detail::kE4m3>(value, fmt.rounding);
        case FormatKind::fp8_e5m2:
            return encode_narrow<detail::kE5m2>(value, fmt.rounding);
        case FormatKind::fixed:
        case FormatKind::int8: {
            // Integer rounding straight from the float so formats wider than 24 bits encode every q exactly.
            const detail::FixedGrid g = detail::fixed_grid(fmt);
            const int total = fmt.storage_bits();
            if (std::isnan(value)) return 0;
            const double v = static_cast<double>(value) * g.scale;
            const bool neg = v < 0.0;
            double m = std::fabs(v);
            if (m > g.clamp_mag) m = g.clamp_mag;
            double q = 0.0;
            switch (encode_rounding(fmt).rounding) {
                case Rounding::truncate:
                    q = detail::round_magnitude<Rounding::truncate>(m, neg, 0);
                    break;
                case Rounding::half_up:
                    q = detail::round_magnitude<Rounding::half_up>(m, neg, 0);
                    break;
                default:
                    q = detail::round_magnitude<Rounding::nearest_even>(m, neg, 0);
                    break;
            }
            const double cap = neg ? g.neg_mag : g.qmax;
            if (q > cap) q = cap;
            const int64_t qi = static_cast<int64_t>(neg ? -q : q);
            const uint32_t mask = total == 32 ? 0xFFFFFFFFu : (1u << total) - 1;
            return static_cast<uint32_t>(qi) & mask;
        }
    }
    return 0;
}

void encode_fp8_array(const float* values, size_t n, const Format& fmt, uint8_t* bytes) {
    fmt.validate();
    switch (fmt.kind) {
        case FormatKind::fp8_e4m3:
            return encode_narrow_bytes<detail::kE4m3>(values, n, fmt.rounding, bytes);
        case FormatKind::fp8_e5m2:
            return encode_narrow_bytes<detail::kE5m2>(values, n, fmt.rounding, bytes);
        default:
            throw std::invalid_argument("encode_fp8_array: format " + fmt.to_string() + " is not fp8");
    }
}

float decode(uint32_t bits, const Format& fmt) {
    fmt.validate();
    switch (fmt.kind) {
        case FormatKind::fp32:
            return detail::bits_float(bits);
        case FormatKind::bf16:
            return detail::bits_float((bits & 0xFFFFu) << 16);
        case FormatKind::fp16:
        case FormatKind::fp8_e4m3:
        case FormatKind::fp8_e5m2:
            return decode_float_format(bits, *detail::float_spec(fmt.kind));
        case FormatKind::fixed:
        case FormatKind::int8: {
            const int total = fmt.storage_bits();
            const int frac = fmt.kind == FormatKind::int8 ? -fmt.scale_exp : fmt.frac_bits;
            const uint32_t mask = total == 32 ? 0xFFFFFFFFu : (1u << total) - 1;
            uint32_t u = bits & mask;
            int64_t q = u;
            if (u >> (total - 1)) q -= int64_t{1} << total;  // sign-extend
            return static_cast<float>(static_cast<double>(q) * detail::pow2(-frac));
        }
    }
    return 0.0f;
}

}  // namespace trainvp::num
