// The tile plan of a descriptor: how a layer phase is split so that every tile's operands fit the buffers
// (half of each buffer when double buffering), where each operand of each tile lies in its buffer, and which
// DMA transfers bring the operands in and take the results out. The controller executes it tile by tile:
// DMA in, one command to the PE array or the vector unit, DMA out (docs/accelerator.md "Tiling").
// SystemC-free: a configuration check can plan a whole training job before simulating.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "accel/accel_op.h"
#include "accel/compute_timing.h"

namespace trainvp::accel {

// Operand slots of a tile, indexed by Opnd; kAccSlot holds the partial sums of a split reduction (8-byte
// doubles, docs/accelerator.md "Partial sums").
constexpr int kAccSlot = kOperandCount;
constexpr int kTileSlots = kOperandCount + 1;
constexpr uint64_t kAccBytes = 8;

struct BufferSlot {
    BufferId buffer = BufferId::activation;
    uint64_t offset = 0;  // bytes from the buffer's start
    uint64_t bytes = 0;   // 0: the tile does not use this slot
};

// One DMA transfer between DRAM and a buffer: `rows` runs of row_bytes, dram_stride apart in DRAM and packed
// in the buffer from buffer_offset.
struct DmaMove {
    Opnd operand = Opnd::x;
    uint64_t dram_address = 0;
    uint32_t rows = 0;
    uint64_t row_bytes = 0;
    uint64_t dram_stride = 0;
    BufferId buffer = BufferId::activation;
    uint64_t buffer_offset = 0;
    int slot = 0;  // the tile slot it fills or drains
    uint64_t bytes() const { return rows * row_bytes; }
};

constexpr int kMaxMoves = 4;

struct Tile {
    uint32_t index = 0;
    // GEMM phases: samples [n0, n0 + n), channels [c0, c0 + c) (forward and weight gradient: output
    // channels; backward-data: input channels; fc: the matching neurons), reduction [k0, k0 + kc) (input
    // channels, or output channels for backward-data; the weight gradient reduces over its sample groups).
    // Other opcodes: units [n0, n0 + n) (elements, image planes or samples; see plan_tiles).
    uint64_t n0 = 0, n = 0;
    uint32_t c0 = 0, c = 0, k0 = 0, kc = 0;
    bool first = true, last = true;  // the tile starts / ends its reduction
    BufferSlot slots[kTileSlots];
    DmaMove loads[kMaxMoves], stores[kMaxMoves];
    uint32_t load_count = 0, store_count = 0;
    uint64_t dram_read = 0, dram_write = 0;  // bytes of the loads and stores
    uint64_t fill[kBufferCount] = {};        // bytes the DMA writes into each buffer (BufferId order)
    uint64_t drain[kBufferCount] = {};       // bytes the DMA reads out of each buffer
    // Set by plan_tiles() with a ComputeTimer (what the PE array or vector unit reports when it runs the
    // tile).
    uint64_t macs = 0;
    ComputeEstimate compute;
    uint64_t array_read[kBufferCount] = {}, array_write[kBufferCount] = {};

    const BufferSlot& slot(Opnd o) const { return slots[static_cast<int>(o)]; }
};

struct TilePlan {
    std::vector<Tile> tiles;
    uint64_t macs = 0;
    uint64_t dram_read = 0, dram_write = 0;
    std::string split;  // e.g. "batch 4 x out_channels 16 x in_channels 3" for statistics
    uint64_t buffer_bytes[kBufferCount] = {};  // the most of each buffer any moment of the plan occupies
};

// Plans `op` for the buffers of `cfg`. Returns false (with the reason) when no tile fits the buffers: a
// SHAPE error. Needs no SystemC.
bool plan_tiles(const DecodedOp& op, const AcceleratorConfig& cfg, TilePlan& plan, std::string& why);
// The same, and each tile's compute estimate from the array timing model.
bool plan_tiles(const DecodedOp& op, const AcceleratorConfig& cfg, ComputeTimer& timer, TilePlan& plan,
                std::string& why);

// The array model's estimate of one tile of `op` (the GEMM a tile maps to, or its vector work), with its
// buffer traffic by buffer and its MACs: what the PE array and the vector unit report.
struct TileEstimate {
    ComputeEstimate compute;
    uint64_t macs = 0;
    uint64_t outputs = 0;  // GEMM results the tile produces (M x N): each ends one accumulation
    uint64_t array_read[kBufferCount] = {}, array_write[kBufferCount] = {};
    // Backward-data and weight-gradient tiles of a stride > 1 convolution: the MACs on the dilated error
    // map's zeros and the compute cycles the dense GEMM takes beyond the compact one
    // (docs/accelerator-timing.md "Stride zeros"). In macs and compute when cfg.skip_stride_zeros is off,
    // saved when it is on.
    uint64_t stride_zero_macs = 0, stride_zero_cycles = 0;
};
TileEstimate estimate_tile(const DecodedOp& op, const Tile& tile, const AcceleratorConfig& cfg,
                           ComputeTimer& timer);

// Whether plan_tiles() would succeed: the same planning, run without recording the tiles (no memory per
// tile), false with plan_tiles' reason when it would fail. A descriptor is refused with SHAPE in simulation
// exactly when this is false; the platform checks a training job's every descriptor with it before the
// simulation (platform/train_job_check.h).
bool tiles_fit(const DecodedOp& op, const AcceleratorConfig& cfg, std::string& why);

// Whether slot s shares bytes with the slot of an operand of `op` that the tile writes (write = true) or
// reads (false), operand `self` aside (Opnd::count: none). The PE array and the vector unit let kernels read
// and write fp32 operands in place in the buffers only where nothing the kernel writes lies under what it
// reads.
bool overlaps_operand(const DecodedOp& op, const Tile& t, const BufferSlot& s, bool write, Opnd self);

}  // namespace trainvp::accel
