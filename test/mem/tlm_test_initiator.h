// Test-bench initiator shared by the mem, bus and periph tests: runs a test body in an SC_THREAD and offers
// one-line b_transport / transport_dbg / DMI calls through a simple_initiator_socket.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <cstdint>
#include <cstring>
#include <functional>
#include <systemc>
#include <tlm>
#include <utility>
#include <vector>

namespace trainvp::test {

class TestInitiator : public sc_core::sc_module {
  public:
    tlm_utils::simple_initiator_socket<TestInitiator> socket;
    std::function<void()> body;  // run once from the thread at time 0
    bool body_finished = false;
    std::vector<std::pair<uint64_t, uint64_t>> invalidations;  // (start, end) received on the backward path

    SC_HAS_PROCESS(TestInitiator);
    explicit TestInitiator(sc_core::sc_module_name name) : sc_module(name), socket("socket") {
        socket.register_invalidate_direct_mem_ptr(this, &TestInitiator::invalidate);
        SC_THREAD(run);
    }

    struct Access {
        tlm::tlm_command command = tlm::TLM_READ_COMMAND;
        uint64_t address = 0;
        unsigned char* data = nullptr;
        unsigned int length = 0;
        const unsigned char* byte_enables = nullptr;
        unsigned int byte_enable_length = 0;
        unsigned int streaming_width = 0;  // 0 = length
    };

    // Returns the response status; `delay` is the local time offset passed to b_transport and updated by it.
    tlm::tlm_response_status transport(const Access& a, sc_core::sc_time& delay,
                                       uint64_t* address_after = nullptr, bool* dmi_allowed = nullptr) {
        tlm::tlm_generic_payload trans;
        trans.set_command(a.command);
        trans.set_address(a.address);
        trans.set_data_ptr(a.data);
        trans.set_data_length(a.length);
        trans.set_streaming_width(a.streaming_width ? a.streaming_width : a.length);
        trans.set_byte_enable_ptr(const_cast<unsigned char*>(a.byte_enables));
        trans.set_byte_enable_length(a.byte_enable_length);
        trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        socket->b_transport(trans, delay);
        if (address_after) *address_after = trans.get_address();
        if (dmi_allowed) *dmi_allowed = trans.is_dmi_allowed();
        return trans.get_response_status();
    }

    tlm::tlm_response_status write(uint64_t address, const void* data, unsigned int length,
                                   sc_core::sc_time& delay) {
        Access a;
        a.command = tlm::TLM_WRITE_COMMAND;
        a.address = address;
        a.data = static_cast<unsigned char*>(const_cast<void*>(data));
        a.length = length;
        return transport(a, delay);
    }
    tlm::tlm_response_status read(uint64_t address, void* data, unsigned int length,
                                  sc_core::sc_time& delay) {
        Access a;
        a.address = address;
        a.data = static_cast<unsigned char*>(data);
        a.length = length;
        return transport(a, delay);
    }
    tlm::tlm_response_status write32(uint64_t address, uint32_t value,
                                     sc_core::sc_time delay = sc_core::SC_ZERO_TIME) {
        return write(address, &value, 4, delay);
    }
    tlm::tlm_response_status write8(uint64_t address, uint8_t value) {
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        return write(address, &value, 1, delay);
    }
    // Reads a word; returns 0xdeadbeef on an error response (and the status through `status`).
    uint32_t read32(uint64_t address, tlm::tlm_response_status* status = nullptr,
                    sc_core::sc_time delay = sc_core::SC_ZERO_TIME) {
        uint32_t value = 0;
        const tlm::tlm_response_status s = read(address, &value, 4, delay);
        if (status) *status = s;
        return s == tlm::TLM_OK_RESPONSE ? value : 0xdeadbeefu;
    }

    unsigned int debug(tlm::tlm_command command, uint64_t address, void* data, unsigned int length) {
        tlm::tlm_generic_payload trans;
        trans.set_command(command);
        trans.set_address(address);
        trans.set_data_ptr(static_cast<unsigned char*>(data));
        trans.set_data_length(length);
        return socket->transport_dbg(trans);
    }

    bool dmi(uint64_t address, tlm::tlm_dmi& dmi_data, tlm::tlm_command command = tlm::TLM_READ_COMMAND) {
        tlm::tlm_generic_payload trans;
        trans.set_command(command);
        trans.set_address(address);
        dmi_data.init();
        return socket->get_direct_mem_ptr(trans, dmi_data);
    }
    // The same with `extension` on the request (taken off again: the caller owns it).
    template <class Ext>
    bool dmi(uint64_t address, tlm::tlm_dmi& dmi_data, tlm::tlm_command command, Ext* extension) {
        tlm::tlm_generic_payload trans;
        trans.set_command(command);
        trans.set_address(address);
        trans.set_extension(extension);
        dmi_data.init();
        const bool granted = socket->get_direct_mem_ptr(trans, dmi_data);
        trans.clear_extension(extension);
        return granted;
    }

  private:
    void run() {
        if (body) body();
        body_finished = true;
    }
    void invalidate(sc_dt::uint64 start, sc_dt::uint64 end) { invalidations.emplace_back(start, end); }
};

}  // namespace trainvp::test
