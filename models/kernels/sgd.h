// The weight-update phase: W <- W - lr * dW with optional momentum and L2 weight decay, on a master copy
// in its own format, from which the working weights are re-rounded.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/kernel_types.h"

namespace trainvp::kern {

struct SgdParams {
    double lr = 0.1;
    double momentum = 0.0;
    double weight_decay = 0.0;  // applied to weights, not to biases (the caller passes 0 for biases)
    uint32_t batch = 1;         // the summed gradient is divided by this
};

// In double, per element i:
//   d = grad[i] / batch + weight_decay * master[i]
//   v[i] = round_master(momentum * v[i] + d)           (only when momentum != 0; then step = v[i])
//   master[i] = round_master(master[i] - lr * step)    (step = d without momentum)
//   weights[i] = quantize(master[i], weights format)
// round_master is "round to fp32, then num::quantize into the master format" with key master.key; the
// velocity uses velocity_key. `weights` may alias `master` when both formats are equal.
void sgd_update(size_t n, const float* grad, const Out& master, float* velocity,
                const num::SrKey& velocity_key, const Out& weights, const SgdParams& p);

}  // namespace trainvp::kern
