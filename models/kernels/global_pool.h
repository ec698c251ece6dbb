// Global average pooling: one value per sample and channel, the mean of the channel's rows x cols plane
// (ResNet's last feature layer). Layout N x C x H x W in, N x C out. Real-domain double sums, as avgpool.
#pragma once

#include <cstdint>

#include "kernels/kernel_types.h"

namespace trainvp::kern {

struct GlobalPoolShape {
    uint32_t channels = 1, rows = 1, cols = 1;
    uint32_t plane() const { return rows * cols; }
};

// y[n][c] = round((sum over the plane in row-major order, in double) / (rows * cols)).
void global_avgpool_forward(const GlobalPoolShape& s, uint32_t batch, const In& x, const Out& y);
// dx[n][c][i] = round(g[n][c] / (rows * cols)).
void global_avgpool_backward(const GlobalPoolShape& s, uint32_t batch, const In& g, const Out& dx,
                             Workspace& ws);

}  // namespace trainvp::kern
