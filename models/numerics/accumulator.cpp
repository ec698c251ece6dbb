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

float round_raw(int64_t raw, int frac_in, const Format& out, const SrKey& key, uint64_t index,
                QuantStats* stats) {
    out.validate();
    if (frac_in < -256 || frac_in > 256) {
        throw std::invalid_argument("round_raw: frac_in " + std::to_string(frac_in) +
                                    " is outside -256..256");
    }
    const uint32_t threshold = out.rounding == Rounding::stochastic ? sr_threshold(key, index) : 0;
    const bool neg = raw < 0;
    const uint64_t sig = magnitude(raw);
    detail::Counters c;
    float result;
    if (const detail::FloatSpec* spec = detail::float_spec(out.kind)) {
        const int top = -frac_in + detail::bit_width(sig) - 1;
        result = detail::round_to_float_format(neg, sig, -frac_in, top, *spec, out.rounding, threshold, c);
    } else {
        const int total = out.storage_bits();
        const int frac_out = out.kind == FormatKind::int8 ? -out.scale_exp : out.frac_bits;
        const detail::FixedGrid g = detail::fixed_grid(out);
        // Magnitude in output LSBs, rounded on the integer; results above 2^(total-1) only matter as "too
        // big".
        const int d = frac_in - frac_out;
        const uint64_t neg_mag = uint64_t{1} << (total - 1);
        uint64_t q;
        if (d <= 0) {
            // Exact left shift; anything that would reach bit 63 is far beyond a <= 32-bit range.
            const int up = -d;
            const bool too_big = sig != 0 && (up >= 63 || (sig >> (63 - up)) != 0);
            q = too_big ? neg_mag + 1 : sig << up;
            if (q > neg_mag + 1) q = neg_mag + 1;
        } else {
            const detail::ShiftInfo s = detail::shift_info(sig, d);
            q = s.q + (detail::round_up(out.rounding, neg, s, threshold) ? 1 : 0);
        }
        const uint64_t limit = neg ? neg_mag : neg_mag - 1;
        const uint64_t cap = neg ? neg_mag : static_cast<uint64_t>(g.qmax_f);
        if (q > limit) ++c.saturated;
        if (sig != 0 && q == 0) ++c.underflow;
        if (q > cap) q = cap;
        const double r = static_cast<double>(q) * g.step;
        result = static_cast<float>(neg && q != 0 ? -r : r);
    }
    if (stats) {
        ++stats->values;
        stats->saturated += c.saturated;
        stats->underflow_to_zero += c.underflow;
    }
    return result;
}

}  // namespace trainvp::num
