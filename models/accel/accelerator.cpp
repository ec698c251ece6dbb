#include "accel/accelerator.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "accel/buffer_interconnect.h"
#include "accel/controller.h"
#include "accel/dma_engine.h"
#include "accel/part_state.h"
#include "accel/pe_array.h"
#include "accel/sparse_engine.h"
#include "accel/sram_buffer.h"
#include "accel/vector_unit.h"
#include "common/state_io.h"

namespace trainvp {

namespace {

// Version 1 was the accelerator as one class (registers, counters, statistics and buffers in one block);
// version 2 is a sequence of parts.
// 3: the statistics carry the units' energy actions; 4: GEMM outputs; 5: stride zeros.
constexpr uint32_t kStateVersion = 5;

// How a part's image was taken.
enum class PartImage : uint8_t {
    none = 0,      // the part keeps nothing between descriptors
    own = 1,       // its own save_state() (accel::PartState)
    contents = 2,  // a buffer without PartState: its contents, read through transport_dbg
};

const char* image_name(PartImage k) {
    switch (k) {
        case PartImage::none:
            return "no state";
        case PartImage::own:
            return "the part's own state";
        case PartImage::contents:
            return "buffer contents";
    }
    return "an unknown kind of image";
}

// Copies [0, n) of a buffer through its transport_dbg, which may serve fewer bytes per call.
void debug_copy(AccelTargetSocket& in, tlm::tlm_command cmd, uint8_t* data, uint64_t n, const char* part) {
    tlm::tlm_generic_payload t;
    for (uint64_t done = 0; done < n;) {
        const uint64_t chunk = std::min<uint64_t>(n - done, 1u << 30);
        t.set_command(cmd);
        t.set_address(done);
        t.set_data_ptr(data + done);
        t.set_data_length(static_cast<unsigned int>(chunk));
        const unsigned int got = in.get_base_interface().transport_dbg(t);
        if (got == 0)
            throw StateError(std::string("accelerator part '") + part +
                             "': its transport_dbg served no bytes at offset " + std::to_string(done));
        done += got;
    }
}

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
    sparse_ = std::make_unique<SparseEngine>("sparse_engine", config_.sparse_clock_hz);

    regs_in.bind(controller_->regs_in);
    controller_->irq.bind(irq);
    controller_->dma_out.bind(dma_->cmd_in);
    controller_->pe_out.bind(*pe_array_.cmd_in);
    controller_->vector_out.bind(*vector_unit_.cmd_in);
    controller_->sparse_out.bind(sparse_->cmd_in);
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

std::vector<Accelerator::PartRef> Accelerator::parts() const {
    std::vector<PartRef> p{{"controller", controller_.get(), nullptr, 0}, {"dma", dma_.get(), nullptr, 0}};
    static const char* const kBufferParts[accel::kBufferCount] = {"weight_buffer", "activation_buffer",
                                                                  "gradient_buffer"};
    for (int b = 0; b < accel::kBufferCount; ++b)
        p.push_back({kBufferParts[b], buffers_[b].module.get(), buffers_[b].in,
                     config_.buffer(static_cast<accel::BufferId>(b)).capacity_bytes});
    p.push_back({"pe_array", pe_array_.module.get(), nullptr, 0});
    p.push_back({"vector_unit", vector_unit_.module.get(), nullptr, 0});
    return p;
}

bool Accelerator::quiescent(std::string& why) const {
    return controller_->quiescent(why);
}

// Every part: its name, the kind of image, the image's length and the image.
void Accelerator::save_state(StateWriter& w) const {
    w.u32(kStateVersion);
    for (const PartRef& part : parts()) {
        w.str(part.name);
        const auto* own = dynamic_cast<const accel::PartState*>(part.module);
        const PartImage kind = own ? PartImage::own : part.buffer_in ? PartImage::contents : PartImage::none;
        w.u8(static_cast<uint8_t>(kind));
        const size_t length_at = w.size();
        w.u64(0);
        if (kind == PartImage::own) {
            own->save_state(w);
        } else if (kind == PartImage::contents) {
            w.u64(part.buffer_bytes);
            const size_t at = w.size();
            w.data().resize(at + part.buffer_bytes);
            debug_copy(*part.buffer_in, tlm::TLM_READ_COMMAND, w.data().data() + at, part.buffer_bytes,
                       part.name);
        }
        const uint64_t length = w.size() - length_at - 8;
        std::memcpy(w.data().data() + length_at, &length, 8);
    }
}

void Accelerator::restore_state(StateReader& r) {
    const uint32_t version = r.u32();
    if (version != kStateVersion)
        r.fail("accelerator state of layout version " + std::to_string(version) +
               "; this build reads version " + std::to_string(kStateVersion));
    for (const PartRef& part : parts()) {
        const std::string name = r.str();
        if (name != part.name) r.fail("part '" + name + "' where this accelerator has '" + part.name + "'");
        const auto saved = static_cast<PartImage>(r.u8());
        auto* own = dynamic_cast<accel::PartState*>(part.module);
        const PartImage kind = own ? PartImage::own : part.buffer_in ? PartImage::contents : PartImage::none;
        const size_t length = r.count(1);
        if (saved != kind)
            r.fail(std::string("part '") + part.name + "' was saved as " + image_name(saved) +
                   ", this one holds " + image_name(kind));
        StateReader image(r.view(length), length, r.what() + ", part '" + part.name + "'");
        if (kind == PartImage::own) {
            own->restore_state(image);
        } else if (kind == PartImage::contents) {
            const uint64_t bytes = image.u64();
            if (bytes != part.buffer_bytes)
                image.fail("holds " + std::to_string(bytes) + " bytes, this buffer " +
                           std::to_string(part.buffer_bytes));
            const uint8_t* contents = image.view(bytes);
            std::vector<uint8_t> copy(contents, contents + bytes);  // transport_dbg takes a writable pointer
            debug_copy(*part.buffer_in, tlm::TLM_WRITE_COMMAND, copy.data(), bytes, part.name);
        }
        image.expect_end();
    }
}

unsigned int Accelerator::debug_buffers(tlm::tlm_generic_payload& trans) {
    return debug_in.get_base_export()->transport_dbg(trans);
}

}  // namespace trainvp
