// Every timing constant of the PE-array model in one table, each with its unit and where the number came from
// (STYLE.md "Configuration is data"). docs/accelerator-timing.md "Parameters" says where each one enters the
// formulas. The table is an X-macro so that the struct, its defaults, the key lookup used by configuration
// overrides and the documentation table are all generated from the same lines.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

// X(name, default value, min, max, unit, source). The range is what validate() and the scenario keys
// hardware.timing.* accept: counts of overhead cycles may be 0, the divisors of the bandwidth model may not;
// none exceeds kMaxTimingParam. The buffers' geometry is not here: it is each buffer's own configuration
// (hardware.*_buffer, SramConfig).
#define TRAINVP_ACCEL_TIMING_PARAMS(X)                                                                     \
    X(operand_edge_stages, 1, 0, timing::kMaxTimingParam, "cycles per fold",                               \
      "assumption: one register stage between a buffer's read data and the array edge (synchronous SRAM "  \
      "read, registered skew feeder); lengthens every fold's fill")                                        \
    X(acc_writeback_cycles, 1, 0, timing::kMaxTimingParam, "cycles per fold",                              \
      "assumption: one register stage between the array's result edge and the accumulator buffer's write " \
      "port; lengthens every fold's drain")                                                                \
    X(fold_switch_cycles, 1, 0, timing::kMaxTimingParam, "cycles per fold",                                \
      "assumption: the sequencer reloads its address generators between two folds")                        \
    X(gemm_setup_cycles, 4, 0, timing::kMaxTimingParam, "cycles per GEMM",                                 \
      "assumption: the controller loads loop bounds, strides and formats before the first fold of a GEMM") \
    X(bank_access_cycles, 1, 1, timing::kMaxTimingParam, "cycles per word access",                         \
      "assumption: fully pipelined SRAM banks, one word per port per cycle")                               \
    X(vector_ops_per_column, 1, 1, timing::kMaxTimingParam, "element operations per column per cycle",     \
      "assumption: element-wise ops reuse one PE adder/multiplier per column, as TaxoNN time-multiplexes " \
      "the inference datapath (research/papers.md 1.4)")                                                   \
    X(vector_pipeline_cycles, 3, 0, timing::kMaxTimingParam, "cycles per vector op",                       \
      "assumption: read, operate, write back")

namespace trainvp::timing {

constexpr uint32_t kMaxTimingParam = 1u << 20;  // keeps cycle sums far from overflow
constexpr uint32_t kMaxBufferGeometry = 4096;   // a BufferPort's banks, bank width, ports (BufferBandwidth)

struct TimingParamInfo {
    const char* name;
    uint32_t default_value;
    uint32_t min, max;
    const char* unit;
    const char* source;
};

// The table above, in order (for --dump-config, documentation and tests).
const std::vector<TimingParamInfo>& timing_param_table();

struct TimingParams {
#define TRAINVP_TIMING_PARAM_FIELD(name, value, min, max, unit, source) uint32_t name = value;
    TRAINVP_ACCEL_TIMING_PARAMS(TRAINVP_TIMING_PARAM_FIELD)
#undef TRAINVP_TIMING_PARAM_FIELD

    // Throws FieldError (a std::invalid_argument) naming the parameter when a value is outside its range.
    void validate() const;
    // Sets one parameter by its table name (configuration overrides); throws UserError for an unknown name
    // or a value that does not fit in 32 bits.
    void set(const std::string& name, uint64_t value);
    // Throws UserError for an unknown name.
    uint32_t get(const std::string& name) const;

    // All overheads zero: the array alone at the standard systolic formulas (used to compare the analytic
    // model with the cycle-stepped one, and for the ideal-bandwidth tables). The buffers' geometry is not a
    // timing parameter: it is the buffers' own configuration (BufferBandwidth; pass BufferBandwidth::ideal()
    // for unlimited bandwidth).
    static TimingParams ideal();
};

}  // namespace trainvp::timing
