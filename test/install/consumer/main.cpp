// Out-of-tree co-simulation smoke test: our own initiator drives TrainVP's Router and Memory, installed
// as a library, through standard TLM-2.0 sockets.
#include <cstdio>
#include <cstring>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "bus/router.h"
#include "hw/memory_map.h"
#include "mem/memory.h"

struct Tester : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<Tester> out{"out"};
    int failures = 0;

    explicit Tester(const sc_core::sc_module_name& name) : sc_module(name) { SC_THREAD(run); }
    SC_HAS_PROCESS(Tester);

    tlm::tlm_response_status access(tlm::tlm_command cmd, uint64_t addr, uint32_t& value) {
        tlm::tlm_generic_payload trans;
        trans.set_command(cmd);
        trans.set_address(addr);
        trans.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
        trans.set_data_length(4);
        trans.set_streaming_width(4);
        sc_core::sc_time delay;
        out->b_transport(trans, delay);
        return trans.get_response_status();
    }

    void run() {
        uint32_t v = 0x12345678;
        if (access(tlm::TLM_WRITE_COMMAND, TRAINVP_DRAM_BASE + 0x100, v) != tlm::TLM_OK_RESPONSE) ++failures;
        uint32_t r = 0;
        if (access(tlm::TLM_READ_COMMAND, TRAINVP_DRAM_BASE + 0x100, r) != tlm::TLM_OK_RESPONSE || r != v) ++failures;
        if (access(tlm::TLM_READ_COMMAND, 0x4000'0000, r) != tlm::TLM_ADDRESS_ERROR_RESPONSE) ++failures;
    }
};

int sc_main(int, char*[]) {
    trainvp::MemoryConfig mem_cfg;
    mem_cfg.size_bytes = 1 << 20;
    trainvp::Memory ram("ram", mem_cfg);
    trainvp::Router bus("bus");
    Tester tester("tester");
    tester.out.bind(bus.bus_in);
    bus.map(ram.bus_in, {TRAINVP_DRAM_BASE, mem_cfg.size_bytes}, "dram");
    sc_core::sc_start();
    std::printf("consumer: %d failures\n", tester.failures);
    return tester.failures == 0 ? 0 : 1;
}
