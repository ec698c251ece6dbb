// Core-local interruptor for one hart (SiFive CLINT layout, RISC-V privileged spec 3.2.1 mtime/mtimecmp).
// mtime is computed from simulated time, never ticked: mtime(t) = mtime_written + floor((t - t_written) * f).
// A compare write computes when mtime reaches mtimecmp and schedules one event for it.
#pragma once

#include <tlm_utils/simple_target_socket.h>
#include <cstdint>
#include <systemc>
#include <tlm>

#include "common/config_field.h"
#include "common/log.h"

namespace trainvp {

class StateWriter;
class StateReader;

struct ClintConfig {
    static constexpr ValueRange<double> kTimebaseHz{1.0, 1e12};  // and a whole number

    double timebase_hz = 10e6;  // mtime frequency; a whole number of Hz
    double latency_ns = 0.0;    // per register access

    // Throws FieldError (a std::invalid_argument) naming the offending field.
    void validate() const;
};

class Clint : public sc_core::sc_module {
  public:
    tlm_utils::simple_target_socket<Clint> bus_in;
    sc_core::sc_out<bool> timer_irq;  // MTIP: mtime >= mtimecmp
    sc_core::sc_out<bool> soft_irq;   // MSIP: msip bit 0

    SC_HAS_PROCESS(Clint);
    Clint(sc_core::sc_module_name name, const ClintConfig& config = {});

    // mtime as seen at simulated time t (t may lie ahead of sc_time_stamp() in a decoupled initiator).
    uint64_t mtime_at(const sc_core::sc_time& t) const;
    uint64_t mtimecmp() const { return mtimecmp_; }

    // Checkpoints (docs/user-guide.md "Checkpoints and resuming"): the device's state. Restore before the
    // simulation starts; StateError for a damaged image.
    void save_state(StateWriter& w) const;
    void restore_state(StateReader& r);

  private:
    void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
    unsigned int transport_dbg(tlm::tlm_generic_payload& trans);
    bool read_register(uint64_t offset, const sc_core::sc_time& at, uint64_t& value) const;
    bool write_register(uint64_t offset, uint64_t value, uint64_t mask, const sc_core::sc_time& at,
                        const sc_core::sc_time& delay);
    // Earliest time at which mtime >= target; false if that lies beyond the representable time.
    bool time_of_mtime(uint64_t target, sc_core::sc_time& at) const;
    void update_timer_irq();
    void update_soft_irq();

    ClintConfig config_;
    sc_core::sc_time latency_;
    // mtime counts `hz_` ticks per `units_per_s_` time-resolution units (both reduced by their gcd).
    uint64_t hz_ = 1;
    uint64_t units_per_s_ = 1;
    uint64_t mtime_base_ = 0;
    sc_core::sc_time mtime_base_time_;
    uint64_t mtimecmp_ = ~0ull;  // reset value all ones: no timer interrupt until firmware programs one
    bool msip_ = false;
    sc_core::sc_event timer_event_;
    sc_core::sc_event soft_event_;
    Logger log_;
};

}  // namespace trainvp
