// The resolved configuration of a TrainVP platform: the config structs of every model, plus run settings.
#pragma once

#include <string>

#include "accel/accel_config.h"
#include "bus/router.h"
#include "config_schema.h"
#include "cpu/cpu_config.h"
#include "mem/memory.h"
#include "periph/clint.h"
#include "periph/uart.h"

namespace trainvp {

struct SimConfig {
    double quantum_ns = 1000.0;  // global TLM quantum: how far an initiator may run ahead of SystemC time
    std::string max_time;        // "" = unlimited; else a duration such as "10s" (--max-sim-time overrides)
};

struct PlatformConfig {
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

    // Cross-field checks after every key is read; throws UserError naming the key.
    void validate() const;
};

// Registers every platform key of `cfg` in `schema`; sections owned by the training description are
// registered as foreign so the same file can hold both.
void register_platform_keys(ConfigSchema& schema, PlatformConfig& cfg);

}  // namespace trainvp
