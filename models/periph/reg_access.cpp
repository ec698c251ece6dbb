#include "periph/reg_access.h"

#include <cstring>

namespace trainvp {

tlm::tlm_response_status check_register_access(const tlm::tlm_generic_payload& trans, bool allow_dword,
                                               std::string& why) {
    const unsigned int len = trans.get_data_length();
    if (len != 4 && !(allow_dword && len == 8)) {
        why = "unsupported access size " + std::to_string(len) + " (registers are 32-bit)";
        return tlm::TLM_BURST_ERROR_RESPONSE;
    }
    if (trans.get_address() % len != 0) {
        why = "misaligned " + std::to_string(len) + "-byte access";
        return tlm::TLM_ADDRESS_ERROR_RESPONSE;
    }
    if (trans.get_streaming_width() < len) {
        why = "streaming access";
        return tlm::TLM_BURST_ERROR_RESPONSE;
    }
    if (const unsigned char* be = trans.get_byte_enable_ptr()) {
        const unsigned int be_len = trans.get_byte_enable_length();
        for (unsigned int i = 0; i < len; ++i) {
            if (be_len == 0 || be[i % be_len] != TLM_BYTE_ENABLED) {
                why = "partial byte enables";
                return tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE;
            }
        }
    }
    return tlm::TLM_OK_RESPONSE;
}

void reject_access(const Logger& log, tlm::tlm_generic_payload& trans, tlm::tlm_response_status status,
                   const std::string& why) {
    const char* what = trans.is_write() ? "write" : trans.is_read() ? "read" : "access";
    log.warning(what, " at offset ", hex32(trans.get_address()), " rejected: ", why);
    trans.set_response_status(status);
}

uint64_t payload_value(const tlm::tlm_generic_payload& trans) {
    const unsigned char* p = trans.get_data_ptr();
    uint64_t value = 0;
    for (unsigned int i = trans.get_data_length(); i-- > 0;) value = (value << 8) | p[i];
    return value;
}

void set_payload_value(tlm::tlm_generic_payload& trans, uint64_t value) {
    unsigned char* p = trans.get_data_ptr();
    for (unsigned int i = 0; i < trans.get_data_length(); ++i, value >>= 8)
        p[i] = static_cast<unsigned char>(value);
}

}  // namespace trainvp
