// RISC-V semihosting host (RISC-V Semihosting spec v0.2, which adopts the Arm "Semihosting for AArch32
// and AArch64" 2.0 operations with the 32-bit register conventions): console, sandboxed file access,
// simulated-time clocks and exit. SystemC-free: guest memory, the clock, the console and the log are
// reached through SemihostMemory and SemihostEnv, so a platform, a GDB stub or a test can host it.
//
// Operations: the set picolibc's libsemihost and crt0-semihost issue (OPEN, CLOSE, WRITEC, WRITE0,
// WRITE, READ, READC, ISERROR, ISTTY, SEEK, FLEN, REMOVE, CLOCK, TIME, ERRNO, GET_CMDLINE, HEAPINFO,
// EXIT, EXIT_EXTENDED, ELAPSED, TICKFREQ). Anything else answers -1 and logs a warning.
//
// Sandbox: file names resolve below SemihostConfig::sandbox_dir only. Absolute names must lie inside
// it, `..` components and symbolic links are refused, and only regular files open. Every directory
// step is an openat() with O_NOFOLLOW from the sandbox's own descriptor, so the check and the open
// are one step and cannot race. Guests see small handle numbers, never host descriptors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "common/log.h"

namespace trainvp {

class Rv32Core;

// Guest memory as the semihosting host reaches it (debug access: no timing, no side effects).
struct SemihostMemory {
    virtual ~SemihostMemory() = default;
    // Bytes transferred; fewer than `length` means the rest is unmapped.
    virtual size_t read(uint32_t addr, void* dst, size_t length) = 0;
    virtual size_t write(uint32_t addr, const void* src, size_t length) = 0;
};

struct SemihostConfig {
    std::string sandbox_dir;  // directory file calls may use; "" = no file access
    std::string cmdline;      // what SYS_GET_CMDLINE returns (picolibc splits it into argv)
};

// Host side of the console, the clock and the log. Unset members get the defaults noted.
struct SemihostEnv {
    // Simulated time since the start of the run, in ns. Default: always 0.
    std::function<uint64_t()> sim_time_ns;
    // Console output; stream 1 = stdout, 2 = stderr. Default: fwrite to stdout/stderr, flushed at
    // each newline like the UART's output.
    std::function<void(int stream, const char* data, size_t length)> console_out;
    // Console input: up to `length` bytes, 0 at end of input. Default: one read(2) from stdin.
    std::function<size_t(char* data, size_t length)> console_in;
    // Diagnostics. Default: dropped.
    std::function<void(LogLevel level, const std::string& message)> log;
};

class Semihosting {
  public:
    // Operation numbers (Arm semihosting 2.0, chapter 6).
    enum Op : uint32_t {
        kSysOpen = 0x01,
        kSysClose = 0x02,
        kSysWritec = 0x03,
        kSysWrite0 = 0x04,
        kSysWrite = 0x05,
        kSysRead = 0x06,
        kSysReadc = 0x07,
        kSysIserror = 0x08,
        kSysIstty = 0x09,
        kSysSeek = 0x0a,
        kSysFlen = 0x0c,
        kSysTmpnam = 0x0d,
        kSysRemove = 0x0e,
        kSysRename = 0x0f,
        kSysClock = 0x10,
        kSysTime = 0x11,
        kSysSystem = 0x12,
        kSysErrno = 0x13,
        kSysGetCmdline = 0x15,
        kSysHeapinfo = 0x16,
        kSysExit = 0x18,
        kSysExitExtended = 0x20,
        kSysElapsed = 0x30,
        kSysTickfreq = 0x31,
    };
    // Arm semihosting 2.0 section 6.16 (SYS_EXIT reason codes).
    static constexpr uint32_t kAdpStoppedApplicationExit = 0x20026;
    // SYS_ELAPSED ticks per second. picolibc's clock() returns the tick count as is with
    // CLOCKS_PER_SEC = 1000, and its gettimeofday() multiplies (ticks % freq) by 1e6 in 32 bits, so
    // any other frequency gives wrong clock() or gettimeofday() results.
    static constexpr uint32_t kTickHz = 1000;
    static constexpr unsigned kMaxOpenFiles = 64;

    // Opens the sandbox directory when one is given (UserError naming it if that fails).
    Semihosting(SemihostMemory& memory, const SemihostConfig& config, SemihostEnv env = {});
    ~Semihosting();
    Semihosting(const Semihosting&) = delete;
    Semihosting& operator=(const Semihosting&) = delete;

    // The core's ebreak hook. True (handled; the core continues after the ebreak) when the ebreak at
    // core.pc() is the uncompressed `slli x0,x0,0x1f; ebreak; srai x0,x0,7` sequence within one 4 KiB
    // page (RISC-V semihosting spec, "Semihosting trap"): a0 = operation, a1 = parameter, result in
    // a0. A requested exit also calls core.request_stop(). False otherwise: a plain breakpoint.
    bool handle_ebreak(Rv32Core& core);
    // True when the ebreak at `pc` is the semihosting sequence.
    bool is_semihosting_call(uint32_t pc);
    // Performs one operation; returns the value for a0.
    uint32_t call(uint32_t op, uint32_t param);

    bool exit_requested() const { return exit_requested_; }
    int exit_code() const { return exit_code_; }
    // errno (picolibc/newlib numbering) of the last failed call, as SYS_ERRNO returns it.
    uint32_t last_errno() const { return errno_; }

  private:
    enum class Kind { console_in, console_out, console_err, features, file };
    struct Handle {
        Kind kind;
        int fd = -1;       // host descriptor of a file
        uint32_t pos = 0;  // read position in the features block
        std::string name;  // for messages
    };

    uint32_t sys_open(uint32_t param);
    uint32_t sys_close(uint32_t param);
    uint32_t sys_write(uint32_t param);
    uint32_t sys_read(uint32_t param);
    uint32_t sys_seek(uint32_t param);
    uint32_t sys_flen(uint32_t param);
    uint32_t sys_istty(uint32_t param);
    uint32_t sys_remove(uint32_t param);
    uint32_t sys_get_cmdline(uint32_t param);
    uint32_t sys_heapinfo(uint32_t param);
    uint32_t sys_elapsed(uint32_t param);
    uint32_t sys_exit(uint32_t reason, uint32_t subcode);
    void write0(uint32_t addr);

    // Resolves a guest file name to (directory descriptor, leaf name) below the sandbox. Returns 0
    // or a host errno; `why` explains a refusal for the log.
    int resolve(const std::string& guest_path, int& dir_fd, std::string& leaf, std::string& why) const;
    // Reads n words of a parameter block; false (and EFAULT) when it is not mapped.
    bool read_block(uint32_t addr, uint32_t* words, unsigned n, uint32_t op);
    bool read_string(uint32_t addr, uint32_t length, std::string& out);
    Handle* find(uint32_t handle);
    uint32_t add_handle(Handle h);
    uint32_t fail(int host_errno);
    void console_write(Kind kind, const char* data, size_t length);
    uint64_t now_ns() const { return env_.sim_time_ns ? env_.sim_time_ns() : 0; }
    template <typename... Args>
    void warn(Args&&... args) const;
    template <typename... Args>
    void info(Args&&... args) const;

    SemihostMemory& mem_;
    SemihostConfig config_;
    SemihostEnv env_;
    int root_fd_ = -1;       // the sandbox directory, or -1
    std::string root_path_;  // its canonical path, for absolute guest names
    std::map<uint32_t, Handle> handles_;
    uint32_t errno_ = 0;
    bool exit_requested_ = false;
    int exit_code_ = 0;
};

}  // namespace trainvp
