// A GEMM on the RTL systolic array (rtl/systolic_array.sv through ArrayPins), sequenced exactly as TrainVP's
// native timing model assumes (docs/accelerator-timing.md "GEMMs on an R x C array"): the same folds in the
// same order, the same skewed edge schedule, folds back to back. What happens inside the array, and therefore
// when results leave it, is the RTL's; the cycle count is the number of clock edges.
#pragma once

#include <cstdint>

#include "accel/array_timing.h"
#include "rtl/array_pins.h"

namespace trainvp::rtl {

struct RtlGemmStats {
    uint64_t folds = 0;
    // Clock cycles from the first cycle of the first fold to the cycle in which the last result leaves the
    // array's result edge, inclusive: what the native model calls compute_cycles.
    uint64_t compute_cycles = 0;
    // Output stationary with accumulate: cycles that load the first fold's initial sums into the shadow
    // registers before it starts. Later folds' loads overlap the fold before (not counted anywhere else).
    uint64_t preload_cycles = 0;
};

// C[M][N] (+)= A[M][K] . B[K][N] in raw integers, row-major: A and B are signed values of the array's
// data_bits(); C holds raw accumulators and is read only when s.accumulate. Every addition saturates at
// saturate_bits as num::acc_add does. Output and weight stationary run on the array as they are; input
// stationary runs weight stationary on C^T = B^T . A^T. Throws UserError for an operand that does not fit or
// a saturate_bits outside [2, acc_bits()]; std::runtime_error when the array raises its error output,
// presents a result it should not, or a fold does not finish in time (a broken array never hangs the caller).
RtlGemmStats run_gemm(ArrayPins& pins, const timing::GemmShape& s, timing::Dataflow d, int saturate_bits,
                      const int32_t* a, const int32_t* b, int64_t* c);

}  // namespace trainvp::rtl
