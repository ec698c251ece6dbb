#include "accel/array_timing.h"

#include <algorithm>
#include <limits>
#include <map>
#include <string>

#include "accel/array_bank_model.h"
#include "common/error.h"

namespace trainvp::timing {

namespace {

constexpr uint64_t kNoWord = std::numeric_limits<uint64_t>::max();

uint64_t ceil_div(uint64_t a, uint64_t b) {
    return (a + b - 1) / b;
}

void check_port(const BufferPort& p, const char* name) {
    auto in_range = [&](uint32_t v, const char* field) {
        if (v < 1 || v > kMaxBufferGeometry)
            throw UserError(std::string("buffer ") + name + "." + field + " = " + std::to_string(v) +
                            " is outside [1, " + std::to_string(kMaxBufferGeometry) + "]");
    };
    in_range(p.banks, "banks");
    in_range(p.bank_width_bytes, "bank_width_bytes");
    in_range(p.ports, "ports");
}

void finish(GemmTiming& t, const ArrayConfig& cfg) {
    t.compute_cycles = t.stream_cycles + t.fill_drain_cycles;
    t.total_cycles = t.compute_cycles + t.overhead_cycles + t.stall_cycles();
    const double pe_cycles = static_cast<double>(cfg.rows) * cfg.cols * static_cast<double>(t.total_cycles);
    t.utilization = pe_cycles > 0 ? static_cast<double>(t.macs) / pe_cycles : 0.0;
}

}  // namespace

const char* dataflow_name(Dataflow d) {
    switch (d) {
        case Dataflow::output_stationary:
            return "os";
        case Dataflow::weight_stationary:
            return "ws";
        case Dataflow::input_stationary:
            return "is";
    }
    return "?";
}

Dataflow parse_dataflow(const std::string& text) {
    if (text == "os" || text == "output_stationary") return Dataflow::output_stationary;
    if (text == "ws" || text == "weight_stationary") return Dataflow::weight_stationary;
    if (text == "is" || text == "input_stationary") return Dataflow::input_stationary;
    throw UserError("unknown dataflow '" + text + "' (expected os, ws or is)");
}

void ArrayConfig::validate() const {
    if (rows < 1 || rows > 4096 || cols < 1 || cols > 4096)
        throw UserError("PE array " + std::to_string(rows) + " x " + std::to_string(cols) +
                        ": rows and cols must be in [1, 4096]");
}

void GemmShape::validate() const {
    constexpr uint64_t kMaxDim = uint64_t{1} << 31;
    if (m < 1 || n < 1 || k < 1 || m >= kMaxDim || n >= kMaxDim || k >= kMaxDim)
        throw UserError("GEMM " + std::to_string(m) + " x " + std::to_string(n) + " x " + std::to_string(k) +
                        ": dimensions must be in [1, 2^31)");
    for (uint32_t b : {a_bytes, b_bytes, c_bytes})
        if (b < 1 || b > 16)
            throw UserError("GEMM element size " + std::to_string(b) + " bytes is outside [1, 16]");
    if (products_per_cycle < 1 || cycles_per_product < 1 ||
        (products_per_cycle > 1 && cycles_per_product > 1) || products_per_cycle > 256 ||
        cycles_per_product > 256)
        throw UserError("GEMM PE rate " + std::to_string(products_per_cycle) + " products per " +
                        std::to_string(cycles_per_product) +
                        " cycles: one of the two must be 1, both in [1, 256]");
}

BufferBandwidth BufferBandwidth::ideal() {
    BufferBandwidth bw;
    bw.unlimited = true;
    return bw;
}

void BufferBandwidth::validate() const {
    if (unlimited) return;
    check_port(a, "a");
    check_port(b, "b");
    check_port(c, "c");
}

const char* stall_reason_name(StallReason r) {
    switch (r) {
        case StallReason::a_bandwidth:
            return "a_bandwidth";
        case StallReason::a_bank_conflict:
            return "a_bank_conflict";
        case StallReason::b_bandwidth:
            return "b_bandwidth";
        case StallReason::b_bank_conflict:
            return "b_bank_conflict";
        case StallReason::c_bandwidth:
            return "c_bandwidth";
        case StallReason::c_bank_conflict:
            return "c_bank_conflict";
        case StallReason::count:
            break;
    }
    return "?";
}

uint64_t GemmTiming::stall_cycles() const {
    uint64_t sum = 0;
    for (uint64_t s : stall_cycles_by_reason) sum += s;
    return sum;
}

void GemmTiming::add(const GemmTiming& o, const ArrayConfig& cfg) {
    folds += o.folds;
    macs += o.macs;
    vector_ops += o.vector_ops;
    stream_cycles += o.stream_cycles;
    fill_drain_cycles += o.fill_drain_cycles;
    overhead_cycles += o.overhead_cycles;
    for (size_t i = 0; i < kStallReasons; ++i) stall_cycles_by_reason[i] += o.stall_cycles_by_reason[i];
    a_read_bytes += o.a_read_bytes;
    b_read_bytes += o.b_read_bytes;
    c_read_bytes += o.c_read_bytes;
    c_write_bytes += o.c_write_bytes;
    finish(*this, cfg);
}

FoldGrid fold_grid(const GemmShape& s, const ArrayConfig& cfg) {
    FoldGrid g;
    switch (cfg.dataflow) {
        case Dataflow::output_stationary:
            g.sr = s.m, g.sc = s.n, g.t = s.k;
            break;
        case Dataflow::weight_stationary:
            g.sr = s.k, g.sc = s.m, g.t = s.n;
            break;
        case Dataflow::input_stationary:
            g.sr = s.k, g.sc = s.n, g.t = s.m;
            break;
    }
    g.row_folds = ceil_div(g.sr, cfg.rows);
    g.col_folds = ceil_div(g.sc, cfg.cols);
    return g;
}

uint64_t fold_cycles(uint64_t r, uint64_t c, uint64_t t) {
    return 2 * r + c + t - 2;
}

// ---- per-step buffer model -------------------------------------------------------------------------------

namespace detail {

std::array<uint64_t, buf_count> lane_strides(const GemmShape& s, const ArrayConfig& cfg,
                                             const BufferBandwidth& bw) {
    // Stream length (elements per lane) of each operand: the dimension that runs along a lane.
    std::array<uint64_t, buf_count> len{};
    switch (cfg.dataflow) {
        case Dataflow::output_stationary:
            len = {s.k, s.k, s.m};
            break;
        case Dataflow::weight_stationary:
            len = {s.k, s.n, s.n};
            break;
        case Dataflow::input_stationary:
            len = {s.m, s.k, s.m};
            break;
    }
    const std::array<uint64_t, buf_count> given = {s.layout.a_lane_stride_bytes, s.layout.b_lane_stride_bytes,
                                                   s.layout.c_lane_stride_bytes};
    const std::array<uint32_t, buf_count> bytes = {s.a_bytes, s.b_bytes, s.c_bytes};
    const std::array<uint32_t, buf_count> word = {bw.a.bank_width_bytes, bw.b.bank_width_bytes,
                                                  bw.c.bank_width_bytes};
    std::array<uint64_t, buf_count> out{};
    for (int b = 0; b < buf_count; ++b)
        out[b] = given[b] ? given[b] : ceil_div(len[b] * bytes[b], word[b]) * word[b];
    return out;
}

StepBufferModel::StepBufferModel(const BufferBandwidth& bw, const TimingParams& p)
    : unlimited_(bw.unlimited), access_cycles_(p.bank_access_cycles), port_{bw.a, bw.b, bw.c} {}

void StepBufferModel::begin_fold(uint32_t lanes_a, uint32_t lanes_b, uint32_t lanes_c) {
    if (unlimited_) return;
    const uint32_t lanes[buf_count] = {lanes_a, lanes_b, lanes_c};
    for (int b = 0; b < buf_count; ++b)
        for (int d = 0; d < 2; ++d) {
            held_[b][d].assign(lanes[b], kNoWord);
            words_[b][d].clear();
        }
}

void StepBufferModel::access(Buffer b, int dir, uint32_t lane, uint64_t addr, uint32_t bytes) {
    if (unlimited_) return;
    const uint64_t w = port_[b].bank_width_bytes;
    uint64_t& held = held_[b][dir][lane];
    const uint64_t last = (addr + bytes - 1) / w;
    for (uint64_t word = addr / w; word <= last; ++word)
        if (word != held) words_[b][dir].push_back(word);
    held = last;
}

StepBufferModel::Cost StepBufferModel::service(Buffer b, int dir) {
    std::vector<uint64_t>& words = words_[b][dir];
    Cost cost;
    if (words.empty()) return cost;
    std::sort(words.begin(), words.end());
    words.erase(std::unique(words.begin(), words.end()), words.end());
    const BufferPort& port = port_[b];
    per_bank_.assign(port.banks, 0);
    uint32_t busiest = 0;
    for (uint64_t word : words) busiest = std::max(busiest, ++per_bank_[word % port.banks]);
    cost.conflict = ceil_div(busiest, port.ports) * access_cycles_;
    cost.ideal = ceil_div(words.size(), uint64_t{port.banks} * port.ports) * access_cycles_;
    words.clear();
    return cost;
}

uint64_t StepBufferModel::end_step(std::array<uint64_t, kStallReasons>& stalls) {
    if (unlimited_) return 0;
    uint64_t step = step_cycles_;
    int setter = -1;
    uint64_t setter_ideal = 0;
    for (int b = 0; b < buf_count; ++b) {
        const Cost rd = service(static_cast<Buffer>(b), 0);
        const Cost wr = service(static_cast<Buffer>(b), 1);
        const uint64_t conflict = std::max(rd.conflict, wr.conflict);
        if (conflict > step) {
            step = conflict;
            setter = b;
            setter_ideal = std::max(rd.ideal, wr.ideal);
        }
    }
    if (setter < 0) return 0;
    const uint64_t stall = step - step_cycles_;
    const uint64_t bandwidth = std::min(stall, setter_ideal > 0 ? setter_ideal - 1 : 0);
    stalls[2 * setter] += bandwidth;
    stalls[2 * setter + 1] += stall - bandwidth;
    return stall;
}

}  // namespace detail

// ---- analytic model --------------------------------------------------------------------------------------

namespace {

using detail::buf_a;
using detail::buf_b;
using detail::buf_c;
using detail::Buffer;

// Output stationary: C[m0+i][n0+j] stays in PE(i, j). Step s of a fold: row i's edge reads A[m0+i][s-i],
// column j's edge reads B[s-j][n0+j] (skew), PE(i, j) does MAC k = s-i-j; column j's results leave through
// the top edge, row i at step T + r - 1 + j + i (docs "Output stationary").
// The stalls of the folds already walked, by what decides them: the fold's size and flags and, per buffer,
// the offset all its addresses share modulo the buffer's period (StepBufferModel::period). Lanes start empty
// in every fold, so a fold with the same key stalls exactly as the one walked.
class FoldMemo {
  public:
    using Key = std::array<uint64_t, 6>;
    using Stalls = std::array<uint64_t, kStallReasons>;
    // True (and the fold's stalls added to t) when a fold with this key was walked before.
    bool replay(const Key& key, GemmTiming& t) {
        const auto it = seen_.find(key);
        if (it == seen_.end()) return false;
        for (size_t i = 0; i < kStallReasons; ++i) t.stall_cycles_by_reason[i] += it->second[i];
        return true;
    }
    // Brackets the walk of a new fold.
    void begin(const GemmTiming& t) { before_ = t.stall_cycles_by_reason; }
    void end(const Key& key, const GemmTiming& t) {
        Stalls d;
        for (size_t i = 0; i < kStallReasons; ++i) d[i] = t.stall_cycles_by_reason[i] - before_[i];
        seen_.emplace(key, d);
    }

  private:
    std::map<Key, Stalls> seen_;
    Stalls before_{};
};

void os_stalls(const GemmShape& s, const ArrayConfig& cfg, const std::array<uint64_t, 3>& ls,
               detail::StepBufferModel& bank, GemmTiming& t) {
    const uint64_t T = s.k;
    FoldMemo memo;
    for (uint64_t m0 = 0; m0 < s.m; m0 += cfg.rows)
        for (uint64_t n0 = 0; n0 < s.n; n0 += cfg.cols) {
            const uint64_t r = std::min<uint64_t>(cfg.rows, s.m - m0),
                           c = std::min<uint64_t>(cfg.cols, s.n - n0);
            // Every address below is one of these bases plus a term of the lane and the step alone.
            const FoldMemo::Key key{r,
                                    c,
                                    m0 * ls[0] % bank.period(buf_a),
                                    n0 * ls[1] % bank.period(buf_b),
                                    (n0 * ls[2] + m0 * s.c_bytes) % bank.period(buf_c),
                                    0};
            if (memo.replay(key, t)) continue;
            memo.begin(t);
            bank.begin_fold(static_cast<uint32_t>(r), static_cast<uint32_t>(c), static_cast<uint32_t>(c));
            for (uint64_t st = 0; st < fold_cycles(r, c, T); ++st) {
                for (uint64_t i = 0; i < r && i <= st; ++i)
                    if (st - i < T) bank.read(buf_a, i, (m0 + i) * ls[0] + (st - i) * s.a_bytes, s.a_bytes);
                for (uint64_t j = 0; j < c && j <= st; ++j)
                    if (st - j < T) bank.read(buf_b, j, (n0 + j) * ls[1] + (st - j) * s.b_bytes, s.b_bytes);
                for (uint64_t j = 0; j < c; ++j) {
                    const uint64_t first = T + r - 1 + j;
                    if (st >= first && st - first < r)
                        bank.write(buf_c, j, (n0 + j) * ls[2] + (m0 + st - first) * s.c_bytes, s.c_bytes);
                }
                bank.end_step(t.stall_cycles_by_reason);
            }
            memo.end(key, t);
        }
}

// Weight stationary on the effective problem Out[M][N] += S[M][K] . X[K][N] with S held in the PEs:
// PE(i, j) holds S[m0+j][k0+i]. Steps 0..r-1 shift the weights in from the top (row r-1 first); then row i's
// edge reads X[k0+i][s-r-i], column j's top edge reads the running partial sum Out[m0+j][s-r-j], and the
// bottom of column j writes Out[m0+j][s-2r+1-j] (docs "Weight stationary"). Input stationary is this with
// S = B^T, X = A^T, Out = C^T.
struct WsRoles {
    uint64_t m, n, k;
    Buffer stat, stream;
    uint32_t stat_bytes, stream_bytes, out_bytes;
    uint64_t stat_ls, stream_ls, out_ls;
};

WsRoles ws_roles(const GemmShape& s, const ArrayConfig& cfg, const std::array<uint64_t, 3>& ls) {
    if (cfg.dataflow == Dataflow::weight_stationary)
        return {s.m, s.n, s.k, buf_a, buf_b, s.a_bytes, s.b_bytes, s.c_bytes, ls[0], ls[1], ls[2]};
    return {s.n, s.m, s.k, buf_b, buf_a, s.b_bytes, s.a_bytes, s.c_bytes, ls[1], ls[0], ls[2]};
}

void ws_stalls(const GemmShape& s, const ArrayConfig& cfg, const WsRoles& w, detail::StepBufferModel& bank,
               GemmTiming& t) {
    const uint64_t T = w.n;
    FoldMemo memo;
    for (uint64_t m0 = 0; m0 < w.m; m0 += cfg.cols)
        for (uint64_t k0 = 0; k0 < w.k; k0 += cfg.rows) {
            const uint64_t r = std::min<uint64_t>(cfg.rows, w.k - k0),
                           c = std::min<uint64_t>(cfg.cols, w.m - m0);
            const bool psum_in = k0 > 0 || s.accumulate;
            // Every address below is one of these bases plus a term of the lane and the step alone.
            const FoldMemo::Key key{r,
                                    c,
                                    (m0 * w.stat_ls + k0 * w.stat_bytes) % bank.period(w.stat),
                                    k0 * w.stream_ls % bank.period(w.stream),
                                    m0 * w.out_ls % bank.period(buf_c),
                                    psum_in};
            if (memo.replay(key, t)) continue;
            memo.begin(t);
            uint32_t lanes[3] = {0, 0, static_cast<uint32_t>(c)};
            lanes[w.stat] = static_cast<uint32_t>(c);
            lanes[w.stream] = static_cast<uint32_t>(r);
            bank.begin_fold(lanes[0], lanes[1], lanes[2]);
            for (uint64_t st = 0; st < fold_cycles(r, c, T); ++st) {
                if (st < r)
                    for (uint64_t j = 0; j < c; ++j)
                        bank.read(w.stat, j, (m0 + j) * w.stat_ls + (k0 + r - 1 - st) * w.stat_bytes,
                                  w.stat_bytes);
                for (uint64_t i = 0; i < r; ++i)
                    if (st >= r + i && st - r - i < T)
                        bank.read(w.stream, i, (k0 + i) * w.stream_ls + (st - r - i) * w.stream_bytes,
                                  w.stream_bytes);
                for (uint64_t j = 0; j < c; ++j) {
                    if (psum_in && st >= r + j && st - r - j < T)
                        bank.read(buf_c, j, (m0 + j) * w.out_ls + (st - r - j) * w.out_bytes, w.out_bytes);
                    if (st + 1 >= 2 * r + j && st + 1 - 2 * r - j < T)
                        bank.write(buf_c, j, (m0 + j) * w.out_ls + (st + 1 - 2 * r - j) * w.out_bytes,
                                   w.out_bytes);
                }
                bank.end_step(t.stall_cycles_by_reason);
            }
            memo.end(key, t);
        }
}

// The shape the step walk sees for a PE of p products per cycle: the temporal dimension in steps of p
// elements, and the operands that stream along it p elements wide (contiguous in their lanes).
GemmShape packed_shape(const GemmShape& s, Dataflow d) {
    const uint32_t p = s.products_per_cycle;
    GemmShape w = s;
    if (p == 1) return w;
    auto pack = [p](uint64_t dim) { return (dim + p - 1) / p; };
    switch (d) {
        case Dataflow::output_stationary:  // T = K: A and B stream
            w.k = pack(s.k), w.a_bytes *= p, w.b_bytes *= p;
            break;
        case Dataflow::weight_stationary:  // T = N: B and the partial sums of C stream
            w.n = pack(s.n), w.b_bytes *= p, w.c_bytes *= p;
            break;
        case Dataflow::input_stationary:  // T = M: A and the partial sums of C stream
            w.m = pack(s.m), w.a_bytes *= p, w.c_bytes *= p;
            break;
    }
    return w;
}

}  // namespace

GemmTiming analytic_gemm(const GemmShape& s, const ArrayConfig& cfg, const TimingParams& p,
                         const BufferBandwidth& bw) {
    s.validate();
    cfg.validate();
    p.validate();
    bw.validate();
    const FoldGrid g = fold_grid(s, cfg);
    // A PE of several products per cycle takes that many consecutive elements of the temporal dimension per
    // step: the walk below runs on the packed shape, whose streamed elements are that many elements wide.
    const GemmShape w = packed_shape(s, cfg.dataflow);
    const uint64_t steps = fold_grid(w, cfg).t, step_cycles = s.cycles_per_product;
    GemmTiming t;
    t.folds = g.row_folds * g.col_folds;
    t.macs = s.macs();
    // Sum of 2r + c + T - 2 over the folds: the used rows of the row folds add up to Sr (once per column
    // fold), the used columns to Sc (once per row fold). Every step takes cycles_per_product cycles.
    t.stream_cycles = t.folds * steps * step_cycles;
    t.fill_drain_cycles = (2 * g.col_folds * g.sr + g.row_folds * g.sc - 2 * t.folds) * step_cycles;
    t.overhead_cycles = p.gemm_setup_cycles + t.folds * (uint64_t{p.operand_edge_stages} +
                                                         p.acc_writeback_cycles + p.fold_switch_cycles);

    const uint64_t mn = s.m * s.n;
    switch (cfg.dataflow) {
        case Dataflow::output_stationary:
            t.a_read_bytes = g.col_folds * s.m * s.k * s.a_bytes;
            t.b_read_bytes = g.row_folds * s.n * s.k * s.b_bytes;
            t.c_read_bytes = s.accumulate ? mn * s.c_bytes : 0;
            t.c_write_bytes = mn * s.c_bytes;
            break;
        case Dataflow::weight_stationary:
        case Dataflow::input_stationary: {
            const bool ws = cfg.dataflow == Dataflow::weight_stationary;
            // The stationary operand is read once; the streamed one once per column fold.
            const uint64_t stat = s.k * (ws ? s.m * s.a_bytes : s.n * s.b_bytes);
            const uint64_t stream = g.col_folds * s.k * (ws ? s.n * s.b_bytes : s.m * s.a_bytes);
            t.a_read_bytes = ws ? stat : stream;
            t.b_read_bytes = ws ? stream : stat;
            t.c_read_bytes = (g.row_folds - 1 + (s.accumulate ? 1 : 0)) * mn * s.c_bytes;
            t.c_write_bytes = g.row_folds * mn * s.c_bytes;
            break;
        }
    }

    detail::StepBufferModel bank(bw, p);
    bank.set_step_cycles(s.cycles_per_product);
    if (!bank.unlimited()) {
        const auto ls = detail::lane_strides(s, cfg, bw);
        if (cfg.dataflow == Dataflow::output_stationary)
            os_stalls(w, cfg, ls, bank, t);
        else
            ws_stalls(w, cfg, ws_roles(w, cfg, ls), bank, t);
    }
    finish(t, cfg);
    return t;
}

GemmTiming vector_timing(const VectorOp& op, const ArrayConfig& cfg, const TimingParams& p,
                         const BufferBandwidth& bw) {
    cfg.validate();
    p.validate();
    bw.validate();
    GemmTiming t;
    t.vector_ops = op.ops;
    t.b_read_bytes = op.read_bytes;
    t.c_write_bytes = op.write_bytes;
    if (op.ops == 0 && op.read_bytes == 0 && op.write_bytes == 0) return t;
    t.stream_cycles = ceil_div(op.ops, uint64_t{cfg.cols} * p.vector_ops_per_column);
    t.overhead_cycles = p.vector_pipeline_cycles;
    if (!bw.unlimited) {
        // Element-wise streams are contiguous, so their words spread evenly over the banks: bandwidth only.
        auto service = [&](uint64_t bytes, const BufferPort& port) {
            return ceil_div(ceil_div(bytes, port.bank_width_bytes), uint64_t{port.banks} * port.ports) *
                   p.bank_access_cycles;
        };
        const uint64_t rd = service(op.read_bytes, bw.b), wr = service(op.write_bytes, bw.c);
        const uint64_t busiest = std::max(rd, wr);
        if (busiest > t.stream_cycles)
            t.stall_cycles_by_reason[static_cast<size_t>(
                rd >= wr ? StallReason::b_bandwidth : StallReason::c_bandwidth)] = busiest - t.stream_cycles;
    }
    finish(t, cfg);
    return t;
}

}  // namespace trainvp::timing
