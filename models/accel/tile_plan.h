// The tile plan of a descriptor: how a layer phase is split so that every tile's operands fit the buffers
// (half of each buffer when double buffering), what each tile moves between DRAM and the buffers, and its
// compute estimate. The datapath computes whole phases with the kernels (tiling never changes a result:
// partial sums are exact, docs/numerics.md "## Kernels"); the plan drives traffic, counters and timing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "accel/accel_op.h"
#include "accel/compute_timing.h"

namespace trainvp::accel {

struct Tile {
    uint64_t dram_read = 0, dram_write = 0;  // bytes
    uint64_t fill[3] = {};                   // bytes the DMA writes into each buffer (BufferId order)
    uint64_t drain[3] = {};                  // bytes the DMA reads out of each buffer
    uint64_t array_read[3] = {};             // bytes the array reads from each buffer
    uint64_t array_write[3] = {};            // bytes the array writes into each buffer
    uint64_t macs = 0;
    ComputeEstimate compute;
};

struct TilePlan {
    std::vector<Tile> tiles;
    uint64_t macs = 0;
    uint64_t dram_read = 0, dram_write = 0;
    std::string split;  // e.g. "batch 4 x out_channels 16" for the statistics
};

// Returns false (with the reason) when no tile fits the buffers: a SHAPE error.
bool plan_tiles(const DecodedOp& op, const AcceleratorConfig& cfg, ComputeTimer& timer, TilePlan& plan,
                std::string& why);

// The first step of plan_tiles alone: whether the descriptor has a tile that fits the buffers (false with
// plan_tiles' reason when not), without building the tiles. The platform checks a training job's every
// descriptor with it before the simulation (platform/train_job_check.h).
bool tiles_fit(const DecodedOp& op, const AcceleratorConfig& cfg, std::string& why);

}  // namespace trainvp::accel
