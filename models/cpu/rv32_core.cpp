// Execution loop of Rv32Core. Decode cache and memory paths: rv32_memory.cpp; CSRs and traps:
// rv32_csr.cpp.
#include "cpu/rv32_core.h"

#include <algorithm>
#include <cstring>

namespace trainvp {

using rv32::Op;

namespace {
// Exception causes, privileged spec (20211203) table 3.6.
constexpr uint32_t kCauseFetchFault = 1, kCauseIllegal = 2, kCauseBreakpoint = 3, kCauseLoadMisaligned = 4,
                   kCauseLoadFault = 5, kCauseStoreMisaligned = 6, kCauseStoreFault = 7, kCauseEcallM = 11;

AmoOp amo_of(Op op) {
    switch (op) {
        case Op::amoadd_w:
            return AmoOp::add;
        case Op::amoxor_w:
            return AmoOp::xor_;
        case Op::amoand_w:
            return AmoOp::and_;
        case Op::amoor_w:
            return AmoOp::or_;
        case Op::amomin_w:
            return AmoOp::min;
        case Op::amomax_w:
            return AmoOp::max;
        case Op::amominu_w:
            return AmoOp::minu;
        case Op::amomaxu_w:
            return AmoOp::maxu;
        default:
            return AmoOp::swap;
    }
}

constexpr const char* kInsnClassNames[] = {
    "alu",  "mul", "div",    "load",  "store", "branch_taken", "branch_not_taken",
    "jump", "csr", "system", "atomic"};
enum : unsigned { kBranchTaken = 5, kBranchNotTaken = 6 };

// The index in CoreStats::insns_by_class of an instruction class (a branch counts as not taken until it is).
unsigned class_index(rv32::InsnClass c) {
    switch (c) {
        case rv32::InsnClass::alu:
            return 0;
        case rv32::InsnClass::mul:
            return 1;
        case rv32::InsnClass::div:
            return 2;
        case rv32::InsnClass::load:
            return 3;
        case rv32::InsnClass::store:
            return 4;
        case rv32::InsnClass::branch:
            return kBranchNotTaken;
        case rv32::InsnClass::jump:
            return 7;
        case rv32::InsnClass::csr:
            return 8;
        case rv32::InsnClass::system:
            return 9;
        case rv32::InsnClass::atomic:
            return 10;
    }
    return 0;
}
}  // namespace

Rv32Core::Rv32Core(CoreBus& bus, const CpuConfig& cfg) : bus_(bus), cfg_(cfg) {
    cfg_.validate();
    const CpuTiming& t = cfg_.cycles;
    // Cycles by class index (taken branches get branch_taken_extra_ on top of branch_not_taken).
    const unsigned class_cycles[] = {
        t.alu,  t.mul, t.div,    t.load,  t.store, t.branch_taken, t.branch_not_taken,
        t.jump, t.csr, t.system, t.atomic};
    for (std::size_t i = 1; i < op_cycles_.size(); ++i)
        op_cycles_[i] = class_cycles[class_index(rv32::insn_desc(static_cast<Op>(i))->cls)];
    // Modular arithmetic: correct even if a configuration makes taken branches cheaper.
    branch_taken_extra_ = uint64_t{cfg_.cycles.branch_taken} - uint64_t{cfg_.cycles.branch_not_taken};
    icache_.resize(kDecodeCacheEntries);
    invalidate_decode_cache();
    rebuild_fast_regions();
    reset(0);
}

void Rv32Core::reset(uint32_t reset_pc) {
    std::fill(std::begin(x_), std::end(x_), 0u);
    pc_ = reset_pc & ~1u;
    mstatus_ = 0;
    mie_ = 0;
    mcause_ = 0;
    reservation_valid_ = false;
    repeated_trap_ = RepeatedTrap{};
    stuck_pending_ = false;
    update_irq();
}

// ---------------------------------------------------------------------------------------------
// Run loop

RunResult Rv32Core::run(uint64_t max_instructions, uint64_t max_cycles) {
    run_cycles_ = run_executed_ = run_excepted_ = 0;
    first_in_run_ = true;
    StopReason reason = StopReason::budget;
    for (;;) {
        if (watch_hit_pending_) {
            watch_hit_pending_ = false;
            attention_ = irq_armed_ || stop_requested_;
            reason = StopReason::watchpoint;
            break;
        }
        if (stop_requested_) {
            stop_requested_ = false;
            reason = StopReason::stop_requested;
            break;
        }
        if (stuck_pending_) {
            stuck_pending_ = false;
            attention_ = irq_armed_;
            reason = StopReason::stuck;
            break;
        }
        if (irq_armed_) take_interrupt();
        attention_ = irq_armed_ || stop_requested_;
        if (run_executed_ >= max_instructions || run_cycles_ >= max_cycles) break;
        const LoopExit e =
            slow_mode_ ? loop<true>(max_instructions, max_cycles) : loop<false>(max_instructions, max_cycles);
        if (e == LoopExit::recheck) continue;
        if (e == LoopExit::wfi) {
            reason = StopReason::wfi;
            ++stats_.wfi_sleeps;
        } else if (e == LoopExit::breakpoint) {
            reason = StopReason::breakpoint;
        }
        break;
    }
    RunResult result{reason, run_executed_, run_cycles_};
    stats_.instret += run_executed_ - run_excepted_;
    stats_.cycles += run_cycles_;
    cycles_total_ += run_cycles_;
    run_cycles_ = run_executed_ = run_excepted_ = 0;
    return result;
}

const char* insn_class_name(unsigned cls) {
    return cls < std::size(kInsnClassNames) ? kInsnClassNames[cls] : "unknown";
}

void Rv32Core::update_insn_classes() const {
    std::array<uint64_t, 11> c = insn_class_base_;
    for (std::size_t i = 1; i < op_executed_.size(); ++i)
        if (op_executed_[i]) c[class_index(rv32::insn_desc(static_cast<Op>(i))->cls)] += op_executed_[i];
    c[kBranchNotTaken] -= branches_taken_;
    c[kBranchTaken] += branches_taken_;
    stats_.insns_by_class = c;
}

// The hot loop. Locals n/cyc/pc mirror run_executed_/run_cycles_/pc_ and are written back
// (sync) before anything out of line may look at them. Exits that may have changed interrupt
// or stop state leave with `recheck` so run() can act on them; nothing here polls interrupts.
template <bool kSlow>
Rv32Core::LoopExit Rv32Core::loop(uint64_t max_instructions, uint64_t max_cycles) {
    uint32_t* const x = x_;
    CacheEntry* const cache = icache_.data();
    uint64_t* const executed = op_executed_.data();
    uint64_t n = run_executed_, cyc = run_cycles_;
    const uint64_t n_start = n;
    uint32_t pc = pc_;
    uint32_t cause = 0, tval = 0;
    LoopExit exit = LoopExit::budget;
    auto sync = [&] {
        pc_ = pc;
        run_executed_ = n;
        run_cycles_ = cyc;
    };

    while (n < max_instructions && cyc < max_cycles) {
        CacheEntry& slot = cache[(pc >> 1) & (kDecodeCacheEntries - 1)];
        if (slot.tag_pc != pc) {
            sync();
            uint32_t fault_addr = 0;
            if (!refill(pc, slot, fault_addr)) {
                cause = kCauseFetchFault;
                tval = fault_addr;
                goto trap;
            }
        }
        if constexpr (kSlow) {
            if (!first_in_run_ && !breakpoints_.empty() && breakpoints_.count(pc) != 0) {
                exit = LoopExit::breakpoint;
                break;
            }
            if (trace_hook_) {
                sync();
                trace_hook_(*this, pc, raw_bits(pc));
            }
        }
        if constexpr (kSlow) first_in_run_ = false;
        {
            const CacheEntry d = slot;
            cyc += op_cycles_[static_cast<std::size_t>(d.op)];
            ++executed[static_cast<std::size_t>(d.op)];
            uint32_t next = pc + d.length;
            const uint32_t a = x[d.rs1], b = x[d.rs2];
            switch (d.op) {
                case Op::lui:
                    x[d.rd] = static_cast<uint32_t>(d.imm);
                    break;
                case Op::auipc:
                    x[d.rd] = pc + static_cast<uint32_t>(d.imm);
                    break;
                case Op::jal:
                    x[d.rd] = next;
                    next = pc + static_cast<uint32_t>(d.imm);
                    break;
                case Op::jalr:
                    x[d.rd] = next;
                    next = (a + static_cast<uint32_t>(d.imm)) & ~1u;
                    break;
#define TRAINVP_BRANCH(op_, cond)                     \
    case Op::op_:                                     \
        if (cond) {                                   \
            next = pc + static_cast<uint32_t>(d.imm); \
            cyc += branch_taken_extra_;               \
            ++branches_taken_;                        \
        }                                             \
        break;
                    TRAINVP_BRANCH(beq, a == b)
                    TRAINVP_BRANCH(bne, a != b)
                    TRAINVP_BRANCH(blt, static_cast<int32_t>(a) < static_cast<int32_t>(b))
                    TRAINVP_BRANCH(bge, static_cast<int32_t>(a) >= static_cast<int32_t>(b))
                    TRAINVP_BRANCH(bltu, a < b)
                    TRAINVP_BRANCH(bgeu, a >= b)
#undef TRAINVP_BRANCH

// Loads: alignment check, then DMI slot 0 inline, then the slow path (other regions, bus). A debugger
// watchpoint hit on the slow path leaves the instruction unexecuted (pc, rd and cycles unchanged).
#define TRAINVP_LOAD(op_, size, type)                                \
    case Op::op_: {                                                  \
        const uint32_t addr = a + static_cast<uint32_t>(d.imm);      \
        if (addr & (size - 1)) {                                     \
            cause = kCauseLoadMisaligned;                            \
            tval = addr;                                             \
            goto trap;                                               \
        }                                                            \
        const FastRegion& r = fast_read_[0];                         \
        const uint32_t off = addr - r.base;                          \
        type v;                                                      \
        if (static_cast<int64_t>(off) <= r.limit[log2_size(size)]) { \
            std::memcpy(&v, r.host + off, size);                     \
            x[d.rd] = static_cast<uint32_t>(v);                      \
            break;                                                   \
        }                                                            \
        sync();                                                      \
        uint32_t raw = 0;                                            \
        if (!load_slow(addr, size, raw)) {                           \
            cause = kCauseLoadFault;                                 \
            tval = addr;                                             \
            goto trap;                                               \
        }                                                            \
        if (attention_ && watch_hit_pending_) {                      \
            cyc -= op_cycles_[static_cast<std::size_t>(d.op)];       \
            --executed[static_cast<std::size_t>(d.op)];              \
            exit = LoopExit::recheck;                                \
            goto out;                                                \
        }                                                            \
        v = static_cast<type>(raw);                                  \
        x[d.rd] = static_cast<uint32_t>(v);                          \
        if (attention_) {                                            \
            pc = next;                                               \
            ++n;                                                     \
            exit = LoopExit::recheck;                                \
            goto out;                                                \
        }                                                            \
        break;                                                       \
    }
                    TRAINVP_LOAD(lb, 1, int8_t)
                    TRAINVP_LOAD(lh, 2, int16_t)
                    TRAINVP_LOAD(lw, 4, int32_t)
                    TRAINVP_LOAD(lbu, 1, uint8_t)
                    TRAINVP_LOAD(lhu, 2, uint16_t)
#undef TRAINVP_LOAD

#define TRAINVP_STORE(op_, size)                                                                \
    case Op::op_: {                                                                             \
        const uint32_t addr = a + static_cast<uint32_t>(d.imm);                                 \
        if (addr & (size - 1)) {                                                                \
            cause = kCauseStoreMisaligned;                                                      \
            tval = addr;                                                                        \
            goto trap;                                                                          \
        }                                                                                       \
        const FastRegion& r = fast_write_[0];                                                   \
        const uint32_t off = addr - r.base;                                                     \
        if (static_cast<int64_t>(off) <= r.limit[log2_size(size)]) {                            \
            std::memcpy(r.host + off, &b, size);                                                \
            if (addr < code_hi_ && addr + (size - 1) >= code_lo_) code_store_check(addr, size); \
            break;                                                                              \
        }                                                                                       \
        sync();                                                                                 \
        if (!store_slow(addr, size, b)) {                                                       \
            cause = kCauseStoreFault;                                                           \
            tval = addr;                                                                        \
            goto trap;                                                                          \
        }                                                                                       \
        if (attention_) {                                                                       \
            if (watch_hit_pending_) {                                                           \
                cyc -= op_cycles_[static_cast<std::size_t>(d.op)];                              \
                --executed[static_cast<std::size_t>(d.op)];                                     \
            } else {                                                                            \
                pc = next;                                                                      \
                ++n;                                                                            \
            }                                                                                   \
            exit = LoopExit::recheck;                                                           \
            goto out;                                                                           \
        }                                                                                       \
        break;                                                                                  \
    }
                    TRAINVP_STORE(sb, 1)
                    TRAINVP_STORE(sh, 2)
                    TRAINVP_STORE(sw, 4)
#undef TRAINVP_STORE

                case Op::addi:
                    x[d.rd] = a + static_cast<uint32_t>(d.imm);
                    break;
                case Op::slti:
                    x[d.rd] = static_cast<int32_t>(a) < d.imm;
                    break;
                case Op::sltiu:
                    x[d.rd] = a < static_cast<uint32_t>(d.imm);
                    break;
                case Op::xori:
                    x[d.rd] = a ^ static_cast<uint32_t>(d.imm);
                    break;
                case Op::ori:
                    x[d.rd] = a | static_cast<uint32_t>(d.imm);
                    break;
                case Op::andi:
                    x[d.rd] = a & static_cast<uint32_t>(d.imm);
                    break;
                case Op::slli:
                    x[d.rd] = a << d.imm;
                    break;
                case Op::srli:
                    x[d.rd] = a >> d.imm;
                    break;
                case Op::srai:
                    x[d.rd] = static_cast<uint32_t>(static_cast<int32_t>(a) >> d.imm);
                    break;
                case Op::add:
                    x[d.rd] = a + b;
                    break;
                case Op::sub:
                    x[d.rd] = a - b;
                    break;
                case Op::sll:
                    x[d.rd] = a << (b & 31);
                    break;
                case Op::slt:
                    x[d.rd] = static_cast<int32_t>(a) < static_cast<int32_t>(b);
                    break;
                case Op::sltu:
                    x[d.rd] = a < b;
                    break;
                case Op::xor_:
                    x[d.rd] = a ^ b;
                    break;
                case Op::srl:
                    x[d.rd] = a >> (b & 31);
                    break;
                case Op::sra:
                    x[d.rd] = static_cast<uint32_t>(static_cast<int32_t>(a) >> (b & 31));
                    break;
                case Op::or_:
                    x[d.rd] = a | b;
                    break;
                case Op::and_:
                    x[d.rd] = a & b;
                    break;

                // Unprivileged spec chapter 7 (M): division by zero and overflow do not trap.
                case Op::mul:
                    x[d.rd] = a * b;
                    break;
                case Op::mulh:
                    x[d.rd] = static_cast<uint32_t>(
                        (int64_t{static_cast<int32_t>(a)} * int64_t{static_cast<int32_t>(b)}) >> 32);
                    break;
                case Op::mulhsu:
                    x[d.rd] = static_cast<uint32_t>((int64_t{static_cast<int32_t>(a)} * int64_t{b}) >> 32);
                    break;
                case Op::mulhu:
                    x[d.rd] = static_cast<uint32_t>((uint64_t{a} * uint64_t{b}) >> 32);
                    break;
                case Op::div:
                    if (b == 0)
                        x[d.rd] = UINT32_MAX;
                    else if (a == 0x80000000u && b == UINT32_MAX)
                        x[d.rd] = a;
                    else
                        x[d.rd] = static_cast<uint32_t>(static_cast<int32_t>(a) / static_cast<int32_t>(b));
                    break;
                case Op::divu:
                    x[d.rd] = b == 0 ? UINT32_MAX : a / b;
                    break;
                case Op::rem:
                    if (b == 0)
                        x[d.rd] = a;
                    else if (a == 0x80000000u && b == UINT32_MAX)
                        x[d.rd] = 0;
                    else
                        x[d.rd] = static_cast<uint32_t>(static_cast<int32_t>(a) % static_cast<int32_t>(b));
                    break;
                case Op::remu:
                    x[d.rd] = b == 0 ? a : a % b;
                    break;

                case Op::fence:
                    break;  // one hart, in-order memory: nothing to order
                case Op::fence_i:
                    invalidate_decode_cache();
                    break;

                case Op::ecall:
                case Op::ebreak: {
                    auto& hook = d.op == Op::ecall ? ecall_hook_ : ebreak_hook_;
                    sync();
                    if (hook && hook(*this)) {
                        // The hook may have changed registers, pc-relative state or requested a stop.
                        pc = next;
                        ++n;
                        exit = LoopExit::recheck;
                        goto out;
                    }
                    cause = d.op == Op::ecall ? kCauseEcallM : kCauseBreakpoint;
                    tval = d.op == Op::ecall ? 0 : pc;
                    goto trap;
                }
                case Op::mret:
                    sync();
                    do_mret();
                    next = pc_;
                    if (attention_) {
                        pc = next;
                        ++n;
                        exit = LoopExit::recheck;
                        goto out;
                    }
                    break;
                case Op::wfi:
                    // Privileged spec 3.3.3: WFI completes when an enabled interrupt is pending,
                    // whether or not mstatus.MIE allows taking it.
                    if ((mip_ & mie_) == 0) {
                        pc = next;
                        ++n;
                        exit = LoopExit::wfi;
                        goto out;
                    }
                    break;
                case Op::csrrw:
                case Op::csrrs:
                case Op::csrrc:
                case Op::csrrwi:
                case Op::csrrsi:
                case Op::csrrci:
                    sync();
                    if (!exec_csr(d.op, static_cast<unsigned>(d.imm), d.rd, d.rs1)) {
                        cause = kCauseIllegal;
                        tval = raw_bits(pc);
                        goto trap;
                    }
                    if (attention_) {
                        pc = next;
                        ++n;
                        exit = LoopExit::recheck;
                        goto out;
                    }
                    break;

                case Op::lr_w:
                    if (a & 3) {
                        cause = kCauseLoadMisaligned;
                        tval = a;
                        goto trap;
                    } else {
                        sync();
                        uint32_t v = 0;
                        if (!load_slow(a, 4, v)) {
                            cause = kCauseLoadFault;
                            tval = a;
                            goto trap;
                        }
                        if (watch_hit_pending_) {  // a watchpoint: not executed
                            cyc -= op_cycles_[static_cast<std::size_t>(d.op)];
                            --executed[static_cast<std::size_t>(d.op)];
                            exit = LoopExit::recheck;
                            goto out;
                        }
                        x[d.rd] = v;
                        reservation_valid_ = true;
                        reservation_addr_ = a;
                    }
                    if (attention_) {  // a hook, watchpoint or device wants attention
                        pc = next;
                        ++n;
                        exit = LoopExit::recheck;
                        goto out;
                    }
                    break;
                case Op::sc_w:
                    if (a & 3) {
                        cause = kCauseStoreMisaligned;
                        tval = a;
                        goto trap;
                    }
                    if (reservation_valid_ && reservation_addr_ == a) {
                        sync();
                        if (!store_slow(a, 4, b)) {
                            reservation_valid_ = false;
                            cause = kCauseStoreFault;
                            tval = a;
                            goto trap;
                        }
                        if (watch_hit_pending_) {  // a watchpoint: not executed
                            cyc -= op_cycles_[static_cast<std::size_t>(d.op)];
                            --executed[static_cast<std::size_t>(d.op)];
                            exit = LoopExit::recheck;
                            goto out;
                        }
                        reservation_valid_ = false;
                        x[d.rd] = 0;
                    } else {
                        reservation_valid_ = false;
                        x[d.rd] = 1;
                    }
                    if (attention_) {  // a hook, watchpoint or device wants attention
                        pc = next;
                        ++n;
                        exit = LoopExit::recheck;
                        goto out;
                    }
                    break;
                case Op::amoswap_w:
                case Op::amoadd_w:
                case Op::amoxor_w:
                case Op::amoand_w:
                case Op::amoor_w:
                case Op::amomin_w:
                case Op::amomax_w:
                case Op::amominu_w:
                case Op::amomaxu_w: {
                    if (a & 3) {
                        cause = kCauseStoreMisaligned;
                        tval = a;
                        goto trap;
                    }
                    sync();
                    uint32_t old = 0;
                    if (!amo_access(a, amo_of(d.op), b, old)) {
                        cause = kCauseStoreFault;
                        tval = a;
                        goto trap;
                    }
                    if (watch_hit_pending_) {  // a watchpoint: not executed
                        cyc -= op_cycles_[static_cast<std::size_t>(d.op)];
                        --executed[static_cast<std::size_t>(d.op)];
                        exit = LoopExit::recheck;
                        goto out;
                    }
                    x[d.rd] = old;
                    if (attention_) {  // a hook, watchpoint or device wants attention
                        pc = next;
                        ++n;
                        exit = LoopExit::recheck;
                        goto out;
                    }
                    break;
                }

                case Op::illegal:
                case Op::count:
                    cause = kCauseIllegal;
                    tval = static_cast<uint32_t>(d.imm);
                    goto trap;
            }
            pc = next;
            ++n;
        }
        continue;

    trap:
        ++n;
        sync();
        take_exception(cause, tval);
        pc = pc_;
        cyc = run_cycles_;
        if (attention_) {
            exit = LoopExit::recheck;
            goto out;
        }
    }
out:
    sync();
    if (n != n_start) first_in_run_ = false;
    return exit;
}

template Rv32Core::LoopExit Rv32Core::loop<true>(uint64_t, uint64_t);
template Rv32Core::LoopExit Rv32Core::loop<false>(uint64_t, uint64_t);

}  // namespace trainvp
