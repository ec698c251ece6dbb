#include "kernels/fully_connected.h"

#include <algorithm>
#include <cmath>

#include "kernels/gemm.h"

namespace trainvp::kern {

void fc_forward(const FcShape& s, uint32_t batch, const In& x, const In& w, const In& bias, const Out& y,
                const MacContext& mc, Workspace& ws) {
    const MacConfig cfg = mac_config(x.fmt, w.fmt, mc.acc);
    double* xd = Workspace::sized(ws.a, static_cast<size_t>(batch) * s.in);
    double* wt = Workspace::sized(ws.b, static_cast<size_t>(s.in) * s.out);
    double* acc = Workspace::sized(ws.c, static_cast<size_t>(batch) * s.out);
    to_double(x.data, static_cast<size_t>(batch) * s.in, xd);
    to_double_transposed(w.data, s.out, s.in, wt);
    for (uint32_t n = 0; n < batch; ++n)
        for (uint32_t o = 0; o < s.out; ++o)
            acc[static_cast<size_t>(n) * s.out + o] = bias.data ? bias.data[o] : 0.0;
    gemm_accumulate(cfg, batch, s.out, s.in, xd, s.in, wt, s.out, acc, s.out, mc.acc_stats);
    round_block(cfg, batch, s.out, acc, s.out, y.data, s.out, y.fmt, y.key, y.index_base, y.stats);
}

void fc_backward_data(const FcShape& s, uint32_t batch, const In& g, const In& w, const Out& dx,
                      const MacContext& mc, Workspace& ws) {
    const MacConfig cfg = mac_config(g.fmt, w.fmt, mc.acc);
    double* gd = Workspace::sized(ws.a, static_cast<size_t>(batch) * s.out);
    double* wd = Workspace::sized(ws.b, static_cast<size_t>(s.out) * s.in);
    double* acc = Workspace::sized(ws.c, static_cast<size_t>(batch) * s.in);
    to_double(g.data, static_cast<size_t>(batch) * s.out, gd);
    to_double(w.data, static_cast<size_t>(s.out) * s.in, wd);
    std::fill(acc, acc + static_cast<size_t>(batch) * s.in, 0.0);
    gemm_accumulate(cfg, batch, s.in, s.out, gd, s.out, wd, s.in, acc, s.in, mc.acc_stats);
    round_block(cfg, batch, s.in, acc, s.in, dx.data, s.in, dx.fmt, dx.key, dx.index_base, dx.stats);
}

void fc_weight_grad(const FcShape& s, uint32_t batch, const In& g, const In& x, const Out& dw, const Out& db,
                    const MacContext& mc, Workspace& ws) {
    const MacConfig cfg = mac_config(g.fmt, x.fmt, mc.acc);
    double* gt = Workspace::sized(ws.a, static_cast<size_t>(s.out) * batch);
    double* xd = Workspace::sized(ws.b, static_cast<size_t>(batch) * s.in);
    double* acc = Workspace::sized(ws.c, static_cast<size_t>(s.out) * s.in);
    to_double_transposed(g.data, batch, s.out, gt);
    to_double(x.data, static_cast<size_t>(batch) * s.in, xd);
    std::fill(acc, acc + static_cast<size_t>(s.out) * s.in, 0.0);
    gemm_accumulate(cfg, s.out, s.in, batch, gt, batch, xd, s.in, acc, s.in, mc.acc_stats);
    round_block(cfg, s.out, s.in, acc, s.in, dw.data, s.in, dw.fmt, dw.key, dw.index_base, dw.stats);
    if (!db.data) return;
    MacConfig bias_cfg = cfg;
    if (bias_cfg.domain == AccDomain::integer) bias_cfg.frac = raw_frac(g.fmt);
    double* bacc = Workspace::sized(ws.d, s.out);
    double gmax = 0.0;
    for (size_t i = 0; i < static_cast<size_t>(s.out) * batch; ++i) gmax = std::max(gmax, std::fabs(gt[i]));
    const bool exact = sum_cannot_saturate(bias_cfg, batch * gmax);
    for (uint32_t o = 0; o < s.out; ++o) {
        double b = 0.0;
        const double* go = gt + static_cast<size_t>(o) * batch;
        if (exact)
            for (uint32_t n = 0; n < batch; ++n) b += go[n];
        else
            for (uint32_t n = 0; n < batch; ++n) b = accumulate_value(bias_cfg, b, go[n], mc.acc_stats);
        bacc[o] = b;
    }
    round_block(bias_cfg, 1, s.out, bacc, 0, db.data, 0, db.fmt, db.key, db.index_base, db.stats);
}

}  // namespace trainvp::kern
