// Compute cycles of one tile on the PE array, from the array timing model (array_timing.h, library
// trainvp_accel_timing; formulas in docs/accelerator-timing.md). Training repeats the same tile shapes every
// step, so estimates are memoised per (shape, element sizes, buffers): the stall model walks every array step
// and would otherwise cost as much as the arithmetic. The buffers are keyed by the address of their
// SramConfig, which must outlive the timer.
#pragma once

#include <cstdint>
#include <map>
#include <tuple>

#include "accel/accel_config.h"
#include "accel/array_timing.h"

namespace trainvp::accel {

// Cycles in which the PEs do no useful MAC, by reason. fill_drain: systolic fill/skew, weight load and
// drain; overhead: control and edge pipeline stages; buffer_bandwidth / bank_conflict: the array waits for a
// buffer (array_timing.h StallReason, summed over A, B and C); dma: the array waits for the DMA (set by the
// controller, not by the array model).
enum class Stall : uint8_t { fill_drain, overhead, buffer_bandwidth, bank_conflict, dma, count };
const char* stall_name(Stall s);  // "fill_drain", "overhead", "buffer_bandwidth", "bank_conflict", "dma"

struct ComputeEstimate {
    uint64_t cycles = 0;      // total, including the compute-side stalls below (not DMA)
    uint64_t mac_cycles = 0;  // cycles with the operands streaming (stream_cycles)
    uint64_t stalls[static_cast<int>(Stall::count)] = {};
    uint64_t a_read_bytes = 0, b_read_bytes = 0, c_read_bytes = 0, c_write_bytes = 0;  // array-side traffic
};

// Which SRAM plays the A, B and C (accumulator) role of a GEMM.
struct GemmRoles {
    const SramConfig* a;
    const SramConfig* b;
    const SramConfig* c;
};

class ComputeTimer {
  public:
    // Throws UserError if the timing parameters are invalid.
    explicit ComputeTimer(const AcceleratorConfig& cfg);

    // C[M x N] += A[M x K] . B[K x N] with element sizes in bytes (c: accumulator).
    // `rate` is the PE's throughput for the operand formats (timing::pe_rate).
    ComputeEstimate gemm(uint64_t M, uint64_t N, uint64_t K, uint32_t a_bytes, uint32_t b_bytes,
                         uint32_t c_bytes, const GemmRoles& roles, const timing::PeRate& rate = {});
    // `ops` element operations reading read_bytes from `src` and writing write_bytes to `dst`.
    ComputeEstimate vector(uint64_t ops, uint64_t read_bytes, uint64_t write_bytes, const SramConfig& src,
                           const SramConfig& dst);

  private:
    using Key = std::tuple<uint64_t, uint64_t, uint64_t, uint32_t, uint32_t, uint32_t, const void*,
                           const void*, const void*, uint32_t, uint32_t>;
    using VectorKey = std::tuple<uint64_t, uint64_t, uint64_t, const void*, const void*>;
    ComputeEstimate convert(const timing::GemmTiming& t) const;

    const AcceleratorConfig& cfg_;
    timing::ArrayConfig array_;
    std::map<Key, ComputeEstimate> gemm_cache_;
    std::map<VectorKey, ComputeEstimate> vector_cache_;
};

}  // namespace trainvp::accel
