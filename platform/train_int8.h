// int8 training with tracked per-tensor scales on the platform (docs/numerics.md "8-bit training"): the
// job's format codes of a tracked tensor are its current format, which the training firmware rewrites
// after every step (sw/include/trainvp/train_scales.h); the platform checks the network before the run and
// reads the final scales back from the job in DRAM.
#pragma once

#include <string>

#include "hw/train_job.h"
#include "kernels/network.h"
#include "mem/memory.h"

namespace trainvp {

// The firmware takes an int8 role it can track (every role of conv and fc, a norm layer's activations and
// errors, an add layer's activations: kern::Layer::tracked) for a tracked one: those int8 roles must be
// exactly the network's tracked ones (the trainer refuses int8 with a fixed scale, so this holds for every
// scenario), in chains and graphs alike. UserError naming the layer and role otherwise.
void check_tracked_int8(const kern::Network& net);

// Sets the scale of every tracked tensor of `net` from the job's format codes in DRAM (at TRAIN_JOB_BASE),
// as the firmware left them. No effect on a network without tracked scales.
void read_int8_scales(const Memory& ram, kern::Network& net);

// "" when every tracked tensor has the same scale in both networks, else the first difference.
std::string first_scale_difference(const kern::Network& platform, const kern::Network& golden);

}  // namespace trainvp
