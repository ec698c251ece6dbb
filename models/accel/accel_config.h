// Configuration of the training accelerator (docs/accelerator.md "Configuration"). Plain data with
// defaults; the platform fills it from the scenario's `hardware.*` keys and calls validate() before
// constructing the Accelerator.
#pragma once

#include <cstdint>
#include <string>

#include "accel/array_timing.h"
#include "accel/pe_config.h"
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

// Whose cycle count a GEMM tile takes (docs/accelerator-timing.md): `native`, TrainVP's own array model
// (fidelity analytic or cycle, overheads and buffer stalls included); `scalesim`, SCALE-Sim v2's compute
// cycles for the tile's GEMM (timing::scalesim: ideal bandwidth, no overheads), for comparisons with
// published SCALE-Sim results. Values are computed the same way under both.
enum class TimingModel : uint8_t { native, scalesim };
const char* timing_model_name(TimingModel m);  // "native", "scalesim"
bool parse_timing_model(const std::string& text, TimingModel& out);

// Which module computes the PE array's GEMM tiles: `native`, the kernels in C++; `rtl`, the Verilated
// rtl/systolic_array.sv through the RTL PE array (models/rtl/rtl_pe_array.h; fixed-point and int8 formats,
// the array sizes compiled into this build).
enum class ArrayModel : uint8_t { native, rtl };
const char* array_model_name(ArrayModel m);  // "native", "rtl"
bool parse_array_model(const std::string& text, ArrayModel& out);

// The three on-chip buffers, in the order of their windows on the internal interconnect.
namespace accel {
enum class BufferId : uint8_t { weight, activation, gradient, count };
constexpr int kBufferCount = static_cast<int>(BufferId::count);
const char* buffer_name(BufferId b);  // "weight", "activation", "gradient"
}  // namespace accel

// One buffer (hardware.weight_buffer, activation_buffer, gradient_buffer): the single place its geometry is
// set; the SramBuffer module and the PE array's timing model both read it. The ranges below, here and in the
// other structs, are the single statement of what each field accepts: validate() checks them and the
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
    // Copy bursts through the DRAM's DMI pointer when the DRAM states its burst timing (same simulated
    // times and counters, fewer bus transactions: a simulation-speed switch, not hardware).
    bool dmi = true;
};

// The interconnect between the DMA, the buffers, the PE array and the vector unit (hardware.interconnect).
// A DMA tile transfer streams through it at width_bytes per accelerator cycle after latency_cycles; it
// overlaps the DRAM side, so it costs time only where it is the slower of the two (docs/accelerator.md
// "Internal interconnect").
struct InterconnectConfig {
    static constexpr ValueRange<uint32_t> kWidthBytes{1, 4096};  // and a power of two
    static constexpr ValueRange<uint32_t> kLatencyCycles{0, 1024};

    uint32_t width_bytes = 64;    // per cycle: a 512-bit data path, twice the DRAM rate of the reference
    uint32_t latency_cycles = 2;  // request and response register stages
};

struct AcceleratorConfig {
    static constexpr ValueRange<uint32_t> kArrayDim{1, 1024};  // rows and cols
    static constexpr ValueRange<double> kClockHz{1e3, 10e9};   // 10 GHz: a 100 ps period at 1 ps resolution

    uint32_t rows = 16;  // PE array
    uint32_t cols = 16;
    Dataflow dataflow = Dataflow::output_stationary;
    double clock_hz = 500e6;
    // The sparse junction-pipelined engine's own clock (docs/sparse.md): 15 MHz is the authors' FPGA build
    // (papers.md §3.8).
    double sparse_clock_hz = 15e6;
    SramConfig weight_buffer{128 * 1024, 4, 8, 1, 1};
    SramConfig activation_buffer{128 * 1024, 4, 8, 1, 1};
    SramConfig gradient_buffer{128 * 1024, 4, 8, 1, 1};
    DmaConfig dma;
    InterconnectConfig interconnect;
    bool double_buffering = true;  // DMA of the next tile overlaps the compute of this one
    // The bus window the DMA may address; operands outside it are an ADDR_RANGE error (never a bus access).
    uint64_t dram_base = 0x80000000ull;
    uint64_t dram_size = 0x80000000ull;
    timing::PeConfig pe;                     // the MAC of every PE (hardware.array.pe)
    Fidelity fidelity = Fidelity::analytic;  // cycle: compute cycles from the cycle-stepped array model
    timing::TimingParams timing;             // array timing constants (timing_params.h table)
    uint32_t supported_formats = 0x7f;       // bit per ACCEL_FMT_KIND_* (accel_desc.h)
    uint32_t max_dim = 65535;                // largest descriptor dimension (CAP_MAX_DIM)
    uint32_t max_acc_bits = 53;              // widest integer accumulator (CAP_MAX_ACC_BITS, <= 53)
    uint32_t stats_history = 256;            // per-descriptor records kept for stats_json() (oldest dropped)

    // scalesim: GEMM tiles take SCALE-Sim v2's cycles.
    TimingModel timing_model = TimingModel::native;
    // rtl: GEMM tiles run on the Verilated array (RtlPeArray, through AcceleratorParts).
    ArrayModel array_model = ArrayModel::native;
    // The backward-data and weight-gradient GEMMs of a stride-s convolution run on the error map dilated with
    // s-1 zeros between elements (hardware.array.skip_stride_zeros; docs/accelerator-timing.md "Stride
    // zeros"): false, a dense array streams the zeros; true, the array skips them (after ETA, papers.md §4).
    bool skip_stride_zeros = false;

    const SramConfig& buffer(accel::BufferId b) const {
        return b == accel::BufferId::weight       ? weight_buffer
               : b == accel::BufferId::activation ? activation_buffer
                                                  : gradient_buffer;
    }
    // Throws FieldError (a std::invalid_argument) naming the field ("accelerator.weight_buffer.banks: must be
    // in [1, 1024], got 0").
    void validate() const;
};

}  // namespace trainvp
