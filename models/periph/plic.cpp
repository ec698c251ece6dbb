#include "periph/plic.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "common/state_io.h"
#include "periph/plic_regs.h"
#include "periph/reg_access.h"

namespace trainvp {

namespace {
constexpr uint32_t kSourceMask = static_cast<uint32_t>((uint64_t{1} << Plic::kSources) - 1) & ~1u;
}

void PlicConfig::validate() const {
    if (!std::isfinite(latency_ns) || latency_ns < 0.0)
        throw std::invalid_argument("plic: latency_ns must be a finite value >= 0, got " +
                                    std::to_string(latency_ns));
}

Plic::Plic(sc_core::sc_module_name name, const PlicConfig& config)
    : sc_module(name),
      bus_in("bus_in"),
      irq_in("irq_in", kSources),
      irq_out("irq_out"),
      config_(config),
      tie_low_("tie_low", false),
      update_event_("update_event"),
      log_(this->name()) {
    config_.validate();
    latency_ = sc_core::sc_time(config_.latency_ns, sc_core::SC_NS);
    bus_in.register_b_transport(this, &Plic::b_transport);
    bus_in.register_transport_dbg(this, &Plic::transport_dbg);
    SC_METHOD(update_output);
    sensitive << update_event_;
    for (auto& line : irq_in) sensitive << line;
}

void Plic::before_end_of_elaboration() {
    for (auto& line : irq_in)
        if (line.bind_count() == 0) line.bind(tie_low_);
}

uint32_t Plic::pending_bits() const {
    // Level-triggered gateway: a source is pending while its line is high and it is not claimed.
    uint32_t bits = 0;
    for (unsigned id = 1; id < kSources; ++id)
        if (irq_in[id].read() && !(claimed_ & (1u << id))) bits |= 1u << id;
    return bits;
}

unsigned Plic::best_source() const {
    const uint32_t candidates = pending_bits() & enable_;
    unsigned best = 0;
    uint32_t best_priority = threshold_;
    for (unsigned id = 1; id < kSources; ++id) {
        if ((candidates & (1u << id)) && priority_[id] > best_priority) {
            best = id;
            best_priority = priority_[id];
        }
    }
    return best;
}

void Plic::update_output() {
    irq_out.write(best_source() != 0);
}

bool Plic::read_register(uint64_t offset, uint32_t& value) const {
    if (offset < PLIC_REG_PRIORITY(kSources)) {
        value = priority_[offset / 4];
        return true;
    }
    switch (offset) {
        case PLIC_REG_PENDING:
            value = pending_bits();
            return true;
        case PLIC_REG_ENABLE:
            value = enable_;
            return true;
        case PLIC_REG_THRESHOLD:
            value = threshold_;
            return true;
        case PLIC_REG_CLAIM:
            value = best_source();
            return true;
        default:
            return false;
    }
}

void Plic::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    uint32_t value = 0;
    if (!accept_register_access(
            log_, trans, [this](uint64_t off, uint32_t& v) { return read_register(off, v); }, value))
        return;
    const uint64_t offset = trans.get_address();

    if (trans.is_read()) {
        if (offset == PLIC_REG_CLAIM && value != 0) claimed_ |= 1u << value;  // claim closes the gateway
        set_payload_value(trans, value);
    } else if (trans.is_write()) {
        const uint32_t data = static_cast<uint32_t>(payload_value(trans));
        if (offset < PLIC_REG_PRIORITY(kSources)) {
            // Source 0 does not exist; its priority stays 0 (PLIC spec 1.0.0 section 4).
            if (offset != PLIC_REG_PRIORITY(0)) priority_[offset / 4] = data & PLIC_PRIORITY_MAX;
        } else if (offset == PLIC_REG_PENDING) {
            return reject_access(log_, trans, tlm::TLM_COMMAND_ERROR_RESPONSE, "pending bits are read-only");
        } else if (offset == PLIC_REG_ENABLE) {
            enable_ = data & kSourceMask;
        } else if (offset == PLIC_REG_THRESHOLD) {
            threshold_ = data & PLIC_PRIORITY_MAX;
        } else if (offset == PLIC_REG_CLAIM) {
            // A completion for a source that is not enabled or not claimed is ignored (PLIC spec 1.0.0 sec.
            // 9).
            if (data < kSources && (enable_ & (1u << data)) && (claimed_ & (1u << data)))
                claimed_ &= ~(1u << data);
            else
                log_.debug("ignored completion of source ", data);
        }
    }
    // The output follows the new state when the access takes effect in the initiator's local time.
    update_event_.notify(delay);
    delay += latency_;
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned int Plic::transport_dbg(tlm::tlm_generic_payload& trans) {
    // Debug reads of the claim register show the would-be claim without claiming.
    return debug_read_words(
        trans, [this](uint64_t offset, uint32_t& value) { return read_register(offset, value); });
}

void Plic::save_state(StateWriter& w) const {
    for (uint32_t p : priority_) w.u32(p);
    w.u32(enable_);
    w.u32(threshold_);
    w.u32(claimed_);
}

// Pending bits are the input lines' levels, not state. Before the simulation the start-up run of
// update_output drives irq_out; during it, it runs again now.
void Plic::restore_state(StateReader& r) {
    uint32_t priority[kSources];
    for (uint32_t& p : priority) p = r.u32();
    const uint32_t enable = r.u32(), threshold = r.u32(), claimed = r.u32();
    std::copy(std::begin(priority), std::end(priority), priority_);
    enable_ = enable;
    threshold_ = threshold;
    claimed_ = claimed;
    if (sc_core::sc_is_running()) update_event_.notify(sc_core::SC_ZERO_TIME);
}

}  // namespace trainvp
