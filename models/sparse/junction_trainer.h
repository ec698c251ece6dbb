// The golden model of the junction-pipelined sparse engine (Dey et al., papers.md §3.4-3.5): per-sample
// SGD with the RTL's arithmetic, in the RTL's schedule. Every junction runs FF, BP and UP in every junction
// cycle, each on a different sample (pipeline_schedule.h), so a sample's forward pass reads weights that do
// not yet hold the updates of the samples just ahead of it; BP and UP of a sample read the weights of the
// same cycle, and UP writes them back before the next cycle. The delta memory's read-modify-write follows
// DeltaSchedule. docs/sparse.md "The golden model".
#pragma once

#include <cstdint>
#include <vector>

#include "sparse/activation_lut.h"
#include "sparse/pipeline_schedule.h"
#include "sparse/sparse_network.h"

namespace trainvp::sparse {

// One training or test case: input values of input_bits bits (missing inputs up to the input layer's size
// are 0, as the RTL pads MNIST's 784 pixels to 1024) and a class that sets one of the outputs to 1.
struct SampleView {
    const uint8_t* input = nullptr;
    uint32_t size = 0;
    uint32_t label = 0;
};

enum class TrainSchedule : uint8_t {
    pipelined,   // a new sample every junction cycle (the hardware)
    sequential,  // a sample every 2L - 1 cycles: each finishes before the next starts (no stale weights)
};
const char* to_string(TrainSchedule s);

struct TrainStats {
    uint64_t samples = 0;
    uint64_t junction_cycles =
        0;                 // from the first input to the last update, pipeline fill and drain included
    uint64_t clocks = 0;   // junction_cycles * cycle_clocks
    uint64_t correct = 0;  // samples whose training forward pass predicted the label (tb_DNN_top.sv)
};

// The RTL's prediction (DNN.sv): output neurons arrive `group` per clock; within a clock the max_finder_set
// tree keeps the lowest index of equal values, and across clocks a new maximum replaces the stored one when
// it is greater or equal, so the latest clock wins a tie. (The RTL also skips the last clock's group; this
// function does not, see docs/sparse.md "Open choices".)
uint32_t rtl_argmax(const int32_t* values, uint32_t count, uint32_t group);

class JunctionTrainer {
  public:
    JunctionTrainer(SparseNetwork& net, TrainSchedule schedule = TrainSchedule::pipelined);

    const PipelineTiming& timing() const { return timing_; }

    // Trains on the samples in order, sample i with learning-rate code etapos[i] (eta = 2^-(etapos-1); the
    // RTL feeds etapos with each sample, and 0 means "no update"). The pipeline starts empty and is drained
    // at the end, so the first sample sees every earlier update. Throws std::invalid_argument for a sample
    // that does not fit the network or an etapos above frac_bits + 1.
    TrainStats train(const std::vector<SampleView>& samples, const std::vector<uint8_t>& etapos);

    // The forward pass alone with the current weights: the output activations, and the RTL's prediction.
    std::vector<int32_t> outputs(const SampleView& sample) const;
    uint32_t predict(const SampleView& sample) const;
    uint64_t count_correct(const std::vector<SampleView>& samples) const;

  private:
    struct Slot {                                            // one sample in flight
        std::vector<std::vector<int32_t>> act, adot, delta;  // per layer
        uint32_t label = 0;
        int etapos = 0;
    };

    void check_sample(const SampleView& s) const;
    void load_input(const SampleView& s, std::vector<int32_t>& act0) const;
    void forward(uint32_t j, const std::vector<int32_t>& left, std::vector<int32_t>& act,
                 std::vector<int32_t>* adot) const;
    void backward(uint32_t j, Slot& slot);
    void update(uint32_t j, const Slot& slot);
    uint32_t output_group() const;

    SparseNetwork& net_;
    FixedArith fx_;
    std::vector<ActivationUnit> act_fn_;  // per junction
    PipelineTiming timing_;
    std::vector<Slot> slots_;
    std::vector<int32_t> partial_;  // BP partial sums per edge
};

}  // namespace trainvp::sparse
