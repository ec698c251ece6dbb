// Checkpoint state of Rv32Core: what a core restored into a fresh instance needs to execute on exactly as
// the saved one would have. Kept apart from the execution loop so the loop's file stays about execution.
#include <algorithm>
#include <stdexcept>

#include "common/state_io.h"
#include "cpu/rv32_core.h"

namespace trainvp {

namespace {
constexpr uint32_t kStateVersion = 2;  // 2: insns_by_class

void save_stats(StateWriter& w, const CoreStats& s) {
    w.u64(s.instret);
    w.u64(s.cycles);
    w.u64(s.cycles_asleep);
    w.u64(s.wfi_sleeps);
    w.u64(s.interrupts_taken);
    for (uint64_t v : s.exceptions_by_cause) w.u64(v);
    for (uint64_t v : s.interrupts_by_cause) w.u64(v);
    for (uint64_t v : s.insns_by_class) w.u64(v);
}

CoreStats restore_stats(StateReader& r) {
    CoreStats s;
    s.instret = r.u64();
    s.cycles = r.u64();
    s.cycles_asleep = r.u64();
    s.wfi_sleeps = r.u64();
    s.interrupts_taken = r.u64();
    for (uint64_t& v : s.exceptions_by_cause) v = r.u64();
    for (uint64_t& v : s.interrupts_by_cause) v = r.u64();
    for (uint64_t& v : s.insns_by_class) v = r.u64();
    return s;
}
}  // namespace

void Rv32Core::save_state(StateWriter& w) const {
    if (run_cycles_ != 0 || run_executed_ != 0)
        throw std::logic_error("Rv32Core::save_state called inside run()");
    w.u32(kStateVersion);
    for (unsigned i = 1; i < 32; ++i) w.u32(x_[i]);
    w.u32(pc_);
    for (uint32_t v : {mstatus_, mie_, mip_, mtvec_, mepc_, mcause_, mtval_, mscratch_}) w.u32(v);
    w.u64(mcycle_offset_);
    w.u64(minstret_offset_);
    w.boolean(reservation_valid_);
    w.u32(reservation_addr_);
    w.u64(cycles_total_);
    save_stats(w, stats());
    // The trap-loop detector's count, so a resumed core declares itself stuck at the same trap.
    w.u32(repeated_trap_.cause);
    w.u32(repeated_trap_.epc);
    w.u32(repeated_trap_.tval);
    w.u64(repeated_trap_.repeats);
    w.u64(repeated_trap_retired_);
}

void Rv32Core::restore_state(StateReader& r) {
    if (r.u32() != kStateVersion) r.fail("CPU core state of another layout");
    uint32_t x[32] = {};
    for (unsigned i = 1; i < 32; ++i) x[i] = r.u32();
    const uint32_t pc = r.u32();
    uint32_t csr[8];
    for (uint32_t& v : csr) v = r.u32();
    const uint64_t mcycle_offset = r.u64(), minstret_offset = r.u64();
    const bool reservation_valid = r.boolean();
    const uint32_t reservation_addr = r.u32();
    const uint64_t cycles_total = r.u64();
    const CoreStats stats = restore_stats(r);
    RepeatedTrap repeated;
    repeated.cause = r.u32();
    repeated.epc = r.u32();
    repeated.tval = r.u32();
    repeated.repeats = r.u64();
    const uint64_t repeated_retired = r.u64();

    // Everything read: apply (a short image throws above and leaves the core as it was).
    std::copy(std::begin(x), std::end(x), x_);
    pc_ = pc & ~1u;
    mstatus_ = csr[0];
    mie_ = csr[1];
    mip_ = csr[2];
    mtvec_ = csr[3];
    mepc_ = csr[4];
    mcause_ = csr[5];
    mtval_ = csr[6];
    mscratch_ = csr[7];
    mcycle_offset_ = mcycle_offset;
    minstret_offset_ = minstret_offset;
    reservation_valid_ = reservation_valid;
    reservation_addr_ = reservation_addr;
    cycles_total_ = cycles_total;
    stats_ = stats;
    insn_class_base_ = stats.insns_by_class;
    op_executed_.fill(0);
    branches_taken_ = 0;
    repeated_trap_ = repeated;
    repeated_trap_retired_ = repeated_retired;
    stuck_pending_ = false;
    stop_requested_ = false;
    watch_hit_pending_ = false;
    invalidate_decode_cache();
    update_irq();
}

}  // namespace trainvp
