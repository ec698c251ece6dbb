// A training job checked against the accelerator before the simulation. Every descriptor the training
// runtime issues for the job (sw/driver/train_descs.c, built here on the host from the same source) is
// decoded and tile-planned by the accelerator's own rules (accel/accel_op.h decode_descriptor,
// accel/tile_plan.h tiles_fit). A descriptor the accelerator would refuse with an error makes the scenario
// fail with a message naming the layer and phase; for a buffer too small for every tile of a phase, the
// buffer, its size, the size it needs and the key to change, with where that key was set.
#pragma once

#include "accel/accel_config.h"
#include "config_schema.h"
#include "kernels/network.h"
#include "train_job_writer.h"

namespace trainvp {

// Throws UserError when the job does not fit the populated DRAM (naming ram.size), or for the first
// descriptor the accelerator configured by `accel` (accelerator_config: its DMA window is the DRAM) would
// refuse.
void check_train_job(const TrainJobImage& image, const kern::Network& net, const AcceleratorConfig& accel,
                     const ConfigSchema& schema);

// The training phase of an accelerator opcode: "forward", "backward_data", "weight_grad", "update", "loss"
// or "copy".
const char* opcode_phase(uint32_t opcode);

}  // namespace trainvp
