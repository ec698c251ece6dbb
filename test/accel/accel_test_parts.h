// Pieces shared by the accelerator's module tests: a command initiator that sends DmaCommand and TileCommand
// transactions (accel_protocol.h) from a test thread, and a plain TLM memory without DMI and with a fixed
// latency, standing in for a foreign buffer model.
#pragma once

#include <tlm_utils/simple_target_socket.h>

#include <cstring>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "accel/accel_protocol.h"
#include "mem/tlm_test_initiator.h"

namespace trainvp::test {

// Sends one command transaction through `socket`; returns the response status and adds the delay.
template <typename Ext>
tlm::tlm_response_status send_command(tlm_utils::simple_initiator_socket<TestInitiator>& socket, Ext& ext,
                                      sc_core::sc_time& delay) {
    tlm::tlm_generic_payload t;
    t.set_command(tlm::TLM_IGNORE_COMMAND);
    t.set_address(0);
    t.set_data_length(0);
    t.set_extension(&ext);
    t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    socket->b_transport(t, delay);
    t.clear_extension(&ext);
    return t.get_response_status();
}

// A memory that grants no DMI and takes `latency` per transaction: what an integrator's own buffer model
// might be. Counts its transactions.
struct ForeignMemory : sc_core::sc_module {
    tlm_utils::simple_target_socket<ForeignMemory> in{"in"};
    std::vector<uint8_t> mem;
    sc_core::sc_time latency;
    uint64_t transactions = 0;
    std::vector<uint64_t> lengths;  // of every transaction served
    bool grant_dmi = false;         // hint and grant DMI (without stating any burst timing)

    ForeignMemory(sc_core::sc_module_name name, uint64_t bytes, sc_core::sc_time latency_)
        : sc_module(name), mem(bytes, 0), latency(latency_) {
        in.register_b_transport(this, &ForeignMemory::b_transport);
        in.register_transport_dbg(this, &ForeignMemory::transport_dbg);
        in.register_get_direct_mem_ptr(this, &ForeignMemory::get_direct_mem_ptr);
    }
    bool get_direct_mem_ptr(tlm::tlm_generic_payload&, tlm::tlm_dmi& dmi) {
        dmi.set_start_address(0);
        dmi.set_end_address(mem.size() - 1);
        if (!grant_dmi) return false;
        dmi.set_dmi_ptr(mem.data());
        dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_READ_WRITE);
        dmi.set_read_latency(latency);
        dmi.set_write_latency(latency);
        return true;
    }
    void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay) {
        const uint64_t a = t.get_address(), n = t.get_data_length();
        if (a + n > mem.size() || t.get_command() == tlm::TLM_IGNORE_COMMAND) {
            t.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
            return;
        }
        if (t.is_read())
            std::memcpy(t.get_data_ptr(), mem.data() + a, n);
        else
            std::memcpy(mem.data() + a, t.get_data_ptr(), n);
        ++transactions;
        lengths.push_back(n);
        delay += latency;
        t.set_dmi_allowed(grant_dmi);
        t.set_response_status(tlm::TLM_OK_RESPONSE);
    }
    unsigned int transport_dbg(tlm::tlm_generic_payload& t) {
        const uint64_t a = t.get_address();
        if (a >= mem.size()) return 0;
        const unsigned int n =
            static_cast<unsigned int>(std::min<uint64_t>(t.get_data_length(), mem.size() - a));
        if (t.is_read())
            std::memcpy(t.get_data_ptr(), mem.data() + a, n);
        else
            std::memcpy(mem.data() + a, t.get_data_ptr(), n);
        return n;
    }
};

}  // namespace trainvp::test
