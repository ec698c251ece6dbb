#include "kernels/network.h"

#include "common/state_io.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"
#include "kernels/activation.h"
#include "kernels/gemm.h"
#include "kernels/prng.h"

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

num::SrKey key(uint64_t seed, size_t layer, Slot slot, uint32_t step) {
    return num::SrKey{seed, tensor_id(layer, slot), step};
}

std::string where(size_t index, const LayerSpec& s) {
    return std::string("layer ") + std::to_string(index) + " (" + layer_kind_name(s.kind) + ")";
}

}  // namespace

const char* layer_kind_name(LayerKind k) {
    switch (k) {
        case LayerKind::conv:
            return "conv";
        case LayerKind::fc:
            return "fc";
        case LayerKind::relu:
            return "relu";
        case LayerKind::maxpool:
            return "maxpool";
        case LayerKind::avgpool:
            break;
    }
    return "avgpool";
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

Network::Network(const NetworkSpec& spec, uint32_t max_batch, bool momentum)
    : spec_(spec), max_batch_(max_batch), input_{spec.channels, spec.rows, spec.cols} {
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
    layers_.reserve(spec.layers.size());
    Shape shape = input_;
    for (size_t i = 0; i < spec.layers.size(); ++i) {
        build_layer(i, shape, i ? &layers_[i - 1] : nullptr, momentum);
        shape = layers_.back().out;
    }
    loss_grad_.resize(static_cast<size_t>(max_batch) * num_classes());
}

void Network::build_layer(size_t index, Shape in, const Layer* prev, bool momentum) {
    const LayerSpec& s = spec_.layers[index];
    Layer L;
    L.spec = s;
    L.in = in;
    size_t same_kind = 1;
    for (size_t j = 0; j < index; ++j) same_kind += spec_.layers[j].kind == s.kind;
    L.name = std::string(layer_kind_name(s.kind)) + std::to_string(same_kind);
    if (prev) {
        L.formats = prev->formats;
        L.act_format = prev->act_format;
        L.err_format = prev->err_format;
        L.in_err_format = prev->err_format;
    } else {
        L.formats.activations = input_format_;
        L.act_format = input_format_;
    }
    const bool compute = s.kind == LayerKind::conv || s.kind == LayerKind::fc;
    LayerRangeInfo info;
    info.batch = max_batch_;
    switch (s.kind) {
        case LayerKind::conv: {
            if (s.out_channels == 0 || s.kernel == 0 || s.stride == 0)
                throw NetworkError(index,
                                   where(index, s) + ": out_channels, kernel and stride must be positive");
            if (in.h + 2 * s.pad < s.kernel || in.w + 2 * s.pad < s.kernel)
                throw NetworkError(index, where(index, s) + ": kernel " + std::to_string(s.kernel) +
                                              " exceeds the padded " + std::to_string(in.h) + "x" +
                                              std::to_string(in.w) + " input");
            L.conv = Conv2dShape{in.c, in.h, in.w, s.out_channels, s.kernel, s.stride, s.pad};
            L.out = Shape{s.out_channels, L.conv.out_rows(), L.conv.out_cols()};
            info.fan_in = L.conv.patch_size();
            break;
        }
        case LayerKind::fc:
            if (s.out == 0) throw NetworkError(index, where(index, s) + ": out must be positive");
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
                throw NetworkError(index, where(index, s) + ": pool size must be 1.." +
                                              std::to_string(std::min(in.h, in.w)));
            L.pool = PoolShape{in.c, in.h, in.w, s.size, stride};
            L.out = Shape{in.c, L.pool.out_rows(), L.pool.out_cols()};
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
            throw NetworkError(index, where(index, s) +
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
                         {"backward data", L.formats.weights, L.formats.errors, index > 0},
                         {"weight gradient", L.formats.errors, in_act, true}};
            for (const auto& p : pairs)
                if (const std::string why = brick_pair_error(p.a, p.b); p.used && !why.empty())
                    throw NetworkError(index, where(index, s) + ": " + p.phase + ": " + why);
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
    if (L.out.size() == 0) throw NetworkError(index, where(index, s) + ": empty output");
    L.y.resize(static_cast<size_t>(max_batch_) * L.out.size());
    if (index > 0) L.dx.resize(static_cast<size_t>(max_batch_) * in.size());
    if (s.kind == LayerKind::maxpool) L.argmax.resize(L.y.size());
    layers_.push_back(std::move(L));
}

void Network::init(InitKind kind, uint64_t seed) {
    const MacConfig real{};
    for (size_t l = 0; l < layers_.size(); ++l) {
        Layer& L = layers_[l];
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
    if (n > max_batch_) throw UserError("network: batch of " + std::to_string(n) + " exceeds the buffers");
    const float* cur = x;
    num::Format cur_fmt = input_format_;
    for (size_t l = 0; l < layers_.size(); ++l) {
        Layer& L = layers_[l];
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
        }
        cur = L.y.data();
        cur_fmt = L.act_format;
    }
}

LossResult Network::loss(const uint8_t* labels, uint32_t n, uint64_t seed, uint32_t step, bool grad) {
    const Layer& last = layers_.back();
    const Out g{grad ? loss_grad_.data() : nullptr, last.err_format,
                key(seed, layers_.size(), Slot::dx, step), &loss_stats_};
    return softmax_cross_entropy(n, num_classes(), last.y.data(), labels, g);
}

void Network::backward(const float* x, uint32_t n, uint64_t seed, uint32_t step) {
    const float* g = loss_grad_.data();
    for (size_t l = layers_.size(); l-- > 0;) {
        Layer& L = layers_[l];
        const bool need_dx = l > 0;
        const In xin{l ? layers_[l - 1].y.data() : x, l ? layers_[l - 1].act_format : input_format_};
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
        }
        g = L.dx.data();
    }
}

void Network::update(const SgdParams& params, uint32_t n, uint64_t seed, uint32_t step) {
    for (size_t l = 0; l < layers_.size(); ++l) {
        Layer& L = layers_[l];
        if (!L.weight) continue;
        SgdParams p = params;
        p.batch = n;
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
        if (!L.weight) continue;
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
            // The error at this layer's output as it was rounded: by the next conv/fc's backward-data pass
            // (ReLU and pooling between only select it), or by the loss for the last layer.
            size_t k = l + 1;
            while (k < layers_.size() && !layers_[k].weight) ++k;
            if (k < layers_.size())
                next(Role::errors, {{layers_[k].dx.data(), size_t{n} * layers_[k].in.size()}});
            else
                next(Role::errors, {{loss_grad_.data(), size_t{n} * num_classes()}});
        }
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
        const Layer* prev = l ? &layers_[l - 1] : nullptr;
        if (prev) L.in_err_format = prev->err_format;
        if (L.weight) {
            L.act_format = L.formats.activations;
            L.err_format = L.formats.errors;
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
