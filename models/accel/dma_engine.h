// The accelerator's DMA: moves bytes between DRAM and the accelerator over a TLM-2.0 initiator port in
// bursts of at most DmaConfig::burst_bytes (never crossing a burst-size boundary). Loosely timed: every
// burst is a blocking b_transport started with a zero delay; the returned delay is its latency. Up to
// max_outstanding bursts are modelled as overlapping: bursts go out in waves of max_outstanding and a wave
// takes as long as its slowest burst (docs/accelerator.md "DMA"). A TLM error stops the transfer and
// reports the burst's address; it never aborts the simulation.
#pragma once

#include <cstdint>
#include <systemc>
#include <tlm>

#include "accel/accel_config.h"

namespace trainvp {

struct DmaCounters {
    uint64_t read_bytes = 0, write_bytes = 0;
    uint64_t read_bursts = 0, write_bursts = 0;
    sc_core::sc_time read_time = sc_core::SC_ZERO_TIME;  // modelled transfer time (waves)
    sc_core::sc_time write_time = sc_core::SC_ZERO_TIME;
};

class DmaEngine {
  public:
    using Port = sc_core::sc_port_b<tlm::tlm_fw_transport_if<>>;

    DmaEngine(Port& port, const DmaConfig& config);

    // On success returns true and adds the modelled time to `time`. On a TLM error returns false with the
    // address of the failed burst in `fault_address` and the response in `status` (bytes before it moved).
    bool read(uint64_t address, uint8_t* data, uint64_t length, sc_core::sc_time& time);
    bool write(uint64_t address, const uint8_t* data, uint64_t length, sc_core::sc_time& time);

    uint64_t fault_address() const { return fault_address_; }
    tlm::tlm_response_status fault_status() const { return fault_status_; }
    const DmaCounters& counters() const { return counters_; }
    void clear_counters() { counters_ = DmaCounters{}; }
    void set_counters(const DmaCounters& c) { counters_ = c; }  // checkpoints

  private:
    bool transfer(tlm::tlm_command cmd, uint64_t address, uint8_t* data, uint64_t length,
                  sc_core::sc_time& time);

    Port& port_;
    DmaConfig config_;
    tlm::tlm_generic_payload trans_;
    DmaCounters counters_;
    uint64_t fault_address_ = 0;
    tlm::tlm_response_status fault_status_ = tlm::TLM_OK_RESPONSE;
};

}  // namespace trainvp
