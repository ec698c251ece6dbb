// One on-chip SRAM of the accelerator (weight, activation or gradient buffer): capacity, banks, word width,
// ports and latency from SramConfig; byte and access counters for the energy model; debug access. Not a
// SystemC module: the Accelerator owns three and exposes them through its `buffers_dbg` socket.
#pragma once

#include <cstdint>
#include <string>
#include <tlm>
#include <vector>

#include "accel/accel_config.h"

namespace trainvp {

struct SramCounters {
    uint64_t read_bytes = 0, write_bytes = 0;
    uint64_t read_accesses = 0, write_accesses = 0;  // bank-word accesses (bytes / word_bytes, rounded up)
    void merge(const SramCounters& o) {
        read_bytes += o.read_bytes;
        write_bytes += o.write_bytes;
        read_accesses += o.read_accesses;
        write_accesses += o.write_accesses;
    }
};

class SramBuffer {
  public:
    SramBuffer(std::string name, const SramConfig& config);

    const std::string& name() const { return name_; }
    const SramConfig& config() const { return config_; }
    uint64_t capacity() const { return config_.capacity_bytes; }
    // Bytes per cycle the buffer delivers with all banks and ports busy.
    uint64_t bytes_per_cycle() const { return uint64_t{config_.banks} * config_.ports * config_.word_bytes; }
    // Cycles to stream `bytes` (conflict-free bank interleaving), including the access latency.
    uint64_t stream_cycles(uint64_t bytes) const;

    // Places data the DMA brought in at `offset` (wrapping at the capacity), so that debug access shows what
    // the buffer holds. Traffic is counted from the tile plan (count_*), not here.
    void load_contents(uint64_t offset, const uint8_t* data, uint64_t length);
    // Counts array-side traffic computed from a tile plan (no data moves: the datapath is functional).
    void count_read(uint64_t bytes);
    void count_write(uint64_t bytes);

    const SramCounters& counters() const { return counters_; }
    void clear_counters() { counters_ = SramCounters{}; }
    void reset();  // contents to zero, counters kept
    // Checkpoints: the counters as saved (contents go back through load_contents).
    void set_counters(const SramCounters& c) { counters_ = c; }

    // Debug access at local offsets [0, capacity): no counters, no timing. Returns the bytes copied.
    unsigned int transport_dbg(tlm::tlm_generic_payload& trans);
    const uint8_t* data() const { return storage_.data(); }

  private:
    uint64_t words(uint64_t bytes) const { return (bytes + config_.word_bytes - 1) / config_.word_bytes; }

    std::string name_;
    SramConfig config_;
    std::vector<uint8_t> storage_;
    SramCounters counters_;
};

}  // namespace trainvp
