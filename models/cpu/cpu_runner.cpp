#include "cpu/cpu_runner.h"

#include <vector>

#include <cmath>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "common/state_io.h"

namespace trainvp {

namespace {
sc_core::sc_time period_of(const CpuConfig& cfg) {
    cfg.validate();
    const sc_core::sc_time p(1.0 / cfg.clock_hz, sc_core::SC_SEC);
    if (p == sc_core::SC_ZERO_TIME)
        throw std::invalid_argument("cpu.clock_hz: clock period is below the SystemC time resolution");
    return p;
}

// sc_get_status() only reports SC_STOPPED once the kernel has finished the delta in which
// sc_stop() was called; the simulator status flags the request at once (SystemC 2.3 and 3.0).
bool simulation_stopped() {
    return sc_core::sc_get_simulator_status() == sc_core::SC_SIM_USER_STOP ||
           sc_core::sc_get_status() == sc_core::SC_STOPPED;
}
}  // namespace

CpuRunner::CpuRunner(sc_core::sc_module_name name, const CpuConfig& cfg)
    : sc_module(name),
      mem_out("mem_out"),
      irq_software("irq_software"),
      irq_timer("irq_timer"),
      irq_external("irq_external"),
      cfg_(cfg),
      period_(period_of(cfg)),
      core_(*this, cfg),
      log_(this->name()) {
    mem_out.register_invalidate_direct_mem_ptr(this, &CpuRunner::invalidate_direct_mem_ptr);
    // Illegal instructions and misaligned accesses are guest mistakes worth a warning (access
    // faults are already reported by transport()); environment calls, breakpoints and interrupts
    // are normal control flow.
    core_.set_trap_hook([this](uint32_t cause, uint32_t epc, uint32_t tval) {
        const bool fault = cause == 2 || cause == 4 || cause == 6;
        log_.log(fault ? LogLevel::warning : LogLevel::debug, "trap cause ", cause & 0x7fffffffu,
                 (cause & 0x80000000u) ? " (interrupt)" : "", " at pc ", hex32(epc), ", mtval ", hex32(tval));
        if (trace_ && (cause & 0x80000000u)) {
            const uint64_t at = static_cast<uint64_t>(std::llround(current_time().to_seconds() * 1e12));
            if (trace_->wants(at, at))
                trace_->instant("cpu", std::string("interrupt ") + interrupt_name(cause & 0x7fffffffu), at,
                                {{"pc", epc}});
        }
    });
    SC_THREAD(thread);
    SC_METHOD(on_irq_change);
    sensitive << irq_software << irq_timer << irq_external;
}

void CpuRunner::set_reset_pc(uint32_t pc) {
    core_.set_pc(pc);
}

sc_core::sc_time CpuRunner::current_time() const {
    return qk_.get_current_time() + cycles_to_time(core_.cycles_in_run() - cycles_accounted_);
}

void CpuRunner::on_irq_change() {
    core_.set_irq_line(IrqLine::software, irq_software.read());
    core_.set_irq_line(IrqLine::timer, irq_timer.read());
    core_.set_irq_line(IrqLine::external, irq_external.read());
    irq_changed_.notify();
}

void CpuRunner::catch_up() {
    const uint64_t now = core_.cycles_in_run();
    qk_.inc(cycles_to_time(now - cycles_accounted_));
    cycles_accounted_ = now;
}

namespace {
// How often a running, debugger-driven core asks the debugger about interrupts (a non-blocking socket poll):
// a few milliseconds of wall time, and nothing at all without a debugger.
constexpr uint64_t kDebugPollInstructions = 1u << 18;
}  // namespace

void CpuRunner::thread() {
    // The core was reset at construction; state set up before simulation (CSRs, pc) is kept.
    qk_.reset();
    if (resume_) resume_thread();
    if (debugger_ && !debug_halt(DebugHalt{DebugHalt::Kind::entry, {}})) return;
    for (;;) {
        // Run to the end of the quantum in one call; the core checks the cycle budget before each
        // instruction, so a chunk overshoots by at most one instruction.
        uint64_t budget = continue_budget_;
        if (budget) {
            continue_budget_ = 0;
        } else {
            const double to_sync = qk_.time_to_sync() / period_;
            budget = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(to_sync)));
        }
        cycles_accounted_ = 0;
        if (stop_flag_ && *stop_flag_) core_.request_stop();
        const RunResult r = core_.run(stepping_ ? 1 : UINT64_MAX, budget);
        qk_.inc(cycles_to_time(r.cycles - cycles_accounted_));
        cycles_accounted_ = 0;

        if (r.reason == StopReason::stop_requested && pause_ && !simulation_stopped()) {
            // The chunk was cut short only for the pause: finish it as it would have gone on.
            take_pause(budget > r.cycles ? budget - r.cycles : 0);
            if (continue_budget_) continue;
            if (qk_.need_sync()) qk_.sync();
            continue;
        }
        if (r.reason == StopReason::stop_requested || simulation_stopped()) {
            if (!simulation_stopped()) {
                qk_.sync();
                log_.info("stop requested at pc ", hex32(core_.pc()), ", ending the simulation");
                sc_core::sc_stop();
            }
            if (debugger_) debugger_->run_ended();
            finished_ = true;
            return;
        }
        if (r.reason == StopReason::stuck) {
            end_stuck_run();
            return;
        }
        bool halted = false;
        if (r.reason == StopReason::wfi) {
            sleep_until_interrupt();
            insns_since_poll_ = kDebugPollInstructions;  // time passed: look at the debugger now
            if (stepping_) {
                if (!debug_halt(DebugHalt{DebugHalt::Kind::step, {}})) return;
                halted = true;
            }
        } else if (r.reason == StopReason::breakpoint) {
            if (!debugger_) {
                // No debugger drives this runner; a breakpoint set by a hook without one stops here.
                log_.warning("breakpoint at ", hex32(core_.pc()), " with no debugger attached, stopping");
                qk_.sync();
                sc_core::sc_stop();
                finished_ = true;
                return;
            }
            if (!debug_halt(DebugHalt{DebugHalt::Kind::breakpoint, {}})) return;
            halted = true;
        } else if (r.reason == StopReason::watchpoint) {
            if (debugger_) {
                if (!debug_halt(DebugHalt{DebugHalt::Kind::watchpoint, core_.last_watch_hit()})) return;
                halted = true;
            } else {
                log_.debug("watchpoint hit at ", hex32(core_.last_watch_hit().addr),
                           " with no debugger, ignored");
            }
        }
        if (debugger_ && !halted) {
            if (stepping_ && r.instructions > 0) {
                if (!debug_halt(DebugHalt{DebugHalt::Kind::step, {}})) return;
            } else if ((insns_since_poll_ += r.instructions) >= kDebugPollInstructions) {
                insns_since_poll_ = 0;
                if (debugger_->interrupt_requested() &&
                    !debug_halt(DebugHalt{DebugHalt::Kind::interrupt, {}}))
                    return;
            }
        }
        if (qk_.need_sync()) qk_.sync();
    }
}

void CpuRunner::end_stuck_run() {
    const RepeatedTrap& t = core_.repeated_trap();
    constexpr unsigned kCsrMtvec = 0x305;  // privileged spec table 2.5
    uint32_t mtvec = 0;
    core_.read_csr(kCsrMtvec, mtvec);
    std::ostringstream os;
    os << "CPU stuck: " << exception_name(t.cause) << " (trap cause " << t.cause << ") at pc " << hex32(t.epc)
       << " repeated " << t.repeats << " times without progress (mtval " << hex32(t.tval) << ", mtvec "
       << hex32(mtvec) << ")";
    stuck_ = os.str();
    qk_.sync();
    log_.info(stuck_, ", ending the simulation");
    sc_core::sc_stop();
    if (debugger_) debugger_->run_ended();
    finished_ = true;
}

void CpuRunner::request_pause(std::function<void()> at_boundary) {
    pause_ = std::move(at_boundary);
    core_.request_stop();
}

void CpuRunner::take_pause(uint64_t budget_left) {
    budget_left_ = budget_left;
    const std::function<void()> callback = std::move(pause_);
    pause_ = nullptr;
    in_pause_ = true;
    callback();
    in_pause_ = false;
    continue_budget_ = budget_left;
}

namespace {
constexpr uint32_t kRunnerStateVersion = 1;
}

void CpuRunner::save_state(StateWriter& w) const {
    if (!in_pause_) throw std::logic_error("CpuRunner::save_state outside a pause");
    w.u32(kRunnerStateVersion);
    w.f64(sc_core::sc_get_time_resolution().to_seconds());
    w.u64(period_.value());
    w.u64(sc_core::sc_time_stamp().value());
    w.u64(qk_.get_local_time().value());
    w.u64(qk_.next_sync_point().value());
    w.u64(budget_left_);
    w.u64(time_asleep_.value());
    w.u64(sleep_remainder_.value());
    w.u32(core_.dmi_region_count());
    for (unsigned i = 0; i < core_.dmi_region_count(); ++i) w.u32(core_.dmi_region(i).base);
    core_.save_state(w);
}

void CpuRunner::restore_state(StateReader& r) {
    if (r.u32() != kRunnerStateVersion) r.fail("CPU runner state of another layout");
    if (r.f64() != sc_core::sc_get_time_resolution().to_seconds())
        r.fail("made with another SystemC time resolution");
    if (r.u64() != period_.value()) r.fail("made with another CPU clock period");
    Resume s;
    s.at = sc_core::sc_time::from_value(r.u64());
    s.local = sc_core::sc_time::from_value(r.u64());
    s.next_sync = sc_core::sc_time::from_value(r.u64());
    s.budget_left = r.u64();
    const sc_core::sc_time asleep = sc_core::sc_time::from_value(r.u64());
    const sc_core::sc_time remainder = sc_core::sc_time::from_value(r.u64());
    const uint32_t regions = r.u32();
    if (regions > Rv32Core::kMaxDmiRegions) r.fail(std::to_string(regions) + " DMI regions");
    for (uint32_t i = 0; i < regions; ++i) s.dmi_bases.push_back(r.u32());
    core_.restore_state(r);
    time_asleep_ = asleep;
    sleep_remainder_ = remainder;
    resume_ = std::move(s);
}

// A restored run: nothing happened in this simulation before the saved time (the platform checked that no
// activity was pending when it saved), so the thread sleeps until then and takes up the quantum where the
// saved run was: same local time, same next sync point, same cycles left. DMI is asked for again so the
// accesses that went around the bus still do.
void CpuRunner::resume_thread() {
    const Resume s = std::move(*resume_);
    resume_.reset();
    if (s.at > sc_core::sc_time_stamp()) sc_core::wait(s.at - sc_core::sc_time_stamp());
    qk_.restore(s.local, s.next_sync);
    if (cfg_.dmi)
        for (uint32_t base : s.dmi_bases) request_dmi(base);
    continue_budget_ = s.budget_left;
    if (!continue_budget_ && qk_.need_sync()) qk_.sync();
}

// Simulated time stands still while the debugger has the core: the thread blocks here without syncing, so
// the halt does not move quantum boundaries.
bool CpuRunner::debug_halt(const DebugHalt& why) {
    const CpuDebugger::Resume resume = debugger_->halted(why);
    stepping_ = false;
    insns_since_poll_ = 0;
    switch (resume) {
        case CpuDebugger::Resume::run:
            break;
        case CpuDebugger::Resume::step:
            stepping_ = true;
            break;
        case CpuDebugger::Resume::detach:
            debugger_ = nullptr;
            break;
        case CpuDebugger::Resume::kill:
            log_.info("run killed by the debugger at pc ", hex32(core_.pc()));
            sc_core::sc_stop();
            finished_ = true;
            return false;
    }
    return true;
}

// Privileged spec 3.3.3: WFI stalls until an enabled interrupt is pending. The thread waits on
// the input-line event instead of polling, and the core's cycle counter keeps running.
void CpuRunner::sleep_until_interrupt() {
    qk_.sync();
    const sc_core::sc_time start = sc_core::sc_time_stamp();
    while (!core_.wfi_wakeup_pending()) sc_core::wait(irq_changed_);
    const sc_core::sc_time slept = sc_core::sc_time_stamp() - start;
    if (trace_) {
        const auto ps = [](const sc_core::sc_time& t) {
            return static_cast<uint64_t>(std::llround(t.to_seconds() * 1e12));
        };
        if (trace_->wants(ps(start), ps(start + slept)))
            trace_->slice("cpu", "WFI", ps(start), ps(start + slept));
    }
    time_asleep_ += slept;
    sleep_remainder_ += slept;
    const uint64_t cycles = sleep_remainder_.value() / period_.value();
    sleep_remainder_ = sc_core::sc_time::from_value(sleep_remainder_.value() - cycles * period_.value());
    core_.account_sleep_cycles(cycles);
    qk_.reset();
}

bool CpuRunner::transport(tlm::tlm_command cmd, uint32_t addr, unsigned size, uint8_t* data,
                          bool sync_after) {
    tlm::tlm_generic_payload trans;
    trans.set_command(cmd);
    trans.set_address(addr);
    trans.set_data_ptr(data);
    trans.set_data_length(size);
    trans.set_streaming_width(size);
    trans.set_byte_enable_ptr(nullptr);
    trans.set_dmi_allowed(false);
    trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);

    catch_up();
    sc_core::sc_time delay = qk_.get_local_time();
    mem_out->b_transport(trans, delay);
    qk_.set(delay);

    if (trans.is_dmi_allowed() && cfg_.dmi) request_dmi(addr);
    if (trans.is_response_error()) {
        log_.warning(cmd == tlm::TLM_WRITE_COMMAND ? "store" : "load", " of ", size, " bytes at ",
                     hex32(addr), " failed (", trans.get_response_string(), ") at pc ", hex32(core_.pc()),
                     ": access fault");
        return false;
    }
    if (simulation_stopped()) {
        // A device ended the simulation (e.g. an exit register): do not run on past it.
        core_.request_stop();
    } else if (sync_after) {
        // Device side effects (an interrupt, a stop) become visible at the access's time. They travel
        // through delta cycles (device method -> irq signal -> on_irq_change), so let the deltas pending at
        // this time run before the next instruction; bounded so a zero-time loop elsewhere cannot stall us.
        qk_.sync();
        constexpr int kSettleDeltas = 4;
        for (int i = 0; i < kSettleDeltas && sc_core::sc_pending_activity_at_current_time(); ++i)
            sc_core::wait(sc_core::SC_ZERO_TIME);
    } else if (qk_.need_sync()) {
        qk_.sync();
    }
    return true;
}

bool CpuRunner::load(uint32_t addr, unsigned size, uint32_t& value) {
    uint8_t buf[4] = {};
    if (!transport(tlm::TLM_READ_COMMAND, addr, size, buf, true)) return false;
    value = 0;
    std::memcpy(&value, buf, size);  // TLM data is in host byte order; host and RV32 are little-endian
    return true;
}

bool CpuRunner::store(uint32_t addr, unsigned size, uint32_t value) {
    uint8_t buf[4];
    std::memcpy(buf, &value, 4);
    return transport(tlm::TLM_WRITE_COMMAND, addr, size, buf, true);
}

bool CpuRunner::fetch(uint32_t addr, uint16_t& parcel) {
    uint8_t buf[2] = {};
    if (!transport(tlm::TLM_READ_COMMAND, addr, 2, buf, false)) return false;
    std::memcpy(&parcel, buf, 2);
    return true;
}

namespace {
size_t debug_transport(tlm_utils::simple_initiator_socket<CpuRunner>& socket, tlm::tlm_command cmd,
                       uint32_t addr, uint8_t* data, size_t length) {
    size_t done = 0;
    while (done < length) {
        // Page-sized pieces, so a range that runs off a region reports how much of it exists.
        const uint64_t at = uint64_t{addr} + done;
        if (at > UINT32_MAX) break;
        const size_t chunk = std::min<size_t>(length - done, 4096 - (at % 4096));
        tlm::tlm_generic_payload trans;
        trans.set_command(cmd);
        trans.set_address(at);
        trans.set_data_ptr(data + done);
        trans.set_data_length(static_cast<unsigned>(chunk));
        trans.set_streaming_width(static_cast<unsigned>(chunk));
        const unsigned n = socket->transport_dbg(trans);
        done += n;
        if (n < chunk) break;
    }
    return done;
}
}  // namespace

size_t CpuRunner::debug_read(uint32_t addr, void* dst, size_t length) {
    return debug_transport(mem_out, tlm::TLM_READ_COMMAND, addr, static_cast<uint8_t*>(dst), length);
}

size_t CpuRunner::debug_write(uint32_t addr, const void* src, size_t length) {
    std::vector<uint8_t> copy(static_cast<const uint8_t*>(src), static_cast<const uint8_t*>(src) + length);
    const size_t n = debug_transport(mem_out, tlm::TLM_WRITE_COMMAND, addr, copy.data(), length);
    if (n > 0) core_.invalidate_decode_cache();
    return n;
}

void CpuRunner::request_dmi(uint32_t addr) {
    tlm::tlm_generic_payload trans;
    trans.set_command(tlm::TLM_READ_COMMAND);
    trans.set_address(addr);
    tlm::tlm_dmi dmi;
    if (!mem_out->get_direct_mem_ptr(trans, dmi)) return;
    if (dmi.get_start_address() > UINT32_MAX || dmi.get_dmi_ptr() == nullptr) return;
    DmiRegion region;
    region.host = dmi.get_dmi_ptr();
    region.base = static_cast<uint32_t>(dmi.get_start_address());
    region.end = static_cast<uint32_t>(std::min<sc_dt::uint64>(dmi.get_end_address(), UINT32_MAX));
    region.readable = dmi.is_read_allowed();
    region.writable = dmi.is_write_allowed();
    // DMI latencies are not charged: the per-class cycle costs already model RAM accesses.
    if (!core_.add_dmi_region(region))
        log_.debug("DMI table full, ", hex32(region.base), "..", hex32(region.end), " stays on the bus");
}

void CpuRunner::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
    if (start > UINT32_MAX) return;
    core_.invalidate_dmi(static_cast<uint32_t>(start),
                         static_cast<uint32_t>(std::min<sc_dt::uint64>(end, UINT32_MAX)));
}

}  // namespace trainvp
