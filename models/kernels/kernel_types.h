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

struct MacConfig;

// Where the GEMM kernels' rounded outputs go instead of float values (the accelerator writes them straight
// into its buffers in storage format). round_block() has round_block()'s arguments (gemm.h), with the
// output's element `offset` instead of a pointer; it must give the bits of num::encode() of the values
// round_block() would produce.
class OutputSink {
  public:
    virtual ~OutputSink() = default;
    virtual void round_block(const MacConfig& cfg, size_t M, size_t N, const double* acc, size_t lda,
                             size_t offset, size_t ldo, const num::Format& fmt, const num::SrKey& key,
                             uint64_t index_base) = 0;
};

// A tensor a kernel writes: every value is rounded into `fmt`. Stochastic rounding of data[i] uses
// (key, index_base + i): index_base is the position of data[0] in the whole tensor, so a caller working on
// a tile of a tensor (data pointing into it) rounds exactly as one call over the whole tensor. With a sink,
// the conv and fc kernels hand their rounding to it and leave `data` alone (it may be null).
struct Out {
    float* data;
    num::Format fmt;
    num::SrKey key;
    num::QuantStats* stats = nullptr;
    uint64_t index_base = 0;
    OutputSink* sink = nullptr;

    bool wanted() const { return data || sink; }
};

// Per-call arithmetic context.
// The arithmetic of the PE that computes the products (hardware.array.pe.kind; docs/numerics.md "Brick PE").
// uniform: the two domains above. bricks: a NeuroFlix-style brick PE, which also puts products of a
// floating-point operand of at most half precision and an integer-coded operand in the integer domain: the
// float is an integer multiple of its smallest subnormal, aligned by its exponent into fixed-point (brick)
// accumulators, so no floating-point adder is needed. Other pairings with a float are refused.
enum class MacArith : uint8_t { uniform, bricks };

struct MacConfig;

// Which operand of a kernel's GEMM is the phase's weight-like one (weights in forward and backward-data, the
// output error in the weight gradient): the operand the accelerator's phase mapping puts on the array's rows
// as A (docs/accelerator-timing.md "Phases"). Hardware that runs the GEMM orients it by this.
enum class WeightSide { a, b };

// Something that computes the kernels' GEMMs instead of gemm_accumulate (gemm.h), with exactly its results:
// the RTL systolic array behind the accelerator's PE array (models/rtl/rtl_pe_array.h).
class GemmEngine {
  public:
    virtual ~GemmEngine() = default;
    // acc[m*ldc+n] += sum over k, in ascending k, of A[m*lda+k] * B[k*ldb+n], as gemm_accumulate.
    virtual void gemm(const MacConfig& cfg, size_t M, size_t N, size_t K, const double* A, size_t lda,
                      const double* B, size_t ldb, double* acc, size_t ldc, WeightSide weight) = 0;
};

struct MacContext {
    num::AccumulatorSpec acc;
    num::AccStats* acc_stats = nullptr;
    GemmEngine* engine = nullptr;  // null: gemm_accumulate
    MacArith arith = MacArith::uniform;
};

// A tile of a GEMM layer phase: channels [c0, c0 + c) of the phase's output side (conv forward and weight
// gradient: output channels; conv backward-data: input channels; fc: the matching neurons) times the
// reduction channels [k0, k0 + kc). The tile functions (conv2d.h, fully_connected.h) take operands that hold
// only the tile's channels, packed, so a caller can keep them in a small buffer.
struct ChannelTile {
    uint32_t c0 = 0, c = 1;
    uint32_t k0 = 0, kc = 1;
};

// Where a tile stands in its reduction: the first tile of a reduction initialises the accumulators (bias or
// zero), the last rounds them into the output. Tiles of one reduction run in ascending k0 with the same
// accumulators, which gives the sums of one call over the whole reduction bit for bit.
struct TileStep {
    bool first = true;
    bool last = true;
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
