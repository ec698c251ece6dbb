#include "accel/accel_registers.h"

#include "accel/accel_desc.h"
#include "common/state_io.h"

namespace trainvp::accel {

void save_registers(StateWriter& w, const RegisterState& r) {
    for (uint32_t v : {r.ctrl, r.err_code, r.err_addr, r.err_desc, r.irq_enable, r.irq_status, r.ring_base,
                       r.ring_size, r.head, r.tail, r.scratch})
        w.u32(v);
    w.boolean(r.error);
    for (const PerfCounters* c : {&r.live, &r.snapshot})
        for (uint64_t v : {c->cycles, c->compute, c->stall, c->macs, c->dma_rd, c->dma_wr, c->desc}) w.u64(v);
}

RegisterState restore_registers(StateReader& in) {
    RegisterState r;
    for (uint32_t* v : {&r.ctrl, &r.err_code, &r.err_addr, &r.err_desc, &r.irq_enable, &r.irq_status,
                        &r.ring_base, &r.ring_size, &r.head, &r.tail, &r.scratch})
        *v = in.u32();
    r.error = in.boolean();
    for (PerfCounters* c : {&r.live, &r.snapshot})
        for (uint64_t* v : {&c->cycles, &c->compute, &c->stall, &c->macs, &c->dma_rd, &c->dma_wr, &c->desc})
            *v = in.u64();
    // A ring whose pointers lie outside it would make the controller read descriptors from anywhere.
    if (r.ring_size ? r.head >= r.ring_size || r.tail >= r.ring_size : r.head || r.tail)
        in.fail("ring pointers head " + std::to_string(r.head) + ", tail " + std::to_string(r.tail) +
                " outside a ring of " + std::to_string(r.ring_size));
    return r;
}

uint32_t register_access(uint32_t offset, bool& known) {
    known = true;
    switch (offset) {
#define ACCEL_REG_ACCESS(name, off, access, reset, desc) \
    case off:                                            \
        return ACCEL_ACCESS_##access;
        ACCEL_REGS(ACCEL_REG_ACCESS)
#undef ACCEL_REG_ACCESS
        default:
            known = false;
            return ACCEL_ACCESS_RO;
    }
}

bool read_register(const RegisterState& r, const AcceleratorConfig& c, uint32_t offset, uint32_t& v) {
    auto lo = [](uint64_t x) { return static_cast<uint32_t>(x); };
    auto hi = [](uint64_t x) { return static_cast<uint32_t>(x >> 32); };
    switch (offset) {
        case ACCEL_REG_ID:
            v = ACCEL_ID_VALUE;
            break;
        case ACCEL_REG_VERSION:
            v = ACCEL_VERSION_VALUE;
            break;
        case ACCEL_REG_CAP_ARRAY:
            v = c.rows | c.cols << 16;
            break;
        case ACCEL_REG_CAP_DATAFLOW:
            v = (1u << ACCEL_DATAFLOW_OS | 1u << ACCEL_DATAFLOW_WS | 1u << ACCEL_DATAFLOW_IS) |
                static_cast<uint32_t>(c.dataflow) << 8;
            break;
        case ACCEL_REG_CAP_FORMATS:
            v = c.supported_formats;
            break;
        case ACCEL_REG_CAP_WBUF_BYTES:
            v = lo(c.weight_buffer.capacity_bytes);
            break;
        case ACCEL_REG_CAP_ABUF_BYTES:
            v = lo(c.activation_buffer.capacity_bytes);
            break;
        case ACCEL_REG_CAP_GBUF_BYTES:
            v = lo(c.gradient_buffer.capacity_bytes);
            break;
        case ACCEL_REG_CAP_MAX_DIM:
            v = c.max_dim;
            break;
        case ACCEL_REG_CAP_MAX_ACC_BITS:
            v = c.max_acc_bits;
            break;
        case ACCEL_REG_CAP_DESC_BYTES:
            v = ACCEL_DESC_BYTES;
            break;
        case ACCEL_REG_CAP_CLOCK_KHZ:
            v = static_cast<uint32_t>(c.clock_hz / 1e3);
            break;
        case ACCEL_REG_CTRL:
            v = r.ctrl;
            break;
        case ACCEL_REG_STATUS:
            v = (r.busy() ? ACCEL_STATUS_BUSY : ACCEL_STATUS_IDLE) | (r.error ? ACCEL_STATUS_ERROR : 0u);
            break;
        case ACCEL_REG_ERR_CODE:
            v = r.err_code;
            break;
        case ACCEL_REG_ERR_ADDR:
            v = r.err_addr;
            break;
        case ACCEL_REG_ERR_DESC:
            v = r.err_desc;
            break;
        case ACCEL_REG_IRQ_ENABLE:
            v = r.irq_enable;
            break;
        case ACCEL_REG_IRQ_STATUS:
            v = r.irq_status;
            break;
        case ACCEL_REG_RING_BASE:
            v = r.ring_base;
            break;
        case ACCEL_REG_RING_SIZE:
            v = r.ring_size;
            break;
        case ACCEL_REG_RING_HEAD:
            v = r.head;
            break;
        case ACCEL_REG_RING_TAIL:
            v = r.tail;
            break;
        case ACCEL_REG_DOORBELL:
        case ACCEL_REG_PERF_CTRL:
            v = 0;
            break;
        case ACCEL_REG_PERF_CYCLES_LO:
            v = lo(r.snapshot.cycles);
            break;
        case ACCEL_REG_PERF_CYCLES_HI:
            v = hi(r.snapshot.cycles);
            break;
        case ACCEL_REG_PERF_COMPUTE_LO:
            v = lo(r.snapshot.compute);
            break;
        case ACCEL_REG_PERF_COMPUTE_HI:
            v = hi(r.snapshot.compute);
            break;
        case ACCEL_REG_PERF_STALL_LO:
            v = lo(r.snapshot.stall);
            break;
        case ACCEL_REG_PERF_STALL_HI:
            v = hi(r.snapshot.stall);
            break;
        case ACCEL_REG_PERF_MACS_LO:
            v = lo(r.snapshot.macs);
            break;
        case ACCEL_REG_PERF_MACS_HI:
            v = hi(r.snapshot.macs);
            break;
        case ACCEL_REG_PERF_DMA_RD_LO:
            v = lo(r.snapshot.dma_rd);
            break;
        case ACCEL_REG_PERF_DMA_RD_HI:
            v = hi(r.snapshot.dma_rd);
            break;
        case ACCEL_REG_PERF_DMA_WR_LO:
            v = lo(r.snapshot.dma_wr);
            break;
        case ACCEL_REG_PERF_DMA_WR_HI:
            v = hi(r.snapshot.dma_wr);
            break;
        case ACCEL_REG_PERF_DESC_LO:
            v = lo(r.snapshot.desc);
            break;
        case ACCEL_REG_PERF_DESC_HI:
            v = hi(r.snapshot.desc);
            break;
        case ACCEL_REG_SCRATCH:
            v = r.scratch;
            break;
        default:
            return false;
    }
    return true;
}

}  // namespace trainvp::accel
