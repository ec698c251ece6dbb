// RV32IMAC + Zicsr + Zifencei machine-mode instruction-set simulator core. SystemC-free: it knows
// instructions, registers, CSRs and traps, and reaches memory through CoreBus and a list of
// direct-memory (DMI) regions. A runner (CpuRunner for SystemC, a GDB stub, a test) drives run().
//
// Misaligned data accesses trap (load: cause 4, store/AMO: cause 6, mtval = address) rather than
// being emulated; the unprivileged spec (20191213) section 2.6 leaves that to the EEI. LR.W follows
// Spike and the Sail model and raises a load-address-misaligned exception; SC.W and AMOs raise
// store/AMO-address-misaligned. Instruction-address-misaligned exceptions cannot occur: with C
// every branch/jump target is 2-byte aligned (JALR clears bit 0).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <set>
#include <vector>

#include "cpu/cpu_config.h"
#include "cpu/rv32_decode.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "Rv32Core reads DMI memory as little-endian host memory"
#endif

namespace trainvp {

class StateWriter;
class StateReader;

enum class AmoOp : uint8_t { swap, add, xor_, and_, or_, min, max, minu, maxu };

// The value an AMO writes back, given the old memory value and rs2.
uint32_t amo_compute(AmoOp op, uint32_t old_value, uint32_t operand);

// Memory as the core sees it outside DMI regions. Implemented by the runner (or a test).
// Accesses are naturally aligned (the core traps misaligned ones first); false = access fault.
struct CoreBus {
    virtual ~CoreBus() = default;
    virtual bool load(uint32_t addr, unsigned size, uint32_t& value) = 0;
    virtual bool store(uint32_t addr, unsigned size, uint32_t value) = 0;
    // One 16-bit instruction parcel at a 2-byte aligned address. Defaults to a 2-byte load.
    virtual bool fetch(uint32_t addr, uint16_t& parcel);
    // Atomic read-modify-write: old_value = mem[addr]; mem[addr] = amo_compute(op, old, operand),
    // with no other initiator in between. The default (a load then a store) is atomic in a
    // loosely-timed model with one thread of control per initiator.
    virtual bool amo(uint32_t addr, AmoOp op, uint32_t operand, uint32_t& old_value);
};

// Host memory the core may access directly: [base, end] inclusive (TLM DMI convention).
struct DmiRegion {
    uint8_t* host = nullptr;
    uint32_t base = 0;
    uint32_t end = 0;
    bool readable = false;
    bool writable = false;
};

enum class StopReason {
    budget,          // the instruction or cycle budget of run() is used up
    wfi,             // WFI with no enabled interrupt pending; pc is past the WFI
    stop_requested,  // request_stop() (by the runner, a hook or a bus callback)
    breakpoint,      // pc hit a breakpoint; the instruction there has not executed
    watchpoint,      // an access hit a debugger watchpoint (last_watch_hit()); the instruction
                     // making it has not executed (pc is at it, memory is untouched)
    stuck,           // the same exception was taken Rv32Core::kStuckTrapRepeats times in a row with no
                     // instruction retired in between (repeated_trap() says which); pc is at the trap vector
};

// What a watch range reacts to (GDB's Z2 write, Z3 read and Z4 access watchpoints).
enum class WatchKind : uint8_t { write = 1, read = 2, access = 3 };

struct WatchHit {
    uint32_t addr = 0;                   // the accessed address, clipped to the watched range
    unsigned size = 0;                   // bytes accessed
    WatchKind watch = WatchKind::write;  // the kind of the watchpoint that triggered
    bool write = false;                  // the access was a store (an AMO reports its store)
};

// Called after a store that overlaps its range has completed: (address, size, value stored).
using StoreHook = std::function<void(uint32_t addr, unsigned size, uint32_t value)>;

struct RunResult {
    StopReason reason = StopReason::budget;
    uint64_t instructions = 0;  // instructions executed (including ones that trapped)
    uint64_t cycles = 0;        // cycles charged, including trap and interrupt entry
};

struct CoreStats {
    uint64_t instret = 0;  // retired instructions (not reset by minstret writes)
    uint64_t cycles = 0;   // charged cycles, asleep cycles included
    uint64_t cycles_asleep = 0;
    uint64_t wfi_sleeps = 0;
    uint64_t interrupts_taken = 0;
    std::array<uint64_t, 16> exceptions_by_cause{};
    std::array<uint64_t, 16> interrupts_by_cause{};
    // Executed instructions by class (the classes of cpu.cycles.*, insn_class_name), for the energy model.
    // An instruction that traps counts in its class (it was fetched and decoded).
    std::array<uint64_t, 11> insns_by_class{};
};

// Classes of CoreStats::insns_by_class: "alu", "mul", "div", "load", "store", "branch_taken",
// "branch_not_taken", "jump", "csr", "system", "atomic".
const char* insn_class_name(unsigned cls);

// The last exception and how often it was taken in a row with no instruction retired in between.
struct RepeatedTrap {
    uint32_t cause = 0;  // mcause (an exception: bit 31 clear)
    uint32_t epc = 0;
    uint32_t tval = 0;
    uint64_t repeats = 0;
};

// Names of mcause values (privileged spec table 3.6), "reserved" for the rest.
const char* exception_name(unsigned cause);
const char* interrupt_name(unsigned cause);

// Machine-level interrupt input lines; values are the mip bit numbers (privileged spec 3.1.9).
enum class IrqLine : unsigned { software = 3, timer = 7, external = 11 };

class Rv32Core {
  public:
    static constexpr unsigned kDecodeCacheEntries = 1u << 14;  // 32 KiB of 16-bit parcels
    static constexpr unsigned kMaxDmiRegions = 8;
    static constexpr unsigned kMaxWatchRanges = 16;  // debugger watchpoints and store hooks together
    // A CPU that takes the same exception (cause, pc, mtval) this often with no instruction retired in
    // between can never make progress (e.g. mtvec in unmapped memory: the fetch at the vector faults to the
    // vector), so run() returns StopReason::stuck. Interrupts neither count nor break the run; a handler that
    // fixes the cause and re-executes the instruction retires instructions and so starts the count again.
    static constexpr uint64_t kStuckTrapRepeats = 1000;

    // Validates cfg (std::invalid_argument naming the field).
    Rv32Core(CoreBus& bus, const CpuConfig& cfg);
    Rv32Core(const Rv32Core&) = delete;
    Rv32Core& operator=(const Rv32Core&) = delete;

    // Architectural reset: x1..x31 = 0, mstatus.MIE = 0, mcause = 0, pc = reset_pc.
    void reset(uint32_t reset_pc);

    // Executes until max_instructions are executed, max_cycles are charged (checked before each
    // instruction, so the last one may overshoot), WFI sleeps, a stop is requested or a
    // breakpoint is reached. Pending enabled interrupts are taken on entry and whenever a CSR
    // write, mret or an input line change may have enabled one.
    RunResult run(uint64_t max_instructions, uint64_t max_cycles = UINT64_MAX);
    RunResult step() { return run(1); }

    // --- architectural state ---
    uint32_t pc() const { return pc_; }
    void set_pc(uint32_t pc) { pc_ = pc & ~1u; }
    uint32_t reg(unsigned index) const { return index < 32 ? x_[index] : 0; }
    void set_reg(unsigned index, uint32_t value) {
        if (index != 0 && index < 32) x_[index] = value;
    }
    // Debugger-style CSR access without side effects on traps; false for an unimplemented CSR
    // (or, for writes, a read-only one).
    bool read_csr(unsigned csr, uint32_t& value) const;
    bool write_csr(unsigned csr, uint32_t value);
    uint64_t mcycle() const { return cycles_total_ + run_cycles_ + mcycle_offset_; }
    uint64_t minstret() const { return stats_.instret + run_executed_ - run_excepted_ + minstret_offset_; }

    // --- memory ---
    // Regions smaller than 4 bytes are ignored (they still work through CoreBus). Returns false
    // when the table is full. A region replaces earlier ones it overlaps.
    bool add_dmi_region(const DmiRegion& region);
    // Drops every region overlapping [start, end] and flushes the decode cache (the memory
    // behind those addresses may change without the core seeing stores).
    void invalidate_dmi(uint32_t start, uint32_t end);
    void clear_dmi_regions() { invalidate_dmi(0, UINT32_MAX); }
    unsigned dmi_region_count() const { return dmi_count_; }
    const DmiRegion& dmi_region(unsigned i) const { return dmi_[i]; }
    // Forget predecoded instructions (after code was changed behind the core's back).
    void invalidate_decode_cache();

    // --- interrupts ---
    void set_irq_line(IrqLine line, bool level);
    // An enabled interrupt is pending (mip & mie != 0): what ends a WFI, whatever mstatus.MIE.
    bool wfi_wakeup_pending() const { return (mip_ & mie_) != 0; }
    // Cycles spent asleep in WFI, charged by the runner: mcycle keeps counting (the core clock runs).
    void account_sleep_cycles(uint64_t cycles);

    // --- extension points (none is consulted on the fast path) ---
    // Returns true when it handled the instruction: execution continues after it. Otherwise the
    // core raises the breakpoint / environment-call exception. Semihosting and syscall
    // emulation plug in here.
    void set_ebreak_hook(std::function<bool(Rv32Core&)> hook) { ebreak_hook_ = std::move(hook); }
    void set_ecall_hook(std::function<bool(Rv32Core&)> hook) { ecall_hook_ = std::move(hook); }
    // Called before each instruction executes (pc, raw bits: 16 for a compressed parcel). Setting
    // it switches run() to the slow loop.
    void set_trace_hook(std::function<void(const Rv32Core&, uint32_t pc, uint32_t bits)> hook);
    // Called on every trap entry (interrupt: bit 31 of cause set), e.g. for logging.
    void set_trap_hook(std::function<void(uint32_t cause, uint32_t epc, uint32_t tval)> hook) {
        trap_hook_ = std::move(hook);
    }
    // Source of the `time` CSR (e.g. the CLINT's mtime). Default: mcycle.
    void set_time_source(std::function<uint64_t()> source) { time_source_ = std::move(source); }
    // The breakpoint at the pc run() starts from is not reported, so a debugger can resume.
    void add_breakpoint(uint32_t pc);
    void remove_breakpoint(uint32_t pc);
    void clear_breakpoints();
    // Watch ranges [addr, addr + len). Watched bytes are left out of the DMI fast path, so accesses to them
    // take the slow path, which checks the ranges behind one flag: with no range set, nothing is checked at
    // all. A debugger watchpoint makes run() return StopReason::watchpoint before the accessing instruction
    // (loads, stores, LR/SC, AMOs; not instruction fetches) executes, as RISC-V debug triggers with timing 0
    // do (debug spec 0.13, mcontrol.timing): GDB treats RISC-V watchpoints as non-steppable, steps over the
    // instruction itself with its watchpoints removed, then reports old and new values, so the user sees the
    // stop right after the write. add_* return false when len is 0 or the table (kMaxWatchRanges) is full.
    bool add_watchpoint(uint32_t addr, uint32_t len, WatchKind kind);
    bool remove_watchpoint(uint32_t addr, uint32_t len, WatchKind kind);
    void clear_watchpoints();  // the debugger's; store hooks stay
    const WatchHit& last_watch_hit() const { return watch_hit_; }
    // Calls hook after every completed store overlapping [addr, addr + len); run() goes on unless the hook
    // requests a stop. Host services (the tohost convention) use it.
    bool add_store_hook(uint32_t addr, uint32_t len, StoreHook hook);
    // Makes run() return StopReason::stop_requested at the next instruction boundary (at once
    // when called from a bus callback or hook). The request is consumed by that return.
    void request_stop();
    bool stop_requested() const { return stop_requested_; }

    // Cycles charged so far in the current run() call, the current instruction included; used by
    // the runner to time bus accesses made from inside run().
    uint64_t cycles_in_run() const { return run_cycles_; }
    const CoreStats& stats() const {
        update_insn_classes();
        return stats_;
    }
    const CpuConfig& config() const { return cfg_; }
    const RepeatedTrap& repeated_trap() const { return repeated_trap_; }

    // --- checkpoints (rv32_state.cpp) ---
    // The architectural state (x1..x31, pc, CSRs with the mcycle/minstret offsets, mip, the LR reservation),
    // the cycle count, CoreStats and the trap-loop detector's count. Only between run() calls
    // (std::logic_error otherwise). Restoring flushes the decode cache; DMI regions, hooks and breakpoints
    // belong to whoever drives the core.
    void save_state(StateWriter& w) const;
    void restore_state(StateReader& r);

  private:
    // One predecoded instruction; rd = 0 is redirected to a sink register so that x0 stays 0.
    struct CacheEntry {
        uint32_t tag_pc;
        int32_t imm;
        rv32::Op op;
        uint8_t rd, rs1, rs2;
        uint8_t length;
    };
    // DMI region prepared for a single-compare bounds check: the access [off, off + size) fits
    // iff off <= limit[log2(size)]; a negative limit never matches.
    struct FastRegion {
        uint8_t* host;
        uint32_t base;
        int64_t limit[3];
    };
    enum class LoopExit { budget, wfi, recheck, breakpoint };
    // A watched byte range [lo, hi]; hook < 0 for a debugger watchpoint, else an index into store_hooks_.
    struct WatchRange {
        uint32_t lo, hi;
        WatchKind kind;
        int hook;
    };
    static constexpr unsigned kMaxFastRegions = kMaxDmiRegions + kMaxWatchRanges + 1;
    static constexpr uint8_t kSink = 32;
    static constexpr uint32_t kInvalidTag = 1;  // pcs are always even, so an odd tag never matches
    static unsigned log2_size(unsigned size) { return size == 4 ? 2 : size == 2 ? 1 : 0; }

    template <bool kSlow>
    LoopExit loop(uint64_t max_instructions, uint64_t max_cycles);
    bool refill(uint32_t pc, CacheEntry& e, uint32_t& fault_addr);
    bool fetch_parcel(uint32_t addr, uint16_t& parcel);
    bool load_slow(uint32_t addr, unsigned size, uint32_t& value);
    bool store_slow(uint32_t addr, unsigned size, uint32_t value);
    bool amo_access(uint32_t addr, AmoOp op, uint32_t operand, uint32_t& old_value);
    // Slow-path accesses while a watch range is set: a debugger watchpoint cancels the access (returns
    // true with watch_hit_pending_ set); otherwise through the DMI table (watched bytes are missing only
    // from the fast regions) or the bus, then the store hooks run.
    bool load_watched(uint32_t addr, unsigned size, uint32_t& value);
    bool store_watched(uint32_t addr, unsigned size, uint32_t value);
    bool amo_watched(uint32_t addr, AmoOp op, uint32_t operand, uint32_t& old_value);
    uint8_t* dmi_host(uint32_t addr, unsigned size, bool write) const;
    bool debugger_watch_hit(uint32_t addr, unsigned size, bool write);
    void run_store_hooks(uint32_t addr, unsigned size, uint32_t value);
    void watches_changed();
    void code_store_check(uint32_t addr, unsigned size);
    void rebuild_fast_regions();

    // Traps and CSRs (rv32_csr.cpp).
    void take_exception(uint32_t cause, uint32_t tval);
    // Counts exceptions repeating with no progress; called after exception entry only, never on the fast
    // path.
    void note_exception(uint32_t cause, uint32_t tval);
    void take_interrupt();
    void enter_trap(uint32_t cause, uint32_t tval, bool interrupt);
    void do_mret();
    // Executes a Zicsr instruction; false = illegal instruction.
    bool exec_csr(rv32::Op op, unsigned csr, uint8_t rd, uint8_t rs1);
    bool csr_read(unsigned csr, uint32_t& value) const;
    // by_instruction: written by a CSR instruction, whose own retirement the minstret write replaces.
    bool csr_write(unsigned csr, uint32_t value, bool by_instruction);
    void update_irq();
    uint32_t raw_bits(uint32_t pc);

    CoreBus& bus_;
    CpuConfig cfg_;

    uint32_t x_[33] = {};  // x0..x31 and the rd = 0 sink
    uint32_t pc_ = 0;

    // CSR state (privileged spec chapter 3, machine mode only).
    uint32_t mstatus_ = 0;  // MIE, MPIE; MPP reads as 3
    uint32_t mie_ = 0, mip_ = 0;
    uint32_t mtvec_ = 0, mepc_ = 0, mcause_ = 0, mtval_ = 0, mscratch_ = 0;
    uint64_t mcycle_offset_ = 0, minstret_offset_ = 0;

    // LR/SC reservation (unprivileged spec chapter 8.2).
    bool reservation_valid_ = false;
    uint32_t reservation_addr_ = 0;

    // Interrupt state: irq_armed_ = mstatus.MIE && (mip & mie); attention_ makes the fast loop
    // leave at its next check (after CSR ops, mret and slow bus accesses).
    bool irq_armed_ = false;
    bool stop_requested_ = false;
    bool attention_ = false;
    bool stuck_pending_ = false;  // kStuckTrapRepeats reached; run() returns StopReason::stuck

    RepeatedTrap repeated_trap_;
    uint64_t repeated_trap_retired_ = 0;  // retired instructions when repeated_trap_ started

    std::array<uint64_t, static_cast<std::size_t>(rv32::Op::count)> op_cycles_{};
    uint64_t branch_taken_extra_ = 0;
    // Executed instructions per op and taken branches since reset or restore (one increment per instruction
    // in the loop); stats() sums them into stats_.insns_by_class on top of insn_class_base_ (the restored
    // counts), so nothing per class is done while running.
    std::array<uint64_t, static_cast<std::size_t>(rv32::Op::count)> op_executed_{};
    uint64_t branches_taken_ = 0;
    std::array<uint64_t, 11> insn_class_base_{};
    void update_insn_classes() const;

    std::vector<CacheEntry> icache_;
    uint32_t code_lo_ = UINT32_MAX, code_hi_ = 0;  // [lo, hi) spanned by cached instructions

    DmiRegion dmi_[kMaxDmiRegions];
    unsigned dmi_count_ = 0;
    FastRegion fast_read_[kMaxFastRegions];  // slot 0 is the most recently used
    FastRegion fast_write_[kMaxFastRegions];
    unsigned fast_read_count_ = 0, fast_write_count_ = 0;

    uint64_t cycles_total_ = 0;  // cycles charged before the current run() call
    uint64_t run_cycles_ = 0;    // charged in the current run() call
    uint64_t run_executed_ = 0;  // executed in the current run() call (valid during bus calls)
    uint64_t run_excepted_ = 0;  // of which raised an exception (not retired)
    bool first_in_run_ = false;

    std::function<bool(Rv32Core&)> ebreak_hook_, ecall_hook_;
    std::function<void(const Rv32Core&, uint32_t, uint32_t)> trace_hook_;
    std::function<void(uint32_t, uint32_t, uint32_t)> trap_hook_;
    std::function<uint64_t()> time_source_;
    std::set<uint32_t> breakpoints_;
    bool slow_mode_ = false;

    std::vector<WatchRange> watches_;
    std::vector<StoreHook> store_hooks_;
    bool watch_active_ = false;       // watches_ is not empty: the slow paths check it
    bool watch_hit_pending_ = false;  // a debugger watchpoint was hit; run() returns at the boundary
    WatchHit watch_hit_;

    mutable CoreStats stats_;  // insns_by_class is brought up to date by stats()
};

}  // namespace trainvp
