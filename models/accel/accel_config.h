// Configuration of the training accelerator (docs/accelerator.md "Configuration"). Plain data with
// defaults; the platform fills it from the scenario's `hardware.*` keys and calls validate() before
// constructing the Accelerator.
#pragma once

#include <cstdint>
#include <string>

#include "accel/array_timing.h"
#include "accel/timing_params.h"
#include "common/config_field.h"

namespace trainvp {

// The array's dataflow is the timing model's own type (one enum, one set of names).
using Dataflow = timing::Dataflow;
using timing::dataflow_name;                                  // "os", "ws", "is"
bool parse_dataflow(const std::string& text, Dataflow& out);  // false for anything but os/ws/is

// How the compute time of a tile is obtained: `analytic` from the array's closed-form model (default),
// `cycle` from the cycle-stepped array model (slow; for validation).
enum class Fidelity : uint8_t { analytic, cycle };
const char* fidelity_name(Fidelity f);  // "analytic", "cycle"
bool parse_fidelity(const std::string& text, Fidelity& out);

// The ranges below are the single statement of what each field accepts: validate() checks them and the
// scenario keys (platform/platform_config.cpp) are registered with them.
struct SramConfig {
    // On-chip buffers: 256 B holds the smallest tile of any layer in bytes-wide formats; 64 MiB is far above
    // any one buffer of a published training accelerator and keeps the model's host memory bounded.
    static constexpr ValueRange<uint64_t> kCapacityBytes{256, 64ull << 20};
    static constexpr ValueRange<uint32_t> kBanks{1, 1024};
    static constexpr ValueRange<uint32_t> kWordBytes{1, 256};  // and a power of two
    static constexpr ValueRange<uint32_t> kPorts{1, 16};
    static constexpr ValueRange<uint32_t> kLatencyCycles{0, 1024};

    uint64_t capacity_bytes = 64 * 1024;  // a multiple of banks * word_bytes
    uint32_t banks = 4;
    uint32_t word_bytes = 8;  // width of one bank access
    uint32_t ports = 1;       // simultaneous accesses per bank per cycle
    uint32_t latency_cycles = 1;
};

struct DmaConfig {
    static constexpr ValueRange<uint32_t> kBurstBytes{4, 4096};  // and a power of two (AXI: 4 KiB boundary)
    static constexpr ValueRange<uint32_t> kMaxOutstanding{1, 64};

    uint32_t burst_bytes = 256;    // largest TLM transaction the DMA issues: AXI4 16 x 16 B
    uint32_t max_outstanding = 4;  // bursts whose latencies may overlap (docs/accelerator.md "DMA")
};

struct AcceleratorConfig {
    static constexpr ValueRange<uint32_t> kArrayDim{1, 1024};  // rows and cols
    static constexpr ValueRange<double> kClockHz{1e3, 10e9};   // 10 GHz: a 100 ps period at 1 ps resolution

    uint32_t rows = 16;  // PE array
    uint32_t cols = 16;
    Dataflow dataflow = Dataflow::output_stationary;
    double clock_hz = 500e6;
    SramConfig weight_buffer{128 * 1024, 4, 8, 1, 1};
    SramConfig activation_buffer{128 * 1024, 4, 8, 1, 1};
    SramConfig gradient_buffer{128 * 1024, 4, 8, 1, 1};
    DmaConfig dma;
    bool double_buffering = true;  // DMA of the next tile overlaps the compute of this one
    // The bus window the DMA may address; operands outside it are an ADDR_RANGE error (never a bus access).
    uint64_t dram_base = 0x80000000ull;
    uint64_t dram_size = 0x80000000ull;
    Fidelity fidelity = Fidelity::analytic;  // cycle: compute cycles from the cycle-stepped array model
    timing::TimingParams timing;             // array timing constants (timing_params.h table)
    uint32_t supported_formats = 0x7f;       // bit per ACCEL_FMT_KIND_* (accel_desc.h)
    uint32_t max_dim = 65535;                // largest descriptor dimension (CAP_MAX_DIM)
    uint32_t max_acc_bits = 53;              // widest integer accumulator (CAP_MAX_ACC_BITS, <= 53)
    uint32_t stats_history = 256;            // per-descriptor records kept for stats_json() (oldest dropped)

    // Throws FieldError (a std::invalid_argument) naming the field ("accelerator.weight_buffer.banks: must be
    // in [1, 1024], got 0").
    void validate() const;
};

}  // namespace trainvp
