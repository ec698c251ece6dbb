#include "accel/buffer_interconnect.h"

#include <stdexcept>
#include <string>

#include "accel/accel_protocol.h"

namespace trainvp {

BufferInterconnect::BufferInterconnect(sc_core::sc_module_name name, const InterconnectConfig& config,
                                       double clock_hz)
    : sc_module(name),
      in("in"),
      debug_in("debug_in"),
      out_("out"),
      config_(config),
      period_(sc_core::sc_time(1.0 / clock_hz, sc_core::SC_SEC)),
      latency_(period_ * static_cast<double>(config.latency_cycles)),
      log_(this->name()) {
    in.register_b_transport(this, &BufferInterconnect::b_transport);
    in.register_get_direct_mem_ptr(this, &BufferInterconnect::get_direct_mem_ptr);
    in.register_transport_dbg(this, &BufferInterconnect::transport_dbg);
    out_.register_invalidate_direct_mem_ptr(this, &BufferInterconnect::invalidate_direct_mem_ptr);
    debug_in.register_transport_dbg(this, &BufferInterconnect::debug_transport);
    debug_in.register_b_transport(this, &BufferInterconnect::debug_b_transport);
}

void BufferInterconnect::map(TargetSocket& target, accel::BufferId id) {
    const int b = static_cast<int>(id);
    if (b < 0 || b >= accel::kBufferCount || port_of_[b] >= 0)
        throw std::logic_error(std::string(name()) + ": buffer " + accel::buffer_name(id) + " mapped twice");
    out_.bind(target);
    port_of_[b] = mapped_;
    buffer_of_[mapped_] = id;
    ++mapped_;
}

void BufferInterconnect::end_of_elaboration() {
    for (int b = 0; b < accel::kBufferCount; ++b)
        if (port_of_[b] < 0)
            throw std::logic_error(std::string(name()) + ": no " +
                                   accel::buffer_name(static_cast<accel::BufferId>(b)) + " buffer mapped");
}

int BufferInterconnect::decode(uint64_t address, uint64_t& local) const {
    const uint64_t b = address / accel::kBufferWindow;
    if (b >= static_cast<uint64_t>(accel::kBufferCount)) return -1;
    local = address % accel::kBufferWindow;
    return port_of_[b];
}

void BufferInterconnect::b_transport(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    const uint64_t address = trans.get_address();
    uint64_t local = 0;
    const int port = decode(address, local);
    if (port < 0) {
        log_.warning("no buffer at ", hex32(address));
        trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    const uint64_t beats =
        (uint64_t{trans.get_data_length()} + config_.width_bytes - 1) / config_.width_bytes;
    delay += latency_ + period_ * static_cast<double>(beats);
    trans.set_address(local);
    out_[port]->b_transport(trans, delay);
    trans.set_address(address);
}

bool BufferInterconnect::get_direct_mem_ptr(int, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
    const uint64_t address = trans.get_address();
    uint64_t local = 0;
    const int port = decode(address, local);
    if (port < 0) {  // past the last window: no DMI anywhere there
        dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_NONE);
        dmi.set_start_address(accel::buffer_address(accel::BufferId::count));
        dmi.set_end_address(~0ull);
        return false;
    }
    const uint64_t base = address - local;
    trans.set_address(local);
    const bool granted = out_[port]->get_direct_mem_ptr(trans, dmi);
    trans.set_address(address);
    // Local ranges back to interconnect addresses, never past the window.
    dmi.set_start_address(base + dmi.get_start_address());
    dmi.set_end_address(base + std::min<uint64_t>(dmi.get_end_address(), accel::kBufferWindow - 1));
    dmi.set_read_latency(dmi.get_read_latency() + latency_);
    dmi.set_write_latency(dmi.get_write_latency() + latency_);
    return granted;
}

unsigned int BufferInterconnect::transport_dbg(int, tlm::tlm_generic_payload& trans) {
    return debug_transport(trans);
}

unsigned int BufferInterconnect::debug_transport(tlm::tlm_generic_payload& trans) {
    const uint64_t address = trans.get_address();
    uint64_t local = 0;
    const int port = decode(address, local);
    if (port < 0) {
        trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return 0;
    }
    trans.set_address(local);
    const unsigned int n = out_[port]->transport_dbg(trans);
    trans.set_address(address);
    return n;
}

void BufferInterconnect::debug_b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time&) {
    log_.warning("debug_in takes transport_dbg only");
    trans.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
}

void BufferInterconnect::invalidate_direct_mem_ptr(int target, sc_dt::uint64 start, sc_dt::uint64 end) {
    const uint64_t base = accel::buffer_address(buffer_of_[target]);
    const uint64_t last = std::min<uint64_t>(end, accel::kBufferWindow - 1);
    for (unsigned int i = 0; i < in.size(); ++i) in[i]->invalidate_direct_mem_ptr(base + start, base + last);
}

}  // namespace trainvp
