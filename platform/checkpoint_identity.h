// What makes a checkpoint valid for a run (checkpoint_file.h CheckpointIdentity): hashes of the resolved
// scenario, the firmware and the data. Only what changes results counts: the scenario's name, description
// and firmware path, the console destination (uart.output), the time limit (sim.max_time) and the DMA's DMI
// switch (hardware.dma.dmi) do not, nor where the data files lie; their contents do.
#pragma once

#include <cstdint>
#include <string>

#include "config_schema.h"
#include "kernels/dataset.h"
#include "mem/elf_loader.h"
#include "training_config.h"

namespace trainvp {

// The resolved training description (network with resolved formats, training, data kind and limits) as
// text: equal for scenarios that train the same way however they are written.
std::string training_identity_text(const TrainingScenario& scenario);
// The resolved platform configuration without the keys above, as YAML text.
std::string platform_identity_text(const ConfigSchema& schema);

uint64_t run_config_hash(const ConfigSchema& schema, const TrainingScenario& scenario);
uint64_t golden_config_hash(const TrainingScenario& scenario);
// The loaded image: every PT_LOAD segment's address, size and bytes, and the entry point. Sections that
// are not loaded (symbols, debug information) do not count.
uint64_t firmware_hash(const ElfImage& image);
// The images and labels of both sets as loaded (before any format conversion).
uint64_t datasets_hash(const Dataset& train, const Dataset& test);

}  // namespace trainvp
