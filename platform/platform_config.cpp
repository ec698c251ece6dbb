#include "platform_config.h"

#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <systemc>

#include "common/error.h"
#include "kernels/gemm.h"

namespace trainvp {

namespace {

namespace fs = std::filesystem;

void register_sram_keys(ConfigSchema& s, const std::string& prefix, SramConfig& b, const char* what) {
    s.add(prefix + ".size", &b.capacity_bytes,
          std::string("capacity of the ") + what + " (a multiple of banks x word_bytes)",
          SramConfig::kCapacityBytes, true);
    s.add(prefix + ".banks", &b.banks, "independently addressed banks", SramConfig::kBanks);
    s.add(prefix + ".word_bytes", &b.word_bytes, "width of one bank access in bytes (a power of two)",
          SramConfig::kWordBytes);
    s.add(prefix + ".ports", &b.ports, "accesses per bank per cycle", SramConfig::kPorts);
    s.add(prefix + ".latency_cycles", &b.latency_cycles, "access latency in accelerator cycles",
          SramConfig::kLatencyCycles);
}

void register_accelerator_keys(ConfigSchema& s, AcceleratorConfig& a) {
    s.add("hardware.array.rows", &a.rows, "PE array rows", AcceleratorConfig::kArrayDim);
    s.add("hardware.array.cols", &a.cols, "PE array columns", AcceleratorConfig::kArrayDim);
    s.add(
        "hardware.array.dataflow", "os (output stationary), ws (weight stationary) or is (input stationary)",
        [&a](const std::string& t) {
            if (!parse_dataflow(t, a.dataflow)) throw std::invalid_argument("expected os, ws or is");
        },
        [&a] { return std::string(dataflow_name(a.dataflow)); }, &a.dataflow);
    s.add(
        "hardware.array.model",
        "native (C++ kernels) or rtl (the Verilated systolic array computes the GEMM tiles; fixed point "
        "only)",
        [&a](const std::string& t) {
            if (!parse_array_model(t, a.array_model)) throw std::invalid_argument("expected native or rtl");
        },
        [&a] { return std::string(array_model_name(a.array_model)); }, &a.array_model);
    s.add("hardware.array.skip_stride_zeros", &a.skip_stride_zeros,
          "skip the zeros of the dilated error map in the backward-data and weight-gradient passes of "
          "stride > 1 convolutions (false: a dense array streams them)");
    s.add(
        "hardware.array.pe.kind",
        "uniform (one product per cycle, any formats) or bricks (NeuroFlix-style brick PE: throughput by "
        "format)",
        [&a](const std::string& t) {
            if (!kern::parse_mac_arith(t, a.pe.kind))
                throw std::invalid_argument("expected uniform or bricks");
        },
        [&a] { return std::string(kern::mac_arith_name(a.pe.kind)); }, &a.pe.kind);
    s.add("hardware.array.pe.brick_bits", &a.pe.brick_bits, "operand bits of one brick multiplier (b x b)",
          timing::PeConfig::kBrickBits);
    s.add("hardware.array.pe.bricks", &a.pe.bricks, "brick multipliers per PE", timing::PeConfig::kBricks);
    s.add(
        "hardware.array.pe.float_max",
        "widest float operand of the brick PE (fp16, fp8e4m3 or fp8e5m2): its exponent range sets the "
        "alignment",
        [&a](const std::string& t) { a.pe.float_max = num::Format::parse(t); },
        [&a] { return a.pe.float_max.to_string(); }, &a.pe.float_max);
    s.add("hardware.array.pe.brick_acc_bits", &a.pe.brick_acc_bits,
          "width of each brick's separate accumulator in bits", timing::PeConfig::kBrickAccBits);
    s.add("hardware.clock_hz", &a.clock_hz, "accelerator clock in Hz", AcceleratorConfig::kClockHz);
    s.add("hardware.sparse_engine.clock_hz", &a.sparse_clock_hz,
          "clock of the sparse junction-pipelined engine in Hz (docs/sparse.md)",
          AcceleratorConfig::kClockHz);
    s.add(
        "hardware.fidelity", "analytic (closed-form array timing) or cycle (cycle-stepped array, slow)",
        [&a](const std::string& t) {
            if (!parse_fidelity(t, a.fidelity)) throw std::invalid_argument("expected analytic or cycle");
        },
        [&a] { return std::string(fidelity_name(a.fidelity)); }, &a.fidelity);
    s.add("hardware.double_buffering", &a.double_buffering,
          "overlap the DMA of the next tile with this tile's compute");
    register_sram_keys(s, "hardware.weight_buffer", a.weight_buffer, "weight buffer");
    register_sram_keys(s, "hardware.activation_buffer", a.activation_buffer, "activation buffer");
    register_sram_keys(s, "hardware.gradient_buffer", a.gradient_buffer, "gradient buffer");
    s.add("hardware.dma.burst_bytes", &a.dma.burst_bytes,
          "largest DMA bus transaction in bytes (power of two)", DmaConfig::kBurstBytes);
    s.add("hardware.dma.max_outstanding", &a.dma.max_outstanding, "DMA bursts whose latencies may overlap",
          DmaConfig::kMaxOutstanding);
    s.add("hardware.dma.dmi", &a.dma.dmi,
          "copy DMA bursts through the DRAM's direct memory pointer when it states its burst timing (fast, "
          "same timing); false = every burst on the bus");
    s.add("hardware.interconnect.width_bytes", &a.interconnect.width_bytes,
          "bytes per accelerator cycle between the DMA, buffers, PE array and vector unit (power of two)",
          InterconnectConfig::kWidthBytes);
    s.add("hardware.interconnect.latency_cycles", &a.interconnect.latency_cycles,
          "interconnect latency per transfer in accelerator cycles", InterconnectConfig::kLatencyCycles);
    s.add(
        "hardware.timing.model",
        "native (TrainVP's array model) or scalesim (SCALE-Sim v2's compute cycles per GEMM tile)",
        [&a](const std::string& t) {
            if (!parse_timing_model(t, a.timing_model))
                throw std::invalid_argument("expected native or scalesim");
        },
        [&a] { return std::string(timing_model_name(a.timing_model)); }, &a.timing_model);
#define TRAINVP_TIMING_PARAM_KEY(name, value, min, max, unit, source) \
    s.add("hardware.timing." #name, &a.timing.name, unit, ValueRange<uint32_t>{min, max});
    TRAINVP_ACCEL_TIMING_PARAMS(TRAINVP_TIMING_PARAM_KEY)
#undef TRAINVP_TIMING_PARAM_KEY
}

// Seconds of a sim.max_time text, or -1 with the reason.
double sim_time_seconds(const std::string& text, std::string& why) {
    double seconds = 0.0;
    if (!parse_duration(text, seconds, why)) return -1;
    // sc_time counts whole resolution units in 64 bits.
    const sc_core::sc_time resolution = sc_core::sc_get_time_resolution();
    const double longest_s = sc_core::sc_max_time().to_seconds();
    if (seconds > longest_s) {
        why = "longer than SystemC time can count: at most " + value_text(std::floor(longest_s)) +
              " s (2^64 - 1 steps of the " + resolution.to_string() + " time resolution, about " +
              std::to_string(static_cast<int>(longest_s / 86400)) + " days)";
        return -1;
    }
    if (seconds > 0 && seconds < resolution.to_seconds()) {
        why = "shorter than the " + resolution.to_string() + " time resolution";
        return -1;
    }
    return seconds;
}

}  // namespace

double SimConfig::max_time_s() const {
    if (max_time.empty()) return 0.0;
    std::string why;
    const double seconds = sim_time_seconds(max_time, why);
    if (seconds < 0) throw FieldError({&max_time}, "sim.max_time", "'" + max_time + "': " + why);
    return seconds;
}

void register_platform_keys(ConfigSchema& s, PlatformConfig& c) {
    s.add("name", &c.name, "scenario name, shown in reports");
    s.add("description", &c.description, "free text");
    s.add("firmware", &c.firmware, "firmware ELF (relative: scenario directory, then the build tree)");

    s.add("cpu.clock_hz", &c.cpu.clock_hz, "host CPU clock in Hz", CpuConfig::kClockHz);
    s.add("cpu.hart_id", &c.cpu.hart_id, "value of mhartid", ValueRange<uint32_t>{0, 0xffffffffu});
    s.add("cpu.dmi", &c.cpu.dmi,
          "use direct memory interface for RAM (fast); false = every access on the bus");
    const struct {
        const char* name;
        unsigned* field;
        const char* help;
    } cycles[] = {{"alu", &c.cpu.cycles.alu, "cycles per ALU instruction"},
                  {"mul", &c.cpu.cycles.mul, "cycles per multiply"},
                  {"div", &c.cpu.cycles.div, "cycles per divide or remainder"},
                  {"load", &c.cpu.cycles.load, "cycles per load (plus bus latency off DMI)"},
                  {"store", &c.cpu.cycles.store, "cycles per store (plus bus latency off DMI)"},
                  {"branch_taken", &c.cpu.cycles.branch_taken, "cycles per taken branch"},
                  {"branch_not_taken", &c.cpu.cycles.branch_not_taken, "cycles per branch not taken"},
                  {"jump", &c.cpu.cycles.jump, "cycles per jal/jalr"},
                  {"csr", &c.cpu.cycles.csr, "cycles per CSR instruction"},
                  {"system", &c.cpu.cycles.system, "cycles per trap entry, mret, ecall, ebreak, fence.i"},
                  {"atomic", &c.cpu.cycles.atomic, "cycles per LR/SC/AMO"}};
    for (const auto& k : cycles)
        s.add(std::string("cpu.cycles.") + k.name, k.field, k.help, CpuConfig::kCycles);

    s.add("ram.size", &c.ram.size_bytes,
          "populated DRAM at TRAINVP_DRAM_BASE (size suffixes allowed; whole 4 KiB pages)",
          PlatformConfig::kRamSizeBytes, true);
    s.add("ram.read_latency_ns", &c.ram.read_latency_ns, "DRAM read latency per transaction",
          PlatformConfig::kLatencyNs);
    s.add("ram.write_latency_ns", &c.ram.write_latency_ns, "DRAM write latency per transaction",
          PlatformConfig::kLatencyNs);
    s.add("ram.bytes_per_ns", &c.ram.bytes_per_ns, "DRAM bandwidth in bytes/ns (GB/s); 0 = unlimited",
          PlatformConfig::kBytesPerNs);
    s.add("ram.dmi", &c.ram.dmi, "grant direct memory access to initiators");

    s.add("bus.hop_latency_ns", &c.bus.hop_latency_ns, "latency the interconnect adds to every transaction",
          PlatformConfig::kLatencyNs);
    s.add("uart.output", &c.uart.output, "where UART TX goes: '-' for stdout, else a file path");
    s.add("clint.timebase_hz", &c.clint.timebase_hz, "mtime frequency in Hz (a whole number)",
          ClintConfig::kTimebaseHz);
    s.add("sim.quantum_ns", &c.sim.quantum_ns, "global TLM quantum (temporal decoupling) in ns",
          SimConfig::kQuantumNs);
    s.add(
        "sim.max_time", "stop after this much simulated time, e.g. 10s ('' = no limit)",
        [&c](const std::string& t) {
            std::string why;
            if (!t.empty() && sim_time_seconds(t, why) < 0) throw std::invalid_argument(why);
            c.sim.max_time = t;
        },
        [&c] { return c.sim.max_time; }, &c.sim.max_time);

    register_accelerator_keys(s, c.accel);
    register_energy_keys(s, c.energy);

    // Read by the training description (network, training, data).
    s.add_foreign("network");
    s.add_foreign("training");
    s.add_foreign("data");
}

void PlatformConfig::validate() const {
    cpu.validate();
    check_range(ram.size_bytes, "ram.size_bytes", kRamSizeBytes);
    if (ram.size_bytes % kRamSizeMultiple != 0)
        throw FieldError({&ram.size_bytes}, "ram.size_bytes",
                         std::to_string(ram.size_bytes) + " B is not a whole number of 4 KiB pages");
    check_range(ram.read_latency_ns, "ram.read_latency_ns", kLatencyNs);
    check_range(ram.write_latency_ns, "ram.write_latency_ns", kLatencyNs);
    check_range(ram.bytes_per_ns, "ram.bytes_per_ns", kBytesPerNs);
    ram.validate();
    check_range(bus.hop_latency_ns, "bus.hop_latency_ns", kLatencyNs);
    bus.validate();
    uart.validate();
    clint.validate();
    check_range(sim.quantum_ns, "sim.quantum_ns", SimConfig::kQuantumNs);
    sim.max_time_s();
    accelerator_config(*this).validate();
}

void check_platform_config(const PlatformConfig& cfg, const ConfigSchema& schema) {
    // The accelerator is validated as the platform builds it (DMA window set), but its fields must be the
    // ones the schema bound: validate the scenario's struct for them, then the DMA window.
    schema.check([&] {
        cfg.accel.validate();
        cfg.validate();
    });
    check_energy_config(cfg.energy, accelerator_config(cfg), schema);
}

AcceleratorConfig accelerator_config(const PlatformConfig& cfg) {
    // The accelerator may address exactly the populated DRAM.
    AcceleratorConfig a = cfg.accel;
    a.dram_base = TRAINVP_DRAM_BASE;
    a.dram_size = cfg.ram.size_bytes;
    return a;
}

std::string find_firmware(const std::string& firmware, const std::string& scenario_path,
                          std::string* looked_in) {
    const fs::path fw(firmware);
    if (fw.is_absolute()) return firmware;
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    const fs::path candidates[] = {fs::path(scenario_path).parent_path() / fw,
                                   (ec ? fs::path() : self.parent_path()) / fw};
    for (const auto& c : candidates)
        if (fs::is_regular_file(c, ec)) return fs::absolute(c, ec).lexically_normal().string();
    if (looked_in)
        *looked_in =
            candidates[0].lexically_normal().string() + " and " + candidates[1].lexically_normal().string();
    return "";
}

}  // namespace trainvp
