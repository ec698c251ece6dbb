#include "accel/accelerator.h"

#include <nlohmann/json.hpp>
#include <string>

#include "accel/buffer_interconnect.h"
#include "accel/controller.h"
#include "accel/dma_engine.h"
#include "accel/pe_array.h"
#include "accel/sram_buffer.h"
#include "accel/vector_unit.h"

namespace trainvp {

namespace {

const AcceleratorConfig& validated(const AcceleratorConfig& c) {
    c.validate();
    return c;
}

template <typename Part>
ComputePart built_in_compute(const char* name, const AcceleratorConfig& c) {
    auto m = std::make_unique<Part>(name, c);
    ComputePart p;
    p.cmd_in = &m->cmd_in;
    p.buffers_out = &m->buffers_out;
    p.module = std::move(m);
    return p;
}

}  // namespace

Accelerator::Accelerator(sc_core::sc_module_name name, const AcceleratorConfig& config,
                         const AcceleratorParts& parts)
    : sc_module(name),
      regs_in("regs_in"),
      dma_out("dma_out"),
      irq("irq"),
      debug_in("debug_in"),
      config_(validated(config)) {
    controller_ = std::make_unique<Controller>("controller", config_);
    dma_ = std::make_unique<DmaEngine>("dma", config_);
    interconnect_ =
        std::make_unique<BufferInterconnect>("interconnect", config_.interconnect, config_.clock_hz);
    for (int b = 0; b < accel::kBufferCount; ++b) {
        const auto id = static_cast<accel::BufferId>(b);
        const std::string part = std::string(accel::buffer_name(id)) + "_buffer";
        if (parts.buffer) buffers_[b] = parts.buffer(part.c_str(), id, config_);
        if (!buffers_[b].module) {
            auto m = std::make_unique<SramBuffer>(part.c_str(), config_.buffer(id), config_.clock_hz);
            buffers_[b].in = &m->in;
            buffers_[b].module = std::move(m);
        }
    }
    if (parts.pe_array) pe_array_ = parts.pe_array("pe_array", config_);
    if (!pe_array_.module) pe_array_ = built_in_compute<PeArray>("pe_array", config_);
    if (parts.vector_unit) vector_unit_ = parts.vector_unit("vector_unit", config_);
    if (!vector_unit_.module) vector_unit_ = built_in_compute<VectorUnit>("vector_unit", config_);

    regs_in.bind(controller_->regs_in);
    controller_->irq.bind(irq);
    controller_->dma_out.bind(dma_->cmd_in);
    controller_->pe_out.bind(*pe_array_.cmd_in);
    controller_->vector_out.bind(*vector_unit_.cmd_in);
    dma_->bus_out.bind(dma_out);
    dma_->buffers_out.bind(interconnect_->in);
    // Any initiator socket binds to the interconnect's multi-socket through the plain target-socket bind
    // (the multi-socket's own bind() takes only sockets of its kind).
    using TargetBase = tlm::tlm_target_socket<32, tlm::tlm_base_protocol_types, 0>;
    static_cast<TargetBase&>(interconnect_->in).bind(*pe_array_.buffers_out);
    static_cast<TargetBase&>(interconnect_->in).bind(*vector_unit_.buffers_out);
    for (int b = 0; b < accel::kBufferCount; ++b)
        interconnect_->map(*buffers_[b].in, static_cast<accel::BufferId>(b));
    debug_in.bind(interconnect_->debug_in);
}

Accelerator::~Accelerator() = default;

const accel::AccelStats& Accelerator::stats() const {
    return controller_->stats();
}

nlohmann::json Accelerator::stats_json() const {
    return controller_->stats_json();
}

bool Accelerator::peek_register(uint32_t offset, uint32_t& value) const {
    return controller_->peek_register(offset, value);
}

unsigned int Accelerator::debug_buffers(tlm::tlm_generic_payload& trans) {
    return debug_in.get_base_export()->transport_dbg(trans);
}

}  // namespace trainvp
