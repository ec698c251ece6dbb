// Timing of the PE array: an analytic model of a GEMM on an R x C systolic array under output-, weight- or
// input-stationary dataflow, and a cycle-stepped model of the same array that computes the values register by
// register. Plain C++17 without SystemC (STYLE.md "Function apart from timing"). The formulas, the mapping
// of GEMM dimensions to array rows, columns and time, and the stall model are in docs/accelerator-timing.md.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "accel/timing_params.h"
#include "kernels/gemm.h"

namespace trainvp::timing {

// The dataflow of the PE array (accel_config.h uses this type too).
enum class Dataflow : uint8_t { output_stationary, weight_stationary, input_stationary };
const char* dataflow_name(Dataflow d);  // "os", "ws", "is"
// Accepts "os"/"ws"/"is" and the full enumerator names; throws UserError otherwise.
Dataflow parse_dataflow(const std::string& text);

struct ArrayConfig {
    uint32_t rows = 16, cols = 16;
    Dataflow dataflow = Dataflow::output_stationary;
    void validate() const;  // throws UserError: rows and cols in [1, 4096]
};

// Bytes of the edge lane streams in a buffer. Every operand is held lane-major: the elements one array-edge
// lane consumes (or produces) during a GEMM are contiguous, and lane l starts at l * lane_stride_bytes
// (docs "Buffer layout"). 0 selects the packed layout: the stream length in bytes rounded up to a bank word.
struct GemmLayout {
    uint64_t a_lane_stride_bytes = 0, b_lane_stride_bytes = 0, c_lane_stride_bytes = 0;
};

// C[M][N] (+)= A[M][K] . B[K][N].
struct GemmShape {
    uint64_t m = 1, n = 1, k = 1;
    uint32_t a_bytes = 2, b_bytes = 2, c_bytes = 4;  // element sizes in the buffers (c: accumulator)
    bool accumulate = true;  // C starts from its previous value (bias preload, earlier tile) instead of 0
    GemmLayout layout;
    // PE throughput for this GEMM's operand formats (pe_config.h PeRate): each PE completes
    // products_per_cycle products of consecutive elements of the temporal dimension per array step, and one
    // step takes cycles_per_product cycles (docs "Brick PE"). One of the two is 1; the cycle-stepped model
    // takes only 1 / 1.
    uint32_t products_per_cycle = 1, cycles_per_product = 1;

    uint64_t macs() const { return m * n * k; }
    void validate() const;  // throws UserError: dimensions >= 1 and < 2^31, element sizes 1..16 bytes, rate
};

// One SRAM buffer as the array sees it. The accelerator fills it from the buffer's configuration
// (hardware.*_buffer); the defaults serve stand-alone timing studies.
struct BufferPort {
    uint32_t banks = 8;
    uint32_t bank_width_bytes = 8;
    uint32_t ports = 1;  // per bank and direction (reads and writes use separate ports)
};

// Buffers feeding the array: `a` holds the A operand, `b` the B operand, `c` the accumulators (partial sums
// and results). The controller decides which physical buffer plays which role in each phase.
struct BufferBandwidth {
    bool unlimited = false;  // ideal bandwidth: no stalls whatever the access pattern
    BufferPort a, b, c;

    static BufferBandwidth ideal();
    void validate() const;  // throws UserError
};

// Why the array waited. Bandwidth: a buffer needed more cycles than one for a step's words even if they were
// spread evenly over its banks. Bank conflict: the extra cycles because they were not.
enum class StallReason : uint8_t {
    a_bandwidth,
    a_bank_conflict,
    b_bandwidth,
    b_bank_conflict,
    c_bandwidth,
    c_bank_conflict,
    count
};
constexpr size_t kStallReasons = static_cast<size_t>(StallReason::count);
const char* stall_reason_name(StallReason r);  // "a_bandwidth", ...

// Timing of one GEMM (or of one vector operation, or a sum of them).
struct GemmTiming {
    uint64_t folds = 0;              // array-sized pieces of the GEMM, executed one after another
    uint64_t macs = 0;               // useful multiply-accumulates
    uint64_t vector_ops = 0;         // element operations of non-GEMM work
    uint64_t compute_cycles = 0;     // ideal bandwidth, no overheads: stream_cycles + fill_drain_cycles
    uint64_t stream_cycles = 0;      // cycles in which the operands of the temporal dimension stream
    uint64_t fill_drain_cycles = 0;  // systolic fill (skew, weight load) and drain
    uint64_t overhead_cycles = 0;    // control and edge pipeline stages (TimingParams)
    std::array<uint64_t, kStallReasons> stall_cycles_by_reason{};
    uint64_t total_cycles = 0;  // compute + overhead + stalls
    double utilization = 0.0;   // macs / (rows * cols * total_cycles); 0 for vector ops
    // Buffer traffic in bytes (element granularity; what an energy model multiplies by per-byte costs).
    uint64_t a_read_bytes = 0, b_read_bytes = 0, c_read_bytes = 0, c_write_bytes = 0;

    uint64_t stall_cycles() const;
    uint64_t stall(StallReason r) const { return stall_cycles_by_reason[static_cast<size_t>(r)]; }
    // Adds counts (cycles add: the operations run one after another); utilization is recomputed.
    void add(const GemmTiming& other, const ArrayConfig& cfg);
};

// Fold grid: which GEMM dimension is spatial along rows (Sr), along columns (Sc), and temporal (T).
//   output stationary: Sr = M, Sc = N, T = K
//   weight stationary: Sr = K, Sc = M, T = N   (A is held in the PEs)
//   input stationary:  Sr = K, Sc = N, T = M   (B is held in the PEs)
struct FoldGrid {
    uint64_t sr = 0, sc = 0, t = 0;
    uint64_t row_folds = 0, col_folds = 0;  // ceil(Sr / rows), ceil(Sc / cols)
};
FoldGrid fold_grid(const GemmShape& s, const ArrayConfig& cfg);

// Cycles of one fold that uses r rows and c columns with temporal length t: 2r + c + t - 2 in every dataflow
// (docs "One fold"; the RTL array rtl/systolic_array.sv takes exactly this). SCALE-Sim v2 counts differently:
// scalesim_timing.h.
uint64_t fold_cycles(uint64_t r, uint64_t c, uint64_t t);

// Analytic model. With BufferBandwidth::ideal() and TimingParams::ideal(), total_cycles == compute_cycles.
GemmTiming analytic_gemm(const GemmShape& s, const ArrayConfig& cfg, const TimingParams& p,
                         const BufferBandwidth& bw);

// Cycle-stepped model (fidelity: cycle): moves operands and partial sums through the PE registers one cycle
// at a time and counts cycles until the last result has left the array. Computes C (row-major M x N, ld N)
// from A (M x K, ld K) and B (K x N, ld N) with the kernels' accumulation (kern::accumulate_value), so the
// result equals kern::gemm_accumulate bit for bit. If !s.accumulate, C's input values are ignored (C = A.B).
// Stalls follow the same per-step buffer model as analytic_gemm; overheads are the same constants.
GemmTiming cycle_gemm(const GemmShape& s, const ArrayConfig& cfg, const TimingParams& p,
                      const BufferBandwidth& bw, const kern::MacConfig& mac, const double* a, const double* b,
                      double* c);

// Non-GEMM work on the array: `ops` element operations spread over the columns (docs "Vector operations"),
// reading read_bytes from buffer b and writing write_bytes to buffer c.
struct VectorOp {
    const char* name = "";
    uint64_t ops = 0;
    uint64_t read_bytes = 0, write_bytes = 0;
};
GemmTiming vector_timing(const VectorOp& op, const ArrayConfig& cfg, const TimingParams& p,
                         const BufferBandwidth& bw);

}  // namespace trainvp::timing
