// The training accelerator as one TLM-2.0 component (docs/accelerator.md): a register target socket, a DMA
// initiator socket, an interrupt output and a debug socket. Inside it is a subsystem of modules bound through
// TLM-2.0 sockets, each replaceable: the controller, the DMA engine, the weight, activation and gradient
// buffers, the PE array and the vector unit on a buffer interconnect (soc.accel.weight_buffer, ...). The
// Accelerator itself only builds and binds them, and strings their checkpoint images together.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <systemc>
#include <tlm>
#include <vector>

#include "accel/accel_config.h"

namespace trainvp {

namespace accel {
class AccelStats;
}  // namespace accel
class Controller;
class DmaEngine;
class BufferInterconnect;
class SparseEngine;
class StateWriter;
class StateReader;

// Any 32-bit base-protocol socket of a replacement module.
using AccelTargetSocket =
    tlm::tlm_base_target_socket_b<32, tlm::tlm_fw_transport_if<>, tlm::tlm_bw_transport_if<>>;
using AccelInitiatorSocket =
    tlm::tlm_base_initiator_socket_b<32, tlm::tlm_fw_transport_if<>, tlm::tlm_bw_transport_if<>>;

// A module that stands in for a buffer: its target socket takes the buffer's reads and writes (local offsets
// from 0), and ideally DMI and transport_dbg.
struct BufferPart {
    std::unique_ptr<sc_core::sc_module> module;
    AccelTargetSocket* in = nullptr;
};

// A module that stands in for the PE array or the vector unit: TileCommands arrive on cmd_in
// (accel_protocol.h); buffers_out reaches the buffers on the interconnect.
struct ComputePart {
    std::unique_ptr<sc_core::sc_module> module;
    AccelTargetSocket* cmd_in = nullptr;
    AccelInitiatorSocket* buffers_out = nullptr;
};

// Factories the Accelerator calls from its constructor, so that a replacement is its child in the SystemC
// hierarchy (`name` is the part's name: "weight_buffer", "pe_array", ...). An empty function, or a part
// without a module, keeps the built-in one. docs/accelerator.md "Replacing a part".
struct AcceleratorParts {
    std::function<BufferPart(const char* name, accel::BufferId id, const AcceleratorConfig& config)> buffer;
    std::function<ComputePart(const char* name, const AcceleratorConfig& config)> pe_array;
    std::function<ComputePart(const char* name, const AcceleratorConfig& config)> vector_unit;
};

class Accelerator : public sc_core::sc_module {
  public:
    // Registers (accel_regs.h) at local offsets [0, ACCEL_REG_SPAN).
    tlm::tlm_target_socket<32> regs_in;
    // DMA master: descriptor fetches and operand transfers, at bus addresses.
    tlm::tlm_initiator_socket<32> dma_out;
    // High while (IRQ_STATUS & IRQ_ENABLE) != 0.
    sc_core::sc_out<bool> irq;
    // transport_dbg into the buffers (no side effects, no time): the weight buffer at kDebugWeightBase, the
    // activation buffer at kDebugActivationBase, the gradient buffer at kDebugGradientBase. Binding it is
    // optional.
    tlm::tlm_target_socket<32, tlm::tlm_base_protocol_types, 1, sc_core::SC_ZERO_OR_MORE_BOUND> debug_in;
    static constexpr uint64_t kDebugWeightBase = 0x0000'0000;
    static constexpr uint64_t kDebugActivationBase = 0x1000'0000;
    static constexpr uint64_t kDebugGradientBase = 0x2000'0000;

    // Throws std::invalid_argument if config.validate() does.
    Accelerator(sc_core::sc_module_name name, const AcceleratorConfig& config,
                const AcceleratorParts& parts = {});
    ~Accelerator() override;

    const AcceleratorConfig& config() const { return config_; }
    const accel::AccelStats& stats() const;
    nlohmann::json stats_json() const;
    // Register value as the firmware would read it (no side effects); false for a hole.
    bool peek_register(uint32_t offset, uint32_t& value) const;
    // transport_dbg through debug_in, for callers that hold the Accelerator rather than a socket.
    unsigned int debug_buffers(tlm::tlm_generic_payload& trans);

    Controller& controller() { return *controller_; }
    // The sparse junction-pipelined engine (docs/sparse.md), driven by the SPARSE_* descriptors.
    SparseEngine& sparse_engine() { return *sparse_; }
    const SparseEngine& sparse_engine() const { return *sparse_; }

    // Checkpoints (docs/accelerator.md "Checkpoints"). Each part saves the state it owns (part_state.h): the
    // controller its registers, ring, error state, performance counters and statistics, the DMA engine its
    // counters, each buffer its contents and counters. The image is the parts' images in a fixed order, each
    // under its name and length, so that one saved by another layout is refused, never misread. The state is
    // complete only between descriptors: quiescent() is the controller's. restore_state() before the
    // simulation starts (or during it with the accelerator quiescent).
    bool quiescent(std::string& why) const;
    void save_state(StateWriter& w) const;
    void restore_state(StateReader& r);

  private:
    struct PartRef {
        const char* name;
        sc_core::sc_module* module;
        AccelTargetSocket* buffer_in;  // buffers only: their contents go through transport_dbg if need be
        uint64_t buffer_bytes;
    };
    std::vector<PartRef> parts() const;

    AcceleratorConfig config_;
    std::unique_ptr<Controller> controller_;
    std::unique_ptr<DmaEngine> dma_;
    std::unique_ptr<BufferInterconnect> interconnect_;
    BufferPart buffers_[accel::kBufferCount];
    ComputePart pe_array_, vector_unit_;
    std::unique_ptr<SparseEngine> sparse_;
};

}  // namespace trainvp
