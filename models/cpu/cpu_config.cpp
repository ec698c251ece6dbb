#include "cpu/cpu_config.h"

#include <string>

namespace trainvp {

void CpuConfig::validate() const {
    check_range(clock_hz, "cpu.clock_hz", kClockHz);
    const struct {
        const unsigned& field;
        const char* name;
    } classes[] = {{cycles.alu, "alu"},
                   {cycles.mul, "mul"},
                   {cycles.div, "div"},
                   {cycles.load, "load"},
                   {cycles.store, "store"},
                   {cycles.branch_taken, "branch_taken"},
                   {cycles.branch_not_taken, "branch_not_taken"},
                   {cycles.jump, "jump"},
                   {cycles.csr, "csr"},
                   {cycles.system, "system"},
                   {cycles.atomic, "atomic"}};
    for (const auto& c : classes) check_range(c.field, std::string("cpu.cycles.") + c.name, kCycles);
}

}  // namespace trainvp
