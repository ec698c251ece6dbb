// Activation functions of Dey et al.'s RTL (act_functions.sv): the sigmoid and its derivative from lookup
// tables generated as scripts/actlut_generator.py does, and the clamped ReLU. docs/sparse.md "Numerics".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sparse/rtl_fixed.h"

namespace trainvp::sparse {

enum class Activation : uint8_t { sigmoid, relu };

const char* to_string(Activation a);                   // "sigmoid", "relu"
Activation parse_activation(const std::string& text);  // throws std::invalid_argument quoting the text

struct ActOut {
    int32_t act = 0;    // f(s)
    int32_t deriv = 0;  // f'(s), the "adot" kept for back-propagation
};

class ActivationUnit {
  public:
    ActivationUnit(const FixedFormat& fmt, Activation kind);

    Activation kind() const { return kind_; }

    // s is the saturated width-bit pre-activation (sum of products plus bias).
    ActOut operator()(int32_t s) const {
        if (kind_ == Activation::relu) {
            if (s <= 0 || s >= one_) return {s <= 0 ? 1 : one_ - 1, 1};
            return {s, one_ - 1};
        }
        const int32_t high = s >> domain_shift_;
        if (high != 0 && high != -1) return s < 0 ? ActOut{1, 1} : ActOut{one_ - 1, 1};
        const uint32_t index = static_cast<uint32_t>(s >> index_shift_) & index_mask_;
        return {sigmoid_[index], prime_[index]};
    }

    // Sigmoid table geometry (act_functions.sv sigmoid_all): inputs in [-max_domain, max_domain) are looked
    // up, lut_size = min(2^width, 4096, 2^(frac + log2(max_domain) + 1)) entries.
    int max_domain() const { return 1 << log2_domain_; }
    uint32_t lut_size() const { return uint32_t{1} << lut_bits_; }
    // The table entry at signed address n in [-lut_size/2, lut_size/2): sigma and sigma' in LSBs.
    int32_t sigmoid_entry(int32_t n) const { return sigmoid_[static_cast<uint32_t>(n) & index_mask_]; }
    int32_t prime_entry(int32_t n) const { return prime_[static_cast<uint32_t>(n) & index_mask_]; }

  private:
    Activation kind_;
    int32_t one_;
    int log2_domain_ = 0, lut_bits_ = 0, domain_shift_ = 0, index_shift_ = 0;
    uint32_t index_mask_ = 0;
    std::vector<int32_t> sigmoid_, prime_;  // indexed by the address bits as an unsigned number
};

}  // namespace trainvp::sparse
