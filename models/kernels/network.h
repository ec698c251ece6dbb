// A feed-forward network of kernel layers with preallocated per-layer buffers, and one SGD step split into
// TaxoNN's phases: forward, loss, backward (error propagation and weight gradients), update.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "kernels/conv2d.h"
#include "kernels/fully_connected.h"
#include "kernels/layer_formats.h"
#include "kernels/loss.h"
#include "kernels/pool.h"
#include "kernels/sgd.h"

namespace trainvp {
class StateWriter;
class StateReader;
}  // namespace trainvp

namespace trainvp::kern {

enum class LayerKind { conv, fc, relu, maxpool, avgpool };

// A network description that cannot be built; `layer` is the index into NetworkSpec::layers, or npos when
// the problem is not one layer's.
struct NetworkError : UserError {
    static constexpr size_t npos = static_cast<size_t>(-1);
    NetworkError(size_t layer_index, const std::string& what) : UserError(what), layer(layer_index) {}
    size_t layer;
};
const char* layer_kind_name(LayerKind k);  // "conv", "fc", "relu", "maxpool", "avgpool"

struct LayerSpec {
    LayerKind kind = LayerKind::fc;
    uint32_t out_channels = 0, kernel = 0, stride = 1, pad = 0;  // conv
    uint32_t out = 0;                                            // fc
    uint32_t size = 2, pool_stride = 0;                          // pools (stride 0: the window size)
    bool bias = true;                                            // conv, fc
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
    std::string name;  // "conv1", "relu2", "fc3", ...
    Shape in, out;
    LayerFormats formats;       // conv/fc: resolved; relu/pools: inherited from the tensor they consume
    num::Format act_format;     // format of this layer's output values
    num::Format err_format;     // format of the error of this layer's output
    num::Format in_err_format;  // format of the error this layer computes for its input
    Conv2dShape conv;
    FcShape fc;
    PoolShape pool;
    std::vector<float> y, dx;
    std::vector<uint32_t> argmax;
    std::optional<ParamTensor> weight, bias;
    LayerStats stats;
    bool tracked[kRoleCount] = {};  // conv/fc: roles in int8 with a tracked per-tensor scale
};

// Stochastic-rounding tensor ids: layer l uses 16*(l+1) + slot; the input is 0; the loss gradient uses the
// "dx" slot of a virtual layer after the last. Eval passes use step kEvalStep.
enum class Slot : uint32_t { act, dx, dw, db, w_master, b_master, w, b, w_velocity, b_velocity };
inline uint32_t tensor_id(size_t layer, Slot s) {
    return 16u * (static_cast<uint32_t>(layer) + 1u) + static_cast<uint32_t>(s);
}
constexpr uint32_t kInputTensor = 0;
constexpr uint32_t kEvalStep = 0xffffffffu;

class Network {
  public:
    // Throws UserError for inconsistent shapes or formats. Buffers hold up to max_batch samples.
    Network(const NetworkSpec& spec, uint32_t max_batch, bool momentum);

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
    void build_layer(size_t index, Shape in, const Layer* prev, bool momentum);
    void refresh_inherited_formats();

    NetworkSpec spec_;
    uint32_t max_batch_;
    Shape input_;
    num::Format input_format_;
    std::vector<Layer> layers_;
    std::vector<float> loss_grad_;
    num::QuantStats loss_stats_;
    Workspace ws_;
    bool tracked_ = false;
};

}  // namespace trainvp::kern
