// The state of a junction-pipelined sparse MLP: per junction its connectivity, the clock at which each
// edge is processed, the order in which back-propagated partial sums accumulate in the delta memory, and
// the weights and biases (raw fixed-point values). docs/sparse.md.
#pragma once

#include <cstdint>
#include <vector>

#include "sparse/interleaver.h"
#include "sparse/sparse_config.h"

namespace trainvp::sparse {

// How BP's partial sums reach a left neuron's delta-memory word (memory_ctr.sv "Delta memory working"):
// edge k reads the word at its issue clock and writes word + contribution 1 + proctime clocks later.
struct DeltaSchedule {
    std::vector<int32_t> source;       // per edge: the edge whose written sum this read returns, -1 for 0
    std::vector<uint32_t> final_edge;  // per left neuron: the edge whose write is the last, the delta
    uint64_t stale_reads = 0;          // reads that miss the contribution of the neuron's previous edge
    uint64_t dropped = 0;              // contributions that do not reach the final sum
};

struct JunctionState {
    EdgePattern pattern;
    std::vector<uint32_t> issue_clock;  // per edge: clock within the junction cycle, stalls included
    uint32_t clocks = 0;                // clocks to stream the edges once, stalls included
    ConflictStats conflicts;
    DeltaSchedule delta;  // junctions from 1 on (junction 0's left layer is the input, which has no error)
    std::vector<int32_t> weights;  // per edge, weight-memory order
    std::vector<int32_t> biases;   // per right neuron
};

// Issue clocks of a pattern: clock c's edges go in one clock when their banks differ; otherwise the lanes
// are served in rank order (the r-th edge on a bank in clock c goes r clocks later) and the junction stalls.
std::vector<uint32_t> issue_clocks(const EdgePattern& pattern, uint32_t* total_clocks);

// The delta-memory accumulation order for a pattern with the given issue clocks.
DeltaSchedule delta_schedule(const EdgePattern& pattern, const std::vector<uint32_t>& issue_clock,
                             uint32_t proctime, DeltaHazard hazard);

class SparseNetwork {
  public:
    // Builds the connectivity from the configuration (validated here) and zero weights.
    explicit SparseNetwork(const SparseNetConfig& config);

    const SparseNetConfig& config() const { return config_; }
    uint32_t junctions() const { return static_cast<uint32_t>(junctions_.size()); }
    JunctionState& junction(uint32_t j) { return junctions_[j]; }
    const JunctionState& junction(uint32_t j) const { return junctions_[j]; }

    // Glorot normal, N(0, 2 / (fi + fo)) per junction, clamped and floored into the format as
    // scripts/glorotnormal_init_generator.py does; biases drawn the same way (the RTL initialises its
    // weight-and-bias memories from one list). Deterministic in the seed.
    void init_glorot(uint64_t seed);

    // Clocks per junction cycle: the slowest junction's clocks (stalls included) + 2 + proctime.
    uint32_t cycle_clocks() const;
    uint64_t stall_clocks() const;  // the worst junction's stall clocks per junction cycle

    // FNV-1a over every weight and bias: a short fingerprint for reports and tests.
    uint64_t parameter_digest() const;

  private:
    SparseNetConfig config_;
    std::vector<JunctionState> junctions_;
};

}  // namespace trainvp::sparse
