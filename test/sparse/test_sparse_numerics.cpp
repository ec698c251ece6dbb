// The RTL's fixed-point operators and activation tables (models/sparse/rtl_fixed.h, activation_lut.h):
// hand vectors, the values of the authors' own sigmoid tables, and a literal transcription of the RTL's
// bit slicing as an independent reference over every (or many random) operand pairs.
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>

#include "sparse/activation_lut.h"
#include "sparse/rtl_fixed.h"

using namespace trainvp::sparse;

namespace {

const FixedFormat k10{10, 2};  // tb_DNN_top.sv / DNN_top.sv: the FPGA build
const FixedFormat k12{12, 3};  // DNN.sv default
const FixedFormat k16{16, 5};  // layer_block.sv default

uint64_t bits(uint64_t x, int hi, int lo) {
    return (x >> lo) & ((uint64_t{1} << (hi - lo + 1)) - 1);
}

int32_t sign_extend(uint64_t pattern, int width) {
    const uint64_t sign = uint64_t{1} << (width - 1);
    return static_cast<int32_t>(static_cast<int64_t>((pattern ^ sign)) - static_cast<int64_t>(sign));
}

// components.sv `multiplier`, bit field by bit field: p_temp from the sign, the int_bits+1 discarded integer
// bits and the kept bits; p = p_temp + 1 when bit width-int_bits-2 is set and p_temp is not the maximum.
int32_t reference_mul(const FixedFormat& f, int32_t a, int32_t b) {
    const int w = f.width, in = f.int_bits;
    const uint64_t raw = static_cast<uint64_t>(int64_t{a} * b) & ((uint64_t{1} << (2 * w)) - 1);
    const uint64_t sign = bits(raw, 2 * w - 1, 2 * w - 1);
    const uint64_t upper = bits(raw, 2 * w - 2, 2 * w - in - 2);
    const uint64_t ones = (uint64_t{1} << (in + 1)) - 1;
    const uint64_t max_pattern = (uint64_t{1} << (w - 1)) - 1;
    uint64_t temp;
    if (sign == 0 && upper != 0)
        temp = max_pattern;
    else if (sign == 1 && upper != ones)
        temp = uint64_t{1} << (w - 1);
    else
        temp = (sign << (w - 1)) | bits(raw, 2 * w - 3 - in, w - in - 1);
    const uint64_t p = (bits(raw, w - in - 2, w - in - 2) == 0 || temp == max_pattern)
                           ? temp
                           : (temp + 1) & ((uint64_t{1} << w) - 1);
    return sign_extend(p, w);
}

// processor_set.sv UP, as exact arithmetic: -delta (with -min = max) times 2^-k, rounded half up, i.e.
// floor((2 * dn + 2^k) / 2^(k+1)).
int32_t reference_step(const FixedFormat& f, int32_t delta, int etapos) {
    if (etapos == 0) return 0;
    const int64_t dn = delta == f.min_raw() ? f.max_raw() : -int64_t{delta};
    const int k = etapos - 1;
    if (k == 0) return static_cast<int32_t>(dn);
    const int64_t num = 2 * dn + (int64_t{1} << k);
    const int64_t den = int64_t{1} << (k + 1);
    const int64_t q = num / den - ((num % den) != 0 && num < 0 ? 1 : 0);
    return static_cast<int32_t>(q);
}

}  // namespace

TEST_CASE("formats of the RTL configurations", "[sparse][numerics]") {
    CHECK(k10.frac_bits() == 7);
    CHECK(k10.max_raw() == 511);
    CHECK(k10.min_raw() == -512);
    CHECK(k12.frac_bits() == 8);
    CHECK(k16.frac_bits() == 10);
    CHECK(k10.to_string() == "10-bit (1.2.7)");
    CHECK(k10.to_double(-64) == -0.5);
    CHECK_THROWS_WITH((FixedFormat{8, 5}.validate()), Catch::Contains("needs at least 3"));
    CHECK_THROWS_WITH((FixedFormat{3, 0}.validate()), Catch::Contains("outside 4..24"));
    CHECK_THROWS_WITH((FixedFormat{10, -1}.validate()), Catch::Contains("negative"));
}

TEST_CASE("multiplier: hand vectors", "[sparse][numerics]") {
    const FixedArith fx(k10);
    CHECK(fx.mul(64, 64) == 32);       // 0.5 * 0.5 = 0.25
    CHECK(fx.mul(1, 64) == 1);         // 0.5 LSB rounds up
    CHECK(fx.mul(-1, 64) == 0);        // -0.5 LSB rounds up, toward +infinity
    CHECK(fx.mul(-3, 64) == -1);       // -1.5 LSB -> -1
    CHECK(fx.mul(3, 64) == 2);         // 1.5 LSB -> 2
    CHECK(fx.mul(1, 63) == 0);         // below half an LSB
    CHECK(fx.mul(128, -200) == -200);  // times 1.0 is exact
    CHECK(fx.mul(511, 511) == 511);    // 15.9 saturates to the maximum
    CHECK(fx.mul(-512, -512) == 511);  // 16.0 saturates
    CHECK(fx.mul(-512, 511) == -512);  // -15.97: the first discarded bit is 0
    // -15.94: a negative overflow whose first discarded bit is 1 comes out as min + 1 (the RTL rounds after
    // saturating and exempts only the maximum).
    CHECK(fx.mul(-511, 511) == -511);
    // 3.99 * 1.0 = max exactly; a round-up at the maximum is suppressed.
    CHECK(fx.mul(511, 128) == 511);

    const FixedArith f16(k16);
    CHECK(f16.mul(1024, 1024) == 1024);    // 1 * 1
    CHECK(f16.mul(3, 512) == 2);           // 1.5 LSB
    CHECK(f16.mul(-3, 512) == -1);         // -1.5 LSB
    CHECK(f16.mul(32767, 2048) == 32767);  // 32 * 2 saturates
}

TEST_CASE("multiplier equals the RTL's bit slicing for every 8- and 10-bit pair", "[sparse][numerics]") {
    for (const FixedFormat f : {FixedFormat{8, 2}, FixedFormat{8, 0}, k10, FixedFormat{10, 3}}) {
        const FixedArith fx(f);
        uint64_t mismatches = 0;
        for (int32_t a = f.min_raw(); a <= f.max_raw(); ++a)
            for (int32_t b = f.min_raw(); b <= f.max_raw(); ++b)
                mismatches += fx.mul(a, b) != reference_mul(f, a, b);
        INFO(f.to_string());
        CHECK(mismatches == 0);
    }
}

TEST_CASE("multiplier equals the RTL's bit slicing on random wide operands", "[sparse][numerics]") {
    std::mt19937_64 rng(14);
    for (const FixedFormat f : {k12, k16, FixedFormat{24, 4}, FixedFormat{16, 0}}) {
        const FixedArith fx(f);
        std::uniform_int_distribution<int32_t> any(f.min_raw(), f.max_raw());
        uint64_t mismatches = 0;
        for (int i = 0; i < 200000; ++i) {
            const int32_t a = any(rng), b = any(rng);
            mismatches += fx.mul(a, b) != reference_mul(f, a, b);
        }
        INFO(f.to_string());
        CHECK(mismatches == 0);
    }
}

TEST_CASE("adder, negation, cost term, tree sum", "[sparse][numerics]") {
    const FixedArith fx(k10);
    CHECK(fx.add(500, 20) == 511);
    CHECK(fx.add(-500, -20) == -512);
    CHECK(fx.add(3, -5) == -2);
    CHECK(fx.add(511, -512) == -1);
    CHECK(fx.neg(-512) == 511);
    CHECK(fx.neg(5) == -5);
    CHECK(fx.neg(0) == 0);
    CHECK(fx.cost_term(100, true) == -28);  // a - 1
    CHECK(fx.cost_term(100, false) == 100);
    CHECK(fx.cost_term(1, true) == -127);
    const int32_t up[] = {300, 300, -50};
    CHECK(fx.neuron_sum(up, 3, 0) == 511);  // only the final sum saturates
    const int32_t down[] = {-300, -300};
    CHECK(fx.neuron_sum(down, 2, -1) == -512);
    // The tree is width + log2(fi) bits wide, so intermediate sums never saturate: 400 + 400 - 400 = 400.
    const int32_t mixed[] = {400, 400, -400, 0};
    CHECK(fx.neuron_sum(mixed, 4, 0) == 400);
    CHECK(fx.neuron_sum(mixed, 4, 200) == 511);
}

TEST_CASE("learning step: hand vectors and exact reference", "[sparse][numerics]") {
    const FixedArith fx(k10);
    CHECK(fx.learning_step(20, 4) == -2);    // -20/8 = -2.5 -> -2 (half up)
    CHECK(fx.learning_step(-20, 4) == 3);    // 2.5 -> 3
    CHECK(fx.learning_step(-21, 4) == 3);    // 2.625 -> 3
    CHECK(fx.learning_step(-19, 4) == 2);    // 2.375 -> 2
    CHECK(fx.learning_step(-512, 4) == 64);  // -min taken as max: 511/8 = 63.875 -> 64
    CHECK(fx.learning_step(37, 1) == -37);   // eta = 1: no shift
    CHECK(fx.learning_step(37, 0) == 0);     // etapos 0: no update
    CHECK(fx.learning_step(-1, 8) == 0);     // 1/128 LSB -> 0
    CHECK(fx.learning_step(-64, 8) == 1);    // 0.5 LSB -> 1
    for (const FixedFormat f : {k10, k12, k16}) {
        const FixedArith a(f);
        uint64_t mismatches = 0;
        for (int etapos = 0; etapos <= f.frac_bits() + 1; ++etapos)
            for (int32_t d = f.min_raw(); d <= f.max_raw(); ++d)
                mismatches += a.learning_step(d, etapos) != reference_step(f, d, etapos);
        INFO(f.to_string());
        CHECK(mismatches == 0);
    }
}

TEST_CASE("inputs and initial values", "[sparse][numerics]") {
    // layer_block.sv input_layer_block: an 8-bit input x is x/256, cut to frac_bits.
    CHECK(FixedArith(k10).input_activation(255) == 127);
    CHECK(FixedArith(k10).input_activation(1) == 0);
    CHECK(FixedArith(k10).input_activation(128) == 64);
    CHECK(FixedArith(k12).input_activation(255) == 255);
    CHECK(FixedArith(k16).input_activation(255) == 1020);
    CHECK(FixedArith(k16).input_activation(3, 4) == 192);  // a 4-bit input: 3/16
    const FixedArith fx(k10);
    CHECK(fx.from_double_floor(0.5) == 64);
    CHECK(fx.from_double_floor(-0.001) == -1);  // floor, as int() of the offset value in the script
    CHECK(fx.from_double_floor(0.0099) == 1);
    CHECK(fx.from_double_floor(5.0) == 511);    // clamped to 4 - 2^-7
    CHECK(fx.from_double_floor(-5.0) == -512);  // clamped to -4
}

TEST_CASE("sigmoid tables equal the authors' RTL tables", "[sparse][numerics]") {
    // act_functions.sv, the active "10-bit : 1,2,7" table (scripts/actlut_generator.py size 1024, 7-bit
    // words, maxdomain 4): address -> (sigmoid, sigmoid') as listed there.
    const ActivationUnit s10(k10, Activation::sigmoid);
    CHECK(s10.max_domain() == 4);
    CHECK(s10.lut_size() == 1024);
    const int32_t table10[][3] = {{-512, 2, 2},  {-502, 2, 2},  {-501, 3, 2}, {-499, 3, 2}, {-498, 3, 3},
                                  {-457, 4, 3},  {-454, 4, 3},  {-453, 4, 4}, {8, 66, 31},  {11, 67, 31},
                                  {15, 68, 31},  {56, 78, 31},  {57, 78, 30}, {64, 80, 30}, {74, 82, 29},
                                  {128, 94, 25}, {205, 107, 18}};
    for (const auto& e : table10) {
        INFO("address " << e[0]);
        CHECK(s10.sigmoid_entry(e[0]) == e[1]);
        CHECK(s10.prime_entry(e[0]) == e[2]);
        // With 10 bits the address is the whole input, and the whole range is inside the domain.
        CHECK(s10(e[0]).act == e[1]);
        CHECK(s10(e[0]).deriv == e[2]);
    }
    // The commented-out "8-bit : 1,2,5" table (size 256, 5-bit words, maxdomain 4).
    const ActivationUnit s8(FixedFormat{8, 2}, Activation::sigmoid);
    const int32_t table8[][3] = {{-128, 1, 1}, {-96, 2, 1}, {-94, 2, 2}, {-78, 3, 2}, {-62, 4, 4}, {0, 16, 7},
                                 {3, 17, 7},   {30, 23, 6}, {95, 30, 1}, {97, 31, 1}, {127, 31, 1}};
    for (const auto& e : table8) {
        INFO("8-bit address " << e[0]);
        CHECK(s8.sigmoid_entry(e[0]) == e[1]);
        CHECK(s8.prime_entry(e[0]) == e[2]);
    }
    // The last entries of the 12-bit-address table with 11-bit words (16-bit, 1.4.11, maxdomain 8).
    const ActivationUnit s16b(FixedFormat{16, 4}, Activation::sigmoid);
    CHECK(s16b.lut_size() == 4096);
    CHECK(s16b.sigmoid_entry(2047) == 2047);
    CHECK(s16b.prime_entry(2047) == 1);
    CHECK(s16b.sigmoid_entry(0x771) == 2047);
    CHECK(s16b.prime_entry(0x771) == 1);
}

TEST_CASE("sigmoid domain, addressing and floors", "[sparse][numerics]") {
    // 16-bit 1.5.10: maxdomain 8, 4096 entries, address = bits 13..2 of the input.
    const ActivationUnit s(k16, Activation::sigmoid);
    CHECK(s.max_domain() == 8);
    CHECK(s.lut_size() == 4096);
    CHECK(s(0).act == 512);                         // sigma(0) = 0.5
    CHECK(s(0).deriv == 255);                       // 1/4 does not fit 8 bits: all ones
    CHECK(s(3).act == s(0).act);                    // the two low bits are not part of the address
    CHECK(s(8191).act == 1023);                     // 7.999: last entry, inside the domain
    CHECK(s(8191).deriv == 0);                      // sigma'(8) * 1024 = 0.34 rounds to 0 inside the domain
    CHECK(s(8192).act == 1023);                     // 8.0 is outside: 1 - 2^-10
    CHECK(s(8192).deriv == 1);                      // and sigma' is floored at 1 LSB, not 0
    CHECK(s(-8192).act == s.sigmoid_entry(-2048));  // -8.0 is the first entry
    CHECK(s(-8193).act == 1);                       // below the domain: 1 LSB
    CHECK(s(-8193).deriv == 1);
    CHECK(s(-32768).act == 1);
    CHECK(s(32767).act == 1023);
    // 12-bit 1.3.8: sigma(-8) * 256 = 0.09 rounds to 0 inside the domain.
    const ActivationUnit s12(k12, Activation::sigmoid);
    CHECK(s12.lut_size() == 4096);
    CHECK(s12.sigmoid_entry(-2048) == 0);
    CHECK(s12(-2048).act == 0);
}

TEST_CASE("relu clamps and its derivative", "[sparse][numerics]") {
    const ActivationUnit r(k10, Activation::relu);
    CHECK(r(-5).act == 1);  // x <= 0: 1 LSB
    CHECK(r(-5).deriv == 1);
    CHECK(r(0).act == 1);
    CHECK(r(0).deriv == 1);
    CHECK(r(50).act == 50);
    CHECK(r(50).deriv == 127);  // about 1
    CHECK(r(127).act == 127);
    CHECK(r(128).act == 127);  // x >= 1: 1 - 2^-7
    CHECK(r(128).deriv == 1);
    CHECK(r(511).act == 127);
    CHECK(parse_activation("relu") == Activation::relu);
    CHECK_THROWS_WITH(parse_activation("tanh"), Catch::Contains("'tanh'"));
}
