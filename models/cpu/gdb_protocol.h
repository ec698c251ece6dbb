// GDB remote serial protocol framing (GDB manual, appendix E "Remote Protocol", sections E.1 Overview and
// E.3 Stop Reply Packets): packets are `$payload#cs` with cs the modulo-256 sum of the payload bytes as two
// hex digits; `+`/`-` acknowledge; a bare 0x03 outside a packet is an interrupt request; in binary data
// `}` escapes the next byte (XOR 0x20). SystemC-free and socket-free, so it is tested on its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trainvp::gdb {

uint8_t checksum(std::string_view payload);

// `$payload#cs`, with the bytes the framing reserves ($ # } *) escaped.
std::string frame(std::string_view payload);

// Binary data escaped for a packet body ($ # } * become `}` + byte ^ 0x20).
std::string escape_binary(std::string_view data);
// Undoes escape_binary; nullopt when the data ends in a lone `}`.
std::optional<std::string> unescape_binary(std::string_view data);

// Lower-case hex of bytes, and back (nullopt on an odd length or a non-hex digit).
std::string to_hex(std::string_view bytes);
std::optional<std::string> from_hex(std::string_view hex);
// A 32-bit register value as GDB sends it: 8 hex digits, least significant byte first.
std::string reg_to_hex(uint32_t value);
std::optional<uint32_t> reg_from_hex(std::string_view hex);
// A plain big-endian hex number as in addresses and lengths ("80000000"); nullopt when empty, not hex or
// wider than 32 bits.
std::optional<uint32_t> parse_number(std::string_view hex);

// Splits a byte stream from GDB into events. Bytes between packets other than + - and 0x03 are ignored, as
// GDB's own stubs do.
class PacketReader {
  public:
    enum class Event {
        none,        // need more bytes
        packet,      // a packet with a valid checksum: payload()
        bad_packet,  // checksum mismatch or malformed trailer: answer `-`
        interrupt,   // 0x03 (Ctrl-C) outside a packet
        ack,         // +
        nack,        // -
    };
    static constexpr std::size_t kMaxPacket = 0x4000;  // longer packets are dropped as bad

    Event feed(char c);
    const std::string& payload() const { return payload_; }

  private:
    enum class State { idle, body, check1, check2 };
    State state_ = State::idle;
    std::string payload_;
    uint8_t sum_ = 0;
    int check_hi_ = 0;
    bool overflow_ = false;
};

}  // namespace trainvp::gdb
