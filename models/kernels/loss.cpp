#include "kernels/loss.h"

#include <cmath>

#include "kernels/gemm.h"

namespace trainvp::kern {

LossResult softmax_cross_entropy(uint32_t batch, uint32_t classes, const float* logits, const uint8_t* labels,
                                 const Out& g) {
    LossResult r;
    softmax_cross_entropy_rows(batch, classes, logits, labels, g, r);
    return r;
}

void softmax_cross_entropy_rows(uint32_t batch, uint32_t classes, const float* logits, const uint8_t* labels,
                                const Out& g, LossResult& r) {
    const MacConfig real{};
    for (uint32_t n = 0; n < batch; ++n) {
        const float* z = logits + static_cast<size_t>(n) * classes;
        uint32_t best = 0;
        for (uint32_t j = 1; j < classes; ++j)
            if (z[j] > z[best]) best = j;
        const double m = z[best];
        double sum = 0.0;
        for (uint32_t j = 0; j < classes; ++j) sum += std::exp(static_cast<double>(z[j]) - m);
        const uint32_t label = labels[n];
        r.loss_sum += std::log(sum) - (static_cast<double>(z[label]) - m);
        if (best == label) ++r.correct;
        if (!g.data) continue;
        for (uint32_t j = 0; j < classes; ++j) {
            const double p = std::exp(static_cast<double>(z[j]) - m) / sum;
            const size_t i = static_cast<size_t>(n) * classes + j;
            g.data[i] = round_accumulator(real, p - (j == label ? 1.0 : 0.0), g.fmt, g.key, g.index_base + i,
                                          g.stats);
        }
    }
}

}  // namespace trainvp::kern
