// SystemC runner of the RV32 core: owns the thread, the initiator socket, the DMI table and the
// quantum keeper, and implements the core's CoreBus with blocking transport (loosely timed).
//
// Timing: each instruction advances local time by its class's cycles (CpuTiming) times the clock
// period; a bus access happens at the end of its instruction's cycles, plus whatever latency the
// target adds. DMI accesses are charged their class's cycles only. After every non-DMI data
// access the runner syncs, so device side effects appear at the access's time. WFI waits on the
// interrupt lines (no polling); mcycle keeps counting while asleep.
//
// Ending: when a device calls sc_stop() during an access the core stops at that instruction.
// A stop requested through the core (Rv32Core::request_stop(), e.g. from a tohost or
// semihosting hook) makes the runner call sc_stop(). Either way the thread returns.
// A core that can make no progress (StopReason::stuck: the same exception at the same pc over and over with
// no instruction retired) also ends the simulation; stuck() then describes it for the platform to report.
// Debugging: with a CpuDebugger attached (the GDB stub) the thread hands the halted core to it at the entry
// point, breakpoints, watchpoints and completed steps, and asks it about interrupt requests every 2^18
// instructions; it blocks inside the debugger, so simulated time stands still while halted.
// Traps: faults are logged as warnings, other traps at debug level (the core's trap hook; a
// platform that sets its own trap hook replaces this).
// Checkpoints: request_pause() stops the core at the next instruction boundary and calls back from the thread
// with every piece of bookkeeping settled; save_state() there and restore_state() before another run's start
// let that run continue with the same instructions at the same times (docs/user-guide.md "Checkpoints").
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>
#include <csignal>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "common/log.h"
#include "common/trace_sink.h"
#include "cpu/cpu_config.h"
#include "cpu/cpu_debugger.h"
#include "cpu/rv32_core.h"

namespace trainvp {

class CpuRunner : public sc_core::sc_module, private CoreBus {
  public:
    tlm_utils::simple_initiator_socket<CpuRunner> mem_out;  // instruction and data bus
    sc_core::sc_in<bool> irq_software;                      // CLINT msip -> mip.MSIP
    sc_core::sc_in<bool> irq_timer;                         // CLINT mtimecmp -> mip.MTIP
    sc_core::sc_in<bool> irq_external;                      // PLIC -> mip.MEIP

    SC_HAS_PROCESS(CpuRunner);
    // Validates cfg (std::invalid_argument naming the field). The global quantum is the
    // platform's to set; with a zero quantum the core syncs after every instruction.
    CpuRunner(sc_core::sc_module_name name, const CpuConfig& cfg);

    // Where the core starts; call before the simulation starts.
    void set_reset_pc(uint32_t pc);
    Rv32Core& core() { return core_; }
    const Rv32Core& core() const { return core_; }

    sc_core::sc_time clock_period() const { return period_; }
    // The core's notion of now: SystemC time plus the local time it runs ahead, including the
    // instructions of the current chunk. Use it for a CLINT-backed time source.
    sc_core::sc_time current_time() const;
    sc_core::sc_time time_asleep() const { return time_asleep_; }
    // True once the thread has returned (stop requested or simulation stopped).
    bool finished() const { return finished_; }
    // Why the runner ended a run whose core was stuck ("CPU stuck: ..."); empty otherwise.
    const std::string& stuck() const { return stuck_; }

    // Hands control to a debugger: the core halts before its first instruction, and at breakpoints,
    // watchpoints, completed steps and interrupt requests. Call before the simulation starts. The debugger
    // must outlive the run; without one the thread never checks for it beyond a null test per quantum.
    void attach_debugger(CpuDebugger* debugger) { debugger_ = debugger; }

    // A flag (set by a signal handler, say) the thread reads once per quantum: when it is non-zero the core
    // stops there and the simulation ends as for a requested stop. nullptr: never checked.
    void set_stop_flag(const volatile std::sig_atomic_t* flag) { stop_flag_ = flag; }

    // Timelines: with a sink, every WFI sleep becomes a slice and every interrupt taken an instant on the
    // "cpu" track, at the core's own time. Null (the default): no recording.
    void set_trace(TraceSink* sink) { trace_ = sink; }

    // Side-effect-free access to the address space through transport_dbg on mem_out (for debuggers and
    // host services). Returns the number of bytes transferred; fewer than `length` means the rest is
    // unmapped. Stores also drop stale decoded instructions.
    size_t debug_read(uint32_t addr, void* dst, size_t length);
    size_t debug_write(uint32_t addr, const void* src, size_t length);

    // --- checkpoints ---
    // Makes the core stop at the next instruction boundary and calls `at_boundary` there from the CPU thread,
    // with the core between instructions and the time bookkeeping settled. The run then goes on exactly as if
    // it had not stopped: the quantum in progress continues with the cycles it had left. For device callbacks
    // during an access (SimCtrl::on_progress) and core hooks; a second request before the boundary replaces
    // the first. Dropped if the simulation stops first.
    void request_pause(std::function<void()> at_boundary);
    // Only inside a pause callback (std::logic_error otherwise): SystemC time, the quantum keeper's local
    // time and next sync point, the cycles left in the quantum, time asleep, the DMI regions in use, the
    // core.
    void save_state(StateWriter& w) const;
    // Before the simulation starts: restores the core at once; the thread first waits until the saved SystemC
    // time, then restores the quantum keeper, requests DMI for the saved regions and runs on. StateError for
    // a damaged image or one made with another time resolution or clock period.
    void restore_state(StateReader& r);

  private:
    // Exposes how far the next sync point is, so the core runs whole quanta in one call.
    class QuantumKeeper : public tlm_utils::tlm_quantumkeeper {
      public:
        sc_core::sc_time time_to_sync() const {
            const sc_core::sc_time now = get_current_time();
            return m_next_sync_point > now ? m_next_sync_point - now : sc_core::SC_ZERO_TIME;
        }
        sc_core::sc_time next_sync_point() const { return m_next_sync_point; }
        void restore(const sc_core::sc_time& local, const sc_core::sc_time& next_sync) {
            m_local_time = local;
            m_next_sync_point = next_sync;
        }
    };
    // Where a restored run picks up (restore_state()).
    struct Resume {
        sc_core::sc_time at, local, next_sync;
        uint64_t budget_left = 0;
        std::vector<uint32_t> dmi_bases;
    };

    void thread();
    void resume_thread();
    void take_pause(uint64_t budget_left);
    // Hands the halted core to the debugger; false when it killed the run.
    bool debug_halt(const DebugHalt& why);
    void sleep_until_interrupt();
    // Ends the simulation after StopReason::stuck, recording why in stuck_.
    void end_stuck_run();
    void on_irq_change();

    // CoreBus
    bool load(uint32_t addr, unsigned size, uint32_t& value) override;
    bool store(uint32_t addr, unsigned size, uint32_t value) override;
    bool fetch(uint32_t addr, uint16_t& parcel) override;

    bool transport(tlm::tlm_command cmd, uint32_t addr, unsigned size, uint8_t* data, bool sync_after);
    void request_dmi(uint32_t addr);
    void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);
    // Moves the cycles the core charged since the last call into the quantum keeper.
    void catch_up();
    sc_core::sc_time cycles_to_time(uint64_t cycles) const {
        return sc_core::sc_time::from_value(period_.value() * cycles);
    }

    CpuConfig cfg_;
    sc_core::sc_time period_;
    Rv32Core core_;
    QuantumKeeper qk_;
    sc_core::sc_event irq_changed_;
    uint64_t cycles_accounted_ = 0;  // of the current core.run() call, already in qk_
    sc_core::sc_time time_asleep_;
    TraceSink* trace_ = nullptr;
    sc_core::sc_time sleep_remainder_;  // asleep time not yet charged as whole cycles
    bool finished_ = false;
    std::string stuck_;
    CpuDebugger* debugger_ = nullptr;
    const volatile std::sig_atomic_t* stop_flag_ = nullptr;
    bool stepping_ = false;          // the debugger asked for one instruction
    uint64_t insns_since_poll_ = 0;  // instructions since the debugger was last asked about interrupts
    std::function<void()> pause_;    // requested pause callback
    bool in_pause_ = false;
    uint64_t budget_left_ = 0;  // of the quantum in progress, at a pause
    uint64_t continue_budget_ =
        0;  // the next core.run() finishes an interrupted quantum with this many cycles
    std::optional<Resume> resume_;
    Logger log_;
};

}  // namespace trainvp
