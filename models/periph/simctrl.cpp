#include "periph/simctrl.h"

#include "common/state_io.h"
#include "periph/reg_access.h"
#include "periph/simctrl_regs.h"

namespace trainvp {

SimCtrl::SimCtrl(sc_core::sc_module_name name) : sc_module(name), bus_in("bus_in"), log_(this->name()) {
    bus_in.register_b_transport(this, &SimCtrl::b_transport);
    bus_in.register_transport_dbg(this, &SimCtrl::transport_dbg);
}

bool SimCtrl::read_register(uint64_t offset, uint32_t& value) const {
    switch (offset) {
        case SIMCTRL_REG_EXIT:
            value = 0;
            return true;
        case SIMCTRL_REG_ID:
            value = SIMCTRL_ID_VALUE;
            return true;
        case SIMCTRL_REG_PROGRESS:
            value = 0;
            return true;
        default:
            return false;
    }
}

void SimCtrl::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    uint32_t value = 0;
    if (!accept_register_access(
            log_, trans, [this](uint64_t off, uint32_t& v) { return read_register(off, v); }, value))
        return;
    const uint64_t offset = trans.get_address();

    if (trans.is_read()) {
        set_payload_value(trans, value);
    } else if (trans.is_write()) {
        if (offset == SIMCTRL_REG_ID)
            return reject_access(log_, trans, tlm::TLM_COMMAND_ERROR_RESPONSE, "ID is read-only");
        if (offset == SIMCTRL_REG_PROGRESS) {
            if (on_progress) on_progress(static_cast<uint32_t>(payload_value(trans)));
            trans.set_response_status(tlm::TLM_OK_RESPONSE);
            return;
        }
        // Only the first exit counts: the initiator may run on to the end of its quantum after sc_stop().
        if (!exited_) {
            exited_ = true;
            exit_code_ = static_cast<uint32_t>(payload_value(trans));
            exit_time_ = sc_core::sc_time_stamp() + delay;
            log_.info("exit code ", exit_code_, " at ", exit_time_.to_string());
            if (on_exit) on_exit(exit_code_);
            sc_core::sc_stop();
        }
    }
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned int SimCtrl::transport_dbg(tlm::tlm_generic_payload& trans) {
    // Debug writes would end the simulation (a side effect); only reads are supported.
    return debug_read_words(
        trans, [this](uint64_t offset, uint32_t& value) { return read_register(offset, value); });
}

void SimCtrl::save_state(StateWriter& w) const {
    w.boolean(exited_);
    w.u32(exit_code_);
    w.u64(exit_time_.value());
}

void SimCtrl::restore_state(StateReader& r) {
    const bool exited = r.boolean();
    const uint32_t code = r.u32();
    const uint64_t at = r.u64();
    exited_ = exited;
    exit_code_ = code;
    exit_time_ = sc_core::sc_time::from_value(at);
}

}  // namespace trainvp
