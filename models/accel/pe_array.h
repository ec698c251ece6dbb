// The PE array: carries out TileCommands (accel_protocol.h) for the conv and fc phases. It reads the tile's
// operands from their buffer slots through `buffers_out` (DMI where granted), converts them from their
// storage format once, computes the tile with the kernels' tile entry points (conv2d.h, fully_connected.h),
// and writes the results in storage format, or the partial sums of a split reduction as 8-byte doubles, back
// into the slots. Its time is the array model's estimate for the tile (compute_timing.h, with the buffers'
// geometry from their configuration), plus the delays of any buffer it had to reach with b_transport.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <systemc>
#include <tlm>
#include <vector>

#include "accel/accel_config.h"
#include "accel/accel_format.h"
#include "accel/buffer_access.h"
#include "accel/compute_timing.h"
#include "accel/storage_rounding.h"
#include "common/log.h"
#include "kernels/kernel_types.h"

namespace trainvp {

namespace accel {
struct DecodedOp;
struct Tile;
struct TileCommand;
struct BufferSlot;
}  // namespace accel

// Arithmetic that stands in for the kernels' GEMMs inside the PE array, e.g. an RTL array
// (models/rtl/rtl_pe_array.h; docs/accelerator.md "Putting a customer's RTL into TrainVP"). It computes every
// GEMM of a tile, with gemm_accumulate's results, and counts the array cycles they took: fill, stream and
// drain, which replace the native model's for that tile (overheads and buffer stalls stay the model's).
class PeGemmEngine : public kern::GemmEngine {
  public:
    virtual void begin_tile() = 0;
    virtual uint64_t tile_cycles() const = 0;
};

class PeArray : public sc_core::sc_module {
  public:
    tlm_utils::simple_target_socket<PeArray> cmd_in;
    tlm_utils::simple_initiator_socket<PeArray> buffers_out;

    // `engine` (optional, outlives the module) computes the GEMMs instead of the kernels' gemm_accumulate.
    PeArray(sc_core::sc_module_name name, const AcceleratorConfig& config, PeGemmEngine* engine = nullptr);

  private:
    void command(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
    void invalidate(sc_dt::uint64 start, sc_dt::uint64 end) { buffers_.invalidate(start, end); }
    // False (with cmd's error set) when a buffer access failed.
    bool forward(const accel::DecodedOp& op, const accel::Tile& t, accel::TileCommand& cmd);
    bool backward_data(const accel::DecodedOp& op, const accel::Tile& t, accel::TileCommand& cmd);
    bool weight_grad(const accel::DecodedOp& op, const accel::Tile& t, accel::TileCommand& cmd);

    // Operand access: the slot's bytes through DMI or a b_transport copy; decoded into `values`.
    bool read(const accel::BufferSlot& s, uint64_t bytes, std::vector<uint8_t>& copy, const uint8_t*& out);
    // The operand's n values as floats (in place, or unpacked into `values`); null after a buffer error.
    const float* read_values(const accel::DecodedOp& op, const accel::Tile& t, const accel::BufferSlot& s,
                             uint64_t n, const num::Format& fmt, accel::Staging& values);
    bool write(const accel::BufferSlot& s, const uint8_t* bytes, uint64_t n);
    // Where the kernel's rounding unit writes a tile's output: the slot itself through DMI, or a staging copy
    // that commit() then writes with b_transport.
    kern::Out output(const accel::BufferSlot& s, uint64_t n, const num::Format& fmt, const num::SrKey& key,
                     uint64_t index_base, accel::StorageSink& sink, std::vector<uint8_t>& staging);
    bool commit(const accel::BufferSlot& s, const std::vector<uint8_t>& staging, uint64_t n,
                const num::Format& fmt);
    bool read_doubles(const accel::BufferSlot& s, double* out, uint64_t n);
    bool write_doubles(const accel::BufferSlot& s, const double* in, uint64_t n);
    bool fail(accel::TileCommand& cmd, const accel::BufferSlot& s);

    kern::MacContext mac_context(const accel::DecodedOp& op) const;

    AcceleratorConfig config_;
    PeGemmEngine* engine_;
    accel::ComputeTimer timer_;
    sc_core::sc_time period_;
    accel::BufferAccess buffers_;
    sc_core::sc_time access_delay_;  // b_transport delays of the current tile
    accel::TensorCodec codec_;
    kern::Workspace ws_;
    accel::Staging in_[3];
    accel::StorageSink sink_[2];
    std::vector<double, accel::UninitAllocator<double>> acc_, flat_;
    std::vector<uint8_t> copy_, staging_[2];
    Logger log_;
};

}  // namespace trainvp
