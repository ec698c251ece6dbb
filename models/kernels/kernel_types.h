// Types shared by the layer kernels: tensor operands with their formats, the rounding context of an output
// tensor, statistics, and the reusable scratch memory that keeps allocations out of the inner loops.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "numerics/accumulator.h"
#include "numerics/format.h"

namespace trainvp::kern {

// A read-only tensor: values of `fmt` stored as float.
struct In {
    const float* data;
    num::Format fmt;
};

// A tensor a kernel writes: every value is rounded into `fmt`. Stochastic rounding of data[i] uses
// (key, index_base + i): index_base is the position of data[0] in the whole tensor, so a caller working on
// a tile of a tensor (data pointing into it) rounds exactly as one call over the whole tensor.
struct Out {
    float* data;
    num::Format fmt;
    num::SrKey key;
    num::QuantStats* stats = nullptr;
    uint64_t index_base = 0;
};

// Per-call arithmetic context.
struct MacContext {
    num::AccumulatorSpec acc;
    num::AccStats* acc_stats = nullptr;
};

// Scratch buffers; grow on first use and are then reused, so steady-state training does not allocate.
struct Workspace {
    std::vector<double> a, b, c, d;
    static double* sized(std::vector<double>& v, size_t n) {
        if (v.size() < n) v.resize(n);
        return v.data();
    }
};

}  // namespace trainvp::kern
