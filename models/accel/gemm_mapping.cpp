#include "accel/gemm_mapping.h"

#include <string>

#include "common/error.h"

namespace trainvp::timing {

namespace {

[[noreturn]] void bad_shape(Phase p, const std::string& why) {
    throw UserError(std::string("layer shape for ") + phase_name(p) + ": " + why);
}

GemmShape gemm(uint64_t m, uint64_t n, uint64_t k, bool accumulate, const OperandBytes& b) {
    GemmShape s;
    s.m = m, s.n = n, s.k = k;
    s.a_bytes = b.a, s.b_bytes = b.b, s.c_bytes = b.c;
    s.accumulate = accumulate;
    return s;
}

}  // namespace

const char* phase_name(Phase p) {
    switch (p) {
        case Phase::conv_forward:
            return "conv_forward";
        case Phase::conv_backward_data:
            return "conv_backward_data";
        case Phase::conv_weight_grad:
            return "conv_weight_grad";
        case Phase::fc_forward:
            return "fc_forward";
        case Phase::fc_backward_data:
            return "fc_backward_data";
        case Phase::fc_weight_grad:
            return "fc_weight_grad";
        case Phase::pool_forward:
            return "pool_forward";
        case Phase::pool_backward:
            return "pool_backward";
        case Phase::activation_forward:
            return "activation_forward";
        case Phase::activation_backward:
            return "activation_backward";
        case Phase::loss_grad:
            return "loss_grad";
        case Phase::sgd_update:
            return "sgd_update";
        case Phase::dma_convert:
            return "dma_convert";
        case Phase::count:
            break;
    }
    return "?";
}

void LayerShape::validate(Phase p) const {
    switch (p) {
        case Phase::conv_forward:
        case Phase::conv_backward_data:
        case Phase::conv_weight_grad:
            if (in_channels < 1 || out_channels < 1) bad_shape(p, "channels must be at least 1");
            if (kernel < 1 || stride < 1) bad_shape(p, "kernel and stride must be at least 1");
            if (in_rows + 2 * pad < kernel || in_cols + 2 * pad < kernel)
                bad_shape(p, "kernel " + std::to_string(kernel) + " is larger than the padded input");
            break;
        case Phase::fc_forward:
        case Phase::fc_backward_data:
        case Phase::fc_weight_grad:
            if (fc_in < 1 || fc_out < 1) bad_shape(p, "fc_in and fc_out must be at least 1");
            break;
        case Phase::pool_forward:
        case Phase::pool_backward:
            if (in_channels < 1 || kernel < 1 || stride < 1)
                bad_shape(p, "channels, window, stride must be >= 1");
            if (in_rows < kernel || in_cols < kernel) bad_shape(p, "window is larger than the input");
            if (pad != 0) bad_shape(p, "pooling has no padding");
            break;
        case Phase::activation_forward:
        case Phase::activation_backward:
        case Phase::loss_grad:
            if (in_size() < 1) bad_shape(p, "no elements");
            break;
        case Phase::sgd_update:
        case Phase::dma_convert:
        case Phase::count:
            break;
    }
}

uint64_t backward_positions(uint32_t in_rows, uint32_t in_cols, uint32_t kernel, uint32_t stride,
                            uint32_t pad, bool skip_stride_zeros) {
    const uint64_t rows = uint64_t{in_rows} + 2 * pad - kernel, cols = uint64_t{in_cols} + 2 * pad - kernel;
    if (skip_stride_zeros || stride <= 1) return (rows / stride + 1) * (cols / stride + 1);
    return (rows + 1) * (cols + 1);
}

PhaseWork phase_work(Phase p, const LayerShape& l, uint32_t batch, const OperandBytes& bytes,
                     bool skip_stride_zeros) {
    l.validate(p);
    if (batch < 1) bad_shape(p, "batch must be at least 1");
    PhaseWork w;
    const uint64_t pixels = uint64_t{l.out_rows()} * l.out_cols() * batch;  // conv: output positions
    // The backward GEMMs of a stride-s convolution on a dense array run over the zero-dilated error map
    // (the stride-1 convolution's output positions); skipping its zeros leaves the real errors, `pixels`.
    const bool conv_backward = p == Phase::conv_backward_data || p == Phase::conv_weight_grad;
    const uint64_t error_pixels =
        conv_backward
            ? backward_positions(l.in_rows, l.in_cols, l.kernel, l.stride, l.pad, skip_stride_zeros) * batch
            : 0;
    const uint64_t bias = l.bias ? 1 : 0;
    switch (p) {
        // im2col: y[co][p] = b[co] + sum_k W[co][k] col[k][p], k = (ci, kh, kw), p = (n, oy, ox).
        case Phase::conv_forward:
            w.gemms.push_back(gemm(l.out_channels, pixels, l.patch_size(), l.bias, bytes));
            break;
        // dcol = W^T . G, then col2im adds every column entry into its input position.
        case Phase::conv_backward_data: {
            w.gemms.push_back(gemm(l.patch_size(), error_pixels, l.out_channels, false, bytes));
            const uint64_t entries = l.patch_size() * error_pixels;
            w.vector_ops.push_back({"col2im", entries, entries * bytes.c, l.in_size() * batch * bytes.c});
            break;
        }
        // dW = G . col^T summed over the batch; db is one more column of ones appended to col^T.
        case Phase::conv_weight_grad:
            w.gemms.push_back(gemm(l.out_channels, l.patch_size() + bias, error_pixels, false, bytes));
            break;
        case Phase::fc_forward:
            w.gemms.push_back(gemm(l.fc_out, batch, l.fc_in, l.bias, bytes));
            break;
        case Phase::fc_backward_data:
            w.gemms.push_back(gemm(l.fc_in, batch, l.fc_out, false, bytes));
            break;
        case Phase::fc_weight_grad:
            w.gemms.push_back(gemm(l.fc_out, l.fc_in + bias, batch, false, bytes));
            break;
        case Phase::pool_forward: {
            const uint64_t out = uint64_t{l.in_channels} * ((l.in_rows - l.kernel) / l.stride + 1) *
                                 ((l.in_cols - l.kernel) / l.stride + 1) * batch;
            w.vector_ops.push_back({"pool_forward", out * l.kernel * l.kernel, l.in_size() * batch * bytes.b,
                                    out * (bytes.b + 4)});
            break;
        }
        case Phase::pool_backward: {
            const uint64_t out = uint64_t{l.in_channels} * ((l.in_rows - l.kernel) / l.stride + 1) *
                                 ((l.in_cols - l.kernel) / l.stride + 1) * batch;
            const uint64_t in = l.in_size() * batch;
            w.vector_ops.push_back({"pool_backward", in, out * (bytes.b + 4), in * bytes.b});
            break;
        }
        case Phase::activation_forward: {
            const uint64_t n = l.in_size() * batch;
            w.vector_ops.push_back({"activation_forward", n, n * bytes.b, n * bytes.b});
            break;
        }
        case Phase::activation_backward: {
            const uint64_t n = l.in_size() * batch;
            w.vector_ops.push_back({"activation_backward", n, 2 * n * bytes.b, n * bytes.b});
            break;
        }
        // Softmax cross-entropy: max, exp-and-sum, divide, subtract the one-hot label: four passes.
        case Phase::loss_grad: {
            const uint64_t n = l.in_size() * batch;
            w.vector_ops.push_back({"loss_grad", 4 * n, n * bytes.c, n * bytes.b});
            break;
        }
        // Per parameter: scale the gradient (and add decay), momentum multiply-add, subtract the step; reads
        // gradient and master weight, writes master and working weight.
        case Phase::sgd_update:
            if (l.elements)
                w.vector_ops.push_back({"sgd_update", 3 * l.elements, 2 * l.elements * bytes.c,
                                        l.elements * (bytes.c + bytes.b)});
            break;
        case Phase::dma_convert:
            if (l.elements)
                w.vector_ops.push_back(
                    {"dma_convert", l.elements, l.elements * bytes.c, l.elements * bytes.b});
            break;
        case Phase::count:
            bad_shape(p, "not a phase");
    }
    return w;
}

LayerTiming phase_timing(Phase p, const LayerShape& l, uint32_t batch, const ArrayConfig& cfg,
                         const TimingParams& params, const BufferBandwidth& bw, const OperandBytes& bytes,
                         bool skip_stride_zeros) {
    LayerTiming t;
    t.work = phase_work(p, l, batch, bytes, skip_stride_zeros);
    for (const GemmShape& g : t.work.gemms) {
        t.gemm_timing.push_back(analytic_gemm(g, cfg, params, bw));
        t.total.add(t.gemm_timing.back(), cfg);
    }
    for (const VectorOp& v : t.work.vector_ops) {
        t.vector_timing.push_back(vector_timing(v, cfg, params, bw));
        t.total.add(t.vector_timing.back(), cfg);
    }
    return t;
}

}  // namespace trainvp::timing
