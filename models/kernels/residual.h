// Residual addition y = a + b of two tensors of one shape, its backward pass, and the sum of the errors of a
// tensor that several layers read (a graph's caller sums them before the producing layer's backward pass).
// Real-domain double sums rounded once into the output format, as pooling (docs/numerics.md "## Kernels").
#pragma once

#include <cstddef>

#include "kernels/kernel_types.h"

namespace trainvp::kern {

// y[i] = round(a[i] + b[i]): summed in double, rounded to fp32 and then into y's format (for two fixed-point
// inputs of one format the double sum is exact, so this is one rounding).
void add_forward(size_t n, const In& a, const In& b, const Out& y);
// da[i] = round(g[i]) and db[i] = round(g[i]): the error reaches both inputs whole. Either output may be
// absent (no data, no sink).
void add_backward(size_t n, const In& g, const Out& da, const Out& db);
// out[i] = round(sum over p ascending of parts[p][i]), summed in double. out may alias parts[0] (in-place
// accumulation) when its format holds the rounded sum. count >= 1.
void sum_errors(size_t n, const In* parts, size_t count, const Out& out);

}  // namespace trainvp::kern
