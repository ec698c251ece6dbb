#include "sparse/rtl_fixed.h"

#include <cmath>
#include <stdexcept>

namespace trainvp::sparse {

double FixedFormat::to_double(int32_t q) const {
    return std::ldexp(static_cast<double>(q), -frac_bits());
}

void FixedFormat::validate() const {
    if (width < 4 || width > 24)
        throw std::invalid_argument("fixed-point width " + std::to_string(width) + " is outside 4..24");
    if (int_bits < 0)
        throw std::invalid_argument("fixed-point int_bits " + std::to_string(int_bits) + " is negative");
    if (frac_bits() < 3)
        throw std::invalid_argument("fixed-point " + std::to_string(width) + "-bit with " +
                                    std::to_string(int_bits) + " integer bits leaves " +
                                    std::to_string(frac_bits()) +
                                    " fraction bits; the sigmoid-derivative table needs at least 3");
}

std::string FixedFormat::to_string() const {
    return std::to_string(width) + "-bit (1." + std::to_string(int_bits) + "." + std::to_string(frac_bits()) +
           ")";
}

FixedArith::FixedArith(const FixedFormat& fmt)
    : fmt_(fmt), frac_(fmt.frac_bits()), max_(fmt.max_raw()), min_(fmt.min_raw()), one_(fmt.one_raw()) {
    fmt_.validate();
}

int32_t FixedArith::from_double_floor(double v) const {
    const double hi = std::ldexp(1.0, fmt_.int_bits) - std::ldexp(1.0, -frac_);
    const double lo = -std::ldexp(1.0, fmt_.int_bits);
    if (std::isnan(v)) return 0;
    if (v > hi) v = hi;
    if (v < lo) v = lo;
    return saturate(static_cast<int64_t>(std::floor(std::ldexp(v, frac_))));
}

}  // namespace trainvp::sparse
