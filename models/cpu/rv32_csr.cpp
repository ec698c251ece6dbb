// Machine-mode CSRs, trap entry, mret and interrupt state of Rv32Core (privileged spec 20211203,
// chapter 3; Zicsr: unprivileged spec 20191213 chapter 9).

#include "cpu/rv32_core.h"

namespace trainvp {

using rv32::Op;

const char* exception_name(unsigned cause) {
    // Privileged spec, table 3.6.
    switch (cause) {
        case 0:
            return "instruction address misaligned";
        case 1:
            return "instruction access fault";
        case 2:
            return "illegal instruction";
        case 3:
            return "breakpoint";
        case 4:
            return "load address misaligned";
        case 5:
            return "load access fault";
        case 6:
            return "store/AMO address misaligned";
        case 7:
            return "store/AMO access fault";
        case 8:
            return "environment call from U-mode";
        case 11:
            return "environment call from M-mode";
        default:
            return "reserved";
    }
}

const char* interrupt_name(unsigned cause) {
    switch (cause) {
        case 3:
            return "machine software";
        case 7:
            return "machine timer";
        case 11:
            return "machine external";
        default:
            return "reserved";
    }
}

namespace {
constexpr uint32_t kMstatusMie = 1u << 3, kMstatusMpie = 1u << 7, kMstatusMppM = 3u << 11;
// Machine interrupt bits of mip/mie (section 3.1.9).
constexpr uint32_t kMsip = 1u << 3, kMtip = 1u << 7, kMeip = 1u << 11;
constexpr uint32_t kIrqMask = kMsip | kMtip | kMeip;
// misa: MXL = 1 (RV32), extensions A, C, I, M (section 3.1.1).
constexpr uint32_t kMisaValue = (1u << 30) | (1u << 0) | (1u << 2) | (1u << 8) | (1u << 12);

// CSR numbers (privileged spec table 2.5, unprivileged counters table 2.2).
enum Csr : unsigned {
    kMstatus = 0x300,
    kMisa = 0x301,
    kMie = 0x304,
    kMtvec = 0x305,
    kMstatush = 0x310,
    kMhpmevent3 = 0x323,
    kMhpmevent31 = 0x33f,
    kMscratch = 0x340,
    kMepc = 0x341,
    kMcause = 0x342,
    kMtval = 0x343,
    kMip = 0x344,
    kMcycle = 0xb00,
    kMinstret = 0xb02,
    kMhpmcounter3 = 0xb03,
    kMhpmcounter31 = 0xb1f,
    kMcycleh = 0xb80,
    kMinstreth = 0xb82,
    kMhpmcounter3h = 0xb83,
    kMhpmcounter31h = 0xb9f,
    kCycle = 0xc00,
    kTime = 0xc01,
    kInstret = 0xc02,
    kHpmcounter3 = 0xc03,
    kHpmcounter31 = 0xc1f,
    kCycleh = 0xc80,
    kTimeh = 0xc81,
    kInstreth = 0xc82,
    kHpmcounter3h = 0xc83,
    kHpmcounter31h = 0xc9f,
    kMvendorid = 0xf11,
    kMarchid = 0xf12,
    kMimpid = 0xf13,
    kMhartid = 0xf14,
    kMconfigptr = 0xf15,
};

bool in(unsigned csr, unsigned lo, unsigned hi) {
    return csr >= lo && csr <= hi;
}
uint32_t lo32(uint64_t v) {
    return static_cast<uint32_t>(v);
}
uint32_t hi32(uint64_t v) {
    return static_cast<uint32_t>(v >> 32);
}
uint64_t with_lo(uint64_t v, uint32_t lo) {
    return (v & 0xffffffff00000000ull) | lo;
}
uint64_t with_hi(uint64_t v, uint32_t hi) {
    return (v & 0xffffffffull) | (uint64_t{hi} << 32);
}
}  // namespace

bool Rv32Core::csr_read(unsigned csr, uint32_t& value) const {
    switch (csr) {
        case kMstatus:
            value = mstatus_ | kMstatusMppM;
            return true;
        case kMisa:
            value = kMisaValue;
            return true;
        case kMie:
            value = mie_;
            return true;
        case kMtvec:
            value = mtvec_;
            return true;
        case kMstatush:
            value = 0;
            return true;  // little-endian M-mode, no MBE
        case kMscratch:
            value = mscratch_;
            return true;
        case kMepc:
            value = mepc_;
            return true;
        case kMcause:
            value = mcause_;
            return true;
        case kMtval:
            value = mtval_;
            return true;
        case kMip:
            value = mip_;
            return true;
        case kMcycle:
        case kCycle:
            value = lo32(mcycle());
            return true;
        case kMcycleh:
        case kCycleh:
            value = hi32(mcycle());
            return true;
        case kMinstret:
        case kInstret:
            value = lo32(minstret());
            return true;
        case kMinstreth:
        case kInstreth:
            value = hi32(minstret());
            return true;
        case kTime:
            value = lo32(time_source_ ? time_source_() : mcycle());
            return true;
        case kTimeh:
            value = hi32(time_source_ ? time_source_() : mcycle());
            return true;
        case kMvendorid:
        case kMarchid:
        case kMimpid:
        case kMconfigptr:
            value = 0;
            return true;
        case kMhartid:
            value = cfg_.hart_id;
            return true;
        default:
            break;
    }
    // Section 3.1.10: the event counters may be hardwired to zero; software probes them.
    if (in(csr, kMhpmevent3, kMhpmevent31) || in(csr, kMhpmcounter3, kMhpmcounter31) ||
        in(csr, kMhpmcounter3h, kMhpmcounter31h) || in(csr, kHpmcounter3, kHpmcounter31) ||
        in(csr, kHpmcounter3h, kHpmcounter31h)) {
        value = 0;
        return true;
    }
    return false;
}

// Writes an implemented, writable CSR; returns false for the ones that do not exist.
bool Rv32Core::csr_write(unsigned csr, uint32_t value, bool by_instruction) {
    // A minstret write by an instruction replaces that instruction's own increment, so the next
    // instruction reads the written value (Spike's wide_counter_csr_t behaves the same).
    const uint64_t own = by_instruction ? 1 : 0;
    switch (csr) {
        case kMstatus:
            mstatus_ = value & (kMstatusMie | kMstatusMpie);
            update_irq();
            return true;
        case kMie:
            mie_ = value & kIrqMask;
            update_irq();
            return true;
        case kMtvec:
            // MODE is WARL: 0 direct, 1 vectored; the reserved modes 2 and 3 fall back to bit 0.
            mtvec_ = (value & ~3u) | (value & 1u);
            return true;
        case kMepc:
            mepc_ = value & ~1u;
            return true;  // IALIGN = 16 with C
        case kMscratch:
            mscratch_ = value;
            return true;
        case kMcause:
            mcause_ = value;
            return true;
        case kMtval:
            mtval_ = value;
            return true;
        case kMisa:      // WARL, extensions cannot be switched off
        case kMstatush:  // no MBE/SBE
        case kMip:       // MSIP/MTIP/MEIP reflect the input lines (CLINT, PLIC) and are read-only
            return true;
        case kMcycle:
            mcycle_offset_ += with_lo(mcycle(), value) - mcycle();
            return true;
        case kMcycleh:
            mcycle_offset_ += with_hi(mcycle(), value) - mcycle();
            return true;
        case kMinstret:
            minstret_offset_ += with_lo(minstret(), value) - own - minstret();
            return true;
        case kMinstreth:
            minstret_offset_ += with_hi(minstret(), value) - own - minstret();
            return true;
        default:
            break;
    }
    return in(csr, kMhpmevent3, kMhpmevent31) || in(csr, kMhpmcounter3, kMhpmcounter31) ||
           in(csr, kMhpmcounter3h, kMhpmcounter31h);
}

bool Rv32Core::exec_csr(Op op, unsigned csr, uint8_t rd, uint8_t rs1) {
    const bool immediate = op == Op::csrrwi || op == Op::csrrsi || op == Op::csrrci;
    const bool swap = op == Op::csrrw || op == Op::csrrwi;
    const uint32_t src = immediate ? rs1 : x_[rs1];
    // Zicsr: csrrs/csrrc with rs1 = x0 (or uimm = 0) do not write, so they may read read-only CSRs.
    const bool writes = swap || rs1 != 0;
    // CSR address bits [11:10] = 11 mark read-only CSRs (privileged spec 2.1).
    if (writes && (csr >> 10) == 3) return false;
    uint32_t old = 0;
    if (!csr_read(csr, old)) return false;
    if (writes) {
        const uint32_t value = swap                                    ? src
                               : (op == Op::csrrs || op == Op::csrrsi) ? (old | src)
                                                                       : (old & ~src);
        if (!csr_write(csr, value, true)) return false;
    }
    x_[rd] = old;  // rd = x0 maps to the sink register
    return true;
}

bool Rv32Core::read_csr(unsigned csr, uint32_t& value) const {
    return csr_read(csr, value);
}

bool Rv32Core::write_csr(unsigned csr, uint32_t value) {
    if ((csr >> 10) == 3) return false;
    uint32_t ignored = 0;
    if (!csr_read(csr, ignored)) return false;
    return csr_write(csr, value, false);
}

void Rv32Core::update_irq() {
    irq_armed_ = (mstatus_ & kMstatusMie) != 0 && (mip_ & mie_) != 0;
    attention_ = irq_armed_ || stop_requested_;
}

void Rv32Core::set_irq_line(IrqLine line, bool level) {
    const uint32_t bit = 1u << static_cast<unsigned>(line);
    mip_ = level ? (mip_ | bit) : (mip_ & ~bit);
    update_irq();
}

void Rv32Core::request_stop() {
    stop_requested_ = true;
    attention_ = true;
}

void Rv32Core::account_sleep_cycles(uint64_t cycles) {
    cycles_total_ += cycles;
    stats_.cycles += cycles;
    stats_.cycles_asleep += cycles;
}

void Rv32Core::set_trace_hook(std::function<void(const Rv32Core&, uint32_t, uint32_t)> hook) {
    trace_hook_ = std::move(hook);
    slow_mode_ = trace_hook_ || !breakpoints_.empty();
    attention_ = true;  // leave the fast loop if called from a hook
}

void Rv32Core::add_breakpoint(uint32_t pc) {
    breakpoints_.insert(pc);
    slow_mode_ = true;
    attention_ = true;
}

void Rv32Core::remove_breakpoint(uint32_t pc) {
    breakpoints_.erase(pc);
    slow_mode_ = trace_hook_ || !breakpoints_.empty();
}

void Rv32Core::clear_breakpoints() {
    breakpoints_.clear();
    slow_mode_ = static_cast<bool>(trace_hook_);
}

// Section 3.1.6.1 and 3.1.7: save pc and MIE, disable interrupts, jump to mtvec (vectored
// interrupts to BASE + 4 * cause). A trap also clears the LR reservation (unprivileged 8.2 allows
// it; doing so makes an interrupted LR/SC sequence fail instead of succeeding stale).
void Rv32Core::enter_trap(uint32_t cause, uint32_t tval, bool interrupt) {
    mepc_ = pc_;
    mcause_ = interrupt ? (cause | 0x80000000u) : cause;
    mtval_ = tval;
    mstatus_ = (mstatus_ & kMstatusMie) ? (mstatus_ | kMstatusMpie) : (mstatus_ & ~kMstatusMpie);
    mstatus_ &= ~kMstatusMie;
    reservation_valid_ = false;
    const uint32_t base = mtvec_ & ~3u;
    pc_ = (interrupt && (mtvec_ & 1u)) ? base + 4 * cause : base;
    run_cycles_ += cfg_.cycles.system;
    update_irq();
    if (trap_hook_) trap_hook_(mcause_, mepc_, tval);
}

void Rv32Core::take_exception(uint32_t cause, uint32_t tval) {
    ++run_excepted_;
    ++stats_.exceptions_by_cause[cause & 15];
    enter_trap(cause, tval, false);
    note_exception(cause, tval);  // after enter_trap, which recomputes attention_
}

void Rv32Core::note_exception(uint32_t cause, uint32_t tval) {
    const uint64_t retired = stats_.instret + run_executed_ - run_excepted_;
    RepeatedTrap& t = repeated_trap_;
    if (t.repeats != 0 && cause == t.cause && mepc_ == t.epc && tval == t.tval &&
        retired == repeated_trap_retired_) {
        if (++t.repeats >= kStuckTrapRepeats) {
            stuck_pending_ = true;
            attention_ = true;
        }
        return;
    }
    t = RepeatedTrap{cause, mepc_, tval, 1};
    repeated_trap_retired_ = retired;
}

void Rv32Core::take_interrupt() {
    // Priority order of simultaneous machine interrupts (section 3.1.9): MEI, MSI, MTI.
    const uint32_t pending = mip_ & mie_;
    const uint32_t cause = (pending & kMeip) ? 11 : (pending & kMsip) ? 3 : 7;
    ++stats_.interrupts_taken;
    ++stats_.interrupts_by_cause[cause];
    enter_trap(cause, 0, true);
}

void Rv32Core::do_mret() {
    // Section 3.3.2: MIE = MPIE, MPIE = 1, privilege = MPP (always M here), pc = mepc.
    mstatus_ = (mstatus_ & kMstatusMpie) ? (mstatus_ | kMstatusMie) : (mstatus_ & ~kMstatusMie);
    mstatus_ |= kMstatusMpie;
    pc_ = mepc_;
    update_irq();
}

}  // namespace trainvp
