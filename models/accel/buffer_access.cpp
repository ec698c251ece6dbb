#include "accel/buffer_access.h"

#include <algorithm>
#include <cstring>

namespace trainvp::accel {

const BufferAccess::Region& BufferAccess::region_of(uint64_t address) {
    for (const Region& r : regions_)
        if (address >= r.start && address <= r.end) return r;
    tlm::tlm_generic_payload t;
    t.set_command(tlm::TLM_READ_COMMAND);
    t.set_address(address);
    t.set_data_length(0);
    tlm::tlm_dmi dmi;
    Region r;
    if (port_->get_direct_mem_ptr(t, dmi) && dmi.get_dmi_ptr() && address >= dmi.get_start_address() &&
        address <= dmi.get_end_address()) {
        r.start = dmi.get_start_address();
        r.end = dmi.get_end_address();
        r.ptr = dmi.get_dmi_ptr();
        r.read = dmi.is_read_allowed();
        r.write = dmi.is_write_allowed();
        r.read_latency = dmi.get_read_latency();
        r.write_latency = dmi.get_write_latency();
    } else {
        // Denied: remember the range the target named, or at least this address.
        const bool named = address >= dmi.get_start_address() && address <= dmi.get_end_address();
        r.start = named ? dmi.get_start_address() : address;
        r.end = named ? dmi.get_end_address() : address;
    }
    regions_.push_back(r);
    return regions_.back();
}

uint8_t* BufferAccess::direct(uint64_t address, uint64_t bytes, bool write, sc_core::sc_time* latency) {
    const Region& r = region_of(address);
    if (!r.ptr || !r.read || (write && !r.write) || bytes == 0 || bytes - 1 > r.end - address) return nullptr;
    if (latency) *latency = write ? r.write_latency : r.read_latency;
    return r.ptr + (address - r.start);
}

const uint8_t* BufferAccess::read(uint64_t address, uint64_t bytes, std::vector<uint8_t>& copy,
                                  sc_core::sc_time& delay) {
    if (const uint8_t* p = direct(address, bytes, false)) return p;
    copy.resize(bytes);
    return transport(tlm::TLM_READ_COMMAND, address, copy.data(), bytes, delay) ? copy.data() : nullptr;
}

bool BufferAccess::write(uint64_t address, const uint8_t* data, uint64_t bytes, sc_core::sc_time& delay) {
    if (uint8_t* p = direct(address, bytes, true)) {
        if (p != data) std::memcpy(p, data, bytes);
        return true;
    }
    return transport(tlm::TLM_WRITE_COMMAND, address, const_cast<uint8_t*>(data), bytes, delay);
}

bool BufferAccess::transport(tlm::tlm_command cmd, uint64_t address, uint8_t* data, uint64_t bytes,
                             sc_core::sc_time& delay) {
    trans_.set_command(cmd);
    trans_.set_address(address);
    trans_.set_data_ptr(data);
    trans_.set_data_length(static_cast<unsigned int>(bytes));
    trans_.set_streaming_width(static_cast<unsigned int>(bytes));
    trans_.set_byte_enable_ptr(nullptr);
    trans_.set_byte_enable_length(0);
    trans_.set_dmi_allowed(false);
    trans_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    port_->b_transport(trans_, delay);
    return !trans_.is_response_error();
}

void BufferAccess::invalidate(uint64_t start, uint64_t end) {
    regions_.erase(std::remove_if(regions_.begin(), regions_.end(),
                                  [&](const Region& r) { return r.start <= end && start <= r.end; }),
                   regions_.end());
}

}  // namespace trainvp::accel
