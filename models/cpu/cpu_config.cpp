#include "cpu/cpu_config.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace trainvp {

namespace {
// An upper bound keeps per-instruction cost arithmetic far from overflow; a zero cost would let an
// instruction take no simulated time, which breaks quantum accounting (every instruction must advance).
constexpr unsigned kMaxCycles = 1u << 20;

void check_cycles(const char* field, unsigned value) {
    if (value == 0 || value > kMaxCycles)
        throw std::invalid_argument(std::string("cpu.cycles.") + field + " must be in [1, " +
                                    std::to_string(kMaxCycles) + "], got " + std::to_string(value));
}
}  // namespace

void CpuConfig::validate() const {
    // 1 THz keeps the clock period above SystemC's default 1 ps time resolution.
    if (!std::isfinite(clock_hz) || clock_hz <= 0.0 || clock_hz > 1e12)
        throw std::invalid_argument("cpu.clock_hz must be in (0, 1e12], got " + std::to_string(clock_hz));
    check_cycles("alu", cycles.alu);
    check_cycles("mul", cycles.mul);
    check_cycles("div", cycles.div);
    check_cycles("load", cycles.load);
    check_cycles("store", cycles.store);
    check_cycles("branch_taken", cycles.branch_taken);
    check_cycles("branch_not_taken", cycles.branch_not_taken);
    check_cycles("jump", cycles.jump);
    check_cycles("csr", cycles.csr);
    check_cycles("system", cycles.system);
    check_cycles("atomic", cycles.atomic);
}

}  // namespace trainvp
