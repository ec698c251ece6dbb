// Checkpoint state of the Accelerator, in one place: everything that persists between descriptors.
// Staging vectors, the workspace, the codec and the timing cache only hold values within one descriptor
// or memoise pure functions, so they are not part of it.
#include "accel/accelerator.h"
#include "common/state_io.h"

namespace trainvp {

namespace {
constexpr uint32_t kStateVersion = 1;
}

bool Accelerator::quiescent(std::string& why) const {
    if (executing_) {
        why = "the accelerator is executing descriptor " + std::to_string(head_);
        return false;
    }
    if (busy()) {
        why = "the accelerator has descriptors queued (head " + std::to_string(head_) + ", tail " +
              std::to_string(tail_) + ")";
        return false;
    }
    if (irq_status_ & irq_enable_) {
        why = "the accelerator's interrupt line is high";
        return false;
    }
    return true;
}

void Accelerator::save_state(StateWriter& w) const {
    w.u32(kStateVersion);
    for (uint32_t v : {ctrl_, err_code_, err_addr_, err_desc_, irq_enable_, irq_status_, ring_base_,
                       ring_size_, head_, tail_, scratch_})
        w.u32(v);
    w.boolean(error_);
    w.u64(generation_);
    for (const Counters* c : {&live_, &snapshot_})
        for (uint64_t v : {c->cycles, c->compute, c->stall, c->macs, c->dma_rd, c->dma_wr, c->desc}) w.u64(v);
    w.u64(sequence_);
    stats_.save_state(w);
    for (const auto& b : buffers_) {
        w.u64(b->capacity());
        w.bytes(b->data(), b->capacity());
        const SramCounters& c = b->counters();
        for (uint64_t v : {c.read_bytes, c.write_bytes, c.read_accesses, c.write_accesses}) w.u64(v);
    }
    const DmaCounters& d = dma_.counters();
    for (uint64_t v : {d.read_bytes, d.write_bytes, d.read_bursts, d.write_bursts}) w.u64(v);
    w.u64(d.read_time.value());
    w.u64(d.write_time.value());
}

void Accelerator::restore_state(StateReader& r) {
    if (r.u32() != kStateVersion) r.fail("accelerator state of another layout");
    for (uint32_t* v : {&ctrl_, &err_code_, &err_addr_, &err_desc_, &irq_enable_, &irq_status_, &ring_base_,
                        &ring_size_, &head_, &tail_, &scratch_})
        *v = r.u32();
    error_ = r.boolean();
    generation_ = r.u64();
    for (Counters* c : {&live_, &snapshot_})
        for (uint64_t* v : {&c->cycles, &c->compute, &c->stall, &c->macs, &c->dma_rd, &c->dma_wr, &c->desc})
            *v = r.u64();
    sequence_ = r.u64();
    stats_.restore_state(r);
    for (auto& b : buffers_) {
        const uint64_t capacity = r.u64();
        if (capacity != b->capacity())
            r.fail("the " + b->name() + " buffer holds " + std::to_string(capacity) + " bytes, this one " +
                   std::to_string(b->capacity()));
        b->load_contents(0, r.view(capacity), capacity);
        SramCounters c;
        for (uint64_t* v : {&c.read_bytes, &c.write_bytes, &c.read_accesses, &c.write_accesses}) *v = r.u64();
        b->set_counters(c);
    }
    DmaCounters d;
    d.read_bytes = r.u64();
    d.write_bytes = r.u64();
    d.read_bursts = r.u64();
    d.write_bursts = r.u64();
    d.read_time = sc_core::sc_time::from_value(r.u64());
    d.write_time = sc_core::sc_time::from_value(r.u64());
    dma_.set_counters(d);
    executing_ = false;
    // During the simulation the interrupt line follows the restored state; before it, the line starts low,
    // which is what a quiescent platform saved. The state is that of an idle accelerator (quiescent()): the
    // next doorbell starts the next descriptor.
    if (sc_core::sc_is_running()) update_irq();
}

}  // namespace trainvp
