#include "accel_monitor.h"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "accel/accel_regs.h"

namespace trainvp {

namespace {

constexpr uint64_t kMaxDump = 4096;

uint64_t number(const std::string& text, const char* what) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(text.c_str(), &end, 0);
    if (text.empty() || *end != '\0' || text[0] == '-')
        throw std::invalid_argument(std::string(what) + " '" + text + "' is not a number");
    return v;
}

uint64_t buffer_base(std::string name) {
    const std::string suffix = "_buffer";
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
        name.resize(name.size() - suffix.size());
    if (name == "weight") return Accelerator::kDebugWeightBase;
    if (name == "activation") return Accelerator::kDebugActivationBase;
    if (name == "gradient") return Accelerator::kDebugGradientBase;
    throw std::invalid_argument("no buffer '" + name + "' (weight, activation or gradient)");
}

std::string hex_word(uint64_t v, int digits) {
    char s[24];
    std::snprintf(s, sizeof s, "%0*llx", digits, static_cast<unsigned long long>(v));
    return s;
}

unsigned debug(Accelerator& accel, tlm::tlm_command cmd, uint64_t address, uint8_t* data, uint64_t length) {
    tlm::tlm_generic_payload t;
    t.set_command(cmd);
    t.set_address(address);
    t.set_data_ptr(data);
    t.set_data_length(static_cast<unsigned int>(length));
    t.set_streaming_width(static_cast<unsigned int>(length));
    return accel.debug_buffers(t);
}

std::string read(Accelerator& accel, const std::vector<std::string>& a) {
    if (a.size() != 4) throw std::invalid_argument("read takes BUFFER OFFSET LENGTH");
    const uint64_t base = buffer_base(a[1]), offset = number(a[2], "offset"), length = number(a[3], "length");
    if (length == 0 || length > kMaxDump)
        throw std::invalid_argument("length must be 1.." + std::to_string(kMaxDump));
    if (offset >= 0x1000'0000) throw std::invalid_argument("offset beyond the buffer");
    std::vector<uint8_t> bytes(length);
    const unsigned got = debug(accel, tlm::TLM_READ_COMMAND, base + offset, bytes.data(), length);
    if (got == 0) throw std::invalid_argument("offset " + a[2] + " is beyond the " + a[1] + " buffer");
    std::string out;
    for (unsigned i = 0; i < got; ++i) {
        if (i % 16 == 0) out += (i ? "\n" : "") + std::string("0x") + hex_word(offset + i, 8) + ":";
        out += " " + hex_word(bytes[i], 2);
    }
    out += "\n";
    if (got < length) out += "(" + std::to_string(length - got) + " bytes past the end of the buffer)\n";
    return out;
}

std::string write(Accelerator& accel, const std::vector<std::string>& a) {
    if (a.size() != 4) throw std::invalid_argument("write takes BUFFER OFFSET HEXBYTES");
    const uint64_t base = buffer_base(a[1]), offset = number(a[2], "offset");
    const std::string& hex = a[3];
    if (hex.empty() || hex.size() % 2 || hex.size() / 2 > kMaxDump)
        throw std::invalid_argument("HEXBYTES must be an even number of hex digits (at most 4096 bytes)");
    if (offset >= 0x1000'0000) throw std::invalid_argument("offset beyond the buffer");
    std::vector<uint8_t> bytes(hex.size() / 2);
    for (size_t i = 0; i < bytes.size(); ++i) {
        const std::string pair = hex.substr(2 * i, 2);
        char* end = nullptr;
        bytes[i] = static_cast<uint8_t>(std::strtoul(pair.c_str(), &end, 16));
        if (*end != '\0') throw std::invalid_argument("'" + pair + "' is not a hex byte");
    }
    const unsigned put = debug(accel, tlm::TLM_WRITE_COMMAND, base + offset, bytes.data(), bytes.size());
    if (put < bytes.size())
        throw std::invalid_argument("only " + std::to_string(put) + " of " + std::to_string(bytes.size()) +
                                    " bytes fit before the end of the buffer; nothing more written");
    return "wrote " + std::to_string(put) + " bytes\n";
}

std::string regs(Accelerator& accel) {
    std::string out;
#define TRAINVP_ACCEL_MONITOR_REG(name, offset, access, reset, desc)                                   \
    {                                                                                                  \
        uint32_t v = 0;                                                                                \
        if (accel.peek_register(offset, v))                                                            \
            out += std::string("0x") + hex_word(offset, 3) + " " #name ": 0x" + hex_word(v, 8) + "\n"; \
    }
    ACCEL_REGS(TRAINVP_ACCEL_MONITOR_REG)
#undef TRAINVP_ACCEL_MONITOR_REG
    return out;
}

}  // namespace

void register_accel_monitor(gdb::MonitorCommands& monitor, Accelerator& accel) {
    monitor.add("accel",
                "accel read BUFFER OFFSET LENGTH | accel write BUFFER OFFSET HEXBYTES | accel regs "
                "(BUFFER: weight, activation, gradient)",
                [&accel](const std::vector<std::string>& a) -> std::string {
                    if (a.empty()) throw std::invalid_argument("a subcommand is missing");
                    if (a[0] == "read") return read(accel, a);
                    if (a[0] == "write") return write(accel, a);
                    if (a[0] == "regs" && a.size() == 1) return regs(accel);
                    throw std::invalid_argument("unknown subcommand '" + a[0] + "'");
                });
}

}  // namespace trainvp
