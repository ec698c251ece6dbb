// Saturating wide accumulators and the final rounding of a raw sum (integer arithmetic only for fixed/int8).
#include "numerics/accumulator.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "numerics/detail.h"

namespace trainvp::num {

namespace {

constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();

void check_bits(int bits) {
    if (bits < 2 || bits > 64) {
        throw std::invalid_argument("accumulator width " + std::to_string(bits) + " bits is outside 2..64");
    }
}

// Exact a + b as a value clamped into int64, plus whether it was clamped (the accumulator range is never
// wider than int64, so a clamped sum is also outside the accumulator range).
int64_t add_clamped(int64_t a, int64_t b, bool& clamped) {
    if (b > 0 && a > kI64Max - b) {
        clamped = true;
        return kI64Max;
    }
    if (b < 0 && a < kI64Min - b) {
        clamped = true;
        return kI64Min;
    }
    return a + b;
}

uint64_t magnitude(int64_t v) {
    return v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
}

}  // namespace

void AccumulatorSpec::validate() const {
    check_bits(bits);
}

void AccStats::merge(const AccStats& o) {
    additions += o.additions;
    saturated += o.saturated;
}

int64_t acc_max(int bits) {
    check_bits(bits);
    return bits == 64 ? kI64Max : (int64_t{1} << (bits - 1)) - 1;
}

int64_t acc_min(int bits) {
    check_bits(bits);
    return bits == 64 ? kI64Min : -(int64_t{1} << (bits - 1));
}

int64_t acc_saturate(int64_t value, int bits, AccStats* stats) {
    const int64_t hi = acc_max(bits);
    const int64_t lo = acc_min(bits);
    if (value > hi || value < lo) {
        if (stats) ++stats->saturated;
        return value > hi ? hi : lo;
    }
    return value;
}

int64_t acc_add(int64_t acc, int64_t addend, int bits, AccStats* stats) {
    if (stats) ++stats->additions;
    bool clamped = false;
    const int64_t sum = add_clamped(acc, addend, clamped);
    if (clamped) {
        if (stats) ++stats->saturated;
        return sum > 0 ? acc_max(bits) : acc_min(bits);
    }
    return acc_saturate(sum, bits, stats);
}

int64_t acc_mac(int64_t acc, int32_t a, int32_t b, int bits, AccStats* stats) {
    // |a * b| <= 2^62, so the product is exact in int64 and only the addition can leave int64.
    return acc_add(acc, static_cast<int64_t>(a) * b, bits, stats);
}

int64_t to_raw(float value, const Format& fmt) {
    if (fmt.kind != FormatKind::fixed && fmt.kind != FormatKind::int8) {
        throw std::invalid_argument("to_raw: " + fmt.to_string() + " is not a fixed-point or int8 format");
    }
    const uint32_t bits = encode(value, fmt);
    const int total = fmt.storage_bits();
    int64_t q = bits;
    if ((bits >> (total - 1)) & 1u) q -= int64_t{1} << total;
    return q;
}

namespace {

void check_frac_in(int frac_in) {
    if (frac_in < -256 || frac_in > 256) {
        throw std::invalid_argument("round_raw: frac_in " + std::to_string(frac_in) +
                                    " is outside -256..256");
    }
}

// Everything round_raw() derives from the output format, computed once per call or per array (validation,
// float_spec, fixed_grid and storage_bits showed up per element in profiles of the accelerator model).
struct RawRounder {
    const detail::FloatSpec* spec;  // nullptr: fixed or int8
    int frac_in;
    int d;             // fixed/int8: frac_in - frac_out
    uint64_t neg_mag;  // fixed/int8: 2^(total-1)
    uint64_t cap_pos;  // fixed/int8: largest positive q whose value is a float
    double step;       // fixed/int8: 2^-frac_out

    RawRounder(const Format& out, int frac_in_) : spec(detail::float_spec(out.kind)), frac_in(frac_in_) {
        d = 0;
        neg_mag = 0;
        cap_pos = 0;
        step = 0.0;
        if (spec) return;
        const int total = out.storage_bits();
        const int frac_out = out.kind == FormatKind::int8 ? -out.scale_exp : out.frac_bits;
        const detail::FixedGrid g = detail::fixed_grid(out);
        d = frac_in - frac_out;
        neg_mag = uint64_t{1} << (total - 1);
        cap_pos = static_cast<uint64_t>(g.qmax_f);
        step = g.step;
    }

    template <Rounding R>
    float apply(int64_t raw, uint32_t threshold, detail::Counters& c) const {
        const bool neg = raw < 0;
        const uint64_t sig = magnitude(raw);
        if (spec) {
            const int top = -frac_in + detail::bit_width(sig) - 1;
            return detail::round_to_float_format(neg, sig, -frac_in, top, *spec, R, threshold, c);
        }
        // Magnitude in output LSBs, rounded on the integer; results above 2^(total-1) only matter as "too
        // big".
        uint64_t q;
        if (d <= 0) {
            // Exact left shift; anything that would reach bit 63 is far beyond a <= 32-bit range.
            const int up = -d;
            const bool too_big = sig != 0 && (up >= 63 || (sig >> (63 - up)) != 0);
            q = too_big ? neg_mag + 1 : sig << up;
            if (q > neg_mag + 1) q = neg_mag + 1;
        } else {
            const detail::ShiftInfo s = detail::shift_info(sig, d);
            q = s.q + (detail::round_up(R, neg, s, threshold) ? 1 : 0);
        }
        const uint64_t limit = neg ? neg_mag : neg_mag - 1;
        const uint64_t cap = neg ? neg_mag : cap_pos;
        if (q > limit) ++c.saturated;
        if (sig != 0 && q == 0) ++c.underflow;
        if (q > cap) q = cap;
        const double r = static_cast<double>(q) * step;
        return static_cast<float>(neg && q != 0 ? -r : r);
    }
};

template <Rounding R>
void round_raw_loop(const RawRounder& rr, const int64_t* raw, size_t n, uint64_t stream, uint64_t first,
                    float* dst, detail::Counters& c) {
    for (size_t i = 0; i < n; ++i) {
        uint32_t threshold = 0;
        if constexpr (R == Rounding::stochastic) threshold = detail::sr_draw(stream, first + i);
        dst[i] = rr.apply<R>(raw[i], threshold, c);
    }
}

// The common case of the MAC output path: a fixed/int8 output with fewer fraction bits than the raw sum
// (1 <= d <= 62) and a deterministic mode. Same results as RawRounder::apply, written with selects only:
// the sign of a raw sum is data-dependent and branches on it mispredict. Rounding adds a bias before the
// shift: nearest-even half - 1 + (lsb of the kept part), half_up half - (negative) (ties toward +infinity
// round the magnitude up only for positive values), truncate 0. |raw| <= 2^63 and the bias < 2^62, so
// the sum cannot wrap.
template <Rounding R>
void fixed_shift_loop(const RawRounder& rr, const int64_t* raw, size_t n, float* dst, detail::Counters& c) {
    const int d = rr.d;
    const uint64_t half = uint64_t{1} << (d - 1);
    const uint64_t neg_mag = rr.neg_mag;
    const uint64_t cap_pos = rr.cap_pos;
    const double step = rr.step;
    uint64_t saturated = 0;
    uint64_t underflow = 0;
    for (size_t i = 0; i < n; ++i) {
        const int64_t x = raw[i];
        const uint64_t neg = x < 0 ? 1 : 0;
        const uint64_t sig = neg ? 0 - static_cast<uint64_t>(x) : static_cast<uint64_t>(x);
        uint64_t bias = 0;
        if constexpr (R == Rounding::nearest_even) bias = half - 1 + ((sig >> d) & 1);
        if constexpr (R == Rounding::half_up) bias = half - neg;
        uint64_t q = (sig + bias) >> d;
        const uint64_t limit = neg_mag - 1 + neg;
        const uint64_t cap = neg ? neg_mag : cap_pos;
        saturated += q > limit ? 1 : 0;
        underflow += (sig != 0) & (q == 0) ? 1 : 0;
        q = q > cap ? cap : q;
        // q <= 2^31: exact as a signed integer and as a double; q * step is exact (a power-of-two step).
        const int64_t sq = neg ? -static_cast<int64_t>(q) : static_cast<int64_t>(q);
        dst[i] = static_cast<float>(static_cast<double>(sq) * step);
    }
    c.saturated += saturated;
    c.underflow += underflow;
}

template <Rounding R>
void round_raw_dispatch(const RawRounder& rr, const int64_t* raw, size_t n, uint64_t stream, uint64_t first,
                        float* dst, detail::Counters& c) {
    if constexpr (R != Rounding::stochastic) {
        if (!rr.spec && rr.d >= 1 && rr.d <= 62) return fixed_shift_loop<R>(rr, raw, n, dst, c);
    }
    round_raw_loop<R>(rr, raw, n, stream, first, dst, c);
}

}  // namespace

float round_raw(int64_t raw, int frac_in, const Format& out, const SrKey& key, uint64_t index,
                QuantStats* stats) {
    // The generic per-element core; the tests hold round_raw_array's specialised loops equal to it.
    out.validate();
    check_frac_in(frac_in);
    const RawRounder rr(out, frac_in);
    const uint32_t threshold = out.rounding == Rounding::stochastic ? sr_threshold(key, index) : 0;
    detail::Counters c;
    float result = 0.0f;
    switch (out.rounding) {
        case Rounding::truncate:
            result = rr.apply<Rounding::truncate>(raw, threshold, c);
            break;
        case Rounding::nearest_even:
            result = rr.apply<Rounding::nearest_even>(raw, threshold, c);
            break;
        case Rounding::half_up:
            result = rr.apply<Rounding::half_up>(raw, threshold, c);
            break;
        case Rounding::stochastic:
            result = rr.apply<Rounding::stochastic>(raw, threshold, c);
            break;
    }
    if (stats) {
        ++stats->values;
        stats->saturated += c.saturated;
        stats->underflow_to_zero += c.underflow;
    }
    return result;
}

void round_raw_array(const int64_t* raw, size_t n, int frac_in, const Format& out, const SrKey& key,
                     uint64_t first_index, float* dst, QuantStats* stats) {
    out.validate();
    check_frac_in(frac_in);
    const RawRounder rr(out, frac_in);
    const uint64_t stream = detail::sr_stream(key);
    detail::Counters c;
    switch (out.rounding) {
        case Rounding::truncate:
            round_raw_dispatch<Rounding::truncate>(rr, raw, n, stream, first_index, dst, c);
            break;
        case Rounding::nearest_even:
            round_raw_dispatch<Rounding::nearest_even>(rr, raw, n, stream, first_index, dst, c);
            break;
        case Rounding::half_up:
            round_raw_dispatch<Rounding::half_up>(rr, raw, n, stream, first_index, dst, c);
            break;
        case Rounding::stochastic:
            round_raw_dispatch<Rounding::stochastic>(rr, raw, n, stream, first_index, dst, c);
            break;
    }
    if (stats) {
        stats->values += n;
        stats->saturated += c.saturated;
        stats->underflow_to_zero += c.underflow;
    }
}

}  // namespace trainvp::num
