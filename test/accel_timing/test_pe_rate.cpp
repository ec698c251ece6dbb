// Products per PE per cycle of the brick PE for operand format pairs (hand-computed from the brick rule of
// docs/accelerator-timing.md "Brick PE"), and what a rate does to the analytic array timing.
#include <catch2/catch.hpp>

#include "accel/array_timing.h"
#include "accel/pe_config.h"
#include "common/config_field.h"

using namespace trainvp;
using namespace trainvp::timing;
using num::Format;
using num::FormatKind;

namespace {

PeConfig bricks(uint32_t b, uint32_t n) {
    PeConfig pe;
    pe.kind = kern::MacArith::bricks;
    pe.brick_bits = b;
    pe.bricks = n;
    return pe;
}

const Format fx4 = Format::fixed_point(4, 2), fx8 = Format::fixed_point(8, 6),
             fx16 = Format::fixed_point(16, 12);
const Format fp16 = Format::of_kind(FormatKind::fp16), e4m3 = Format::of_kind(FormatKind::fp8_e4m3),
             e5m2 = Format::of_kind(FormatKind::fp8_e5m2), bf16 = Format::of_kind(FormatKind::bf16);

}  // namespace

TEST_CASE("brick operand widths: fixed point its width, floats their significand", "[pe]") {
    CHECK(brick_operand_bits(fx4) == 4);
    CHECK(brick_operand_bits(fx16) == 16);
    CHECK(brick_operand_bits(Format::int8_scaled(-7)) == 8);
    CHECK(brick_operand_bits(fp16) == 11);
    CHECK(brick_operand_bits(bf16) == 8);
    CHECK(brick_operand_bits(e4m3) == 4);
    CHECK(brick_operand_bits(e5m2) == 3);
}

TEST_CASE("brick PE throughput per format pair", "[pe]") {
    // Four 4-bit bricks (an 8 x 8 multiplier cut in four).
    const PeConfig q = bricks(4, 4);
    auto rate = [](const PeConfig& pe, const Format& a, const Format& b) {
        const PeRate r = pe_rate(pe, a, b);
        return std::make_pair(r.products, r.cycles);
    };
    CHECK(rate(q, fx4, fx4) == std::make_pair(4u, 1u));    // 1 brick each: 4 products per cycle
    CHECK(rate(q, fx8, fx4) == std::make_pair(2u, 1u));    // 2 x 1 bricks
    CHECK(rate(q, fx8, fx8) == std::make_pair(1u, 1u));    // 2 x 2
    CHECK(rate(q, fp16, fx8) == std::make_pair(1u, 2u));   // 3 x 2 = 6 bricks: two cycles per product
    CHECK(rate(q, fp16, fx4) == std::make_pair(1u, 1u));   // 3 x 1: one product, one brick idle
    CHECK(rate(q, fx16, fp16) == std::make_pair(1u, 3u));  // 4 x 3 = 12 bricks: three cycles
    CHECK(rate(q, e5m2, fx4) == std::make_pair(4u, 1u));   // 3-bit significand on one brick
    CHECK(rate(q, e4m3, fx8) == std::make_pair(2u, 1u));
    // Bit Fusion's Fusion Unit: sixteen 2-bit bricks give 16 / 4 / 1 products at 2 / 4 / 8 bits (papers.md
    // §2.3). fx formats start at 4 bits; int8 is 8.
    const PeConfig bf = bricks(2, 16);
    CHECK(rate(bf, fx4, fx4) == std::make_pair(4u, 1u));
    CHECK(rate(bf, Format::int8_scaled(0), Format::int8_scaled(0)) == std::make_pair(1u, 1u));
    CHECK(rate(bf, Format::int8_scaled(0), fx4) == std::make_pair(2u, 1u));
    CHECK(rate(bf, fp16, fx8) == std::make_pair(1u, 2u));  // 6 x 4 = 24 bricks
    CHECK(pe_rate(bf, fp16, fx8).bricks_per_product == 24);
    // The uniform PE: one product per cycle whatever the formats.
    const PeConfig u;
    CHECK(rate(u, bf16, bf16) == std::make_pair(1u, 1u));
    CHECK(rate(u, fx4, fx4) == std::make_pair(1u, 1u));
}

TEST_CASE("brick PE refuses floats it cannot align", "[pe]") {
    CHECK_THROWS_WITH(pe_rate(bricks(4, 4), bf16, fx8), Catch::Contains("not bf16 by fx8.6"));
    PeConfig small = bricks(4, 4);
    small.float_max = e4m3;
    CHECK(pe_pair_error(small, e4m3, fx8).empty());
    CHECK_THAT(pe_pair_error(small, fp16, fx8), Catch::Contains("floats up to fp8e4m3"));
    CHECK_THAT(pe_pair_error(small, e5m2, fx8), Catch::Contains("not fp8e5m2"));  // wider exponent range
}

TEST_CASE("brick PE configuration is validated", "[pe]") {
    PeConfig pe = bricks(4, 4);
    // One aligned fp16 brick product: 2 x 4 bits, a shift of up to 29, a sign: 38 bits.
    CHECK(pe.min_brick_acc_bits() == 38);
    pe.brick_acc_bits = 37;
    CHECK_THROWS_WITH(pe.validate(),
                      Catch::Contains("accelerator.pe.brick_acc_bits") && Catch::Contains("38"));
    pe.brick_acc_bits = 38;
    CHECK_NOTHROW(pe.validate());
    pe.float_max = bf16;
    CHECK_THROWS_WITH(pe.validate(), Catch::Contains("accelerator.pe.float_max"));
    pe = bricks(0, 4);
    CHECK_THROWS_WITH(pe.validate(), Catch::Contains("accelerator.pe.brick_bits"));
}

TEST_CASE("PE rate in the analytic array timing", "[pe]") {
    ArrayConfig cfg;
    cfg.rows = cfg.cols = 4;
    const TimingParams ideal = TimingParams::ideal();
    // One fold of 2r + c + T - 2 on a 4 x 4 array; T is K (os), N (ws) or M (is), the other two fill it.
    const struct {
        Dataflow d;
        uint64_t m, n, k, t;
    } cases[] = {{Dataflow::output_stationary, 4, 4, 16, 16},
                 {Dataflow::weight_stationary, 4, 16, 4, 16},
                 {Dataflow::input_stationary, 16, 4, 4, 16}};
    for (const auto& c : cases) {
        cfg.dataflow = c.d;
        GemmShape s;
        s.m = c.m, s.n = c.n, s.k = c.k;
        CHECK(analytic_gemm(s, cfg, ideal, BufferBandwidth::ideal()).total_cycles == 8 + 4 + c.t - 2);
        GemmShape fast = s;
        fast.products_per_cycle = 4;  // T in steps of 4 elements: 16 -> 4 steps
        CHECK(analytic_gemm(fast, cfg, ideal, BufferBandwidth::ideal()).total_cycles == 8 + 4 + 4 - 2);
        fast.products_per_cycle = 3;  // 16 -> 6 steps
        CHECK(analytic_gemm(fast, cfg, ideal, BufferBandwidth::ideal()).total_cycles == 8 + 4 + 6 - 2);
        GemmShape slow = s;
        slow.cycles_per_product = 2;  // every step takes two cycles
        const GemmTiming t = analytic_gemm(slow, cfg, ideal, BufferBandwidth::ideal());
        CHECK(t.total_cycles == 2 * (8 + 4 + c.t - 2));
        CHECK(t.stream_cycles == 2 * c.t);
        CHECK(t.macs == 4 * 4 * 16);
    }
    GemmShape s;
    s.m = 4, s.n = 4, s.k = 16;
    // Buffer traffic counts elements, whatever the rate.
    cfg.dataflow = Dataflow::output_stationary;
    GemmShape fast = s;
    fast.products_per_cycle = 4;
    const GemmTiming a = analytic_gemm(s, cfg, ideal, BufferBandwidth::ideal()),
                     b = analytic_gemm(fast, cfg, ideal, BufferBandwidth::ideal());
    CHECK(a.a_read_bytes == b.a_read_bytes);
    CHECK(a.b_read_bytes == b.b_read_bytes);
    GemmShape bad = s;
    bad.products_per_cycle = 2, bad.cycles_per_product = 2;
    CHECK_THROWS(analytic_gemm(bad, cfg, ideal, BufferBandwidth::ideal()));
}

TEST_CASE("PE rate: a step of several products reads several elements per lane", "[pe]") {
    // Output stationary, 1 x 1 array, K = 8, 2-byte elements, a and b buffers of one bank of 2-byte words:
    // at 1 product per cycle each step reads one word per buffer (no stall); at 4 products per cycle a step
    // reads 4 words from one bank, 3 extra cycles per step over 2 steps.
    ArrayConfig cfg;
    cfg.rows = cfg.cols = 1;
    GemmShape s;
    s.m = s.n = 1, s.k = 8;
    BufferBandwidth bw;
    bw.a = bw.b = BufferPort{1, 2, 1};
    bw.c = BufferPort{8, 8, 1};
    const TimingParams ideal = TimingParams::ideal();
    CHECK(analytic_gemm(s, cfg, ideal, bw).stall_cycles() == 0);
    s.products_per_cycle = 4;
    const GemmTiming t = analytic_gemm(s, cfg, ideal, bw);
    CHECK(t.stall_cycles() == 2 * 3);
    // 4-byte elements: two words per step, one extra cycle in each of the 8 streaming steps; a PE of two
    // cycles per product gives every step the time for both.
    s.products_per_cycle = 1, s.a_bytes = 4;
    CHECK(analytic_gemm(s, cfg, ideal, bw).stall_cycles() == 8);
    s.cycles_per_product = 2;
    CHECK(analytic_gemm(s, cfg, ideal, bw).stall_cycles() == 0);
}
