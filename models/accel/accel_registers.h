// The architectural state behind the accelerator's registers (accel_regs.h) and how a read sees it. Plain
// data, SystemC-free: the Controller owns one and implements the side effects of writes.
#pragma once

#include <cstdint>

#include "accel/accel_config.h"
#include "accel/accel_regs.h"

namespace trainvp {
class StateWriter;
class StateReader;
}  // namespace trainvp

namespace trainvp::accel {

struct PerfCounters {
    uint64_t cycles = 0, compute = 0, stall = 0, macs = 0, dma_rd = 0, dma_wr = 0, desc = 0;
};

struct RegisterState {
    uint32_t ctrl = ACCEL_CTRL_ENABLE;
    uint32_t err_code = 0, err_addr = 0, err_desc = 0;
    uint32_t irq_enable = 0, irq_status = 0;
    uint32_t ring_base = 0, ring_size = 0, head = 0, tail = 0;
    uint32_t scratch = 0;
    bool error = false;      // STATUS.ERROR: the queue is stopped until reset
    bool executing = false;  // a descriptor is running
    PerfCounters live, snapshot;

    // STATUS.BUSY: a descriptor runs, or the queue is enabled and not empty.
    bool busy() const { return executing || (!error && (ctrl & ACCEL_CTRL_ENABLE) && head != tail); }
};

// Checkpoints: every field but `executing` (saved only between descriptors, when it is false).
void save_registers(StateWriter& w, const RegisterState& r);
RegisterState restore_registers(StateReader& r);

// The access kind of the register at `offset` (ACCEL_ACCESS_*); `known` false for a hole.
uint32_t register_access(uint32_t offset, bool& known);
// The value software reads at `offset` (no side effects); false for a hole.
bool read_register(const RegisterState& r, const AcceleratorConfig& c, uint32_t offset, uint32_t& value);

}  // namespace trainvp::accel
