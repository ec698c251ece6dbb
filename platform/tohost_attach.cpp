// The tohost/fromhost convention of the RISC-V ISA tests (riscv-tests env/p/riscv_test.h) and of the HTIF
// front-end server (riscv-isa-sim fesvr/htif.cc, device.cc, syscall.cc), for ELFs with a `tohost` symbol.
//
// tohost is a 64-bit word: device in bits 63..56, command in 55..48, payload in 47..0. The host takes a
// command by clearing tohost, then acts:
//   device 0, command 0, payload odd:  exit with status payload >> 1 (1 = pass; riscv-tests report failure n
//   as
//                                       (n << 1) | 1)
//   device 0, command 0, payload even: a syscall whose arguments are the eight 64-bit words at that address
//                                       (SYS_write to fd 1/2 and SYS_exit; others return -ENOSYS); the result
//                                       replaces the first word and the host answers fromhost = 1
//   device 1, command 1:                console putchar of the payload's low byte (fesvr's bcd device: no
//   answer)
// Answers go to fromhost when it is zero (the guest clears it after reading), else wait for that.
//
// Detection is exact and costs nothing per instruction: a store hook on tohost (the core's watch mechanism)
// fires on the stores that write it. RV32 firmware writes the 64-bit word as two stores, low word first (what
// GCC emits for a 64-bit store, and riscv-tests' write_tohost: `sw TESTNUM, tohost; sw zero, tohost+4`), so
// the store that writes the upper word commits a command. Older riscv-tests only repeat the low-word store in
// a loop: a second low-word store with no upper-word store in between commits too.
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>

#include "common/log.h"
#include "host_services.h"
#include "platform.h"

namespace trainvp {
namespace {

constexpr uint64_t kPayloadMask = (uint64_t{1} << 48) - 1;
// Linux/newlib syscall numbers used by the HTIF syscall proxy (fesvr/syscall.cc).
constexpr uint64_t kSysWrite = 64, kSysExit = 93;
constexpr uint64_t kEnosys = 38;

class TohostService final : public HostService {
  public:
    TohostService(Platform& soc, uint32_t tohost, std::optional<uint32_t> fromhost, GuestExit& exit)
        : soc_(soc),
          exit_(exit),
          tohost_(tohost),
          fromhost_(fromhost),
          log_(std::string(soc.name()) + ".tohost") {
        Rv32Core& core = soc_.cpu.core();
        if (!core.add_store_hook(tohost_, 8,
                                 [this](uint32_t addr, unsigned size, uint32_t) { on_tohost(addr, size); }))
            log_.warning("cannot watch tohost at ", hex32(tohost_), ": watch table full");
        if (fromhost_ &&
            !core.add_store_hook(*fromhost_, 8, [this](uint32_t, unsigned, uint32_t) { deliver(); }))
            log_.warning("cannot watch fromhost at ", hex32(*fromhost_), ": watch table full");
        log_.debug("tohost at ", hex32(tohost_),
                   fromhost_ ? ", fromhost at " + hex32(*fromhost_) : std::string());
    }

  private:
    void on_tohost(uint32_t addr, unsigned size) {
        const bool upper = uint64_t{addr} + size > uint64_t{tohost_} + 4;
        if (upper || low_written_) {
            low_written_ = false;
            commit();
        } else {
            low_written_ = true;
        }
    }

    void commit() {
        uint64_t command = 0;
        if (!read64(tohost_, command) || command == 0) return;
        write64(tohost_, 0);
        const unsigned device = static_cast<unsigned>(command >> 56);
        const unsigned cmd = static_cast<unsigned>(command >> 48) & 0xff;
        const uint64_t payload = command & kPayloadMask;
        if (device == 0 && cmd == 0) {
            if (payload & 1)
                finish(static_cast<int>(payload >> 1));
            else
                syscall(command, payload);
        } else if (device == 1 && cmd == 1) {
            std::fputc(static_cast<int>(payload & 0xff), stdout);
            if ((payload & 0xff) == '\n') std::fflush(stdout);
        } else {
            log_.warning("tohost: unsupported command device ", device, " command ", cmd, " (tohost ",
                         hex32(static_cast<uint32_t>(command >> 32)), "_",
                         hex32(static_cast<uint32_t>(command)), "), ignored");
        }
    }

    void finish(int code) {
        if (exit_.requested) return;
        if (code != 0) std::fprintf(stderr, "tohost: test failed with code %d\n", code);
        exit_.requested = true;
        exit_.code = code;
        exit_.via = "tohost";
        soc_.cpu.core().request_stop();
    }

    // The magic-memory syscall proxy (fesvr/syscall.cc): eight 64-bit words, number first.
    void syscall(uint64_t command, uint64_t addr) {
        uint64_t args[8] = {};
        if (addr > UINT32_MAX ||
            soc_.cpu.debug_read(static_cast<uint32_t>(addr), args, sizeof args) != sizeof args) {
            log_.warning("tohost: syscall block at ", hex32(static_cast<uint32_t>(addr)), " is not readable");
            return;
        }
        uint64_t result = static_cast<uint64_t>(-static_cast<int64_t>(kEnosys));
        if (args[0] == kSysWrite && (args[1] == 1 || args[1] == 2) && args[2] <= UINT32_MAX) {
            std::string text(static_cast<std::size_t>(std::min<uint64_t>(args[3], 1u << 20)), '\0');
            const std::size_t n =
                soc_.cpu.debug_read(static_cast<uint32_t>(args[2]), text.data(), text.size());
            std::fwrite(text.data(), 1, n, args[1] == 1 ? stdout : stderr);
            std::fflush(args[1] == 1 ? stdout : stderr);
            result = n;
        } else if (args[0] == kSysExit) {
            finish(static_cast<int>(args[1]));
            return;
        } else {
            log_.warning("tohost: syscall ", args[0], " is not supported (-ENOSYS)");
        }
        write64(static_cast<uint32_t>(addr), result);
        respond(command, 1);
    }

    // fesvr command_t::respond: the device and command of the request with the response in the payload.
    void respond(uint64_t command, uint64_t response) {
        if (!fromhost_) return;
        answers_.push_back((command >> 48 << 48) | (response & kPayloadMask));
        deliver();
    }

    void deliver() {
        uint64_t current = 0;
        if (answers_.empty() || !read64(*fromhost_, current) || current != 0) return;
        write64(*fromhost_, answers_.front());
        answers_.pop_front();
    }

    bool read64(uint32_t addr, uint64_t& value) {
        uint8_t bytes[8] = {};
        if (soc_.cpu.debug_read(addr, bytes, 8) != 8) {
            log_.warning("tohost: cannot read ", hex32(addr));
            return false;
        }
        std::memcpy(&value, bytes, 8);  // RV32 and the host are little-endian
        return true;
    }

    void write64(uint32_t addr, uint64_t value) {
        if (soc_.cpu.debug_write(addr, &value, 8) != 8) log_.warning("tohost: cannot write ", hex32(addr));
    }

    Platform& soc_;
    GuestExit& exit_;
    uint32_t tohost_;
    std::optional<uint32_t> fromhost_;
    Logger log_;
    bool low_written_ = false;  // the low word was stored since the last command
    std::deque<uint64_t> answers_;
};

}  // namespace

std::unique_ptr<HostService> attach_tohost(Platform& soc, const ElfImage& image, GuestExit& exit) {
    const std::optional<uint32_t> tohost = image.symbol("tohost");
    if (!tohost) return nullptr;
    return std::make_unique<TohostService>(soc, *tohost, image.symbol("fromhost"), exit);
}

}  // namespace trainvp
