// Format codes of the descriptor (accel_desc.h) and the tensor storage rule: codes round-trip with
// num::Format, invalid codes are rejected, and the fast TensorCodec equals the reference encode/decode bit
// for bit for every bit pattern of 8- and 16-bit containers and for values on and off each format's grid.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "accel/accel_format.h"

using namespace trainvp;

namespace {

std::vector<num::Format> formats() {
    std::vector<num::Format> out;
    for (const char* t : {"fp32", "fp16", "bf16:rtz", "fp8e4m3", "fp8e5m2:sr", "fx16.8", "fx16.15:rhu",
                          "fx12.6:sr", "fx8.4", "fx4.2", "fx24.16", "fx20.-3", "fx32.31", "fx32.0:rtz",
                          "fx16.-32", "fx9.31", "int8@-7", "int8@5:sr", "int8@-32"})
        out.push_back(num::Format::parse(t));
    return out;
}

}  // namespace

TEST_CASE("format codes round-trip and reject what has no code", "[accel][format]") {
    for (const num::Format& f : formats()) {
        uint16_t c = 0;
        INFO(f.to_string());
        REQUIRE(accel::code_from_format(f, c));
        num::Format back;
        REQUIRE(accel::format_from_code(c, back));
        CHECK(back == f);
        CHECK(back.rounding == f.rounding);
    }
    CHECK(ACCEL_FMT(ACCEL_FMT_KIND_FP32, ACCEL_RND_RNE, 0, 0) == 0);
    num::Format f;
    REQUIRE(accel::format_from_code(0, f));
    CHECK(f == num::Format{});
    CHECK(ACCEL_FMT_FRAC_OF(ACCEL_FMT(ACCEL_FMT_KIND_FIXED, 0, 16, -5)) == -5);
    CHECK(ACCEL_FMT_TOTAL_BITS_OF(ACCEL_FMT(ACCEL_FMT_KIND_FIXED, 0, 16, -5)) == 16);
    uint16_t c;
    CHECK_FALSE(accel::code_from_format(num::Format::parse("fx16.40"), c));
    CHECK_FALSE(accel::code_from_format(num::Format::parse("int8@-40"), c));
    CHECK_FALSE(accel::format_from_code(7, f));                                         // kind 7
    CHECK_FALSE(accel::format_from_code(ACCEL_FMT(ACCEL_FMT_KIND_FIXED, 0, 3, 0), f));  // 3-bit fixed
    CHECK_FALSE(accel::format_from_code(ACCEL_FMT(ACCEL_FMT_KIND_FP16, 0, 0, 3), f));   // frac on fp16
    CHECK_FALSE(accel::format_from_code(1u | (4u << 5), f));                            // total on fp16
}

TEST_CASE("containers are the smallest of 8, 16, 32 bits holding the storage bits", "[accel][format]") {
    CHECK(accel::container_bytes(num::Format::parse("fx8.4")) == 1);
    CHECK(accel::container_bytes(num::Format::parse("fx9.4")) == 2);
    CHECK(accel::container_bytes(num::Format::parse("fx16.4")) == 2);
    CHECK(accel::container_bytes(num::Format::parse("fx17.4")) == 4);
    CHECK(accel::container_bytes(num::Format::parse("bf16")) == 2);
    CHECK(accel::container_bytes(num::Format::parse("fp8e4m3")) == 1);
    CHECK(accel::container_bytes(num::Format::parse("int8@0")) == 1);
    CHECK(accel::container_bytes(num::Format{}) == 4);
    // fx12 -1 is 0x0fff in its 16-bit container (the bits above the format are 0).
    uint8_t b[2];
    const float minus = -1.0f / 64;
    accel::pack_tensor(&minus, 1, num::Format::parse("fx12.6"), b);
    CHECK((b[0] | b[1] << 8) == 0x0fff);
}

TEST_CASE("the fast codec equals the reference encode/decode", "[accel][format]") {
    accel::TensorCodec codec;
    std::mt19937 rng(9);
    for (const num::Format& f : formats()) {
        INFO(f.to_string());
        const unsigned cb = accel::container_bytes(f);
        // Every pattern of small containers, random ones of 32-bit containers.
        const size_t n = cb == 4 ? 20000 : (size_t{1} << (8 * cb));
        std::vector<uint8_t> bytes(n * cb);
        for (size_t i = 0; i < n; ++i) {
            uint32_t w = cb == 4 ? static_cast<uint32_t>(rng()) : static_cast<uint32_t>(i);
            if (cb == 4 && i < 8)
                w = std::vector<uint32_t>{0,           1,           0x7fffffffu, 0x80000000u,
                                          0xffffffffu, 0x00ffffffu, 0x00800000u, 0xff800000u}[i];
            std::memcpy(&bytes[i * cb], &w, cb);
        }
        std::vector<float> ref(n), fast(n);
        accel::unpack_tensor(bytes.data(), n, f, ref.data());
        codec.unpack(bytes.data(), n, f, fast.data());
        for (size_t i = 0; i < n; ++i) {
            if (std::isnan(ref[i])) {
                CHECK(std::isnan(fast[i]));
                continue;
            }
            uint32_t a, b;
            std::memcpy(&a, &ref[i], 4);
            std::memcpy(&b, &fast[i], 4);
            if (a != b) FAIL_CHECK("pattern " << i << " decodes to " << ref[i] << " vs " << fast[i]);
        }
        // Encode the decoded values (on the grid) and random values (mostly off it), specials included.
        std::vector<float> values = ref;
        std::uniform_real_distribution<float> u(-300.0f, 300.0f);
        for (int i = 0; i < 20000; ++i)
            values.push_back(u(rng) * std::ldexp(1.0f, static_cast<int>(rng() % 40) - 20));
        for (float v : {0.0f, -0.0f, std::numeric_limits<float>::infinity(),
                        -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN(),
                        std::numeric_limits<float>::max(), std::numeric_limits<float>::denorm_min(), -1e-30f})
            values.push_back(v);
        std::vector<uint8_t> eref(values.size() * cb), efast(values.size() * cb);
        accel::pack_tensor(values.data(), values.size(), f, eref.data());
        codec.pack(values.data(), values.size(), f, efast.data());
        CHECK(eref == efast);
    }
}

#include "accel/accel_config.h"

// Kernels write fp32 outputs straight into the buffers (PE array, vector unit): that is right only because
// the stored bits of an fp32 value are its own bits, NaN payloads and signs included, as pack stores them.
TEST_CASE("fp32 is stored as the float's own bits, NaN payloads included", "[accel][format]") {
    std::mt19937 rng(99);
    std::vector<float> v(1000);
    for (float& x : v)
        x = std::ldexp(static_cast<float>(rng() % 2000) - 1000.0f, static_cast<int>(rng() % 40) - 20);
    const uint32_t odd[] = {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0xff812345u,
                            0x7fffffffu, 0x7f800000u, 0xff800000u, 0x80000000u};
    for (size_t k = 0; k < sizeof odd / sizeof odd[0]; ++k) std::memcpy(&v[100 * k + 7], &odd[k], 4);
    const num::Format fp32{};
    std::vector<uint8_t> packed(4 * v.size());
    accel::TensorCodec codec;
    codec.pack(v.data(), v.size(), fp32, packed.data());
    CHECK(std::memcmp(v.data(), packed.data(), packed.size()) == 0);
    for (size_t i = 0; i < v.size(); i += 37) {
        uint32_t w;
        std::memcpy(&w, &v[i], 4);
        CHECK(num::encode(v[i], fp32) == w);
    }
}

TEST_CASE("accelerator configuration validation names the field", "[accel][config]") {
    AcceleratorConfig c;
    REQUIRE_NOTHROW(c.validate());
    auto fails_with = [](AcceleratorConfig bad, const char* field) {
        INFO(field);
        REQUIRE_THROWS_AS(bad.validate(), std::invalid_argument);
        REQUIRE_THROWS_WITH(bad.validate(), Catch::Contains(field));
    };
    AcceleratorConfig b = c;
    b.rows = 0;
    fails_with(b, "accelerator.rows");
    b = c;
    b.weight_buffer.banks = 0;
    fails_with(b, "accelerator.weight_buffer.banks");
    b = c;
    b.gradient_buffer.word_bytes = 3;
    fails_with(b, "accelerator.gradient_buffer.word_bytes");
    b = c;
    b.activation_buffer.capacity_bytes = 1000;  // not a multiple of banks * word_bytes
    fails_with(b, "accelerator.activation_buffer.capacity_bytes");
    b = c;
    b.dma.burst_bytes = 100;
    fails_with(b, "accelerator.dma.burst_bytes");
    b = c;
    b.dma.max_outstanding = 0;
    fails_with(b, "accelerator.dma.max_outstanding");
    b = c;
    b.clock_hz = 0;
    fails_with(b, "accelerator.clock_hz");
    b = c;
    b.dram_base = 0xF0000000u;
    b.dram_size = 0x20000000u;
    fails_with(b, "accelerator.dram_size");
    b = c;
    b.max_acc_bits = 60;
    fails_with(b, "accelerator.max_acc_bits");
    b = c;
    b.interconnect.width_bytes = 48;
    fails_with(b, "accelerator.interconnect.width_bytes");
    b = c;
    b.interconnect.latency_cycles = 5000;
    fails_with(b, "accelerator.interconnect.latency_cycles");
    b = c;
    b.timing.bank_access_cycles = 0;
    fails_with(b, "accelerator.timing");
    Dataflow d;
    CHECK(parse_dataflow("ws", d));
    CHECK(d == Dataflow::weight_stationary);
    CHECK(parse_dataflow("output_stationary", d));
    CHECK(d == Dataflow::output_stationary);
    CHECK_FALSE(parse_dataflow("rs", d));
    Fidelity f;
    CHECK(parse_fidelity("cycle", f));
    CHECK(f == Fidelity::cycle);
    CHECK_FALSE(parse_fidelity("exact", f));
}
