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

// Tile entry points (the functions above are their full tile). `s` is the whole layer; operands hold
// `batch` consecutive samples of the tile's neurons only, packed; an output's index_base is the tensor index
// of its first element and its rows are s.out (forward, weight gradient) or s.in (backward-data) apart in
// the tensor. Accumulators persist between the tiles of one reduction in caller memory (`acc`); a null
// `acc` uses the workspace and needs step.first && step.last.

// t.c outputs [c0, c0 + c) from t.kc inputs. x: batch x kc; w: c x kc (rows of W); bias: c, preloaded at
// step.first (bias.data may be null); acc: batch x c; y: batch x c.
void fc_forward_tile(const FcShape& s, uint32_t batch, const ChannelTile& t, const In& x, const In& w,
                     const In& bias, double* acc, TileStep step, const Out& y, const MacContext& mc,
                     Workspace& ws);
// t.c inputs from t.kc outputs (the reduction). g: batch x kc; w: kc x c (rows of W, the tile's columns);
// acc: batch x c; dx: batch x c.
void fc_backward_data_tile(const FcShape& s, uint32_t batch, const ChannelTile& t, const In& g, const In& w,
                           double* acc, TileStep step, const Out& dx, const MacContext& mc, Workspace& ws);
// t.c outputs, t.kc inputs, over `batch` samples (the reduction: sample groups in ascending order).
// g: batch x c; x: batch x kc; acc: c x kc weight accumulators, then c bias accumulators (summed when
// bias_acc); dw: c x kc; db: c.
void fc_weight_grad_tile(const FcShape& s, uint32_t batch, const ChannelTile& t, const In& g, const In& x,
                         double* acc, bool bias_acc, TileStep step, const Out& dw, const Out& db,
                         const MacContext& mc, Workspace& ws);

}  // namespace trainvp::kern
