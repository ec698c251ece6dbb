// The processing element of the PE array (hardware.array.pe): a uniform MAC that takes one cycle per product
// whatever the formats, or a NeuroFlix-style brick PE built from narrow multipliers ("bricks") whose
// throughput depends on the operand formats (papers.md §2.3; docs/accelerator-timing.md "Brick PE"). Plain
// C++17, part of the timing library.
#pragma once

#include <cstdint>
#include <string>

#include "common/config_field.h"
#include "kernels/kernel_types.h"
#include "numerics/format.h"

namespace trainvp::timing {

struct PeConfig {
    static constexpr ValueRange<uint32_t> kBrickBits{1, 16};
    static constexpr ValueRange<uint32_t> kBricks{1, 256};
    static constexpr ValueRange<uint32_t> kBrickAccBits{8, 64};

    kern::MacArith kind = kern::MacArith::uniform;
    uint32_t brick_bits = 4;  // width of one brick multiplier's operands (b x b bits)
    uint32_t bricks = 4;      // brick multipliers per PE
    num::Format float_max = num::Format::of_kind(num::FormatKind::fp16);  // widest float operand accepted
    uint32_t brick_acc_bits = 48;  // width of each brick's separate accumulator

    // Throws FieldError naming "accelerator.pe.<field>": ranges; float_max must be fp16, fp8e4m3 or fp8e5m2;
    // brick_acc_bits must hold one aligned brick product (min_brick_acc_bits()).
    void validate() const;
    // 2b + the alignment shift range of float_max (fp16: 29) + 1 sign bit.
    uint32_t min_brick_acc_bits() const;
    // Places the exponent of float_max can move a significand (fp16: 0..29, so 29).
    uint32_t shift_range() const;
};

// Bits an operand occupies on the bricks: fixed point and int8 their width (sign included, as Bit Fusion's
// signed top brick), floats their significand with the hidden bit (fp16: 11). The exponent does not use a
// brick: it sets the alignment shift into the brick accumulators.
uint32_t brick_operand_bits(const num::Format& f);

// Throughput of one PE for one operand pair: `products` products complete every `cycles` cycles (one of the
// two is 1). Uniform: 1 / 1. Bricks: a product needs n = ceil(wa/b) * ceil(wb/b) bricks; the PE fuses its
// bricks into floor(bricks / n) products per cycle when n <= bricks, otherwise it reuses them over
// ceil(n / bricks) cycles per product (Bit Fusion's spatial and temporal fusion).
struct PeRate {
    uint32_t products = 1;
    uint32_t cycles = 1;
    uint32_t bricks_per_product = 1;  // n (1 for the uniform PE)
    double per_cycle() const { return static_cast<double>(products) / cycles; }
};

// Why the PE cannot multiply a by b ("" when it can). Uniform: always ""; bricks: kern::brick_pair_error,
// and floats wider than float_max.
std::string pe_pair_error(const PeConfig& pe, const num::Format& a, const num::Format& b);
// Throws UserError when pe_pair_error() is not empty.
PeRate pe_rate(const PeConfig& pe, const num::Format& a, const num::Format& b);

}  // namespace trainvp::timing
