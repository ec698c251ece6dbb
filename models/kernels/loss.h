// Softmax with cross-entropy: loss value and the output error dL/dz = softmax(z) - onehot(label) per sample.
// The error is per sample (not divided by the batch size); the update divides the summed weight gradient
// by the batch size instead (sgd.h), which keeps error magnitudes independent of the batch size.
#pragma once

#include <cstdint>

#include "kernels/kernel_types.h"

namespace trainvp::kern {

struct LossResult {
    double loss_sum = 0.0;  // sum over the batch of -log softmax(z)[label]
    uint32_t correct = 0;   // samples whose first maximal logit is the label
};

// logits N x classes. Computed in double: m = max z, e = exp(z - m), p = e / sum e, loss = log(sum e) -
// (z_label - m); g[n][j] = round(p_j - [j == label]) into g.fmt. g.data may be null (evaluation).
LossResult softmax_cross_entropy(uint32_t batch, uint32_t classes, const float* logits, const uint8_t* labels,
                                 const Out& g);
// The same for a group of samples continuing a batch: adds each sample's loss to `running` in sample order
// (so groups in ascending order give the whole batch's loss_sum bit for bit) and counts its correct ones.
// g.index_base is the tensor index of the group's first error element.
void softmax_cross_entropy_rows(uint32_t rows, uint32_t classes, const float* logits, const uint8_t* labels,
                                const Out& g, LossResult& running);

}  // namespace trainvp::kern
