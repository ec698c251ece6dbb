// Storage encodings: published bit patterns, every 8/16-bit pattern round-trips, and conversions between
// formats through float are exact (float holds every value of every 8/16-bit format).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "numerics/format.h"
#include "reference.h"

using trainvp::num::decode;
using trainvp::num::encode;
using trainvp::num::Format;
using trainvp::num::FormatKind;
using trainvp::num::Rounding;

namespace {

uint32_t enc(float v, const char* f) {
    return encode(v, Format::parse(f));
}
float dec(uint32_t b, const char* f) {
    return decode(b, Format::parse(f));
}

}  // namespace

TEST_CASE("published encodings", "[numerics][codec]") {
    // IEEE 754 binary16.
    CHECK(enc(1.0f, "fp16") == 0x3C00u);
    CHECK(enc(-2.0f, "fp16") == 0xC000u);
    CHECK(enc(65504.0f, "fp16") == 0x7BFFu);
    CHECK(enc(std::ldexp(1.0f, -24), "fp16") == 0x0001u);
    CHECK(enc(std::ldexp(1.0f, -14), "fp16") == 0x0400u);
    CHECK(enc(INFINITY, "fp16") == 0x7C00u);
    CHECK(enc(-INFINITY, "fp16") == 0xFC00u);
    CHECK(enc(-0.0f, "fp16") == 0x8000u);
    CHECK(enc(std::numeric_limits<float>::quiet_NaN(), "fp16") == 0x7E00u);
    CHECK(enc(65520.0f, "fp16") == 0x7C00u);  // rounds first: overflow
    CHECK(dec(0x3555u, "fp16") == 0.333251953125f);
    // bfloat16.
    CHECK(enc(1.0f, "bf16") == 0x3F80u);
    CHECK(enc(3.140625f, "bf16") == 0x4049u);
    CHECK(enc(-2.0f, "bf16") == 0xC000u);
    CHECK(dec(0x7F7Fu, "bf16") == 255.0f * std::ldexp(1.0f, 120));
    CHECK(enc(std::numeric_limits<float>::quiet_NaN(), "bf16") == 0x7FC0u);
    // OCP FP8 E4M3 (bias 7) and E5M2 (bias 15).
    CHECK(enc(1.0f, "fp8e4m3") == 0x38u);
    CHECK(enc(448.0f, "fp8e4m3") == 0x7Eu);
    CHECK(enc(-448.0f, "fp8e4m3") == 0xFEu);
    CHECK(enc(std::ldexp(1.0f, -6), "fp8e4m3") == 0x08u);
    CHECK(enc(std::ldexp(1.0f, -9), "fp8e4m3") == 0x01u);
    CHECK(enc(std::numeric_limits<float>::quiet_NaN(), "fp8e4m3") == 0x7Fu);
    CHECK(enc(INFINITY, "fp8e4m3") == 0x7Eu);  // satfinite
    CHECK(std::isnan(dec(0x7Fu, "fp8e4m3")));
    CHECK(std::isnan(dec(0xFFu, "fp8e4m3")));
    CHECK(dec(0x78u, "fp8e4m3") == 256.0f);  // S.1111.000 is a normal number in E4M3
    CHECK(enc(1.0f, "fp8e5m2") == 0x3Cu);
    CHECK(enc(57344.0f, "fp8e5m2") == 0x7Bu);
    CHECK(enc(INFINITY, "fp8e5m2") == 0x7Cu);
    CHECK(enc(std::ldexp(1.0f, -16), "fp8e5m2") == 0x01u);
    CHECK(std::isnan(dec(0x7Du, "fp8e5m2")));
    // Two's complement fixed point and int8.
    CHECK(enc(-1.0f, "fx8.4") == 0xF0u);
    CHECK(enc(7.9375f, "fx8.4") == 0x7Fu);
    CHECK(enc(-8.0f, "fx8.4") == 0x80u);
    CHECK(enc(100.0f, "fx8.4") == 0x7Fu);  // saturates
    CHECK(enc(-0.5f, "fx16.12") == 0xF800u);
    CHECK(enc(-1.0f, "fx13.8") == 0x1F00u);
    CHECK(dec(0x1F00u, "fx13.8") == -1.0f);
    CHECK(dec(0xFFFF1F00u, "fx13.8") == -1.0f);  // bits above storage_bits are ignored
    CHECK(enc(std::numeric_limits<float>::quiet_NaN(), "fx8.4") == 0u);
    CHECK(enc(-3.0f, "int8@-2") == 0xF4u);
    CHECK(dec(0x80u, "int8@-2") == -32.0f);
    // Wider than 24 bits: every q encodes exactly even though the float value of the top ones is rounded.
    CHECK(enc(2147483648.0f, "fx32.0") == 0x7FFFFFFFu);
    CHECK(enc(-2147483648.0f, "fx32.0") == 0x80000000u);
    CHECK(enc(-1.0f, "fx32.16") == 0xFFFF0000u);
    CHECK(dec(0x80000000u, "fx32.16") == -32768.0f);
    // encode() rounds with the format's mode (nearest-even for stochastic) when the value is not on the grid.
    CHECK(enc(0.09375f, "fx8.4") == 0x02u);
    CHECK(enc(0.09375f, "fx8.4:rtz") == 0x01u);
    CHECK(enc(0.09375f, "fx8.4:sr") == 0x02u);
    CHECK(enc(1.0f + std::ldexp(1.0f, -11), "fp16:rhu") == 0x3C01u);
}

TEST_CASE("every 8/16-bit pattern round-trips and is a fixed point of quantize", "[numerics][codec]") {
    const char* formats[] = {"fp16",   "bf16",    "fp8e4m3", "fp8e5m2", "int8",    "int8@-7",
                             "int8@9", "fx8.4",   "fx8.-3",  "fx8.12",  "fx16.12", "fx16.0",
                             "fx4.2",  "fx13.10", "fx12.8",  "fx16.149"};
    for (const char* text : formats) {
        INFO(text);
        const Format base = Format::parse(text);
        const uint32_t count = 1u << base.storage_bits();
        size_t nans = 0, bad = 0;
        for (Rounding mode :
             {Rounding::nearest_even, Rounding::truncate, Rounding::half_up, Rounding::stochastic}) {
            Format f = base;
            f.rounding = mode;
            for (uint32_t b = 0; b < count; ++b) {
                const float v = decode(b, f);
                if (std::isnan(v)) {
                    ++nans;
                    if (!std::isnan(decode(encode(v, f), f)) && bad++ < 5) FAIL_CHECK("NaN pattern " << b);
                    continue;
                }
                const float qv = trainvp::num::quantize(v, f, {5, 6, 7}, b);
                if ((encode(v, f) != b || qv != v || std::signbit(qv) != std::signbit(v)) && bad++ < 5) {
                    FAIL_CHECK("pattern " << b << " value " << v << " re-encodes to " << encode(v, f));
                }
            }
        }
        CHECK(bad == 0);
        const size_t nans_per_mode = nans / 4;
        if (base.kind == FormatKind::fp16) CHECK(nans_per_mode == 2 * 1023);
        if (base.kind == FormatKind::bf16) CHECK(nans_per_mode == 2 * 127);
        if (base.kind == FormatKind::fp8_e4m3) CHECK(nans_per_mode == 2);
        if (base.kind == FormatKind::fp8_e5m2) CHECK(nans_per_mode == 2 * 3);
        if (!base.is_floating()) CHECK(nans_per_mode == 0);
    }
}

TEST_CASE("decoded values match the reference table and increase with the pattern", "[numerics][codec]") {
    for (FormatKind kind : {FormatKind::fp16, FormatKind::bf16, FormatKind::fp8_e4m3, FormatKind::fp8_e5m2}) {
        const Format f = Format::of_kind(kind);
        INFO(f.to_string());
        const auto& ref = trainvp::num::test::ref_format(kind);
        size_t bad = 0;
        for (size_t i = 0; i < ref.values.size(); ++i) {
            const uint32_t sign = 1u << (f.storage_bits() - 1);
            const float pos = decode(ref.patterns[i], f);
            const float neg = decode(ref.patterns[i] | sign, f);
            if ((static_cast<double>(pos) != ref.values[i] || static_cast<double>(neg) != -ref.values[i] ||
                 (i > 0 && !(pos > decode(ref.patterns[i - 1], f)))) &&
                bad++ < 5) {
                FAIL_CHECK("pattern " << ref.patterns[i]);
            }
        }
        CHECK(bad == 0);
        CHECK(f.min_positive() == ref.values[1]);
        CHECK(f.max_value() == ref.max_finite());
    }
}

TEST_CASE("conversions between floating formats through float are exact and correctly rounded",
          "[numerics][codec][reference]") {
    // decode() is exact (checked above), so converting format A -> B is quantize(decode(a), B); it must equal
    // the reference rounding of A's value straight into B.
    const FormatKind kinds[] = {FormatKind::fp16, FormatKind::bf16, FormatKind::fp8_e4m3,
                                FormatKind::fp8_e5m2};
    for (FormatKind from : kinds) {
        for (FormatKind to : kinds) {
            for (Rounding mode : {Rounding::nearest_even, Rounding::truncate}) {
                const Format a = Format::of_kind(from);
                const Format b = Format::of_kind(to, mode);
                INFO(a.to_string() << " -> " << b.to_string());
                const auto& ref = trainvp::num::test::ref_format(to);
                size_t bad = 0;
                for (uint32_t p = 0; p < (1u << a.storage_bits()); ++p) {
                    const float v = decode(p, a);
                    const float got = decode(encode(trainvp::num::quantize(v, b), b), b);
                    const double want = ref.round(v, mode);
                    const bool ok = std::isnan(want) ? std::isnan(got)
                                                     : (static_cast<double>(got) == want &&
                                                        std::signbit(got) == std::signbit(want));
                    if (!ok && bad++ < 5) FAIL_CHECK("pattern " << p << " got " << got << " want " << want);
                }
                CHECK(bad == 0);
            }
        }
    }
}
