// Helpers shared by the kernel tests: seeded random tensors, relative-error comparison and finite
// differences.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <vector>

#include "kernels/kernel_types.h"
#include "kernels/prng.h"
#include "numerics/format.h"

namespace ktest {

inline std::vector<float> random_floats(size_t n, uint64_t stream, double lo = -1.0, double hi = 1.0) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i)
        v[i] = static_cast<float>(lo + (hi - lo) * trainvp::kern::random_unit(12345, stream, i));
    return v;
}

// Random values of a format (rounded to nearest).
inline std::vector<float> random_values(size_t n, uint64_t stream, const trainvp::num::Format& f, double lo,
                                        double hi) {
    std::vector<float> v = random_floats(n, stream, lo, hi);
    for (float& x : v) x = trainvp::num::quantize(x, f);
    return v;
}

inline std::vector<double> to_d(const std::vector<float>& v) {
    return std::vector<double>(v.begin(), v.end());
}

// max_i |a_i - b_i| / max(|b_i|, floor_frac * max|b|): relative error with a floor for tiny references.
template <typename A, typename B>
double max_rel_err(const std::vector<A>& a, const std::vector<B>& b, double floor_frac = 1e-3) {
    double scale = 0.0;
    for (auto x : b) scale = std::max(scale, std::fabs(static_cast<double>(x)));
    const double floor = std::max(floor_frac * scale, 1e-300);
    double worst = 0.0;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
        const double ref = static_cast<double>(b[i]);
        worst = std::max(worst, std::fabs(static_cast<double>(a[i]) - ref) / std::max(std::fabs(ref), floor));
    }
    return a.size() == b.size() ? worst : INFINITY;
}

inline bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) return false;
    return true;
}

// An output tensor of `fmt` (fp32 by default) with the default rounding key and no statistics.
inline trainvp::kern::Out out(std::vector<float>& v, trainvp::num::Format fmt = {}) {
    return trainvp::kern::Out{v.data(), fmt, trainvp::num::SrKey{}, nullptr};
}

// Central finite differences of the scalar f at every element of `param` (double precision).
inline std::vector<double> numeric_grad(std::vector<double>& param, const std::function<double()>& f,
                                        double eps) {
    std::vector<double> g(param.size());
    for (size_t i = 0; i < param.size(); ++i) {
        const double keep = param[i];
        param[i] = keep + eps;
        const double up = f();
        param[i] = keep - eps;
        const double down = f();
        param[i] = keep;
        g[i] = (up - down) / (2 * eps);
    }
    return g;
}

inline double dot(const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0;
    for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}

}  // namespace ktest
