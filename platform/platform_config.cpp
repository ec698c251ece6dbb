#include "platform_config.h"

#include <stdexcept>

#include "common/error.h"
#include "hw/memory_map.h"

namespace trainvp {

namespace {

void register_sram_keys(ConfigSchema& s, const std::string& prefix, SramConfig& b, const char* what) {
    s.add(prefix + ".size", &b.capacity_bytes, std::string("capacity of the ") + what, 64, 1ull << 30, true);
    s.add(prefix + ".banks", &b.banks, "independently addressed banks", 1, 1024);
    s.add(prefix + ".word_bytes", &b.word_bytes, "width of one bank access in bytes", 1, 1024);
    s.add(prefix + ".ports", &b.ports, "accesses per bank per cycle", 1, 16);
    s.add(prefix + ".latency_cycles", &b.latency_cycles, "access latency in accelerator cycles", 0, 1024);
}

void register_accelerator_keys(ConfigSchema& s, AcceleratorConfig& a) {
    s.add("hardware.array.rows", &a.rows, "PE array rows", 1, 1024);
    s.add("hardware.array.cols", &a.cols, "PE array columns", 1, 1024);
    s.add(
        "hardware.array.dataflow", "os (output stationary), ws (weight stationary) or is (input stationary)",
        [&a](const std::string& t) {
            if (!parse_dataflow(t, a.dataflow)) throw std::invalid_argument("expected os, ws or is");
        },
        [&a] { return std::string(dataflow_name(a.dataflow)); });
    s.add("hardware.clock_hz", &a.clock_hz, "accelerator clock in Hz", 1e3, 10e9);
    s.add(
        "hardware.fidelity", "analytic (closed-form array timing) or cycle (cycle-stepped array, slow)",
        [&a](const std::string& t) {
            if (!parse_fidelity(t, a.fidelity)) throw std::invalid_argument("expected analytic or cycle");
        },
        [&a] { return std::string(fidelity_name(a.fidelity)); });
    s.add("hardware.double_buffering", &a.double_buffering,
          "overlap the DMA of the next tile with this tile's compute");
    register_sram_keys(s, "hardware.weight_buffer", a.weight_buffer, "weight buffer");
    register_sram_keys(s, "hardware.activation_buffer", a.activation_buffer, "activation buffer");
    register_sram_keys(s, "hardware.gradient_buffer", a.gradient_buffer, "gradient buffer");
    s.add("hardware.dma.burst_bytes", &a.dma.burst_bytes,
          "largest DMA bus transaction in bytes (power of two)", 4, 1u << 16);
    s.add("hardware.interconnect.width_bytes", &a.interconnect.width_bytes,
          "bytes per accelerator cycle between the DMA, buffers, PE array and vector unit (power of two)", 1,
          4096);
    s.add("hardware.interconnect.latency_cycles", &a.interconnect.latency_cycles,
          "interconnect latency per transfer in accelerator cycles", 0, 1024);
    s.add("hardware.dma.max_outstanding", &a.dma.max_outstanding, "DMA bursts whose latencies may overlap", 1,
          256);
#define TRAINVP_TIMING_PARAM_KEY(name, value, unit, source) \
    s.add("hardware.timing." #name, &a.timing.name, unit, 0, 0xffffffffu);
    TRAINVP_ACCEL_TIMING_PARAMS(TRAINVP_TIMING_PARAM_KEY)
#undef TRAINVP_TIMING_PARAM_KEY
}

}  // namespace

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

    register_accelerator_keys(s, c.accel);

    // Read by the training description (network, training, data) and the accelerator (hardware).
    s.add_foreign("network");
    s.add_foreign("training");
    s.add_foreign("data");
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
    check("hardware", [&] { accel.validate(); });
    if (ram.size_bytes % 4096 != 0) throw UserError("configuration 'ram.size': must be a multiple of 4 KiB");
}

}  // namespace trainvp
