#include "kernels/residual.h"

#include <algorithm>

#include "kernels/gemm.h"

namespace trainvp::kern {

namespace {

const MacConfig kReal{};
constexpr size_t kChunk = 1024;  // elements summed per rounding call (keeps the scratch small)

}  // namespace

void add_forward(size_t n, const In& a, const In& b, const Out& y) {
    const In parts[2] = {a, b};
    sum_errors(n, parts, 2, y);
}

void add_backward(size_t n, const In& g, const Out& da, const Out& db) {
    for (const Out* o : {&da, &db})
        if (o->wanted()) sum_errors(n, &g, 1, *o);
}

void sum_errors(size_t n, const In* parts, size_t count, const Out& out) {
    double acc[kChunk];
    for (size_t i0 = 0; i0 < n; i0 += kChunk) {
        const size_t len = std::min(kChunk, n - i0);
        std::fill(acc, acc + len, 0.0);
        for (size_t p = 0; p < count; ++p)
            for (size_t i = 0; i < len; ++i) acc[i] += parts[p].data[i0 + i];
        round_into(kReal, 1, len, acc, 0, out, i0, 0, out.index_base + i0);
    }
}

}  // namespace trainvp::kern
