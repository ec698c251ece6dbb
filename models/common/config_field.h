// What a configuration struct accepts, stated once. A struct declares the inclusive range of each numeric
// field as a ValueRange constant; its validate() checks the field against that constant, and the scenario
// schema (platform/config_schema.h) registers the key with the same constant, so a scenario value outside the
// range is refused while the file is read, with the file, line and key.
//
// Rules that are not a range (a power of two, a multiple of another field) are checked by validate() only. It
// throws FieldError, which carries the addresses of the fields involved: a program that builds a config by
// hand reads "accelerator.dma.burst_bytes: must be a power of two, got 3000", and the schema maps the
// address back to the scenario key it bound to that field and to where the value came from.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <iomanip>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace trainvp {

template <typename T>
struct ValueRange {
    T min;
    T max;
    constexpr bool contains(T v) const { return v >= min && v <= max; }
};

// A field that validate() refused. what() is "NAME: REASON". `fields` are the addresses of the fields
// involved, the one the message is about first.
struct FieldError : std::invalid_argument {
    FieldError(std::vector<const void*> fields_involved, const std::string& field_name,
               const std::string& why)
        : std::invalid_argument(field_name + ": " + why),
          fields(std::move(fields_involved)),
          name(field_name),
          reason(why) {}
    std::vector<const void*> fields;
    std::string name, reason;
};

// The shortest text that reads back to the same value (integers as integers; 20.0 as "20", not "2e+01").
template <typename T>
std::string value_text(T v) {
    if constexpr (std::is_integral_v<T>) {
        return std::to_string(v);
    } else {
        std::string best;
        for (int precision = 1; precision <= 17; ++precision) {
            std::ostringstream os;
            os << std::setprecision(precision) << v;
            const std::string t = os.str();
            if (std::strtod(t.c_str(), nullptr) == v && (best.empty() || t.size() < best.size())) best = t;
        }
        return best;
    }
}

// Throws FieldError(name: "must be in [MIN, MAX], got V") unless `range` contains `field` (NaN never is).
template <typename T>
void check_range(const T& field, const std::string& name, ValueRange<T> range) {
    if (range.contains(field)) return;
    throw FieldError({&field}, name,
                     "must be in [" + value_text(range.min) + ", " + value_text(range.max) + "], got " +
                         value_text(field));
}

inline bool is_power_of_two(uint64_t v) {
    return v && !(v & (v - 1));
}

}  // namespace trainvp
