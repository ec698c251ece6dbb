#include "accel/accelerator.h"

#include "periph/reg_access.h"

namespace trainvp {

using accel::BufferId;

namespace {

constexpr bool kIsConfigRegister(uint32_t offset) {
    return offset == ACCEL_REG_RING_BASE || offset == ACCEL_REG_RING_SIZE;
}

uint32_t access_of(uint32_t offset, bool& known) {
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

}  // namespace

Accelerator::Accelerator(sc_core::sc_module_name name, const AcceleratorConfig& config)
    : sc_module(name),
      regs_in("regs_in"),
      dma_out("dma_out"),
      irq("irq"),
      config_((config.validate(), config)),
      log_(this->name()),
      dma_(dma_out, config.dma),
      timer_(config_),
      clock_period_(sc_core::sc_time(1.0 / config.clock_hz, sc_core::SC_SEC)),
      stats_(config.stats_history) {
    buffers_[0] = std::make_unique<SramBuffer>("weight", config_.weight_buffer);
    buffers_[1] = std::make_unique<SramBuffer>("activation", config_.activation_buffer);
    buffers_[2] = std::make_unique<SramBuffer>("gradient", config_.gradient_buffer);
    regs_in.register_b_transport(this, &Accelerator::b_transport);
    regs_in.register_transport_dbg(this, &Accelerator::transport_dbg);
    reset_state();
    SC_THREAD(run_queue);
    SC_METHOD(drive_irq);
    sensitive << irq_changed_;
    dont_initialize();
}

Accelerator::~Accelerator() = default;

void Accelerator::reset_state() {
    ctrl_ = ACCEL_CTRL_ENABLE;
    err_code_ = err_addr_ = err_desc_ = 0;
    irq_enable_ = irq_status_ = 0;
    ring_base_ = ring_size_ = head_ = tail_ = scratch_ = 0;
    error_ = false;
    executing_ = false;
    ++generation_;
    live_ = snapshot_ = Counters{};
    for (auto& b : buffers_) b->reset();
}

bool Accelerator::busy() const {
    return executing_ || (!error_ && (ctrl_ & ACCEL_CTRL_ENABLE) && head_ != tail_);
}

void Accelerator::update_irq() {
    irq_changed_.notify(sc_core::SC_ZERO_TIME);
}

void Accelerator::drive_irq() {
    irq.write((irq_status_ & irq_enable_) != 0);
}

bool Accelerator::read_register(uint32_t offset, uint32_t& v) const {
    const AcceleratorConfig& c = config_;
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
            v = ctrl_;
            break;
        case ACCEL_REG_STATUS:
            v = (busy() ? ACCEL_STATUS_BUSY : ACCEL_STATUS_IDLE) | (error_ ? ACCEL_STATUS_ERROR : 0u);
            break;
        case ACCEL_REG_ERR_CODE:
            v = err_code_;
            break;
        case ACCEL_REG_ERR_ADDR:
            v = err_addr_;
            break;
        case ACCEL_REG_ERR_DESC:
            v = err_desc_;
            break;
        case ACCEL_REG_IRQ_ENABLE:
            v = irq_enable_;
            break;
        case ACCEL_REG_IRQ_STATUS:
            v = irq_status_;
            break;
        case ACCEL_REG_RING_BASE:
            v = ring_base_;
            break;
        case ACCEL_REG_RING_SIZE:
            v = ring_size_;
            break;
        case ACCEL_REG_RING_HEAD:
            v = head_;
            break;
        case ACCEL_REG_RING_TAIL:
            v = tail_;
            break;
        case ACCEL_REG_DOORBELL:
        case ACCEL_REG_PERF_CTRL:
            v = 0;
            break;
        case ACCEL_REG_PERF_CYCLES_LO:
            v = lo(snapshot_.cycles);
            break;
        case ACCEL_REG_PERF_CYCLES_HI:
            v = hi(snapshot_.cycles);
            break;
        case ACCEL_REG_PERF_COMPUTE_LO:
            v = lo(snapshot_.compute);
            break;
        case ACCEL_REG_PERF_COMPUTE_HI:
            v = hi(snapshot_.compute);
            break;
        case ACCEL_REG_PERF_STALL_LO:
            v = lo(snapshot_.stall);
            break;
        case ACCEL_REG_PERF_STALL_HI:
            v = hi(snapshot_.stall);
            break;
        case ACCEL_REG_PERF_MACS_LO:
            v = lo(snapshot_.macs);
            break;
        case ACCEL_REG_PERF_MACS_HI:
            v = hi(snapshot_.macs);
            break;
        case ACCEL_REG_PERF_DMA_RD_LO:
            v = lo(snapshot_.dma_rd);
            break;
        case ACCEL_REG_PERF_DMA_RD_HI:
            v = hi(snapshot_.dma_rd);
            break;
        case ACCEL_REG_PERF_DMA_WR_LO:
            v = lo(snapshot_.dma_wr);
            break;
        case ACCEL_REG_PERF_DMA_WR_HI:
            v = hi(snapshot_.dma_wr);
            break;
        case ACCEL_REG_PERF_DESC_LO:
            v = lo(snapshot_.desc);
            break;
        case ACCEL_REG_PERF_DESC_HI:
            v = hi(snapshot_.desc);
            break;
        case ACCEL_REG_SCRATCH:
            v = scratch_;
            break;
        default:
            return false;
    }
    return true;
}

bool Accelerator::peek_register(uint32_t offset, uint32_t& value) const {
    return offset % 4 == 0 && read_register(offset, value);
}

void Accelerator::raise_error(uint32_t code, uint64_t address, const std::string& why) {
    log_.warning("error ", accel::error_name(code), " (", code, ") at ", hex32(address), ": ", why);
    if (!error_) {  // ERR_CODE/ERR_ADDR keep the first error until reset
        err_code_ = code;
        err_addr_ = static_cast<uint32_t>(address);
        err_desc_ = head_;
    }
    error_ = true;
    irq_status_ |= ACCEL_IRQ_ERROR;
    update_irq();
}

void Accelerator::publish_tail(uint32_t new_tail, const sc_core::sc_time& delay) {
    if (ring_size_ == 0)
        return raise_error(ACCEL_ERR_RING_UNCONFIGURED, 0, "descriptors published with RING_SIZE 0");
    if (new_tail >= ring_size_)
        return raise_error(ACCEL_ERR_TAIL_INVALID, new_tail,
                           "RING_TAIL " + std::to_string(new_tail) + " >= RING_SIZE");
    const uint32_t old_pending = (tail_ + ring_size_ - head_) % ring_size_;
    const uint32_t new_pending = (new_tail + ring_size_ - head_) % ring_size_;
    if (new_pending < old_pending)
        return raise_error(ACCEL_ERR_QUEUE_FULL, 0, "tail passed the head (ring full)");
    tail_ = new_tail;
    kick_.notify(delay);
}

void Accelerator::write_register(uint32_t offset, uint32_t value, const sc_core::sc_time& delay) {
    bool known = false;
    const uint32_t access = access_of(offset, known);
    if (access == ACCEL_ACCESS_RO || access == ACCEL_ACCESS_CFG) {
        log_.warning("write of ", hex32(value), " to read-only register at offset ", hex32(offset),
                     " ignored");
        return;
    }
    if (kIsConfigRegister(offset) && busy())
        return raise_error(ACCEL_ERR_CONFIG_BUSY, offset, "configuration register written while busy");
    switch (offset) {
        case ACCEL_REG_CTRL:
            if (value & ACCEL_CTRL_SOFT_RESET) {
                log_.info("soft reset");
                reset_state();
                update_irq();
                return;
            }
            if (!(value & ACCEL_CTRL_ENABLE) && busy())
                return raise_error(ACCEL_ERR_CONFIG_BUSY, offset, "CTRL.ENABLE cleared while busy");
            ctrl_ = value & ACCEL_CTRL_ENABLE;
            kick_.notify(delay);
            break;
        case ACCEL_REG_IRQ_ENABLE:
            irq_enable_ = value & (ACCEL_IRQ_DONE | ACCEL_IRQ_ERROR);
            update_irq();
            break;
        case ACCEL_REG_IRQ_STATUS:
            irq_status_ &= ~value;
            update_irq();
            break;
        case ACCEL_REG_RING_BASE:
            ring_base_ = value;
            break;
        case ACCEL_REG_RING_SIZE:
            ring_size_ = value;
            head_ = tail_ = 0;
            break;
        case ACCEL_REG_RING_TAIL:
            publish_tail(value, delay);
            break;
        case ACCEL_REG_DOORBELL:
            if (ring_size_ == 0)
                return raise_error(ACCEL_ERR_RING_UNCONFIGURED, 0, "doorbell with RING_SIZE 0");
            if (value >= ring_size_)
                return raise_error(ACCEL_ERR_QUEUE_FULL, 0, "doorbell for more entries than the ring holds");
            publish_tail(static_cast<uint32_t>((uint64_t{tail_} + value) % ring_size_), delay);
            break;
        case ACCEL_REG_PERF_CTRL:
            if (value & ACCEL_PERF_SNAPSHOT) snapshot_ = live_;
            if (value & ACCEL_PERF_CLEAR) live_ = Counters{};
            break;
        case ACCEL_REG_SCRATCH:
            scratch_ = value;
            break;
        default:
            break;
    }
}

void Accelerator::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    std::string why;
    const tlm::tlm_response_status status = check_register_access(trans, false, why);
    if (status != tlm::TLM_OK_RESPONSE) return reject_access(log_, trans, status, why);
    const uint32_t offset = static_cast<uint32_t>(trans.get_address());
    bool known = false;
    access_of(offset, known);
    if (!known || trans.get_address() >= ACCEL_REG_SPAN)
        return reject_access(log_, trans, tlm::TLM_ADDRESS_ERROR_RESPONSE, "no register at this offset");
    delay += clock_period_;  // one accelerator clock per register access
    if (trans.is_write()) {
        write_register(offset, static_cast<uint32_t>(payload_value(trans)), delay);
    } else if (trans.is_read()) {
        uint32_t v = 0;
        read_register(offset, v);
        set_payload_value(trans, v);
    } else {
        return reject_access(log_, trans, tlm::TLM_COMMAND_ERROR_RESPONSE, "IGNORE command");
    }
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned int Accelerator::transport_dbg(tlm::tlm_generic_payload& trans) {
    return debug_read_words(trans, [this](uint64_t addr, uint32_t& word) {
        return addr < ACCEL_REG_SPAN && read_register(static_cast<uint32_t>(addr), word);
    });
}

unsigned int Accelerator::debug_buffers(tlm::tlm_generic_payload& trans) {
    const uint64_t addr = trans.get_address();
    const int id = static_cast<int>(addr >> 28);
    if (id > 2) {
        trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return 0;
    }
    trans.set_address(addr & 0x0fff'ffffu);
    const unsigned int n = buffers_[id]->transport_dbg(trans);
    trans.set_address(addr);
    return n;
}

nlohmann::json Accelerator::stats_json() const {
    nlohmann::json j = stats_.to_json(uint64_t{config_.rows} * config_.cols);
    j["config"] = {{"rows", config_.rows},
                   {"cols", config_.cols},
                   {"dataflow", dataflow_name(config_.dataflow)},
                   {"clock_hz", config_.clock_hz},
                   {"double_buffering", config_.double_buffering}};
    nlohmann::json bufs = nlohmann::json::object();
    for (const auto& b : buffers_) bufs[b->name()] = {{"capacity_bytes", b->capacity()}};
    j["config"]["buffers"] = bufs;
    return j;
}

}  // namespace trainvp
