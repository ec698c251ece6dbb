// One junction of the sparse junction-pipelined engine (Dey et al., papers.md §3.4-3.5; docs/sparse.md
// "The engine"): its weight memory (z banks of |W|/z words, edge k in bank k % z at address k / z), its bias
// memory, and the FF, BP and UP processors that take the edges of one clock together. All three read a
// weight word once in the clock it is addressed; UP's write lands 1 + proctime clocks later, after the
// cycle's last read. BP accumulates into the left layer's delta memory with the RTL's read-modify-write,
// whose write lands 1 + proctime clocks after the read (memory_ctr.sv "Delta memory working"). Numerics are
// the RTL's (sparse::FixedArith, sparse::ActivationUnit); the edge order and issue clocks are the network's
// (sparse::SparseNetwork), as the golden trainer uses them. A plain object owned by the SparseEngine module:
// the junctions exist only once the firmware's SPARSE_CONFIG has given the network's shape, and SystemC
// creates no modules after elaboration.
#pragma once

#include <cstdint>
#include <vector>

#include "sparse/activation_lut.h"
#include "sparse/rtl_fixed.h"
#include "sparse/sparse_network.h"

namespace trainvp {

// What one junction cycle gives a junction's processors: the left layer's memories at the collections the
// pointers select, the right layer's error from the delta ping-pong, and where FF and BP write.
struct JunctionCycleIo {
    const int32_t* ff_left = nullptr;  // activations of the sample in FF (collection rFF); null: FF idle
    int32_t* ff_act = nullptr;         // right layer's activations and derivatives (collection wFF)
    int32_t* ff_adot = nullptr;
    const int32_t* up_left = nullptr;      // activations of the sample in UP (collection rUP); null: UP idle
    const int32_t* bp_adot = nullptr;      // adot of that sample (collection rUP); null: BP idle
    const int32_t* delta_right = nullptr;  // error of the UP sample at the right layer (ping-pong read)
    int32_t* delta_left = nullptr;         // BP's output: the left layer's error (ping-pong write)
    int etapos = 0;                        // learning-rate code of the UP sample
};

struct JunctionCounters {
    uint64_t weight_reads = 0, weight_writes = 0;  // bank words
    uint64_t act_reads = 0;                        // activation-memory words read by the lanes
    uint64_t bank_conflicts = 0;  // lanes whose activation bank was already read in the same nominal clock
    uint64_t lost_sums = 0;       // BP contributions overwritten before they reached the final sum
    uint64_t macs = 0;            // multiplies by FF, BP and UP
    // For the energy model (docs/energy.md "The sparse engine"): adds of FF's adder tree and bias adder at
    // the widened width (bits + log2 fi), adds at the word width (BP partial sums, UP weights and biases),
    // and the words the processors read and write in the junction's and the layers' memories.
    uint64_t tree_adds = 0, word_adds = 0;
    uint64_t bias_reads = 0, bias_writes = 0;
    uint64_t act_writes = 0, adot_reads = 0, adot_writes = 0;  // act_reads above: FF and UP lanes
    uint64_t delta_reads = 0;  // the right layer's error, one word per neuron (shared by BP and UP)
    uint64_t delta_rmws = 0;   // BP's read-modify-writes of the left layer's error (a read and a write)
    uint64_t lut_reads = 0;    // activation function (act and adot together)
};

class SparseJunction {
  public:
    SparseJunction(const sparse::SparseNetConfig& config, const sparse::JunctionState& state, uint32_t index);

    // The clocks this junction needs to stream its edges once, bank-conflict stalls included.
    uint32_t stream_clocks() const { return stream_clocks_; }
    // Runs one junction cycle: every issue clock's edges through FF, BP and UP, then the weight and bias
    // writes of UP.
    void run_cycle(const JunctionCycleIo& io);
    // FF alone with the current weights (inference): left activations -> right activations.
    void forward(const int32_t* left, int32_t* act);

    // The parameters in weight-memory (edge) order, and back.
    void read_parameters(std::vector<int32_t>& weights, std::vector<int32_t>& biases) const;
    const JunctionCounters& counters() const { return counters_; }

  private:
    int32_t weight(uint64_t k) const { return banks_[k % z_][k / z_]; }

    const sparse::EdgePattern& pattern_;
    sparse::FixedArith fx_;
    sparse::ActivationUnit act_fn_;
    uint32_t z_, fi_, proctime_;
    bool forwarded_;
    std::vector<std::vector<int32_t>> banks_;  // [lane][address]
    std::vector<int32_t> biases_;
    std::vector<std::vector<uint32_t>> by_clock_;  // per issue clock: its edges
    uint32_t stream_clocks_ = 0;
    std::vector<uint32_t> conflicts_per_cycle_;  // lanes per nominal clock whose bank was taken
    uint64_t conflicts_ = 0;
    // Scratch of a cycle.
    std::vector<int64_t> acc_;
    std::vector<uint32_t> acc_count_;
    std::vector<int32_t> step_;
    struct DeltaWrite {
        uint32_t land;  // clock at which the write reaches the memory
        int32_t value;
        uint32_t terms;  // contributions the written sum holds
    };
    std::vector<std::vector<DeltaWrite>> delta_writes_;  // per left neuron, in issue order
    std::vector<int32_t> new_weights_;                   // per edge: UP's result (written after the cycle)
    JunctionCounters counters_;
};

}  // namespace trainvp
