// Interpolation rules: the published anchors come back exactly, widths between and beyond them follow the
// stated rules (hand-computed here from the table's numbers), and format names parse.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "common/error.h"
#include "energy/component_models.h"
#include "energy/technology.h"

using namespace trainvp::energy;
using trainvp::UserError;

namespace {

OperandType op(const std::string& s) {
    return parse_operand(s);
}

}  // namespace

TEST_CASE("the Horowitz anchors are reproduced exactly", "[energy][primitives]") {
    const TechTable t = reference_table();
    const Primitives p(t);
    // Horowitz, ISSCC 2014, 45 nm (research/papers.md 5.1).
    CHECK(p.int_add_energy(8) == 0.03);
    CHECK(p.int_add_energy(16) == 0.05);
    CHECK(p.int_add_energy(32) == 0.1);
    CHECK(p.int_add_area(8) == 36);
    CHECK(p.int_add_area(16) == 67);
    CHECK(p.int_add_area(32) == 137);
    CHECK(p.mult_energy(op("int8"), op("int8")) == 0.2);
    CHECK(p.mult_energy(op("fx32.16"), op("int32")) == 3.1);
    CHECK(p.mult_area(op("int8"), op("fx8.4")) == 282);
    CHECK(p.mult_area(op("int32"), op("int32")) == 3495);
    CHECK(p.add_energy(op("fp16")) == 0.4);
    CHECK(p.add_energy(op("fp32")) == 0.9);
    CHECK(p.add_area(op("fp16")) == 1360);
    CHECK(p.add_area(op("fp32")) == 4184);
    CHECK(p.mult_energy(op("fp16"), op("fp16")) == 1.1);
    CHECK(p.mult_energy(op("fp32"), op("fp32:sr")) == 3.7);
    CHECK(p.mult_area(op("fp16"), op("fp16")) == 1640);
    CHECK(p.mult_area(op("fp32"), op("fp32")) == 7700);
}

TEST_CASE("integer add is linear in the width, integer multiply in the product of the widths",
          "[energy][primitives]") {
    const TechTable t = reference_table();
    const Primitives p(t);
    // Between anchors: straight lines.
    CHECK(p.int_add_energy(24) == Approx(0.075));
    CHECK(p.int_add_energy(12) == Approx(0.04));
    CHECK(p.int_add_area(20) == Approx(67 + (137 - 67) * 4.0 / 16.0));
    // Beyond them: proportional to the width from the nearest anchor.
    CHECK(p.int_add_energy(48) == Approx(0.15));
    CHECK(p.int_add_energy(4) == Approx(0.015));
    // Multiply: linear in wa*wb between 8x8 = 64 (0.2 pJ) and 32x32 = 1024 (3.1 pJ), proportional beyond.
    CHECK(p.mult_energy(op("fx16.8"), op("fx16.8")) == Approx(0.2 + (256 - 64) * 2.9 / 960));
    CHECK(p.mult_energy(op("int8"), op("fx16.8")) == Approx(0.2 + (128 - 64) * 2.9 / 960));
    CHECK(p.mult_energy(op("fx21.10"), op("fx21.10")) == Approx(0.2 + (441 - 64) * 2.9 / 960));
    CHECK(p.mult_energy(op("fx13.6"), op("fx13.6")) == Approx(0.2 + (169 - 64) * 2.9 / 960));
    CHECK(p.mult_energy(op("fx4.2"), op("fx4.2")) == Approx(0.2 * 16 / 64));
    CHECK(p.mult_energy(op("fx48"), op("fx48")) == Approx(3.1 * 2304 / 1024));
    CHECK(p.mult_area(op("fx16.8"), op("fx16.8")) == Approx(282 + (256 - 64) * (3495 - 282) / 960.0));
}

TEST_CASE("floating point follows the significand and exponent widths", "[energy][primitives]") {
    const TechTable t = reference_table();
    const Primitives p(t);
    // Residuals after the exponent adder (int add of 5 bits for fp16 = 0.03 * 5/8, of 8 bits for fp32 =
    // 0.03).
    const double r16m = 1.1 - 0.03 * 5 / 8, r32m = 3.7 - 0.03;
    const double slope_m = (r32m - r16m) / (24.0 * 24 - 11.0 * 11);
    // bf16 (8-bit significand, 8-bit exponent): below the fp16 anchor, on the extended fp16-fp32 line.
    CHECK(p.mult_energy(op("bf16"), op("bf16")) == Approx(r16m + slope_m * (64 - 121) + 0.03));
    // fp8 E4M3: significand 4, exponent 4.
    CHECK(p.mult_energy(op("fp8e4m3"), op("fp8e4m3")) == Approx(r16m + slope_m * (16 - 121) + 0.03 * 4 / 8));
    // Mixed fixed x float (NeuroFlix-style): a 16-bit fixed operand is a 16-bit significand.
    CHECK(p.mult_energy(op("fx16.8"), op("bf16")) == Approx(r16m + slope_m * (128 - 121) + 0.03));
    // Add: residual linear in m log2 m.
    const double r16a = 0.4 - 0.03 * 5 / 8, r32a = 0.9 - 0.03;
    const double x16 = 11 * std::log2(11.0), x32 = 24 * std::log2(24.0), x8 = 8 * std::log2(8.0);
    CHECK(p.add_energy(op("bf16")) == Approx(r16a + (r32a - r16a) * (x8 - x16) / (x32 - x16) + 0.03));
    // Monotonic in the format size.
    CHECK(p.mult_energy(op("fp8e5m2"), op("fp8e5m2")) < p.mult_energy(op("bf16"), op("bf16")));
    CHECK(p.mult_energy(op("bf16"), op("bf16")) < p.mult_energy(op("fp16"), op("fp16")));
    CHECK(p.add_area(op("bf16")) < p.add_area(op("fp16")));
    // Integer formats never use the floating-point tables, and the other way round.
    CHECK(p.add_energy(op("fx16.4")) == 0.05);
}

TEST_CASE("SRAM energy and area interpolate the CACTI anchors in capacity and word width",
          "[energy][primitives]") {
    const TechTable t = reference_table();
    const Primitives p(t);
    // The anchors themselves.
    CHECK(p.sram_read_energy({4096, 4}) == Approx(3.918).epsilon(1e-12));
    CHECK(p.sram_write_energy({4096, 4}) == Approx(3.605).epsilon(1e-12));
    CHECK(p.sram_read_energy({131072, 8}) == Approx(75.22).epsilon(1e-12));
    CHECK(p.sram_area({131072, 8}) == Approx(1162549).epsilon(1e-12));
    CHECK(p.sram_area({4096, 4}) == Approx(23027.4).epsilon(1e-12));
    // Width rule: 0.3 + 0.7 x width / anchor width.
    const double e4k_w8 = 3.918 * (0.3 + 0.7 * 8 / 4);
    CHECK(p.sram_read_energy({4096, 8}) == Approx(e4k_w8));
    // Log-log between the anchors (both at 8-byte words): 16 KiB is 2/5 of the way from 4 KiB to 128 KiB.
    CHECK(p.sram_read_energy({16384, 8}) == Approx(e4k_w8 * std::pow(75.22 / e4k_w8, 2.0 / 5.0)));
    CHECK(p.sram_area({16384, 8}) == Approx(23027.4 * std::pow(1162549 / 23027.4, 2.0 / 5.0)));
    // Area does not depend on the word width; beyond the anchors the end segment continues.
    CHECK(p.sram_area({16384, 64}) == p.sram_area({16384, 8}));
    CHECK(p.sram_area({262144, 8}) == Approx(1162549 * std::pow(1162549 / 23027.4, 1.0 / 5.0)));
    CHECK(p.sram_read_energy({8192, 4}) < p.sram_read_energy({16384, 4}));
}

TEST_CASE("format names parse into significand and exponent widths", "[energy][primitives]") {
    const OperandType fx = op("fx16.12:sr");
    CHECK(!fx.floating);
    CHECK(fx.width == 16);
    CHECK(fx.significand == 16);
    CHECK(fx.exponent == 0);
    CHECK(fx.name == "fx16.12");
    CHECK(op("fx8.-2").width == 8);
    CHECK(op("fx48").width == 48);
    CHECK(op("int8@-7").width == 8);
    CHECK(op("bf16").significand == 8);
    CHECK(op("bf16").exponent == 8);
    CHECK(op("fp16").significand == 11);
    CHECK(op("fp8e4m3").significand == 4);
    CHECK(op("fp8e5m2").exponent == 5);
    for (const char* bad : {"fx", "fx0", "fx16.a", "fp64", "int", "x16", "fx200", ""}) {
        INFO(bad);
        CHECK_THROWS_AS(op(bad), UserError);
    }
    const auto [a, b] = parse_operand_pair("fx16.14xfx16.10");
    CHECK(a.name == "fx16.14");
    CHECK(b.name == "fx16.10");
    const auto [c, d] = parse_operand_pair("fp8e4m3xfx8.-2");
    CHECK(c.name == "fp8e4m3");
    CHECK(d.name == "fx8.-2");
    CHECK(parse_operand_pair("int8@-7xbf16").second.name == "bf16");
    CHECK_THROWS_AS(parse_operand_pair("fx16.14"), UserError);
    CHECK_THROWS_AS(parse_operand_pair("fx16xfoo"), UserError);
}
