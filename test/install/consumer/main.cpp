// Out-of-tree co-simulation test against the installed TrainVP package: this program's own TLM initiator
// (no CPU) drives TrainVP's Router, Memory and Accelerator through standard TLM-2.0 sockets. It writes an
// fp32 fully connected layer and one descriptor into memory, rings the doorbell, waits for the interrupt and
// checks y = W x + b.
#include <cstdio>
#include <cstring>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "accel/accel_desc.h"
#include "accel/accel_regs.h"
#include "accel/accelerator.h"
#include "bus/router.h"
#include "mem/memory.h"

namespace {
constexpr uint64_t kRamBase = 0x8000'0000, kRegsBase = 0x1001'0000;
constexpr uint32_t kRing = 0x8000'0000, kX = 0x8000'1000, kW = 0x8000'2000, kB = 0x8000'3000, kY = 0x8000'4000;
}  // namespace

struct Host : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<Host> out{"out"};
    sc_core::sc_in<bool> irq{"irq"};
    int failures = 0;

    explicit Host(const sc_core::sc_module_name& name) : sc_module(name) { SC_THREAD(run); }
    SC_HAS_PROCESS(Host);

    void write(uint64_t addr, const void* data, unsigned len) {
        tlm::tlm_generic_payload t;
        t.set_command(tlm::TLM_WRITE_COMMAND);
        t.set_address(addr);
        t.set_data_ptr(static_cast<unsigned char*>(const_cast<void*>(data)));
        t.set_data_length(len);
        t.set_streaming_width(len);
        sc_core::sc_time delay;
        out->b_transport(t, delay);
        if (t.is_response_error()) ++failures;
    }
    void read(uint64_t addr, void* data, unsigned len) {
        tlm::tlm_generic_payload t;
        t.set_command(tlm::TLM_READ_COMMAND);
        t.set_address(addr);
        t.set_data_ptr(static_cast<unsigned char*>(data));
        t.set_data_length(len);
        t.set_streaming_width(len);
        sc_core::sc_time delay;
        out->b_transport(t, delay);
        if (t.is_response_error()) ++failures;
    }
    void reg(uint32_t offset, uint32_t value) { write(kRegsBase + offset, &value, 4); }

    void run() {
        const float x[2] = {1.0f, 2.0f}, w[6] = {1, 2, 3, 4, 5, 6}, b[3] = {0.5f, -1.0f, 2.0f};
        write(kX, x, sizeof x);
        write(kW, w, sizeof w);
        write(kB, b, sizeof b);
        accel_desc d;
        std::memset(&d, 0, sizeof d);
        d.opcode = ACCEL_OP_FC_FWD;
        d.flags = ACCEL_FLAG_IRQ_ON_DONE | ACCEL_FLAG_HAS_BIAS;
        d.batch = 1;
        d.fc_in = 2;
        d.fc_out = 3;
        d.addr_x = kX;
        d.addr_w = kW;
        d.addr_b = kB;
        d.addr_y = kY;
        write(kRing, &d, sizeof d);
        reg(ACCEL_REG_RING_BASE, kRing);
        reg(ACCEL_REG_RING_SIZE, 4);
        reg(ACCEL_REG_IRQ_ENABLE, ACCEL_IRQ_DONE | ACCEL_IRQ_ERROR);
        reg(ACCEL_REG_DOORBELL, 1);
        if (!irq.read()) wait(irq.posedge_event());
        uint32_t status = 0;
        read(kRegsBase + ACCEL_REG_IRQ_STATUS, &status, 4);
        if (status != ACCEL_IRQ_DONE) ++failures;
        float y[3] = {};
        read(kY, y, sizeof y);
        const float expect[3] = {1 * 1 + 2 * 2 + 0.5f, 3 * 1 + 4 * 2 - 1.0f, 5 * 1 + 6 * 2 + 2.0f};
        for (int i = 0; i < 3; ++i)
            if (y[i] != expect[i]) ++failures;
        std::printf("consumer: y = %g %g %g at %s\n", y[0], y[1], y[2], sc_core::sc_time_stamp().to_string().c_str());
    }
};

int sc_main(int, char*[]) {
    trainvp::MemoryConfig mem_cfg;
    mem_cfg.size_bytes = 1 << 20;
    trainvp::Memory ram("ram", mem_cfg);
    trainvp::AcceleratorConfig accel_cfg;
    accel_cfg.dram_base = kRamBase;
    accel_cfg.dram_size = mem_cfg.size_bytes;
    trainvp::Accelerator accel("accel", accel_cfg);
    trainvp::Router bus("bus");
    Host host("host");
    sc_core::sc_signal<bool> irq("irq");
    host.out.bind(bus.bus_in);
    accel.dma_out.bind(bus.bus_in);
    accel.irq.bind(irq);
    host.irq.bind(irq);
    bus.map(accel.regs_in, {kRegsBase, 0x1000}, "accel");
    bus.map(ram.bus_in, {kRamBase, mem_cfg.size_bytes}, "dram");
    sc_core::sc_start();
    std::printf("consumer: %d failures\n", host.failures);
    return host.failures == 0 ? 0 : 1;
}
