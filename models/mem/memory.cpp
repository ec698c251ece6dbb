#include "mem/memory.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include "common/huge_pages.h"
#include "common/transfer_timing.h"

namespace trainvp {

namespace {
void require_non_negative(double value, const char* field) {
    if (!std::isfinite(value) || value < 0.0)
        throw std::invalid_argument(std::string("memory: ") + field + " must be a finite value >= 0, got " +
                                    std::to_string(value));
}
}  // namespace

void MemoryConfig::validate() const {
    if (size_bytes == 0) throw std::invalid_argument("memory: size_bytes must be > 0");
    // A RV32 bus cannot address more than 4 GiB; larger values are typos.
    if (size_bytes > (1ull << 32))
        throw std::invalid_argument("memory: size_bytes must be <= 4 GiB, got " + std::to_string(size_bytes));
    require_non_negative(read_latency_ns, "read_latency_ns");
    require_non_negative(write_latency_ns, "write_latency_ns");
    require_non_negative(bytes_per_ns, "bytes_per_ns");
}

void Memory::FreeDeleter::operator()(uint8_t* p) const {
    std::free(p);
}

Memory::Memory(sc_core::sc_module_name name, const MemoryConfig& config)
    : sc_module(name), bus_in("bus_in"), config_(config), log_(this->name()) {
    config_.validate();
    storage_.reset(static_cast<uint8_t*>(std::calloc(config_.size_bytes, 1)));
    if (!storage_) throw std::bad_alloc();
    // A training job zeroes and then streams hundreds of MiB of it (common/huge_pages.h).
    advise_huge_pages(storage_.get(), config_.size_bytes);
    read_latency_ = sc_core::sc_time(config_.read_latency_ns, sc_core::SC_NS);
    write_latency_ = sc_core::sc_time(config_.write_latency_ns, sc_core::SC_NS);
    bus_in.register_b_transport(this, &Memory::b_transport);
    bus_in.register_get_direct_mem_ptr(this, &Memory::get_direct_mem_ptr);
    bus_in.register_transport_dbg(this, &Memory::transport_dbg);
}

Memory::~Memory() = default;

bool Memory::in_range(uint64_t offset, uint64_t length) const {
    return offset <= config_.size_bytes && length <= config_.size_bytes - offset;
}

void Memory::check_host_range(const char* what, uint64_t offset, size_t length) const {
    if (!in_range(offset, length))
        throw std::out_of_range(std::string(name()) + ": host " + what + " of " + std::to_string(length) +
                                " bytes at offset " + hex32(offset) + " exceeds the memory size " +
                                hex32(config_.size_bytes));
}

void Memory::write(uint64_t offset, const void* src, size_t length) {
    check_host_range("write", offset, length);
    if (length) std::memcpy(storage_.get() + offset, src, length);
}

void Memory::read(uint64_t offset, void* dst, size_t length) const {
    check_host_range("read", offset, length);
    if (length) std::memcpy(dst, storage_.get() + offset, length);
}

void Memory::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    const tlm::tlm_command cmd = trans.get_command();
    const uint64_t addr = trans.get_address();
    const unsigned int len = trans.get_data_length();
    const unsigned char* be = trans.get_byte_enable_ptr();
    const unsigned int be_len = trans.get_byte_enable_length();

    if (!in_range(addr, len)) {
        log_.warning("access of ", len, " bytes at offset ", hex32(addr), " is outside the memory (size ",
                     hex32(config_.size_bytes), ")");
        trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    // IEEE 1666-2011 14.13: a streaming width >= the data length is an ordinary (non-streaming) transfer.
    if (trans.get_streaming_width() < len) {
        log_.warning("streaming access at offset ", hex32(addr), " (width ", trans.get_streaming_width(),
                     ", length ", len, ") is not supported");
        trans.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
        return;
    }
    if (be && be_len == 0) {
        log_.warning("access at offset ", hex32(addr), " has a byte enable pointer of length 0");
        trans.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
        return;
    }
    if (cmd == tlm::TLM_IGNORE_COMMAND) {
        trans.set_response_status(tlm::TLM_OK_RESPONSE);
        return;
    }

    uint8_t* mem = storage_.get() + addr;
    unsigned char* data = trans.get_data_ptr();
    const bool is_write = cmd == tlm::TLM_WRITE_COMMAND;
    if (!be) {
        if (is_write)
            std::memcpy(mem, data, len);
        else
            std::memcpy(data, mem, len);
    } else {
        // The byte enable array repeats when it is shorter than the data (IEEE 1666-2011 14.14).
        for (unsigned int i = 0; i < len; ++i) {
            if (be[i % be_len] != TLM_BYTE_ENABLED) continue;
            if (is_write)
                mem[i] = data[i];
            else
                data[i] = mem[i];
        }
    }

    delay += is_write ? write_latency_ : read_latency_;
    if (config_.bytes_per_ns > 0.0) {
        // Bursts nearly always share one length: convert the transfer time once per length, not per
        // transaction (sc_time construction from a double is a measurable share of DMA-heavy runs).
        if (len != transfer_length_) {
            transfer_length_ = len;
            transfer_time_ = transfer_time(len, config_.bytes_per_ns);
        }
        delay += transfer_time_;
    }
    trans.set_dmi_allowed(config_.dmi);
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

bool Memory::get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
    const uint64_t addr = trans.get_address();
    dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_NONE);
    if (addr >= config_.size_bytes) {
        // Deny the whole space above the memory so the initiator does not ask again for it.
        dmi.set_start_address(config_.size_bytes);
        dmi.set_end_address(~0ull);
        return false;
    }
    dmi.set_start_address(0);
    dmi.set_end_address(config_.size_bytes - 1);  // inclusive end (IEEE 1666-2011 11.2.5)
    if (!config_.dmi) return false;
    dmi.set_dmi_ptr(storage_.get());
    dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_READ_WRITE);
    dmi.set_read_latency(read_latency_);
    dmi.set_write_latency(write_latency_);
    // b_transport's delay is exactly these latencies plus transfer_time() of the length (transfer_timing.h).
    if (auto* timing = trans.get_extension<TransferTimingExt>()) {
        timing->answered = true;
        timing->bytes_per_ns = config_.bytes_per_ns;
    }
    return true;
}

unsigned int Memory::transport_dbg(tlm::tlm_generic_payload& trans) {
    const uint64_t addr = trans.get_address();
    const unsigned int len = trans.get_data_length();
    if (addr >= config_.size_bytes) {
        trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return 0;
    }
    // Debug transfers are clipped at the end of the memory and report how many bytes moved (IEEE
    // 1666 11.3.4).
    const unsigned int n = static_cast<unsigned int>(std::min<uint64_t>(len, config_.size_bytes - addr));
    uint8_t* mem = storage_.get() + addr;
    switch (trans.get_command()) {
        case tlm::TLM_READ_COMMAND:
            std::memcpy(trans.get_data_ptr(), mem, n);
            break;
        case tlm::TLM_WRITE_COMMAND:
            std::memcpy(mem, trans.get_data_ptr(), n);
            break;
        default:
            return 0;
    }
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
    return n;
}

}  // namespace trainvp
