// Attaches the GDB remote serial protocol stub (models/cpu/gdb_server.h) to the platform's CPU.
//
// The stub runs on the CPU runner's SystemC thread: while GDB has the core halted the thread blocks on the
// socket, so simulated time does not advance and no other process runs (the simplest design that keeps a
// debugged run's timing identical to an undebugged one: halting never moves a quantum boundary). While the
// core runs, the runner asks the stub about Ctrl-C every 2^18 instructions with a non-blocking poll; without
// --gdb nothing of this exists.
//
// Ending: `k` ends the run (trainvp exits 0); `D` and a closed connection let the firmware run on with every
// breakpoint and watchpoint removed. When the firmware exits while GDB is attached, GDB gets `W` with the
// exit status; a run cut short by --max-sim-time reports `X09` (killed).
#include <cstdio>
#include <memory>
#include <stdexcept>

#include "accel_monitor.h"
#include "common/error.h"
#include "common/log.h"
#include "cpu/gdb_server.h"
#include "host_services.h"
#include "platform.h"

namespace trainvp {
namespace {

class GdbService final : public HostService, public CpuDebugger, public gdb::DebugMemory {
  public:
    GdbService(Platform& soc, const HostServiceOptions& opts, GuestExit& exit)
        : soc_(soc),
          exit_(exit),
          server_(listen(opts.gdb_port)),
          session_(soc.cpu.core(), *this),
          log_(std::string(soc.name()) + ".gdb") {
        register_accel_monitor(session_.monitor(), soc.accel);
        std::fprintf(stderr, "trainvp: waiting for GDB on 127.0.0.1:%d\n", server_.port());
        std::fflush(stderr);
        server_.accept_client();
        log_.info("GDB connected; the core halts at the entry point ", hex32(soc_.cpu.core().pc()));
        soc_.cpu.attach_debugger(this);
    }

    ~GdbService() override {
        soc_.cpu.attach_debugger(nullptr);
        if (server_.connected() && !reported_end_) server_.send("X09");
    }

    Resume halted(const DebugHalt& why) override {
        const std::string stop = session_.stop_reply(why);
        if (!server_.connected()) return lost();
        // At the entry point GDB has not resumed anything yet: it asks with `?`.
        if (why.kind != DebugHalt::Kind::entry) server_.send(stop);
        const gdb::Session::Reply reply = server_.serve(session_);
        if (!server_.connected() && reply.action == Resume::detach) return lost();
        if (reply.action == Resume::detach) {
            log_.info("GDB detached; the firmware runs on");
            server_.close_client();
        } else if (reply.action == Resume::kill) {
            std::fprintf(stderr, "trainvp: run killed by GDB\n");
            exit_.requested = true;
            exit_.code = 0;
            exit_.via = "gdb";
            reported_end_ = true;
            server_.close_client();
        }
        return reply.action;
    }

    bool interrupt_requested() override {
        if (server_.poll_interrupt()) return true;
        // A connection lost while running: halt once so halted() can detach cleanly.
        return !server_.connected() && !lost_reported_;
    }

    void run_ended() override {
        if (!server_.connected()) return;
        int code = 0;
        if (exit_.requested)
            code = exit_.code;
        else if (soc_.simctrl.exited())
            code = static_cast<int>(soc_.simctrl.exit_code());
        server_.send(gdb::Session::exit_reply(code));
        reported_end_ = true;
        server_.close_client();
    }

    std::size_t read(uint32_t addr, void* dst, std::size_t length) override {
        return soc_.cpu.debug_read(addr, dst, length);
    }
    std::size_t write(uint32_t addr, const void* src, std::size_t length) override {
        return soc_.cpu.debug_write(addr, src, length);
    }

  private:
    static gdb::Server listen(int port) {
        try {
            return gdb::Server(port);
        } catch (const std::runtime_error& e) {
            throw UserError("--gdb " + std::to_string(port) + ": " + e.what());
        }
    }

    Resume lost() {
        if (!lost_reported_)
            log_.warning("the GDB connection closed; the firmware runs on without a debugger");
        lost_reported_ = true;
        session_.forget_debug_state();
        return Resume::detach;
    }

    Platform& soc_;
    GuestExit& exit_;
    gdb::Server server_;
    gdb::Session session_;
    Logger log_;
    bool reported_end_ = false;
    bool lost_reported_ = false;
};

}  // namespace

std::unique_ptr<HostService> attach_gdb(Platform& soc, const ElfImage&, const HostServiceOptions& opts,
                                        GuestExit& exit) {
    if (opts.gdb_port == 0) return nullptr;
    return std::make_unique<GdbService>(soc, opts, exit);
}

}  // namespace trainvp
