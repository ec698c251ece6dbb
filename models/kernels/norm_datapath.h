// The per-element arithmetic of the range group normalization (group_norm.h), written once as templates over
// the number type. The kernels instantiate them with double; test/kernels/test_group_norm.cpp instantiates
// them with a type that has only +, - and *, so a division or square root per element would not compile
// (docs/numerics.md "### Range group normalization"). Everything that needs a reciprocal, a logarithm or a
// square root is per group or per layer (group_norm.cpp) and reaches these functions as an operand.
#pragma once

namespace trainvp::kern::normdp {

// y = (x - mean) * a + beta, where a = gamma_c * s is formed once per channel and group.
template <typename T>
T forward(T x, T mean, T a, T beta) {
    return (x - mean) * a + beta;
}

// The normalized input x^ = (x - mean) * s (before gamma).
template <typename T>
T normalized(T x, T mean, T s) {
    return (x - mean) * s;
}

// dx = (gamma_c * g - mean_gg) * s, where mean_gg is the group mean of gamma * g.
template <typename T>
T input_grad(T g, T gamma, T mean_gg, T s) {
    return (gamma * g - mean_gg) * s;
}

// gamma * g * (x - mean): one term of the group sum that the range gradient needs.
template <typename T>
T range_term(T g, T gamma, T x, T mean) {
    return gamma * g * (x - mean);
}

// (x - mean)^2: one term of the group's sum of squares that the projection needs.
template <typename T>
T square_term(T x, T mean) {
    return (x - mean) * (x - mean);
}

// dx - (x - mean) * p, where p = s * q / sum((x - mean)^2) is formed once per group.
template <typename T>
T project(T dx, T x, T mean, T p) {
    return dx - (x - mean) * p;
}

}  // namespace trainvp::kern::normdp
