// ReLU and its derivative mask. Both only select values, so they are exact in every format: the output
// keeps the input's format (ReLU layers inherit the formats of the layer before them).
#pragma once

#include <cstddef>

namespace trainvp::kern {

// y = x > 0 ? x : 0 (y may alias x).
void relu_forward(size_t n, const float* x, float* y);
// dx = y > 0 ? g : 0, i.e. G (.) f'(Y) with f' taken from the stored output (dx may alias g).
void relu_backward(size_t n, const float* y, const float* g, float* dx);

}  // namespace trainvp::kern
