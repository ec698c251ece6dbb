#include "accel/scalesim_timing.h"

#include <algorithm>
#include <string>

#include "common/error.h"

namespace trainvp::timing::scalesim {

namespace {

uint64_t ceil_div(uint64_t a, uint64_t b) {
    return (a + b - 1) / b;
}

constexpr uint64_t kMaxDim = uint64_t{1} << 31;

}  // namespace

void Gemm::validate() const {
    if (m < 1 || n < 1 || k < 1 || m >= kMaxDim || n >= kMaxDim || k >= kMaxDim)
        throw UserError("SCALE-Sim GEMM " + std::to_string(m) + " x " + std::to_string(n) + " x " +
                        std::to_string(k) + ": dimensions must be in [1, 2^31)");
}

void ConvLayer::validate() const {
    for (uint64_t v : {ifmap_h, ifmap_w, filter_h, filter_w, channels, filters, stride_h, stride_w})
        if (v < 1 || v >= kMaxDim) throw UserError("SCALE-Sim layer: every size must be in [1, 2^31)");
    if (filter_h > ifmap_h || filter_w > ifmap_w)
        throw UserError("SCALE-Sim layer: filter " + std::to_string(filter_h) + " x " +
                        std::to_string(filter_w) + " is larger than the input " + std::to_string(ifmap_h) +
                        " x " + std::to_string(ifmap_w));
}

Gemm conv_gemm(const ConvLayer& l) {
    l.validate();
    const uint64_t out_h = ceil_div(l.ifmap_h - l.filter_h + l.stride_h, l.stride_h);
    const uint64_t out_w = ceil_div(l.ifmap_w - l.filter_w + l.stride_w, l.stride_w);
    Gemm g{out_h * out_w, l.filters, l.filter_h * l.filter_w * l.channels};
    g.validate();
    return g;
}

ConvLayer conv_layer(Phase forward_phase, const LayerShape& l) {
    l.validate(forward_phase);
    ConvLayer c;
    switch (forward_phase) {
        case Phase::conv_forward:
            c.ifmap_h = uint64_t{l.in_rows} + 2 * l.pad;
            c.ifmap_w = uint64_t{l.in_cols} + 2 * l.pad;
            c.filter_h = c.filter_w = l.kernel;
            c.channels = l.in_channels;
            c.filters = l.out_channels;
            c.stride_h = c.stride_w = l.stride;
            return c;
        case Phase::fc_forward:
            c.channels = l.fc_in;
            c.filters = l.fc_out;
            return c;
        default:
            throw UserError(std::string("SCALE-Sim topology: ") + phase_name(forward_phase) +
                            " is not a forward convolution or fully connected phase");
    }
}

Gemm from_trainvp(const GemmShape& s) {
    s.validate();
    return Gemm{s.n, s.m, s.k};
}

// systolic_compute_{os,ws,is}.py, set_params: which operand dimension lies along the rows (Sr), the columns
// (Sc) and time (T). create_*_demand_mat: every fold is padded to the full array and lasts as many demand
// lines as the skewed matrices have rows: (T + C - 1) + (R - 1) for os, R + (T + C - 1) + (R - 1) for ws and
// is (weight or input load, stream with drain, skew). double_buffered_scratchpad_mem.py,
// service_memory_requests: the total is the cycle of the last demand line, counted from 0.
Timing compute_cycles(const Gemm& g, uint32_t rows, uint32_t cols, Dataflow d) {
    g.validate();
    ArrayConfig{rows, cols, d}.validate();
    Timing t;
    switch (d) {
        case Dataflow::output_stationary:
            t.sr = g.m, t.sc = g.n, t.t = g.k;
            t.cycles_per_fold = uint64_t{rows} + cols + t.t - 2;
            break;
        case Dataflow::weight_stationary:
            t.sr = g.k, t.sc = g.n, t.t = g.m;
            t.cycles_per_fold = 2 * uint64_t{rows} + cols + t.t - 2;
            break;
        case Dataflow::input_stationary:
            t.sr = g.k, t.sc = g.m, t.t = g.n;
            t.cycles_per_fold = 2 * uint64_t{rows} + cols + t.t - 2;
            break;
    }
    t.row_folds = ceil_div(t.sr, rows);
    t.col_folds = ceil_div(t.sc, cols);
    t.folds = t.row_folds * t.col_folds;
    t.total_cycles = t.folds * t.cycles_per_fold - 1;
    return t;
}

GemmTiming gemm_timing(const GemmShape& s, const ArrayConfig& cfg) {
    const Timing st = compute_cycles(from_trainvp(s), cfg.rows, cfg.cols, cfg.dataflow);
    GemmTiming t;
    t.folds = st.folds;
    t.macs = s.macs();
    // On a 1 x 1 array in os the "- 1" makes the total one less than the streaming cycles.
    t.stream_cycles = std::min(st.folds * st.t, st.total_cycles);
    t.fill_drain_cycles = st.total_cycles - t.stream_cycles;
    t.compute_cycles = st.total_cycles;
    t.total_cycles = st.total_cycles;
    const double pe_cycles = static_cast<double>(cfg.rows) * cfg.cols * static_cast<double>(t.total_cycles);
    t.utilization = pe_cycles > 0 ? static_cast<double>(t.macs) / pe_cycles : 0.0;
    return t;
}

}  // namespace trainvp::timing::scalesim
