// Main memory (DRAM) as a loosely timed TLM-2.0 target with DMI. Addresses arriving at the socket are local
// offsets from 0: the router subtracts the region base before forwarding.
#pragma once

#include <tlm_utils/simple_target_socket.h>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <systemc>
#include <tlm>

#include "common/log.h"

namespace trainvp {

struct MemoryConfig {
    uint64_t size_bytes = 128ull << 20;
    double read_latency_ns = 10.0;   // per transaction, added to the b_transport delay and reported in DMI
    double write_latency_ns = 10.0;  // per transaction, added to the b_transport delay and reported in DMI
    double bytes_per_ns = 0.0;       // sustained bandwidth; 0 = unlimited. Adds length / bytes_per_ns per
                                     // b_transport (DMI accesses only see the fixed latencies, unless
                                     // the initiator asks with TransferTimingExt: transfer_timing.h)
    bool dmi = true;                 // grant direct memory pointers

    // Throws std::invalid_argument naming the offending field.
    void validate() const;
};

class Memory : public sc_core::sc_module {
  public:
    tlm_utils::simple_target_socket<Memory> bus_in;

    Memory(sc_core::sc_module_name name, const MemoryConfig& config);
    ~Memory() override;

    const MemoryConfig& config() const { return config_; }

    // Host access for the platform and loaders (no timing, no TLM). write/read throw std::out_of_range when
    // [offset, offset + length) is not inside the memory.
    uint8_t* data() { return storage_.get(); }
    const uint8_t* data() const { return storage_.get(); }
    uint64_t size() const { return config_.size_bytes; }
    void write(uint64_t offset, const void* src, size_t length);
    void read(uint64_t offset, void* dst, size_t length) const;

  private:
    struct FreeDeleter {
        void operator()(uint8_t* p) const;
    };

    void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
    bool get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);
    unsigned int transport_dbg(tlm::tlm_generic_payload& trans);
    bool in_range(uint64_t offset, uint64_t length) const;
    void check_host_range(const char* what, uint64_t offset, size_t length) const;

    MemoryConfig config_;
    // calloc'd so untouched pages stay unbacked: a 1 GiB scenario costs only what the guest touches (in
    // 2 MiB transparent huge pages where Linux offers them on request).
    std::unique_ptr<uint8_t, FreeDeleter> storage_;
    sc_core::sc_time read_latency_;
    sc_core::sc_time write_latency_;
    unsigned int transfer_length_ = 0;  // bytes_per_ns > 0: the length transfer_time_ was computed for
    sc_core::sc_time transfer_time_;
    Logger log_;
};

}  // namespace trainvp
