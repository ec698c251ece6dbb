// SCALE-Sim v2's compute-cycle model, reproduced exactly, so that TrainVP can report the cycle counts that
// published SCALE-Sim results use (docs/accelerator-timing.md "SCALE-Sim v2"). Plain C++17 without SystemC.
//
// SCALE-Sim v2 (github.com/scalesim-project/scale-sim-v2) computes ofmap[M][N] = ifmap[M][K] . filter[K][N].
// A convolution becomes M = output pixels, N = filters, K = filter window (R * S * C); its GEMM mode takes
// M, N, K directly. Per dataflow it lays Sr along the array rows, Sc along the columns and T in time, pads
// every fold to the full R x C array, and reports the index of the last cycle:
//   os: Sr = M, Sc = N, T = K   cycles per fold R + C + T - 2
//   ws: Sr = K, Sc = N, T = M   cycles per fold 2R + C + T - 2
//   is: Sr = K, Sc = M, T = N   cycles per fold 2R + C + T - 2
//   total = ceil(Sr / R) * ceil(Sc / C) * cycles per fold - 1
// (ideal bandwidth: no stalls; the derivation from SCALE-Sim's source is in the docs).
#pragma once

#include <cstdint>

#include "accel/array_timing.h"
#include "accel/gemm_mapping.h"

namespace trainvp::timing::scalesim {

// SCALE-Sim's GEMM: ofmap[M][N] = ifmap[M][K] . filter[K][N].
struct Gemm {
    uint64_t m = 1, n = 1, k = 1;
    void validate() const;  // throws UserError: dimensions in [1, 2^31)
};

// One row of a SCALE-Sim convolution topology (no padding: a padded input is given by its padded size).
struct ConvLayer {
    uint64_t ifmap_h = 1, ifmap_w = 1, filter_h = 1, filter_w = 1, channels = 1, filters = 1;
    uint64_t stride_h = 1, stride_w = 1;
    void validate() const;  // throws UserError: sizes >= 1, filter no larger than the input
};

// The GEMM SCALE-Sim runs for a convolution: output pixels ceil((H - Fh + s) / s) * ceil((W - Fw + s) / s),
// window Fh * Fw * channels (topology_utils.py, topo_calc_hyperparams).
Gemm conv_gemm(const ConvLayer& l);

// A TrainVP layer as SCALE-Sim's convolution topology row: convolutions with their padding added to the
// input size, fully connected layers as 1 x 1 convolutions on a 1 x 1 input (channels = inputs).
ConvLayer conv_layer(Phase forward_phase, const LayerShape& l);

// TrainVP's GEMM C[M][N] = A[M][K] . B[K][N] in SCALE-Sim's GEMM mode with A, the weight-like operand of
// every phase mapping, kept as SCALE-Sim's filter: C^T[N][M] = B^T[N][K] . A^T[K][M], so SCALE-Sim's (M, N,
// K) = TrainVP's (N, M, K). For conv_forward this is SCALE-Sim's own convolution GEMM.
Gemm from_trainvp(const GemmShape& s);

struct Timing {
    uint64_t sr = 0, sc = 0, t = 0;
    uint64_t row_folds = 0, col_folds = 0, folds = 0;
    uint64_t cycles_per_fold = 0;
    uint64_t total_cycles = 0;  // SCALE-Sim's "Total Cycles": folds * cycles_per_fold - 1
};

Timing compute_cycles(const Gemm& g, uint32_t rows, uint32_t cols, Dataflow d);

// The same count as a GemmTiming for TrainVP's GEMM s: compute_cycles = total_cycles = SCALE-Sim's total,
// stream_cycles = folds * T, the rest fill and drain. No overheads, stalls or buffer traffic.
GemmTiming gemm_timing(const GemmShape& s, const ArrayConfig& cfg);

}  // namespace trainvp::timing::scalesim
