// Shared checks for register-file targets: whole, aligned words, all bytes enabled, no streaming.
#pragma once

#include <cstdint>
#include <string>
#include <tlm>

#include "common/log.h"

namespace trainvp {

// Returns TLM_OK_RESPONSE if `trans` is an aligned access of `4` bytes (or 8 when allow_dword) with every
// byte enabled and no streaming; otherwise the status to answer with, and `why` says what is wrong.
tlm::tlm_response_status check_register_access(const tlm::tlm_generic_payload& trans, bool allow_dword,
                                               std::string& why);

// Sets `status` on `trans` and warns, naming the module (through `log`), the command and the offset.
void reject_access(const Logger& log, tlm::tlm_generic_payload& trans, tlm::tlm_response_status status,
                   const std::string& why);

// Register data in the payload as an integer of the access length (4 or 8 bytes). The TLM data array is in
// host byte order (IEEE 1666-2011 14.18); hosts we build on are little-endian, like RISC-V.
uint64_t payload_value(const tlm::tlm_generic_payload& trans);
void set_payload_value(tlm::tlm_generic_payload& trans, uint64_t value);

// The common start of a 32-bit register access: checks the payload and reads the addressed register with
// `read_word(offset, value)` (false for a hole). On failure it answers the transaction (and warns) and
// returns false; on success `value` holds the register's current contents.
template <typename ReadWord>
bool accept_register_access(const Logger& log, tlm::tlm_generic_payload& trans, ReadWord read_word,
                            uint32_t& value) {
    std::string why;
    const tlm::tlm_response_status status = check_register_access(trans, false, why);
    if (status != tlm::TLM_OK_RESPONSE) {
        reject_access(log, trans, status, why);
        return false;
    }
    if (!read_word(trans.get_address(), value)) {
        reject_access(log, trans, tlm::TLM_ADDRESS_ERROR_RESPONSE, "no register at this offset");
        return false;
    }
    return true;
}

// Copies the bytes of a register image into a debug read: `read_word(offset, value)` returns false for holes.
template <typename ReadWord>
unsigned int debug_read_words(tlm::tlm_generic_payload& trans, ReadWord read_word) {
    if (trans.get_command() != tlm::TLM_READ_COMMAND) return 0;
    const uint64_t base = trans.get_address();
    unsigned char* out = trans.get_data_ptr();
    unsigned int n = 0;
    for (; n < trans.get_data_length(); ++n) {
        const uint64_t addr = base + n;
        uint32_t word = 0;
        if (!read_word(addr & ~uint64_t{3}, word)) break;
        out[n] = static_cast<unsigned char>(word >> (8 * (addr & 3)));
    }
    trans.set_response_status(n ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return n;
}

}  // namespace trainvp
