// `hardware.array.model`: which module computes the PE array's GEMM tiles (accel_config.h ArrayModel). The
// platform's AcceleratorParts for it, and the check before simulation that the RTL array can run the
// scenario's array size and every GEMM operand format.
#pragma once

#include "accel/accelerator.h"
#include "config_schema.h"
#include "kernels/network.h"

namespace trainvp {

// Empty parts for `native`; the RTL PE array for `rtl` (throws UserError in a build without Verilator).
AcceleratorParts accelerator_parts(const AcceleratorConfig& config);

// Throws UserError naming hardware.array.model's place in the scenario when `rtl` cannot run this array size
// or one of the network's GEMM operand formats (weights, activations and errors of conv and fc layers, and
// the input); nothing for `native`.
void check_array_model(const AcceleratorConfig& config, const kern::Network& net, const ConfigSchema& schema);

}  // namespace trainvp
