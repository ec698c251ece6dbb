// Guest errors: each gives its error code, the faulting address, the error interrupt and a warning; the
// simulation continues and CTRL.SOFT_RESET brings the accelerator back to its reset state.
#include "accel_bench.h"

using namespace trainvp;
using namespace trainvp::test;

namespace {

// A valid FC forward descriptor on tensors the bench allocated.
accel_desc fc_desc(AccelBench& b) {
    const num::Format f = num::Format::parse("fx16.8");
    accel_desc d{};
    d.opcode = ACCEL_OP_FC_FWD;
    d.batch = 2, d.fc_in = 8, d.fc_out = 4;
    for (int i = 0; i < 7; ++i) d.fmt[i] = code(f);
    d.addr_x = b.put(std::vector<float>(16, 0.5f), f);
    d.addr_w = b.put(std::vector<float>(32, 0.25f), f);
    d.addr_y = b.alloc(8 * 2);
    return d;
}

struct Expect {
    uint32_t code;
    uint64_t address;
};

// Submits `d`, expects the error interrupt with `e`, then resets and checks that the accelerator works again.
void expect_error(AccelBench& b, const accel_desc& d, Expect e) {
    const uint64_t desc_addr = kRing + uint64_t{b.tail} * ACCEL_DESC_BYTES;
    REQUIRE(b.submit(d) == ACCEL_IRQ_ERROR);
    CHECK(b.reg(ACCEL_REG_ERR_CODE) == e.code);
    CHECK(b.reg(ACCEL_REG_ERR_ADDR) == static_cast<uint32_t>(e.address ? e.address : desc_addr));
    CHECK((b.reg(ACCEL_REG_STATUS) & ACCEL_STATUS_ERROR) != 0);
    CHECK(b.reg(ACCEL_REG_RING_HEAD) ==
          (b.tail + kRingSize - 1) % kRingSize);  // the failed one is not consumed
    b.set_reg(ACCEL_REG_CTRL, ACCEL_CTRL_SOFT_RESET);
    CHECK(b.reg(ACCEL_REG_STATUS) == ACCEL_STATUS_IDLE);
    CHECK(b.reg(ACCEL_REG_ERR_CODE) == 0);
    CHECK(b.reg(ACCEL_REG_RING_SIZE) == 0);
    b.setup_ring();
    REQUIRE(b.submit(fc_desc(b)) == ACCEL_IRQ_DONE);
}

}  // namespace

TEST_CASE("descriptor errors give their code, address and interrupt, and reset recovers", "[accel][errors]") {
    AcceleratorConfig cfg = small_buffers(4096);
    cfg.supported_formats &= ~(1u << ACCEL_FMT_KIND_FP8E5M2);
    cfg.dram_size = 16u << 20;
    AccelBench b(cfg);
    b.run([&] {
        b.setup_ring();
        accel_desc d = fc_desc(b);
        d.opcode = 0x7e;
        expect_error(b, d, {ACCEL_ERR_UNKNOWN_OPCODE, 0});
        d = fc_desc(b);
        d.addr_w += 2;  // 16-bit containers need 2-byte alignment: +2 is fine, +1 is not
        d.addr_x += 1;
        expect_error(b, d, {ACCEL_ERR_MISALIGNED, d.addr_x});
        d = fc_desc(b);
        d.addr_y = static_cast<uint32_t>(kDram + (16u << 20) - 4);  // runs past the DRAM window
        expect_error(b, d, {ACCEL_ERR_ADDR_RANGE, d.addr_y});
        d = fc_desc(b);
        d.addr_x = 0x1000;  // below the window
        expect_error(b, d, {ACCEL_ERR_ADDR_RANGE, 0x1000});
        d = fc_desc(b);
        d.fc_in = 0;
        expect_error(b, d, {ACCEL_ERR_SHAPE, 0});
        d = fc_desc(b);
        d.fc_out = 70000;  // beyond CAP_MAX_DIM
        expect_error(b, d, {ACCEL_ERR_SHAPE, 0});
        d = fc_desc(b);  // one 64 x 64 input plane does not fit half of the 4 KiB activation buffer
        d.opcode = ACCEL_OP_CONV_FWD;
        d.batch = 1, d.in_channels = 1, d.in_rows = d.in_cols = 64, d.out_channels = 1, d.kernel = 3,
        d.stride = 1;
        d.addr_x = b.alloc(64 * 64 * 2), d.addr_y = b.alloc(62 * 62 * 2);
        expect_error(b, d, {ACCEL_ERR_SHAPE, 0});
        d = fc_desc(b);
        d.fmt[ACCEL_OPND_W] = 7;  // kind 7 does not exist
        expect_error(b, d, {ACCEL_ERR_FORMAT, 0});
        d = fc_desc(b);
        d.fmt[ACCEL_OPND_Y] = ACCEL_FMT(ACCEL_FMT_KIND_FP8E5M2, ACCEL_RND_RNE, 0, 0);  // not in CAP_FORMATS
        expect_error(b, d, {ACCEL_ERR_FORMAT, 0});
        d = fc_desc(b);
        d.acc_bits = 60;
        expect_error(b, d, {ACCEL_ERR_BAD_ARGUMENT, 0});
        d = fc_desc(b);
        d.reserved[1] = 1;
        expect_error(b, d, {ACCEL_ERR_BAD_ARGUMENT, 0});
        d = fc_desc(b);
        d.sr_index_base = 1;  // only DMA_COPY has an element index base
        expect_error(b, d, {ACCEL_ERR_BAD_ARGUMENT, 0});
        // A label outside the classes: the address of that label.
        const uint8_t labels[3] = {1, 9, 2};
        d = accel_desc{};
        d.opcode = ACCEL_OP_SOFTMAX_XENT;
        d.batch = 3, d.fc_out = 4;
        d.addr_x = b.put(std::vector<float>(12, 0.0f), num::Format{});
        d.addr_labels = b.put_bytes(labels, 3);
        d.addr_aux = b.alloc(16);
        expect_error(b, d, {ACCEL_ERR_BAD_LABEL, d.addr_labels + 1});
    });
}

namespace {
std::vector<std::string> g_warnings;
void keep_warnings(const sc_core::sc_report& r, const sc_core::sc_actions&) {
    if (r.get_severity() == sc_core::SC_WARNING) g_warnings.push_back(r.get_msg());
}
}  // namespace

TEST_CASE("a SHAPE error from the tile plan names the descriptor's opcode, layer and samples",
          "[accel][errors]") {
    sc_core::sc_report_handler::set_handler(keep_warnings);
    AccelBench b(small_buffers(4096));
    b.run([&] {
        b.setup_ring();
        accel_desc d =
            fc_desc(b);  // one 64 x 64 input plane does not fit half of the 4 KiB activation buffer
        d.opcode = ACCEL_OP_CONV_FWD;
        d.layer_id = 7;
        d.batch = 1, d.in_channels = 1, d.in_rows = d.in_cols = 64, d.out_channels = 1, d.kernel = 3,
        d.stride = 1;
        d.addr_x = b.alloc(64 * 64 * 2), d.addr_y = b.alloc(62 * 62 * 2);
        expect_error(b, d, {ACCEL_ERR_SHAPE, 0});
    });
    REQUIRE(g_warnings.size() == 1);
    CHECK_THAT(g_warnings[0],
               Catch::Contains("error SHAPE (4) at 0x") &&
                   Catch::Contains(": CONV_FWD of layer 7 on 1 samples: one sample, one channel"));
}

TEST_CASE("DMA error responses stop the queue with DMA_BUS and the burst address", "[accel][errors][dma]") {
    AcceleratorConfig cfg;  // the DMA window covers 2 GiB but only 1 MiB of DRAM is mapped: a hole above it
    AccelBench b(cfg, dram_config(1u << 20));
    b.run([&] {
        b.setup_ring();
        accel_desc d = fc_desc(b);
        d.addr_w = static_cast<uint32_t>(kDram + (1u << 20) - 32);  // starts mapped, runs into the hole
        expect_error(b, d, {ACCEL_ERR_DMA_BUS, kDram + (1u << 20)});
        d = fc_desc(b);
        d.addr_y = static_cast<uint32_t>(kDram + (4u << 20));  // output write into the hole
        expect_error(b, d, {ACCEL_ERR_DMA_BUS, kDram + (4u << 20)});
        // A ring in the hole: the descriptor fetch fails.
        b.set_reg(ACCEL_REG_RING_BASE, static_cast<uint32_t>(kDram + (8u << 20)));
        const uint32_t head = b.reg(ACCEL_REG_RING_HEAD);
        b.set_reg(ACCEL_REG_DOORBELL, 1);
        CHECK(b.wait_irq() == ACCEL_IRQ_ERROR);
        CHECK(b.reg(ACCEL_REG_ERR_CODE) == ACCEL_ERR_DMA_BUS);
        CHECK(b.reg(ACCEL_REG_ERR_ADDR) == kDram + (8u << 20) + head * ACCEL_DESC_BYTES);
    });
}

TEST_CASE("ring errors: not configured, invalid tail, full queue, config write while busy",
          "[accel][errors][ring]") {
    AccelBench b;
    b.run([&] {
        b.set_reg(ACCEL_REG_IRQ_ENABLE, ACCEL_IRQ_DONE | ACCEL_IRQ_ERROR);
        b.set_reg(ACCEL_REG_DOORBELL, 1);
        CHECK(b.wait_irq() == ACCEL_IRQ_ERROR);
        CHECK(b.reg(ACCEL_REG_ERR_CODE) == ACCEL_ERR_RING_UNCONFIGURED);
        b.set_reg(ACCEL_REG_CTRL, ACCEL_CTRL_SOFT_RESET);

        b.setup_ring();
        b.set_reg(ACCEL_REG_RING_TAIL, kRingSize);
        CHECK(b.wait_irq() == ACCEL_IRQ_ERROR);
        CHECK(b.reg(ACCEL_REG_ERR_CODE) == ACCEL_ERR_TAIL_INVALID);
        CHECK(b.reg(ACCEL_REG_ERR_ADDR) == kRingSize);
        b.set_reg(ACCEL_REG_CTRL, ACCEL_CTRL_SOFT_RESET);

        // Disabled, the queue fills without running; one more entry than RING_SIZE-1 is a full-queue error.
        b.setup_ring();
        b.set_reg(ACCEL_REG_CTRL, 0);
        accel_desc nop{};
        for (uint32_t i = 0; i < kRingSize; ++i)
            b.mem.write(kRing - kDram + i * ACCEL_DESC_BYTES, &nop, sizeof nop);
        b.set_reg(ACCEL_REG_DOORBELL, kRingSize - 1);
        CHECK(b.reg(ACCEL_REG_RING_TAIL) == kRingSize - 1);
        CHECK(b.reg(ACCEL_REG_STATUS) == ACCEL_STATUS_IDLE);  // disabled: pending but not busy
        b.set_reg(ACCEL_REG_DOORBELL, 1);
        CHECK(b.wait_irq() == ACCEL_IRQ_ERROR);
        CHECK(b.reg(ACCEL_REG_ERR_CODE) == ACCEL_ERR_QUEUE_FULL);
        b.set_reg(ACCEL_REG_CTRL, ACCEL_CTRL_SOFT_RESET);

        // Busy: a long descriptor is running while the ring is reconfigured.
        b.setup_ring();
        accel_desc d{};
        d.opcode = ACCEL_OP_RELU_FWD;
        d.count = 200000;
        d.addr_x = d.addr_y = b.alloc(200000 * 4);
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        b.cpu.write(kRing, &d, sizeof d, delay);
        b.set_reg(ACCEL_REG_DOORBELL, 1);
        sc_core::wait(sc_core::sc_time(10, sc_core::SC_NS));
        CHECK((b.reg(ACCEL_REG_STATUS) & ACCEL_STATUS_BUSY) != 0);
        b.set_reg(ACCEL_REG_RING_BASE, static_cast<uint32_t>(kRing + 0x100));
        CHECK(b.reg(ACCEL_REG_ERR_CODE) == ACCEL_ERR_CONFIG_BUSY);
        CHECK(b.reg(ACCEL_REG_ERR_ADDR) == ACCEL_REG_RING_BASE);
        CHECK(b.reg(ACCEL_REG_RING_BASE) == kRing);  // the write was ignored
        CHECK(b.wait_irq() & ACCEL_IRQ_ERROR);
        // Reset while running: the descriptor is dropped, the accelerator is idle at once.
        b.set_reg(ACCEL_REG_CTRL, ACCEL_CTRL_SOFT_RESET);
        CHECK(b.reg(ACCEL_REG_STATUS) == ACCEL_STATUS_IDLE);
        sc_core::wait(sc_core::sc_time(2, sc_core::SC_MS));
        CHECK(b.reg(ACCEL_REG_STATUS) == ACCEL_STATUS_IDLE);
        CHECK(b.reg(ACCEL_REG_IRQ_STATUS) == 0);
        CHECK(b.acc.stats().total().descriptors == 0);
    });
}
