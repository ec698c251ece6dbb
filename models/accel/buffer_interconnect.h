// The accelerator's internal interconnect: the DMA engine, the PE array and the vector unit (initiators on
// `in`) reach the three buffers (targets on `out`, one 256 MiB window each at accel::buffer_address()).
// Loosely timed: a transaction takes latency_cycles plus one cycle per width_bytes of data; DMI ranges and
// latencies are translated and passed through, invalidations fanned out. `debug_in` is the accelerator's
// debug socket: transport_dbg into any buffer at the same addresses, without side effects or time.
#pragma once

#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <systemc>
#include <tlm>

#include "accel/accel_config.h"
#include "common/log.h"

namespace trainvp {

class BufferInterconnect : public sc_core::sc_module {
  public:
    using TargetSocket =
        tlm::tlm_base_target_socket_b<32, tlm::tlm_fw_transport_if<>, tlm::tlm_bw_transport_if<>>;

    tlm_utils::multi_passthrough_target_socket<BufferInterconnect> in;
    tlm_utils::simple_target_socket_optional<BufferInterconnect> debug_in;

    BufferInterconnect(sc_core::sc_module_name name, const InterconnectConfig& config, double clock_hz);

    // Binds the interconnect to buffer `id`'s target socket. Throws std::logic_error when a buffer is mapped
    // twice; every buffer must be mapped before the simulation starts.
    void map(TargetSocket& target, accel::BufferId id);

  private:
    void b_transport(int initiator, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
    bool get_direct_mem_ptr(int initiator, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);
    unsigned int transport_dbg(int initiator, tlm::tlm_generic_payload& trans);
    unsigned int debug_transport(tlm::tlm_generic_payload& trans);
    void debug_b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
    void invalidate_direct_mem_ptr(int target, sc_dt::uint64 start, sc_dt::uint64 end);
    void end_of_elaboration() override;
    // The output port of the buffer at `address`, or -1; `local` is the offset in the buffer.
    int decode(uint64_t address, uint64_t& local) const;

    tlm_utils::multi_passthrough_initiator_socket<BufferInterconnect> out_;
    InterconnectConfig config_;
    sc_core::sc_time period_, latency_;
    int port_of_[accel::kBufferCount] = {-1, -1, -1};
    accel::BufferId buffer_of_[accel::kBufferCount] = {};
    int mapped_ = 0;
    Logger log_;
};

}  // namespace trainvp
