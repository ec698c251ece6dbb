#include "kernels/conv2d.h"

#include <algorithm>
#include <cmath>

#include "kernels/gemm.h"

namespace trainvp::kern {

namespace {

// Bias sums and bias preloads use the operand's own raw fraction in the integer domain.
MacConfig single_operand_config(const MacConfig& cfg, const num::Format& f) {
    MacConfig c = cfg;
    if (c.domain == AccDomain::integer) c.frac = raw_frac(f);
    return c;
}

}  // namespace

namespace {

// Output columns [lo, hi) whose tap kw reads inside the row: 0 <= ox*stride + kw - pad < cols.
void valid_range(uint32_t outs, uint32_t ins, uint32_t stride, uint32_t pad, uint32_t tap, uint32_t& lo,
                 uint32_t& hi) {
    const int64_t first = static_cast<int64_t>(tap) - pad;  // input index of output 0
    lo = first >= 0 ? 0 : static_cast<uint32_t>((-first + stride - 1) / stride);
    const int64_t last = static_cast<int64_t>(ins) - 1 - first;  // largest ox*stride allowed
    hi = last < 0 ? 0 : static_cast<uint32_t>(std::min<int64_t>(outs, last / stride + 1));
    lo = std::min(lo, hi);
}

}  // namespace

void im2col(const Conv2dShape& s, const float* image, double* col) {
    const uint32_t orows = s.out_rows(), ocols = s.out_cols();
    const size_t P = static_cast<size_t>(orows) * ocols;
    size_t k = 0;
    for (uint32_t ci = 0; ci < s.in_channels; ++ci) {
        const float* plane = image + static_cast<size_t>(ci) * s.in_rows * s.in_cols;
        for (uint32_t kh = 0; kh < s.kernel; ++kh) {
            uint32_t ylo, yhi;
            valid_range(orows, s.in_rows, s.stride, s.pad, kh, ylo, yhi);
            for (uint32_t kw = 0; kw < s.kernel; ++kw, ++k) {
                uint32_t xlo, xhi;
                valid_range(ocols, s.in_cols, s.stride, s.pad, kw, xlo, xhi);
                double* row = col + k * P;
                for (uint32_t oy = 0; oy < orows; ++oy) {
                    double* dst = row + static_cast<size_t>(oy) * ocols;
                    if (oy < ylo || oy >= yhi) {
                        std::fill(dst, dst + ocols, 0.0);
                        continue;
                    }
                    const float* src = plane + (static_cast<size_t>(oy) * s.stride + kh - s.pad) * s.in_cols +
                                       (static_cast<int64_t>(kw) - s.pad);
                    std::fill(dst, dst + xlo, 0.0);
                    if (s.stride == 1)
                        for (uint32_t ox = xlo; ox < xhi; ++ox) dst[ox] = src[ox];
                    else
                        for (uint32_t ox = xlo; ox < xhi; ++ox)
                            dst[ox] = src[static_cast<size_t>(ox) * s.stride];
                    std::fill(dst + xhi, dst + ocols, 0.0);
                }
            }
        }
    }
}

namespace {

// The shape of a tile's channels: the same image geometry with `channels` input channels.
Conv2dShape with_in_channels(const Conv2dShape& s, uint32_t channels) {
    Conv2dShape t = s;
    t.in_channels = channels;
    return t;
}

}  // namespace

void conv2d_forward(const Conv2dShape& s, uint32_t batch, const In& x, const In& w, const In& bias,
                    const Out& y, const MacContext& mc, Workspace& ws) {
    conv2d_forward_tile(s, batch, ChannelTile{0, s.out_channels, 0, s.in_channels}, x, w, bias, nullptr,
                        TileStep{}, y, mc, ws);
}

void conv2d_forward_tile(const Conv2dShape& s, uint32_t batch, const ChannelTile& t, const In& x, const In& w,
                         const In& bias, double* acc, TileStep step, const Out& y, const MacContext& mc,
                         Workspace& ws) {
    const MacConfig cfg = mac_config(x.fmt, w.fmt, mc.acc, mc.arith);
    const Conv2dShape sub = with_in_channels(s, t.kc);
    const size_t M = t.c, K = sub.patch_size(), P = static_cast<size_t>(s.out_rows()) * s.out_cols();
    const size_t in_size = sub.in_size();
    double* wd = Workspace::sized(ws.a, M * K);
    double* col = Workspace::sized(ws.b, K * P);
    double* scratch = acc ? nullptr : Workspace::sized(ws.c, M * P);
    to_double(w.data, M * K, wd);
    for (uint32_t n = 0; n < batch; ++n) {
        double* a = acc ? acc + static_cast<size_t>(n) * M * P : scratch;
        im2col(sub, x.data + static_cast<size_t>(n) * in_size, col);
        if (step.first)
            for (size_t co = 0; co < M; ++co) {
                const double b0 = bias.data ? bias.data[co] : 0.0;
                std::fill(a + co * P, a + (co + 1) * P, b0);
            }
        context_gemm(mc, cfg, M, P, K, wd, K, col, P, a, P, WeightSide::a);
        if (!step.last) continue;
        const size_t local = static_cast<size_t>(n) * M * P;
        round_into(cfg, M, P, a, P, y, local, P, y.index_base + static_cast<uint64_t>(n) * s.out_size());
    }
}

void conv2d_backward_data(const Conv2dShape& s, uint32_t batch, const In& g, const In& w, const Out& dx,
                          const MacContext& mc, Workspace& ws) {
    conv2d_backward_data_tile(s, batch, ChannelTile{0, s.in_channels, 0, s.out_channels}, g, w, nullptr,
                              TileStep{}, dx, mc, ws);
}

namespace {

// col2im of input channels [0, channels) of one sample: dcol rows k = (ci, kh, kw) are added into dxacc
// (channels x in_rows x in_cols, zeroed by the caller); for one input element the taps arrive in ascending
// (kh, kw) because k is row-major.
void col2im_add(const Conv2dShape& s, uint32_t channels, const double* dcol, double* dxacc, bool checked,
                const MacConfig& cfg, num::AccStats* stats) {
    const uint32_t orows = s.out_rows(), ocols = s.out_cols();
    const size_t P = static_cast<size_t>(orows) * ocols;
    size_t k = 0;
    for (uint32_t ci = 0; ci < channels; ++ci) {
        double* plane = dxacc + static_cast<size_t>(ci) * s.in_rows * s.in_cols;
        for (uint32_t kh = 0; kh < s.kernel; ++kh) {
            uint32_t ylo, yhi;
            valid_range(orows, s.in_rows, s.stride, s.pad, kh, ylo, yhi);
            for (uint32_t kw = 0; kw < s.kernel; ++kw, ++k) {
                uint32_t xlo, xhi;
                valid_range(ocols, s.in_cols, s.stride, s.pad, kw, xlo, xhi);
                const double* row = dcol + k * P;
                for (uint32_t oy = ylo; oy < yhi; ++oy) {
                    double* dst = plane + (static_cast<size_t>(oy) * s.stride + kh - s.pad) * s.in_cols +
                                  (static_cast<int64_t>(kw) - s.pad);
                    const double* src = row + static_cast<size_t>(oy) * ocols;
                    if (checked) {
                        for (uint32_t ox = xlo; ox < xhi; ++ox) {
                            double& d = dst[static_cast<size_t>(ox) * s.stride];
                            d = accumulate_value(cfg, d, src[ox], stats);
                        }
                    } else if (s.stride == 1) {
                        for (uint32_t ox = xlo; ox < xhi; ++ox) dst[ox] += src[ox];
                    } else {
                        for (uint32_t ox = xlo; ox < xhi; ++ox) dst[static_cast<size_t>(ox) * s.stride] += src[ox];
                    }
                }
            }
        }
    }
}

// Whether col2im of these partial sums must check saturation: an input element receives at most
// ceil(kernel / stride)^2 of them.
bool col2im_checked(const Conv2dShape& s, const MacConfig& cfg, const double* dcol, size_t n) {
    if (cfg.domain != AccDomain::integer) return false;
    const double taps = std::pow(std::ceil(double(s.kernel) / s.stride), 2);
    double dmax = 0.0;
    for (size_t i = 0; i < n; ++i) dmax = std::max(dmax, std::fabs(dcol[i]));
    return !sum_cannot_saturate(cfg, taps * dmax);
}

// Partial-sum rows of one block of input channels: about 256 KiB, so that the GEMM's output and col2im's
// input stay in the L2 cache instead of making a round trip to memory.
constexpr size_t kBackwardBlockDoubles = 32768;

}  // namespace

void conv2d_backward_data_tile(const Conv2dShape& s, uint32_t batch, const ChannelTile& t, const In& g,
                               const In& w, double* acc, TileStep step, const Out& dx, const MacContext& mc,
                               Workspace& ws) {
    const MacConfig cfg = mac_config(g.fmt, w.fmt, mc.acc, mc.arith);
    const Conv2dShape sub = with_in_channels(s, t.c);
    const size_t M = t.kc, K = sub.patch_size(), taps = static_cast<size_t>(s.kernel) * s.kernel;
    const uint32_t orows = s.out_rows(), ocols = s.out_cols();
    const size_t P = static_cast<size_t>(orows) * ocols;
    // A whole real-domain reduction in the kernel's own memory (the golden model's case) runs input channels
    // in blocks: each dcol element is the same GEMM sum and col2im of a channel reads only that channel's
    // rows, so the results are those of one pass over all channels. (The integer domain keeps one pass: its
    // saturation check, and so its statistics, is decided over the whole dcol.)
    const bool blocked = !acc && !mc.engine && cfg.domain == AccDomain::real;
    const size_t block_ch = blocked ? std::max<size_t>(1, kBackwardBlockDoubles / (taps * P)) : t.c;
    double* wt = Workspace::sized(ws.a, K * M);
    double* gd = Workspace::sized(ws.b, M * P);
    double* scratch = acc ? nullptr : Workspace::sized(ws.c, std::min<size_t>(block_ch, t.c) * taps * P);
    double* dxacc = step.last ? Workspace::sized(ws.d, sub.in_size()) : nullptr;
    to_double_transposed(w.data, M, K, wt);
    for (uint32_t n = 0; n < batch; ++n) {
        to_double(g.data + static_cast<size_t>(n) * M * P, M * P, gd);
        if (step.last) std::fill(dxacc, dxacc + sub.in_size(), 0.0);
        if (blocked) {
            const size_t plane = static_cast<size_t>(s.in_rows) * s.in_cols;
            for (size_t c0 = 0; c0 < t.c; c0 += block_ch) {
                const size_t cb = std::min(block_ch, t.c - c0), rows = cb * taps;
                std::fill(scratch, scratch + rows * P, 0.0);
                context_gemm(mc, cfg, rows, P, M, wt + c0 * taps * M, M, gd, P, scratch, P, WeightSide::a);
                col2im_add(s, static_cast<uint32_t>(cb), scratch, dxacc + c0 * plane,
                           col2im_checked(s, cfg, scratch, rows * P), cfg, mc.acc_stats);
            }
        } else {
            double* dcol = acc ? acc + static_cast<size_t>(n) * K * P : scratch;
            if (step.first) std::fill(dcol, dcol + K * P, 0.0);
            context_gemm(mc, cfg, K, P, M, wt, M, gd, P, dcol, P, WeightSide::a);
            if (!step.last) continue;
            col2im_add(s, sub.in_channels, dcol, dxacc, col2im_checked(s, cfg, dcol, K * P), cfg,
                       mc.acc_stats);
        }
        const size_t local = static_cast<size_t>(n) * sub.in_size();
        round_into(cfg, 1, sub.in_size(), dxacc, 0, dx, local, 0,
                   dx.index_base + static_cast<uint64_t>(n) * s.in_size());
    }
}

void conv2d_weight_grad(const Conv2dShape& s, uint32_t batch, const In& g, const In& x, const Out& dw,
                        const Out& db, const MacContext& mc, Workspace& ws) {
    conv2d_weight_grad_tile(s, batch, ChannelTile{0, s.out_channels, 0, s.in_channels}, g, x, nullptr,
                            db.wanted(), TileStep{}, dw, db, mc, ws);
}

size_t wgrad_acc_stride(uint32_t c) {
    return (static_cast<size_t>(c) + 3) / 4 * 4;
}

size_t wgrad_acc_doubles(const Conv2dShape& s, const ChannelTile& t) {
    return static_cast<size_t>(t.kc) * s.kernel * s.kernel * wgrad_acc_stride(t.c) + t.c;
}

void conv2d_weight_grad_tile(const Conv2dShape& s, uint32_t batch, const ChannelTile& t, const In& g,
                             const In& x, double* acc, bool bias_acc, TileStep step, const Out& dw,
                             const Out& db, const MacContext& mc, Workspace& ws) {
    const MacConfig cfg = mac_config(g.fmt, x.fmt, mc.acc, mc.arith);
    const MacConfig bias_cfg = single_operand_config(cfg, g.fmt);
    const Conv2dShape sub = with_in_channels(s, t.kc);
    const size_t M = t.c, K = sub.patch_size(), P = static_cast<size_t>(s.out_rows()) * s.out_cols();
    // Computed transposed, dW^T (K x Co) = col (K x P) . G^T (P x Co), so that im2col's contiguous rows are
    // the A operand; Co is padded to a multiple of 4 with zero columns to keep the GEMM vectorised. Every
    // dW element still sums n ascending, then p ascending.
    const size_t NP = wgrad_acc_stride(t.c);
    double* col = Workspace::sized(ws.a, K * P);
    double* gt = Workspace::sized(ws.b, P * NP);
    double* wacc = acc ? acc : Workspace::sized(ws.c, K * NP + M + M * K);
    double* bacc = wacc + K * NP;
    if (step.first) std::fill(wacc, wacc + K * NP + M, 0.0);
    for (uint32_t n = 0; n < batch; ++n) {
        const float* gn = g.data + static_cast<size_t>(n) * M * P;
        for (size_t p = 0; p < P; ++p) {
            double* row = gt + p * NP;
            for (size_t co = 0; co < M; ++co) row[co] = gn[co * P + p];
            for (size_t co = M; co < NP; ++co) row[co] = 0.0;
        }
        im2col(sub, x.data + static_cast<size_t>(n) * sub.in_size(), col);
        context_gemm(mc, cfg, K, NP, P, col, P, gt, NP, wacc, NP, WeightSide::b);
        if (!bias_acc) continue;
        const double gmax = bias_cfg.domain == AccDomain::integer ? abs_bound(gn, M * P) : 0.0;
        for (size_t co = 0; co < M; ++co) {
            double b = bacc[co];
            const float* gr = gn + co * P;
            if (sum_cannot_saturate(bias_cfg, std::fabs(b) + P * gmax))
                for (size_t p = 0; p < P; ++p) b += gr[p];
            else
                for (size_t p = 0; p < P; ++p) b = accumulate_value(bias_cfg, b, gr[p], mc.acc_stats);
            bacc[co] = b;
        }
    }
    if (!step.last) return;
    double* dw_acc = Workspace::sized(ws.d, M * K);
    for (size_t co = 0; co < M; ++co)
        for (size_t k = 0; k < K; ++k) dw_acc[co * K + k] = wacc[k * NP + co];
    const size_t K_full = s.patch_size();
    if (K == K_full) {
        round_into(cfg, M, K, dw_acc, K, dw, 0, K, dw.index_base);
    } else {
        for (size_t co = 0; co < M; ++co)
            round_into(cfg, 1, K, dw_acc + co * K, 0, dw, co * K, 0, dw.index_base + co * K_full);
    }
    if (db.wanted()) round_into(bias_cfg, 1, M, bacc, 0, db, 0, 0, db.index_base);
}

}  // namespace trainvp::kern
