// Formats of the tensor roles of a layer, how a scenario asks for them, and the default rule that picks the
// fraction bits of a fixed-point format from a layer's fan-in and role (docs/numerics.md "## Training and
// default formats").
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "numerics/format.h"

namespace trainvp::kern {

// Tensor roles (TaxoNN/NeuroFlix: each role has its own format, per layer).
enum class Role : uint32_t { weights, activations, errors, weight_grads, master_weights };
constexpr int kRoleCount = 5;
const char* role_name(Role r);  // "weights", "activations", "errors", "weight_grads", "master_weights"
bool parse_role(const std::string& name, Role& out);

struct LayerFormats {
    num::Format weights, activations, errors, weight_grads, master_weights;  // all fp32 by default
    num::Format& operator[](Role r);
    const num::Format& operator[](Role r) const;
};

// A format as written in a scenario: a full format ("fx16.12", "bf16", "fp8e4m3:sr", see num::Format::parse)
// or a fixed-point width whose fraction bits the default rule picks ("fx16", "fx12:sr").
struct FormatRequest {
    std::string text;
    bool auto_frac = false;
    bool tracked_int8 = false;  // "int8[:rounding]": int8 whose per-tensor scale the hardware tracks
    int bits = 0;                                          // auto_frac: total width
    num::Rounding rounding = num::Rounding::nearest_even;  // auto_frac: rounding
    num::Format format;                                    // !auto_frac: the format itself
};
// Throws UserError("format 'TEXT': reason").
FormatRequest parse_format_request(const std::string& text);

struct LayerFormatRequests {
    std::optional<FormatRequest> roles[kRoleCount];
    std::optional<FormatRequest>& operator[](Role r) { return roles[static_cast<int>(r)]; }
    const std::optional<FormatRequest>& operator[](Role r) const { return roles[static_cast<int>(r)]; }
};

// What the default rule knows about a layer with weights (conv or fc).
struct LayerRangeInfo {
    uint32_t fan_in = 1;        // inputs per output: Ci*K*K (conv) or In (fc)
    uint32_t batch = 1;         // samples per step (weight gradients are summed over the batch)
    bool output_layer = false;  // its activations are the logits
};

// The magnitude bound R the rule assumes for `role` of a layer, and the fraction bits it gives a signed
// `bits`-wide fixed-point format: frac = bits - 1 - ceil(log2 R), so the range is [-R, R).
double expected_range(Role role, const LayerRangeInfo& info);
int rule_frac_bits(int bits, double range);
// The bound assumed for input images scaled to [0, 1]: 2 (1.0 itself must be representable).
constexpr double kInputRange = 2.0;

// Resolves a request (auto fraction bits by the rule, or the explicit format). A tracked int8 request gets
// its initial scale from the same rule: int8 at 2^(ceil(log2 R) - 7).
num::Format resolve_format(const FormatRequest& request, double range);

// Per-tensor scale tracking of tracked int8 tensors (docs/numerics.md "8-bit training"). After each training
// step the hardware takes m = max |q| over the int8 codes it wrote into the tensor (scale 2^s) and picks the
// scale of the tensor's next step:
//   m >= 127 (the top code was reached, values may have saturated): s + 1;
//   m == 0 (every value rounded to zero, or a zero tensor): s - 1, one step finer per step;
//   otherwise s + floor(log2 m) - 6, the smallest power of two whose int8 grid still covers 2^s * m, so the
//   largest code of the next step lies in [64, 127] if the maximum stays.
// The result is clamped to the accelerator's int8 scale range [kMinTrackedScale, kMaxTrackedScale].
constexpr int kMinTrackedScale = -32, kMaxTrackedScale = 31;
int next_int8_scale(int scale_exp, uint32_t max_code);
// max |q| of n values already on the int8@scale_exp grid (NaN counts as 0).
uint32_t max_int8_code(const float* values, size_t n, int scale_exp);

}  // namespace trainvp::kern
