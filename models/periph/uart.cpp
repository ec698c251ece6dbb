#include "periph/uart.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "common/error.h"
#include "common/state_io.h"
#include "periph/reg_access.h"
#include "periph/uart_regs.h"

namespace trainvp {

void UartConfig::validate() const {
    if (!std::isfinite(latency_ns) || latency_ns < 0.0)
        throw std::invalid_argument("uart: latency_ns must be a finite value >= 0, got " +
                                    std::to_string(latency_ns));
}

Uart::Uart(sc_core::sc_module_name name, const UartConfig& config)
    : sc_module(name), bus_in("bus_in"), config_(config), log_(this->name()) {
    config_.validate();
    latency_ = sc_core::sc_time(config_.latency_ns, sc_core::SC_NS);
    if (config_.output == "-") {
        out_ = stdout;
    } else if (!config_.output.empty()) {
        const std::string partial = config_.output + ".partial";
        out_ = std::fopen(partial.c_str(), "wb");
        if (!out_) throw UserError(config_.output + ": cannot create UART output: " + std::strerror(errno));
        owns_out_ = true;
    }
    bus_in.register_b_transport(this, &Uart::b_transport);
    bus_in.register_transport_dbg(this, &Uart::transport_dbg);
}

Uart::~Uart() {
    try {
        close_output();
    } catch (const UserError& e) {
        log_.warning(e.what());
    }
}

void Uart::close_output() {
    flush();
    if (!owns_out_) return;
    const bool ok = !std::ferror(out_);
    const bool closed = std::fclose(out_) == 0;
    out_ = nullptr;
    owns_out_ = false;
    const std::string partial = config_.output + ".partial";
    if (!ok || !closed) throw UserError(partial + ": write failed");
    if (std::rename(partial.c_str(), config_.output.c_str()) != 0)
        throw UserError(config_.output + ": cannot rename " + partial + ": " + std::strerror(errno));
}

void Uart::flush() {
    if (out_) std::fflush(out_);
}

void Uart::end_of_simulation() {
    flush();
}

void Uart::transmit(char c) {
    ++tx_count_;
    if (out_) {
        std::fputc(c, out_);
        if (c == '\n') std::fflush(out_);
    }
    if (config_.capture_bytes) {
        captured_.push_back(c);
        // Trim in chunks so capture stays amortised O(1) per byte.
        if (captured_.size() >= 2 * config_.capture_bytes)
            captured_.erase(0, captured_.size() - config_.capture_bytes);
    }
    if (on_tx) on_tx(c);
}

bool Uart::read_register(uint64_t offset, uint32_t& value) const {
    switch (offset) {
        case UART_REG_TXDATA:
            value = 0;
            return true;
        case UART_REG_STATUS:
            value = UART_STATUS_TX_READY;
            return true;
        default:
            return false;
    }
}

void Uart::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    const uint64_t offset = trans.get_address();
    // Firmware prints with byte stores (sb), so TXDATA also takes a single byte at its own address.
    const bool byte_tx =
        offset == UART_REG_TXDATA && trans.get_data_length() == 1 && trans.get_streaming_width() >= 1 &&
        (!trans.get_byte_enable_ptr() ||
         (trans.get_byte_enable_length() && trans.get_byte_enable_ptr()[0] == TLM_BYTE_ENABLED));
    if (!byte_tx) {
        std::string why;
        const tlm::tlm_response_status status = check_register_access(trans, false, why);
        if (status != tlm::TLM_OK_RESPONSE) return reject_access(log_, trans, status, why);
    }
    uint32_t value = 0;
    if (!read_register(offset & ~uint64_t{3}, value))
        return reject_access(log_, trans, tlm::TLM_ADDRESS_ERROR_RESPONSE, "no register at this offset");

    switch (trans.get_command()) {
        case tlm::TLM_READ_COMMAND:
            set_payload_value(trans, value);
            break;
        case tlm::TLM_WRITE_COMMAND:
            if (offset == UART_REG_STATUS)
                return reject_access(log_, trans, tlm::TLM_COMMAND_ERROR_RESPONSE, "STATUS is read-only");
            transmit(static_cast<char>(trans.get_data_ptr()[0]));
            break;
        default:
            break;
    }
    delay += latency_;
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned int Uart::transport_dbg(tlm::tlm_generic_payload& trans) {
    // Debug writes would transmit (a side effect); only reads are supported.
    return debug_read_words(
        trans, [this](uint64_t offset, uint32_t& value) { return read_register(offset, value); });
}

void Uart::save_state(StateWriter& w) const {
    w.u64(tx_count_);
    w.str(captured_);
}

// What was printed before the checkpoint is not printed again; the capture and the count carry on.
void Uart::restore_state(StateReader& r) {
    const uint64_t count = r.u64();
    std::string captured = r.str();
    tx_count_ = count;
    captured_ = std::move(captured);
}

}  // namespace trainvp
