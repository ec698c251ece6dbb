// Configuration of the RV32 host CPU: clock, hart id, DMI use and cycles per instruction class.
// The scenario binds keys cpu.clock_hz, cpu.hart_id, cpu.dmi and cpu.cycles.<class> to these fields by name.
#pragma once

#include <cstdint>

#include "common/config_field.h"

namespace trainvp {

// Cycles charged per retired instruction of each class. The defaults follow a simple in-order
// five-stage pipeline with an iterative divider (numbers in the spirit of riscv-vp's timing
// model and the SiFive E31 manual's latency table): they are estimates, not measurements.
struct CpuTiming {
    unsigned alu = 1;
    unsigned mul = 3;
    unsigned div = 34;
    unsigned load = 2;
    unsigned store = 1;
    unsigned branch_taken = 3;
    unsigned branch_not_taken = 1;
    unsigned jump = 2;
    unsigned csr = 2;
    unsigned system = 4;  // trap entry, mret, ecall, ebreak, fence.i, wfi
    unsigned atomic = 4;
};

struct CpuConfig {
    // 10 GHz keeps the clock period (100 ps) far above SystemC's 1 ps time resolution. At least one cycle per
    // instruction: a zero cost would let an instruction take no simulated time, which breaks quantum
    // accounting; 1000 keeps per-instruction cost arithmetic far from overflow.
    static constexpr ValueRange<double> kClockHz{1e3, 10e9};
    static constexpr ValueRange<unsigned> kCycles{1, 1000};

    double clock_hz = 100e6;
    uint32_t hart_id = 0;
    bool dmi = true;
    CpuTiming cycles;

    // Throws FieldError (a std::invalid_argument) naming the offending field (e.g. "cpu.cycles.div").
    void validate() const;
};

}  // namespace trainvp
