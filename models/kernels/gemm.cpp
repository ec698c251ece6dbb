#include "kernels/gemm.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "common/error.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace trainvp::kern {

const char* mac_arith_name(MacArith a) {
    return a == MacArith::bricks ? "bricks" : "uniform";
}

bool parse_mac_arith(const std::string& text, MacArith& out) {
    if (text == "uniform")
        out = MacArith::uniform;
    else if (text == "bricks")
        out = MacArith::bricks;
    else
        return false;
    return true;
}

bool is_integer_format(const num::Format& f) {
    return f.kind == num::FormatKind::fixed || f.kind == num::FormatKind::int8;
}

int raw_frac(const num::Format& f) {
    if (is_brick_float(f)) return float_raw_frac(f);
    return f.kind == num::FormatKind::int8 ? -f.scale_exp : f.frac_bits;
}

int float_raw_frac(const num::Format& f) {
    return -std::ilogb(f.min_positive());
}

bool is_brick_float(const num::Format& f) {
    return f.kind == num::FormatKind::fp16 || f.kind == num::FormatKind::fp8_e4m3 ||
           f.kind == num::FormatKind::fp8_e5m2;
}

namespace {

// log2 of the largest |raw| of an integer-coded or brick-float format (an upper bound).
double raw_log2_bound(const num::Format& f) {
    if (is_integer_format(f)) return f.kind == num::FormatKind::int8 ? 7.0 : f.total_bits - 1.0;
    return std::log2(f.max_value()) + float_raw_frac(f);
}

}  // namespace

std::string brick_pair_error(const num::Format& a, const num::Format& b) {
    const bool ia = is_integer_format(a), ib = is_integer_format(b);
    if (ia && ib) return "";
    if (!(ia || ib) || !(is_brick_float(a) || is_brick_float(b)))
        return "the brick PE multiplies fixed point (or int8) by fixed point or by a float of at most half "
               "precision (fp16, fp8e4m3, fp8e5m2), not " +
               a.to_string() + " by " + b.to_string();
    if (raw_log2_bound(a) + raw_log2_bound(b) >= 62.0)
        return "the aligned product of " + a.to_string() + " and " + b.to_string() +
               " needs more than 62 bits; use a narrower fixed-point format";
    return "";
}

MacConfig mac_config(const num::Format& a, const num::Format& b, const num::AccumulatorSpec& acc,
                     MacArith arith) {
    if (acc.bits < 8 || acc.bits > kMaxAccumulatorBits)
        throw UserError("accumulator width " + std::to_string(acc.bits) + " bits is outside [8, " +
                        std::to_string(kMaxAccumulatorBits) + "]");
    MacConfig cfg;
    cfg.bits = acc.bits;
    if (is_integer_format(a) && is_integer_format(b)) {
        cfg.domain = AccDomain::integer;
        cfg.frac = raw_frac(a) + raw_frac(b);
    } else if (arith == MacArith::bricks) {
        if (const std::string why = brick_pair_error(a, b); !why.empty()) throw UserError(why);
        cfg.domain = AccDomain::integer;
        cfg.brick_float = true;
        cfg.frac = raw_frac(a) + raw_frac(b);
    }
    return cfg;
}

namespace {

// Register-blocked micro-kernel: an MR x NR block of accumulators stays in registers while k runs. Each
// accumulator still sees its products in ascending k, so vectorising over n never reorders a sum, and a
// fused multiply-add gives the same double as multiply-then-add because every product is exact. The AVX2
// version is the same arithmetic written so that the compiler keeps the block in registers.
template <int MR, int NR>
inline void micro_kernel(size_t K, const double* A, size_t lda, const double* B, size_t ldb, double* C,
                         size_t ldc) {
#if defined(__AVX2__) && defined(__FMA__)
    if constexpr (NR % 4 == 0) {
        constexpr int NV = NR / 4;
        __m256d c[MR][NV];
        for (int i = 0; i < MR; ++i)
            for (int j = 0; j < NV; ++j) c[i][j] = _mm256_loadu_pd(C + i * ldc + 4 * j);
        for (size_t k = 0; k < K; ++k) {
            const double* b = B + k * ldb;
            __m256d bv[NV];
            for (int j = 0; j < NV; ++j) bv[j] = _mm256_loadu_pd(b + 4 * j);
            for (int i = 0; i < MR; ++i) {
                const __m256d a = _mm256_broadcast_sd(A + i * lda + k);
                for (int j = 0; j < NV; ++j) c[i][j] = _mm256_fmadd_pd(a, bv[j], c[i][j]);
            }
        }
        for (int i = 0; i < MR; ++i)
            for (int j = 0; j < NV; ++j) _mm256_storeu_pd(C + i * ldc + 4 * j, c[i][j]);
        return;
    }
#endif
    double c[MR][NR];
    for (int i = 0; i < MR; ++i)
        for (int j = 0; j < NR; ++j) c[i][j] = C[i * ldc + j];
    for (size_t k = 0; k < K; ++k) {
        const double* b = B + k * ldb;
        for (int i = 0; i < MR; ++i) {
            const double a = A[i * lda + k];
            for (int j = 0; j < NR; ++j) c[i][j] += a * b[j];
        }
    }
    for (int i = 0; i < MR; ++i)
        for (int j = 0; j < NR; ++j) C[i * ldc + j] = c[i][j];
}

// MR rows at a time, then blocks of 4 and the last 1..3 rows. An AVX2 FMA has a latency of about four
// cycles and two issue each cycle, so a block wants eight or more independent accumulators (MR * NR / 4).
template <int MR, int NR>
void row_block(size_t M, size_t K, const double* A, size_t lda, const double* B, size_t ldb, double* C,
               size_t ldc) {
    size_t m = 0;
    for (; m + MR <= M; m += MR) micro_kernel<MR, NR>(K, A + m * lda, lda, B, ldb, C + m * ldc, ldc);
    if constexpr (MR > 4)
        for (; m + 4 <= M; m += 4) micro_kernel<4, NR>(K, A + m * lda, lda, B, ldb, C + m * ldc, ldc);
    switch (M - m) {
        case 3:
            micro_kernel<3, NR>(K, A + m * lda, lda, B, ldb, C + m * ldc, ldc);
            break;
        case 2:
            micro_kernel<2, NR>(K, A + m * lda, lda, B, ldb, C + m * ldc, ldc);
            break;
        case 1:
            micro_kernel<1, NR>(K, A + m * lda, lda, B, ldb, C + m * ldc, ldc);
            break;
        default:
            break;
    }
}

// Reduction chunk of a packed panel: 256 x 12 doubles (24 KiB) stay in a 32 KiB L1 while every row block
// of the stripe streams through them.
constexpr size_t kPanelDepth = 256;

// NR columns of B, rows [0, kc), copied contiguously (row k at panel + k * NR), so that the micro-kernel
// reads one sequential stream instead of kc rows ldb apart.
template <int NR>
void pack_panel(size_t kc, const double* B, size_t ldb, double* panel) {
    for (size_t k = 0; k < kc; ++k) std::memcpy(panel + k * NR, B + k * ldb, NR * sizeof(double));
}

// One stripe of NR columns over all M rows, packed when the panel is reused by two row blocks or more.
// The reduction is split into chunks of kPanelDepth: a chunk ends with the accumulators stored to C and the
// next one loads them again, so each output still adds its products one by one in ascending k onto the same
// double, as the unsplit loop does.
template <int MR, int NR>
void stripe(size_t M, size_t K, const double* A, size_t lda, const double* B, size_t ldb, double* C,
            size_t ldc) {
    if (M < 2 * MR) {
        row_block<MR, NR>(M, K, A, lda, B, ldb, C, ldc);
        return;
    }
    alignas(64) double panel[kPanelDepth * NR];
    for (size_t k0 = 0; k0 < K; k0 += kPanelDepth) {
        const size_t kc = std::min(kPanelDepth, K - k0);
        pack_panel<NR>(kc, B + k0 * ldb, ldb, panel);
        row_block<MR, NR>(M, kc, A + k0, lda, panel, NR, C, ldc);
    }
}

#if defined(__AVX2__) && defined(__FMA__) && defined(__GNUC__) && defined(__x86_64__)
#define TRAINVP_GEMM_AVX512 1
// The same micro-kernel in 512-bit registers, compiled for AVX-512 whatever the rest of the build targets and
// called only where the processor has it (gemm_real). Eight doubles a register; MR x NV registers of
// accumulators (8 x 3 = 24 of the 32) hide the FMA latency. Every accumulator still adds its products one by
// one in ascending k, so the results are the AVX2 kernel's, bit for bit (test_gemm).
template <int MR, int NV>
__attribute__((target("avx512f,fma"))) void micro_kernel512(size_t K, const double* A, size_t lda,
                                                            const double* B, size_t ldb, double* C,
                                                            size_t ldc) {
    __m512d c[MR][NV];
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) c[i][j] = _mm512_loadu_pd(C + i * ldc + 8 * j);
    for (size_t k = 0; k < K; ++k) {
        const double* b = B + k * ldb;
        __m512d bv[NV];
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) bv[j] = _mm512_loadu_pd(b + 8 * j);
#pragma GCC unroll 8
        for (int i = 0; i < MR; ++i) {
            const __m512d a = _mm512_set1_pd(A[i * lda + k]);
#pragma GCC unroll 4
            for (int j = 0; j < NV; ++j) c[i][j] = _mm512_fmadd_pd(a, bv[j], c[i][j]);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) _mm512_storeu_pd(C + i * ldc + 8 * j, c[i][j]);
}

// One stripe of 8 NV columns over all M rows: blocks of 8 rows, then 4, 2 and 1; the panel of B packed in
// chunks of 128 rows (at most 24 KiB, NV = 3) when two row blocks or more reuse it. gemm_real takes stripes
// of 24 columns, then one of 16 and one of 8; the last 1..7 columns go to the 256-bit kernels.
template <int NV>
__attribute__((target("avx512f,fma"))) void stripe512(size_t M, size_t K, const double* A, size_t lda,
                                                      const double* B, size_t ldb, double* C, size_t ldc) {
    constexpr size_t NR = 8 * NV, depth = 128;
    auto rows = [&](size_t kc, const double* a, const double* b, size_t ld) {
        size_t m = 0;
        for (; m + 8 <= M; m += 8) micro_kernel512<8, NV>(kc, a + m * lda, lda, b, ld, C + m * ldc, ldc);
        if (m + 4 <= M) micro_kernel512<4, NV>(kc, a + m * lda, lda, b, ld, C + m * ldc, ldc), m += 4;
        if (m + 2 <= M) micro_kernel512<2, NV>(kc, a + m * lda, lda, b, ld, C + m * ldc, ldc), m += 2;
        if (m < M) micro_kernel512<1, NV>(kc, a + m * lda, lda, b, ld, C + m * ldc, ldc);
    };
    if (M < 16) {
        rows(K, A, B, ldb);
        return;
    }
    alignas(64) double panel[depth * NR];
    for (size_t k0 = 0; k0 < K; k0 += depth) {
        const size_t kc = K - k0 < depth ? K - k0 : depth;
        for (size_t k = 0; k < kc; ++k) std::memcpy(panel + k * NR, B + (k0 + k) * ldb, NR * sizeof(double));
        rows(kc, A + k0, panel, NR);  // each chunk reloads the accumulators from C: order unchanged
    }
}
#endif

// Set once: whether gemm_real may use the AVX-512 kernel (the processor has it and no test turned it off).
bool& avx512_enabled() {
#ifdef TRAINVP_GEMM_AVX512
    static bool on = __builtin_cpu_supports("avx512f");
#else
    static bool on = false;
#endif
    return on;
}

void gemm_real(size_t M, size_t N, size_t K, const double* A, size_t lda, const double* B, size_t ldb,
               double* C, size_t ldc) {
    size_t n = 0;
#ifdef TRAINVP_GEMM_AVX512
    if (avx512_enabled()) {
        for (; n + 24 <= N; n += 24) stripe512<3>(M, K, A, lda, B + n, ldb, C + n, ldc);
        if (n + 16 <= N) stripe512<2>(M, K, A, lda, B + n, ldb, C + n, ldc), n += 16;
        if (n + 8 <= N) stripe512<1>(M, K, A, lda, B + n, ldb, C + n, ldc), n += 8;
    }
#endif
    for (; n + 12 <= N; n += 12) stripe<4, 12>(M, K, A, lda, B + n, ldb, C + n, ldc);
    if (n + 8 <= N) {
        stripe<6, 8>(M, K, A, lda, B + n, ldb, C + n, ldc);
        n += 8;
    }
    for (; n + 4 <= N; n += 4) stripe<8, 4>(M, K, A, lda, B + n, ldb, C + n, ldc);
    for (; n < N; ++n) row_block<4, 1>(M, K, A, lda, B + n, ldb, C + n, ldc);
}

// Eight independent running maxima so the scan vectorises (one chain would wait on each max's latency).
// The AVX2 form computes the same maximum: _mm256_max_pd(x, m) returns m when x is NaN, as std::max(m, x)
// does, and a maximum does not depend on the order of the scan.
double max_abs(const double* p, size_t rows, size_t cols, size_t ld) {
    double m[8] = {0, 0, 0, 0, 0, 0, 0, 0};
#if defined(__AVX2__) && defined(__FMA__)
    const __m256d abs_mask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7FFFFFFFFFFFFFFFll));
    __m256d v0 = _mm256_setzero_pd(), v1 = _mm256_setzero_pd();
#endif
    for (size_t r = 0; r < rows; ++r) {
        const double* row = p + r * ld;
        size_t c = 0;
#if defined(__AVX2__) && defined(__FMA__)
        for (; c + 8 <= cols; c += 8) {
            v0 = _mm256_max_pd(_mm256_and_pd(_mm256_loadu_pd(row + c), abs_mask), v0);
            v1 = _mm256_max_pd(_mm256_and_pd(_mm256_loadu_pd(row + c + 4), abs_mask), v1);
        }
#endif
        for (; c + 8 <= cols; c += 8)
            for (int j = 0; j < 8; ++j) m[j] = std::max(m[j], std::fabs(row[c + j]));
        for (; c < cols; ++c) m[0] = std::max(m[0], std::fabs(row[c]));
    }
#if defined(__AVX2__) && defined(__FMA__)
    double lanes[8];
    _mm256_storeu_pd(lanes, v0);
    _mm256_storeu_pd(lanes + 4, v1);
    for (int j = 0; j < 8; ++j) m[j] = std::max(m[j], lanes[j]);
#endif
    return *std::max_element(m, m + 8);
}

// Multiplying by a power of two is exact here (no overflow or underflow at these magnitudes); 2^frac is
// built from its exponent bits, which avoids a libm call per element.
double pow2(int e) {
    uint64_t bits = static_cast<uint64_t>(1023 + e) << 52;
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
}
int64_t to_raw(double value, int frac) {
    return static_cast<int64_t>(value * pow2(frac));
}
double from_raw(int64_t raw, int frac) {
    return static_cast<double>(raw) * pow2(-frac);
}

// A product's raw integer, clamped to +-2^62 (beyond any accumulator, so acc_add still saturates exactly as
// for the true value); NaN gives 0. Only a brick float operand can be non-finite or that large.
int64_t product_raw(double product, int frac) {
    const double v = product * pow2(frac);
    constexpr double kLimit = 0x1.0p62;
    if (!(v == v)) return 0;
    if (v >= kLimit) return int64_t{1} << 62;
    if (v <= -kLimit) return -(int64_t{1} << 62);
    return static_cast<int64_t>(v);
}

// Exact integer arithmetic with a saturation check after every addition (num::acc_add).
void gemm_saturating(const MacConfig& cfg, size_t M, size_t N, size_t K, const double* A, size_t lda,
                     const double* B, size_t ldb, double* C, size_t ldc, num::AccStats* stats) {
    for (size_t m = 0; m < M; ++m) {
        for (size_t n = 0; n < N; ++n) {
            int64_t raw = to_raw(C[m * ldc + n], cfg.frac);
            for (size_t k = 0; k < K; ++k)
                raw = num::acc_add(raw, product_raw(A[m * lda + k] * B[k * ldb + n], cfg.frac), cfg.bits,
                                   stats);
            C[m * ldc + n] = from_raw(raw, cfg.frac);
        }
    }
}

bool all_finite(const double* p, size_t rows, size_t cols, size_t ld) {
    bool finite = true;
    for (size_t r = 0; r < rows; ++r)
        for (size_t c = 0; c < cols; ++c) finite &= std::isfinite(p[r * ld + c]);
    return finite;
}

}  // namespace

bool gemm_avx512_available() {
#ifdef TRAINVP_GEMM_AVX512
    return __builtin_cpu_supports("avx512f");
#else
    return false;
#endif
}

bool gemm_use_avx512(bool on) {
    const bool was = avx512_enabled();
    avx512_enabled() = on && gemm_avx512_available();
    return was;
}

double abs_bound(const float* p, size_t n) {
    double m = 0.0;
    bool finite = true;
    for (size_t i = 0; i < n; ++i) {
        finite &= std::isfinite(p[i]);
        m = std::max(m, std::fabs(static_cast<double>(p[i])));
    }
    return finite ? m : HUGE_VAL;
}

double abs_bound(const double* p, size_t n) {
    double m = 0.0;
    bool finite = true;
    for (size_t i = 0; i < n; ++i) {
        finite &= std::isfinite(p[i]);
        m = std::max(m, std::fabs(p[i]));
    }
    return finite ? m : HUGE_VAL;
}

bool sum_cannot_saturate(const MacConfig& cfg, double abs_sum) {
    if (cfg.domain == AccDomain::real) return true;
    return abs_sum * (1.0 + 0x1.0p-30) < std::ldexp(1.0, cfg.bits - 1 - cfg.frac);
}

void context_gemm(const MacContext& mc, const MacConfig& cfg, size_t M, size_t N, size_t K, const double* A,
                  size_t lda, const double* B, size_t ldb, double* acc, size_t ldc, WeightSide weight) {
    if (mc.engine)
        mc.engine->gemm(cfg, M, N, K, A, lda, B, ldb, acc, ldc, weight);
    else
        gemm_accumulate(cfg, M, N, K, A, lda, B, ldb, acc, ldc, mc.acc_stats);
}

void gemm_accumulate(const MacConfig& cfg, size_t M, size_t N, size_t K, const double* A, size_t lda,
                     const double* B, size_t ldb, double* acc, size_t ldc, num::AccStats* stats) {
    if (M == 0 || N == 0 || K == 0) return;
    if (cfg.domain == AccDomain::integer) {
        // No partial sum can leave (-2^(bits-1), 2^(bits-1)) when |acc| + K * max|a| * max|b| stays
        // inside it; then every addition is exact in double and no saturation check is needed. The bound is
        // evaluated with a relative margin far above double's rounding error.
        const double bound =
            max_abs(acc, M, N, ldc) + static_cast<double>(K) * max_abs(A, M, K, lda) * max_abs(B, K, N, ldb);
        const bool finite = !cfg.brick_float || (all_finite(A, M, K, lda) && all_finite(B, K, N, ldb));
        if (!finite || !sum_cannot_saturate(cfg, bound)) {
            gemm_saturating(cfg, M, N, K, A, lda, B, ldb, acc, ldc, stats);
            return;
        }
    }
    gemm_real(M, N, K, A, lda, B, ldb, acc, ldc);
    if (stats) stats->additions += static_cast<uint64_t>(M) * N * K;
}

double accumulate_value(const MacConfig& cfg, double acc, double addend, num::AccStats* stats) {
    if (cfg.domain == AccDomain::real) {
        if (stats) ++stats->additions;
        return acc + addend;
    }
    return from_raw(num::acc_add(to_raw(acc, cfg.frac), product_raw(addend, cfg.frac), cfg.bits, stats),
                    cfg.frac);
}

float round_accumulator(const MacConfig& cfg, double acc, const num::Format& out, const num::SrKey& key,
                        uint64_t index, num::QuantStats* stats) {
    if (cfg.domain == AccDomain::integer)
        return num::round_raw(to_raw(acc, cfg.frac), cfg.frac, out, key, index, stats);
    const float f = static_cast<float>(acc);
    if (out.kind == num::FormatKind::fp32) {
        if (stats) ++stats->values;
        return f;
    }
    return num::quantize(f, out, key, index, stats);
}

void round_block(const MacConfig& cfg, size_t M, size_t N, const double* acc, size_t lda, float* out,
                 size_t ldo, const num::Format& fmt, const num::SrKey& key, uint64_t index_base,
                 num::QuantStats* stats) {
    for (size_t m = 0; m < M; ++m) {
        const double* a = acc + m * lda;
        float* o = out + m * ldo;
        const uint64_t first = index_base + m * ldo;
        if (cfg.domain == AccDomain::integer) {
            // Equal to num::round_raw element by element; the array form checks the format once per chunk.
            constexpr size_t kChunk = 256;
            int64_t raw[kChunk];
            for (size_t n0 = 0; n0 < N; n0 += kChunk) {
                const size_t len = std::min(kChunk, N - n0);
                for (size_t n = 0; n < len; ++n) raw[n] = to_raw(a[n0 + n], cfg.frac);
                num::round_raw_array(raw, len, cfg.frac, fmt, key, first + n0, o + n0, stats);
            }
            continue;
        }
        // Real domain: round to fp32, then quantize_array, which equals num::quantize element by element.
        for (size_t n = 0; n < N; ++n) o[n] = static_cast<float>(a[n]);
        if (fmt.kind != num::FormatKind::fp32)
            num::quantize_array(o, N, fmt, key, first, stats);
        else if (stats)
            stats->values += N;
    }
}

void round_into(const MacConfig& cfg, size_t M, size_t N, const double* acc, size_t lda, const Out& out,
                size_t offset, size_t ldo, uint64_t index_base) {
    if (out.sink)
        out.sink->round_block(cfg, M, N, acc, lda, offset, ldo, out.fmt, out.key, index_base);
    else
        round_block(cfg, M, N, acc, lda, out.data + offset, ldo, out.fmt, out.key, index_base, out.stats);
}

void to_double(const float* src, size_t n, double* dst) {
    for (size_t i = 0; i < n; ++i) dst[i] = src[i];
}

void to_double_transposed(const float* src, size_t rows, size_t cols, double* dst) {
    for (size_t r = 0; r < rows; ++r)
        for (size_t c = 0; c < cols; ++c) dst[c * rows + r] = src[r * cols + c];
}

}  // namespace trainvp::kern
