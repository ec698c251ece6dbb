// Independent reference for the floating formats: the table of every finite value, built from the textbook
// field formula in double (IEEE 754-2019 3.4; OCP FP8 v1.0 for E4M3), and rounding by searching that table.
// Shares no code with the library's bit-manipulation paths.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "numerics/format.h"

namespace trainvp::num::test {

struct RefFormat {
    int exp_bits;
    int mant_bits;
    bool has_inf;                    // false: OCP E4M3 (only S.1111.111 is NaN)
    std::vector<double> values;      // non-negative finite values, ascending
    std::vector<uint32_t> patterns;  // their encodings (sign bit clear)

    RefFormat(int e, int m, bool inf) : exp_bits(e), mant_bits(m), has_inf(inf) {
        const int bias = (1 << (e - 1)) - 1;
        const uint32_t count = 1u << (e + m);
        for (uint32_t p = 0; p < count; ++p) {
            const uint32_t ef = p >> m;
            const uint32_t mf = p & ((1u << m) - 1);
            const uint32_t eall = (1u << e) - 1;
            if (inf && ef == eall) continue;
            if (!inf && ef == eall && mf == (1u << m) - 1) continue;
            const double v = ef == 0 ? std::ldexp(static_cast<double>(mf), 1 - bias - m)
                                     : std::ldexp(1.0 + std::ldexp(static_cast<double>(mf), -m),
                                                  static_cast<int>(ef) - bias);
            values.push_back(v);
            patterns.push_back(p);
        }
    }
    double max_finite() const { return values.back(); }
    double top_ulp() const { return values.back() - values[values.size() - 2]; }

    // Round x to nearest (ties to the even pattern) or toward zero; IEEE overflow (inf, or max for
    // truncation), satfinite when there is no infinity.
    double round(double x, Rounding mode) const {
        if (std::isnan(x)) return x;
        const double a = std::fabs(x);
        double r;
        if (std::isinf(a)) {
            r = has_inf ? a : max_finite();
        } else if (a >= max_finite() + top_ulp()) {
            // Beyond the next binade step: overflow in every mode.
            r = (has_inf && mode != Rounding::truncate) ? INFINITY : max_finite();
        } else {
            const auto it = std::upper_bound(values.begin(), values.end(), a);
            const size_t hi = static_cast<size_t>(it - values.begin());  // first value > a
            const size_t lo = hi - 1;
            const double vlo = values[lo];
            const double vhi = hi < values.size() ? values[hi] : max_finite() + top_ulp();
            const bool hi_even = hi < values.size() ? (patterns[hi] & 1u) == 0 : (patterns[lo] & 1u) != 0;
            if (a == vlo || mode == Rounding::truncate) {
                r = vlo;
            } else if (a - vlo < vhi - a || (a - vlo == vhi - a && !hi_even)) {
                r = vlo;
            } else {
                r = vhi;
            }
            if (r > max_finite()) r = (has_inf && mode != Rounding::truncate) ? INFINITY : max_finite();
        }
        return std::signbit(x) ? -r : r;
    }
};

inline const RefFormat& ref_format(FormatKind kind) {
    static const RefFormat fp16(5, 10, true);
    static const RefFormat bf16(8, 7, true);
    static const RefFormat e4m3(4, 3, false);
    static const RefFormat e5m2(5, 2, true);
    switch (kind) {
        case FormatKind::fp16:
            return fp16;
        case FormatKind::bf16:
            return bf16;
        case FormatKind::fp8_e4m3:
            return e4m3;
        default:
            return e5m2;
    }
}

}  // namespace trainvp::num::test
