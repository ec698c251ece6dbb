// The accelerator's controller: the register file (accel_regs.h) on `regs_in`, the command ring in DRAM,
// descriptor fetch and decode, the tile plan, tile scheduling, interrupts and statistics. For every tile it
// has the DMA engine bring the operands into the buffers (`dma_out`), the PE array (`pe_out`, conv and fc
// phases) or the vector unit (`vector_out`, everything else) compute from the buffers, and the DMA take the
// results out, each command a TLM transaction of accel_protocol.h. Time: every unit reports what its command
// took; the controller overlaps tile i's compute with tile i+1's loads and tile i-1's stores when double
// buffering, and waits once per descriptor (docs/accelerator.md "Timing").
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "accel/accel_config.h"
#include "accel/accel_op.h"
#include "accel/accel_protocol.h"
#include "accel/accel_registers.h"
#include "accel/accel_stats.h"
#include "accel/part_state.h"
#include "accel/tile_plan.h"
#include "common/log.h"
#include "common/trace_sink.h"

namespace trainvp {

class Controller : public sc_core::sc_module, public accel::PartState {
  public:
    using CommandSocket = tlm_utils::simple_initiator_socket<Controller>;

    tlm_utils::simple_target_socket<Controller> regs_in;
    CommandSocket dma_out;     // DmaCommands to the DMA engine
    CommandSocket pe_out;      // TileCommands of conv and fc phases to the PE array
    CommandSocket vector_out;  // TileCommands of all other opcodes to the vector unit
    // SparseCommands of the SPARSE_* opcodes to the sparse engine. Binding it is optional: without an
    // engine, SPARSE_* descriptors fail with UNKNOWN_OPCODE.
    tlm_utils::simple_initiator_socket_optional<Controller> sparse_out;
    sc_core::sc_out<bool> irq;  // high while (IRQ_STATUS & IRQ_ENABLE) != 0

    SC_HAS_PROCESS(Controller);
    Controller(sc_core::sc_module_name name, const AcceleratorConfig& config);

    const AcceleratorConfig& config() const { return config_; }
    const accel::AccelStats& stats() const { return stats_; }
    nlohmann::json stats_json() const;
    // Register value as the firmware would read it (no side effects); false for a hole.
    bool peek_register(uint32_t offset, uint32_t& value) const;
    const accel::RegisterState& registers() const { return r_; }

    // Timelines (docs/user-guide.md "Timelines and the HTML report"). With a sink, every descriptor becomes a
    // slice on the controller's track, and its schedule (tile loads and stores, tile computes, buffer
    // occupancy) slices on the DMA, PE-array and vector-unit tracks: the units report only how long a command
    // took, so the controller, which overlaps them, is the one that knows when each ran. Null (the default):
    // no recording.
    void set_trace(TraceSink* sink) { trace_ = sink; }
    // Adds the busy flag and IRQ_STATUS to a waveform file (--vcd).
    void trace_sideband(sc_core::sc_trace_file* file) const;

    // Checkpoints. The state is complete only between descriptors: quiescent() is true when no descriptor is
    // executing or queued and the interrupt line is low, else `why` says what is going on. The state:
    // registers with the ring pointers, error state and performance counters, the reset generation, the
    // descriptor sequence number and the statistics. The plan, the command payload and the tile times live
    // within one descriptor.
    bool quiescent(std::string& why) const;
    void save_state(StateWriter& w) const override;
    void restore_state(StateReader& r) override;

  private:
    void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
    unsigned int transport_dbg(tlm::tlm_generic_payload& trans);
    void write_register(uint32_t offset, uint32_t value, const sc_core::sc_time& delay);
    void publish_tail(uint32_t new_tail, const sc_core::sc_time& delay);
    void reset_state();
    void update_irq();  // schedules drive_irq: the port has one driver process whoever changes the state
    void drive_irq();
    void raise_error(uint32_t code, uint64_t address, const std::string& why);

    void run_queue();
    void execute_next();
    // Runs the plan's tiles; false (with the error) when a command failed. `elapsed` is the time the
    // commands took one after another (for a failure), tile_time_ each tile's load, compute and store time.
    bool run_tiles(const accel::DecodedOp& op, accel::PhaseStats& ps, sc_core::sc_time& elapsed,
                   accel::DecodeError& err);
    template <typename Socket, typename Ext>
    bool send(Socket& socket, Ext& ext, sc_core::sc_time& delay);
    bool dma(accel::DmaCommand& cmd, sc_core::sc_time& delay);
    // The descriptor's busy time from the tiles' times (double buffering overlaps them).
    sc_core::sc_time overlap() const;
    // A SPARSE_* descriptor: its operands fetched by the DMA, the engine's command, its results stored;
    // false (with the error) when any of them failed. `elapsed` is the time they took one after another.
    bool run_sparse(const accel_desc& d, uint64_t desc_addr, accel::PhaseStats& ps, sc_core::sc_time& elapsed,
                    accel::DecodeError& err);
    // Ends a descriptor that ran: counters, statistics record, ring head, DONE interrupt.
    // `tiled`: a PE-array or vector-unit descriptor, traced tile by tile (trace_descriptor).
    void complete(const accel_desc& d, accel::PhaseStats& ps, sc_core::sc_time start,
                  sc_core::sc_time fetch_time, const std::string& split, bool tiled);
    void trace_descriptor(const accel_desc& d, sc_core::sc_time start, sc_core::sc_time fetch_time,
                          const accel::PhaseStats& ps);

    AcceleratorConfig config_;
    Logger log_;
    sc_core::sc_time clock_period_;
    sc_core::sc_event kick_;
    sc_core::sc_event irq_changed_;

    accel::RegisterState r_;
    uint64_t generation_ = 0;  // bumped by every reset; a descriptor started earlier completes silently

    accel::AccelStats stats_;
    uint64_t sequence_ = 0;

    tlm::tlm_generic_payload command_;
    accel::DecodedOp op_;
    accel::TilePlan plan_;
    struct TileTime {
        uint64_t load = 0, compute = 0, store = 0;  // kernel time units
    };
    std::vector<TileTime> tile_time_;
    accel_int8_max int8_max_{};  // the running descriptor's int8 max-code record (addr_int8_max)
    TraceSink* trace_ = nullptr;
};

}  // namespace trainvp
