// How every accelerator phase runs on the PE array: the GEMMs of convolution and fully connected layers (the
// same im2col formulation the kernels use, models/kernels/conv2d.h) and the element-wise work of the other
// phases as vector operations on the array's columns (docs/accelerator-timing.md "Phases").
#pragma once

#include <cstdint>
#include <vector>

#include "accel/array_timing.h"

namespace trainvp::timing {

enum class Phase : uint8_t {
    conv_forward,
    conv_backward_data,
    conv_weight_grad,
    fc_forward,
    fc_backward_data,
    fc_weight_grad,
    pool_forward,
    pool_backward,
    activation_forward,
    activation_backward,
    loss_grad,
    sgd_update,
    dma_convert,
    count
};
const char* phase_name(Phase p);  // "conv_forward", ...

// One layer, per sample. Which fields a phase reads:
//   conv_*:        in_channels, in_rows, in_cols, out_channels, kernel, stride, pad, bias
//   fc_*:          fc_in, fc_out, bias
//   pool_*:        in_channels, in_rows, in_cols, kernel (window), stride (no padding)
//   activation_*:  in_channels * in_rows * in_cols elements per sample
//   loss_grad:     in_channels * in_rows * in_cols classes per sample
//   sgd_update:    elements (parameters; batch is not used)
//   dma_convert:   elements (whole tensor; batch is not used)
struct LayerShape {
    uint32_t in_channels = 1, in_rows = 1, in_cols = 1;
    uint32_t out_channels = 1, kernel = 1, stride = 1, pad = 0;
    uint32_t fc_in = 1, fc_out = 1;
    bool bias = true;
    uint64_t elements = 0;

    uint32_t out_rows() const { return (in_rows + 2 * pad - kernel) / stride + 1; }
    uint32_t out_cols() const { return (in_cols + 2 * pad - kernel) / stride + 1; }
    // Output positions of the same convolution at stride 1: the size of the zero-dilated error map on which
    // a dense array runs the backward-data and weight-gradient GEMMs of a stride-s convolution
    // (docs/accelerator-timing.md "Stride zeros").
    uint32_t dilated_rows() const { return in_rows + 2 * pad - kernel + 1; }
    uint32_t dilated_cols() const { return in_cols + 2 * pad - kernel + 1; }
    uint64_t in_size() const { return uint64_t{in_channels} * in_rows * in_cols; }
    uint64_t patch_size() const { return uint64_t{in_channels} * kernel * kernel; }
    // Throws UserError naming the phase and the field that makes the shape impossible.
    void validate(Phase p) const;
};

// Element sizes in bytes of the operands in the buffers: A and B operands, accumulators/results (C).
struct OperandBytes {
    uint32_t a = 2, b = 2, c = 4;
};

struct PhaseWork {
    std::vector<GemmShape> gemms;
    std::vector<VectorOp> vector_ops;
};

// Error positions per sample and output channel that the backward-data and weight-gradient GEMMs of a
// convolution stream (docs/accelerator-timing.md "Stride zeros"): a dense array streams the zero-dilated
// error map (dilated_rows x dilated_cols); an array that skips the stride zeros streams only the
// out_rows x out_cols real errors. Equal for stride 1.
uint64_t backward_positions(uint32_t in_rows, uint32_t in_cols, uint32_t kernel, uint32_t stride,
                            uint32_t pad, bool skip_stride_zeros);

// The GEMMs and vector operations of one phase of one layer over a batch. `skip_stride_zeros`: the array
// skips the zeros of the dilated error map (hardware.array.skip_stride_zeros); it changes only the
// backward-data and weight-gradient phases of convolutions with stride > 1.
PhaseWork phase_work(Phase p, const LayerShape& l, uint32_t batch, const OperandBytes& bytes = {},
                     bool skip_stride_zeros = false);

struct LayerTiming {
    PhaseWork work;
    std::vector<GemmTiming> gemm_timing;    // one per work.gemms entry
    std::vector<GemmTiming> vector_timing;  // one per work.vector_ops entry
    GemmTiming total;                       // everything, run one after another
};

LayerTiming phase_timing(Phase p, const LayerShape& l, uint32_t batch, const ArrayConfig& cfg,
                         const TimingParams& params, const BufferBandwidth& bw,
                         const OperandBytes& bytes = {}, bool skip_stride_zeros = false);

}  // namespace trainvp::timing
