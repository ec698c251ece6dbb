// Internal to trainvp_numerics: format constants and the inline rounding cores shared by quantize(),
// quantize_array(), encode() and round_raw(). Not part of the public API.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "numerics/format.h"

namespace trainvp::num::detail {

inline uint32_t float_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}
inline float bits_float(uint32_t u) {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}
// 2^e as a double, exact for -1022 <= e <= 1023.
inline double pow2(int e) {
    const uint64_t u = static_cast<uint64_t>(e + 1023) << 52;
    double d;
    std::memcpy(&d, &u, sizeof d);
    return d;
}

// IEEE-style binary formats: value = (2^M + m) * 2^(e - bias - M) for exponent field e >= 1, m * 2^(emin - M)
// for e == 0 (subnormal), emin = 1 - bias.
struct FloatSpec {
    int mant_bits;
    int exp_bits;
    int bias;
    bool has_inf;  // false: E4M3 (OCP FP8), which saturates and reserves S.1111.111 for NaN
    double max_finite;
    constexpr int emin() const { return 1 - bias; }
};

inline constexpr FloatSpec kFp32{23, 8, 127, true, 3.4028234663852886e38};
inline constexpr FloatSpec kFp16{10, 5, 15, true, 65504.0};
inline constexpr FloatSpec kBf16{7, 8, 127, true, 3.3895313892515355e38};  // 255 * 2^120
inline constexpr FloatSpec kE4m3{3, 4, 7, false, 448.0};
inline constexpr FloatSpec kE5m2{2, 5, 15, true, 57344.0};

// nullptr for fixed and int8.
const FloatSpec* float_spec(FormatKind kind);

// SplitMix64 finaliser (Steele, Lea, Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014).
inline uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
inline constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;
// One SplitMix64 stream per (seed, tensor, step); element `index` takes output number `index` of the stream.
inline uint64_t sr_stream(const SrKey& key) {
    return key.seed ^ mix64((static_cast<uint64_t>(key.tensor) << 32) | key.step);
}
inline uint32_t sr_draw(uint64_t stream, uint64_t index) {
    return static_cast<uint32_t>(mix64(stream + (index + 1) * kGolden) >> 32);
}

// sig >> d split into the kept part q, the discarded part compared with half an ulp (-1, 0, +1), and the
// top 32 bits of the discarded part (the stochastic-rounding comparand).
struct ShiftInfo {
    uint64_t q;
    int half_cmp;
    uint32_t top32;
};
inline ShiftInfo shift_info(uint64_t sig, int d) {
    if (d <= 0) return {sig, -1, 0};
    if (d < 64) {
        const uint64_t rem = sig & ((uint64_t{1} << d) - 1);
        const uint64_t half = uint64_t{1} << (d - 1);
        const uint32_t top =
            d <= 32 ? static_cast<uint32_t>(rem << (32 - d)) : static_cast<uint32_t>(rem >> (d - 32));
        return {sig >> d, rem > half ? 1 : (rem == half ? 0 : -1), top};
    }
    const int half_cmp =
        d == 64 ? (sig > (uint64_t{1} << 63) ? 1 : (sig == (uint64_t{1} << 63) ? 0 : -1)) : -1;
    const uint32_t top = d - 32 < 64 ? static_cast<uint32_t>(sig >> (d - 32)) : 0;
    return {0, half_cmp, top};
}

// Whether the magnitude rounds up (away from zero). `neg` matters only for half_up (ties toward +infinity).
inline bool round_up(Rounding mode, bool neg, const ShiftInfo& s, uint32_t threshold) {
    switch (mode) {
        case Rounding::truncate:
            return false;
        case Rounding::nearest_even:
            return s.half_cmp > 0 || (s.half_cmp == 0 && (s.q & 1));
        case Rounding::half_up:
            return s.half_cmp > 0 || (s.half_cmp == 0 && !neg);
        case Rounding::stochastic:
            return static_cast<uint64_t>(s.top32) + threshold >= (uint64_t{1} << 32);
    }
    return false;
}

inline int bit_width(uint64_t v) {
#if defined(__GNUC__)
    return v == 0 ? 0 : 64 - __builtin_clzll(v);
#else
    int w = 0;
    for (; v != 0; v >>= 1) ++w;
    return w;
#endif
}

struct Counters {
    uint64_t saturated = 0;
    uint64_t underflow = 0;
};

// Rounds (neg ? -1 : 1) * sig * 2^lsb_exp into spec. `top_exp` is floor(log2(sig * 2^lsb_exp)), or any value
// <= spec.emin() when the value lies below spec's normal range.
inline float round_to_float_format(bool neg, uint64_t sig, int lsb_exp, int top_exp, const FloatSpec& spec,
                                   Rounding mode, uint32_t threshold, Counters& c) {
    if (sig == 0) return neg ? -0.0f : 0.0f;
    const int emin = spec.emin();
    const int lsb_target = (top_exp > emin ? top_exp : emin) - spec.mant_bits;
    const int d = lsb_target - lsb_exp;
    double mag;
    if (d <= 0) {
        mag = static_cast<double>(sig) * pow2(lsb_exp);
    } else {
        const ShiftInfo s = shift_info(sig, d);
        const uint64_t q = s.q + (round_up(mode, neg, s, threshold) ? 1 : 0);
        mag = static_cast<double>(q) * pow2(lsb_target);
    }
    if (mag > spec.max_finite) {
        ++c.saturated;
        mag = (spec.has_inf && mode != Rounding::truncate) ? std::numeric_limits<double>::infinity()
                                                           : spec.max_finite;
    }
    if (mag == 0.0) ++c.underflow;
    const float f = static_cast<float>(mag);
    return neg ? -f : f;
}

// Float input: special values, then the core with sig/lsb_exp taken from the float's fields.
inline float quantize_float_format(float x, const FloatSpec& spec, Rounding mode, uint32_t threshold,
                                   Counters& c) {
    const uint32_t u = float_bits(x);
    const uint32_t a = u & 0x7FFFFFFFu;
    const bool neg = (u >> 31) != 0;
    if (a >= 0x7F800000u) {
        if (a > 0x7F800000u) return x;  // NaN
        if (spec.has_inf) return x;
        ++c.saturated;
        return static_cast<float>(neg ? -spec.max_finite : spec.max_finite);
    }
    const uint32_t e = a >> 23;
    const uint64_t sig = e ? ((a & 0x7FFFFFu) | 0x800000u) : a;
    const int lsb_exp = e ? static_cast<int>(e) - 150 : -149;
    const int top_exp = e ? static_cast<int>(e) - 127 : -127;
    return round_to_float_format(neg, sig, lsb_exp, top_exp, spec, mode, threshold, c);
}

// The generic encoder of the IEEE-style kinds (codec.cpp): the pattern of a value already representable in
// spec, NaN canonicalised. The reference that narrow_float_code() is tested against.
uint32_t encode_float_format(float v, const FloatSpec& spec);

// Fast path for the narrow kinds (fp16, E4M3, E5M2): every grid step of these formats, subnormal ones
// included, is a normal float, so rounding is integer work on the fp32 fields and the result is built as
// q * 2^lsb in float, exactly. Same result and counts as quantize_float_format() for every input, threshold
// and mode (test_fast_narrow.cpp checks all 2^16 upper halves of the float patterns).
template <Rounding R, const FloatSpec& S>
inline float quantize_narrow_float(float x, uint32_t threshold, Counters& c) {
    static_assert(S.emin() - S.mant_bits > -126, "the format's smallest grid step must be a normal float");
    const uint32_t u = float_bits(x);
    const uint32_t a = u & 0x7FFFFFFFu;
    const uint32_t sign = u & 0x80000000u;
    const float max_finite = static_cast<float>(S.max_finite);
    if (a >= 0x7F800000u) {
        if (a > 0x7F800000u || S.has_inf) return x;  // NaN, or infinity in a format that has it
        ++c.saturated;
        return bits_float(sign | float_bits(max_finite));
    }
    if (a == 0) return x;
    // fp32 subnormals take exponent -126 without the hidden bit, as the generic core's significand does.
    const uint32_t ef = a >> 23;
    const int e = ef ? static_cast<int>(ef) - 127 : -126;
    const uint64_t sig = (a & 0x7FFFFFu) | (ef ? 0x800000u : 0u);
    const int lsb_target = (e > S.emin() ? e : S.emin()) - S.mant_bits;
    // Discarded bits: at least 23 - M. From 56 on the whole 24-bit significand lies below half an ulp and
    // below the 32 bits the stochastic comparand keeps, so capping d there changes nothing.
    int d = lsb_target - (e - 23);
    d = d < 56 ? d : 56;
    const uint64_t rem = sig & ((uint64_t{1} << d) - 1);
    const uint64_t half = uint64_t{1} << (d - 1);
    uint64_t q = sig >> d;
    bool up = false;
    if constexpr (R == Rounding::nearest_even) {
        (void)threshold;
        up = rem > half || (rem == half && (q & 1u));
    } else if constexpr (R == Rounding::half_up) {
        (void)threshold;
        up = rem > half || (rem == half && sign == 0);
    } else if constexpr (R == Rounding::stochastic) {
        const uint32_t top32 =
            d <= 32 ? static_cast<uint32_t>(rem << (32 - d)) : static_cast<uint32_t>(rem >> (d - 32));
        up = static_cast<uint64_t>(top32) + threshold >= (uint64_t{1} << 32);
    } else {
        (void)threshold;
        (void)rem;
        (void)half;
    }
    q += up ? 1u : 0u;
    // q <= 2^(M+1) and 2^lsb_target is a normal float: the product is exact (or +inf past fp32's range,
    // which saturates below as the generic core's double does).
    float mag = static_cast<float>(q) * bits_float(static_cast<uint32_t>(lsb_target + 127) << 23);
    if (mag > max_finite) {
        ++c.saturated;
        mag = (S.has_inf && R != Rounding::truncate) ? std::numeric_limits<float>::infinity() : max_finite;
    }
    if (mag == 0.0f) ++c.underflow;
    return bits_float(float_bits(mag) | sign);
}

// The storage pattern of r, a value of S (the output of quantize_narrow_float), NaN or infinity: the fields
// read straight off the fp32 pattern. Same bits as encode_float_format().
template <const FloatSpec& S>
inline uint32_t narrow_float_code(float r) {
    constexpr int kWidth = 1 + S.exp_bits + S.mant_bits;
    constexpr uint32_t kExpOnes = (1u << S.exp_bits) - 1;
    constexpr uint32_t kMantMask = (1u << S.mant_bits) - 1;
    const uint32_t u = float_bits(r);
    const uint32_t a = u & 0x7FFFFFFFu;
    const uint32_t sign = (u >> 31) << (kWidth - 1);
    if (a > 0x7F800000u) {
        // Canonical quiet NaN, as encode_float_format().
        return sign | (kExpOnes << S.mant_bits) | (S.has_inf ? 1u << (S.mant_bits - 1) : kMantMask);
    }
    if (a == 0x7F800000u) return sign | (kExpOnes << S.mant_bits);
    const int e = static_cast<int>(a >> 23) - 127;
    if (e < S.emin()) {
        // A subnormal of S (or zero): r * 2^(M - emin) is its integer mantissa, exactly.
        const float scale = bits_float(static_cast<uint32_t>(S.mant_bits - S.emin() + 127) << 23);
        return sign | static_cast<uint32_t>(bits_float(a) * scale);
    }
    return sign | (static_cast<uint32_t>(e + S.bias) << S.mant_bits) |
           ((a >> (23 - S.mant_bits)) & kMantMask);
}

// encode() with nearest-even for the narrow kinds in one branch-free step (selects only, so array loops
// vectorise), the same bits as narrow_float_code(quantize_narrow_float<nearest_even>()). In the normal
// range nearest-even drops the low 23-M bits of the fp32 pattern (a carry moves into the exponent) and
// rebiasing the exponent field gives the code. Below it the grid is 2^(emin-M): adding C = 2^(emin-M+23),
// whose ulp is that grid, lets the FPU's default rounding round, and the low bits of the sum are the
// subnormal mantissa (2^M when the value rounds up to the smallest normal, whose code that is). Overflow and
// infinity give infinity (E5M2, fp16) or the largest value (E4M3); NaN the canonical NaN.
template <const FloatSpec& S>
inline uint32_t narrow_float_code_rne(float x) {
    static_assert(S.emin() - S.mant_bits > -126, "the format's smallest grid step must be a normal float");
    constexpr int kDrop = 23 - S.mant_bits;
    constexpr uint32_t kLowMask = (1u << kDrop) - 1;
    constexpr uint32_t kMinNormal = static_cast<uint32_t>(S.emin() + 127) << 23;
    constexpr uint32_t kRebias = static_cast<uint32_t>(127 - S.bias) << S.mant_bits;
    constexpr int kWidth = 1 + S.exp_bits + S.mant_bits;
    constexpr uint32_t kExpOnes = (1u << S.exp_bits) - 1;
    constexpr uint32_t kMantMask = (1u << S.mant_bits) - 1;
    constexpr uint32_t kNanCode =
        (kExpOnes << S.mant_bits) | (S.has_inf ? 1u << (S.mant_bits - 1) : kMantMask);
    const uint32_t max_bits = float_bits(static_cast<float>(S.max_finite));
    const uint32_t overflow_code = S.has_inf ? kExpOnes << S.mant_bits : (max_bits >> kDrop) - kRebias;
    const float magic = bits_float(static_cast<uint32_t>(S.emin() - S.mant_bits + 23 + 127) << 23);
    const uint32_t u = float_bits(x);
    const uint32_t a = u & 0x7FFFFFFFu;
    const uint32_t normal_bits = (a + (kLowMask >> 1) + ((a >> kDrop) & 1u)) & ~kLowMask;
    const uint32_t normal_code = (normal_bits >> kDrop) - kRebias;  // meaningless below kMinNormal: unused
    const uint32_t sub_code = float_bits(bits_float(a) + magic) - float_bits(magic);
    uint32_t code = a < kMinNormal ? sub_code : normal_code;
    code = normal_bits > max_bits ? overflow_code : code;  // also infinity (and NaN, replaced next)
    code = a > 0x7F800000u ? kNanCode : code;
    return ((u >> 31) << (kWidth - 1)) | code;
}

// Fixed point and int8 as one grid: q * step with q in [qmin, qmax].
struct FixedGrid {
    double scale;      // 1 / step = 2^frac_bits
    double step;       // 2^-frac_bits
    double qmax;       // 2^(total-1) - 1
    double qmax_f;     // largest q <= qmax with q * step exact in float (== qmax up to 24 bits)
    double neg_mag;    // 2^(total-1): |qmin|
    double clamp_mag;  // neg_mag + 1: magnitudes above every limit, still exact in double
};
FixedGrid fixed_grid(const Format& fmt);

inline constexpr double kTwo52 = 4503599627370496.0;
inline constexpr double kTwo32 = 4294967296.0;

// Rounds the non-negative magnitude m (< 2^52) to an integer. Nearest-even uses the 2^52 addition: doubles in
// [2^52, 2^53) are integers, so the FPU's default round-to-nearest-even does the rounding (no -ffast-math).
// Written with selects only, so the array loops compile without branches.
template <Rounding R>
inline double round_magnitude(double m, bool neg, uint32_t threshold) {
    const double rne = (m + kTwo52) - kTwo52;
    if constexpr (R == Rounding::nearest_even) {
        (void)neg;
        (void)threshold;
        return rne;
    } else {
        const double fl = rne - (rne > m ? 1.0 : 0.0);
        if constexpr (R == Rounding::truncate) {
            (void)neg;
            (void)threshold;
            return fl;
        } else if constexpr (R == Rounding::half_up) {
            (void)threshold;
            const double frac = m - fl;
            return fl + ((frac > 0.5) | ((frac == 0.5) & !neg) ? 1.0 : 0.0);
        } else {
            (void)neg;
            // Up iff floor(frac * 2^32) + threshold >= 2^32; both sides exact in double.
            const double frac32 = (m - fl) * kTwo32;
            return fl + (frac32 >= kTwo32 - static_cast<double>(threshold) ? 1.0 : 0.0);
        }
    }
}

template <Rounding R>
inline float quantize_fixed(float x, const FixedGrid& g, uint32_t threshold, uint64_t& saturated,
                            uint64_t& underflow) {
    const bool nan = !(x == x);
    double v = static_cast<double>(x) * g.scale;  // exact: a power-of-two scaling inside double's range
    v = nan ? 0.0 : v;
    if constexpr (R != Rounding::stochastic) {
        // Signed-domain rounding with selects only (vectorises). (v + M) - M with M = 1.5 * 2^52 rounds to
        // the nearest integer, ties to even, for |v| < 2^51, and gives +0 for -0.5 <= v <= 0 (no -0 in two's
        // complement). half_up is floor(v + 0.5): exact, because v has at most 24 significant bits and
        // |v| <= 2^31 + 1 (for |v| < 2^-30 the sum may round, but never across an integer).
        constexpr double kMagic = 6755399441055744.0;
        v = v > g.clamp_mag ? g.clamp_mag : v;
        v = v < -g.clamp_mag ? -g.clamp_mag : v;
        double q;
        if constexpr (R == Rounding::nearest_even) {
            q = (v + kMagic) - kMagic;
        } else if constexpr (R == Rounding::half_up) {
            const double y = v + 0.5;
            const double r = (y + kMagic) - kMagic;
            q = r > y ? r - 1.0 : r;
        } else {
            const double r = (v + kMagic) - kMagic;
            const double fl = r > v ? r - 1.0 : r;
            const double ce = r < v ? r + 1.0 : r;
            q = v < 0.0 ? ce : fl;
        }
        (void)threshold;
        saturated += static_cast<uint64_t>((q > g.qmax) | (q < -g.neg_mag) | nan);
        underflow += static_cast<uint64_t>((x != 0.0f) & !nan & (q == 0.0));
        q = q > g.qmax_f ? g.qmax_f : q;
        q = q < -g.neg_mag ? -g.neg_mag : q;
        return static_cast<float>(q * g.step);
    } else {
        const bool neg = v < 0.0;
        double m = std::fabs(v);
        m = m > g.clamp_mag ? g.clamp_mag : m;
        double q = round_magnitude<R>(m, neg, threshold);
        const double limit = neg ? g.neg_mag : g.qmax;
        const double cap = neg ? g.neg_mag : g.qmax_f;
        saturated += static_cast<uint64_t>((q > limit) | nan);
        underflow += static_cast<uint64_t>((x != 0.0f) & !nan & (q == 0.0));
        q = q > cap ? cap : q;
        return static_cast<float>(std::copysign(q, v) * g.step + 0.0);  // + 0.0 turns -0 into +0
    }
}

}  // namespace trainvp::num::detail
