// Which training sample each junction's FF, BP and UP processors work on in each junction cycle (Dey et al.
// junction pipelining, papers.md §3.5), derived from the RTL (docs/sparse.md "The schedule"):
//   cycle s          sample s is written into the input layer's activation memory;
//   cycle s + j + 1  junction j (0-based, layer j -> j + 1) computes its FF on sample s;
//   cycle s + L - 1  the output error a - y is formed while the last junction's FF streams out;
//   cycle s + 2L-2-j junction j runs BP (j >= 1) and UP on sample s.
// With L layers a sample is in flight for 2L - 1 cycles (the input collection count, layer_block.sv), and
// the network takes a new sample every `interval` cycles: 1 when pipelined, 2L - 1 when each sample finishes
// before the next starts.
#pragma once

#include <cstdint>
#include <string>

namespace trainvp::sparse {

class PipelineTiming {
  public:
    PipelineTiming(uint32_t layers, uint32_t interval);

    uint32_t layers() const { return layers_; }
    uint32_t interval() const { return interval_; }
    uint32_t depth() const { return 2 * layers_ - 1; }  // cycles a sample is in flight

    uint64_t issue_cycle(uint64_t sample) const { return sample * interval_; }
    uint64_t ff_cycle(uint64_t sample, uint32_t junction) const { return issue_cycle(sample) + junction + 1; }
    uint64_t up_cycle(uint64_t sample, uint32_t junction) const {
        return issue_cycle(sample) + 2 * layers_ - 2 - junction;
    }
    // Junction cycles to train `samples` samples from an empty pipeline until the last update is written.
    uint64_t total_cycles(uint64_t samples) const {
        return samples == 0 ? 0 : issue_cycle(samples - 1) + depth();
    }

    // The sample in a stage at `cycle`, or -1 (none, or not below `samples`).
    int64_t input_sample(uint64_t cycle, uint64_t samples) const { return at(cycle, 0, samples); }
    int64_t ff_sample(uint64_t cycle, uint32_t junction, uint64_t samples) const {
        return at(cycle, junction + 1, samples);
    }
    int64_t up_sample(uint64_t cycle, uint32_t junction, uint64_t samples) const {
        return at(cycle, 2 * layers_ - 2 - junction, samples);
    }
    // BP runs with UP, from junction 1 on (the input layer needs no error).
    int64_t bp_sample(uint64_t cycle, uint32_t junction, uint64_t samples) const {
        return junction == 0 ? -1 : up_sample(cycle, junction, samples);
    }

    // How many earlier samples' updates junction j has not yet written when FF of sample s reads its
    // weights: min(s, 2(L-1-j) - 1) when pipelined, 0 with interval 2L - 1. (BP and UP of sample s always
    // see every earlier sample's update: the previous one was written in the cycle before.)
    uint64_t ff_missing_updates(uint64_t sample, uint32_t junction) const;

    // A Markdown table: one row per cycle in [0, cycles), a column for the input and the FF, BP and UP of
    // every junction (numbered from 1 as in the paper), "-" where a stage is idle.
    std::string markdown(uint64_t samples, uint64_t cycles) const;

  private:
    int64_t at(uint64_t cycle, uint64_t offset, uint64_t samples) const;

    uint32_t layers_;
    uint32_t interval_;
};

}  // namespace trainvp::sparse
