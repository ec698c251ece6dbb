// The one multiply-accumulate primitive every kernel is built from, and the rounding of accumulators into
// tensor formats. The accelerator model calls the same functions tile by tile; the arithmetic is defined in
// docs/numerics.md "## Kernels" and is independent of how a caller tiles the output or the reduction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/kernel_types.h"
#include "numerics/accumulator.h"
#include "numerics/format.h"

namespace trainvp::kern {

// Products of two integer-coded operands (fixed point, int8) are summed exactly as integers in a saturating
// accumulator of AccumulatorSpec::bits; every other pairing is summed in IEEE double. In both domains the
// accumulator is held in a double: integer-domain values are raw * 2^-frac with |raw| < 2^52, so exact.
enum class AccDomain { integer, real };

struct MacConfig {
    AccDomain domain = AccDomain::real;
    int frac = 0;   // integer domain: fraction bits of a product (frac_a + frac_b)
    int bits = 48;  // integer domain: accumulator width in bits, two's complement, saturating
    bool brick_float = false;  // integer domain with a brick-float operand (may hold NaN or infinities)
};

// Integer domain: true when a running sum whose terms have magnitudes summing to at most `abs_sum` can
// never reach the saturation bound, so plain double additions are exact and equal num::acc_add's results.
// Always true in the real domain.
bool sum_cannot_saturate(const MacConfig& cfg, double abs_sum);
// max|p[i]|, or +infinity when an element is not finite (so sum_cannot_saturate() is false for it).
double abs_bound(const float* p, size_t n);
double abs_bound(const double* p, size_t n);

// Widest accumulator the kernels support: a double holds every raw value exactly up to this width.
constexpr int kMaxAccumulatorBits = 53;

const char* mac_arith_name(MacArith a);                        // "uniform", "bricks"
bool parse_mac_arith(const std::string& text, MacArith& out);  // false for anything else

// True for formats whose values are a signed integer times a power of two (fixed point, int8).
bool is_integer_format(const num::Format& f);
// Fraction bits of such a format's raw integer: value = raw * 2^-raw_frac(f).
int raw_frac(const num::Format& f);
// Floating formats a brick PE aligns into fixed point: at most 11 significand bits and an exponent range
// inside fp16's (fp16, fp8e4m3, fp8e5m2). Their values are raw * 2^-float_raw_frac(f), raw an integer
// (fp16: 24, the exponent of the smallest subnormal).
bool is_brick_float(const num::Format& f);
int float_raw_frac(const num::Format& f);
// Why the brick PE cannot multiply a by b ("" when it can): both integer-coded, or one integer-coded and one
// brick float whose raw product stays below 2^62.
std::string brick_pair_error(const num::Format& a, const num::Format& b);
// Throws UserError when acc.bits is outside [8, kMaxAccumulatorBits], or for a pairing the brick PE refuses.
MacConfig mac_config(const num::Format& a, const num::Format& b, const num::AccumulatorSpec& acc,
                     MacArith arith = MacArith::uniform);

// acc[m*ldc+n] += sum over k = 0..K-1, in ascending k, of A[m*lda+k] * B[k*ldb+n].
// Operands hold values of their formats converted to double (exact). Real domain: each product is exact in
// double and added to the running double sum in ascending k. Integer domain: each product's raw integer is
// added with num::acc_add (saturating at cfg.bits). Splitting K into chunks and calling again with the same
// acc gives bit-identical results to one call over the whole range.
void gemm_accumulate(const MacConfig& cfg, size_t M, size_t N, size_t K, const double* A, size_t lda,
                     const double* B, size_t ldb, double* acc, size_t ldc, num::AccStats* stats);

// The real-domain GEMM uses 512-bit registers where the processor has AVX-512 (x86-64 builds), 256-bit ones
// elsewhere; both add every product in the same order, so the results are the same bits. For tests and
// benches: whether AVX-512 is available, and turning its use off or back on (returns the previous setting;
// not thread-safe, set it before any GEMM runs).
bool gemm_avx512_available();
bool gemm_use_avx512(bool on);

// gemm_accumulate, or mc.engine's gemm when the context has one (the kernels' every GEMM goes through this).
void context_gemm(const MacContext& mc, const MacConfig& cfg, size_t M, size_t N, size_t K, const double* A,
                  size_t lda, const double* B, size_t ldb, double* acc, size_t ldc, WeightSide weight);

// acc + addend under the domain's rules (used for bias preload and for col2im sums of partial results).
double accumulate_value(const MacConfig& cfg, double acc, double addend, num::AccStats* stats);

// Rounds one accumulator into `out`. Integer domain: num::round_raw of the raw sum. Real domain: the double
// is rounded to fp32 (IEEE round to nearest even), then num::quantize'd into `out` unless out is fp32.
float round_accumulator(const MacConfig& cfg, double acc, const num::Format& out, const num::SrKey& key,
                        uint64_t index, num::QuantStats* stats);

// Rounds an M x N block: out[m*ldo+n] = round(acc[m*lda+n]) with stochastic-rounding element index
// index_base + m*ldo + n (the position in the output tensor when `out` points at element index_base).
void round_block(const MacConfig& cfg, size_t M, size_t N, const double* acc, size_t lda, float* out,
                 size_t ldo, const num::Format& fmt, const num::SrKey& key, uint64_t index_base,
                 num::QuantStats* stats);

// round_block() into `out` at element `offset` (out.data + offset), or through out.sink when it has one.
void round_into(const MacConfig& cfg, size_t M, size_t N, const double* acc, size_t lda, const Out& out,
                size_t offset, size_t ldo, uint64_t index_base);

// Exact float -> double conversion of a row-major block, optionally transposed (dst is cols x rows then).
void to_double(const float* src, size_t n, double* dst);
void to_double_transposed(const float* src, size_t rows, size_t cols, double* dst);

}  // namespace trainvp::kern
