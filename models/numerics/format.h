// Number formats of the training datapath and bit-exact rounding into them (docs/numerics.md, "Number
// formats"). Plain C++17, no SystemC: the kernels, the golden trainer and the SystemC models share it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace trainvp::num {

// truncate: toward zero. nearest_even: IEEE 754 roundTiesToEven. half_up: nearest, ties toward +infinity
// (the "round half up" of Dey et al.'s RTL, papers.md 3.7: add the first discarded bit of the
// two's-complement value; -2.5 -> -2). stochastic: round up in magnitude with probability (discarded
// part)/(one ulp), with a 32-bit counter-based random threshold (sr_threshold()).
enum class Rounding : uint8_t { truncate, nearest_even, half_up, stochastic };

enum class FormatKind : uint8_t { fp32, fp16, bf16, fp8_e4m3, fp8_e5m2, fixed, int8 };

struct Format {
    FormatKind kind = FormatKind::fp32;
    int total_bits = 32;  // fixed: 4..32, including the sign bit; other kinds: ignored (storage_bits() rules)
    int frac_bits = 0;    // fixed: value = q * 2^-frac_bits; any split, including > total_bits-1 and < 0
    Rounding rounding = Rounding::nearest_even;
    int scale_exp = 0;  // int8: value = q * 2^scale_exp, q in [-128, 127]

    // Limits that keep every fixed/int8 value inside the float range (frac_bits <= 149: the grid is no finer
    // than float's smallest subnormal; frac_bits >= total_bits - 128: the largest magnitude stays < 2^127).
    static constexpr int kMaxFracBits = 149;
    static constexpr int kMinInt8ScaleExp = -149;
    static constexpr int kMaxInt8ScaleExp = 120;

    // Grammar: kind [":" rounding]
    //   kind     = "fp32" | "fp16" | "bf16" | "fp8e4m3" | "fp8e5m2" | "int8" ["@" scale_exp] | "fx" total "."
    //   frac rounding = "rne" (default) | "rtz" | "rhu" | "sr"
    // Examples: "fx16.12", "fx8.-2:sr", "int8@-7", "bf16:rtz". Throws std::invalid_argument naming the text.
    static Format parse(const std::string& text);
    static Format fixed_point(int total_bits, int frac_bits, Rounding rounding = Rounding::nearest_even);
    static Format int8_scaled(int scale_exp, Rounding rounding = Rounding::nearest_even);
    static Format of_kind(FormatKind kind, Rounding rounding = Rounding::nearest_even);

    // Throws std::invalid_argument if a field is out of range for the kind.
    void validate() const;
    // Canonical text; Format::parse(f.to_string()) == f. The ":rne" suffix is omitted.
    std::string to_string() const;

    int storage_bits() const;     // 32, 16, 16, 8, 8, total_bits, 8
    bool exact_in_float() const;  // every representable value is a float (fixed: total_bits <= 24)
    bool is_floating() const;     // fp32, fp16, bf16, fp8_e4m3, fp8_e5m2
    bool has_infinity() const;    // fp32, fp16, bf16, fp8_e5m2
    double max_value() const;     // largest finite value
    double lowest() const;        // most negative finite value (fixed: -2^(total-1) * 2^-frac)
    double min_positive() const;  // smallest positive value (subnormal for the floating kinds)
    double ulp_at_one() const;    // spacing just above 1.0 (floating), or the grid step (fixed, int8)

    // Compares the fields that matter for the kind (e.g. total_bits is ignored for fp16).
    bool operator==(const Format& other) const;
    bool operator!=(const Format& other) const { return !(*this == other); }
};

const char* to_string(Rounding rounding);  // "rne", "rtz", "rhu", "sr"
const char* to_string(FormatKind kind);    // "fp32", "fp16", "bf16", "fp8e4m3", "fp8e5m2", "fx", "int8"

// Stochastic-rounding key: the random threshold of element `index` is a pure function of (seed, tensor, step,
// index), so a result never depends on evaluation order, tiling or thread count.
struct SrKey {
    uint64_t seed = 0;
    uint32_t tensor = 0;
    uint32_t step = 0;
};

struct QuantStats {
    uint64_t values = 0;             // elements rounded
    uint64_t saturated = 0;          // out of range: clamped to the range, or overflowed to infinity
    uint64_t underflow_to_zero = 0;  // finite non-zero input that rounded to zero
    void merge(const QuantStats& other);
};

// The 32-bit random threshold used by stochastic rounding for element `index` (SplitMix64-based; see
// docs/numerics.md "Stochastic rounding"). Exposed so hardware models can reproduce it.
uint32_t sr_threshold(const SrKey& key, uint64_t index);

// Rounds x into fmt with fmt.rounding; the result is exact for exact_in_float() formats. Saturation:
// fixed/int8 clamp to the range (counted; fixed wider than 24 bits clamp to the largest float not above the
// maximum); fp16/bf16/E5M2 overflow as IEEE 754 for the mode (infinity for nearest/stochastic, the largest
// finite value for truncate); E4M3 has no infinity and saturates to +-448 (OCP FP8 "satfinite"), infinities
// included. NaN stays NaN (fixed/int8: NaN -> 0, counted as saturated). Throws std::invalid_argument for an
// invalid fmt.
float quantize(float x, const Format& fmt, const SrKey& key, uint64_t index, QuantStats* stats = nullptr);
inline float quantize(float x, const Format& fmt, QuantStats* stats = nullptr) {
    return quantize(x, fmt, SrKey{}, 0, stats);
}
// In place; element i uses index i (the same results as quantize() element by element).
void quantize_array(float* data, size_t n, const Format& fmt, const SrKey& key, QuantStats* stats = nullptr);
// As quantize_array, element i uses index first_index + i (for tiles of a larger tensor).
void quantize_array(float* data, size_t n, const Format& fmt, const SrKey& key, uint64_t first_index,
                    QuantStats* stats);

// Bit patterns as the hardware stores them, in the low storage_bits() bits: fixed -> two's complement,
// fp16/bf16/fp8 -> IEEE-style sign|exponent|mantissa (E4M3: S.1111.111 is NaN, no infinity), fp32 -> the
// float's bits, int8 -> q. encode() rounds a non-representable value first (fmt.rounding, nearest_even for
// stochastic); NaN encodes as the canonical quiet NaN with its sign (fixed/int8: 0). decode() ignores bits
// above storage_bits(); any NaN pattern decodes to a NaN.
uint32_t encode(float value, const Format& fmt);
float decode(uint32_t bits, const Format& fmt);
// encode() of n values of an fp8 kind, one byte each (the accelerator's 8-bit containers). Throws
// std::invalid_argument for another kind or an invalid fmt.
void encode_fp8_array(const float* values, size_t n, const Format& fmt, uint8_t* bytes);

// Per-tensor power-of-two scale for int8: the smallest scale_exp with max|x| <= 127 * 2^scale_exp, so the
// largest magnitude never saturates under any rounding mode. NaN and infinities are ignored; with no finite
// non-zero value it returns 0. The result is clamped to [kMinInt8ScaleExp, kMaxInt8ScaleExp].
int choose_int8_scale(const float* data, size_t n);

}  // namespace trainvp::num
