// Simulation control: firmware ends the run by writing its exit code; the platform reads it back.
#pragma once

#include <tlm_utils/simple_target_socket.h>
#include <cstdint>
#include <functional>
#include <systemc>
#include <tlm>

#include "common/log.h"

namespace trainvp {

class StateWriter;
class StateReader;

class SimCtrl : public sc_core::sc_module {
  public:
    tlm_utils::simple_target_socket<SimCtrl> bus_in;

    // Called once, with the full 32-bit value, before sc_stop(); may be empty.
    std::function<void(uint32_t)> on_exit;
    // Called with the value of every SIMCTRL_REG_PROGRESS write; may be empty. The write has no other effect.
    std::function<void(uint32_t)> on_progress;

    explicit SimCtrl(sc_core::sc_module_name name);

    bool exited() const { return exited_; }
    // The full value written to SIMCTRL_REG_EXIT (the platform decides how to map it to a process status).
    uint32_t exit_code() const { return exit_code_; }
    // Simulated time of the exit write, including the initiator's local time offset.
    const sc_core::sc_time& exit_time() const { return exit_time_; }

    // Checkpoints (docs/user-guide.md "Checkpoints and resuming"): the device's state. Restore before the
    // simulation starts; StateError for a damaged image.
    void save_state(StateWriter& w) const;
    void restore_state(StateReader& r);

  private:
    void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
    unsigned int transport_dbg(tlm::tlm_generic_payload& trans);
    bool read_register(uint64_t offset, uint32_t& value) const;

    bool exited_ = false;
    uint32_t exit_code_ = 0;
    sc_core::sc_time exit_time_;
    Logger log_;
};

}  // namespace trainvp
