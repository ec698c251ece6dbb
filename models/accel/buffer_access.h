// How the DMA engine, the PE array and the vector unit reach the buffers through their initiator socket on
// the buffer interconnect: direct memory (DMI) where the target grants it, cached and invalidated through the
// protocol, and otherwise ordinary b_transport reads and writes. A replacement buffer without DMI works the
// same, only slower (and its transactions' delays count).
#pragma once

#include <cstdint>
#include <systemc>
#include <tlm>
#include <vector>

namespace trainvp::accel {

class BufferAccess {
  public:
    using Port = sc_core::sc_port_b<tlm::tlm_fw_transport_if<>>;

    explicit BufferAccess(Port& port) : port_(port) {}

    // Memory holding [address, address + bytes) that the caller may read, and write when `write`, until the
    // next invalidate(); null when the target grants no DMI covering it. `latency` (if given) receives the
    // DMI access latency of that direction.
    uint8_t* direct(uint64_t address, uint64_t bytes, bool write, sc_core::sc_time* latency = nullptr);
    // One b_transport of `bytes` at `address` (cmd READ or WRITE) with the caller's data; the returned delay
    // is added to `delay`. False on an error response.
    bool transport(tlm::tlm_command cmd, uint64_t address, uint8_t* data, uint64_t bytes,
                   sc_core::sc_time& delay);
    // `bytes` at `address` to read: the memory itself under DMI, otherwise `copy` filled by b_transport; null on
    // an error response.
    const uint8_t* read(uint64_t address, uint64_t bytes, std::vector<uint8_t>& copy, sc_core::sc_time& delay);
    // Writes `bytes` bytes at `address`: a copy into the memory under DMI (none when `data` already points
    // there), otherwise b_transport. False on an error response.
    bool write(uint64_t address, const uint8_t* data, uint64_t bytes, sc_core::sc_time& delay);
    // Forgets every DMI region overlapping [start, end] (the socket's invalidate_direct_mem_ptr).
    void invalidate(uint64_t start, uint64_t end);

  private:
    struct Region {
        uint64_t start = 0, end = 0;  // inclusive
        uint8_t* ptr = nullptr;       // null: DMI denied for the range
        bool read = false, write = false;
        sc_core::sc_time read_latency, write_latency;
    };
    const Region& region_of(uint64_t address);

    Port& port_;
    std::vector<Region> regions_;
    tlm::tlm_generic_payload trans_;
};

}  // namespace trainvp::accel
