// Internal to the array timing models: the per-step service model of the operand and accumulator buffers,
// shared by analytic_gemm and cycle_gemm so that both charge the same stalls for the same accesses
// (docs/accelerator-timing.md "Buffer bandwidth and bank conflicts").
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "accel/array_timing.h"

namespace trainvp::timing::detail {

enum Buffer : uint8_t { buf_a = 0, buf_b = 1, buf_c = 2, buf_count = 3 };

// Lane strides in bytes of the A, B and C streams for this shape and dataflow (GemmLayout, 0 = packed).
std::array<uint64_t, buf_count> lane_strides(const GemmShape& s, const ArrayConfig& cfg,
                                             const BufferBandwidth& bw);

// Collects the edge accesses of one array step and returns the cycles the array waits for them.
// Each lane keeps the last word it read (and the last word it wrote) in a register, so a lane touches a bank
// only when its stream crosses into a new word. A buffer serves a step in max over banks of
// ceil(words in that bank / ports) * bank_access_cycles cycles, reads and writes on separate ports; the step
// takes the longest of the three buffers and at least one cycle.
class StepBufferModel {
  public:
    StepBufferModel(const BufferBandwidth& bw, const TimingParams& p);

    // Starts a fold: lane registers are empty. lanes[b] is the number of lanes of buffer b's edge.
    void begin_fold(uint32_t lanes_a, uint32_t lanes_b, uint32_t lanes_c);
    void read(Buffer b, uint32_t lane, uint64_t addr, uint32_t bytes) { access(b, 0, lane, addr, bytes); }
    void write(Buffer b, uint32_t lane, uint64_t addr, uint32_t bytes) { access(b, 1, lane, addr, bytes); }
    // Ends the step: returns its stall cycles (step cycles - 1) and adds them to `stalls` by reason.
    uint64_t end_step(std::array<uint64_t, kStallReasons>& stalls);
    bool unlimited() const { return unlimited_; }
    // Bytes after which buffer b's bank pattern repeats (word width x banks): a fold whose addresses all move
    // by a multiple of this, per buffer, sees the same words cross, the same banks and so the same stalls.
    uint64_t period(Buffer b) const { return uint64_t{port_[b].bank_width_bytes} * port_[b].banks; }
    // Cycles one step lasts without stalls (a PE that takes several cycles per product); default 1.
    void set_step_cycles(uint32_t cycles) { step_cycles_ = cycles; }

  private:
    void access(Buffer b, int dir, uint32_t lane, uint64_t addr, uint32_t bytes);
    struct Cost {
        uint64_t conflict = 0, ideal = 0;
    };
    Cost service(Buffer b, int dir);

    bool unlimited_;
    uint32_t access_cycles_;
    uint32_t step_cycles_ = 1;
    std::array<BufferPort, buf_count> port_;
    std::array<std::array<std::vector<uint64_t>, 2>, buf_count> held_;   // last word per lane, per direction
    std::array<std::array<std::vector<uint64_t>, 2>, buf_count> words_;  // words requested this step
    std::vector<uint32_t> per_bank_;
};

}  // namespace trainvp::timing::detail
