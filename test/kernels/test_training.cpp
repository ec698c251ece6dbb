// Short training runs on a synthetic image set the test makes: the loss must fall, accuracy must rise, and
// the run must be bit-for-bit reproducible from its seed.
#include <catch2/catch.hpp>

#include "common/state_io.h"
#include "kernels/lr_schedule_core.h"
#include "kernels/prng.h"
#include "kernels/trainer.h"
#include "kernels/weights_io.h"

using namespace trainvp;
using namespace trainvp::kern;

namespace {

// 8x8 images of four classes: a horizontal bar, a vertical bar, the diagonal, the anti-diagonal, each at a
// random offset, on a noisy background.
struct Synthetic {
    std::vector<uint8_t> images, labels;
    DataView view;
    Synthetic(uint32_t count, uint64_t stream) : images(count * 64), labels(count) {
        for (uint32_t i = 0; i < count; ++i) {
            const uint32_t cls = i % 4, pos = random_below(5, stream, i, 8);
            labels[i] = static_cast<uint8_t>(cls);
            for (uint32_t y = 0; y < 8; ++y)
                for (uint32_t x = 0; x < 8; ++x) {
                    const bool on = cls == 0   ? y == pos
                                    : cls == 1 ? x == pos
                                    : cls == 2 ? x == (y + pos) % 8
                                               : x == (7 - y + pos) % 8;
                    const uint32_t noise = random_below(6, stream, i * 64 + y * 8 + x, 60);
                    images[i * 64 + y * 8 + x] = static_cast<uint8_t>(on ? 255 - noise : noise);
                }
        }
        view = DataView{images.data(), labels.data(), count, 1, 8, 8};
    }
};

NetworkSpec small_cnn() {
    NetworkSpec spec;
    spec.channels = 1;
    spec.rows = spec.cols = 8;
    LayerSpec conv, relu, pool, fc;
    conv.kind = LayerKind::conv;
    conv.out_channels = 4;
    conv.kernel = 3;
    conv.pad = 1;
    relu.kind = LayerKind::relu;
    pool.kind = LayerKind::maxpool;
    fc.kind = LayerKind::fc;
    fc.out = 4;
    spec.layers = {conv, relu, pool, fc};
    return spec;
}

TrainConfig config() {
    TrainConfig cfg;
    cfg.batch = 16;
    cfg.lr = 0.1;
    cfg.seed = 3;
    return cfg;
}

void check_learns(const NetworkSpec& spec, const TrainConfig& cfg) {
    const Synthetic train(256, 1), test(128, 2);
    Trainer t(spec, cfg);
    const EvalResult before = t.evaluate(test.view);
    EpochResult first, last;
    for (int e = 0; e < 5; ++e) {
        last = t.train_epoch(train.view);
        if (e == 0) first = last;
    }
    const EvalResult after = t.evaluate(test.view);
    CHECK(last.train.loss < 0.5 * first.train.loss);
    CHECK(after.loss < 0.5 * before.loss);
    CHECK(after.accuracy > 0.9);
    CHECK(t.steps_done() == 5 * 16);
}

}  // namespace

TEST_CASE("training on synthetic images lowers the loss (fp32, momentum)") {
    TrainConfig cfg = config();
    cfg.momentum = 0.9;
    check_learns(small_cnn(), cfg);
}

TEST_CASE("training on synthetic images lowers the loss (16-bit fixed point by the default rule, momentum)") {
    NetworkSpec spec = small_cnn();
    for (Role r : {Role::weights, Role::activations, Role::errors, Role::weight_grads})
        spec.formats[r] = parse_format_request("fx16");
    spec.formats[Role::master_weights] = parse_format_request("fx16:sr");
    TrainConfig cfg = config();
    cfg.momentum = 0.5;
    check_learns(spec, cfg);
}

TEST_CASE("training is reproducible from the seed, bit for bit") {
    const Synthetic train(64, 1);
    NetworkSpec spec = small_cnn();
    spec.formats[Role::activations] = parse_format_request("fx12:sr");
    spec.formats[Role::errors] = parse_format_request("bf16:sr");
    auto run = [&](uint64_t seed) {
        TrainConfig cfg = config();
        cfg.seed = seed;
        Trainer t(spec, cfg);
        t.train_epoch(train.view);
        t.train_epoch(train.view);
        WeightsManifest m;
        return serialize_weights(t.network(), m);
    };
    const std::vector<uint8_t> a = run(3), b = run(3), c = run(4);
    CHECK(a == b);
    CHECK(a != c);
}

TEST_CASE("a learning-rate step schedule multiplies lr by the factor every N epochs") {
    CHECK(tvp_epoch_lr(0.08, 0, 0.5, 7) == 0.08);  // no schedule
    CHECK(tvp_epoch_lr(0.08, 2, 0.5, 0) == 0.08);
    CHECK(tvp_epoch_lr(0.08, 2, 0.5, 1) == 0.08);
    CHECK(tvp_epoch_lr(0.08, 2, 0.5, 2) == 0.04);
    CHECK(tvp_epoch_lr(0.08, 2, 0.5, 5) == 0.02);  // powers of two: exact
    CHECK(tvp_epoch_lr(0.1, 1, 0.1, 2) == 0.1 * 0.1 * 0.1);

    // A trainer follows it: factor 1 is no schedule; factor 0 freezes the weights (no momentum, no decay)
    // from the first step of the decayed epoch; a factor in between leaves epoch 1 alone and changes epoch 2.
    const Synthetic train(64, 1);
    auto weights_after = [&](uint32_t every, double factor, int epochs) {
        TrainConfig cfg = config();
        cfg.lr_decay_every = every, cfg.lr_decay_factor = factor;
        Trainer t(small_cnn(), cfg);
        for (int e = 0; e < epochs; ++e) t.train_epoch(train.view);
        WeightsManifest m;
        return serialize_weights(t.network(), m);
    };
    CHECK(weights_after(1, 1.0, 2) == weights_after(0, 1.0, 2));
    CHECK(weights_after(1, 0.0, 3) == weights_after(0, 1.0, 1));
    CHECK(weights_after(1, 0.5, 1) == weights_after(0, 1.0, 1));
    CHECK(weights_after(1, 0.5, 2) != weights_after(0, 1.0, 2));
    CHECK(weights_after(2, 0.0, 2) == weights_after(0, 1.0, 2));  // the first decay is after epoch 2
}

// The state a golden checkpoint holds: a trainer restored from it in the middle of an epoch finishes the run
// with the same weights, master copies, velocities, epoch figures and rounding statistics as one that ran
// in one piece.
TEST_CASE("a trainer restored mid-epoch finishes bit for bit like one trained in one piece") {
    const Synthetic train(80, 1), test(32, 2);
    NetworkSpec spec = small_cnn();
    spec.formats[Role::activations] = parse_format_request("fx12:sr");
    spec.formats[Role::master_weights] = parse_format_request("fx16:sr");
    TrainConfig cfg = config();
    cfg.momentum = 0.9;
    cfg.weight_decay = 1e-3;

    Trainer whole(spec, cfg);
    const EpochResult w1 = whole.train_epoch(train.view);
    const EpochResult w2 = whole.train_epoch(train.view);
    const EvalResult wt = whole.evaluate(test.view);

    // Saved after step 2 of the second epoch (5 batches per epoch): the cursor is mid-epoch.
    Trainer first(spec, cfg);
    first.train_epoch(train.view);
    StateWriter saved;
    bool taken = false;
    first.train_epoch(train.view, [&](uint32_t done, uint32_t) {
        if (!taken && done == 2 * cfg.batch) {
            first.save_state(saved);
            taken = true;
        }
    });
    REQUIRE(taken);

    Trainer resumed(spec, cfg);
    StateReader r(saved.data(), "trainer");
    resumed.restore_state(r);
    r.expect_end();
    CHECK(resumed.epochs_done() == 1);
    CHECK(resumed.steps_done() == 7);
    CHECK(resumed.cursor().next == 2 * cfg.batch);
    const EpochResult r2 = resumed.train_epoch(train.view);
    const EvalResult rt = resumed.evaluate(test.view);

    CHECK(r2.epoch == w2.epoch);
    CHECK(r2.train.loss == w2.train.loss);
    CHECK(r2.train.accuracy == w2.train.accuracy);
    CHECK(rt.loss == wt.loss);
    CHECK(rt.accuracy == wt.accuracy);
    CHECK(resumed.steps_done() == whole.steps_done());
    CHECK(resumed.cursor().next == 0);
    WeightsManifest m;
    CHECK(serialize_weights(resumed.network(), m) == serialize_weights(whole.network(), m));
    for (size_t l = 0; l < whole.network().layers().size(); ++l) {
        const Layer& a = whole.network().layers()[l];
        const Layer& b = resumed.network().layers()[l];
        for (const auto* p : {&a.weight, &a.bias}) {
            if (!*p) continue;
            const ParamTensor& pb = *(p == &a.weight ? b.weight : b.bias);
            CHECK((*p)->velocity == pb.velocity);
        }
        for (int k = 0; k < kRoleCount; ++k) CHECK(a.stats.roles[k].values == b.stats.roles[k].values);
        CHECK(a.stats.acc.additions == b.stats.acc.additions);
    }
    CHECK(whole.input_stats().values == resumed.input_stats().values);
    CHECK(w1.epoch == 1);
}

TEST_CASE("a parameters-only trainer has the same parameters and formats, and refuses to run") {
    TrainConfig cfg = config();
    cfg.momentum = 0.9;
    Trainer full(small_cnn(), cfg), params(small_cnn(), cfg, false);
    WeightsManifest a, b;
    CHECK(serialize_weights(full.network(), a) == serialize_weights(params.network(), b));
    REQUIRE(full.network().layers().size() == params.network().layers().size());
    for (size_t l = 0; l < full.network().layers().size(); ++l) {
        const Layer &F = full.network().layers()[l], &P = params.network().layers()[l];
        CHECK(F.act_format == P.act_format);
        CHECK(F.err_format == P.err_format);
        CHECK(!F.y.empty());
        CHECK(P.y.empty());  // no batch buffers
        CHECK(P.dx.empty());
    }
    Network& net = params.network();
    const std::vector<float> x(net.input_size(), 0.5f);
    CHECK_THROWS_WITH(net.forward(x.data(), 1, 1, 0), Catch::Contains("without batch buffers"));
    CHECK_THROWS_WITH(net.backward(x.data(), 1, 1, 0), Catch::Contains("without batch buffers"));
}

TEST_CASE("a trainer refuses the state of another network") {
    Trainer a(small_cnn(), config());
    StateWriter w;
    a.save_state(w);
    NetworkSpec other = small_cnn();
    other.layers[0].out_channels = 5;
    Trainer b(other, config());
    StateReader r(w.data(), "trainer");
    CHECK_THROWS_AS(b.restore_state(r), StateError);
    StateReader shorter(w.data().data(), w.size() - 1, "trainer");
    Trainer c(small_cnn(), config());
    CHECK_THROWS_WITH(c.restore_state(shorter), Catch::Contains("trainer: ends at byte"));
}

TEST_CASE("epoch order is a permutation that changes between epochs") {
    Trainer t(small_cnn(), config());
    const std::vector<uint32_t> e0 = t.epoch_order(100, 0), e1 = t.epoch_order(100, 1);
    std::vector<uint32_t> sorted = e0;
    std::sort(sorted.begin(), sorted.end());
    for (uint32_t i = 0; i < 100; ++i) CHECK(sorted[i] == i);
    CHECK(e0 != e1);
}

TEST_CASE("LeNet-5 and MLP presets have the documented shapes and fixed-point formats by the rule") {
    NetworkSpec spec;
    spec.layers = lenet5_layers();
    spec.formats[Role::weights] = parse_format_request("fx16");
    spec.formats[Role::activations] = parse_format_request("fx16");
    Network net(spec, 32, false);
    const auto& L = net.layers();
    REQUIRE(L.size() == 11);
    CHECK(L[0].out.c == 6);
    CHECK(L[0].out.h == 28);  // 28x28 zero-padded to 32x32, 5x5 kernel
    CHECK(L[2].out.h == 14);
    CHECK(L[3].out.h == 10);
    CHECK(L[5].out.size() == 400);
    CHECK(L[6].out.size() == 120);
    CHECK(L[8].out.size() == 84);
    CHECK(L[10].out.size() == 10);
    // weights: frac = 15 - ceil(log2(4 sqrt(6 / fan_in))); activations: range 32 (logits 64).
    CHECK(L[0].formats.weights.to_string() == "fx16.14");  // fan-in 25: bound 1.96
    CHECK(L[3].formats.weights.to_string() == "fx16.15");  // fan-in 150: 0.8
    CHECK(L[6].formats.weights.to_string() == "fx16.16");  // fan-in 400: 0.49
    CHECK(L[0].formats.activations.to_string() == "fx16.10");
    CHECK(L[10].formats.activations.to_string() == "fx16.9");
    CHECK(net.input_format().to_string() == "fx16.14");
    CHECK(L[0].formats.errors.to_string() == "fp32");

    NetworkSpec mlp;
    mlp.layers = mlp_layers();
    Network m(mlp, 8, false);
    CHECK(m.layers().back().out.size() == 10);
    CHECK(m.parameters().size() == 6);
}

// Issue 15 item 3: int8 with tracked per-tensor scales and an fp32 master copy (docs/numerics.md).
TEST_CASE("training with int8 tracked scales learns, its scales move and the layers after follow them") {
    NetworkSpec spec = small_cnn();
    for (Role r : {Role::weights, Role::activations, Role::errors, Role::weight_grads})
        spec.formats[r] = parse_format_request("int8");
    TrainConfig cfg = config();
    cfg.momentum = 0.5;
    {
        Trainer t(spec, cfg);
        CHECK(t.network().has_tracked_scales());
        CHECK(t.network().layers()[0].formats.master_weights.kind == num::FormatKind::fp32);
    }
    check_learns(spec, cfg);

    const Synthetic train(64, 1);
    Trainer t(spec, cfg);
    const Network& net = t.network();
    const Layer &conv = net.layers()[0], &relu = net.layers()[1], &pool = net.layers()[2], &fc = net.layers()[3];
    const int act0 = conv.formats.activations.scale_exp, grad0 = conv.formats.weight_grads.scale_exp;
    t.train_epoch(train.view);
    // The rule's starting ranges are generous (activations 32, gradients 2 x batch): the scales fall.
    CHECK(conv.formats.activations.scale_exp < act0);
    CHECK(conv.formats.weight_grads.scale_exp < grad0);
    // ReLU and pooling inherit the conv's formats; the fc's input error is rounded in the conv's format.
    CHECK(relu.act_format.scale_exp == conv.formats.activations.scale_exp);
    CHECK(pool.act_format.scale_exp == conv.formats.activations.scale_exp);
    CHECK(fc.in_err_format.scale_exp == conv.formats.errors.scale_exp);
    // Every tracked tensor's codes fit its scale: the working weights are the master copy in int8.
    for (const Layer* L : {&conv, &fc}) {
        const num::Format& f = L->formats.weights;
        CHECK(f.kind == num::FormatKind::int8);
        for (size_t i = 0; i < L->weight->values.size(); ++i)
            REQUIRE(L->weight->values[i] == num::quantize(L->weight->master[i], f));
    }
}

TEST_CASE("a trainer with int8 tracked scales restored mid-epoch finishes bit for bit") {
    const Synthetic train(80, 1);
    NetworkSpec spec = small_cnn();
    for (Role r : {Role::weights, Role::activations, Role::errors, Role::weight_grads})
        spec.formats[r] = parse_format_request("int8");
    const TrainConfig cfg = config();
    Trainer whole(spec, cfg);
    whole.train_epoch(train.view);
    Trainer first(spec, cfg);
    StateWriter saved;
    first.train_epoch(train.view, [&](uint32_t done, uint32_t) {
        if (done == 3 * cfg.batch) first.save_state(saved);
    });
    Trainer resumed(spec, cfg);
    StateReader r(saved.data(), "trainer");
    resumed.restore_state(r);
    r.expect_end();
    resumed.train_epoch(train.view);
    WeightsManifest m;
    CHECK(serialize_weights(resumed.network(), m) == serialize_weights(whole.network(), m));
    for (size_t l = 0; l < whole.network().layers().size(); ++l)
        for (int k = 0; k < kRoleCount; ++k)
            CHECK(resumed.network().layers()[l].formats[static_cast<Role>(k)].scale_exp ==
                  whole.network().layers()[l].formats[static_cast<Role>(k)].scale_exp);
}
