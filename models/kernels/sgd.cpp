#include "kernels/sgd.h"

#include <algorithm>

namespace trainvp::kern {

namespace {

// Rounds doubles to fp32 (nearest even), then into `fmt`: num::quantize_array equals num::quantize element
// by element, so chunking changes nothing.
void round_into(const double* src, size_t n, float* dst, const num::Format& fmt, const num::SrKey& key,
                uint64_t first_index, num::QuantStats* stats) {
    for (size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(src[i]);
    if (fmt.kind != num::FormatKind::fp32)
        num::quantize_array(dst, n, fmt, key, first_index, stats);
    else if (stats)
        stats->values += n;
}

}  // namespace

void sgd_update(size_t n, const float* grad, const Out& master, float* velocity,
                const num::SrKey& velocity_key, const Out& weights, const SgdParams& p) {
    constexpr size_t kChunk = 256;
    double d[kChunk], t[kChunk];
    const double batch = p.batch;
    const bool same = weights.data == master.data;
    for (size_t i0 = 0; i0 < n; i0 += kChunk) {
        const size_t c = std::min(kChunk, n - i0);
        float* m = master.data + i0;
        for (size_t i = 0; i < c; ++i) d[i] = grad[i0 + i] / batch + p.weight_decay * m[i];
        if (p.momentum != 0.0) {
            float* v = velocity + i0;
            for (size_t i = 0; i < c; ++i) t[i] = p.momentum * v[i] + d[i];
            round_into(t, c, v, master.fmt, velocity_key, master.index_base + i0, master.stats);
            for (size_t i = 0; i < c; ++i) d[i] = v[i];
        }
        for (size_t i = 0; i < c; ++i) t[i] = m[i] - p.lr * d[i];
        round_into(t, c, m, master.fmt, master.key, master.index_base + i0, master.stats);
        if (same) continue;
        for (size_t i = 0; i < c; ++i) t[i] = m[i];
        round_into(t, c, weights.data + i0, weights.fmt, weights.key, weights.index_base + i0, weights.stats);
    }
}

}  // namespace trainvp::kern
