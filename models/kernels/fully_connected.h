// Fully connected layer, y = W.x + b per sample, split into forward, backward-data and weight-gradient
// phases. Layouts: x N x In (any N x C x H x W input flattened row-major), y N x Out, W Out x In, b Out.
#pragma once

#include <cstdint>

#include "kernels/kernel_types.h"

namespace trainvp::kern {

struct FcShape {
    uint32_t in = 1, out = 1;
};

// y[n][o] = round(b[o] + sum over i ascending of W[o][i] * x[n][i]).
void fc_forward(const FcShape& s, uint32_t batch, const In& x, const In& w, const In& bias, const Out& y,
                const MacContext& mc, Workspace& ws);
// dx[n][i] = round(sum over o ascending of g[n][o] * W[o][i]).
void fc_backward_data(const FcShape& s, uint32_t batch, const In& g, const In& w, const Out& dx,
                      const MacContext& mc, Workspace& ws);
// dW[o][i] = round(sum over n ascending of g[n][o] * x[n][i]); db[o] = round(sum over n of g[n][o]).
void fc_weight_grad(const FcShape& s, uint32_t batch, const In& g, const In& x, const Out& dw, const Out& db,
                    const MacContext& mc, Workspace& ws);

}  // namespace trainvp::kern
