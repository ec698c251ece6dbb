#include "kernels/fully_connected.h"

#include <algorithm>
#include <cmath>

#include "kernels/gemm.h"

namespace trainvp::kern {

namespace {

// Rounds a rows x cols block stored packed whose rows are `tensor_stride` apart in the output tensor.
void round_rows(const MacConfig& cfg, size_t rows, size_t cols, const double* acc, const Out& out,
                size_t tensor_stride) {
    if (rows == 0 || cols == 0) return;
    if (cols == tensor_stride) {
        round_into(cfg, rows, cols, acc, cols, out, 0, cols, out.index_base);
        return;
    }
    for (size_t r = 0; r < rows; ++r)
        round_into(cfg, 1, cols, acc + r * cols, 0, out, r * cols, 0, out.index_base + r * tensor_stride);
}

}  // namespace

void fc_forward(const FcShape& s, uint32_t batch, const In& x, const In& w, const In& bias, const Out& y,
                const MacContext& mc, Workspace& ws) {
    fc_forward_tile(s, batch, ChannelTile{0, s.out, 0, s.in}, x, w, bias, nullptr, TileStep{}, y, mc, ws);
}

void fc_forward_tile(const FcShape& s, uint32_t batch, const ChannelTile& t, const In& x, const In& w,
                     const In& bias, double* acc, TileStep step, const Out& y, const MacContext& mc,
                     Workspace& ws) {
    const MacConfig cfg = mac_config(x.fmt, w.fmt, mc.acc, mc.arith);
    const size_t N = batch, O = t.c, I = t.kc;
    double* xd = Workspace::sized(ws.a, N * I);
    double* wt = Workspace::sized(ws.b, I * O);
    double* a = acc ? acc : Workspace::sized(ws.c, N * O);
    to_double(x.data, N * I, xd);
    to_double_transposed(w.data, O, I, wt);
    if (step.first)
        for (size_t n = 0; n < N; ++n)
            for (size_t o = 0; o < O; ++o) a[n * O + o] = bias.data ? bias.data[o] : 0.0;
    context_gemm(mc, cfg, N, O, I, xd, I, wt, O, a, O, WeightSide::b);
    if (step.last) round_rows(cfg, N, O, a, y, s.out);
}

void fc_backward_data(const FcShape& s, uint32_t batch, const In& g, const In& w, const Out& dx,
                      const MacContext& mc, Workspace& ws) {
    fc_backward_data_tile(s, batch, ChannelTile{0, s.in, 0, s.out}, g, w, nullptr, TileStep{}, dx, mc, ws);
}

void fc_backward_data_tile(const FcShape& s, uint32_t batch, const ChannelTile& t, const In& g, const In& w,
                           double* acc, TileStep step, const Out& dx, const MacContext& mc, Workspace& ws) {
    const MacConfig cfg = mac_config(g.fmt, w.fmt, mc.acc, mc.arith);
    const size_t N = batch, I = t.c, O = t.kc;
    double* gd = Workspace::sized(ws.a, N * O);
    double* wd = Workspace::sized(ws.b, O * I);
    double* a = acc ? acc : Workspace::sized(ws.c, N * I);
    to_double(g.data, N * O, gd);
    to_double(w.data, O * I, wd);
    if (step.first) std::fill(a, a + N * I, 0.0);
    context_gemm(mc, cfg, N, I, O, gd, O, wd, I, a, I, WeightSide::b);
    if (step.last) round_rows(cfg, N, I, a, dx, s.in);
}

void fc_weight_grad(const FcShape& s, uint32_t batch, const In& g, const In& x, const Out& dw, const Out& db,
                    const MacContext& mc, Workspace& ws) {
    fc_weight_grad_tile(s, batch, ChannelTile{0, s.out, 0, s.in}, g, x, nullptr, db.wanted(), TileStep{}, dw,
                        db, mc, ws);
}

void fc_weight_grad_tile(const FcShape& s, uint32_t batch, const ChannelTile& t, const In& g, const In& x,
                         double* acc, bool bias_acc, TileStep step, const Out& dw, const Out& db,
                         const MacContext& mc, Workspace& ws) {
    const MacConfig cfg = mac_config(g.fmt, x.fmt, mc.acc, mc.arith);
    const size_t N = batch, O = t.c, I = t.kc;
    double* gt = Workspace::sized(ws.a, O * N);
    double* xd = Workspace::sized(ws.b, N * I);
    double* a = acc ? acc : Workspace::sized(ws.c, O * I + O);
    double* bacc = a + O * I;
    to_double_transposed(g.data, N, O, gt);
    to_double(x.data, N * I, xd);
    if (step.first) std::fill(a, a + O * I + O, 0.0);
    context_gemm(mc, cfg, O, I, N, gt, N, xd, I, a, I, WeightSide::a);
    if (step.last) round_rows(cfg, O, I, a, dw, s.in);
    if (!bias_acc) return;
    MacConfig bias_cfg = cfg;
    if (bias_cfg.domain == AccDomain::integer) bias_cfg.frac = raw_frac(g.fmt);
    const double gmax = abs_bound(gt, O * N);
    for (size_t o = 0; o < O; ++o) {
        double b = bacc[o];
        const double* go = gt + o * N;
        // Plain additions are exact when no partial sum can reach the accumulator's range; otherwise each
        // addition saturates, in the same order either way.
        if (sum_cannot_saturate(bias_cfg, std::fabs(b) + N * gmax))
            for (size_t n = 0; n < N; ++n) b += go[n];
        else
            for (size_t n = 0; n < N; ++n) b = accumulate_value(bias_cfg, b, go[n], mc.acc_stats);
        bacc[o] = b;
    }
    if (step.last && db.wanted()) round_into(bias_cfg, 1, O, bacc, 0, db, 0, 0, db.index_base);
}

}  // namespace trainvp::kern
