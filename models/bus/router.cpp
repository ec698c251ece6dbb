#include "bus/router.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace trainvp {

namespace {
std::string describe(const Router::Region& r) {
    return "'" + r.name + "' [" + hex32(r.range.base) + ", " + hex32(r.range.end()) + ")";
}
}  // namespace

void RouterConfig::validate() const {
    if (!std::isfinite(hop_latency_ns) || hop_latency_ns < 0.0)
        throw std::invalid_argument("router: hop_latency_ns must be a finite value >= 0, got " +
                                    std::to_string(hop_latency_ns));
}

Router::Router(sc_core::sc_module_name name, const RouterConfig& config)
    : sc_module(name), bus_in("bus_in"), targets_out_("targets_out"), config_(config), log_(this->name()) {
    config_.validate();
    hop_latency_ = sc_core::sc_time(config_.hop_latency_ns, sc_core::SC_NS);
    bus_in.register_b_transport(this, &Router::b_transport);
    bus_in.register_get_direct_mem_ptr(this, &Router::get_direct_mem_ptr);
    bus_in.register_transport_dbg(this, &Router::transport_dbg);
    targets_out_.register_invalidate_direct_mem_ptr(this, &Router::invalidate_direct_mem_ptr);
}

void Router::map(TargetSocket& target, AddressRange range, const std::string& name) {
    const sc_core::sc_status status = sc_core::sc_get_status();
    if (status != sc_core::SC_ELABORATION && status != sc_core::SC_BEFORE_END_OF_ELABORATION)
        throw std::logic_error(std::string(this->name()) + ": map('" + name + "') after elaboration");
    const Region region{name, range, static_cast<int>(regions_.size())};
    if (range.size == 0)
        throw std::invalid_argument(std::string(this->name()) + ": region '" + name + "' has size 0");
    if (range.size - 1 > ~0ull - range.base)
        throw std::invalid_argument(std::string(this->name()) + ": region '" + name +
                                    "' extends past the end of the address space");
    for (const Region& other : regions_) {
        if (range.base <= other.range.last() && other.range.base <= range.last())
            throw std::invalid_argument(std::string(this->name()) + ": region " + describe(region) +
                                        " overlaps region " + describe(other));
    }
    targets_out_.bind(target);
    regions_.push_back(region);
}

const Router::Region* Router::decode(uint64_t address) const {
    for (const Region& r : regions_)
        if (r.range.contains(address)) return &r;
    return nullptr;
}

void Router::unmapped_gap(uint64_t address, uint64_t& first, uint64_t& last) const {
    first = 0;
    last = ~0ull;
    for (const Region& r : regions_) {
        if (r.range.last() < address) first = std::max(first, r.range.last() + 1);
        if (r.range.base > address) last = std::min(last, r.range.base - 1);
    }
}

void Router::b_transport(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    delay += hop_latency_;
    const uint64_t address = trans.get_address();
    const Region* region = decode(address);
    if (!region) {
        log_.debug("decode miss at ", hex32(address));
        trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    // A streaming transfer only touches its first streaming_width bytes (IEEE 1666-2011 14.13).
    const unsigned int length = trans.get_data_length();
    const unsigned int width = trans.get_streaming_width();
    const uint64_t span = (width != 0 && width < length) ? width : length;
    const uint64_t offset = address - region->range.base;
    if (span > region->range.size - offset) {
        log_.debug("access of ", span, " bytes at ", hex32(address), " crosses the end of region ",
                   describe(*region));
        trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    trans.set_address(offset);
    targets_out_[region->target]->b_transport(trans, delay);
    trans.set_address(address);
}

bool Router::get_direct_mem_ptr(int, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
    const uint64_t address = trans.get_address();
    const Region* region = decode(address);
    if (!region) {
        uint64_t first, last;
        unmapped_gap(address, first, last);
        dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_NONE);
        dmi.set_start_address(first);
        dmi.set_end_address(last);
        return false;
    }
    const AddressRange& range = region->range;
    trans.set_address(address - range.base);
    const bool granted = targets_out_[region->target]->get_direct_mem_ptr(trans, dmi);
    trans.set_address(address);

    // The target answers in local addresses; the initiator needs global ones, never wider than the region
    // (a target larger than its window must not hand out the part another region owns).
    const uint64_t local_start = dmi.get_start_address();
    const uint64_t local_end = std::min<uint64_t>(dmi.get_end_address(), range.size - 1);
    if (local_start > local_end) {
        dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_NONE);
        dmi.set_start_address(address);
        dmi.set_end_address(address);
        return false;
    }
    dmi.set_start_address(range.base + local_start);
    dmi.set_end_address(range.base + local_end);
    return granted;
}

unsigned int Router::transport_dbg(int, tlm::tlm_generic_payload& trans) {
    const uint64_t address = trans.get_address();
    const Region* region = decode(address);
    if (!region) {
        trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return 0;
    }
    // Debug accesses (a debugger dumping memory) are clipped at the region end rather than refused.
    const unsigned int length = trans.get_data_length();
    const uint64_t offset = address - region->range.base;
    const unsigned int clipped =
        static_cast<unsigned int>(std::min<uint64_t>(length, region->range.size - offset));
    trans.set_address(offset);
    trans.set_data_length(clipped);
    const unsigned int done = targets_out_[region->target]->transport_dbg(trans);
    trans.set_address(address);
    trans.set_data_length(length);
    return done;
}

void Router::invalidate_direct_mem_ptr(int target, sc_dt::uint64 start, sc_dt::uint64 end) {
    for (const Region& r : regions_) {
        if (r.target != target) continue;
        if (start >= r.range.size || start > end) return;
        const uint64_t global_start = r.range.base + start;
        const uint64_t global_end = r.range.base + std::min<uint64_t>(end, r.range.size - 1);
        // Any initiator may hold a pointer into the range (IEEE 1666-2011 11.2.6): tell all of them.
        for (unsigned int i = 0; i < bus_in.size(); ++i)
            bus_in[static_cast<int>(i)]->invalidate_direct_mem_ptr(global_start, global_end);
        return;
    }
}

}  // namespace trainvp
