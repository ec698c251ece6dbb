// Burst timing over DMI: a TLM-2.0 extension an initiator puts on its get_direct_mem_ptr request to learn
// what a b_transport of n bytes would have cost, so that it can move bulk data through the DMI pointer and
// still charge every burst exactly the latency the bus would have annotated.
//
// A target that answers (sets `answered`) promises, for the whole granted DMI range: a b_transport of n
// bytes does nothing but move the bytes, and its annotated delay is the DMI latency of its command
// (tlm_dmi::get_read_latency / get_write_latency, to which interconnects add their own hop latency as IEEE
// 1666-2011 11.2.5 lets them) plus transfer_time(n). A target that does not know the extension leaves it
// unanswered, and the initiator keeps to b_transport for every burst. The DMA engine (models/accel) is the
// initiator; Memory (models/mem) answers.
#pragma once

#include <systemc>
#include <tlm>

namespace trainvp {

// The per-byte part of a transfer: n / bytes_per_ns nanoseconds, or nothing when bytes_per_ns is 0
// (unlimited bandwidth). Targets compute their b_transport delay with this same function.
inline sc_core::sc_time transfer_time(unsigned int bytes, double bytes_per_ns) {
    return bytes_per_ns > 0.0 ? sc_core::sc_time(bytes / bytes_per_ns, sc_core::SC_NS) : sc_core::SC_ZERO_TIME;
}

struct TransferTimingExt : tlm::tlm_extension<TransferTimingExt> {
    bool answered = false;      // set by a target that keeps the promise above
    double bytes_per_ns = 0.0;  // the target's bandwidth term (0: none)

    tlm::tlm_extension_base* clone() const override { return new TransferTimingExt(*this); }
    void copy_from(const tlm::tlm_extension_base& other) override {
        *this = static_cast<const TransferTimingExt&>(other);
    }
};

}  // namespace trainvp
