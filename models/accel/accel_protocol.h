// The accelerator's internal TLM-2.0 protocol (docs/accelerator.md "Inside the accelerator"):
//
// * Buffers sit on the buffer interconnect at buffer_address(id, offset): one 256 MiB window per buffer.
//   Their targets take ordinary base-protocol reads and writes, DMI and transport_dbg.
// * Commands from the controller to the DMA engine, the PE array and the vector unit are base-protocol
//   transactions with TLM_IGNORE_COMMAND, address 0, no data, and one mandatory extension: DmaCommand or
//   TileCommand. The target carries the command out, adds the time it is busy to the b_transport delay
//   (loosely timed: it does not wait), fills the extension's reply, and answers TLM_OK_RESPONSE, or
//   TLM_GENERIC_ERROR_RESPONSE with the reply's error. A transaction without the extension gets
//   TLM_COMMAND_ERROR_RESPONSE.
#pragma once

#include <cstdint>
#include <string>
#include <systemc>
#include <tlm>

#include "accel/accel_op.h"
#include "accel/accel_stats.h"
#include "accel/tile_plan.h"

namespace trainvp::accel {

constexpr uint64_t kBufferWindow = 0x1000'0000;
constexpr uint64_t buffer_address(BufferId b, uint64_t offset = 0) {
    return static_cast<uint64_t>(b) * kBufferWindow + offset;
}

// A transfer for the DMA engine. load: DRAM -> buffer, store: buffer -> DRAM, each as `rows` runs of
// row_bytes that lie dram_stride apart in DRAM and packed in the buffer from buffer_address. fetch: one run
// from DRAM into `data` (the controller's descriptor fetch). The delay the DMA adds is the transfer's time:
// its DRAM bursts (waves of max_outstanding) and its buffer side (interconnect and buffer) overlap, so the
// slower of the two. put: one run from `data` into DRAM (the sparse engine's results).
struct DmaCommand : tlm::tlm_extension<DmaCommand> {
    enum class Kind : uint8_t { load, store, fetch, put };
    Kind kind = Kind::load;
    uint64_t dram_address = 0;
    uint64_t buffer_address = 0;
    uint8_t* data = nullptr;
    uint32_t rows = 1;
    uint64_t row_bytes = 0;
    uint64_t dram_stride = 0;
    // store: the operand is int8; the max-code monitor on the store path compares every code it moves
    // (docs/accelerator.md "int8 maxima").
    bool int8_max = false;
    // Reply.
    uint64_t bytes = 0;          // moved before any error
    uint32_t max_code = 0;       // int8_max: the largest |code| (two's complement byte) stored, 0..128
    uint64_t bursts = 0;         // bus bursts issued for them
    uint64_t fault_address = 0;  // DRAM address of the burst that failed
    sc_core::sc_time dram_time = sc_core::SC_ZERO_TIME, buffer_time = sc_core::SC_ZERO_TIME;

    tlm::tlm_extension_base* clone() const override { return new DmaCommand(*this); }
    void copy_from(const tlm::tlm_extension_base& other) override {
        *this = static_cast<const DmaCommand&>(other);
    }
};

// One tile for the PE array (conv and fc phases) or the vector unit (everything else): the decoded
// descriptor it belongs to and the tile itself (coordinates, first/last of its reduction, and the buffer
// slot of every operand; the DMA moves are the controller's business). The unit reads its operands from the
// slots, computes the tile with the kernels, writes its results (or partial sums) into the slots, and adds
// the tile's compute time to the delay.
struct TileCommand : tlm::tlm_extension<TileCommand> {
    const DecodedOp* op = nullptr;
    const Tile* tile = nullptr;
    // Reply.
    TileEstimate estimate;            // cycles and traffic from the timing model
    UnitActions actions;              // what the unit did, for the energy model (accel_stats.h)
    uint32_t error = ACCEL_ERR_NONE;  // ACCEL_ERR_* when the tile cannot be computed
    uint64_t error_address = 0;       // as ERR_ADDR
    std::string why;

    tlm::tlm_extension_base* clone() const override { return new TileCommand(*this); }
    void copy_from(const tlm::tlm_extension_base& other) override {
        *this = static_cast<const TileCommand&>(other);
    }
};

// Reads the extension of a command transaction; answers TLM_COMMAND_ERROR_RESPONSE and returns null when the
// transaction is not a command.
template <typename Ext>
Ext* command_of(tlm::tlm_generic_payload& trans) {
    Ext* ext = trans.get_extension<Ext>();
    if (!ext || trans.get_command() != tlm::TLM_IGNORE_COMMAND) {
        trans.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
        return nullptr;
    }
    return ext;
}

}  // namespace trainvp::accel
