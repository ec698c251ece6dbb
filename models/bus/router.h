// Address-decoding interconnect. Many initiators bind to bus_in; map() binds one target per half-open address
// range and records it in the same call. Targets see local addresses (offset from their region base).
//
// Protocols: b_transport (loosely timed), nb_transport_fw/bw (approximately timed, base protocol:
// BEGIN_REQ, END_REQ, BEGIN_RESP, END_RESP, TLM_COMPLETED early completion), get_direct_mem_ptr with
// invalidation, transport_dbg. A decode miss or an access crossing the end of its region is answered by the
// router: TLM_ADDRESS_ERROR_RESPONSE (for nb_transport_fw: TLM_COMPLETED at BEGIN_REQ). An AT transaction
// remembers its initiator (by payload, from BEGIN_REQ until END_RESP or completion), so a target's
// nb_transport_bw reaches the initiator that sent it. While the target owns it (BEGIN_REQ until the response
// reaches the initiator) the payload carries the target-local address; the initiator gets its own address
// back with the response. Targets that register only b_transport on a simple_target_socket serve AT
// initiators through that socket's own nb-to-b adapter. The hop latency is added once per transaction: to the
// b_transport delay, or to the BEGIN_REQ delay.
#pragma once

#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <cstdint>
#include <string>
#include <systemc>
#include <tlm>
#include <unordered_map>
#include <vector>

#include "common/log.h"

namespace trainvp {

struct AddressRange {
    uint64_t base = 0;
    uint64_t size = 0;

    bool contains(uint64_t address) const { return address >= base && address - base < size; }
    uint64_t end() const { return base + size; }  // one past the last address
    uint64_t last() const { return base + size - 1; }
};

struct RouterConfig {
    double hop_latency_ns = 0.0;  // added to the delay of every b_transport through this router

    // Throws std::invalid_argument naming the offending field.
    void validate() const;
};

class Router : public sc_core::sc_module {
  public:
    // Any 32-bit-wide base-protocol target socket: simple_target_socket, a multi socket (another router), ...
    using TargetSocket =
        tlm::tlm_base_target_socket_b<32, tlm::tlm_fw_transport_if<>, tlm::tlm_bw_transport_if<>>;

    struct Region {
        std::string name;
        AddressRange range;
        int target;  // index on the initiator side, in map() order
    };

    tlm_utils::multi_passthrough_target_socket<Router> bus_in;

    Router(sc_core::sc_module_name name, const RouterConfig& config = {});

    // Binds the router to `target` and routes [range.base, range.end()) to it. Throws std::invalid_argument
    // for an empty range, a range past the 64-bit space or one overlapping an earlier region (naming both),
    // and std::logic_error once elaboration is over.
    void map(TargetSocket& target, AddressRange range, const std::string& name);

    // Regions in map() order.
    const std::vector<Region>& regions() const { return regions_; }
    // AT transactions between BEGIN_REQ and their end (END_RESP or TLM_COMPLETED).
    size_t transactions_in_flight() const { return in_flight_.size(); }

  private:
    // Where an AT transaction came from and went, for the backward path and for restoring its address.
    struct InFlight {
        int initiator;
        int target;
        uint64_t address;  // the initiator's (global) address
        uint64_t base;     // of the target's region
    };

    void b_transport(int initiator, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
    tlm::tlm_sync_enum nb_transport_fw(int initiator, tlm::tlm_generic_payload& trans, tlm::tlm_phase& phase,
                                       sc_core::sc_time& delay);
    tlm::tlm_sync_enum nb_transport_bw(int target, tlm::tlm_generic_payload& trans, tlm::tlm_phase& phase,
                                       sc_core::sc_time& delay);
    bool get_direct_mem_ptr(int initiator, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);
    unsigned int transport_dbg(int initiator, tlm::tlm_generic_payload& trans);
    void invalidate_direct_mem_ptr(int target, sc_dt::uint64 start, sc_dt::uint64 end);

    const Region* decode(uint64_t address) const;
    // The region an access goes to, or nullptr after setting TLM_ADDRESS_ERROR_RESPONSE (a decode miss, or an
    // access running past the end of its region).
    const Region* route(tlm::tlm_generic_payload& trans) const;
    // The unmapped gap around `address` (inclusive bounds), reported as a DMI denial.
    void unmapped_gap(uint64_t address, uint64_t& first, uint64_t& last) const;

    tlm_utils::multi_passthrough_initiator_socket<Router> targets_out_;
    RouterConfig config_;
    sc_core::sc_time hop_latency_;
    std::vector<Region> regions_;
    std::unordered_map<tlm::tlm_generic_payload*, InFlight> in_flight_;
    Logger log_;
};

}  // namespace trainvp
