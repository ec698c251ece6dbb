#include "accel/sram_buffer.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "common/state_io.h"

namespace trainvp {

SramBuffer::SramBuffer(sc_core::sc_module_name name, const SramConfig& config, double clock_hz)
    : sc_module(name),
      in("in"),
      config_(config),
      period_(sc_core::sc_time(1.0 / clock_hz, sc_core::SC_SEC)),
      storage_(config.capacity_bytes, 0),
      log_(this->name()) {
    if (config.capacity_bytes == 0 || config.word_bytes == 0 || config.banks == 0 || config.ports == 0)
        throw std::invalid_argument(std::string(this->name()) +
                                    ": capacity, banks, word_bytes and ports must be >= 1");
    in.register_b_transport(this, &SramBuffer::b_transport);
    in.register_get_direct_mem_ptr(this, &SramBuffer::get_direct_mem_ptr);
    in.register_transport_dbg(this, &SramBuffer::transport_dbg);
}

void SramBuffer::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    const uint64_t addr = trans.get_address();
    const uint64_t len = trans.get_data_length();
    auto reject = [&](tlm::tlm_response_status status, const char* why) {
        log_.warning(why, " (", trans.is_write() ? "write" : "read", " of ", len, " bytes at ", hex32(addr),
                     ")");
        trans.set_response_status(status);
    };
    if (trans.get_command() == tlm::TLM_IGNORE_COMMAND)
        return reject(tlm::TLM_COMMAND_ERROR_RESPONSE, "IGNORE command");
    if (len == 0 || addr >= storage_.size() || len > storage_.size() - addr)
        return reject(tlm::TLM_ADDRESS_ERROR_RESPONSE, "access outside the buffer");
    if (trans.get_byte_enable_ptr()) return reject(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE, "byte enables");
    if (trans.get_streaming_width() < len) return reject(tlm::TLM_BURST_ERROR_RESPONSE, "streaming access");
    uint8_t* mem = storage_.data() + addr;
    if (trans.is_read()) {
        std::memcpy(trans.get_data_ptr(), mem, len);
        counters_.read_bytes += len;
        counters_.read_accesses += words(len);
    } else {
        std::memcpy(mem, trans.get_data_ptr(), len);
        counters_.write_bytes += len;
        counters_.write_accesses += words(len);
    }
    // The access latency, then the bytes stream through all banks and ports.
    const uint64_t cycles = config_.latency_cycles + (len + bytes_per_cycle() - 1) / bytes_per_cycle();
    delay += period_ * static_cast<double>(cycles);
    trans.set_dmi_allowed(true);
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

bool SramBuffer::get_direct_mem_ptr(tlm::tlm_generic_payload&, tlm::tlm_dmi& dmi) {
    dmi.set_dmi_ptr(storage_.data());
    dmi.set_start_address(0);
    dmi.set_end_address(storage_.size() - 1);
    dmi.allow_read_write();
    const sc_core::sc_time latency = period_ * static_cast<double>(config_.latency_cycles);
    dmi.set_read_latency(latency);
    dmi.set_write_latency(latency);
    return true;
}

void SramBuffer::save_state(StateWriter& w) const {
    w.u64(storage_.size());
    w.bytes(storage_.data(), storage_.size());
    for (uint64_t v :
         {counters_.read_bytes, counters_.write_bytes, counters_.read_accesses, counters_.write_accesses})
        w.u64(v);
}

void SramBuffer::restore_state(StateReader& r) {
    const uint64_t capacity = r.u64();
    if (capacity != storage_.size())
        r.fail(std::string("the ") + name() + " holds " + std::to_string(capacity) + " bytes, this one " +
               std::to_string(storage_.size()));
    const uint8_t* contents = r.view(capacity);
    SramCounters c;
    for (uint64_t* v : {&c.read_bytes, &c.write_bytes, &c.read_accesses, &c.write_accesses}) *v = r.u64();
    // In place: DMI pointers handed out earlier stay valid.
    std::memcpy(storage_.data(), contents, capacity);
    counters_ = c;
}

unsigned int SramBuffer::transport_dbg(tlm::tlm_generic_payload& trans) {
    const uint64_t addr = trans.get_address();
    const uint64_t cap = storage_.size();
    if (addr >= cap) {
        trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return 0;
    }
    const unsigned int n = static_cast<unsigned int>(std::min<uint64_t>(trans.get_data_length(), cap - addr));
    if (trans.is_read())
        std::memcpy(trans.get_data_ptr(), storage_.data() + addr, n);
    else if (trans.is_write())
        std::memcpy(storage_.data() + addr, trans.get_data_ptr(), n);
    else
        return 0;
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
    return n;
}

}  // namespace trainvp
