// The interface between a runner and a debugger that drives it (the GDB stub). SystemC-free.
#pragma once

#include "cpu/rv32_core.h"

namespace trainvp {

// Why a debugger-driven runner halted.
struct DebugHalt {
    enum class Kind { entry, step, breakpoint, watchpoint, interrupt };
    Kind kind = Kind::entry;
    WatchHit watch;  // for Kind::watchpoint
};

// Called on the runner's thread, so simulated time stands still while the debugger blocks.
class CpuDebugger {
  public:
    enum class Resume { run, step, detach, kill };
    virtual ~CpuDebugger() = default;
    // The core is halted at an instruction boundary; returns how to go on.
    virtual Resume halted(const DebugHalt& why) = 0;
    // Asked every few hundred thousand instructions while running: true halts (e.g. GDB's Ctrl-C).
    virtual bool interrupt_requested() = 0;
    // The firmware ended the run (a stop was requested or the simulation stopped) while attached.
    virtual void run_ended() = 0;
};

}  // namespace trainvp
