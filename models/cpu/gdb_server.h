// GDB remote serial protocol stub for the RV32 core (GDB manual appendix E, "Remote Protocol"; target
// description format: appendix G, "Target Descriptions"; RISC-V features: G.5.16 "RISC-V Features").
//
// gdb::Session answers packets against an Rv32Core and a debug-memory interface with no I/O, so the
// command set is tested without a socket; gdb::Server owns the TCP socket (127.0.0.1 only, one client)
// and feeds the session. SystemC-free: platform/gdb_attach.cpp connects both to the CpuRunner.
//
// Register numbering is GDB's for RISC-V: x0..x31 = 0..31, pc = 32, CSR n = 65 + n. The `g` packet
// carries x0..x31 and pc; CSRs are read and written one at a time with p/P.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cpu/cpu_debugger.h"
#include "cpu/gdb_protocol.h"
#include "cpu/rv32_core.h"

namespace trainvp::gdb {

// Side-effect-free access to the target's address space (TLM transport_dbg). Returns the bytes
// transferred; fewer than asked means the rest is unmapped.
class DebugMemory {
  public:
    virtual ~DebugMemory() = default;
    virtual std::size_t read(uint32_t addr, void* dst, std::size_t length) = 0;
    virtual std::size_t write(uint32_t addr, const void* src, std::size_t length) = 0;
};

// GDB's `monitor` commands (qRcmd packets), registered by the platform: `monitor NAME ARGS...` runs NAME's
// handler with the words after NAME; `monitor help` lists every command with its usage.
class MonitorCommands {
  public:
    // Returns the text GDB prints. A std::invalid_argument from the handler is printed as "error: WHAT".
    using Handler = std::function<std::string(const std::vector<std::string>& args)>;
    // Throws std::invalid_argument for a name registered twice, empty or "help".
    void add(const std::string& name, const std::string& usage, Handler handler);
    // The output of one command line (never throws for anything the user typed).
    std::string run(std::string_view line) const;

  private:
    struct Command {
        std::string usage;
        Handler handler;
    };
    std::map<std::string, Command> commands_;
};

// The target description served as target.xml.
std::string target_xml();
// CSRs listed in target.xml (the register numbers GDB uses for them are 65 + csr).
constexpr unsigned kFirstCsrRegnum = 65;
constexpr unsigned kPcRegnum = 32;

class Session {
  public:
    static constexpr std::size_t kPacketSize = 0x4000;  // advertised PacketSize; larger m replies are cut

    struct Reply {
        std::optional<std::string> text;  // nullopt: send nothing now (c, s, k)
        CpuDebugger::Resume action = CpuDebugger::Resume::run;
        bool resumes = false;  // the packet ends the halt with `action`
    };

    Session(Rv32Core& core, DebugMemory& memory);

    // Handles one packet payload (without `$`, `#` and checksum; binary data still escaped). Malformed
    // packets get `E01`, unsupported ones the empty reply.
    Reply handle(std::string_view packet);

    // The stop reply for a halt (`T05swbreak:;`, `T05watch:ADDR;`, `T02` for an interrupt); `?` repeats it.
    std::string stop_reply(const DebugHalt& halt);
    // `W` + exit status (the low 8 bits).
    static std::string exit_reply(int code);
    // Drops every breakpoint and watchpoint GDB set (on detach, or when the connection is lost).
    void forget_debug_state();
    MonitorCommands& monitor() { return monitor_; }

  private:
    std::string read_registers() const;
    std::string write_registers(std::string_view hex);
    std::optional<uint32_t> read_register(unsigned regno) const;
    bool write_register(unsigned regno, uint32_t value);
    std::string read_memory(std::string_view args);
    std::string write_memory(std::string_view args, bool binary);
    std::string breakpoint(std::string_view args, bool insert);
    std::string query(std::string_view packet);
    bool resume_at(std::string_view args);

    Rv32Core& core_;
    DebugMemory& memory_;
    std::set<uint32_t> sw_breaks_, hw_breaks_;
    std::string last_stop_ = "S05";
    MonitorCommands monitor_;
};

// The TCP side: listen on 127.0.0.1:port, accept one client, exchange packets with acknowledgements.
// Errors are std::runtime_error with the reason.
class Server {
  public:
    explicit Server(int port);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    int port() const { return port_; }
    // Blocks until GDB connects; then stops listening.
    void accept_client();
    bool connected() const { return client_ >= 0; }

    // Answers packets until one resumes the core. A lost connection answers detach.
    Session::Reply serve(Session& session);
    // Non-blocking: true when GDB sent Ctrl-C (0x03). A lost connection reads as no interrupt and leaves
    // connected() false.
    bool poll_interrupt();
    // Sends a packet and waits for its acknowledgement (resending on `-`, at most a few times).
    void send(std::string_view payload);
    void close_client();

  private:
    // Reads at least one byte (blocking when `block`); false when the connection is gone or nothing is there.
    bool read_some(bool block);
    bool next_byte(char& c);

    int listen_ = -1;
    int client_ = -1;
    int port_ = 0;
    std::string inbox_;  // received bytes; those from inbox_pos_ on are not yet fed to the reader
    std::size_t inbox_pos_ = 0;
    PacketReader reader_;
    bool interrupt_pending_ = false;
};

}  // namespace trainvp::gdb
