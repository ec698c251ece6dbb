// The resolved configuration of a TrainVP platform: the config structs of every model, plus run settings.
#pragma once

#include <string>

#include "accel/accel_config.h"
#include "bus/router.h"
#include "config_schema.h"
#include "cpu/cpu_config.h"
#include "energy_config.h"
#include "hw/memory_map.h"
#include "mem/memory.h"
#include "periph/clint.h"
#include "periph/uart.h"

namespace trainvp {

struct SimConfig {
    static constexpr ValueRange<double> kQuantumNs{1e-3, 1e9};  // 1 ps (the time resolution) .. 1 s

    double quantum_ns = 1000.0;  // global TLM quantum: how far an initiator may run ahead of SystemC time
    std::string max_time;        // "" = unlimited; else a duration such as "10s" (--max-sim-time overrides)

    // max_time in seconds, 0 for no limit. Throws FieldError for text that is not a duration, or a duration
    // that SystemC time cannot hold (more than 2^64 - 1 time-resolution units, below one unit).
    double max_time_s() const;
};

struct PlatformConfig {
    // DRAM holds at least the firmware area and fits the bus window; whole 4 KiB pages. Latencies up to 1 ms
    // and bandwidths up to 1 TB/s cover every memory and interconnect worth modelling.
    static constexpr ValueRange<uint64_t> kRamSizeBytes{TRAINVP_FW_SIZE, TRAINVP_DRAM_WINDOW};
    static constexpr uint64_t kRamSizeMultiple = 4096;
    static constexpr ValueRange<double> kLatencyNs{0.0, 1e6};
    static constexpr ValueRange<double> kBytesPerNs{0.0, 1e6};

    std::string name = "unnamed";
    std::string description;
    std::string firmware;  // ELF path; relative paths: scenario directory, then the build tree
    CpuConfig cpu;
    MemoryConfig ram;
    RouterConfig bus;
    UartConfig uart;
    ClintConfig clint;
    AcceleratorConfig accel;  // scenario section `hardware`
    SimConfig sim;
    EnergySettings energy;  // scenario section `energy` (docs/energy.md)

    // Every model's validate() and the platform's own limits; throws FieldError naming the field. Scenario
    // users go through check_platform_config(), which names the key instead.
    void validate() const;
};

// Registers every platform key of `cfg` in `schema`; sections owned by the training description are
// registered as foreign so the same file can hold both.
void register_platform_keys(ConfigSchema& schema, PlatformConfig& cfg);

// cfg.validate() with each failure reported against its scenario key and where the value came from
// (UserError "FILE:LINE: key 'hardware.dma.burst_bytes': must be a power of two, got 3000").
void check_platform_config(const PlatformConfig& cfg, const ConfigSchema& schema);

// The accelerator's configuration in the platform: the scenario's `hardware` keys with the DMA window set
// to the populated DRAM.
AcceleratorConfig accelerator_config(const PlatformConfig& cfg);

// A relative firmware path is tried against the scenario's directory, then the build tree that holds the
// running executable. Returns the absolute path of the first that exists, or "" (with the candidates tried
// in `looked_in`) when none does; an absolute path is returned as it is.
std::string find_firmware(const std::string& firmware, const std::string& scenario_path,
                          std::string* looked_in = nullptr);

}  // namespace trainvp
