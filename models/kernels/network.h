// A feed-forward network of kernel layers with preallocated per-layer buffers, and one SGD step split into
// TaxoNN's phases: forward, loss, backward (error propagation and weight gradients), update. The layers form
// a directed acyclic graph listed in topological order (a chain unless a layer names its inputs).
//
// Graph execution order (the training firmware reproduces it bit for bit):
// - Forward: layers in list order 0, 1, ...; layer l reads the outputs of Layer::inputs (already computed).
// - Loss: softmax cross-entropy of the last layer's output; the loss gradient is rounded into the last
//   layer's err_format with key tensor_id(layers, Slot::dx) (a virtual layer after the last).
// - Backward: layers in reverse list order L-1, ..., 0. Before layer p's backward pass, the error of its
//   output is formed from its consumer edges (Layer::consumers: one entry per (consumer, input slot) that
//   reads p, ascending consumer index, then ascending input slot):
//     * the last layer: the loss gradient;
//     * one edge whose error is already in p's err_format: that error itself (no copy, no rounding);
//     * otherwise (two or more edges, or one edge of an add/concat whose err_format differs from p's):
//       Layer::dy = round(sum over the edges in that order of the edge errors), summed in double (exact
//       for fp32 parts added in that order in double) and rounded once: to fp32, then into p's err_format,
//       stochastic key tensor_id(p, Slot::dy), element index i (kern::sum_errors).
//   An edge's error is what the consumer c computed for that input: for conv, fc, relu, pools, norm and
//   global_avgpool its Layer::dx (rounded into its in_err_format = the producer's err_format, key
//   tensor_id(c, Slot::dx)); for add, c's own output error unchanged (no rounding, format c.err_format); for
//   concat, the channel slice of c's output error for that input, copied without rounding into c's dx buffer
//   (inputs back to back, each N x Ck x H x W; format c.err_format).
//   Layers reading only the network input (input index -1) compute no input error.
// - Update: layers in list order; conv/fc weight and bias, norm gamma (in Layer::weight) and beta (in
//   Layer::bias), each by sgd_update with its Slot keys; weight decay on conv/fc weights only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "kernels/conv2d.h"
#include "kernels/fully_connected.h"
#include "kernels/global_pool.h"
#include "kernels/group_norm.h"
#include "kernels/layer_formats.h"
#include "kernels/loss.h"
#include "kernels/pool.h"
#include "kernels/sgd.h"

namespace trainvp {
class StateWriter;
class StateReader;
}  // namespace trainvp

namespace trainvp::kern {

// add: elementwise sum of >= 2 inputs of one shape. concat: the inputs' channels one after the other (same
// rows and cols). global_avgpool: C x H x W -> C x 1 x 1. norm: range group normalization (group_norm.h)
// with learnable per-channel gamma (init 1) and beta (init 0).
enum class LayerKind { conv, fc, relu, maxpool, avgpool, add, concat, global_avgpool, norm };

// A network description that cannot be built; `layer` is the index into NetworkSpec::layers, or npos when
// the problem is not one layer's.
struct NetworkError : UserError {
    static constexpr size_t npos = static_cast<size_t>(-1);
    NetworkError(size_t layer_index, const std::string& what) : UserError(what), layer(layer_index) {}
    size_t layer;
};
// "conv", "fc", "relu", "maxpool", "avgpool", "add", "concat", "global_avgpool", "norm"
const char* layer_kind_name(LayerKind k);
bool parse_layer_kind(const std::string& name, LayerKind& out);

// A norm layer's backward pass (GroupNormShape, docs/numerics.md "Range group normalization"): s held fixed,
// through the range, or with the projection that treats s as proportional to 1/sigma.
enum class NormGradient { fixed, range, projection };
// "fixed", "range", "projection"
const char* norm_gradient_name(NormGradient g);
bool parse_norm_gradient(const std::string& name, NormGradient& out);

struct LayerSpec {
    LayerKind kind = LayerKind::fc;
    std::string name;                 // empty: the automatic name, kind and count ("conv1", "relu2", ...)
    std::vector<std::string> inputs;  // empty: the previous layer (the network input for the first);
                                      // "input" names the network input. add: >= 2; concat: >= 1.
    uint32_t out_channels = 0, kernel = 0, stride = 1, pad = 0;  // conv
    uint32_t out = 0;                                            // fc
    uint32_t size = 2, pool_stride = 0;                          // pools (stride 0: the window size)
    bool bias = true;                                            // conv, fc
    uint32_t groups = 1, scale_bits = 0;                         // norm (GroupNormShape)
    NormGradient norm_gradient = NormGradient::projection;       // norm: the backward pass
    LayerFormatRequests formats;  // conv, fc: per-layer overrides of NetworkSpec::formats
};

struct NetworkSpec {
    uint32_t channels = 1, rows = 28, cols = 28;
    std::vector<LayerSpec> layers;
    LayerFormatRequests formats;                // defaults of every conv/fc layer; unset roles are fp32
    std::optional<FormatRequest> input_format;  // unset: the activations default, fraction by kInputRange
    num::AccumulatorSpec accumulator;
    MacArith arith = MacArith::uniform;  // the PE's arithmetic (hardware.array.pe.kind)
};

// LeNet-5 as in issue 4: 28x28 input zero-padded to 32x32 by the first conv, conv 6@5x5, 2x2 max-pool,
// conv 16@5x5, 2x2 max-pool, fc 120, fc 84, fc 10, ReLU after every hidden layer.
std::vector<LayerSpec> lenet5_layers();
// The 784-300-100-10 perceptron of LeCun et al. (1998), ReLU hidden layers.
std::vector<LayerSpec> mlp_layers();
// CIFAR-style ResNet (He et al. 2016, section 4.2) with 6n+2 layers: conv3x3 16, norm, relu; three stages of
// n basic blocks (conv3x3-norm-relu-conv3x3-norm, add the shortcut, relu) with 16/32/64 channels, the first
// block of stages 2 and 3 with stride 2 and a 1x1 stride-2 conv + norm projection shortcut; global average
// pooling; fc `classes`. resnet_layers(3) is ResNet-20, resnet_layers(1) ResNet-8. Norm layers have
// kResnetNormGroups groups (one group per layer learned about 17 points less on Fashion-MNIST, numerics.md).
constexpr uint32_t kResnetNormGroups = 16;
std::vector<LayerSpec> resnet_layers(uint32_t n, uint32_t classes = 10);

enum class InitKind { he_uniform, xavier_uniform };

struct Shape {
    uint32_t c = 1, h = 1, w = 1;
    uint32_t size() const { return c * h * w; }
};

// A trainable tensor: working values (weights format), master copy, summed gradient, optional velocity.
struct ParamTensor {
    std::string name;  // "conv1.weight", "fc3.bias", ...
    std::vector<uint32_t> shape;
    std::vector<float> values, master, grad, velocity;
};

// Values rounded into the tensors a layer produces, by role, plus its accumulator statistics.
struct LayerStats {
    num::QuantStats roles[kRoleCount];
    num::AccStats acc;
};

struct Layer {
    LayerSpec spec;
    std::string name;  // spec.name, or the automatic "conv1", "relu2", "fc3", ...
    Shape in, out;     // in: the shape of inputs[0]
    std::vector<int32_t> inputs;      // producers: earlier layer indices, -1 = the network input
    std::vector<Shape> in_shapes;     // their shapes
    std::vector<uint32_t> consumers;  // consumer edges, ascending consumer index (twice if read twice)
    std::vector<uint32_t> consumer_slots;  // the input slot of each consumer edge
    LayerFormats formats;       // conv/fc: resolved; relu/pools: inherited from the tensor they consume
    num::Format act_format;     // format of this layer's output values
    num::Format err_format;     // format of the error of this layer's output
    num::Format in_err_format;  // format of the error this layer computes for its input
    Conv2dShape conv;
    FcShape fc;
    PoolShape pool;
    GlobalPoolShape gpool;
    GroupNormShape norm;
    GroupNormSaved norm_saved;  // what the norm forward pass keeps for backward
    // y: output. dx: the error of the input (concat: of every input, back to back); empty for add and for
    // layers reading the network input. dy: the summed error of the output (see the order above), sized
    // only when the layer has two or more consumer edges or one add/concat consumer.
    std::vector<float> y, dx, dy;
    std::vector<uint32_t> argmax;
    std::optional<ParamTensor> weight, bias;  // norm: gamma ("norm1.gamma") and beta ("norm1.beta"), fp32
    LayerStats stats;
    bool tracked[kRoleCount] = {};  // conv/fc: roles in int8 with a tracked per-tensor scale
};

// Stochastic-rounding tensor ids: layer l uses 16*(l+1) + slot; the input is 0; the loss gradient uses the
// "dx" slot of a virtual layer after the last. Eval passes use step kEvalStep. dy: the summed error of a
// layer's output. A norm layer's gamma uses the w* slots (dw: dgamma) and beta the b* slots (db: dbeta).
enum class Slot : uint32_t { act, dx, dw, db, w_master, b_master, w, b, w_velocity, b_velocity, dy };
inline uint32_t tensor_id(size_t layer, Slot s) {
    return 16u * (static_cast<uint32_t>(layer) + 1u) + static_cast<uint32_t>(s);
}
constexpr uint32_t kInputTensor = 0;
constexpr uint32_t kEvalStep = 0xffffffffu;

class Network {
  public:
    // Throws UserError for inconsistent shapes or formats. Buffers hold up to max_batch samples; without
    // batch_buffers the network holds its parameters only (formats still resolved for max_batch), for a
    // caller that never runs it (the platform's copy of the network), and forward/backward/loss throw.
    Network(const NetworkSpec& spec, uint32_t max_batch, bool momentum, bool batch_buffers = true);

    // Deterministic initialisation: weights U(-b, b) from (seed, tensor, element), biases 0.
    void init(InitKind kind, uint64_t seed);

    const NetworkSpec& spec() const { return spec_; }
    const num::Format& input_format() const { return input_format_; }
    uint32_t input_size() const { return input_.size(); }
    uint32_t num_classes() const { return layers_.back().out.size(); }
    uint32_t max_batch() const { return max_batch_; }
    std::vector<Layer>& layers() { return layers_; }
    const std::vector<Layer>& layers() const { return layers_; }
    std::vector<const ParamTensor*> parameters() const;
    std::vector<ParamTensor*> mutable_parameters();  // the same tensors, for loading weights
    const num::QuantStats& loss_stats() const { return loss_stats_; }

    // The phases of one SGD step on n samples already in input_format(). forward() keeps every layer's
    // output; loss() writes the output error (when `grad`); backward() fills errors and summed gradients;
    // update() applies sgd to every parameter. train_step() runs all four.
    void forward(const float* x, uint32_t n, uint64_t seed, uint32_t step);
    LossResult loss(const uint8_t* labels, uint32_t n, uint64_t seed, uint32_t step, bool grad);
    void backward(const float* x, uint32_t n, uint64_t seed, uint32_t step);
    void update(const SgdParams& params, uint32_t n, uint64_t seed, uint32_t step);
    LossResult train_step(const float* x, const uint8_t* labels, uint32_t n, const SgdParams& params,
                          uint64_t seed, uint32_t step);
    LossResult evaluate(const float* x, const uint8_t* labels, uint32_t n, uint64_t seed);

    const float* output() const { return layers_.back().y.data(); }

    // The error of layer l's output as backward() used it, and its format (valid after backward()).
    const float* output_error(size_t l) const;
    // True when every layer reads the previous one (the first the network input) and is conv, fc, relu,
    // maxpool or avgpool: a plain chain, as the platform's training job ran it before graphs.
    bool is_chain() const;
    // Forward multiply-accumulates per sample (conv and fc).
    uint64_t forward_macs() const;

    // True when some role of some layer is int8 with a tracked scale; such a network runs in the golden
    // model only (docs/numerics.md "8-bit training").
    bool has_tracked_scales() const { return tracked_; }
    // After a step on n samples: picks every tracked tensor's next scale (next_int8_scale) from the int8
    // codes the step wrote, re-derives the 8-bit weights from the master copy if their scale changed, and
    // refreshes the formats the other layers inherit. train_step() calls it after update().
    void track_scales(uint32_t n, uint64_t seed, uint32_t step);
    // Sets a tracked tensor's scale (as the platform's firmware left it) and refreshes inherited formats.
    void set_tracked_scale(size_t layer, Role role, int scale_exp);

    // Checkpoints: every parameter's working values, master copy and velocity, and the rounding and
    // accumulator statistics. Per-step buffers (activations, errors, gradients) are rewritten by every step
    // before they are read and are not saved. Restoring into a network of another shape throws StateError.
    void save_state(StateWriter& w) const;
    void restore_state(StateReader& r);

  private:
    void resolve_graph();
    void build_layer(size_t index, bool momentum);
    void own_output_formats(Layer& L);
    const float* input_values(const Layer& L, size_t k, const float* x) const;
    num::Format input_act_format(const Layer& L, size_t k) const;
    const float* edge_error(size_t consumer, uint32_t slot, size_t producer, num::Format& fmt) const;
    const float* gather_error(size_t l, uint32_t n, uint64_t seed, uint32_t step);
    void refresh_inherited_formats();

    NetworkSpec spec_;
    uint32_t max_batch_;
    bool batch_buffers_ = true;
    Shape input_;
    num::Format input_format_;
    std::vector<Layer> layers_;
    std::vector<float> loss_grad_;
    std::vector<const float*> out_err_;  // per layer: the error of its output used by the last backward()
    num::QuantStats loss_stats_;
    Workspace ws_;
    bool tracked_ = false;
};

}  // namespace trainvp::kern
