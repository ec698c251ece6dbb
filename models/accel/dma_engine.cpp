#include "accel/dma_engine.h"

#include <algorithm>

namespace trainvp {

DmaEngine::DmaEngine(Port& port, const DmaConfig& config) : port_(port), config_(config) {}

bool DmaEngine::read(uint64_t address, uint8_t* data, uint64_t length, sc_core::sc_time& time) {
    return transfer(tlm::TLM_READ_COMMAND, address, data, length, time);
}

bool DmaEngine::write(uint64_t address, const uint8_t* data, uint64_t length, sc_core::sc_time& time) {
    return transfer(tlm::TLM_WRITE_COMMAND, address, const_cast<uint8_t*>(data), length, time);
}

bool DmaEngine::transfer(tlm::tlm_command cmd, uint64_t address, uint8_t* data, uint64_t length,
                         sc_core::sc_time& time) {
    const uint64_t burst = config_.burst_bytes;
    const bool is_read = cmd == tlm::TLM_READ_COMMAND;
    // Times in kernel resolution units: sc_time arithmetic is out of line in SystemC 2.3.
    uint64_t total = 0, wave = 0;
    uint32_t in_wave = 0;
    uint64_t done = 0;
    sc_core::sc_time delay;
    trans_.set_command(cmd);
    trans_.set_byte_enable_ptr(nullptr);
    trans_.set_byte_enable_length(0);
    bool ok = true;
    while (done < length) {
        const uint64_t addr = address + done;
        const uint64_t n = std::min(length - done, burst - addr % burst);
        trans_.set_address(addr);
        trans_.set_data_ptr(data + done);
        trans_.set_data_length(static_cast<unsigned int>(n));
        trans_.set_streaming_width(static_cast<unsigned int>(n));
        trans_.set_dmi_allowed(false);
        trans_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        delay = sc_core::SC_ZERO_TIME;
        port_->b_transport(trans_, delay);
        if (trans_.is_response_error()) {
            fault_address_ = addr;
            fault_status_ = trans_.get_response_status();
            ok = false;
            break;
        }
        wave = std::max<uint64_t>(wave, delay.value());
        if (++in_wave == config_.max_outstanding) {
            total += wave;
            wave = 0;
            in_wave = 0;
        }
        done += n;
        if (is_read) {
            counters_.read_bytes += n;
            ++counters_.read_bursts;
        } else {
            counters_.write_bytes += n;
            ++counters_.write_bursts;
        }
    }
    total += wave;
    const sc_core::sc_time t = sc_core::sc_time::from_value(total);
    (is_read ? counters_.read_time : counters_.write_time) += t;
    time += t;
    return ok;
}

}  // namespace trainvp
