// Rounding into a format: the per-element function and the array loops (one loop per format x rounding
// mode, selected once per call, so the inner loops carry no dispatch).
#include <cmath>

#include "numerics/detail.h"
#include "numerics/format.h"

namespace trainvp::num {

namespace detail {

const FloatSpec* float_spec(FormatKind kind) {
    switch (kind) {
        case FormatKind::fp32:
            return &kFp32;
        case FormatKind::fp16:
            return &kFp16;
        case FormatKind::bf16:
            return &kBf16;
        case FormatKind::fp8_e4m3:
            return &kE4m3;
        case FormatKind::fp8_e5m2:
            return &kE5m2;
        case FormatKind::fixed:
        case FormatKind::int8:
            return nullptr;
    }
    return nullptr;
}

FixedGrid fixed_grid(const Format& fmt) {
    const int total = fmt.kind == FormatKind::int8 ? 8 : fmt.total_bits;
    const int frac = fmt.kind == FormatKind::int8 ? -fmt.scale_exp : fmt.frac_bits;
    FixedGrid g{};
    g.scale = pow2(frac);
    g.step = pow2(-frac);
    g.neg_mag = pow2(total - 1);
    g.qmax = g.neg_mag - 1.0;
    // Above 24 bits the top grid values are not floats; the largest float one is 2^(total-1) - 2^(total-25).
    g.qmax_f = total <= 24 ? g.qmax : g.neg_mag - pow2(total - 25);
    g.clamp_mag = g.neg_mag + 1.0;
    return g;
}

}  // namespace detail

namespace {

using detail::Counters;

template <Rounding R>
void fixed_loop(float* data, size_t n, const detail::FixedGrid& grid, uint64_t stream, uint64_t first,
                Counters& c) {
    const detail::FixedGrid g = grid;  // a local copy: stores to data[] cannot alias it
    uint64_t saturated = 0;
    uint64_t underflow = 0;
    for (size_t i = 0; i < n; ++i) {
        uint32_t threshold = 0;
        if constexpr (R == Rounding::stochastic) threshold = detail::sr_draw(stream, first + i);
        data[i] = detail::quantize_fixed<R>(data[i], g, threshold, saturated, underflow);
    }
    c.saturated += saturated;
    c.underflow += underflow;
}

template <Rounding R>
void float_loop(float* data, size_t n, const detail::FloatSpec& spec, uint64_t stream, uint64_t first,
                Counters& c) {
    Counters local;
    for (size_t i = 0; i < n; ++i) {
        uint32_t threshold = 0;
        if constexpr (R == Rounding::stochastic) threshold = detail::sr_draw(stream, first + i);
        data[i] = detail::quantize_float_format(data[i], spec, R, threshold, local);
    }
    c.saturated += local.saturated;
    c.underflow += local.underflow;
}

// Nearest-even and truncation into a narrower binary format, branch-free on the fp32 bit pattern. Inside the
// target's normal range, rounding drops the low 23-M bits of the pattern (a carry moves into the exponent, as
// it should). Below it the grid is fixed at 2^(emin-M): nearest-even adds and subtracts C = 2^(emin-M+23),
// whose ulp is that grid, so the FPU's default rounding does the work; truncation steps down one grid value
// where that rounded up. Same results as the generic core (checked by the reference tests, test_fast_narrow
// and by round_raw cross-checks). Selects only, so GCC vectorises every instantiation.
template <Rounding R, const detail::FloatSpec& S>
void float_loop_bits(float* data, size_t n, Counters& c) {
    constexpr int kDrop = 23 - S.mant_bits;
    constexpr uint32_t kLowMask = (1u << kDrop) - 1;
    constexpr uint32_t kMinNormal = static_cast<uint32_t>(S.emin() + 127) << 23;
    // bf16 shares fp32's exponent range, so its subnormals are fp32 subnormals and the bit path covers them.
    constexpr bool kSameRange = S.emin() == -126;
    constexpr uint32_t kSatLimit = S.has_inf ? 0x7F800000u : 0x7F800001u;
    const uint32_t max_bits = detail::float_bits(static_cast<float>(S.max_finite));
    const float grid = kSameRange ? 0.0f : static_cast<float>(detail::pow2(S.emin() - S.mant_bits));
    const float magic = kSameRange ? 0.0f : static_cast<float>(detail::pow2(S.emin() - S.mant_bits + 23));
    // 32-bit counts per chunk keep the vector lanes 32 bits wide (64-bit sums cost a widening per element).
    constexpr size_t kChunk = size_t{1} << 20;
    uint64_t saturated = 0;
    uint64_t underflow = 0;
    for (size_t i0 = 0; i0 < n; i0 += kChunk) {
        const size_t end = n - i0 < kChunk ? n : i0 + kChunk;
        uint32_t chunk_saturated = 0;
        uint32_t chunk_underflow = 0;
        for (size_t i = i0; i < end; ++i) {
            const uint32_t u = detail::float_bits(data[i]);
            const uint32_t sign = u & 0x80000000u;
            const uint32_t a = u & 0x7FFFFFFFu;
            const float fa = detail::bits_float(a);
            uint32_t normal, sub;
            if constexpr (R == Rounding::nearest_even) {
                normal = (a + (kLowMask >> 1) + ((a >> kDrop) & 1u)) & ~kLowMask;
            } else {
                normal = a & ~kLowMask;
            }
            if constexpr (kSameRange) {
                sub = normal;
            } else if constexpr (R == Rounding::nearest_even) {
                sub = detail::float_bits((fa + magic) - magic);
            } else {
                // Nearest on the grid, one step down where that rounded up (all exact: small multiples of
                // the grid).
                const float nearest = (fa + magic) - magic;
                sub = detail::float_bits(nearest > fa ? nearest - grid : nearest);
            }
            uint32_t r = a < kMinNormal ? sub : normal;
            // Inputs from kSatLimit up pass through unchanged: NaN, and infinity where the format has one.
            // E4M3 has none, and its infinity (whose rounded pattern is itself, above max_bits) saturates
            // with the finite overflows.
            const bool over = (a < kSatLimit) & (r > max_bits);
            const uint32_t overflow_to = (S.has_inf && R == Rounding::nearest_even) ? 0x7F800000u : max_bits;
            r = over ? overflow_to : r;
            // A bit mask, not a select: GCC 12 if-converts a second select into branches and leaves the loop
            // scalar.
            const uint32_t keep_input = 0u - static_cast<uint32_t>(a >= kSatLimit);
            r = (a & keep_input) | (r & ~keep_input);
            chunk_saturated += static_cast<uint32_t>(over);
            chunk_underflow += static_cast<uint32_t>((a < 0x7F800000u) & (a != 0) & (r == 0));
            data[i] = detail::bits_float(r | sign);
        }
        saturated += chunk_saturated;
        underflow += chunk_underflow;
    }
    c.saturated += saturated;
    c.underflow += underflow;
}

// Whether detail::quantize_narrow_float() covers the spec (fp16, E4M3, E5M2; not bf16, whose subnormal grid
// lies below the normal floats).
template <const detail::FloatSpec& S>
constexpr bool kNarrow = S.emin() - S.mant_bits > -126;

// Half-up and stochastic rounding into a narrow kind: the generic core's results, by integer work.
template <Rounding R, const detail::FloatSpec& S>
void float_loop_narrow(float* data, size_t n, uint64_t stream, uint64_t first, Counters& c) {
    Counters local;
    for (size_t i = 0; i < n; ++i) {
        uint32_t threshold = 0;
        if constexpr (R == Rounding::stochastic) threshold = detail::sr_draw(stream, first + i);
        data[i] = detail::quantize_narrow_float<R, S>(data[i], threshold, local);
    }
    c.saturated += local.saturated;
    c.underflow += local.underflow;
}

// Specialised per spec so the constants fold into the loop.
template <Rounding R, const detail::FloatSpec& S>
void float_loop_fixed_spec(float* data, size_t n, uint64_t stream, uint64_t first, Counters& c) {
    if constexpr (R == Rounding::nearest_even || R == Rounding::truncate) {
        (void)stream;
        (void)first;
        float_loop_bits<R, S>(data, n, c);
    } else if constexpr (kNarrow<S>) {
        float_loop_narrow<R, S>(data, n, stream, first, c);
    } else {
        float_loop<R>(data, n, S, stream, first, c);
    }
}

template <const detail::FloatSpec& S>
float quantize_narrow(float x, Rounding mode, uint32_t threshold, Counters& c) {
    switch (mode) {
        case Rounding::truncate:
            return detail::quantize_narrow_float<Rounding::truncate, S>(x, threshold, c);
        case Rounding::nearest_even:
            return detail::quantize_narrow_float<Rounding::nearest_even, S>(x, threshold, c);
        case Rounding::half_up:
            return detail::quantize_narrow_float<Rounding::half_up, S>(x, threshold, c);
        case Rounding::stochastic:
            return detail::quantize_narrow_float<Rounding::stochastic, S>(x, threshold, c);
    }
    return x;
}

template <Rounding R>
void dispatch_kind(float* data, size_t n, const Format& fmt, uint64_t stream, uint64_t first, Counters& c) {
    switch (fmt.kind) {
        case FormatKind::fp32:
            // Every float is an fp32 value; NaN stays NaN.
            return;
        case FormatKind::fp16:
            return float_loop_fixed_spec<R, detail::kFp16>(data, n, stream, first, c);
        case FormatKind::bf16:
            return float_loop_fixed_spec<R, detail::kBf16>(data, n, stream, first, c);
        case FormatKind::fp8_e4m3:
            return float_loop_fixed_spec<R, detail::kE4m3>(data, n, stream, first, c);
        case FormatKind::fp8_e5m2:
            return float_loop_fixed_spec<R, detail::kE5m2>(data, n, stream, first, c);
        case FormatKind::fixed:
        case FormatKind::int8:
            return fixed_loop<R>(data, n, detail::fixed_grid(fmt), stream, first, c);
    }
}

}  // namespace

uint32_t sr_threshold(const SrKey& key, uint64_t index) {
    return detail::sr_draw(detail::sr_stream(key), index);
}

void quantize_array(float* data, size_t n, const Format& fmt, const SrKey& key, uint64_t first_index,
                    QuantStats* stats) {
    fmt.validate();
    Counters c;
    const uint64_t stream = detail::sr_stream(key);
    switch (fmt.rounding) {
        case Rounding::truncate:
            dispatch_kind<Rounding::truncate>(data, n, fmt, stream, first_index, c);
            break;
        case Rounding::nearest_even:
            dispatch_kind<Rounding::nearest_even>(data, n, fmt, stream, first_index, c);
            break;
        case Rounding::half_up:
            dispatch_kind<Rounding::half_up>(data, n, fmt, stream, first_index, c);
            break;
        case Rounding::stochastic:
            dispatch_kind<Rounding::stochastic>(data, n, fmt, stream, first_index, c);
            break;
    }
    if (stats) {
        stats->values += n;
        stats->saturated += c.saturated;
        stats->underflow_to_zero += c.underflow;
    }
}

void quantize_array(float* data, size_t n, const Format& fmt, const SrKey& key, QuantStats* stats) {
    quantize_array(data, n, fmt, key, 0, stats);
}

float quantize(float x, const Format& fmt, const SrKey& key, uint64_t index, QuantStats* stats) {
    // The per-element path skips the array loops' set-up; it uses the narrow kinds' integer path and the
    // generic core for bf16, which the tests hold equal to each other and to the array loops' bit paths.
    fmt.validate();
    const uint32_t threshold = fmt.rounding == Rounding::stochastic ? sr_threshold(key, index) : 0;
    Counters c;
    float r = x;
    if (fmt.kind == FormatKind::fp16) {
        r = quantize_narrow<detail::kFp16>(x, fmt.rounding, threshold, c);
    } else if (fmt.kind == FormatKind::fp8_e4m3) {
        r = quantize_narrow<detail::kE4m3>(x, fmt.rounding, threshold, c);
    } else if (fmt.kind == FormatKind::fp8_e5m2) {
        r = quantize_narrow<detail::kE5m2>(x, fmt.rounding, threshold, c);
    } else if (const detail::FloatSpec* spec = detail::float_spec(fmt.kind)) {
        if (fmt.kind != FormatKind::fp32)
            r = detail::quantize_float_format(x, *spec, fmt.rounding, threshold, c);
    } else {
        const detail::FixedGrid g = detail::fixed_grid(fmt);
        switch (fmt.rounding) {
            case Rounding::truncate:
                r = detail::quantize_fixed<Rounding::truncate>(x, g, threshold, c.saturated, c.underflow);
                break;
            case Rounding::nearest_even:
                r = detail::quantize_fixed<Rounding::nearest_even>(x, g, threshold, c.saturated, c.underflow);
                break;
            case Rounding::half_up:
                r = detail::quantize_fixed<Rounding::half_up>(x, g, threshold, c.saturated, c.underflow);
                break;
            case Rounding::stochastic:
                r = detail::quantize_fixed<Rounding::stochastic>(x, g, threshold, c.saturated, c.underflow);
                break;
        }
    }
    if (stats) {
        ++stats->values;
        stats->saturated += c.saturated;
        stats->underflow_to_zero += c.underflow;
    }
    return r;
}

}  // namespace trainvp::num
