// The accelerator's DMA engine: carries out DmaCommands (accel_protocol.h) from the controller, moving tiles
// between the SoC bus (`bus_out`, the accelerator's dma_out) and the buffers (`buffers_out`, on the buffer
// interconnect). DRAM side: bursts of at most DmaConfig::burst_bytes that never cross a burst-size boundary,
// each a blocking b_transport started with a zero delay whose returned delay is its latency; up to
// max_outstanding bursts overlap (waves of max_outstanding, each as long as its slowest burst). Buffer side:
// the bytes go straight into the buffer's memory when it grants DMI (one interconnect stream: its latency
// plus a cycle per interconnect width), otherwise one b_transport per burst. Both sides overlap: a command
// takes the longer of the two (docs/accelerator.md "DMA"). A TLM error on the bus stops the command with the
// burst's address; it never aborts the simulation.
// When the DRAM grants DMI and states its burst timing (common/transfer_timing.h), later bursts inside the
// grant copy through the DMI pointer and are charged the latency b_transport would have annotated: the same
// times, bytes and counters, without a bus transaction per burst (DmaConfig::dmi turns this off).
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <systemc>
#include <tlm>
#include <vector>

#include "accel/accel_config.h"
#include "accel/buffer_access.h"
#include "accel/part_state.h"
#include "common/log.h"

namespace trainvp {

namespace accel {
struct DmaCommand;
}

struct DmaCounters {
    uint64_t read_bytes = 0, write_bytes = 0;  // on the bus
    uint64_t read_bursts = 0, write_bursts = 0;
};

class DmaEngine : public sc_core::sc_module, public accel::PartState {
  public:
    tlm_utils::simple_target_socket<DmaEngine> cmd_in;
    tlm_utils::simple_initiator_socket<DmaEngine> bus_out;
    tlm_utils::simple_initiator_socket<DmaEngine> buffers_out;

    DmaEngine(sc_core::sc_module_name name, const AcceleratorConfig& config);

    const DmaCounters& counters() const { return counters_; }

    // Checkpoints: the counters (nothing else outlives a command).
    void save_state(StateWriter& w) const override;
    void restore_state(StateReader& r) override;

  private:
    void command(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
    // Moves the command's rows; false after a bus or buffer error (cmd's reply says where).
    bool move(accel::DmaCommand& cmd, uint64_t& dram_ticks, sc_core::sc_time& buffer_time);
    // The DRAM side's time: bursts go out in waves of max_outstanding, each as long as its slowest burst.
    struct Waves {
        uint64_t total = 0, wave = 0;  // kernel time units: finished waves, the current one
        uint32_t in_wave = 0;
        void add(uint64_t ticks, uint32_t max_outstanding);
    };
    // One DRAM burst, through the DMI grant or on the bus, charged into `waves`. False on a TLM error.
    bool burst(tlm::tlm_command c, uint64_t address, uint8_t* data, uint64_t n, Waves& waves);
    // A whole row inside the DRAM's DMI grant, to or from `data`: one copy, and burst()'s charge for each of
    // its bursts. Returns the number of bursts, 0 (nothing done) when the row is not wholly inside the grant.
    uint64_t row_through_dmi(bool to_dram, uint64_t row, uint64_t bytes, uint8_t* data, Waves& waves);
    // The host address of [address, address + n) in the DRAM's DMI grant, or null.
    uint8_t* granted(uint64_t address, uint64_t n, bool write) const;
    // What b_transport would annotate for a burst of n bytes inside the grant (transfer_timing.h).
    uint64_t dmi_ticks(uint64_t n, bool write);
    // A burst's latency into the waves, and its bytes into the counters.
    void charge(uint64_t n, bool write, uint64_t ticks, Waves& waves);
    void invalidate(sc_dt::uint64 start, sc_dt::uint64 end) { buffers_.invalidate(start, end); }
    // After a b_transport whose target hinted DMI at `address`: asks for a grant with burst timing.
    void request_bus_dmi(uint64_t address);
    void invalidate_bus(sc_dt::uint64 start, sc_dt::uint64 end);

    // The DRAM's DMI grant with its burst timing (empty: start > end). Latencies in kernel time units.
    struct BusDmi {
        uint8_t* ptr = nullptr;
        uint64_t start = 1, end = 0;
        bool readable = false, writable = false;
        uint64_t read_ticks = 0, write_ticks = 0;
        double bytes_per_ns = 0.0;
        uint64_t transfer_bytes = 0, transfer_ticks = 0;  // transfer_time() of the last length seen
    };
    // A range whose DMI was refused or came without burst timing: not asked again until invalidated.
    struct Refused {
        uint64_t start = 1, end = 0;
    };

    DmaConfig config_;
    InterconnectConfig interconnect_;
    sc_core::sc_time period_;
    accel::BufferAccess buffers_;
    tlm::tlm_generic_payload trans_;
    std::vector<uint8_t> staging_;  // bursts to or from a buffer without DMI
    BusDmi bus_dmi_;
    Refused refused_;
    DmaCounters counters_;
    Logger log_;
};

}  // namespace trainvp
