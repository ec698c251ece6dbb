// The int8 max-code record (docs/accelerator.md "int8 maxima"): a descriptor with addr_int8_max writes,
// after its last store, the largest |code| the DMA stored into each int8 output, numbered as the
// stochastic-rounding outputs. Hand-computed cases, tiling, cost, and the address checks.
#include <catch2/catch.hpp>

#include "accel_bench.h"

using namespace trainvp;
using namespace trainvp::test;

namespace {

accel_int8_max read_record(AccelBench& b, uint32_t addr) {
    accel_int8_max r{};
    b.mem.read(addr - kDram, &r, sizeof r);
    return r;
}

uint32_t record_area(AccelBench& b) {
    // Filled with a pattern, so that a record the hardware did not write shows.
    const std::vector<uint8_t> junk(sizeof(accel_int8_max), 0xa5);
    return b.put_bytes(junk.data(), junk.size());
}

accel_desc copy_desc(AccelBench& b, const std::vector<float>& x, const num::Format& to, uint32_t& y) {
    const num::Format fp32;
    y = b.alloc(x.size());
    accel_desc d{};
    d.opcode = ACCEL_OP_DMA_COPY;
    d.count = static_cast<uint32_t>(x.size());
    d.addr_x = b.put(x, fp32);
    d.fmt[ACCEL_OPND_X] = code(fp32);
    d.addr_y = y;
    d.fmt[ACCEL_OPND_Y] = code(to);
    return d;
}

}  // namespace

TEST_CASE("DMA_COPY into int8 records the largest code, saturated codes included", "[accel][int8]") {
    AccelBench b;
    b.run([&] {
        b.setup_ring();
        const num::Format q = num::Format::int8_scaled(-2);  // steps of 0.25
        uint32_t y = 0;
        // 0.5 -> 2, -3.25 -> -13, 1.0 -> 4, 0 -> 0: the largest |code| is 13.
        accel_desc d = copy_desc(b, {0.5f, -3.25f, 1.0f, 0.0f}, q, y);
        d.addr_int8_max = record_area(b);
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        accel_int8_max r = read_record(b, d.addr_int8_max);
        CHECK(r.max_code[0] == 13);
        CHECK(r.max_code[1] == 0);
        CHECK(r.max_code[2] == 0);
        CHECK(r.int8_outputs == 1u);
        // -40 saturates to code -128 (|code| 128), 40 to 127.
        d = copy_desc(b, {40.0f, 0.25f}, q, y);
        d.addr_int8_max = record_area(b);
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        CHECK(read_record(b, d.addr_int8_max).max_code[0] == 127);
        d = copy_desc(b, {0.25f, -40.0f}, q, y);
        d.addr_int8_max = record_area(b);
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        CHECK(read_record(b, d.addr_int8_max).max_code[0] == 128);
        // An fp32 output: a record of zeros.
        d = copy_desc(b, {0.5f, 3.0f}, num::Format{}, y);
        d.addr_int8_max = record_area(b);
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        r = read_record(b, d.addr_int8_max);
        CHECK((r.max_code[0] | r.max_code[1] | r.max_code[2] | r.int8_outputs) == 0);
    });
}

TEST_CASE("FC_WGRAD records dw and db as outputs 0 and 1, SGD_UPDATE the working weights as output 2",
          "[accel][int8]") {
    AccelBench b;
    b.run([&] {
        b.setup_ring();
        const num::Format fp32, dw_fmt = num::Format::int8_scaled(-3);  // steps of 0.125
        // One sample, two inputs, one output: dw = g x = [0.5, -0.75] (codes 4, -6), db = g = 1 (code 8).
        const uint32_t dw = b.alloc(2), db = b.alloc(1);
        accel_desc d{};
        d.opcode = ACCEL_OP_FC_WGRAD;
        d.flags = ACCEL_FLAG_HAS_BIAS;
        d.batch = 1;
        d.fc_in = 2;
        d.fc_out = 1;
        d.addr_g = b.put({1.0f}, fp32);
        d.addr_x = b.put({0.5f, -0.75f}, fp32);
        d.addr_dw = dw;
        d.addr_db = db;
        d.fmt[ACCEL_OPND_G] = d.fmt[ACCEL_OPND_X] = code(fp32);
        d.fmt[ACCEL_OPND_DW] = code(dw_fmt);
        d.addr_int8_max = record_area(b);
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        REQUIRE(b.get(dw, 2, dw_fmt) == std::vector<float>{0.5f, -0.75f});
        accel_int8_max r = read_record(b, d.addr_int8_max);
        CHECK(r.max_code[0] == 6);
        CHECK(r.max_code[1] == 8);
        CHECK(r.max_code[2] == 0);
        CHECK(r.int8_outputs == 3u);

        // master [1, -2] with a zero gradient stays; w = master in int8 steps of 1/16: codes 16, -32.
        const num::Format w_fmt = num::Format::int8_scaled(-4);
        accel_desc s{};
        s.opcode = ACCEL_OP_SGD_UPDATE;
        s.count = 2;
        s.batch = 1;
        s.lr = 0.1;
        s.addr_dw = b.put({0.0f, 0.0f}, fp32);
        s.addr_master = b.put({1.0f, -2.0f}, fp32);
        s.addr_w = b.alloc(2);
        s.fmt[ACCEL_OPND_DW] = s.fmt[ACCEL_OPND_MASTER] = code(fp32);
        s.fmt[ACCEL_OPND_W] = code(w_fmt);
        s.addr_int8_max = record_area(b);
        REQUIRE(b.submit(s) == ACCEL_IRQ_DONE);
        r = read_record(b, s.addr_int8_max);
        CHECK(r.max_code[0] == 0);  // the fp32 master copy
        CHECK(r.max_code[2] == 32);
        CHECK(r.int8_outputs == 4u);
    });
}

TEST_CASE("the record covers every tile, costs a DMA write and one compare per code", "[accel][int8]") {
    AccelBench b(small_buffers(1024));
    b.run([&] {
        b.setup_ring();
        const num::Format q = num::Format::int8_scaled(0);
        std::vector<float> x(3000, 1.0f);
        x[2999] = -77.0f;  // in the last tile
        x[10] = 50.0f;
        uint32_t y = 0;
        accel_desc d = copy_desc(b, x, q, y);
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);  // ring slot 0: its fetch is one burst
        const accel::PhaseStats plain = b.acc.stats().last()->stats;
        REQUIRE(plain.tiles > 1);
        accel_desc nop{};
        REQUIRE(b.submit(nop) == ACCEL_IRQ_DONE);  // slot 1 crosses a burst boundary; slot 2 does not
        d.addr_int8_max = record_area(b);
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        const accel::PhaseStats rec = b.acc.stats().last()->stats;
        CHECK(read_record(b, d.addr_int8_max).max_code[0] == 77);
        CHECK(rec.dram_write_bytes == plain.dram_write_bytes + sizeof(accel_int8_max));
        CHECK(rec.actions.dma_bursts == plain.actions.dma_bursts + 1);
        CHECK(rec.cycles > plain.cycles);
        CHECK(rec.actions.vector_ops.at("cmp:" + q.to_string()) == x.size());
        CHECK(plain.actions.vector_ops.count("cmp:" + q.to_string()) == 0);
    });
}

TEST_CASE("a misaligned or out-of-window record address is refused before the descriptor runs",
          "[accel][int8]") {
    AccelBench b;
    b.run([&] {
        b.setup_ring();
        uint32_t y = 0;
        accel_desc d = copy_desc(b, {1.0f, 2.0f}, num::Format::int8_scaled(-1), y);
        d.addr_int8_max = record_area(b) + 2;
        REQUIRE(b.submit(d) == ACCEL_IRQ_ERROR);
        CHECK(b.reg(ACCEL_REG_ERR_CODE) == ACCEL_ERR_MISALIGNED);
        CHECK(b.reg(ACCEL_REG_ERR_ADDR) == d.addr_int8_max);
        b.set_reg(ACCEL_REG_CTRL, ACCEL_CTRL_SOFT_RESET);
        b.setup_ring();
        const AcceleratorConfig& cfg = b.acc.config();
        d.addr_int8_max = static_cast<uint32_t>(cfg.dram_base + cfg.dram_size - 8);
        REQUIRE(b.submit(d) == ACCEL_IRQ_ERROR);
        CHECK(b.reg(ACCEL_REG_ERR_CODE) == ACCEL_ERR_ADDR_RANGE);
        CHECK(b.reg(ACCEL_REG_ERR_ADDR) == d.addr_int8_max);
    });
}
