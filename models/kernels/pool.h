// Max- and average-pooling over size x size windows with a stride (default: the window size), no padding.
// Layout N x C x H x W. Max-pool selects, so it is exact in every format; average-pool divides in double.
#pragma once

#include <cstdint>

#include "kernels/kernel_types.h"

namespace trainvp::kern {

struct PoolShape {
    uint32_t channels = 1, in_rows = 1, in_cols = 1;
    uint32_t size = 2, stride = 2;

    uint32_t out_rows() const { return (in_rows - size) / stride + 1; }
    uint32_t out_cols() const { return (in_cols - size) / stride + 1; }
    uint32_t in_size() const { return channels * in_rows * in_cols; }
    uint32_t out_size() const { return channels * out_rows() * out_cols(); }
};

// y = max over the window; argmax[i] = offset of the winner inside its image (first maximum in row-major
// window order on ties). The output keeps the input's values, so y.fmt must equal x's format (no rounding).
void maxpool_forward(const PoolShape& s, uint32_t batch, const float* x, float* y, uint32_t* argmax);
// dx[argmax] = sum of the errors of the windows whose maximum it was, in ascending output order (exact when
// windows do not overlap), rounded into dx.fmt; other elements 0.
void maxpool_backward(const PoolShape& s, uint32_t batch, const In& g, const uint32_t* argmax, const Out& dx,
                      Workspace& ws);

// y = round((sum over the window in row-major order, in double) / size^2).
void avgpool_forward(const PoolShape& s, uint32_t batch, const In& x, const Out& y);
// dx = round(sum over the windows containing the element, in ascending output order, of g / size^2).
void avgpool_backward(const PoolShape& s, uint32_t batch, const In& g, const Out& dx, Workspace& ws);

// Plane ranges, for a caller that streams planes through a small buffer: `planes` consecutive image planes
// starting at plane `first` of the tensor (plane q is channel q % channels of sample q / channels). Operands
// point at the range's first plane; an output's index_base is the tensor index of its first element. Equal
// to the whole-tensor functions above on those planes.
void maxpool_forward_planes(const PoolShape& s, uint64_t first, size_t planes, const float* x, float* y,
                            uint32_t* argmax);
// Every argmax entry must lie in the plane of its output (maxpool_forward_planes writes only such entries;
// the accelerator checks them before calling).
void maxpool_backward_planes(const PoolShape& s, uint64_t first, size_t planes, const In& g,
                             const uint32_t* argmax, const Out& dx, Workspace& ws);
void avgpool_forward_planes(const PoolShape& s, size_t planes, const In& x, const Out& y);
void avgpool_backward_planes(const PoolShape& s, size_t planes, const In& g, const Out& dx, Workspace& ws);

}  // namespace trainvp::kern
