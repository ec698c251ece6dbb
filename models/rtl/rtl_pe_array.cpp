#include "rtl/rtl_pe_array.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <stdexcept>

#include "common/error.h"
#include "kernels/gemm.h"
#include "rtl/rtl_gemm.h"
#include "rtl/verilated_arrays.h"

namespace trainvp::rtl {

namespace {

constexpr int kUnbounded = INT_MAX / 4;
constexpr int kDataBits = 16;  // DATA_W of every Verilated size (models/rtl/CMakeLists.txt)

// The shifts s for which every value of a strided matrix times 2^s is an integer that fits a signed
// `bits`-bit operand: [lo, hi] (unbounded for an all-zero matrix).
struct ShiftRange {
    int lo = -kUnbounded, hi = kUnbounded;
};

ShiftRange shift_range(const double* X, size_t rows, size_t cols, size_t ld, int bits) {
    ShiftRange r;
    const double top = std::ldexp(1.0, bits - 1);
    for (size_t i = 0; i < rows; ++i)
        for (size_t j = 0; j < cols; ++j) {
            const double v = X[i * ld + j];
            if (v == 0.0) continue;
            int e = 0;
            const double m = std::frexp(std::fabs(v), &e);  // |v| = m 2^e, m in [0.5, 1)
            const uint64_t mant = static_cast<uint64_t>(std::ldexp(m, 53));
            r.lo = std::max(r.lo, 53 - e - __builtin_ctzll(mant));  // fewest shifts that make v whole
            int hi = bits - 1 - e;                                  // |v| 2^hi < 2^(bits-1)
            if (v < 0 && std::ldexp(v, hi + 1) >= -top) ++hi;       // -2^(bits-1) itself fits
            r.hi = std::min(r.hi, hi);
        }
    return r;
}

}  // namespace

RtlGemmEngine::RtlGemmEngine(std::unique_ptr<ArrayPins> pins, timing::Dataflow dataflow)
    : pins_(std::move(pins)), dataflow_(dataflow) {}

void RtlGemmEngine::gemm(const kern::MacConfig& cfg, size_t M, size_t N, size_t K, const double* A,
                         size_t lda, const double* B, size_t ldb, double* acc, size_t ldc,
                         kern::WeightSide weight) {
    if (M == 0 || N == 0 || K == 0) return;
    if (cfg.domain != kern::AccDomain::integer)
        throw std::runtime_error("the RTL array multiplies integers only (fixed point, int8)");
    // Integer domain: A = ra 2^-fa, B = rb 2^-fb with fa + fb = cfg.frac. Any split sa + sb = cfg.frac that
    // makes both operands whole gives the same products ra rb; the formats' own split always fits.
    const int bits = pins_->data_bits();
    const ShiftRange ra = shift_range(A, M, K, lda, bits), rb = shift_range(B, K, N, ldb, bits);
    const int lower = std::max(ra.lo, rb.hi == kUnbounded ? -kUnbounded : cfg.frac - rb.hi);
    const int upper = std::min(ra.hi, rb.lo == -kUnbounded ? kUnbounded : cfg.frac - rb.lo);
    if (lower > upper)
        throw std::runtime_error("GEMM operands do not fit the RTL array's " + std::to_string(bits) +
                                 "-bit inputs");
    const int sa = lower != -kUnbounded ? lower : upper != kUnbounded ? upper : 0;
    const int sb = cfg.frac - sa;

    // The native orientation: the weight-like operand is A.
    const bool transposed = weight == kern::WeightSide::b;
    timing::GemmShape s;
    s.m = transposed ? N : M, s.n = transposed ? M : N, s.k = K;
    s.accumulate = true;
    a_.resize(s.m * s.k), b_.resize(s.k * s.n), c_.resize(s.m * s.n);
    for (size_t m = 0; m < M; ++m)
        for (size_t k = 0; k < K; ++k) {
            const auto v = static_cast<int32_t>(std::ldexp(A[m * lda + k], sa));
            (transposed ? b_[k * M + m] : a_[m * K + k]) = v;
        }
    for (size_t k = 0; k < K; ++k)
        for (size_t n = 0; n < N; ++n) {
            const auto v = static_cast<int32_t>(std::ldexp(B[k * ldb + n], sb));
            (transposed ? a_[n * K + k] : b_[k * N + n]) = v;
        }
    for (size_t m = 0; m < M; ++m)
        for (size_t n = 0; n < N; ++n)
            c_[transposed ? n * M + m : m * N + n] = std::llround(std::ldexp(acc[m * ldc + n], cfg.frac));
    const RtlGemmStats st = run_gemm(*pins_, s, dataflow_, cfg.bits, a_.data(), b_.data(), c_.data());
    for (size_t m = 0; m < M; ++m)
        for (size_t n = 0; n < N; ++n)
            acc[m * ldc + n] =
                std::ldexp(static_cast<double>(c_[transposed ? n * M + m : m * N + n]), -cfg.frac);
    tile_cycles_ += st.compute_cycles;
    cycles_ += st.compute_cycles;
    preload_cycles_ += st.preload_cycles;
    ++gemms_;
}

RtlPeArray::RtlPeArray(sc_core::sc_module_name name, const AcceleratorConfig& config)
    : sc_module(name), log_(this->name()) {
    const std::string problem = rtl_array_problem(config);
    if (!problem.empty()) throw UserError(problem);
    engine_ =
        std::make_unique<RtlGemmEngine>(make_verilated_array(config.rows, config.cols), config.dataflow);
    array_ = std::make_unique<PeArray>("array", config, engine_.get());
}

void RtlPeArray::end_of_simulation() {
    log_.info("the RTL array ran ", engine_->gemms(), " GEMMs in ", engine_->cycles(), " cycles (",
              engine_->preload_cycles(), " shadow preload cycles not counted)");
}

ComputePart make_rtl_pe_array(const char* name, const AcceleratorConfig& config) {
    auto m = std::make_unique<RtlPeArray>(name, config);
    ComputePart p;
    p.cmd_in = &m->array().cmd_in;
    p.buffers_out = &m->array().buffers_out;
    p.module = std::move(m);
    return p;
}

std::string rtl_array_problem(const AcceleratorConfig& config) {
    std::string sizes;
    for (const auto& [r, c] : verilated_array_sizes()) {
        if (r == config.rows && c == config.cols) return "";
        sizes += (sizes.empty() ? "" : ", ") + std::to_string(r) + "x" + std::to_string(c);
    }
    return "the RTL array is Verilated for " + (sizes.empty() ? std::string("no size") : sizes) +
           " in this build, not " + std::to_string(config.rows) + "x" + std::to_string(config.cols) +
           " (cmake -DTRAINVP_PLATFORM_RTL_ARRAYS=...)";
}

std::string rtl_format_problem(const num::Format& f) {
    if (!kern::is_integer_format(f))
        return f.to_string() + " is not an integer format (the RTL array multiplies fixed point and int8)";
    if (f.storage_bits() > kDataBits)
        return f.to_string() + " has " + std::to_string(f.storage_bits()) +
               " bits; the RTL array's operands have " + std::to_string(kDataBits);
    return "";
}

}  // namespace trainvp::rtl
