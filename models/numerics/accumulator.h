// Wide two's-complement accumulators for raw fixed-point MAC sums and the final rounding of a raw sum into
// an output format (docs/numerics.md, "Accumulators"). Dey et al.'s RTL saturates adders at their width
// (papers.md 3.7); NeuroFlix accumulates fixed-point partial sums per brick before normalising (2.3).
#pragma once

#include <cstddef>
#include <cstdint>

#include "numerics/format.h"

namespace trainvp::num {

struct AccumulatorSpec {
    int bits = 48;          // 2..64
    void validate() const;  // throws std::invalid_argument
};

struct AccStats {
    uint64_t additions = 0;  // acc_add / acc_mac calls
    uint64_t saturated = 0;  // results clamped to the accumulator range
    void merge(const AccStats& other);
};

// Range of a `bits`-wide two's-complement register: [-2^(bits-1), 2^(bits-1) - 1]. bits must be 2..64.
int64_t acc_max(int bits);
int64_t acc_min(int bits);

// Clamps value to the `bits` range; counts a clamp in stats->saturated (no addition is counted).
int64_t acc_saturate(int64_t value, int bits, AccStats* stats = nullptr);
// acc + addend computed exactly, then saturated at `bits` (one addition counted).
int64_t acc_add(int64_t acc, int64_t addend, int bits, AccStats* stats = nullptr);
// acc + a * b computed exactly, then saturated at `bits` (one addition counted). Operands are raw values of
// formats up to 32 bits; fa and fb fraction bits give a product with fa + fb fraction bits.
int64_t acc_mac(int64_t acc, int32_t a, int32_t b, int bits, AccStats* stats = nullptr);

// Raw fixed-point value of an element already representable in `fmt` (fixed: q, int8: q), i.e. encode()
// sign-extended. Floating kinds are not raw formats: throws std::invalid_argument.
int64_t to_raw(float value, const Format& fmt);

// Rounds raw * 2^-frac_in into `out` with out.rounding (stochastic: sr_threshold(key, index)). For fixed and
// int8 the rounding is done on the integer (bit-exact for any raw, no float detour) and saturates into the
// range (counted). For floating kinds the value must be exactly representable as a double (|raw| < 2^53,
// otherwise it is first rounded to nearest double) and is then rounded as quantize() would; results equal
// quantize(float(raw * 2^-frac_in)) whenever that float is exact. frac_in must be in [-256, 256].
float round_raw(int64_t raw, int frac_in, const Format& out, const SrKey& key, uint64_t index,
                QuantStats* stats = nullptr);
// round_raw() over an array with the format checked once: dst[i] = round_raw(raw[i], frac_in, out, key,
// first_index + i), and the same stats. Throws as round_raw() does, before writing anything.
void round_raw_array(const int64_t* raw, size_t n, int frac_in, const Format& out, const SrKey& key,
                     uint64_t first_index, float* dst, QuantStats* stats = nullptr);

}  // namespace trainvp::num
