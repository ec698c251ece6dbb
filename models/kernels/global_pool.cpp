#include "kernels/global_pool.h"

#include <algorithm>

#include "kernels/gemm.h"

namespace trainvp::kern {

namespace {

const MacConfig kReal{};

}  // namespace

void global_avgpool_forward(const GlobalPoolShape& s, uint32_t batch, const In& x, const Out& y) {
    const double count = s.plane();
    const size_t planes = static_cast<size_t>(batch) * s.channels;
    for (size_t q = 0; q < planes; ++q) {
        const float* xq = x.data + q * s.plane();
        double sum = 0.0;
        for (uint32_t i = 0; i < s.plane(); ++i) sum += xq[i];
        const double mean = sum / count;
        round_into(kReal, 1, 1, &mean, 0, y, q, 0, y.index_base + q);
    }
}

void global_avgpool_backward(const GlobalPoolShape& s, uint32_t batch, const In& g, const Out& dx,
                             Workspace& ws) {
    const double count = s.plane();
    const size_t planes = static_cast<size_t>(batch) * s.channels;
    double* acc = Workspace::sized(ws.a, s.plane());
    for (size_t q = 0; q < planes; ++q) {
        std::fill(acc, acc + s.plane(), g.data[q] / count);
        round_into(kReal, 1, s.plane(), acc, 0, dx, q * s.plane(), 0, dx.index_base + q * s.plane());
    }
}

}  // namespace trainvp::kern
