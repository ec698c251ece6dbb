// The vector unit: carries out TileCommands (accel_protocol.h) for everything that is not a conv or fc phase
// (ReLU and its mask, max- and average-pooling, softmax cross-entropy, the SGD update, format conversion).
// Like the PE array it reads its operands from their buffer slots, converts them from their storage format
// once per tile, computes with the kernels and writes the results back in storage format; the loss sum of a
// softmax descriptor runs across its tiles in the unit. Its time is the array model's vector-operation
// estimate (the element-wise work shares the array's columns, docs/accelerator-timing.md "Vector
// operations"). It is also the auxiliary core of ETA (papers.md §4): residual addition, global average
// pooling and the range group normalization run here, time-multiplexed with the SGD updates (one descriptor
// at a time), with their own cycles and energy actions.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <systemc>
#include <tlm>
#include <vector>

#include "accel/accel_config.h"
#include "accel/accel_desc.h"
#include "accel/accel_format.h"
#include "accel/buffer_access.h"
#include "accel/compute_timing.h"
#include "common/log.h"
#include "kernels/group_norm.h"
#include "kernels/kernel_types.h"
#include "kernels/loss.h"

namespace trainvp {

namespace accel {
struct DecodedOp;
enum class Opnd : uint8_t;
struct Tile;
struct TileCommand;
struct BufferSlot;
}  // namespace accel

class VectorUnit : public sc_core::sc_module {
  public:
    tlm_utils::simple_target_socket<VectorUnit> cmd_in;
    tlm_utils::simple_initiator_socket<VectorUnit> buffers_out;

    VectorUnit(sc_core::sc_module_name name, const AcceleratorConfig& config);

  private:
    void command(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
    void invalidate(sc_dt::uint64 start, sc_dt::uint64 end) { buffers_.invalidate(start, end); }
    // False with cmd's error set when the tile cannot be computed.
    bool run(const accel::DecodedOp& op, const accel::Tile& t, accel::TileCommand& cmd);
    bool norm_forward(const accel::DecodedOp& op, const accel::Tile& t, accel::TileCommand& cmd);
    bool norm_backward(const accel::DecodedOp& op, const accel::Tile& t, accel::TileCommand& cmd);

    const uint8_t* read(const accel::BufferSlot& s, uint64_t bytes);
    bool read_values(const accel::BufferSlot& s, uint64_t n, const num::Format& fmt, accel::Staging& values);
    bool write(const accel::BufferSlot& s, const uint8_t* bytes, uint64_t n);
    bool write_values(const accel::BufferSlot& s, const float* values, uint64_t n, const num::Format& fmt);
    // Operand o's n values as floats: in place in the buffer (fp32 behind DMI, no output of the tile over
    // it) or unpacked into `values`; null after a buffer error.
    const float* input(const accel::DecodedOp& op, const accel::Tile& t, accel::Opnd o, uint64_t n,
                       const num::Format& fmt, accel::Staging& values);
    // Where a kernel writes output o: in place in the buffer (fp32 behind DMI, no input of the tile under it)
    // or `values`, which commit() then packs and writes.
    float* output(const accel::DecodedOp& op, const accel::Tile& t, accel::Opnd o, uint64_t n,
                  const num::Format& fmt, accel::Staging& values);
    bool commit(const accel::BufferSlot& s, const float* values, uint64_t n, const num::Format& fmt,
                const accel::Staging& staging);
    bool fail(accel::TileCommand& cmd, const accel::BufferSlot& s);

    AcceleratorConfig config_;
    accel::ComputeTimer timer_;
    sc_core::sc_time period_;
    accel::BufferAccess buffers_;
    sc_core::sc_time access_delay_;
    accel::TensorCodec codec_;
    kern::Workspace ws_;
    accel::Staging v_[5];  // ADD: four addends and the sum
    std::vector<uint32_t> argmax_;
    std::vector<uint8_t> copy_, bytes_, mask_, out_bytes_;
    kern::LossResult loss_;  // running over the tiles of one SOFTMAX_XENT descriptor
    kern::GroupNormSaved saved_;
    std::vector<accel_norm_stats> stats_;
    std::vector<double> dgamma_acc_, dbeta_acc_;  // running over the tiles of one NORM_BWD descriptor
    Logger log_;
};

}  // namespace trainvp
