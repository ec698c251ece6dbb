// The training accelerator as one TLM-2.0 component (docs/accelerator.md): a register target socket, a DMA
// initiator socket, an interrupt output, a command ring in DRAM, weight/activation/gradient buffers, and a
// PE array whose arithmetic is the kernels' (models/kernels) and whose timing is the array model's.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <systemc>
#include <tlm>
#include <vector>

#include "accel/accel_config.h"
#include "accel/accel_desc.h"
#include "accel/accel_format.h"
#include "accel/accel_op.h"
#include "accel/accel_regs.h"
#include "accel/accel_stats.h"
#include "accel/dma_engine.h"
#include "accel/sram_buffer.h"
#include "accel/tile_plan.h"
#include "common/log.h"
#include "kernels/kernel_types.h"

namespace trainvp {

class Accelerator : public sc_core::sc_module {
  public:
    // Registers (accel_regs.h) at local offsets [0, ACCEL_REG_SPAN).
    tlm_utils::simple_target_socket<Accelerator> regs_in;
    // DMA master: descriptor fetches and operand transfers, at bus addresses.
    tlm_utils::simple_initiator_socket<Accelerator> dma_out;
    // High while (IRQ_STATUS & IRQ_ENABLE) != 0.
    sc_core::sc_out<bool> irq;

    // Debug view of the buffers with transport_dbg semantics (no side effects, no time): the weight buffer at
    // kDebugWeightBase, the activation buffer at kDebugActivationBase, the gradient buffer at
    // kDebugGradientBase. Returns the bytes copied. A function rather than a socket so that a platform
    // need not bind anything; a debugger front end can forward its transport_dbg calls here.
    unsigned int debug_buffers(tlm::tlm_generic_payload& trans);
    static constexpr uint64_t kDebugWeightBase = 0x0000'0000;
    static constexpr uint64_t kDebugActivationBase = 0x1000'0000;
    static constexpr uint64_t kDebugGradientBase = 0x2000'0000;

    SC_HAS_PROCESS(Accelerator);
    // Throws std::invalid_argument if config.validate() does.
    Accelerator(sc_core::sc_module_name name, const AcceleratorConfig& config);
    ~Accelerator() override;

    const AcceleratorConfig& config() const { return config_; }
    const SramBuffer& buffer(accel::BufferId id) const { return *buffers_[static_cast<int>(id)]; }
    const accel::AccelStats& stats() const { return stats_; }
    nlohmann::json stats_json() const;
    // Register value as the firmware would read it (no side effects); false for a hole.
    bool peek_register(uint32_t offset, uint32_t& value) const;

    // Checkpoints (accel_state.cpp). The state is complete only between descriptors: quiescent() is true
    // when no descriptor is executing or queued and the interrupt line is low, else `why` says what is going
    // on. save_state(): registers, ring pointers, error state, performance counters, statistics, buffer
    // contents and counters, DMA counters. restore_state() before the simulation starts.
    bool quiescent(std::string& why) const;
    void save_state(StateWriter& w) const;
    void restore_state(StateReader& r);

  private:
    struct Counters {
        uint64_t cycles = 0, compute = 0, stall = 0, macs = 0, dma_rd = 0, dma_wr = 0, desc = 0;
    };

    // Register file (accelerator.cpp).
    void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
    unsigned int transport_dbg(tlm::tlm_generic_payload& trans);
    void write_register(uint32_t offset, uint32_t value, const sc_core::sc_time& delay);
    bool read_register(uint32_t offset, uint32_t& value) const;
    void publish_tail(uint32_t new_tail, const sc_core::sc_time& delay);
    void reset_state();
    void update_irq();  // schedules drive_irq: the port has one driver process whoever changes the state
    void drive_irq();
    bool busy() const;

    // Controller (controller.cpp).
    void run_queue();
    void execute_next();
    void raise_error(uint32_t code, uint64_t address, const std::string& why);
    bool fetch(uint64_t address, accel_desc& desc, sc_core::sc_time& time);
    sc_core::sc_time timing(const accel::DecodedOp& op, const accel::TilePlan& plan,
                            sc_core::sc_time read_time, sc_core::sc_time write_time, uint64_t tlm_read,
                            uint64_t tlm_write, accel::PhaseStats& ps);

    // Datapath (datapath.cpp): DMA operands in, kernels, DMA results out. False after an error was raised.
    // Every byte of every operand moves through dma_out; the kernels compute from what the DMA read.
    bool run_datapath(const accel::DecodedOp& op, sc_core::sc_time& read_time, sc_core::sc_time& write_time,
                      accel::DecodeError& err);
    bool load(const accel::DecodedOp& op, accel::Opnd which, accel::Staging& values, sc_core::sc_time& t,
              accel::DecodeError& err);
    bool load_raw(const accel::DecodedOp& op, accel::Opnd which, sc_core::sc_time& t,
                  accel::DecodeError& err);
    bool store(const accel::DecodedOp& op, accel::Opnd which, const accel::Staging& values,
               sc_core::sc_time& t, accel::DecodeError& err);
    bool store_raw(const accel::DecodedOp& op, accel::Opnd which, const uint8_t* bytes, sc_core::sc_time& t,
                   accel::DecodeError& err);

    AcceleratorConfig config_;
    Logger log_;
    std::unique_ptr<SramBuffer> buffers_[3];
    DmaEngine dma_;
    accel::ComputeTimer timer_;
    sc_core::sc_time clock_period_;
    sc_core::sc_event kick_;
    sc_core::sc_event irq_changed_;

    // Architectural state.
    uint32_t ctrl_ = 0, err_code_ = 0, err_addr_ = 0, err_desc_ = 0, irq_enable_ = 0, irq_status_ = 0;
    uint32_t ring_base_ = 0, ring_size_ = 0, head_ = 0, tail_ = 0, scratch_ = 0;
    bool error_ = false, executing_ = false;
    uint64_t generation_ = 0;  // bumped by every reset; a descriptor started earlier completes silently
    Counters live_, snapshot_;

    accel::AccelStats stats_;
    uint64_t sequence_ = 0;

    // Staging of the operands the DMA brought in, decoded to the kernels' float values; reused. Growing
    // them leaves the new elements unset: every element is written (by the DMA, the codec or a kernel)
    // before it is read, and value-initialising them was a measurable memset per operation.
    std::vector<uint8_t, accel::UninitAllocator<uint8_t>> bytes_;
    accel::Staging t_[6];
    std::vector<uint32_t, accel::UninitAllocator<uint32_t>> argmax_;
    kern::Workspace ws_;
    accel::TensorCodec codec_;
};

}  // namespace trainvp
