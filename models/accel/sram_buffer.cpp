#include "accel/sram_buffer.h"

#include <algorithm>
#include <cstring>

namespace trainvp {

SramBuffer::SramBuffer(std::string name, const SramConfig& config)
    : name_(std::move(name)), config_(config), storage_(config.capacity_bytes, 0) {}

uint64_t SramBuffer::stream_cycles(uint64_t bytes) const {
    if (bytes == 0) return 0;
    const uint64_t per_cycle = bytes_per_cycle();
    return config_.latency_cycles + (bytes + per_cycle - 1) / per_cycle;
}

void SramBuffer::load_contents(uint64_t offset, const uint8_t* data, uint64_t length) {
    const uint64_t cap = storage_.size();
    if (length > cap) {  // only the last `cap` bytes survive the wrap-around
        offset += length - cap;
        data += length - cap;
        length = cap;
    }
    uint64_t pos = offset % cap;
    uint64_t done = 0;
    while (done < length) {
        const uint64_t n = std::min(length - done, cap - pos);
        std::memcpy(storage_.data() + pos, data + done, n);
        done += n;
        pos = 0;
    }
}

void SramBuffer::count_read(uint64_t bytes) {
    counters_.read_bytes += bytes;
    counters_.read_accesses += words(bytes);
}

void SramBuffer::count_write(uint64_t bytes) {
    counters_.write_bytes += bytes;
    counters_.write_accesses += words(bytes);
}

void SramBuffer::reset() {
    std::fill(storage_.begin(), storage_.end(), 0);
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
