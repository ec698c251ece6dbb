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
    bus_in.register_nb_transport_fw(this, &Router::nb_transport_fw);
    targets_out_.register_nb_transport_bw(this, &Router::nb_transport_bw);
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

const Router::Region* Router::route(tlm::tlm_generic_payload& trans) const {
    const uint64_t address = trans.get_address();
    const Region* region = decode(address);
    if (!region) {
        log_.debug("decode miss at ", hex32(address));
        trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return nullptr;
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
        return nullptr;
    }
    return region;
}

void Router::b_transport(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    delay += hop_latency_;
    const Region* region = route(trans);
    if (!region) return;
    const uint64_t address = trans.get_address();
    trans.set_address(address - region->range.base);
    targets_out_[region->target]->b_transport(trans, delay);
    trans.set_address(address);
}

// IEEE 1666-2011 15.2 (base protocol). The router is a pass-through interconnect: it forwards every phase and
// return value unchanged and only keeps the route, so the initiator and the target see each other's timing.
tlm::tlm_sync_enum Router::nb_transport_fw(int initiator, tlm::tlm_generic_payload& trans,
                                           tlm::tlm_phase& phase, sc_core::sc_time& delay) {
    if (phase == tlm::BEGIN_REQ) {
        delay += hop_latency_;
        const Region* region = route(trans);
        if (!region) return tlm::TLM_COMPLETED;  // early completion with the error response
        const uint64_t address = trans.get_address();
        in_flight_[&trans] = InFlight{initiator, region->target, address, region->range.base};
        trans.set_address(address - region->range.base);
        const tlm::tlm_sync_enum status = targets_out_[region->target]->nb_transport_fw(trans, phase, delay);
        if (status == tlm::TLM_COMPLETED || (status == tlm::TLM_UPDATED && phase == tlm::BEGIN_RESP))
            trans.set_address(address);
        if (status == tlm::TLM_COMPLETED) in_flight_.erase(&trans);
        return status;
    }
    auto it = in_flight_.find(&trans);
    if (it == in_flight_.end()) {
        log_.log(LogLevel::error, "nb_transport_fw (phase ", phase, ") from initiator ", initiator,
                 " for a transaction not in flight (no BEGIN_REQ, or already completed)");
        return tlm::TLM_COMPLETED;
    }
    // END_RESP (or an extended phase): the target sees its local address, the initiator gets its own back.
    const InFlight route = it->second;
    const bool ends = phase == tlm::END_RESP;
    if (ends) in_flight_.erase(it);
    trans.set_address(route.address - route.base);
    const tlm::tlm_sync_enum status = targets_out_[route.target]->nb_transport_fw(trans, phase, delay);
    trans.set_address(route.address);
    if (!ends && status == tlm::TLM_COMPLETED) in_flight_.erase(&trans);
    return status;
}

tlm::tlm_sync_enum Router::nb_transport_bw(int target, tlm::tlm_generic_payload& trans, tlm::tlm_phase& phase,
                                           sc_core::sc_time& delay) {
    auto it = in_flight_.find(&trans);
    if (it == in_flight_.end() || it->second.target != target) {
        log_.log(LogLevel::error, "nb_transport_bw (phase ", phase, ") from target ", target,
                 " for a transaction the router did not send it");
        return tlm::TLM_COMPLETED;
    }
    const InFlight route = it->second;
    // The response goes back with the initiator's address; a request still at the target keeps the local one.
    const bool response = phase == tlm::BEGIN_RESP;
    if (response) trans.set_address(route.address);
    const tlm::tlm_sync_enum status = bus_in[route.initiator]->nb_transport_bw(trans, phase, delay);
    if (status == tlm::TLM_COMPLETED || (status == tlm::TLM_UPDATED && phase == tlm::END_RESP)) {
        trans.set_address(route.address);
        in_flight_.erase(&trans);
    }
    return status;
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
    // The hop b_transport adds (IEEE 1666-2011 11.2.5: an interconnect adds its own latency).
    if (granted) {
        dmi.set_read_latency(dmi.get_read_latency() + hop_latency_);
        dmi.set_write_latency(dmi.get_write_latency() + hop_latency_);
    }
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
