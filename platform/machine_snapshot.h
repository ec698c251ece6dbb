// A snapshot of the whole platform at an instruction boundary of the CPU, for checkpoints
// (docs/user-guide.md "Checkpoints and resuming"): the CPU and its runner's time bookkeeping, DRAM, and every
// device's state and statistics, one checkpoint section each. Taken inside a CpuRunner pause when the
// platform is quiescent (nothing in flight that the sections do not capture); restored into a platform
// built, loaded and prepared exactly as the saved one was, before the simulation starts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "checkpoint_file.h"
#include "platform.h"

namespace trainvp {

// DRAM bytes the resumed run writes itself before the simulation (the datasets of a training job): not
// stored, but their hash is, and a resumed run whose bytes there differ is refused.
struct RamRange {
    uint64_t offset = 0, length = 0;  // DRAM offsets
};

// True when the state the sections hold is all there is: the accelerator idle with an empty ring and its
// interrupt low, no interrupt pending at the CPU, no SystemC activity pending now or later. Else `why` says
// what is going on. Call inside a CpuRunner pause.
bool platform_quiescent(const Platform& soc, std::string& why);

// Hash of the DRAM bytes in `ranges`.
uint64_t ram_ranges_hash(const Memory& ram, const std::vector<RamRange>& ranges);

// Fills the sections "cpu", "ram", "clint", "plic", "uart", "simctrl" and "accel" (Checkpoint::slot, so a
// checkpoint object kept from the last save is reused). Inside a CpuRunner pause.
void save_platform(const Platform& soc, const std::vector<RamRange>& rebuilt, Checkpoint& ck);

// Restores those sections into `soc` before the simulation starts. The DRAM ranges must hold what they
// held when saved (UserError naming PATH otherwise). StateError/UserError for a damaged section.
void restore_platform(Platform& soc, const std::vector<RamRange>& rebuilt, const Checkpoint& ck,
                      const std::string& path);

}  // namespace trainvp
