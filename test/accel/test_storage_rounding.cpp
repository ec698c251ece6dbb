// The PE array's rounding unit writes the bits of num::encode(kern::round_block()), for every output format,
// with its fast path (fixed point and int8, nearest-even and truncation) and its fallback.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "accel/accel_format.h"
#include "accel/storage_rounding.h"

using namespace trainvp;

namespace {

// Integer-domain accumulators of raw sums with `frac_in` fraction bits: ties at every output grid, values far
// beyond the output range, zeros and small values of both signs.
std::vector<double> accumulators(int frac_in, int bits, uint32_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<double> v;
    for (int i = 0; i < 4000; ++i) {
        const int64_t raw = static_cast<int64_t>(rng() >> (64 - bits)) - (int64_t{1} << (bits - 1));
        v.push_back(std::ldexp(static_cast<double>(raw >> (rng() % bits)), -frac_in));
    }
    // Halves and quarters (ties of the coarser output grids) where the input grid has them.
    for (int k = -3; k <= 3; ++k)
        for (double x : {k * 0.5, k * 0.25 + 0.125})
            if (std::ldexp(x, frac_in) == std::floor(std::ldexp(x, frac_in))) v.push_back(x);
    v.push_back(0.0);
    v.push_back(-0.0);
    return v;
}

std::vector<uint8_t> reference(const kern::MacConfig& cfg, const std::vector<double>& acc,
                               const num::Format& f, const num::SrKey& key, uint64_t index) {
    std::vector<float> values(acc.size());
    kern::round_block(cfg, 1, acc.size(), acc.data(), 0, values.data(), 0, f, key, index, nullptr);
    std::vector<uint8_t> bytes(acc.size() * accel::container_bytes(f));
    accel::pack_tensor(values.data(), values.size(), f, bytes.data());
    return bytes;
}

}  // namespace

TEST_CASE("the fast path of the rounding unit equals round_block and encode, bit for bit",
          "[accel][rounding]") {
    const char* formats[] = {"fx16.12", "fx16.8:rtz", "fx8.4",   "fx8.-2",     "fx12.6",  "fx24.20",
                             "fx4.1",   "fx20.0:rtz", "int8@-5", "int8@3:rtz", "fx16.30", "fx16.-10"};
    int fast = 0;
    for (const char* text : formats) {
        const num::Format f = num::Format::parse(text);
        for (int frac_in : {24, 8, 0, -4, 40}) {
            for (int acc_bits : {48, 20}) {
                INFO(text << " frac_in " << frac_in << " acc_bits " << acc_bits);
                kern::MacConfig cfg;
                cfg.domain = kern::AccDomain::integer;
                cfg.frac = frac_in;
                cfg.bits = acc_bits;
                const std::vector<double> acc = accumulators(frac_in, acc_bits, 7 + frac_in + acc_bits);
                std::vector<uint8_t> got(acc.size() * accel::container_bytes(f), 0xAA);
                REQUIRE(accel::round_fixed_to_storage(cfg, acc.data(), acc.size(), f, got.data()));
                CHECK(got == reference(cfg, acc, f, num::SrKey{}, 0));
                ++fast;
            }
        }
    }
    CHECK(fast == 120);
}

TEST_CASE("the rounding unit falls back for stochastic rounding, round-half-up, wide and float outputs",
          "[accel][rounding]") {
    accel::TensorCodec codec;
    accel::StorageSink sink(codec);
    kern::MacConfig integer;
    integer.domain = kern::AccDomain::integer;
    integer.frac = 20;
    const kern::MacConfig real;
    const num::SrKey key{5, 6, 7};
    for (const char* text : {"fx16.10:sr", "fx12.6:rhu", "fx32.16", "bf16", "fp16:sr", "fp8e4m3", "fp32"}) {
        const num::Format f = num::Format::parse(text);
        for (const kern::MacConfig& cfg : {integer, real}) {
            INFO(text << (cfg.domain == kern::AccDomain::integer ? " integer" : " real"));
            const std::vector<double> acc = accumulators(20, 40, 11);
            std::vector<uint8_t> probe(acc.size() * 4);
            CHECK_FALSE(accel::round_fixed_to_storage(cfg, acc.data(), acc.size(), f, probe.data()));
            // Two rows of a block, 1000 elements apart in the tensor, as a tile's rows are.
            const size_t half = acc.size() / 2;
            std::vector<uint8_t> got(acc.size() * accel::container_bytes(f));
            sink.bind(got.data());
            sink.round_block(cfg, 2, half, acc.data(), half, 0, half, f, key, 1000);
            std::vector<double> first(acc.begin(), acc.begin() + half), second(acc.begin() + half, acc.end());
            std::vector<uint8_t> expect = reference(cfg, first, f, key, 1000);
            const std::vector<uint8_t> tail = reference(cfg, second, f, key, 1000 + half);
            expect.insert(expect.end(), tail.begin(), tail.end());
            got.resize(expect.size());
            CHECK(got == expect);
        }
    }
}
