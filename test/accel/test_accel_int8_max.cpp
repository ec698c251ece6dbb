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

namespace {

// The largest |code| of n int8 codes stored at addr, read back from DRAM.
uint32_t stored_max_code(AccelBench& b, uint32_t addr, size_t n) {
    std::vector<int8_t> codes(n);
    b.mem.read(addr - kDram, codes.data(), n);
    uint32_t m = 0;
    for (int8_t c : codes) m = std::max<uint32_t>(m, static_cast<uint32_t>(c < 0 ? -int{c} : int{c}));
    return m;
}

}  // namespace

// The auxiliary core's outputs the training firmware measures for graphs (train_scales.c): an add layer's
// sum and a layer's summed error (ADD), a norm layer's output (NORM_FWD) and its input error (NORM_BWD,
// whose fp32 gamma and beta gradients stay out of the record); with buffers small enough to split the batch.
TEST_CASE("ADD, NORM_FWD and NORM_BWD record their int8 outputs", "[accel][int8][aux]") {
    AccelBench b(small_buffers(1024));
    b.run([&] {
        b.setup_ring();
        const num::Format fp32, q = num::Format::int8_scaled(-2);  // steps of 0.25
        // ADD: 0.5 + 0.25 -> code 3, -1.25 - 2 -> -13, 2 + 1 -> 12: the largest |code| is 13.
        accel_desc a{};
        a.opcode = ACCEL_OP_ADD;
        a.count = 3;
        a.addr_x = b.put({0.5f, -1.25f, 2.0f}, fp32);
        a.addr_g = b.put({0.25f, -2.0f, 1.0f}, fp32);
        a.addr_y = b.alloc(3);
        a.fmt[ACCEL_OPND_X] = a.fmt[ACCEL_OPND_G] = code(fp32);
        a.fmt[ACCEL_OPND_Y] = code(q);
        a.addr_int8_max = record_area(b);
        REQUIRE(b.submit(a) == ACCEL_IRQ_DONE);
        accel_int8_max r = read_record(b, a.addr_int8_max);
        CHECK(r.max_code[0] == 13);
        CHECK(r.int8_outputs == 1u);

        // A norm layer of 4 samples, 4 channels in 2 groups, 4 x 4, int8 output and input error.
        std::mt19937 rng(5);
        const uint32_t N = 4, C = 4, G = 2, H = 4, W = 4;
        const size_t n = size_t{N} * C * H * W;
        const num::Format fy = num::Format::int8_scaled(-5), fdx = num::Format::int8_scaled(-6);
        accel_desc d{};
        d.opcode = ACCEL_OP_NORM_FWD;
        d.batch = N, d.in_channels = C, d.in_rows = H, d.in_cols = W, d.out_channels = G;
        d.fmt[ACCEL_OPND_X] = d.fmt[ACCEL_OPND_W] = d.fmt[ACCEL_OPND_G] = d.fmt[ACCEL_OPND_DW] = code(fp32);
        d.fmt[ACCEL_OPND_Y] = code(fy), d.fmt[ACCEL_OPND_DX] = code(fdx);
        d.addr_x = b.put(random_values(rng, n, fp32, 3.0), fp32);
        d.addr_w = b.put(random_values(rng, C, fp32, 1.5), fp32);
        d.addr_b = b.put(random_values(rng, C, fp32), fp32);
        d.addr_g = b.put(random_values(rng, n, fp32, 0.5), fp32);
        d.addr_y = b.alloc(n), d.addr_dx = b.alloc(n);
        d.addr_aux = b.alloc(sizeof(accel_norm_stats) * N * G);
        d.addr_dw = b.alloc(4 * C), d.addr_db = b.alloc(4 * C);
        d.addr_int8_max = record_area(b);
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        CHECK(b.acc.stats().last()->stats.tiles > 1);
        r = read_record(b, d.addr_int8_max);
        const uint32_t y_max = stored_max_code(b, d.addr_y, n);
        CHECK(y_max > 0);
        CHECK(r.max_code[0] == y_max);
        CHECK(r.int8_outputs == 1u);

        d.opcode = ACCEL_OP_NORM_BWD;
        d.addr_int8_max = record_area(b);
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        r = read_record(b, d.addr_int8_max);
        const uint32_t dx_max = stored_max_code(b, d.addr_dx, n);
        CHECK(dx_max > 0);
        CHECK(r.max_code[0] == dx_max);
        CHECK(r.max_code[1] == 0);
        CHECK(r.int8_outputs == 1u);
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
