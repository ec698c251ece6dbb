// Stochastic rounding: unbiased in expectation, exact on representable values, always one of the two
// neighbours, and a pure function of (seed, tensor, step, index).
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "numerics/format.h"

using trainvp::num::Format;
using trainvp::num::quantize;
using trainvp::num::quantize_array;
using trainvp::num::SrKey;

namespace {

// The two neighbours of x in fmt: toward zero (truncation) and the next value away from zero (the next
// encoding: +1 for sign-magnitude floats and positive two's complement, -1 for negative two's complement).
void neighbours(float x, const Format& sr, float& toward, float& away) {
    Format t = sr;
    t.rounding = trainvp::num::Rounding::truncate;
    toward = quantize(x, t);
    const uint32_t bits = trainvp::num::encode(toward, t);
    const bool twos = !sr.is_floating();
    const uint32_t next = (twos && x < 0) ? bits - 1 : bits + 1;
    const uint32_t mask = sr.storage_bits() == 32 ? 0xFFFFFFFFu : (1u << sr.storage_bits()) - 1;
    away =
        trainvp::num::decode((twos ? next : (next | (x < 0 ? 1u << (sr.storage_bits() - 1) : 0))) & mask, t);
}

}  // namespace

TEST_CASE("stochastic rounding is unbiased within a statistical bound", "[numerics][sr]") {
    struct Case {
        const char* fmt;
        float x;
    };
    const Case cases[] = {{"fx8.4:sr", 0.3f},          {"fx8.4:sr", -0.3f},
                          {"fx16.12:sr", 1.00001f},    {"fx8.-2:sr", 5.5f},
                          {"int8@-7:sr", -0.41f},      {"fp16:sr", 1.0f + 0.3f / 1024.0f},
                          {"fp16:sr", -3.3e-7f},       {"fp16:sr", 1.3f * std::ldexp(1.0f, -24)},
                          {"bf16:sr", 3.14159265f},    {"bf16:sr", 1e-39f},
                          {"fp8e4m3:sr", 0.7f},        {"fp8e4m3:sr", -300.0f},
                          {"fp8e5m2:sr", 0.013f},      {"fp8e5m2:sr", 3.0e-6f},
                          {"fx32.20:sr", 0.123456789f}};
    const int n = 200000;
    for (const Case& c : cases) {
        INFO(c.fmt << " x=" << c.x);
        const Format f = Format::parse(c.fmt);
        float lo = 0, hi = 0;
        neighbours(c.x, f, lo, hi);
        REQUIRE(lo != hi);  // x must not be representable for this test to mean anything
        std::vector<float> v(n, c.x);
        quantize_array(v.data(), v.size(), f, SrKey{1234, 7, 3});
        double sum = 0;
        size_t other = 0;
        for (float r : v) {
            sum += r;
            if (r != lo && r != hi) ++other;
        }
        CHECK(other == 0);
        const double mean = sum / n;
        // Bernoulli(p) scaled by the gap: sigma of the mean = gap * sqrt(p (1 - p) / n); allow 6 sigma.
        const double gap = std::fabs(static_cast<double>(hi) - lo);
        const double p = std::fabs(static_cast<double>(c.x) - lo) / gap;
        const double sigma = gap * std::sqrt(p * (1 - p) / n);
        CHECK(std::fabs(mean - static_cast<double>(c.x)) < 6 * sigma + 1e-12 * gap);
    }
}

TEST_CASE("stochastic rounding of a representable value is exact", "[numerics][sr]") {
    for (const char* f :
         {"fx8.4:sr", "fx16.12:sr", "int8@-4:sr", "fp16:sr", "bf16:sr", "fp8e4m3:sr", "fp8e5m2:sr"}) {
        INFO(f);
        const Format fmt = Format::parse(f);
        for (float x : {0.0f, 0.25f, -1.5f, 3.0f, -0.0625f}) {
            std::vector<float> v(10000, x);
            quantize_array(v.data(), v.size(), fmt, SrKey{77, 1, 1});
            size_t diff = 0;
            for (float r : v) diff += r != x;
            CHECK(diff == 0);
        }
    }
}

TEST_CASE("stochastic rounding is deterministic and independent of evaluation order", "[numerics][sr]") {
    const Format f = Format::parse("fx8.4:sr");
    std::vector<float> x(5000);
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37f * static_cast<float>(i)) * 3.0f;
    const SrKey key{42, 5, 17};

    std::vector<float> whole = x;
    quantize_array(whole.data(), whole.size(), f, key);

    // Same key and index: same result, whether element-wise, in reverse order, or in tiles with first_index.
    std::vector<float> reversed(x.size());
    for (size_t k = x.size(); k-- > 0;) reversed[k] = quantize(x[k], f, key, k);
    CHECK(reversed == whole);
    std::vector<float> tiled = x;
    for (size_t start = 0; start < x.size(); start += 333) {
        const size_t len = std::min<size_t>(333, x.size() - start);
        quantize_array(tiled.data() + start, len, f, key, start, nullptr);
    }
    CHECK(tiled == whole);
    std::vector<float> again = x;
    quantize_array(again.data(), again.size(), f, key);
    CHECK(again == whole);

    // Any change of seed, tensor or step gives a different draw.
    for (SrKey other : {SrKey{43, 5, 17}, SrKey{42, 6, 17}, SrKey{42, 5, 18}}) {
        std::vector<float> y = x;
        quantize_array(y.data(), y.size(), f, other);
        size_t differ = 0;
        for (size_t i = 0; i < x.size(); ++i) differ += y[i] != whole[i];
        CHECK(differ > 100);
    }
}

TEST_CASE("SR thresholds are uniform and uncorrelated across neighbouring indices", "[numerics][sr]") {
    const int n = 1 << 18;
    const int bins = 16;
    std::vector<int> hist(bins, 0);
    double corr = 0, mean = 0;
    uint32_t prev = trainvp::num::sr_threshold(SrKey{3, 1, 0}, 0);
    for (int i = 1; i <= n; ++i) {
        const uint32_t t = trainvp::num::sr_threshold(SrKey{3, 1, 0}, static_cast<uint64_t>(i));
        ++hist[t >> 28];
        const double a = t / 4294967296.0 - 0.5, b = prev / 4294967296.0 - 0.5;
        mean += a;
        corr += a * b;
        prev = t;
    }
    double chi2 = 0;
    const double expect = static_cast<double>(n) / bins;
    for (int h : hist) chi2 += (h - expect) * (h - expect) / expect;
    CHECK(chi2 < 50.0);  // 15 degrees of freedom: p < 1e-5 above 45
    CHECK(std::fabs(mean / n) < 6 * std::sqrt(1.0 / 12 / n));
    CHECK(std::fabs(corr / n) < 6 * (1.0 / 12) / std::sqrt(static_cast<double>(n)));
    // The exposed threshold is the one quantize() uses: x = lo + f * ulp rounds up iff top32(f) + t >= 2^32.
    const Format f = Format::parse("fx16.8:sr");
    for (uint64_t i = 0; i < 1000; ++i) {
        const uint32_t t = trainvp::num::sr_threshold(SrKey{8, 2, 4}, i);
        const float x = 1.0f + 0.25f / 256.0f;  // a quarter LSB above 1.0
        const bool up = (uint64_t{1} << 30) + t >= (uint64_t{1} << 32);
        CHECK(quantize(x, f, SrKey{8, 2, 4}, i) == (up ? 1.0f + 1.0f / 256.0f : 1.0f));
    }
}
