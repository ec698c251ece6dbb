#include "accel/accel_format.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace trainvp::accel {

namespace {

constexpr num::FormatKind kKinds[] = {
    num::FormatKind::fp32,     num::FormatKind::fp16,  num::FormatKind::bf16, num::FormatKind::fp8_e4m3,
    num::FormatKind::fp8_e5m2, num::FormatKind::fixed, num::FormatKind::int8};
// Descriptor rounding codes put round-to-nearest-even at 0 so that code 0 is fp32 with the default rounding.
constexpr num::Rounding kRoundings[] = {num::Rounding::nearest_even, num::Rounding::truncate,
                                        num::Rounding::half_up, num::Rounding::stochastic};

}  // namespace

bool format_from_code(uint16_t code, num::Format& out) {
    const unsigned kind = ACCEL_FMT_KIND_OF(code);
    if (kind >= ACCEL_FMT_KIND_COUNT) return false;
    num::Format f;
    f.kind = kKinds[kind];
    f.rounding = kRoundings[ACCEL_FMT_ROUNDING_OF(code)];
    const unsigned total_field = (code >> 5) & 31u;
    const int frac = ACCEL_FMT_FRAC_OF(code);
    if (kind == ACCEL_FMT_KIND_FIXED) {
        f.total_bits = static_cast<int>(ACCEL_FMT_TOTAL_BITS_OF(code));
        f.frac_bits = frac;
        if (f.total_bits < 4) return false;
    } else if (kind == ACCEL_FMT_KIND_INT8) {
        if (total_field) return false;
        f.total_bits = 8;
        f.scale_exp = frac;
    } else {
        if (total_field || frac) return false;
        f.total_bits = f.storage_bits();
    }
    try {
        f.validate();
    } catch (const std::invalid_argument&) {
        return false;
    }
    out = f;
    return true;
}

bool code_from_format(const num::Format& fmt, uint16_t& out) {
    unsigned kind = 0;
    while (kind < ACCEL_FMT_KIND_COUNT && kKinds[kind] != fmt.kind) ++kind;
    unsigned rounding = 0;
    while (rounding < 4 && kRoundings[rounding] != fmt.rounding) ++rounding;
    if (kind == ACCEL_FMT_KIND_COUNT || rounding == 4) return false;
    int total = 0, frac = 0;
    if (fmt.kind == num::FormatKind::fixed) {
        total = fmt.total_bits;
        frac = fmt.frac_bits;
        if (total < 4 || total > 32) return false;
    } else if (fmt.kind == num::FormatKind::int8) {
        frac = fmt.scale_exp;
    }
    if (frac < -32 || frac > 31) return false;
    out = ACCEL_FMT(kind, rounding, total, frac);
    return true;
}

unsigned container_bytes(const num::Format& fmt) {
    const int bits = fmt.storage_bits();
    return bits <= 8 ? 1u : bits <= 16 ? 2u : 4u;
}

void unpack_tensor(const uint8_t* bytes, size_t n, const num::Format& fmt, float* out) {
    switch (container_bytes(fmt)) {
        case 1:
            for (size_t i = 0; i < n; ++i) out[i] = num::decode(bytes[i], fmt);
            break;
        case 2:
            for (size_t i = 0; i < n; ++i)
                out[i] = num::decode(
                    static_cast<uint32_t>(bytes[2 * i]) | static_cast<uint32_t>(bytes[2 * i + 1]) << 8, fmt);
            break;
        default:
            if (fmt.kind == num::FormatKind::fp32) {
                std::memcpy(out, bytes, n * 4);  // the container is the float's own little-endian image
                break;
            }
            for (size_t i = 0; i < n; ++i) {
                uint32_t w;
                std::memcpy(&w, bytes + 4 * i, 4);
                out[i] = num::decode(w, fmt);
            }
    }
}

void pack_tensor(const float* values, size_t n, const num::Format& fmt, uint8_t* bytes) {
    switch (container_bytes(fmt)) {
        case 1:
            for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<uint8_t>(num::encode(values[i], fmt));
            break;
        case 2:
            for (size_t i = 0; i < n; ++i) {
                const uint32_t w = num::encode(values[i], fmt);
                bytes[2 * i] = static_cast<uint8_t>(w);
                bytes[2 * i + 1] = static_cast<uint8_t>(w >> 8);
            }
            break;
        default:
            for (size_t i = 0; i < n; ++i) {
                const uint32_t w = num::encode(values[i], fmt);
                std::memcpy(bytes + 4 * i, &w, 4);
            }
    }
}

namespace {

// Values on the grid of an integer format become their raw integer directly; others go through encode().
template <typename Container>
void pack_integer(const float* values, size_t n, const num::Format& fmt, uint8_t* bytes) {
    const int bits = fmt.kind == num::FormatKind::int8 ? 8 : fmt.total_bits;
    const int frac = fmt.kind == num::FormatKind::int8 ? -fmt.scale_exp : fmt.frac_bits;
    const double scale = std::ldexp(1.0, frac);
    const double lo = -std::ldexp(1.0, bits - 1), hi = std::ldexp(1.0, bits - 1) - 1;
    const uint32_t mask = bits == 32 ? ~0u : (1u << bits) - 1u;  // encode() leaves the bits above total 0
    // The staging buffer is a std::vector<uint8_t> (malloc-aligned); the host is little-endian.
    Container* __restrict out = reinterpret_cast<Container*>(bytes);
    // First pass without calls (vectorisable); values off the grid or out of range are redone by encode().
    int off_grid = 0;
    if (bits <= 24 && frac >= -100 && frac <= 100) {
        // In float: v * 2^frac is exact unless it overflows (then it is off the range) or underflows below
        // half the grid step (then it is 0, and encode() rounds such a value to 0 in every mode), and the
        // range bounds of at most 24 bits are floats.
        const float fscale = std::ldexp(1.0f, frac), flo = static_cast<float>(lo),
                    fhi = static_cast<float>(hi);
        for (size_t i = 0; i < n; ++i) {
            const float r = values[i] * fscale;
            // The clamp as max then min (maxps/minps): NaN -> flo, never converted; at a bound both forms
            // give the bound's value.
            const float lo_clamped = r > flo ? r : flo;
            const float c = lo_clamped < fhi ? lo_clamped : fhi;
            const int32_t q = static_cast<int32_t>(c);
            off_grid |= static_cast<float>(q) != r;
            out[i] = static_cast<Container>(static_cast<uint32_t>(q) & mask);
        }
    } else {
        for (size_t i = 0; i < n; ++i) {
            const double r = values[i] * scale;  // exact: a float times a power of two within double range
            const double c = r >= lo ? (r <= hi ? r : hi) : lo;  // NaN -> lo: never converted
            const int32_t q = static_cast<int32_t>(c);
            off_grid |= static_cast<double>(q) != r;
            out[i] = static_cast<Container>(static_cast<uint32_t>(q) & mask);
        }
    }
    if (!off_grid) return;
    for (size_t i = 0; i < n; ++i) {
        const double r = values[i] * scale;
        const double c = r >= lo ? (r <= hi ? r : hi) : lo;
        if (static_cast<double>(static_cast<int32_t>(c)) != r)
            out[i] = static_cast<Container>(num::encode(values[i], fmt));
    }
}

template <typename Container>
void unpack_fixed(const uint8_t* bytes, size_t n, int bits, int frac, float* out) {
    const int shift = 32 - bits;
    const float scale = std::ldexp(1.0f, -frac);  // a normal float for |frac| <= 100
    for (size_t i = 0; i < n; ++i) {
        Container c;
        std::memcpy(&c, bytes + sizeof(Container) * i, sizeof(Container));
        out[i] = static_cast<float>(static_cast<int32_t>(static_cast<uint32_t>(c) << shift) >> shift) * scale;
    }
}

}  // namespace

const std::vector<float>& TensorCodec::table(const num::Format& fmt) {
    uint16_t key = 0;
    code_from_format(fmt, key);
    auto it = tables_.find(key);
    if (it != tables_.end()) return it->second;
    const uint32_t entries = 1u << (8 * container_bytes(fmt));
    std::vector<float> t(entries);
    for (uint32_t i = 0; i < entries; ++i) t[i] = num::decode(i, fmt);
    return tables_.emplace(key, std::move(t)).first->second;
}

void TensorCodec::unpack(const uint8_t* bytes, size_t n, const num::Format& fmt, float* out) {
    const unsigned cb = container_bytes(fmt);
    const bool fixed = fmt.kind == num::FormatKind::fixed;
    // Integer formats of at most 24 bits whose scale is a normal float: raw * 2^-frac is exact in float.
    const int frac = fixed ? fmt.frac_bits : -fmt.scale_exp;
    const bool direct =
        ((fixed && fmt.total_bits <= 24) || fmt.kind == num::FormatKind::int8) && frac >= -100 && frac <= 100;
    if (fmt.kind == num::FormatKind::fp32) {
        std::memcpy(out, bytes, n * 4);
    } else if (direct) {
        const int bits = fixed ? fmt.total_bits : 8;
        if (cb == 1)
            unpack_fixed<uint8_t>(bytes, n, bits, frac, out);
        else if (cb == 2)
            unpack_fixed<uint16_t>(bytes, n, bits, frac, out);
        else
            unpack_fixed<uint32_t>(bytes, n, bits, frac, out);
    } else if (cb == 1) {
        const float* t = table(fmt).data();
        for (size_t i = 0; i < n; ++i) out[i] = t[bytes[i]];
    } else if (cb == 2) {
        const float* t = table(fmt).data();
        for (size_t i = 0; i < n; ++i) out[i] = t[bytes[2 * i] | bytes[2 * i + 1] << 8];
    } else {
        unpack_tensor(bytes, n, fmt, out);
    }
}

void TensorCodec::pack(const float* values, size_t n, const num::Format& fmt, uint8_t* bytes) {
    const unsigned cb = container_bytes(fmt);
    if (fmt.kind == num::FormatKind::fixed || fmt.kind == num::FormatKind::int8) {
        if (cb == 1)
            pack_integer<uint8_t>(values, n, fmt, bytes);
        else if (cb == 2)
            pack_integer<uint16_t>(values, n, fmt, bytes);
        else
            pack_integer<uint32_t>(values, n, fmt, bytes);
        return;
    }
    if (fmt.kind == num::FormatKind::fp32) {  // encode() of fp32 is the float's own bits, NaNs included
        std::memcpy(bytes, values, n * 4);
        return;
    }
    if (fmt.kind == num::FormatKind::bf16) {
        for (size_t i = 0; i < n; ++i) {
            uint32_t w;
            std::memcpy(&w, &values[i], 4);
            if (std::isnan(values[i]) || (w & 0xffffu))
                w = num::encode(values[i], fmt);
            else
                w >>= 16;
            const uint16_t c = static_cast<uint16_t>(w);
            std::memcpy(bytes + 2 * i, &c, 2);
        }
        return;
    }
    if (fmt.kind == num::FormatKind::fp8_e4m3 || fmt.kind == num::FormatKind::fp8_e5m2) {
        num::encode_fp8_array(values, n, fmt, bytes);
        return;
    }
    pack_tensor(values, n, fmt, bytes);
}

}  // namespace trainvp::accel
