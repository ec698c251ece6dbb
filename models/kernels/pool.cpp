#include "kernels/pool.h"

#include <algorithm>

#include "kernels/gemm.h"

namespace trainvp::kern {

namespace {

const MacConfig kReal{};  // pooling sums are real-domain double sums (docs/numerics.md "## Kernels")

// Visits every output (c, oy, ox) of one image with the input offset of its window's top-left element.
template <typename F>
void for_each_window(const PoolShape& s, F&& f) {
    const uint32_t orows = s.out_rows(), ocols = s.out_cols();
    size_t o = 0;
    for (uint32_t c = 0; c < s.channels; ++c)
        for (uint32_t oy = 0; oy < orows; ++oy)
            for (uint32_t ox = 0; ox < ocols; ++ox, ++o)
                f(o, (static_cast<size_t>(c) * s.in_rows + oy * s.stride) * s.in_cols + ox * s.stride);
}

PoolShape one_plane(const PoolShape& s) {
    PoolShape p = s;
    p.channels = 1;
    return p;
}

}  // namespace

void maxpool_forward(const PoolShape& s, uint32_t batch, const float* x, float* y, uint32_t* argmax) {
    for (uint32_t n = 0; n < batch; ++n) {
        const float* xi = x + static_cast<size_t>(n) * s.in_size();
        float* yi = y + static_cast<size_t>(n) * s.out_size();
        uint32_t* ai = argmax + static_cast<size_t>(n) * s.out_size();
        for_each_window(s, [&](size_t o, size_t origin) {
            size_t best = origin;
            for (uint32_t dy = 0; dy < s.size; ++dy)
                for (uint32_t dx = 0; dx < s.size; ++dx) {
                    const size_t i = origin + static_cast<size_t>(dy) * s.in_cols + dx;
                    if (xi[i] > xi[best]) best = i;
                }
            yi[o] = xi[best];
            ai[o] = static_cast<uint32_t>(best);
        });
    }
}

void maxpool_backward(const PoolShape& s, uint32_t batch, const In& g, const uint32_t* argmax, const Out& dx,
                      Workspace& ws) {
    double* acc = Workspace::sized(ws.a, s.in_size());
    for (uint32_t n = 0; n < batch; ++n) {
        const float* gi = g.data + static_cast<size_t>(n) * s.out_size();
        const uint32_t* ai = argmax + static_cast<size_t>(n) * s.out_size();
        std::fill(acc, acc + s.in_size(), 0.0);
        for (size_t o = 0; o < s.out_size(); ++o) acc[ai[o]] += gi[o];
        const size_t base = static_cast<size_t>(n) * s.in_size();
        round_block(kReal, 1, s.in_size(), acc, 0, dx.data + base, 0, dx.fmt, dx.key, dx.index_base + base,
                    dx.stats);
    }
}

void avgpool_forward(const PoolShape& s, uint32_t batch, const In& x, const Out& y) {
    const double count = static_cast<double>(s.size) * s.size;
    for (uint32_t n = 0; n < batch; ++n) {
        const float* xi = x.data + static_cast<size_t>(n) * s.in_size();
        const size_t base = static_cast<size_t>(n) * s.out_size();
        for_each_window(s, [&](size_t o, size_t origin) {
            double sum = 0.0;
            for (uint32_t dy = 0; dy < s.size; ++dy)
                for (uint32_t dx = 0; dx < s.size; ++dx)
                    sum += xi[origin + static_cast<size_t>(dy) * s.in_cols + dx];
            y.data[base + o] =
                round_accumulator(kReal, sum / count, y.fmt, y.key, y.index_base + base + o, y.stats);
        });
    }
}

void avgpool_backward(const PoolShape& s, uint32_t batch, const In& g, const Out& dx, Workspace& ws) {
    const double count = static_cast<double>(s.size) * s.size;
    double* acc = Workspace::sized(ws.a, s.in_size());
    for (uint32_t n = 0; n < batch; ++n) {
        const float* gi = g.data + static_cast<size_t>(n) * s.out_size();
        std::fill(acc, acc + s.in_size(), 0.0);
        for_each_window(s, [&](size_t o, size_t origin) {
            const double share = gi[o] / count;
            for (uint32_t dy = 0; dy < s.size; ++dy)
                for (uint32_t dx = 0; dx < s.size; ++dx)
                    acc[origin + static_cast<size_t>(dy) * s.in_cols + dx] += share;
        });
        const size_t base = static_cast<size_t>(n) * s.in_size();
        round_block(kReal, 1, s.in_size(), acc, 0, dx.data + base, 0, dx.fmt, dx.key, dx.index_base + base,
                    dx.stats);
    }
}

void maxpool_forward_planes(const PoolShape& s, uint64_t first, size_t planes, const float* x, float* y,
                            uint32_t* argmax) {
    const PoolShape p = one_plane(s);
    const size_t in_plane = p.in_size(), out_plane = p.out_size();
    for (size_t q = 0; q < planes; ++q) {
        const float* xi = x + q * in_plane;
        float* yi = y + q * out_plane;
        uint32_t* ai = argmax + q * out_plane;
        const uint32_t channel_offset = static_cast<uint32_t>(((first + q) % s.channels) * in_plane);
        for_each_window(p, [&](size_t o, size_t origin) {
            size_t best = origin;
            for (uint32_t dy = 0; dy < p.size; ++dy)
                for (uint32_t dx = 0; dx < p.size; ++dx) {
                    const size_t i = origin + static_cast<size_t>(dy) * p.in_cols + dx;
                    if (xi[i] > xi[best]) best = i;
                }
            yi[o] = xi[best];
            ai[o] = channel_offset + static_cast<uint32_t>(best);
        });
    }
}

void maxpool_backward_planes(const PoolShape& s, uint64_t first, size_t planes, const In& g,
                             const uint32_t* argmax, const Out& dx, Workspace& ws) {
    const PoolShape p = one_plane(s);
    const size_t in_plane = p.in_size(), out_plane = p.out_size();
    double* acc = Workspace::sized(ws.a, in_plane);
    for (size_t q = 0; q < planes; ++q) {
        const float* gi = g.data + q * out_plane;
        const uint32_t* ai = argmax + q * out_plane;
        const size_t channel_offset = ((first + q) % s.channels) * in_plane;
        std::fill(acc, acc + in_plane, 0.0);
        for (size_t o = 0; o < out_plane; ++o) acc[ai[o] - channel_offset] += gi[o];
        round_block(kReal, 1, in_plane, acc, 0, dx.data + q * in_plane, 0, dx.fmt, dx.key,
                    dx.index_base + q * in_plane, dx.stats);
    }
}

void avgpool_forward_planes(const PoolShape& s, size_t planes, const In& x, const Out& y) {
    PoolShape p = one_plane(s);
    p.channels = static_cast<uint32_t>(planes);
    avgpool_forward(p, 1, x, y);
}

void avgpool_backward_planes(const PoolShape& s, size_t planes, const In& g, const Out& dx, Workspace& ws) {
    const PoolShape p = one_plane(s);
    const size_t in_plane = p.in_size(), out_plane = p.out_size();
    for (size_t q = 0; q < planes; ++q) {
        Out o = dx;
        o.data = dx.data + q * in_plane;
        o.index_base = dx.index_base + q * in_plane;
        avgpool_backward(p, 1, In{g.data + q * out_plane, g.fmt}, o, ws);
    }
}

}  // namespace trainvp::kern
