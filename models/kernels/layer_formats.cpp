#include "kernels/layer_formats.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include "common/error.h"
#include "kernels/int8_scale_core.h"

namespace trainvp::kern {

namespace {

const char* const kRoleNames[kRoleCount] = {"weights", "activations", "errors", "weight_grads",
                                            "master_weights"};

bool parse_rounding(const std::string& s, num::Rounding& out) {
    if (s == "rne")
        out = num::Rounding::nearest_even;
    else if (s == "rtz")
        out = num::Rounding::truncate;
    else if (s == "rhu")
        out = num::Rounding::half_up;
    else if (s == "sr")
        out = num::Rounding::stochastic;
    else
        return false;
    return true;
}

}  // namespace

const char* role_name(Role r) {
    return kRoleNames[static_cast<int>(r)];
}

bool parse_role(const std::string& name, Role& out) {
    for (int i = 0; i < kRoleCount; ++i)
        if (name == kRoleNames[i]) {
            out = static_cast<Role>(i);
            return true;
        }
    return false;
}

num::Format& LayerFormats::operator[](Role r) {
    switch (r) {
        case Role::weights:
            return weights;
        case Role::activations:
            return activations;
        case Role::errors:
            return errors;
        case Role::weight_grads:
            return weight_grads;
        case Role::master_weights:
            break;
    }
    return master_weights;
}

const num::Format& LayerFormats::operator[](Role r) const {
    return const_cast<LayerFormats&>(*this)[r];
}

FormatRequest parse_format_request(const std::string& text) {
    FormatRequest req;
    req.text = text;
    const std::string kind = text.substr(0, text.find(':'));
    if (kind.size() > 2 && kind.compare(0, 2, "fx") == 0 && kind.find('.') == std::string::npos) {
        const std::string digits = kind.substr(2);
        if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 2)
            throw UserError("format '" + text + "': expected fxBITS or fxBITS.FRAC");
        req.bits = std::atoi(digits.c_str());
        if (req.bits < 4 || req.bits > 24)
            throw UserError("format '" + text + "': fixed-point width must be 4..24 bits");
        if (kind.size() != text.size() && !parse_rounding(text.substr(kind.size() + 1), req.rounding))
            throw UserError("format '" + text + "': rounding must be rne, rtz, rhu or sr");
        req.auto_frac = true;
        return req;
    }
    if (kind == "int8") {  // int8 without "@scale": the hardware tracks the scale
        if (kind.size() != text.size() && !parse_rounding(text.substr(kind.size() + 1), req.rounding))
            throw UserError("format '" + text + "': rounding must be rne, rtz, rhu or sr");
        req.tracked_int8 = true;
        req.format = num::Format::int8_scaled(0, req.rounding);
        return req;
    }
    try {
        req.format = num::Format::parse(text);
        req.format.validate();
    } catch (const std::invalid_argument& e) {
        throw UserError("format '" + text + "': " + e.what());
    }
    if (req.format.kind == num::FormatKind::fixed && req.format.total_bits > 24)
        throw UserError("format '" + text +
                        "': the kernels hold values in float, so fixed point is limited to 24 bits");
    if (req.format.kind == num::FormatKind::int8)
        throw UserError("format '" + text +
                        "': the trainer has no int8 with a fixed scale; write 'int8' for a per-tensor scale "
                        "tracked by the hardware, or fx8.F for a fixed grid");
    return req;
}

double expected_range(Role role, const LayerRangeInfo& info) {
    // Bounds with about 2x headroom over the largest magnitudes seen in fp32 LeNet-5 training on MNIST
    // (10 epochs, batch 32, lr 0.1; docs/numerics.md). Weights scale with the He-uniform initial bound
    // sqrt(6 / fan_in) and stayed below 3x it; pre-activations stayed below 20 (logits 40); output errors
    // p - onehot are below 1 and hidden errors stayed below 2; gradients summed over a batch of B stayed
    // below 1.5 B.
    switch (role) {
        case Role::weights:
        case Role::master_weights:
            return 4.0 * std::sqrt(6.0 / info.fan_in);
        case Role::activations:
            return info.output_layer ? 64.0 : 32.0;
        case Role::errors:
            return 2.0;
        case Role::weight_grads:
            return 2.0 * info.batch;
    }
    return 1.0;
}

int rule_frac_bits(int bits, double range) {
    return bits - 1 - static_cast<int>(std::ceil(std::log2(range)));
}

num::Format resolve_format(const FormatRequest& request, double range) {
    if (request.tracked_int8) {
        const int s = std::clamp(-rule_frac_bits(8, range), kMinTrackedScale, kMaxTrackedScale);
        return num::Format::int8_scaled(s, request.rounding);
    }
    if (!request.auto_frac) return request.format;
    return num::Format::fixed_point(request.bits, rule_frac_bits(request.bits, range), request.rounding);
}

static_assert(kMinTrackedScale == TVP_INT8_MIN_SCALE && kMaxTrackedScale == TVP_INT8_MAX_SCALE,
              "one int8 scale range for the golden model and the firmware");

int next_int8_scale(int scale_exp, uint32_t max_code) {
    return tvp_next_int8_scale(scale_exp, max_code);  // the rule the training firmware runs too
}

uint32_t max_int8_code(const float* values, size_t n, int scale_exp) {
    float m = 0.0f;
    for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(values[i]));  // NaN compares false: ignored
    const double q = std::ldexp(static_cast<double>(m), -scale_exp);
    return q >= 128.0 ? 128u : static_cast<uint32_t>(q);
}

}  // namespace trainvp::kern
