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

}  // namespace trainvp::kern
