#include "kernels/network.h"

#include "common/state_io.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "common/error.h"
#include "kernels/activation.h"
#include "kernels/gemm.h"
#include "kernels/prng.h"
#include "kernels/residual.h"

namespace trainvp::kern {

namespace {

LayerSpec conv(uint32_t out_channels, uint32_t kernel, uint32_t pad) {
    LayerSpec s;
    s.kind = LayerKind::conv;
    s.out_channels = out_channels;
    s.kernel = kernel;
    s.pad = pad;
    return s;
}

LayerSpec fc(uint32_t out) {
    LayerSpec s;
    s.kind = LayerKind::fc;
    s.out = out;
    return s;
}

LayerSpec simple(LayerKind kind) {
    LayerSpec s;
    s.kind = kind;
    return s;
}

LayerSpec named(LayerSpec s, std::string name, std::vector<std::string> inputs = {}) {
    s.name = std::move(name);
    s.inputs = std::move(inputs);
    return s;
}

bool has_own_formats(LayerKind k) {
    return k == LayerKind::conv || k == LayerKind::fc;
}

// Layers whose output values (and for norm, their output errors) have formats of their own, from the
// network's defaults, rather than the formats of the tensor they consume: a normalized or summed tensor
// has another range than its inputs (docs/numerics.md "Graphs").
bool own_activations(LayerKind k) {
    return has_own_formats(k) || k == LayerKind::norm || k == LayerKind::add;
}
bool own_errors(LayerKind k) {
    return has_own_formats(k) || k == LayerKind::norm;
}

std::string shape_text(const Shape& s) {
    return std::to_string(s.c) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w);
}

num::SrKey key(uint64_t seed, size_t layer, Slot slot, uint32_t step) {
    return num::SrKey{seed, tensor_id(layer, slot), step};
}

std::string where(size_t index, const std::string& name, const LayerSpec& s) {
    return "layer " + std::to_string(index) + " '" + name + "' (" + layer_kind_name(s.kind) + ")";
}

constexpr const char* kKindNames[] = {"conv", "fc",  "relu",           "maxpool", "avgpool",
                                      "add",  "concat", "global_avgpool", "norm"};

}  // namespace

const char* layer_kind_name(LayerKind k) {
    const size_t i = static_cast<size_t>(k);
    return i < std::size(kKindNames) ? kKindNames[i] : "?";
}

namespace {

const char* const kNormGradientNames[] = {"fixed", "range", "projection"};

// The enum value whose name (its index in `names`) is `name`.
template <typename E, size_t N>
bool parse_named(const char* const (&names)[N], const std::string& name, E& out) {
    for (size_t i = 0; i < N; ++i)
        if (name == names[i]) {
            out = static_cast<E>(i);
            return true;
        }
    return false;
}

}  // namespace

bool parse_layer_kind(const std::string& name, LayerKind& out) {
    return parse_named(kKindNames, name, out);
}

const char* norm_gradient_name(NormGradient g) {
    return kNormGradientNames[static_cast<size_t>(g)];
}

bool parse_norm_gradient(const std::string& name, NormGradient& out) {
    return parse_named(kNormGradientNames, name, out);
}

std::vector<LayerSpec> lenet5_layers() {
    return {conv(6, 5, 2),
            simple(LayerKind::relu),
            simple(LayerKind::maxpool),
            conv(16, 5, 0),
            simple(LayerKind::relu),
            simple(LayerKind::maxpool),
            fc(120),
            simple(LayerKind::relu),
            fc(84),
            simple(LayerKind::relu),
            fc(10)};
}

std::vector<LayerSpec> mlp_layers() {
    return {fc(300), simple(LayerKind::relu), fc(100), simple(LayerKind::relu), fc(10)};
}

std::vector<LayerSpec> resnet_layers(uint32_t n, uint32_t classes) {
    std::vector<LayerSpec> v;
    auto conv_bn = [&](const std::string& base, uint32_t channels, uint32_t kernel, uint32_t stride,
                       const std::string& input) {
        LayerSpec c = conv(channels, kernel, kernel / 2);
        c.stride = stride;
        c.bias = false;  // the norm layer's beta is the bias
        v.push_back(named(c, base + "_conv", {input}));
        LayerSpec norm = simple(LayerKind::norm);
        norm.groups = kResnetNormGroups;
        v.push_back(named(norm, base + "_norm", {base + "_conv"}));
        return base + "_norm";
    };
    std::string x = conv_bn("stem", 16, 3, 1, "input");
    v.push_back(named(simple(LayerKind::relu), "stem_relu", {x}));
    x = "stem_relu";
    const uint32_t widths[3] = {16, 32, 64};
    for (uint32_t stage = 0; stage < 3; ++stage)
        for (uint32_t b = 0; b < n; ++b) {
            const std::string base = "s" + std::to_string(stage + 1) + "b" + std::to_string(b + 1);
            const uint32_t stride = stage > 0 && b == 0 ? 2 : 1;
            const std::string a = conv_bn(base + "a", widths[stage], 3, stride, x);
            v.push_back(named(simple(LayerKind::relu), base + "a_relu", {a}));
            const std::string c = conv_bn(base + "b", widths[stage], 3, 1, base + "a_relu");
            std::string shortcut = x;
            if (stride != 1) shortcut = conv_bn(base + "_proj", widths[stage], 1, stride, x);
            v.push_back(named(simple(LayerKind::add), base + "_add", {c, shortcut}));
            v.push_back(named(simple(LayerKind::relu), base + "_relu", {base + "_add"}));
            x = base + "_relu";
        }
    v.push_back(named(simple(LayerKind::global_avgpool), "pool", {x}));
    v.push_back(named(fc(classes), "fc", {"pool"}));
    return v;
}

Network::Network(const NetworkSpec& spec, uint32_t max_batch, bool momentum, bool batch_buffers)
    : spec_(spec),
      max_batch_(max_batch),
      batch_buffers_(batch_buffers),
      input_{spec.channels, spec.rows, spec.cols} {
    if (spec.layers.empty()) throw NetworkError(NetworkError::npos, "network: no layers");
    if (max_batch == 0) throw NetworkError(NetworkError::npos, "network: batch size must be at least 1");
    if (input_.c == 0 || input_.h == 0 || input_.w == 0)
        throw NetworkError(NetworkError::npos, "network: input dimensions must be positive");
    if (spec.layers.back().kind != LayerKind::fc)
        throw NetworkError(spec.layers.size() - 1,
                           "network: the last layer must be fc (its outputs are the softmax logits)");
    try {
        spec.accumulator.validate();
    } catch (const std::exception& e) {
        throw UserError(std::string("network: accumulator: ") + e.what());
    }
    mac_config(num::Format{}, num::Format{}, spec.accumulator);  // width check
    if (spec.input_format) {
        input_format_ = resolve_format(*spec.input_format, kInputRange);
    } else if (const auto& act = spec.formats[Role::activations]) {
        input_format_ = resolve_format(*act, kInputRange);
    }
    resolve_graph();
    for (size_t i = 0; i < spec.layers.size(); ++i) build_layer(i, momentum);
    if (batch_buffers_) loss_grad_.resize(static_cast<size_t>(max_batch) * num_classes());
    out_err_.assign(layers_.size(), nullptr);
}

void Network::resolve_graph() {
    const auto& specs = spec_.layers;
    layers_.resize(specs.size());
    for (size_t i = 0; i < specs.size(); ++i) {
        Layer& L = layers_[i];
        L.spec = specs[i];
        if (specs[i].name.empty()) {
            size_t same_kind = 1;
            for (size_t j = 0; j < i; ++j) same_kind += specs[j].kind == specs[i].kind;
            L.name = std::string(layer_kind_name(specs[i].kind)) + std::to_string(same_kind);
        } else {
            L.name = specs[i].name;
        }
    }
    auto named_where = [&](size_t i) { return where(i, layers_[i].name, specs[i]); };
    for (size_t i = 0; i < specs.size(); ++i) {
        if (layers_[i].name == "input")
            throw NetworkError(i, named_where(i) + ": the name 'input' is reserved for the network input");
        for (size_t j = 0; j < i; ++j)
            if (layers_[j].name == layers_[i].name)
                throw NetworkError(i, named_where(i) + ": duplicate layer name (also layer " +
                                          std::to_string(j) + ")");
    }
    for (size_t i = 0; i < specs.size(); ++i) {
        Layer& L = layers_[i];
        const LayerSpec& s = specs[i];
        if (s.inputs.empty()) {
            L.inputs = {static_cast<int32_t>(i) - 1};
        } else {
            for (const std::string& name : s.inputs) {
                if (name == "input") {
                    L.inputs.push_back(-1);
                    continue;
                }
                if (name == L.name)
                    throw NetworkError(i, named_where(i) + ": takes its own output as input (a cycle)");
                int32_t found = -1;
                for (size_t j = 0; j < specs.size(); ++j)
                    if (layers_[j].name == name) found = static_cast<int32_t>(j);
                if (found < 0)
                    throw NetworkError(i, named_where(i) + ": unknown input '" + name + "'");
                if (static_cast<size_t>(found) > i)
                    throw NetworkError(i, named_where(i) + ": input '" + name + "' is defined later (layer " +
                                              std::to_string(found) +
                                              "); list layers in topological order (a cycle if '" + name +
                                              "' depends on this layer)");
                L.inputs.push_back(found);
            }
        }
        const size_t k = L.inputs.size();
        if (s.kind == LayerKind::add && k < 2)
            throw NetworkError(i, named_where(i) + ": add needs at least two inputs");
        if (s.kind != LayerKind::add && s.kind != LayerKind::concat && k != 1)
            throw NetworkError(i, named_where(i) + ": takes exactly one input, not " + std::to_string(k));
        for (uint32_t slot = 0; slot < k; ++slot)
            if (L.inputs[slot] >= 0) {
                layers_[L.inputs[slot]].consumers.push_back(static_cast<uint32_t>(i));
                layers_[L.inputs[slot]].consumer_slots.push_back(slot);
            }
    }
    for (size_t i = 0; i + 1 < specs.size(); ++i)
        if (layers_[i].consumers.empty())
            throw NetworkError(i, named_where(i) + ": its output is not used by any later layer");
}

const float* Network::input_values(const Layer& L, size_t k, const float* x) const {
    return L.inputs[k] < 0 ? x : layers_[L.inputs[k]].y.data();
}

num::Format Network::input_act_format(const Layer& L, size_t k) const {
    return L.inputs[k] < 0 ? input_format_ : layers_[L.inputs[k]].act_format;
}

void Network::own_output_formats(Layer& L) {
    LayerRangeInfo info;  // a hidden layer's ranges
    info.batch = max_batch_;
    for (Role r : {Role::activations, Role::errors}) {
        if (r == Role::errors && !own_errors(L.spec.kind)) continue;
        const auto& req = spec_.formats[r];
        L.formats[r] = req ? resolve_format(*req, expected_range(r, info)) : num::Format{};
        L.tracked[int(r)] = req && req->tracked_int8;
        tracked_ = tracked_ || L.tracked[int(r)];
    }
    L.act_format = L.formats.activations;
    if (own_errors(L.spec.kind)) L.err_format = L.formats.errors;
}

void Network::build_layer(size_t index, bool momentum) {
    const LayerSpec& s = spec_.layers[index];
    Layer& L = layers_[index];
    for (int32_t p : L.inputs) L.in_shapes.push_back(p < 0 ? input_ : layers_[p].out);
    L.in = L.in_shapes[0];
    const Shape in = L.in;
    const Layer* prev = L.inputs[0] >= 0 ? &layers_[L.inputs[0]] : nullptr;
    auto named_where = [&] { return where(index, L.name, s); };
    auto input_name = [&](size_t k) {
        return L.inputs[k] < 0 ? std::string("input") : layers_[L.inputs[k]].name;
    };
    if (prev) {
        L.formats = prev->formats;
        L.act_format = prev->act_format;
        L.err_format = prev->err_format;
        L.in_err_format = prev->err_format;
    } else {
        L.formats.activations = input_format_;
        L.act_format = input_format_;
    }
    const bool compute = has_own_formats(s.kind);
    LayerRangeInfo info;
    info.batch = max_batch_;
    switch (s.kind) {
        case LayerKind::conv: {
            if (s.out_channels == 0 || s.kernel == 0 || s.stride == 0)
                throw NetworkError(index,
                                   where(index, L.name, s) + ": out_channels, kernel and stride must be positive");
            if (in.h + 2 * s.pad < s.kernel || in.w + 2 * s.pad < s.kernel)
                throw NetworkError(index, where(index, L.name, s) + ": kernel " + std::to_string(s.kernel) +
                                              " exceeds the padded " + std::to_string(in.h) + "x" +
                                              std::to_string(in.w) + " input");
            L.conv = Conv2dShape{in.c, in.h, in.w, s.out_channels, s.kernel, s.stride, s.pad};
            L.out = Shape{s.out_channels, L.conv.out_rows(), L.conv.out_cols()};
            info.fan_in = L.conv.patch_size();
            break;
        }
        case LayerKind::fc:
            if (s.out == 0) throw NetworkError(index, where(index, L.name, s) + ": out must be positive");
            L.fc = FcShape{in.size(), s.out};
            L.out = Shape{s.out, 1, 1};
            info.fan_in = in.size();
            break;
        case LayerKind::relu:
            L.out = in;
            break;
        case LayerKind::maxpool:
        case LayerKind::avgpool: {
            const uint32_t stride = s.pool_stride ? s.pool_stride : s.size;
            if (s.size == 0 || s.size > in.h || s.size > in.w)
                throw NetworkError(index, where(index, L.name, s) + ": pool size must be 1.." +
                                              std::to_string(std::min(in.h, in.w)));
            L.pool = PoolShape{in.c, in.h, in.w, s.size, stride};
            L.out = Shape{in.c, L.pool.out_rows(), L.pool.out_cols()};
            break;
        }
        case LayerKind::add:
            for (size_t k = 1; k < L.in_shapes.size(); ++k) {
                const Shape& b = L.in_shapes[k];
                if (b.c != in.c || b.h != in.h || b.w != in.w)
                    throw NetworkError(index, named_where() + ": input '" + input_name(0) + "' is " +
                                                  shape_text(in) + " but input '" + input_name(k) + "' is " +
                                                  shape_text(b) + " (add needs one shape)");
            }
            L.out = in;
            own_output_formats(L);
            break;
        case LayerKind::concat: {
            uint32_t channels = 0;
            for (size_t k = 0; k < L.in_shapes.size(); ++k) {
                const Shape& b = L.in_shapes[k];
                if (b.h != in.h || b.w != in.w)
                    throw NetworkError(index, named_where() + ": input '" + input_name(0) + "' is " +
                                                  shape_text(in) + " but input '" + input_name(k) + "' is " +
                                                  shape_text(b) + " (concat needs the same rows and cols)");
                channels += b.c;
            }
            L.out = Shape{channels, in.h, in.w};
            break;
        }
        case LayerKind::global_avgpool:
            L.gpool = GlobalPoolShape{in.c, in.h, in.w};
            L.out = Shape{in.c, 1, 1};
            break;
        case LayerKind::norm: {
            L.norm = GroupNormShape{in.c,
                                    in.h,
                                    in.w,
                                    s.groups,
                                    s.scale_bits,
                                    s.norm_gradient == NormGradient::range,
                                    s.norm_gradient == NormGradient::projection};
            try {
                L.norm.validate();
            } catch (const std::exception& e) {
                throw NetworkError(index, named_where() + ": " + e.what());
            }
            L.out = in;
            own_output_formats(L);
            // gamma and beta: fp32 working values, master copy and gradients (docs/numerics.md).
            L.formats.weights = L.formats.weight_grads = L.formats.master_weights = num::Format{};
            for (int which = 0; which < 2; ++which) {
                ParamTensor t;
                t.name = L.name + (which ? ".beta" : ".gamma");
                t.shape = {in.c};
                const float v = which ? 0.0f : 1.0f;
                t.values.assign(in.c, v);
                t.master.assign(in.c, v);
                t.grad.assign(in.c, 0.0f);
                if (momentum) t.velocity.assign(in.c, 0.0f);
                (which ? L.bias : L.weight) = std::move(t);
            }
            break;
        }
    }
    if (compute) {
        const num::Format in_act = L.act_format;
        info.output_layer = index + 1 == spec_.layers.size();
        for (int r = 0; r < kRoleCount; ++r) {
            const Role role = static_cast<Role>(r);
            const auto& req = s.formats[role] ? s.formats[role] : spec_.formats[role];
            L.formats[role] = req ? resolve_format(*req, expected_range(role, info)) : num::Format{};
            L.tracked[r] = req && req->tracked_int8;
            tracked_ = tracked_ || L.tracked[r];
        }
        if (L.tracked[int(Role::master_weights)])
            throw NetworkError(index, where(index, L.name, s) +
                                          ": master_weights must be wider than int8 (the update is applied "
                                          "to the master copy; the 8-bit weights are derived from it)");
        L.act_format = L.formats.activations;
        L.err_format = L.formats.errors;
        if (spec_.arith == MacArith::bricks) {
            // The operand pairs of the three GEMM phases (docs/numerics.md "Brick PE").
            const struct {
                const char* phase;
                const num::Format &a, &b;
                bool used;
            } pairs[] = {{"forward", L.formats.weights, in_act, true},
                         {"backward data", L.formats.weights, L.formats.errors, L.inputs[0] >= 0},
                         {"weight gradient", L.formats.errors, in_act, true}};
            for (const auto& p : pairs)
                if (const std::string why = brick_pair_error(p.a, p.b); p.used && !why.empty())
                    throw NetworkError(index, where(index, L.name, s) + ": " + p.phase + ": " + why);
        }
        const bool conv_layer = s.kind == LayerKind::conv;
        ParamTensor w;
        w.name = L.name + ".weight";
        w.shape = conv_layer ? std::vector<uint32_t>{s.out_channels, in.c, s.kernel, s.kernel}
                             : std::vector<uint32_t>{s.out, in.size()};
        const size_t wn = conv_layer ? L.conv.weight_count() : static_cast<size_t>(s.out) * in.size();
        w.values.resize(wn);
        w.master.resize(wn);
        w.grad.resize(wn);
        if (momentum) w.velocity.assign(wn, 0.0f);
        L.weight = std::move(w);
        if (s.bias) {
            ParamTensor b;
            b.name = L.name + ".bias";
            b.shape = {L.out.c};
            b.values.assign(L.out.c, 0.0f);
            b.master.assign(L.out.c, 0.0f);
            b.grad.assign(L.out.c, 0.0f);
            if (momentum) b.velocity.assign(L.out.c, 0.0f);
            L.bias = std::move(b);
        }
    }
    if (L.out.size() == 0) throw NetworkError(index, where(index, L.name, s) + ": empty output");
    if (!batch_buffers_) return;
    L.y.resize(static_cast<size_t>(max_batch_) * L.out.size());
    if (s.kind == LayerKind::concat) {
        size_t total = 0;
        for (const Shape& sh : L.in_shapes) total += sh.size();
        L.dx.resize(static_cast<size_t>(max_batch_) * total);
    } else if (s.kind != LayerKind::add && L.inputs[0] >= 0) {
        L.dx.resize(static_cast<size_t>(max_batch_) * in.size());
    }
    const bool joins = L.consumers.size() == 1 && (layers_[L.consumers[0]].spec.kind == LayerKind::add ||
                                                   layers_[L.consumers[0]].spec.kind == LayerKind::concat);
    if (L.consumers.size() >= 2 || joins) L.dy.resize(L.y.size());
    if (s.kind == LayerKind::maxpool) L.argmax.resize(L.y.size());
}

void Network::init(InitKind kind, uint64_t seed) {
    const MacConfig real{};
    for (size_t l = 0; l < layers_.size(); ++l) {
        Layer& L = layers_[l];
        if (L.spec.kind == LayerKind::norm) {
            for (ParamTensor* t : {&*L.weight, &*L.bias}) {
                const float v = t == &*L.weight ? 1.0f : 0.0f;
                std::fill(t->values.begin(), t->values.end(), v);
                std::fill(t->master.begin(), t->master.end(), v);
                std::fill(t->velocity.begin(), t->velocity.end(), 0.0f);
            }
            continue;
        }
        if (!L.weight) continue;
        const bool conv_layer = L.spec.kind == LayerKind::conv;
        const double fan_in = conv_layer ? L.conv.patch_size() : L.fc.in;
        const double fan_out =
            conv_layer ? double(L.conv.out_channels) * L.conv.kernel * L.conv.kernel : L.fc.out;
        const double bound =
            kind == InitKind::he_uniform ? std::sqrt(6.0 / fan_in) : std::sqrt(6.0 / (fan_in + fan_out));
        ParamTensor& w = *L.weight;
        const uint32_t stream = tensor_id(l, Slot::w_master);
        for (size_t i = 0; i < w.master.size(); ++i) {
            const double v = (2.0 * random_unit(seed, stream, i) - 1.0) * bound;
            w.master[i] = round_accumulator(real, v, L.formats.master_weights,
                                            key(seed, l, Slot::w_master, 0), i, nullptr);
            w.values[i] =
                round_accumulator(real, w.master[i], L.formats.weights, key(seed, l, Slot::w, 0), i, nullptr);
        }
        std::fill(w.velocity.begin(), w.velocity.end(), 0.0f);
        if (L.bias) {
            std::fill(L.bias->values.begin(), L.bias->values.end(), 0.0f);
            std::fill(L.bias->master.begin(), L.bias->master.end(), 0.0f);
            std::fill(L.bias->velocity.begin(), L.bias->velocity.end(), 0.0f);
        }
    }
}

std::vector<const ParamTensor*> Network::parameters() const {
    std::vector<const ParamTensor*> out;
    for (const Layer& L : layers_) {
        if (L.weight) out.push_back(&*L.weight);
        if (L.bias) out.push_back(&*L.bias);
    }
    return out;
}

std::vector<ParamTensor*> Network::mutable_parameters() {
    std::vector<ParamTensor*> out;
    for (Layer& L : layers_) {
        if (L.weight) out.push_back(&*L.weight);
        if (L.bias) out.push_back(&*L.bias);
    }
    return out;
}

void Network::forward(const float* x, uint32_t n, uint64_t seed, uint32_t step) {
    if (!batch_buffers_) throw UserError("network: built without batch buffers (parameters only)");
    if (n > max_batch_) throw UserError("network: batch of " + std::to_string(n) + " exceeds the buffers");
    for (size_t l = 0; l < layers_.size(); ++l) {
        Layer& L = layers_[l];
        const float* cur = input_values(L, 0, x);
        const num::Format cur_fmt = input_act_format(L, 0);
        const Out y{L.y.data(), L.act_format, key(seed, l, Slot::act, step),
                    &L.stats.roles[int(Role::activations)]};
        const MacContext mc{spec_.accumulator, &L.stats.acc, nullptr, spec_.arith};
        const In xin{cur, cur_fmt};
        const In bias{L.bias ? L.bias->values.data() : nullptr, L.formats.weights};
        switch (L.spec.kind) {
            case LayerKind::conv:
                conv2d_forward(L.conv, n, xin, In{L.weight->values.data(), L.formats.weights}, bias, y, mc,
                               ws_);
                break;
            case LayerKind::fc:
                fc_forward(L.fc, n, xin, In{L.weight->values.data(), L.formats.weights}, bias, y, mc, ws_);
                break;
            case LayerKind::relu:
                relu_forward(static_cast<size_t>(n) * L.in.size(), cur, L.y.data());
                break;
            case LayerKind::maxpool:
                maxpool_forward(L.pool, n, cur, L.y.data(), L.argmax.data());
                break;
            case LayerKind::avgpool:
                avgpool_forward(L.pool, n, xin, y);
                break;
            case LayerKind::add: {
                std::vector<In> parts;
                for (size_t k = 0; k < L.inputs.size(); ++k)
                    parts.push_back(In{input_values(L, k, x), input_act_format(L, k)});
                sum_errors(static_cast<size_t>(n) * L.out.size(), parts.data(), parts.size(), y);
                break;
            }
            case LayerKind::concat: {
                // Each input's plane block is rounded into the output format (exact when the formats agree).
                size_t off = 0;
                for (size_t k = 0; k < L.inputs.size(); ++k) {
                    const size_t len = L.in_shapes[k].size();
                    const float* src = input_values(L, k, x);
                    for (uint32_t i = 0; i < n; ++i) {
                        const In part{src + size_t{i} * len, input_act_format(L, k)};
                        Out o = y;
                        o.data = L.y.data() + size_t{i} * L.out.size() + off;
                        o.index_base = size_t{i} * L.out.size() + off;
                        sum_errors(len, &part, 1, o);
                    }
                    off += len;
                }
                break;
            }
            case LayerKind::global_avgpool:
                global_avgpool_forward(L.gpool, n, xin, y);
                break;
            case LayerKind::norm:
                group_norm_forward(L.norm, n, xin, In{L.weight->values.data(), L.formats.weights},
                                   In{L.bias->values.data(), L.formats.weights}, y, L.norm_saved, ws_);
                break;
        }
    }
}

const float* Network::edge_error(size_t consumer, uint32_t slot, size_t producer, num::Format& fmt) const {
    const Layer& C = layers_[consumer];
    (void)producer;
    switch (C.spec.kind) {
        case LayerKind::add:
            fmt = C.err_format;
            return out_err_[consumer];
        case LayerKind::concat: {
            size_t off = 0;
            for (uint32_t k = 0; k < slot; ++k) off += size_t{max_batch_} * C.in_shapes[k].size();
            fmt = C.err_format;
            return C.dx.data() + off;
        }
        default:
            fmt = C.in_err_format;
            return C.dx.data();
    }
}

const float* Network::gather_error(size_t l, uint32_t n, uint64_t seed, uint32_t step) {
    Layer& L = layers_[l];
    if (l + 1 == layers_.size()) return loss_grad_.data();
    std::vector<In> parts;
    for (size_t e = 0; e < L.consumers.size(); ++e) {
        num::Format fmt;
        const float* p = edge_error(L.consumers[e], L.consumer_slots[e], l, fmt);
        parts.push_back(In{p, fmt});
    }
    if (parts.size() == 1 && parts[0].fmt == L.err_format) return parts[0].data;
    const Out dy{L.dy.data(), L.err_format, key(seed, l, Slot::dy, step), &L.stats.roles[int(Role::errors)]};
    sum_errors(static_cast<size_t>(n) * L.out.size(), parts.data(), parts.size(), dy);
    return L.dy.data();
}

const float* Network::output_error(size_t l) const {
    return out_err_.at(l);
}

bool Network::is_chain() const {
    for (size_t l = 0; l < layers_.size(); ++l) {
        const Layer& L = layers_[l];
        if (L.inputs.size() != 1 || L.inputs[0] != static_cast<int32_t>(l) - 1) return false;
        switch (L.spec.kind) {
            case LayerKind::conv:
            case LayerKind::fc:
            case LayerKind::relu:
            case LayerKind::maxpool:
            case LayerKind::avgpool:
                break;
            default:
                return false;
        }
    }
    return true;
}

uint64_t Network::forward_macs() const {
    uint64_t macs = 0;
    for (const Layer& L : layers_) {
        if (L.spec.kind == LayerKind::conv)
            macs += uint64_t{L.conv.out_size()} * L.conv.patch_size();
        else if (L.spec.kind == LayerKind::fc)
            macs += uint64_t{L.fc.in} * L.fc.out;
    }
    return macs;
}

LossResult Network::loss(const uint8_t* labels, uint32_t n, uint64_t seed, uint32_t step, bool grad) {
    if (!batch_buffers_) throw UserError("network: built without batch buffers (parameters only)");
    const Layer& last = layers_.back();
    const Out g{grad ? loss_grad_.data() : nullptr, last.err_format,
                key(seed, layers_.size(), Slot::dx, step), &loss_stats_};
    return softmax_cross_entropy(n, num_classes(), last.y.data(), labels, g);
}

void Network::backward(const float* x, uint32_t n, uint64_t seed, uint32_t step) {
    if (!batch_buffers_) throw UserError("network: built without batch buffers (parameters only)");
    for (size_t l = layers_.size(); l-- > 0;) {
        Layer& L = layers_[l];
        const float* g = gather_error(l, n, seed, step);
        out_err_[l] = g;
        const bool need_dx = L.inputs[0] >= 0;
        const In xin{input_values(L, 0, x), input_act_format(L, 0)};
        const In gin{g, L.err_format};
        const Out dx{L.dx.data(), L.in_err_format, key(seed, l, Slot::dx, step),
                     &L.stats.roles[int(Role::errors)]};
        const MacContext mc{spec_.accumulator, &L.stats.acc, nullptr, spec_.arith};
        num::QuantStats* gstats = &L.stats.roles[int(Role::weight_grads)];
        switch (L.spec.kind) {
            case LayerKind::conv:
            case LayerKind::fc: {
                const In w{L.weight->values.data(), L.formats.weights};
                const Out dw{L.weight->grad.data(), L.formats.weight_grads, key(seed, l, Slot::dw, step),
                             gstats};
                const Out db{L.bias ? L.bias->grad.data() : nullptr, L.formats.weight_grads,
                             key(seed, l, Slot::db, step), gstats};
                if (L.spec.kind == LayerKind::conv) {
                    if (need_dx) conv2d_backward_data(L.conv, n, gin, w, dx, mc, ws_);
                    conv2d_weight_grad(L.conv, n, gin, xin, dw, db, mc, ws_);
                } else {
                    if (need_dx) fc_backward_data(L.fc, n, gin, w, dx, mc, ws_);
                    fc_weight_grad(L.fc, n, gin, xin, dw, db, mc, ws_);
                }
                break;
            }
            case LayerKind::relu:
                if (need_dx) relu_backward(static_cast<size_t>(n) * L.in.size(), L.y.data(), g, L.dx.data());
                break;
            case LayerKind::maxpool:
                if (need_dx) maxpool_backward(L.pool, n, gin, L.argmax.data(), dx, ws_);
                break;
            case LayerKind::avgpool:
                if (need_dx) avgpool_backward(L.pool, n, gin, dx, ws_);
                break;
            case LayerKind::add:
                break;  // every input's error is g itself (edge_error)
            case LayerKind::concat: {
                size_t off = 0, base = 0;
                for (size_t k = 0; k < L.inputs.size(); ++k) {
                    const size_t len = L.in_shapes[k].size();
                    if (L.inputs[k] >= 0)
                        for (uint32_t i = 0; i < n; ++i)
                            std::memcpy(L.dx.data() + base + size_t{i} * len, g + size_t{i} * L.out.size() + off,
                                        len * sizeof(float));
                    off += len;
                    base += size_t{max_batch_} * len;
                }
                break;
            }
            case LayerKind::global_avgpool:
                if (need_dx) global_avgpool_backward(L.gpool, n, gin, dx, ws_);
                break;
            case LayerKind::norm: {
                const Out none{nullptr, L.in_err_format, key(seed, l, Slot::dx, step)};
                const Out dgamma{L.weight->grad.data(), L.formats.weight_grads, key(seed, l, Slot::dw, step),
                                 gstats};
                const Out dbeta{L.bias->grad.data(), L.formats.weight_grads, key(seed, l, Slot::db, step),
                                gstats};
                group_norm_backward(L.norm, n, gin, xin, In{L.weight->values.data(), L.formats.weights},
                                    L.norm_saved, need_dx ? dx : none, dgamma, dbeta, ws_);
                break;
            }
        }
    }
}

void Network::update(const SgdParams& params, uint32_t n, uint64_t seed, uint32_t step) {
    for (size_t l = 0; l < layers_.size(); ++l) {
        Layer& L = layers_[l];
        if (!L.weight) continue;
        SgdParams p = params;
        p.batch = n;
        if (L.spec.kind == LayerKind::norm) p.weight_decay = 0.0;  // gamma, like every bias
        num::QuantStats* ms = &L.stats.roles[int(Role::master_weights)];
        num::QuantStats* ws = &L.stats.roles[int(Role::weights)];
        ParamTensor& w = *L.weight;
        sgd_update(w.master.size(), w.grad.data(),
                   Out{w.master.data(), L.formats.master_weights, key(seed, l, Slot::w_master, step), ms},
                   w.velocity.data(), key(seed, l, Slot::w_velocity, step),
                   Out{w.values.data(), L.formats.weights, key(seed, l, Slot::w, step), ws}, p);
        if (!L.bias) continue;
        p.weight_decay = 0.0;
        ParamTensor& b = *L.bias;
        sgd_update(b.master.size(), b.grad.data(),
                   Out{b.master.data(), L.formats.master_weights, key(seed, l, Slot::b_master, step), ms},
                   b.velocity.data(), key(seed, l, Slot::b_velocity, step),
                   Out{b.values.data(), L.formats.weights, key(seed, l, Slot::b, step), ws}, p);
    }
}

LossResult Network::train_step(const float* x, const uint8_t* labels, uint32_t n, const SgdParams& params,
                               uint64_t seed, uint32_t step) {
    forward(x, n, seed, step);
    const LossResult r = loss(labels, n, seed, step, true);
    backward(x, n, seed, step);
    update(params, n, seed, step);
    if (tracked_) track_scales(n, seed, step);
    return r;
}

void Network::track_scales(uint32_t n, uint64_t seed, uint32_t step) {
    const MacConfig real{};
    for (size_t l = 0; l < layers_.size(); ++l) {
        Layer& L = layers_[l];
        if (!own_activations(L.spec.kind)) continue;
        auto next = [&](Role role, std::initializer_list<std::pair<const float*, size_t>> tensors) {
            num::Format& f = L.formats[role];
            uint32_t m = 0;
            for (const auto& t : tensors)
                if (t.first) m = std::max(m, max_int8_code(t.first, t.second, f.scale_exp));
            const int old = f.scale_exp;
            f.scale_exp = next_int8_scale(old, m);
            return f.scale_exp != old;
        };
        if (L.tracked[int(Role::activations)])
            next(Role::activations, {{L.y.data(), size_t{n} * L.out.size()}});
        if (L.tracked[int(Role::errors)]) {
            // The error at this layer's output as it was rounded: by the loss for the last layer, into dy
            // where errors are summed, or by the backward-data pass of the next layer with parameters along
            // single-consumer edges (ReLU, pooling, add and concat between only select or pass it).
            size_t p = l;
            for (;;) {
                const Layer& P = layers_[p];
                if (p + 1 == layers_.size()) {
                    next(Role::errors, {{loss_grad_.data(), size_t{n} * num_classes()}});
                } else if (out_err_[p] && out_err_[p] == P.dy.data()) {
                    next(Role::errors, {{P.dy.data(), size_t{n} * P.out.size()}});
                } else {
                    const Layer& C = layers_[P.consumers[0]];
                    if (!C.weight) {
                        p = P.consumers[0];
                        continue;
                    }
                    next(Role::errors, {{C.dx.data(), size_t{n} * C.in.size()}});
                }
                break;
            }
        }
        if (!has_own_formats(L.spec.kind)) continue;  // norm: gamma and beta are fp32
        ParamTensor& w = *L.weight;
        ParamTensor* b = L.bias ? &*L.bias : nullptr;
        if (L.tracked[int(Role::weight_grads)])
            next(Role::weight_grads, {{w.grad.data(), w.grad.size()}, {b ? b->grad.data() : nullptr,
                                                                        b ? b->grad.size() : 0}});
        if (L.tracked[int(Role::weights)] &&
            next(Role::weights, {{w.values.data(), w.values.size()}, {b ? b->values.data() : nullptr,
                                                                       b ? b->values.size() : 0}})) {
            // The 8-bit copy is derived again from the wide master copy in the new scale.
            for (size_t i = 0; i < w.master.size(); ++i)
                w.values[i] = round_accumulator(real, w.master[i], L.formats.weights,
                                                key(seed, l, Slot::w, step), i, nullptr);
            for (size_t i = 0; b && i < b->master.size(); ++i)
                b->values[i] = round_accumulator(real, b->master[i], L.formats.weights,
                                                 key(seed, l, Slot::b, step), i, nullptr);
        }
    }
    refresh_inherited_formats();
}

void Network::set_tracked_scale(size_t layer, Role role, int scale_exp) {
    layers_.at(layer).formats[role].scale_exp = scale_exp;
    refresh_inherited_formats();
}

void Network::refresh_inherited_formats() {
    for (size_t l = 0; l < layers_.size(); ++l) {
        Layer& L = layers_[l];
        const Layer* prev = L.inputs[0] >= 0 ? &layers_[L.inputs[0]] : nullptr;
        if (prev) L.in_err_format = prev->err_format;
        if (own_activations(L.spec.kind)) {
            if (L.spec.kind == LayerKind::add && prev) {
                const num::Format act = L.formats.activations;
                L.formats = prev->formats;
                L.formats.activations = act;
                L.err_format = prev->err_format;
            } else {
                L.err_format = L.formats.errors;
            }
            L.act_format = L.formats.activations;
        } else if (prev) {
            L.formats = prev->formats;
            L.act_format = prev->act_format;
            L.err_format = prev->err_format;
        }
    }
}

LossResult Network::evaluate(const float* x, const uint8_t* labels, uint32_t n, uint64_t seed) {
    forward(x, n, seed, kEvalStep);
    return loss(labels, n, seed, kEvalStep, false);
}

namespace {
void save_quant(StateWriter& w, const num::QuantStats& q) {
    w.u64(q.values);
    w.u64(q.saturated);
    w.u64(q.underflow_to_zero);
}
num::QuantStats restore_quant(StateReader& r) {
    num::QuantStats q;
    q.values = r.u64();
    q.saturated = r.u64();
    q.underflow_to_zero = r.u64();
    return q;
}
}  // namespace

void Network::save_state(StateWriter& w) const {
    w.u64(layers_.size());
    for (const Layer& L : layers_) {
        for (const std::optional<ParamTensor>* p : {&L.weight, &L.bias}) {
            if (!*p) continue;
            w.vec((*p)->values);
            w.vec((*p)->master);
            w.vec((*p)->velocity);
        }
        for (const num::QuantStats& q : L.stats.roles) save_quant(w, q);
        w.u64(L.stats.acc.additions);
        w.u64(L.stats.acc.saturated);
    }
    save_quant(w, loss_stats_);
    if (!tracked_) return;  // the layout of networks without tracked scales is unchanged
    for (const Layer& L : layers_)
        for (int r = 0; r < kRoleCount; ++r)
            if (L.tracked[r]) w.u32(static_cast<uint32_t>(L.formats[static_cast<Role>(r)].scale_exp));
}

void Network::restore_state(StateReader& r) {
    if (r.u64() != layers_.size()) r.fail("a network with another number of layers");
    for (Layer& L : layers_) {
        for (std::optional<ParamTensor>* p : {&L.weight, &L.bias}) {
            if (!*p) continue;
            ParamTensor& t = **p;
            r.vec_into(t.values, t.values.size(), t.name);
            r.vec_into(t.master, t.master.size(), t.name + ".master");
            r.vec_into(t.velocity, t.velocity.size(), t.name + ".velocity");
        }
        for (num::QuantStats& q : L.stats.roles) q = restore_quant(r);
        L.stats.acc.additions = r.u64();
        L.stats.acc.saturated = r.u64();
    }
    loss_stats_ = restore_quant(r);
    if (!tracked_) return;
    for (Layer& L : layers_)
        for (int k = 0; k < kRoleCount; ++k)
            if (L.tracked[k]) {
                const int s = static_cast<int>(r.u32());
                if (s < kMinTrackedScale || s > kMaxTrackedScale) r.fail("an int8 scale out of range");
                L.formats[static_cast<Role>(k)].scale_exp = s;
            }
    refresh_inherited_formats();
}

}  // namespace trainvp::kern
