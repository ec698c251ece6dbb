#include "platform_config.h"

#include <stdexcept>

#include "common/error.h"
#include "hw/memory_map.h"

namespace trainvp {

void register_platform_keys(ConfigSchema& s, PlatformConfig& c) {
    s.add("name", &c.name, "scenario name, shown in reports");
    s.add("description", &c.description, "free text");
    s.add("firmware", &c.firmware, "firmware ELF (relative: scenario directory, then the build tree)");

    s.add("cpu.clock_hz", &c.cpu.clock_hz, "host CPU clock in Hz", 1e3, 10e9);
    s.add("cpu.hart_id", &c.cpu.hart_id, "value of mhartid", 0, 0xffffffffu);
    s.add("cpu.dmi", &c.cpu.dmi,
          "use direct memory interface for RAM (fast); false = every access on the bus");
    s.add("cpu.cycles.alu", &c.cpu.cycles.alu, "cycles per ALU instruction", 1, 1000);
    s.add("cpu.cycles.mul", &c.cpu.cycles.mul, "cycles per multiply", 1, 1000);
    s.add("cpu.cycles.div", &c.cpu.cycles.div, "cycles per divide or remainder", 1, 1000);
    s.add("cpu.cycles.load", &c.cpu.cycles.load, "cycles per load (plus bus latency off DMI)", 1, 1000);
    s.add("cpu.cycles.store", &c.cpu.cycles.store, "cycles per store (plus bus latency off DMI)", 1, 1000);
    s.add("cpu.cycles.branch_taken", &c.cpu.cycles.branch_taken, "cycles per taken branch", 1, 1000);
    s.add("cpu.cycles.branch_not_taken", &c.cpu.cycles.branch_not_taken, "cycles per branch not taken", 1,
          1000);
    s.add("cpu.cycles.jump", &c.cpu.cycles.jump, "cycles per jal/jalr", 1, 1000);
    s.add("cpu.cycles.csr", &c.cpu.cycles.csr, "cycles per CSR instruction", 1, 1000);
    s.add("cpu.cycles.system", &c.cpu.cycles.system, "cycles per trap entry, mret, ecall, ebreak, fence.i", 1,
          1000);
    s.add("cpu.cycles.atomic", &c.cpu.cycles.atomic, "cycles per LR/SC/AMO", 1, 1000);

    s.add("ram.size", &c.ram.size_bytes, "populated DRAM at TRAINVP_DRAM_BASE (size suffixes allowed)",
          TRAINVP_FW_SIZE, TRAINVP_DRAM_WINDOW, true);
    s.add("ram.read_latency_ns", &c.ram.read_latency_ns, "DRAM read latency per transaction", 0, 1e6);
    s.add("ram.write_latency_ns", &c.ram.write_latency_ns, "DRAM write latency per transaction", 0, 1e6);
    s.add("ram.bytes_per_ns", &c.ram.bytes_per_ns, "DRAM bandwidth in bytes/ns (GB/s); 0 = unlimited", 0,
          1e6);
    s.add("ram.dmi", &c.ram.dmi, "grant direct memory access to initiators");

    s.add("bus.hop_latency_ns", &c.bus.hop_latency_ns, "latency the interconnect adds to every transaction",
          0, 1e6);
    s.add("uart.output", &c.uart.output, "where UART TX goes: '-' for stdout, else a file path");
    s.add("clint.timebase_hz", &c.clint.timebase_hz, "mtime frequency in Hz", 1, 10e9);
    s.add("sim.quantum_ns", &c.sim.quantum_ns, "global TLM quantum (temporal decoupling) in ns", 1e-3, 1e9);
    s.add("sim.max_time", &c.sim.max_time, "stop after this much simulated time, e.g. 10s ('' = no limit)");

    // Read by the training description (network, training, data) and the accelerator (hardware).
    s.add_foreign("network");
    s.add_foreign("training");
    s.add_foreign("data");
    s.add_foreign("hardware");
}

void PlatformConfig::validate() const {
    auto check = [](const char* key, auto&& fn) {
        try {
            fn();
        } catch (const std::invalid_argument& e) {
            throw UserError(std::string("configuration '") + key + "': " + e.what());
        }
    };
    check("cpu", [&] { cpu.validate(); });
    check("ram", [&] { ram.validate(); });
    if (ram.size_bytes % 4096 != 0) throw UserError("configuration 'ram.size': must be a multiple of 4 KiB");
}

}  // namespace trainvp
