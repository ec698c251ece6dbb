// The sparse junction-pipelined engine of the accelerator (Dey et al., papers.md §3; docs/sparse.md "The
// engine"), a compute part next to the PE array. SparseCommands arrive on `cmd_in` from the controller
// (accel_protocol.h conventions): configure builds the network (connectivity and initial weights from the
// seed) and one SparseJunction per junction; train streams samples through the pipeline, every junction
// taking a new sample each junction cycle in lock-step; infer runs the forward pass. The engine owns the
// layers' activation and adot memories with the RTL's collection counts and rotating pointers
// (layer_block.sv, memory_ctr.sv), the delta memories' ping-pong, and the engine clock: a command's delay
// is its junction cycles x clocks per junction cycle (bank-conflict stalls included) at `clock_hz`.
#pragma once

#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "accel/accel_desc.h"
#include "accel/accel_regs.h"
#include "accel/sparse_junction.h"
#include "common/log.h"
#include "sparse/sparse_config.h"
#include "sparse/sparse_network.h"

namespace trainvp {

namespace accel {

// A command for the sparse engine. The controller has fetched the operands into host memory.
struct SparseCommand : tlm::tlm_extension<SparseCommand> {
    enum class Kind : uint8_t { configure, train, infer };
    Kind kind = Kind::configure;
    sparse::SparseNetConfig config;   // configure
    const uint8_t* inputs = nullptr;  // train, infer: count x sample_bytes input values
    uint32_t sample_bytes = 0;
    uint32_t count = 0;
    const uint8_t* labels = nullptr;               // train (required), infer (optional)
    int etapos = 0;                                // train
    std::vector<uint32_t>* predictions = nullptr;  // infer: filled with count predictions
    std::vector<int32_t>* parameters = nullptr;    // train: when set, the parameters after it
    // Reply.
    accel_sparse_result result{};
    uint32_t error = ACCEL_ERR_NONE;
    uint64_t error_index = 0;  // BAD_LABEL: the sample
    std::string why;

    tlm::tlm_extension_base* clone() const override { return new SparseCommand(*this); }
    void copy_from(const tlm::tlm_extension_base& other) override {
        *this = static_cast<const SparseCommand&>(other);
    }
};

// The record's fields as a configuration, and back. from_record returns false with the reason for a value
// no field can hold (an unknown code, layers out of range, a non-zero unused entry).
bool sparse_config_from_record(const accel_sparse_config& rec, sparse::SparseNetConfig& out,
                               std::string& why);
accel_sparse_config sparse_config_record(const sparse::SparseNetConfig& cfg);

}  // namespace accel

struct SparseEngineCounters {
    uint64_t samples_trained = 0, samples_inferred = 0;
    uint64_t junction_cycles = 0, clocks = 0, stall_clocks = 0;
    uint64_t bank_conflicts = 0, lost_sums = 0, macs = 0;
    uint64_t weight_reads = 0, weight_writes = 0, act_reads = 0;
    uint64_t cost_terms = 0;  // output errors a - y (one subtraction each)
};

class SparseEngine : public sc_core::sc_module {
  public:
    tlm_utils::simple_target_socket<SparseEngine> cmd_in;

    SparseEngine(sc_core::sc_module_name name, double clock_hz);
    ~SparseEngine() override;

    bool configured() const { return net_ != nullptr; }
    const sparse::SparseNetConfig& config() const;
    // Clocks per junction cycle with the slowest junction's stalls (SparseNetwork::cycle_clocks()).
    uint32_t cycle_clocks() const { return cycle_clocks_; }
    // The parameters, junction by junction: weights in edge order, then biases.
    std::vector<int32_t> parameters() const;
    // SparseNetwork::parameter_digest() of the current parameters.
    uint64_t parameter_digest() const;
    SparseEngineCounters counters() const;
    // Each junction's counters (the energy model prices a junction's adds and memories by its geometry).
    std::vector<JunctionCounters> junction_counters() const;

  private:
    struct LayerMemory {
        uint32_t size = 0, collections = 1;
        std::vector<int32_t> act, adot;  // collections x size
        std::vector<int32_t> delta[2];   // ping-pong
        int32_t* act_at(uint64_t c) { return act.data() + (c % collections) * size; }
        int32_t* adot_at(uint64_t c) { return adot.data() + (c % collections) * size; }
    };

    void command(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
    bool configure(accel::SparseCommand& cmd);
    bool check_samples(accel::SparseCommand& cmd) const;
    void train(accel::SparseCommand& cmd);
    void infer(accel::SparseCommand& cmd);
    void load_input(const uint8_t* x, uint32_t bytes, int32_t* act0) const;
    void collect(accel::SparseCommand& cmd, const SparseEngineCounters& before);

    sc_core::sc_time period_;
    Logger log_;
    std::unique_ptr<sparse::SparseNetwork> net_;  // connectivity and issue clocks (weights: the junctions')
    std::vector<std::unique_ptr<SparseJunction>> junctions_;
    std::vector<LayerMemory> layers_;
    uint32_t cycle_clocks_ = 0;
    SparseEngineCounters counters_;
};

}  // namespace trainvp
