// Platform-level interrupt controller, a subset of the SiFive PLIC (RISC-V PLIC specification 1.0.0):
// one context (hart 0, machine mode), level-triggered gateways, priorities 0..PLIC_PRIORITY_MAX.
#pragma once

#include <tlm_utils/simple_target_socket.h>
#include <cstdint>
#include <systemc>
#include <tlm>

#include "common/log.h"
#include "hw/memory_map.h"

namespace trainvp {

class StateWriter;
class StateReader;

struct PlicConfig {
    double latency_ns = 0.0;  // per register access

    // Throws std::invalid_argument naming the offending field.
    void validate() const;
};

class Plic : public sc_core::sc_module {
  public:
    static constexpr unsigned kSources = TRAINVP_IRQ_COUNT;  // including the reserved source 0
    static_assert(kSources <= 32, "pending and enable registers are modelled as one 32-bit word");

    tlm_utils::simple_target_socket<Plic> bus_in;
    // Device interrupt lines, indexed by source id. Lines left unbound (and source 0) are tied low.
    sc_core::sc_vector<sc_core::sc_in<bool>> irq_in;
    sc_core::sc_out<bool> irq_out;  // machine external interrupt (MEIP) of hart 0

    SC_HAS_PROCESS(Plic);
    Plic(sc_core::sc_module_name name, const PlicConfig& config = {});

    // Source ids whose bit is set; for tests and debuggers.
    uint32_t pending_bits() const;
    uint32_t claimed_bits() const { return claimed_; }

    // Checkpoints (docs/user-guide.md "Checkpoints and resuming"): the device's state. Restore before the
    // simulation starts; StateError for a damaged image.
    void save_state(StateWriter& w) const;
    void restore_state(StateReader& r);

  private:
    void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
    unsigned int transport_dbg(tlm::tlm_generic_payload& trans);
    bool read_register(uint64_t offset, uint32_t& value) const;
    // The source a claim would return now: highest priority above threshold, ties to the lowest id; 0 = none.
    unsigned best_source() const;
    void update_output();
    void before_end_of_elaboration() override;

    PlicConfig config_;
    sc_core::sc_time latency_;
    uint32_t priority_[kSources] = {};
    uint32_t enable_ = 0;
    uint32_t threshold_ = 0;
    uint32_t claimed_ = 0;  // sources claimed and not yet completed (their gateway is closed)
    sc_core::sc_signal<bool> tie_low_;
    sc_core::sc_event update_event_;
    Logger log_;
};

}  // namespace trainvp
