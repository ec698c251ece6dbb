#include "accel/pe_config.h"

#include <cmath>

#include "common/error.h"
#include "kernels/gemm.h"

namespace trainvp::timing {

namespace {

uint32_t ceil_div(uint32_t a, uint32_t b) {
    return (a + b - 1) / b;
}

// Alignment shift range of a brick float: the biased exponent field e moves the significand by max(e, 1) - 1
// places above the smallest subnormal, at most 2^E - 2 - 1 (fp16: 29).
uint32_t float_shift_range(const num::Format& f) {
    return static_cast<uint32_t>(std::ilogb(f.max_value()) + kern::float_raw_frac(f) -
                                 (static_cast<int>(brick_operand_bits(f)) - 1));
}

}  // namespace

uint32_t brick_operand_bits(const num::Format& f) {
    switch (f.kind) {
        case num::FormatKind::fixed:
            return static_cast<uint32_t>(f.total_bits);
        case num::FormatKind::int8:
            return 8;
        default:
            return static_cast<uint32_t>(1 - std::ilogb(f.ulp_at_one()));
    }
}

uint32_t PeConfig::min_brick_acc_bits() const {
    return 2 * brick_bits + shift_range() + 1;
}

uint32_t PeConfig::shift_range() const {
    return float_shift_range(float_max);
}

void PeConfig::validate() const {
    check_range(brick_bits, "accelerator.pe.brick_bits", kBrickBits);
    check_range(bricks, "accelerator.pe.bricks", kBricks);
    check_range(brick_acc_bits, "accelerator.pe.brick_acc_bits", kBrickAccBits);
    if (!kern::is_brick_float(float_max))
        throw FieldError({&float_max}, "accelerator.pe.float_max",
                         "must be fp16, fp8e4m3 or fp8e5m2 (a float of at most half precision), got " +
                             float_max.to_string());
    if (kind == kern::MacArith::bricks && brick_acc_bits < min_brick_acc_bits())
        throw FieldError({&brick_acc_bits, &brick_bits, &float_max}, "accelerator.pe.brick_acc_bits",
                         std::to_string(brick_acc_bits) + " bits cannot hold one aligned " +
                             std::to_string(brick_bits) + "-bit brick product of " + float_max.to_string() +
                             ": at least " + std::to_string(min_brick_acc_bits()) + " bits");
}

std::string pe_pair_error(const PeConfig& pe, const num::Format& a, const num::Format& b) {
    if (pe.kind == kern::MacArith::uniform) return "";
    std::string why = kern::brick_pair_error(a, b);
    if (!why.empty()) return why;
    for (const num::Format* f : {&a, &b})
        if (f->is_floating() &&
            (brick_operand_bits(*f) > brick_operand_bits(pe.float_max) ||
             f->max_value() > pe.float_max.max_value() || f->min_positive() < pe.float_max.min_positive()))
            return "the brick PE takes floats up to " + pe.float_max.to_string() +
                   " (hardware.array.pe.float_max), not " + f->to_string();
    return "";
}

PeRate pe_rate(const PeConfig& pe, const num::Format& a, const num::Format& b) {
    PeRate r;
    if (pe.kind == kern::MacArith::uniform) return r;
    if (const std::string why = pe_pair_error(pe, a, b); !why.empty()) throw UserError(why);
    const uint32_t n =
        ceil_div(brick_operand_bits(a), pe.brick_bits) * ceil_div(brick_operand_bits(b), pe.brick_bits);
    r.bricks_per_product = n;
    if (n <= pe.bricks)
        r.products = pe.bricks / n;
    else
        r.cycles = ceil_div(n, pe.bricks);
    return r;
}

}  // namespace trainvp::timing
