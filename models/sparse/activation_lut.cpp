#include "sparse/activation_lut.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace trainvp::sparse {

const char* to_string(Activation a) {
    return a == Activation::relu ? "relu" : "sigmoid";
}

Activation parse_activation(const std::string& text) {
    if (text == "sigmoid") return Activation::sigmoid;
    if (text == "relu") return Activation::relu;
    throw std::invalid_argument("unknown activation '" + text + "' (expected sigmoid or relu)");
}

ActivationUnit::ActivationUnit(const FixedFormat& fmt, Activation kind) : kind_(kind), one_(fmt.one_raw()) {
    fmt.validate();
    const int frac = fmt.frac_bits();
    // act_functions.sv: maxdomain = min(2^int_bits, 8); lut_size_prelim = min(2^width, 4096); the table
    // never has more entries than there are distinct inputs in the domain.
    log2_domain_ = std::min(fmt.int_bits, 3);
    lut_bits_ = std::min({fmt.width, 12, frac + log2_domain_ + 1});
    domain_shift_ = frac + log2_domain_;
    index_shift_ = frac + log2_domain_ + 1 - lut_bits_;
    index_mask_ = (uint32_t{1} << lut_bits_) - 1;
    if (kind_ != Activation::sigmoid) return;

    // scripts/actlut_generator.py: entry n (a signed lut_bits-bit address) is the function at
    // n / 2^(lut_bits - 1 - log2(maxdomain)), rounded to frac bits (Python 2 round(): half away from zero);
    // sigma' is stored in frac - 2 bits because it is below 1/4. A value that does not fit its word becomes
    // all ones (sigma(0)' = 1/4 is the case that happens).
    const uint32_t size = uint32_t{1} << lut_bits_;
    const int addr_frac = lut_bits_ - 1 - log2_domain_;
    const int32_t sig_max = (int32_t{1} << frac) - 1;
    const int32_t prime_max = (int32_t{1} << (frac - 2)) - 1;
    sigmoid_.assign(size, 0);
    prime_.assign(size, 0);
    for (int64_t n = -int64_t{size} / 2; n < int64_t{size} / 2; ++n) {
        const double x = std::ldexp(static_cast<double>(n), -addr_frac);
        const double s = 1.0 / (1.0 + std::exp(-x));
        const double sp = s * (1.0 - s);
        const auto sq = static_cast<int64_t>(std::round(std::ldexp(s, frac)));
        const auto spq = static_cast<int64_t>(std::round(std::ldexp(sp, frac)));
        const uint32_t slot = static_cast<uint32_t>(n) & index_mask_;
        sigmoid_[slot] = static_cast<int32_t>(std::min<int64_t>(sq, sig_max));
        prime_[slot] = static_cast<int32_t>(std::min<int64_t>(spq, prime_max));
    }
}

}  // namespace trainvp::sparse
