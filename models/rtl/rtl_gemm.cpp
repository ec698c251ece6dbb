#include "rtl/rtl_gemm.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/error.h"

namespace trainvp::rtl {

namespace {

using timing::Dataflow;
using timing::GemmShape;

[[noreturn]] void array_failure(const std::string& what) {
    throw std::runtime_error("RTL array: " + what);
}

// Feeds one fold after another into the array, one clock edge per step.
class Sequencer {
  public:
    Sequencer(ArrayPins& pins, int saturate_bits) : p_(pins), bits_(saturate_bits) {}

    // Output stationary: C[M][N] (+)= A[M][K] . B[K][N]; PE(i, j) holds C[m0+i][n0+j].
    void output_stationary(const GemmShape& s, const int32_t* A, const int32_t* B, int64_t* C) {
        struct Fold {
            uint64_t m0, n0, r, c;
        };
        std::vector<Fold> folds;
        for (uint64_t m0 = 0; m0 < s.m; m0 += p_.rows())
            for (uint64_t n0 = 0; n0 < s.n; n0 += p_.cols())
                folds.push_back({m0, n0, std::min<uint64_t>(p_.rows(), s.m - m0),
                                 std::min<uint64_t>(p_.cols(), s.n - n0)});
        const uint64_t T = s.k;
        // Shadow load: at shift t the top of column j takes the initial sum of row r - 1 - t, so that after r
        // shifts row i holds C[m0+i][n0+j].
        const auto shadow_value = [&](const Fold& f, uint64_t t, uint32_t j) {
            return C[(f.m0 + f.r - 1 - t) * s.n + f.n0 + j];
        };
        if (s.accumulate) {
            idle();
            for (uint64_t t = 0; t < folds[0].r; ++t) {
                p_.set_controls(false, false, true, false);
                for (uint32_t j = 0; j < folds[0].c; ++j)
                    p_.set_north_psum(j, false, shadow_value(folds[0], t, j));
                p_.eval();
                p_.clock();
                ++stats_.preload_cycles;
            }
        }
        for (size_t f = 0; f < folds.size(); ++f) {
            const Fold& fold = folds[f];
            const Fold* next = s.accumulate && f + 1 < folds.size() ? &folds[f + 1] : nullptr;
            p_.set_fold(false, bits_, static_cast<uint32_t>(fold.r), static_cast<uint32_t>(fold.c));
            std::vector<uint64_t> drained(fold.c, 0);
            uint64_t emitted = 0, shifted = 0;
            const uint64_t limit = fold_limit(T);
            for (uint64_t st = 0; emitted < fold.r * fold.c; ++st) {
                if (st == limit) fold_timeout(f, limit);
                idle();
                const bool shift = next && shifted < next->r;
                p_.set_controls(st == 0, s.accumulate, shift, false);
                if (shift) {
                    for (uint32_t j = 0; j < next->c; ++j)
                        p_.set_north_psum(j, false, shadow_value(*next, shifted, j));
                    ++shifted;
                }
                // Row i streams A[m0+i][0..T) from step i, column j B[0..T)[n0+j] from step j (the skew).
                for (uint32_t i = 0; i < fold.r; ++i)
                    if (st >= i && st - i < T) p_.set_west(i, true, A[(fold.m0 + i) * s.k + st - i]);
                for (uint32_t j = 0; j < fold.c; ++j)
                    if (st >= j && st - j < T)
                        p_.set_north(j, true, st - j == T - 1, B[(st - j) * s.n + fold.n0 + j]);
                p_.eval();
                for (uint32_t j = 0; j < p_.cols(); ++j) {
                    int64_t v = 0;
                    if (!p_.result(j, v)) continue;
                    if (j >= fold.c || drained[j] >= fold.r) unexpected_result(f, j);
                    C[(fold.m0 + drained[j]++) * s.n + fold.n0 + j] = v;
                    ++emitted;
                }
                tick();
            }
            if (next && shifted < next->r) array_failure("fold shorter than the next fold's shadow load");
            ++stats_.folds;
        }
    }

    // Weight stationary: Out[M][N] (+)= S[M][K] . X[K][N] with S held in the PEs, PE(i, j) holding
    // S[m0+j][k0+i]. Consecutive K folds of one output block pass the partial sums through Out.
    void weight_stationary(uint64_t M, uint64_t N, uint64_t K, bool accumulate, const int32_t* S,
                           const int32_t* X, int64_t* Out) {
        const uint64_t T = N;
        uint64_t f = 0;
        for (uint64_t m0 = 0; m0 < M; m0 += p_.cols())
            for (uint64_t k0 = 0; k0 < K; k0 += p_.rows(), ++f) {
                const uint64_t r = std::min<uint64_t>(p_.rows(), K - k0),
                               c = std::min<uint64_t>(p_.cols(), M - m0);
                const bool psum_in = k0 > 0 || accumulate;
                p_.set_fold(true, bits_, static_cast<uint32_t>(r), static_cast<uint32_t>(c));
                std::vector<uint64_t> written(c, 0);
                uint64_t emitted = 0;
                const uint64_t limit = fold_limit(T);
                for (uint64_t st = 0; emitted < c * T; ++st) {
                    if (st == limit) fold_timeout(f, limit);
                    idle();
                    const bool push = st < r;
                    p_.set_controls(st == 0, false, false, push);
                    // Weights: the bottom row's first, so that after r pushes row i holds S[m0+j][k0+i].
                    if (push)
                        for (uint32_t j = 0; j < c; ++j)
                            p_.set_north(j, false, false, S[(m0 + j) * K + k0 + r - 1 - st]);
                    // Row i streams X[k0+i][0..T) from step r + i, column j its partial sums from step r + j.
                    for (uint32_t i = 0; i < r; ++i)
                        if (st >= r + i && st - r - i < T) p_.set_west(i, true, X[(k0 + i) * N + st - r - i]);
                    for (uint32_t j = 0; j < c; ++j)
                        if (st >= r + j && st - r - j < T)
                            p_.set_north_psum(j, true, psum_in ? Out[(m0 + j) * N + st - r - j] : 0);
                    p_.eval();
                    for (uint32_t j = 0; j < p_.cols(); ++j) {
                        int64_t v = 0;
                        if (!p_.result(j, v)) continue;
                        if (j >= c || written[j] >= T) unexpected_result(f, j);
                        Out[(m0 + j) * N + written[j]++] = v;
                        ++emitted;
                    }
                    tick();
                }
                ++stats_.folds;
            }
    }

    const RtlGemmStats& stats() const { return stats_; }

  private:
    void idle() {
        for (uint32_t i = 0; i < p_.rows(); ++i) p_.set_west(i, false, 0);
        for (uint32_t j = 0; j < p_.cols(); ++j) {
            p_.set_north(j, false, false, 0);
            p_.set_north_psum(j, false, 0);
        }
    }
    void tick() {
        p_.clock();
        ++stats_.compute_cycles;
        if (p_.error())
            array_failure("error output raised at cycle " + std::to_string(stats_.compute_cycles));
    }
    // Generous bound on one fold's length (the native model's is 2r + c + T - 2).
    uint64_t fold_limit(uint64_t T) const { return 4 * (uint64_t{p_.rows()} + p_.cols()) + 2 * T + 16; }
    [[noreturn]] void fold_timeout(uint64_t fold, uint64_t limit) const {
        array_failure("fold " + std::to_string(fold) + " delivered too few results in " +
                      std::to_string(limit) + " cycles");
    }
    [[noreturn]] void unexpected_result(uint64_t fold, uint32_t col) const {
        array_failure("unexpected result on column " + std::to_string(col) + " in fold " +
                      std::to_string(fold));
    }

    ArrayPins& p_;
    int bits_;
    RtlGemmStats stats_;
};

void check_operands(const char* name, const int32_t* v, uint64_t n, int bits) {
    const int64_t hi = (int64_t{1} << (bits - 1)) - 1, lo = -hi - 1;
    for (uint64_t i = 0; i < n; ++i)
        if (v[i] < lo || v[i] > hi)
            throw UserError(std::string("RTL GEMM: ") + name + "[" + std::to_string(i) +
                            "] = " + std::to_string(v[i]) + " does not fit the array's " +
                            std::to_string(bits) + "-bit operands");
}

std::vector<int32_t> transposed(const int32_t* src, uint64_t rows, uint64_t cols) {
    std::vector<int32_t> dst(rows * cols);
    for (uint64_t r = 0; r < rows; ++r)
        for (uint64_t c = 0; c < cols; ++c) dst[c * rows + r] = src[r * cols + c];
    return dst;
}

}  // namespace

RtlGemmStats run_gemm(ArrayPins& pins, const GemmShape& s, Dataflow d, int saturate_bits, const int32_t* a,
                      const int32_t* b, int64_t* c) {
    s.validate();
    if (saturate_bits < 2 || saturate_bits > pins.acc_bits())
        throw UserError("RTL GEMM: accumulator width " + std::to_string(saturate_bits) + " is outside [2, " +
                        std::to_string(pins.acc_bits()) + "]");
    check_operands("A", a, s.m * s.k, pins.data_bits());
    check_operands("B", b, s.k * s.n, pins.data_bits());
    pins.reset();
    Sequencer seq(pins, saturate_bits);
    switch (d) {
        case Dataflow::output_stationary:
            seq.output_stationary(s, a, b, c);
            break;
        case Dataflow::weight_stationary:
            seq.weight_stationary(s.m, s.n, s.k, s.accumulate, a, b, c);
            break;
        case Dataflow::input_stationary: {
            // C^T[N][M] (+)= B^T[N][K] . A^T[K][M] with B^T held in the PEs.
            const std::vector<int32_t> bt = transposed(b, s.k, s.n), at = transposed(a, s.m, s.k);
            std::vector<int64_t> ct(s.n * s.m, 0);
            if (s.accumulate)
                for (uint64_t m = 0; m < s.m; ++m)
                    for (uint64_t n = 0; n < s.n; ++n) ct[n * s.m + m] = c[m * s.n + n];
            seq.weight_stationary(s.n, s.m, s.k, s.accumulate, bt.data(), at.data(), ct.data());
            for (uint64_t m = 0; m < s.m; ++m)
                for (uint64_t n = 0; n < s.n; ++n) c[m * s.n + n] = ct[n * s.m + m];
            break;
        }
    }
    return seq.stats();
}

}  // namespace trainvp::rtl
