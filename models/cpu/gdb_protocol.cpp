#include "cpu/gdb_protocol.h"

namespace trainvp::gdb {

namespace {
constexpr char kHexDigits[] = "0123456789abcdef";

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool reserved(char c) {
    return c == '$' || c == '#' || c == '}' || c == '*';
}
}  // namespace

uint8_t checksum(std::string_view payload) {
    uint8_t sum = 0;
    for (char c : payload) sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(c));
    return sum;
}

std::string escape_binary(std::string_view data) {
    std::string out;
    out.reserve(data.size());
    for (char c : data) {
        if (reserved(c)) {
            out.push_back('}');
            out.push_back(static_cast<char>(c ^ 0x20));
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::optional<std::string> unescape_binary(std::string_view data) {
    std::string out;
    out.reserve(data.size());
    for (std::size_t i = 0; i < data.size(); ++i) {
        if (data[i] != '}') {
            out.push_back(data[i]);
            continue;
        }
        if (++i == data.size()) return std::nullopt;
        out.push_back(static_cast<char>(data[i] ^ 0x20));
    }
    return out;
}

std::string frame(std::string_view payload) {
    const std::string body = escape_binary(payload);
    const uint8_t sum = checksum(body);
    std::string out;
    out.reserve(body.size() + 4);
    out.push_back('$');
    out += body;
    out.push_back('#');
    out.push_back(kHexDigits[sum >> 4]);
    out.push_back(kHexDigits[sum & 15]);
    return out;
}

std::string to_hex(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (char c : bytes) {
        const auto b = static_cast<uint8_t>(c);
        out.push_back(kHexDigits[b >> 4]);
        out.push_back(kHexDigits[b & 15]);
    }
    return out;
}

std::optional<std::string> from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0) return std::nullopt;
    std::string out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<char>(hi << 4 | lo));
    }
    return out;
}

std::string reg_to_hex(uint32_t value) {
    std::string bytes(4, '\0');
    for (int i = 0; i < 4; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<char>(value >> (8 * i));
    return to_hex(bytes);
}

std::optional<uint32_t> reg_from_hex(std::string_view hex) {
    if (hex.size() != 8) return std::nullopt;
    const auto bytes = from_hex(hex);
    if (!bytes) return std::nullopt;
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i)
        value |= uint32_t{static_cast<uint8_t>((*bytes)[static_cast<std::size_t>(i)])} << (8 * i);
    return value;
}

std::optional<uint32_t> parse_number(std::string_view hex) {
    if (hex.empty()) return std::nullopt;
    uint64_t value = 0;
    for (char c : hex) {
        const int v = hex_value(c);
        if (v < 0) return std::nullopt;
        value = value << 4 | static_cast<uint64_t>(v);
        if (value > UINT32_MAX) return std::nullopt;
    }
    return static_cast<uint32_t>(value);
}

PacketReader::Event PacketReader::feed(char c) {
    switch (state_) {
        case State::idle:
            if (c == '$') {
                state_ = State::body;
                payload_.clear();
                sum_ = 0;
                overflow_ = false;
            } else if (c == '\x03') {
                return Event::interrupt;
            } else if (c == '+') {
                return Event::ack;
            } else if (c == '-') {
                return Event::nack;
            }
            return Event::none;
        case State::body:
            if (c == '#') {
                state_ = State::check1;
            } else if (c == '$') {
                // A new packet start inside a packet: GDB gave up on the old one (E.1: resynchronise on `$`).
                payload_.clear();
                sum_ = 0;
                overflow_ = false;
            } else {
                sum_ = static_cast<uint8_t>(sum_ + static_cast<uint8_t>(c));
                if (payload_.size() < kMaxPacket)
                    payload_.push_back(c);
                else
                    overflow_ = true;
            }
            return Event::none;
        case State::check1:
            check_hi_ = hex_value(c);
            state_ = State::check2;
            return Event::none;
        case State::check2: {
            state_ = State::idle;
            const int lo = hex_value(c);
            if (check_hi_ < 0 || lo < 0 || overflow_ || (check_hi_ << 4 | lo) != sum_)
                return Event::bad_packet;
            return Event::packet;
        }
    }
    return Event::none;
}

}  // namespace trainvp::gdb
