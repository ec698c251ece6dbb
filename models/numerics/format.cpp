// Format description: parsing, canonical text, ranges, and the per-tensor int8 scale rule.
#include "numerics/format.h"

#include <cmath>
#include <stdexcept>

#include "numerics/detail.h"

namespace trainvp::num {

namespace {

[[noreturn]] void bad(const std::string& text, const std::string& why) {
    throw std::invalid_argument("invalid number format '" + text + "': " + why +
                                " (expected fp32|fp16|bf16|fp8e4m3|fp8e5m2|int8[@scale]|fx<total>.<frac>, "
                                "optionally followed by :rne|:rtz|:rhu|:sr)");
}

// Parses an optionally signed decimal integer that must span all of s.
bool parse_int(const std::string& s, int& out) {
    if (s.empty() || s.size() > 5) return false;
    size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
    if (i == s.size()) return false;
    int v = 0;
    for (; i < s.size(); ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    out = s[0] == '-' ? -v : v;
    return true;
}

}  // namespace

const char* to_string(Rounding rounding) {
    switch (rounding) {
        case Rounding::truncate:
            return "rtz";
        case Rounding::nearest_even:
            return "rne";
        case Rounding::half_up:
            return "rhu";
        case Rounding::stochastic:
            return "sr";
    }
    return "?";
}

const char* to_string(FormatKind kind) {
    switch (kind) {
        case FormatKind::fp32:
            return "fp32";
        case FormatKind::fp16:
            return "fp16";
        case FormatKind::bf16:
            return "bf16";
        case FormatKind::fp8_e4m3:
            return "fp8e4m3";
        case FormatKind::fp8_e5m2:
            return "fp8e5m2";
        case FormatKind::fixed:
            return "fx";
        case FormatKind::int8:
            return "int8";
    }
    return "?";
}

Format Format::fixed_point(int total_bits, int frac_bits, Rounding rounding) {
    Format f;
    f.kind = FormatKind::fixed;
    f.total_bits = total_bits;
    f.frac_bits = frac_bits;
    f.rounding = rounding;
    f.validate();
    return f;
}

Format Format::int8_scaled(int scale_exp, Rounding rounding) {
    Format f;
    f.kind = FormatKind::int8;
    f.total_bits = 8;
    f.scale_exp = scale_exp;
    f.rounding = rounding;
    f.validate();
    return f;
}

Format Format::of_kind(FormatKind kind, Rounding rounding) {
    Format f;
    f.kind = kind;
    f.rounding = rounding;
    f.total_bits = f.storage_bits();
    return f;
}

Format Format::parse(const std::string& text) {
    std::string body = text;
    Rounding rounding = Rounding::nearest_even;
    const size_t colon = text.find(':');
    if (colon != std::string::npos) {
        body = text.substr(0, colon);
        const std::string r = text.substr(colon + 1);
        if (r == "rne") {
            rounding = Rounding::nearest_even;
        } else if (r == "rtz") {
            rounding = Rounding::truncate;
        } else if (r == "rhu") {
            rounding = Rounding::half_up;
        } else if (r == "sr") {
            rounding = Rounding::stochastic;
        } else {
            bad(text, "unknown rounding '" + r + "'");
        }
    }
    static const struct {
        const char* name;
        FormatKind kind;
    } kFloating[] = {{"fp32", FormatKind::fp32},
                     {"fp16", FormatKind::fp16},
                     {"bf16", FormatKind::bf16},
                     {"fp8e4m3", FormatKind::fp8_e4m3},
                     {"fp8e5m2", FormatKind::fp8_e5m2}};
    for (const auto& k : kFloating) {
        if (body == k.name) return of_kind(k.kind, rounding);
    }
    Format f;
    f.rounding = rounding;
    if (body.compare(0, 4, "int8") == 0) {
        f.kind = FormatKind::int8;
        f.total_bits = 8;
        if (body.size() > 4) {
            if (body[4] != '@' || !parse_int(body.substr(5), f.scale_exp))
                bad(text, "int8 scale must be int8@<integer>");
        }
    } else if (body.compare(0, 2, "fx") == 0) {
        f.kind = FormatKind::fixed;
        const size_t dot = body.find('.');
        if (dot == std::string::npos || !parse_int(body.substr(2, dot - 2), f.total_bits) ||
            !parse_int(body.substr(dot + 1), f.frac_bits)) {
            bad(text, "fixed point must be fx<total>.<frac> with integers, e.g. fx16.12");
        }
    } else {
        bad(text, "unknown kind '" + body + "'");
    }
    try {
        f.validate();
    } catch (const std::invalid_argument& e) {
        bad(text, e.what());
    }
    return f;
}

void Format::validate() const {
    if (kind == FormatKind::fixed) {
        if (total_bits < 4 || total_bits > 32) {
            throw std::invalid_argument("fixed-point total_bits " + std::to_string(total_bits) +
                                        " is outside 4..32");
        }
        if (frac_bits > kMaxFracBits || frac_bits < total_bits - 128) {
            throw std::invalid_argument("fixed-point frac_bits " + std::to_string(frac_bits) +
                                        " is outside " + std::to_string(total_bits - 128) + ".." +
                                        std::to_string(kMaxFracBits) +
                                        " (values must stay inside the float range)");
        }
    } else if (kind == FormatKind::int8) {
        if (scale_exp < kMinInt8ScaleExp || scale_exp > kMaxInt8ScaleExp) {
            throw std::invalid_argument("int8 scale_exp " + std::to_string(scale_exp) + " is outside " +
                                        std::to_string(kMinInt8ScaleExp) + ".." +
                                        std::to_string(kMaxInt8ScaleExp));
        }
    } else if (static_cast<uint8_t>(kind) > static_cast<uint8_t>(FormatKind::int8)) {
        throw std::invalid_argument("unknown FormatKind value " + std::to_string(static_cast<int>(kind)));
    }
    if (static_cast<uint8_t>(rounding) > static_cast<uint8_t>(Rounding::stochastic)) {
        throw std::invalid_argument("unknown Rounding value " + std::to_string(static_cast<int>(rounding)));
    }
}

std::string Format::to_string() const {
    std::string s;
    if (kind == FormatKind::fixed) {
        s = "fx" + std::to_string(total_bits) + "." + std::to_string(frac_bits);
    } else if (kind == FormatKind::int8 && scale_exp != 0) {
        s = "int8@" + std::to_string(scale_exp);
    } else {
        s = num::to_string(kind);
    }
    if (rounding != Rounding::nearest_even) s += std::string(":") + num::to_string(rounding);
    return s;
}

int Format::storage_bits() const {
    switch (kind) {
        case FormatKind::fp32:
            return 32;
        case FormatKind::fp16:
        case FormatKind::bf16:
            return 16;
        case FormatKind::fp8_e4m3:
        case FormatKind::fp8_e5m2:
        case FormatKind::int8:
            return 8;
        case FormatKind::fixed:
            return total_bits;
    }
    return 32;
}

bool Format::exact_in_float() const {
    return kind != FormatKind::fixed || total_bits <= 24;
}

bool Format::is_floating() const {
    return detail::float_spec(kind) != nullptr;
}

bool Format::has_infinity() const {
    const detail::FloatSpec* s = detail::float_spec(kind);
    return s != nullptr && s->has_inf;
}

double Format::max_value() const {
    if (const detail::FloatSpec* s = detail::float_spec(kind)) return s->max_finite;
    if (kind == FormatKind::int8) return 127.0 * std::ldexp(1.0, scale_exp);
    return (std::ldexp(1.0, total_bits - 1) - 1.0) * std::ldexp(1.0, -frac_bits);
}

double Format::lowest() const {
    if (const detail::FloatSpec* s = detail::float_spec(kind)) return -s->max_finite;
    if (kind == FormatKind::int8) return -128.0 * std::ldexp(1.0, scale_exp);
    return -std::ldexp(1.0, total_bits - 1 - frac_bits);
}

double Format::min_positive() const {
    if (const detail::FloatSpec* s = detail::float_spec(kind))
        return std::ldexp(1.0, s->emin() - s->mant_bits);
    return ulp_at_one();
}

double Format::ulp_at_one() const {
    if (const detail::FloatSpec* s = detail::float_spec(kind)) return std::ldexp(1.0, -s->mant_bits);
    if (kind == FormatKind::int8) return std::ldexp(1.0, scale_exp);
    return std::ldexp(1.0, -frac_bits);
}

bool Format::operator==(const Format& o) const {
    if (kind != o.kind || rounding != o.rounding) return false;
    if (kind == FormatKind::fixed) return total_bits == o.total_bits && frac_bits == o.frac_bits;
    if (kind == FormatKind::int8) return scale_exp == o.scale_exp;
    return true;
}

void QuantStats::merge(const QuantStats& o) {
    values += o.values;
    saturated += o.saturated;
    underflow_to_zero += o.underflow_to_zero;
}

int choose_int8_scale(const float* data, size_t n) {
    float amax = 0.0f;
    for (size_t i = 0; i < n; ++i) {
        const float a = std::fabs(data[i]);
        if (std::isfinite(a) && a > amax) amax = a;
    }
    if (amax == 0.0f) return 0;
    int e = 0;
    (void)std::frexp(static_cast<double>(amax), &e);  // amax in [2^(e-1), 2^e)
    // 127 * 2^(e-8) < 2^(e-1) <= amax, so the answer is e-7 or e-6.
    int s = static_cast<double>(amax) <= 127.0 * std::ldexp(1.0, e - 7) ? e - 7 : e - 6;
    if (s < Format::kMinInt8ScaleExp) s = Format::kMinInt8ScaleExp;
    if (s > Format::kMaxInt8ScaleExp) s = Format::kMaxInt8ScaleExp;
    return s;
}

}  // namespace trainvp::num
