// tiles_fit() against plan_tiles(): the check the platform runs on every descriptor of a training job before
// the simulation (platform/train_job_check.h) must give the answer, and the reason, of the plan the
// controller executes, for every opcode, every buffer and capacity, with and without double buffering. A
// descriptor refused before the simulation is then exactly one the controller would stop with SHAPE.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "accel/accel_desc.h"
#include "accel/accel_op.h"
#include "accel/tile_plan.h"

using namespace trainvp;
using namespace trainvp::accel;

namespace {

constexpr uint32_t kDram = 0x8000'0000;

uint32_t at(int i) {
    return kDram + static_cast<uint32_t>(i) * 0x10'0000;
}

// Every opcode the training runtime issues, LeNet-like shapes, fp32 operands (format code 0).
std::vector<accel_desc> descriptors() {
    std::vector<accel_desc> out;
    auto conv = [&](uint32_t opcode) {
        accel_desc d{};
        d.opcode = opcode;
        d.flags = opcode == ACCEL_OP_CONV_BWD_DATA ? 0 : ACCEL_FLAG_HAS_BIAS;
        d.batch = 8, d.in_channels = 6, d.in_rows = d.in_cols = 14, d.out_channels = 16, d.kernel = 5,
        d.stride = 1;
        return d;
    };
    accel_desc d = conv(ACCEL_OP_CONV_FWD);
    d.addr_x = at(1), d.addr_w = at(2), d.addr_b = at(3), d.addr_y = at(4);
    out.push_back(d);
    d = conv(ACCEL_OP_CONV_BWD_DATA);
    d.addr_g = at(1), d.addr_w = at(2), d.addr_dx = at(3);
    out.push_back(d);
    d = conv(ACCEL_OP_CONV_WGRAD);
    d.addr_g = at(1), d.addr_x = at(2), d.addr_dw = at(3), d.addr_db = at(4);
    out.push_back(d);
    auto fc = [&](uint32_t opcode) {
        accel_desc f{};
        f.opcode = opcode;
        f.flags = opcode == ACCEL_OP_FC_BWD_DATA ? 0 : ACCEL_FLAG_HAS_BIAS;
        f.batch = 8, f.fc_in = 400, f.fc_out = 120;
        return f;
    };
    d = fc(ACCEL_OP_FC_FWD);
    d.addr_x = at(1), d.addr_w = at(2), d.addr_b = at(3), d.addr_y = at(4);
    out.push_back(d);
    d = fc(ACCEL_OP_FC_BWD_DATA);
    d.addr_g = at(1), d.addr_w = at(2), d.addr_dx = at(3);
    out.push_back(d);
    d = fc(ACCEL_OP_FC_WGRAD);
    d.addr_g = at(1), d.addr_x = at(2), d.addr_dw = at(3), d.addr_db = at(4);
    out.push_back(d);
    d = accel_desc{};
    d.opcode = ACCEL_OP_MAXPOOL_FWD;
    d.batch = 8, d.in_channels = 6, d.in_rows = d.in_cols = 28, d.kernel = 2, d.stride = 2;
    d.addr_x = at(1), d.addr_y = at(2), d.addr_aux = at(3);
    out.push_back(d);
    d.opcode = ACCEL_OP_MAXPOOL_BWD;
    d.addr_x = d.addr_y = 0;
    d.addr_g = at(1), d.addr_dx = at(2);
    out.push_back(d);
    d = accel_desc{};
    d.opcode = ACCEL_OP_RELU_FWD;
    d.count = 8 * 6 * 28 * 28;
    d.addr_x = at(1), d.addr_y = at(2);
    out.push_back(d);
    d.opcode = ACCEL_OP_RELU_BWD;
    d.addr_x = 0;
    d.addr_g = at(1), d.addr_dx = at(3);
    out.push_back(d);
    d = accel_desc{};
    d.opcode = ACCEL_OP_SOFTMAX_XENT;
    d.flags = ACCEL_FLAG_LOSS_GRAD;
    d.batch = 8, d.fc_out = 10;
    d.addr_x = at(1), d.addr_labels = at(2), d.addr_aux = at(3), d.addr_dx = at(4);
    out.push_back(d);
    d = accel_desc{};
    d.opcode = ACCEL_OP_SGD_UPDATE;
    d.count = 48120, d.batch = 8, d.lr = 0.05, d.momentum = 0.9, d.weight_decay = 1e-4;
    d.addr_dw = at(1), d.addr_master = at(2), d.addr_velocity = at(3), d.addr_w = at(4);
    out.push_back(d);
    d = accel_desc{};
    d.opcode = ACCEL_OP_DMA_COPY;
    d.count = 8 * 784;
    d.addr_x = at(1), d.addr_y = at(2);
    out.push_back(d);
    return out;
}

SramConfig& buffer(AcceleratorConfig& c, int b) {
    return b == 0 ? c.weight_buffer : b == 1 ? c.activation_buffer : c.gradient_buffer;
}

}  // namespace

TEST_CASE("tiles_fit gives plan_tiles' answer and reason for every opcode, buffer and capacity",
          "[accel][tile_plan]") {
    int refused = 0, accepted = 0, by_layout = 0;
    for (const accel_desc& d : descriptors()) {
        AcceleratorConfig base;
        DecodedOp op;
        DecodeError err;
        INFO(opcode_name(d.opcode));
        REQUIRE(decode_descriptor(d, kDram, base, op, err));
        for (bool double_buffering : {true, false})
            for (int b = -1; b < 3; ++b)  // -1: all three buffers at the capacity
                for (uint64_t cap = 256; cap <= 256 * 1024; cap = (cap * 9 / 8 + 31) / 32 * 32) {
                    AcceleratorConfig cfg = base;
                    cfg.double_buffering = double_buffering;
                    for (int o = 0; o < 3; ++o)
                        if (b < 0 || o == b) buffer(cfg, o).capacity_bytes = cap;
                    INFO("buffer " << b << " at " << cap << " B, double buffering " << double_buffering);
                    std::string why_fit, why_plan;
                    TilePlan plan;
                    const bool fits = tiles_fit(op, cfg, why_fit);
                    REQUIRE(fits == plan_tiles(op, cfg, plan, why_plan));
                    CHECK(why_fit == why_plan);
                    (fits ? accepted : refused) += 1;
                    if (!fits && why_plan.find("the tiles' operands need") == 0) ++by_layout;
                }
    }
    // The sweep crosses the boundary for every opcode, both ways.
    CHECK(refused > 100);
    CHECK(accepted > 100);
    WARN("refused by the layout check after a tile size was chosen: " << by_layout);
}

TEST_CASE("stride zeros: a dense array's backward tiles of a strided convolution run the dilated GEMMs",
          "[accel][tile_plan]") {
    // 6 x 15 x 15 input, 16 filters of 3 x 3, pad 1, batch 8: stride 1 gives 15 x 15 outputs (the dilated
    // grid), stride 2 gives 8 x 8 real errors, stride 3 5 x 5. Small buffers split every phase into tiles.
    const uint64_t dilated = 15 * 15;
    for (uint32_t stride : {1u, 2u, 3u}) {
        const uint64_t real = stride == 1 ? 225 : stride == 2 ? 64 : 25;
        for (uint32_t opcode : {ACCEL_OP_CONV_FWD, ACCEL_OP_CONV_BWD_DATA, ACCEL_OP_CONV_WGRAD}) {
            accel_desc d{};
            d.opcode = opcode;
            d.flags = opcode == ACCEL_OP_CONV_BWD_DATA ? 0 : ACCEL_FLAG_HAS_BIAS;
            d.batch = 8, d.in_channels = 6, d.in_rows = d.in_cols = 15, d.out_channels = 16, d.kernel = 3;
            d.stride = stride, d.pad = 1;
            d.addr_x = at(1), d.addr_w = at(2), d.addr_b = at(3), d.addr_y = at(4);
            if (opcode != ACCEL_OP_CONV_FWD) d.addr_x = d.addr_y = d.addr_b = 0;
            if (opcode == ACCEL_OP_CONV_BWD_DATA) d.addr_g = at(1), d.addr_w = at(2), d.addr_dx = at(3);
            if (opcode == ACCEL_OP_CONV_WGRAD)
                d.addr_g = at(1), d.addr_x = at(2), d.addr_dw = at(3), d.addr_db = at(4);
            uint64_t macs[2] = {}, cycles[2] = {}, zero_macs[2] = {}, zero_cycles[2] = {};
            size_t tiles[2] = {};
            for (int skip = 0; skip < 2; ++skip) {
                AcceleratorConfig cfg;
                cfg.skip_stride_zeros = skip;
                cfg.weight_buffer.capacity_bytes = cfg.activation_buffer.capacity_bytes =
                    cfg.gradient_buffer.capacity_bytes = 64 * 1024;
                DecodedOp op;
                DecodeError err;
                REQUIRE(decode_descriptor(d, kDram, cfg, op, err));
                ComputeTimer timer(cfg);
                TilePlan plan;
                std::string why;
                const bool planned = plan_tiles(op, cfg, timer, plan, why);
                INFO(why);
                REQUIRE(planned);
                tiles[skip] = plan.tiles.size();
                for (const Tile& t : plan.tiles) {
                    const TileEstimate e = estimate_tile(op, t, cfg, timer);
                    CHECK(e.macs == t.macs);
                    macs[skip] += e.macs;
                    cycles[skip] += e.compute.cycles;
                    zero_macs[skip] += e.stride_zero_macs;
                    zero_cycles[skip] += e.stride_zero_cycles;
                }
                CHECK(plan.macs == macs[skip]);
            }
            INFO("stride " << stride << ", " << opcode_name(opcode));
            // The plan (buffers, DMA) is the same: only the array's work differs.
            CHECK(tiles[0] == tiles[1]);
            CHECK(tiles[0] > 1);
            const uint64_t per_position = 6 * 9 * 16 * 8;  // (Ci k k) x Co x batch
            if (opcode == ACCEL_OP_CONV_FWD || stride == 1) {
                CHECK(macs[0] == macs[1]);
                CHECK(cycles[0] == cycles[1]);
                CHECK(zero_macs[0] == 0);
                CHECK(zero_macs[1] == 0);
                continue;
            }
            CHECK(macs[0] == per_position * dilated);
            CHECK(macs[1] == per_position * real);
            for (int skip = 0; skip < 2; ++skip) {
                CHECK(zero_macs[skip] == per_position * (dilated - real));
                CHECK(zero_cycles[skip] == cycles[0] - cycles[1]);
            }
            CHECK(cycles[1] < cycles[0]);
        }
    }
}
