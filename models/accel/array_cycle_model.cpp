// Cycle-stepped model of the PE array (fidelity: cycle). Every PE is a multiply-accumulate unit with operand
// registers; a step computes every register's next value from the current ones, so operands move one PE per
// cycle and results appear exactly when the register transfers produce them. The edge feeders inject the
// operands with the skew the dataflow needs; everything after the edge (MACs, partial-sum movement, result
// drain, completion) follows from the registers, which is what the comparison with analytic_gemm checks.
#include <algorithm>
#include <stdexcept>
#include <vector>

#include "accel/array_bank_model.h"
#include "accel/array_timing.h"
#include "common/error.h"

namespace trainvp::timing {

namespace {

using detail::buf_a;
using detail::buf_b;
using detail::buf_c;
using detail::Buffer;

struct Reg {
    double value = 0.0;
    bool valid = false;
};

[[noreturn]] void model_bug(const char* what) {
    throw std::logic_error(std::string("cycle_gemm: ") + what);
}

// Output stationary: PE(i, j) accumulates C[m0+i][n0+j]. A enters on the left edge (row i delayed by i),
// B on the top edge (column j delayed by j). When the bottom PE of a column has done its K-th MAC, the
// column's accumulators are copied into a drain chain that shifts them out through the top edge, one per
// cycle.
class OutputStationary {
  public:
    OutputStationary(const GemmShape& s, const ArrayConfig& cfg, const kern::MacConfig& mac,
                     const std::array<uint64_t, 3>& ls, detail::StepBufferModel& bank, GemmTiming& t)
        : s_(s), cfg_(cfg), mac_(mac), ls_(ls), bank_(bank), t_(t) {}

    void run(const double* A, const double* B, double* C) {
        for (uint64_t m0 = 0; m0 < s_.m; m0 += cfg_.rows)
            for (uint64_t n0 = 0; n0 < s_.n; n0 += cfg_.cols) fold(A, B, C, m0, n0);
    }

  private:
    void fold(const double* A, const double* B, double* C, uint64_t m0, uint64_t n0) {
        const uint64_t r = std::min<uint64_t>(cfg_.rows, s_.m - m0),
                       c = std::min<uint64_t>(cfg_.cols, s_.n - n0);
        const uint64_t T = s_.k;
        a_.assign(r * c, Reg{});
        b_.assign(r * c, Reg{});
        drain_.assign(r * c, Reg{});
        acc_.assign(r * c, 0.0);
        macs_done_.assign(r * c, 0);
        drained_rows_.assign(c, 0);
        column_loaded_.assign(c, false);
        edge_a_.assign(r, Reg{});
        edge_b_.assign(c, Reg{});
        // Initial accumulator values arrive through the shadow preload path (docs "Output stationary").
        for (uint64_t i = 0; i < r; ++i)
            for (uint64_t j = 0; j < c; ++j)
                acc_[i * c + j] = s_.accumulate ? C[(m0 + i) * s_.n + n0 + j] : 0.0;
        if (s_.accumulate) t_.c_read_bytes += r * c * s_.c_bytes;
        bank_.begin_fold(static_cast<uint32_t>(r), static_cast<uint32_t>(c), static_cast<uint32_t>(c));
        ++t_.folds;
        t_.stream_cycles += T;

        uint64_t emitted = 0;
        for (uint64_t step = 0; emitted < r * c; ++step) {
            // Drain: the top register of each loaded column leaves the array; the rest move up one row.
            for (uint64_t j = 0; j < c; ++j) {
                if (!drain_[j].valid) continue;
                const uint64_t m = m0 + drained_rows_[j]++;
                C[m * s_.n + n0 + j] = drain_[j].value;
                bank_.write(buf_c, j, (n0 + j) * ls_[2] + m * s_.c_bytes, s_.c_bytes);
                t_.c_write_bytes += s_.c_bytes;
                ++emitted;
                for (uint64_t i = 0; i + 1 < r; ++i) drain_[i * c + j] = drain_[(i + 1) * c + j];
                drain_[(r - 1) * c + j] = Reg{};
            }
            // Edge feeders: row i streams A[m0+i][0..T) starting at step i, column j B[0..T)[n0+j] at step j.
            for (uint64_t i = 0; i < r; ++i) {
                edge_a_[i] = Reg{};
                if (step < i || step - i >= T) continue;
                const uint64_t k = step - i;
                edge_a_[i] = Reg{A[(m0 + i) * s_.k + k], true};
                bank_.read(buf_a, i, (m0 + i) * ls_[0] + k * s_.a_bytes, s_.a_bytes);
                t_.a_read_bytes += s_.a_bytes;
            }
            for (uint64_t j = 0; j < c; ++j) {
                edge_b_[j] = Reg{};
                if (step < j || step - j >= T) continue;
                const uint64_t k = step - j;
                edge_b_[j] = Reg{B[k * s_.n + n0 + j], true};
                bank_.read(buf_b, j, (n0 + j) * ls_[1] + k * s_.b_bytes, s_.b_bytes);
                t_.b_read_bytes += s_.b_bytes;
            }
            // PEs, last first, so that every PE reads its neighbours' registers before they change.
            for (uint64_t i = r; i-- > 0;)
                for (uint64_t j = c; j-- > 0;) {
                    const Reg a_in = j == 0 ? edge_a_[i] : a_[i * c + j - 1];
                    const Reg b_in = i == 0 ? edge_b_[j] : b_[(i - 1) * c + j];
                    if (a_in.valid != b_in.valid) model_bug("operands out of step");
                    if (a_in.valid) {
                        acc_[i * c + j] =
                            kern::accumulate_value(mac_, acc_[i * c + j], a_in.value * b_in.value, nullptr);
                        ++macs_done_[i * c + j];
                        ++t_.macs;
                    }
                    a_[i * c + j] = a_in;
                    b_[i * c + j] = b_in;
                }
            // A column whose bottom PE has finished hands its accumulators to the drain chain.
            for (uint64_t j = 0; j < c; ++j) {
                if (column_loaded_[j] || macs_done_[(r - 1) * c + j] < T) continue;
                for (uint64_t i = 0; i < r; ++i) {
                    if (macs_done_[i * c + j] != T) model_bug("column drained before all its MACs");
                    drain_[i * c + j] = Reg{acc_[i * c + j], true};
                }
                column_loaded_[j] = true;
            }
            ++t_.fill_drain_cycles;  // every step counts here first; stream cycles are subtracted at the end
            bank_.end_step(t_.stall_cycles_by_reason);
        }
    }

    const GemmShape& s_;
    const ArrayConfig& cfg_;
    const kern::MacConfig& mac_;
    std::array<uint64_t, 3> ls_;
    detail::StepBufferModel& bank_;
    GemmTiming& t_;
    std::vector<Reg> a_, b_, drain_, edge_a_, edge_b_;
    std::vector<double> acc_;
    std::vector<uint64_t> macs_done_, drained_rows_;
    std::vector<bool> column_loaded_;
};

// Weight stationary on Out[M][N] += S[M][K] . X[K][N] (input stationary runs it on the transposed problem).
// PE(i, j) holds S[m0+j][k0+i]: the weights shift down the columns for r cycles, bottom row first, and are
// latched. Then X[k0+i][n] enters row i (delayed by i) and moves right; the partial sum of Out[m0+j][n]
// enters the top of column j (delayed by j), moves down one PE per cycle picking up one product per row, and
// leaves at the bottom.
class WeightStationary {
  public:
    struct Roles {
        uint64_t m, n, k;
        Buffer stat, stream;
        uint32_t stat_bytes, stream_bytes;
        uint64_t stat_ls, stream_ls;
    };
    WeightStationary(const GemmShape& s, const ArrayConfig& cfg, const kern::MacConfig& mac,
                     const Roles& roles, uint64_t out_ls, detail::StepBufferModel& bank, GemmTiming& t)
        : s_(s), cfg_(cfg), mac_(mac), w_(roles), out_ls_(out_ls), bank_(bank), t_(t) {}

    void run(const double* S, const double* X, double* Out) {
        for (uint64_t m0 = 0; m0 < w_.m; m0 += cfg_.cols)
            for (uint64_t k0 = 0; k0 < w_.k; k0 += cfg_.rows) fold(S, X, Out, m0, k0);
    }

  private:
    void fold(const double* S, const double* X, double* Out, uint64_t m0, uint64_t k0) {
        const uint64_t r = std::min<uint64_t>(cfg_.rows, w_.k - k0),
                       c = std::min<uint64_t>(cfg_.cols, w_.m - m0);
        const uint64_t T = w_.n;
        const bool psum_in = k0 > 0 || s_.accumulate;
        shift_.assign(r * c, Reg{});
        weight_.assign(r * c, 0.0);
        x_.assign(r * c, Reg{});
        p_.assign(r * c, Reg{});
        edge_x_.assign(r, Reg{});
        edge_p_.assign(c, Reg{});
        out_count_.assign(c, 0);
        uint32_t lanes[3] = {0, 0, static_cast<uint32_t>(c)};
        lanes[w_.stat] = static_cast<uint32_t>(c);
        lanes[w_.stream] = static_cast<uint32_t>(r);
        bank_.begin_fold(lanes[0], lanes[1], lanes[2]);
        ++t_.folds;
        t_.stream_cycles += T;
        uint64_t& stat_bytes = w_.stat == buf_a ? t_.a_read_bytes : t_.b_read_bytes;
        uint64_t& stream_bytes = w_.stream == buf_a ? t_.a_read_bytes : t_.b_read_bytes;

        uint64_t pushed = 0, emitted = 0;
        for (uint64_t step = 0; emitted < c * T; ++step) {
            // Weight fill: one weight per column per cycle, the bottom row's first.
            if (pushed < r) {
                const uint64_t k = k0 + r - 1 - pushed;
                for (uint64_t j = 0; j < c; ++j) {
                    for (uint64_t i = r - 1; i > 0; --i) shift_[i * c + j] = shift_[(i - 1) * c + j];
                    shift_[j] = Reg{S[(m0 + j) * w_.k + k], true};
                    bank_.read(w_.stat, j, (m0 + j) * w_.stat_ls + k * w_.stat_bytes, w_.stat_bytes);
                    stat_bytes += w_.stat_bytes;
                }
                if (++pushed == r)
                    for (uint64_t e = 0; e < r * c; ++e) {
                        if (!shift_[e].valid) model_bug("weight chain not full at latch");
                        weight_[e] = shift_[e].value;
                    }
            }
            // Edge feeders once the weights are latched: X rows delayed by the row, partial sums by the
            // column.
            for (uint64_t i = 0; i < r; ++i) {
                edge_x_[i] = Reg{};
                if (step < r + i || step - r - i >= T) continue;
                const uint64_t n = step - r - i;
                edge_x_[i] = Reg{X[(k0 + i) * w_.n + n], true};
                bank_.read(w_.stream, i, (k0 + i) * w_.stream_ls + n * w_.stream_bytes, w_.stream_bytes);
                stream_bytes += w_.stream_bytes;
            }
            for (uint64_t j = 0; j < c; ++j) {
                edge_p_[j] = Reg{};
                if (step < r + j || step - r - j >= T) continue;
                const uint64_t n = step - r - j;
                edge_p_[j] = Reg{psum_in ? Out[(m0 + j) * w_.n + n] : 0.0, true};
                if (!psum_in) continue;
                bank_.read(buf_c, j, (m0 + j) * out_ls_ + n * s_.c_bytes, s_.c_bytes);
                t_.c_read_bytes += s_.c_bytes;
            }
            for (uint64_t i = r; i-- > 0;)
                for (uint64_t j = c; j-- > 0;) {
                    const Reg x_in = j == 0 ? edge_x_[i] : x_[i * c + j - 1];
                    const Reg p_in = i == 0 ? edge_p_[j] : p_[(i - 1) * c + j];
                    if (x_in.valid != p_in.valid) model_bug("operand and partial sum out of step");
                    p_[i * c + j] = Reg{};
                    if (x_in.valid) {
                        p_[i * c + j] = Reg{kern::accumulate_value(mac_, p_in.value,
                                                                   weight_[i * c + j] * x_in.value, nullptr),
                                            true};
                        ++t_.macs;
                    }
                    x_[i * c + j] = x_in;
                }
            // Results leave the bottom row in the order their columns receive them.
            for (uint64_t j = 0; j < c; ++j) {
                const Reg& out = p_[(r - 1) * c + j];
                if (!out.valid) continue;
                const uint64_t n = out_count_[j]++;
                Out[(m0 + j) * w_.n + n] = out.value;
                bank_.write(buf_c, j, (m0 + j) * out_ls_ + n * s_.c_bytes, s_.c_bytes);
                t_.c_write_bytes += s_.c_bytes;
                ++emitted;
            }
            ++t_.fill_drain_cycles;
            bank_.end_step(t_.stall_cycles_by_reason);
        }
    }

    const GemmShape& s_;
    const ArrayConfig& cfg_;
    const kern::MacConfig& mac_;
    Roles w_;
    uint64_t out_ls_;
    detail::StepBufferModel& bank_;
    GemmTiming& t_;
    std::vector<Reg> shift_, x_, p_, edge_x_, edge_p_;
    std::vector<double> weight_;
    std::vector<uint64_t> out_count_;
};

std::vector<double> transposed(const double* src, uint64_t rows, uint64_t cols) {
    std::vector<double> dst(rows * cols);
    for (uint64_t r = 0; r < rows; ++r)
        for (uint64_t c = 0; c < cols; ++c) dst[c * rows + r] = src[r * cols + c];
    return dst;
}

}  // namespace

GemmTiming cycle_gemm(const GemmShape& s, const ArrayConfig& cfg, const TimingParams& p,
                      const BufferBandwidth& bw, const kern::MacConfig& mac, const double* a, const double* b,
                      double* c) {
    s.validate();
    if (s.products_per_cycle != 1 || s.cycles_per_product != 1)
        throw UserError("the cycle-stepped array models the uniform PE only (one product per cycle)");
    cfg.validate();
    p.validate();
    bw.validate();
    GemmTiming t;
    detail::StepBufferModel bank(bw, p);
    const auto ls = detail::lane_strides(s, cfg, bw);
    switch (cfg.dataflow) {
        case Dataflow::output_stationary:
            OutputStationary(s, cfg, mac, ls, bank, t).run(a, b, c);
            break;
        case Dataflow::weight_stationary: {
            const WeightStationary::Roles roles{s.m,       s.n,       s.k,   buf_a, buf_b,
                                                s.a_bytes, s.b_bytes, ls[0], ls[1]};
            WeightStationary(s, cfg, mac, roles, ls[2], bank, t).run(a, b, c);
            break;
        }
        case Dataflow::input_stationary: {
            // C^T[N][M] += B^T[N][K] . A^T[K][M] with B^T held in the PEs.
            const std::vector<double> bt = transposed(b, s.k, s.n), at = transposed(a, s.m, s.k);
            std::vector<double> ct =
                s.accumulate ? transposed(c, s.m, s.n) : std::vector<double>(s.m * s.n, 0.0);
            const WeightStationary::Roles roles{s.n,       s.m,       s.k,   buf_b, buf_a,
                                                s.b_bytes, s.a_bytes, ls[1], ls[0]};
            WeightStationary(s, cfg, mac, roles, ls[2], bank, t).run(bt.data(), at.data(), ct.data());
            for (uint64_t n = 0; n < s.n; ++n)
                for (uint64_t m = 0; m < s.m; ++m) c[m * s.n + n] = ct[n * s.m + m];
            break;
        }
    }
    t.fill_drain_cycles -= t.stream_cycles;
    t.overhead_cycles = p.gemm_setup_cycles + t.folds * (uint64_t{p.operand_edge_stages} +
                                                         p.acc_writeback_cycles + p.fold_switch_cycles);
    t.compute_cycles = t.stream_cycles + t.fill_drain_cycles;
    t.total_cycles = t.compute_cycles + t.overhead_cycles + t.stall_cycles();
    t.utilization = static_cast<double>(t.macs) / (static_cast<double>(cfg.rows) * cfg.cols * t.total_cycles);
    return t;
}

}  // namespace trainvp::timing
