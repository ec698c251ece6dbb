// One on-chip SRAM of the accelerator (weight, activation or gradient buffer) as a TLM-2.0 target on the
// buffer interconnect: capacity, banks, word width, ports and latency from its SramConfig
// (hardware.*_buffer). Reads and writes at local offsets [0, capacity) take the access latency plus the
// cycles the banks need to stream the bytes; DMI gives the modules next to it (DMA engine, PE array, vector
// unit) the memory itself; transport_dbg reads and writes without side effects. Counts the bytes and
// bank-word accesses of the transactions it serves (DMI accesses bypass the target: the statistics take the
// PE array's traffic from the array model).
#pragma once

#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <systemc>
#include <tlm>
#include <vector>

#include "accel/accel_config.h"
#include "accel/accel_stats.h"
#include "accel/part_state.h"
#include "common/log.h"

namespace trainvp {

class SramBuffer : public sc_core::sc_module, public accel::PartState {
  public:
    tlm_utils::simple_target_socket<SramBuffer> in;

    // Throws std::invalid_argument for a capacity of 0.
    SramBuffer(sc_core::sc_module_name name, const SramConfig& config, double clock_hz);

    const SramConfig& config() const { return config_; }
    uint64_t capacity() const { return config_.capacity_bytes; }
    // Bytes per cycle with all banks and ports busy.
    uint64_t bytes_per_cycle() const { return uint64_t{config_.banks} * config_.ports * config_.word_bytes; }

    const SramCounters& counters() const { return counters_; }
    void clear_counters() { counters_ = SramCounters{}; }
    const uint8_t* data() const { return storage_.data(); }

    // Checkpoints: the capacity (a restore into a buffer of another size is refused), the contents and the
    // counters.
    void save_state(StateWriter& w) const override;
    void restore_state(StateReader& r) override;

  private:
    void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
    bool get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);
    unsigned int transport_dbg(tlm::tlm_generic_payload& trans);
    uint64_t words(uint64_t bytes) const { return (bytes + config_.word_bytes - 1) / config_.word_bytes; }

    SramConfig config_;
    sc_core::sc_time period_;
    std::vector<uint8_t> storage_;
    SramCounters counters_;
    Logger log_;
};

}  // namespace trainvp
