// Console UART: the firmware writes bytes to TXDATA and they appear on the host (stdout or a file).
// TX never stalls and there is no receiver, so the device raises no interrupt.
#pragma once

#include <tlm_utils/simple_target_socket.h>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <string>
#include <systemc>
#include <tlm>

#include "common/log.h"

namespace trainvp {

class StateWriter;
class StateReader;

struct UartConfig {
    // "-" = stdout, "" = discard, otherwise a file path: written as PATH.partial and renamed to PATH by
    // close_output() (or the destructor), so PATH is never half-written.
    std::string output = "-";
    double latency_ns = 0.0;                // per register access
    std::size_t capture_bytes = 64 * 1024;  // transmitted() keeps at least the last this many bytes

    // Throws std::invalid_argument naming the offending field.
    void validate() const;
};

class Uart : public sc_core::sc_module {
  public:
    tlm_utils::simple_target_socket<Uart> bus_in;

    // Called for every transmitted byte (tests, a GUI console); may be empty.
    std::function<void(char)> on_tx;

    // Throws trainvp::UserError if the output file cannot be opened.
    Uart(sc_core::sc_module_name name, const UartConfig& config = {});
    ~Uart() override;

    // The most recent bytes transmitted: at least the last capture_bytes (fewer than twice that), 0 = none.
    const std::string& transmitted() const { return captured_; }
    std::size_t bytes_transmitted() const { return tx_count_; }
    void flush();
    // Closes the output file and renames it into place; UserError naming it if a write or the rename
    // failed. Further bytes are not written to a file. Idempotent; nothing to do for stdout.
    void close_output();

    // Checkpoints (docs/user-guide.md "Checkpoints and resuming"): the device's state. Restore before the
    // simulation starts; StateError for a damaged image.
    void save_state(StateWriter& w) const;
    void restore_state(StateReader& r);

  private:
    void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
    unsigned int transport_dbg(tlm::tlm_generic_payload& trans);
    bool read_register(uint64_t offset, uint32_t& value) const;
    void transmit(char c);
    void end_of_simulation() override;

    UartConfig config_;
    sc_core::sc_time latency_;
    std::FILE* out_ = nullptr;
    bool owns_out_ = false;
    std::string captured_;
    std::size_t tx_count_ = 0;
    Logger log_;
};

}  // namespace trainvp
