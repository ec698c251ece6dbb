// Two-dimensional convolution (cross-correlation, as in every DNN framework) split into the three phases of
// TaxoNN's SGD decomposition: forward, backward-data (error propagation) and weight gradient.
// Layouts: activations and errors N x C x H x W (row-major), weights Co x Ci x Kh x Kw, bias Co.
#pragma once

#include <cstdint>

#include "kernels/kernel_types.h"

namespace trainvp::kern {

struct Conv2dShape {
    uint32_t in_channels = 1, in_rows = 1, in_cols = 1;
    uint32_t out_channels = 1, kernel = 1, stride = 1, pad = 0;

    uint32_t out_rows() const { return (in_rows + 2 * pad - kernel) / stride + 1; }
    uint32_t out_cols() const { return (in_cols + 2 * pad - kernel) / stride + 1; }
    // Reduction length of the forward pass: k = (ci, kh, kw) in row-major order.
    uint32_t patch_size() const { return in_channels * kernel * kernel; }
    uint32_t in_size() const { return in_channels * in_rows * in_cols; }
    uint32_t out_size() const { return out_channels * out_rows() * out_cols(); }
    uint32_t weight_count() const { return out_channels * patch_size(); }
};

// col[k * P + p] = x[ci][oy*s + kh - pad][ox*s + kw - pad] (0 outside), k = (ci, kh, kw), p = (oy, ox).
void im2col(const Conv2dShape& s, const float* image, double* col);

// y[n][co][p] = round(b[co] + sum_k w[co][k] * col_n[k][p]); accumulator preloaded with the bias, k
// ascending.
void conv2d_forward(const Conv2dShape& s, uint32_t batch, const In& x, const In& w, const In& bias,
                    const Out& y, const MacContext& mc, Workspace& ws);

// dx[n][ci][iy][ix] = round(sum over (kh, kw) ascending of P(kh, kw)) where
// P(kh, kw) = sum over co ascending of w[co][ci][kh][kw] * g[n][co][oy][ox] for the (oy, ox) that reads
// input (iy, ix) through tap (kh, kw) (GEMM W^T.G, then col2im adding partial sums in (kh, kw) order).
void conv2d_backward_data(const Conv2dShape& s, uint32_t batch, const In& g, const In& w, const Out& dx,
                          const MacContext& mc, Workspace& ws);

// dw[co][k] = round(sum over n ascending, p ascending of g[n][co][p] * col_n[k][p]);
// db[co] = round(sum over n, p of g[n][co][p]) (db.data may be null). Sums run across the whole batch.
void conv2d_weight_grad(const Conv2dShape& s, uint32_t batch, const In& g, const In& x, const Out& dw,
                        const Out& db, const MacContext& mc, Workspace& ws);

// Tile entry points: the functions above are the full tile of these. `s` is the whole layer; the operands
// hold `batch` consecutive samples of the tile's channels only, packed; an output's index_base is the tensor
// index of its first element (sample 0 of the tile, channel c0), and sample n starts s.out_size() (forward)
// or s.in_size() (backward-data) further on. Accumulators persist between the tiles of one reduction in
// caller memory (`acc`, doubles); a null `acc` uses the workspace and needs step.first && step.last.

// t.c output channels from t.kc input channels. x: batch x kc x in_rows x in_cols; w: c x (kc x kernel^2);
// bias: c values, preloaded when step.first (bias.data may be null); acc: batch x c x out_rows x out_cols;
// y (written when step.last): batch x c x out_rows x out_cols.
void conv2d_forward_tile(const Conv2dShape& s, uint32_t batch, const ChannelTile& t, const In& x, const In& w,
                         const In& bias, double* acc, TileStep step, const Out& y, const MacContext& mc,
                         Workspace& ws);
// t.c input channels from t.kc output channels (the reduction). g: batch x kc x out_rows x out_cols;
// w: kc x (c x kernel^2) (rows of w[co][ci..][kh][kw]); acc: batch x (c x kernel^2) x out_rows x out_cols,
// the GEMM's column matrix, which col2im sums into dx only at step.last (the partial sums of a split
// reduction are kept before col2im, so the additions happen in the whole kernel's order);
// dx: batch x c x in_rows x in_cols.
void conv2d_backward_data_tile(const Conv2dShape& s, uint32_t batch, const ChannelTile& t, const In& g,
                               const In& w, double* acc, TileStep step, const Out& dx, const MacContext& mc,
                               Workspace& ws);
// t.c output channels, t.kc input channels, over `batch` samples (the reduction: sample groups in
// ascending order, step.first at the first group, step.last at the last). g: batch x c x out_rows x
// out_cols; x: batch x kc x in_rows x in_cols; acc: the transposed weight accumulators, (kc x kernel^2) rows
// of wgrad_acc_stride(t.c) doubles, then t.c bias accumulators (summed only when db.data or bias_acc is set:
// db of a conv with a bias is summed in the tiles with k0 == 0). dw: c x (kc x kernel^2), element (r, j) at
// tensor index dw.index_base + r * s.patch_size() + j; db: c values.
size_t wgrad_acc_stride(uint32_t c);
size_t wgrad_acc_doubles(const Conv2dShape& s, const ChannelTile& t);
void conv2d_weight_grad_tile(const Conv2dShape& s, uint32_t batch, const ChannelTile& t, const In& g,
                             const In& x, double* acc, bool bias_acc, TileStep step, const Out& dw,
                             const Out& db, const MacContext& mc, Workspace& ws);

}  // namespace trainvp::kern
