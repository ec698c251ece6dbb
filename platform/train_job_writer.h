// The platform side of the training job (platform/hw/train_job.h): lays out DRAM above TRAIN_JOB_BASE,
// writes the job, the converted datasets and the initial parameters, and reads the results, the per-step
// losses and the final parameters back after the run. Host accesses only (Memory::read/write): no timing,
// no side effects on the simulation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hw/train_job.h"
#include "kernels/trainer.h"
#include "mem/memory.h"
#include "numerics/format.h"

namespace trainvp {

constexpr uint32_t kTrainRingEntries = 256;  // descriptor ring offered to the firmware (40 KiB)

struct TrainJobImage {
    train_job job{};
    uint64_t end = 0;  // first bus address after everything the job points at
    // Bytes by kind, for the report.
    uint64_t dataset_bytes = 0, parameter_bytes = 0, buffer_bytes = 0;
};

// The ACCEL_FMT code of a format; UserError naming `what` and the format when it has none.
uint16_t train_format_code(const num::Format& fmt, const std::string& what);

// The layout of the job for `trainer`'s network (its batch, epochs, formats) and datasets of the given
// sizes: every address and field of the job, nothing written. Throws UserError for a network the job cannot
// describe (more than TRAIN_JOB_MAX_LAYERS layers or epochs, a dimension beyond the job's field widths).
TrainJobImage plan_train_job(const kern::Trainer& trainer, uint32_t train_count, uint32_t test_count,
                             uint32_t ring_entries = kTrainRingEntries);

// Plans the job, checks that it fits the populated DRAM (UserError naming `ram.size` and the size needed),
// then writes the job at TRAIN_JOB_BASE, the images converted exactly as Trainer::load_image does and packed
// in the input format, the labels, the parameters of `trainer`'s network in their storage formats (working,
// master, zero velocity when momentum != 0), and zeroes the results area and the step-loss array.
TrainJobImage write_train_job(Memory& ram, const kern::Trainer& trainer, const kern::DataView& train,
                              const kern::DataView& test, uint32_t ring_entries = kTrainRingEntries);

// The results area as the firmware left it.
train_results read_train_results(const Memory& ram, const train_job& job);
// The first `steps` entries of the step-loss array (each the loss summed over that step's batch).
std::vector<double> read_step_losses(const Memory& ram, const train_job& job, uint32_t steps);
// Replaces the working and master values (and the velocity when the job has momentum) of every parameter
// of `net` with the tensors at the job's addresses, decoded from their formats.
void read_parameters(const Memory& ram, const train_job& job, kern::Network& net);

}  // namespace trainvp
