// Networks as graphs (issue 15 items 1 and 2): named inputs, add, concat, global average pooling and the
// range group normalization inside a network; the error sums of layers read more than once; the ResNet
// presets; graphs that cannot be built.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "kernel_test_util.h"
#include "kernels/network.h"
#include "kernels/residual.h"

using namespace trainvp;
using namespace trainvp::kern;
using Catch::Matchers::Contains;
using ktest::max_rel_err;
using ktest::random_floats;

namespace {

LayerSpec layer(LayerKind kind, const std::string& name, std::vector<std::string> inputs) {
    LayerSpec s;
    s.kind = kind;
    s.name = name;
    s.inputs = std::move(inputs);
    return s;
}

LayerSpec conv(const std::string& name, const std::string& input, uint32_t channels, uint32_t kernel,
               uint32_t stride = 1) {
    LayerSpec s = layer(LayerKind::conv, name, {input});
    s.out_channels = channels;
    s.kernel = kernel;
    s.pad = kernel / 2;
    s.stride = stride;
    return s;
}

LayerSpec fc(const std::string& name, const std::string& input, uint32_t out) {
    LayerSpec s = layer(LayerKind::fc, name, {input});
    s.out = out;
    return s;
}

LayerSpec norm(const std::string& name, const std::string& input, uint32_t groups) {
    LayerSpec s = layer(LayerKind::norm, name, {input});
    s.groups = groups;
    return s;
}

// A residual block whose relu output is read twice (by c2 and by the add), a 1x1 conv, a concat of the sum
// and the conv, global average pooling and fc: every graph construct in one small network.
NetworkSpec graph_spec() {
    NetworkSpec spec;
    spec.channels = 2;
    spec.rows = spec.cols = 6;
    spec.layers = {conv("c1", "input", 4, 3),
                   norm("n1", "c1", 2),
                   layer(LayerKind::relu, "r1", {"n1"}),
                   conv("c2", "r1", 4, 3),
                   layer(LayerKind::add, "sum", {"c2", "r1"}),
                   conv("c3", "sum", 2, 1),
                   layer(LayerKind::concat, "cat", {"sum", "c3"}),
                   layer(LayerKind::global_avgpool, "gap", {"cat"}),
                   fc("out", "gap", 3)};
    return spec;
}

// Central differences of the loss against every parameter value, compared with the summed gradients.
void check_parameter_gradients(Network& net, const std::vector<float>& x, const std::vector<uint8_t>& labels,
                               uint32_t batch) {
    auto loss = [&] {
        net.forward(x.data(), batch, 1, 0);
        return net.loss(labels.data(), batch, 1, 0, false).loss_sum;
    };
    net.forward(x.data(), batch, 1, 0);
    net.loss(labels.data(), batch, 1, 0, true);
    net.backward(x.data(), batch, 1, 0);
    size_t checked = 0;
    for (ParamTensor* p : net.mutable_parameters()) {
        INFO(p->name);
        std::vector<double> num(p->values.size());
        const float eps = 1e-3f;
        for (size_t i = 0; i < p->values.size(); ++i) {
            const float keep = p->values[i];
            p->values[i] = keep + eps;
            const double up = loss();
            p->values[i] = keep - eps;
            const double down = loss();
            p->values[i] = keep;
            num[i] = (up - down) / (double(keep + eps) - double(keep - eps));
        }
        CHECK(max_rel_err(p->grad, num, 1e-2) < 2e-2);
        ++checked;
    }
    CHECK(checked == net.parameters().size());
}

std::string build_error(const NetworkSpec& spec, size_t* layer = nullptr) {
    try {
        Network net(spec, 2, false);
    } catch (const NetworkError& e) {
        if (layer) *layer = e.layer;
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("graph network: the backward pass through add, concat, norm and global pooling is the gradient") {
    NetworkSpec spec = graph_spec();
    // The exact gradient holds the norm's step-function scale fixed; the default projection treats it as
    // 1/sigma instead (test_group_norm.cpp checks that against its own surrogate).
    for (LayerSpec& s : spec.layers)
        if (s.kind == LayerKind::norm) s.norm_gradient = NormGradient::fixed;
    const uint32_t batch = 2;
    Network net(spec, batch, false);
    net.init(InitKind::he_uniform, 5);
    // Non-trivial gamma and beta, so that their gradients and the error through them are exercised.
    for (Layer& L : net.layers())
        if (L.spec.kind == LayerKind::norm)
            for (size_t c = 0; c < L.weight->values.size(); ++c) {
                L.weight->values[c] = 0.5f + 0.25f * float(c);
                L.bias->values[c] = 0.1f * float(c) - 0.1f;
            }
    const std::vector<float> x = random_floats(batch * net.input_size(), 21, 0, 1);
    check_parameter_gradients(net, x, {2, 0}, batch);

    // The structure the firmware schedules from.
    const auto& Ls = net.layers();
    CHECK(Ls[2].name == "r1");
    CHECK(Ls[2].consumers == std::vector<uint32_t>{3, 4});
    CHECK(Ls[4].inputs == std::vector<int32_t>{3, 2});
    CHECK(Ls[4].consumers == std::vector<uint32_t>{5, 6});
    CHECK(Ls[6].out.c == 6);
    CHECK(Ls[7].out.size() == 6);
    CHECK(Ls[0].inputs == std::vector<int32_t>{-1});
    CHECK(Ls[0].dx.empty());  // reads the network input: no input error
    CHECK(net.output_error(2) == Ls[2].dy.data());
    // c2's single consumer is the add, in c2's error format: c2's error is the add's (summed) error itself.
    CHECK(net.output_error(3) == Ls[4].dy.data());
}

TEST_CASE("a layer read twice by one add gets twice the error; the input read twice needs no error") {
    NetworkSpec spec;
    spec.channels = 1;
    spec.rows = spec.cols = 4;
    spec.layers = {conv("c", "input", 2, 3), layer(LayerKind::add, "twice", {"c", "c"}),
                   layer(LayerKind::add, "skip", {"twice", "input", "input"}), fc("f", "skip", 3)};
    // "skip" adds a 2-channel and a 1-channel tensor: refused, with both shapes.
    CHECK_THAT(build_error(spec), Contains("layer 2 'skip' (add)") && Contains("'twice' is 2x4x4") &&
                                      Contains("'input' is 1x4x4"));
    spec.layers[0].out_channels = 1;
    const uint32_t batch = 3;
    Network net(spec, batch, false);
    net.init(InitKind::he_uniform, 9);
    const std::vector<float> x = random_floats(batch * net.input_size(), 4, -1, 1);
    check_parameter_gradients(net, x, {0, 1, 2}, batch);
    const Layer& c = net.layers()[0];
    REQUIRE(c.consumers.size() == 2);
    for (size_t i = 0; i < size_t{batch} * c.out.size(); ++i)
        CHECK(net.output_error(0)[i] == 2.0f * net.output_error(1)[i]);
}

TEST_CASE("the summed error of a layer with two consumers follows the documented order and rounding") {
    // fp8 errors: the sum is rounded once, stochastically, with the dy key of the producing layer.
    NetworkSpec spec = graph_spec();
    spec.formats[Role::errors] = parse_format_request("fp8e5m2:sr");
    const uint32_t batch = 2, step = 3;
    const uint64_t seed = 11;
    Network net(spec, batch, false);
    net.init(InitKind::he_uniform, 5);
    const std::vector<float> x = random_floats(batch * net.input_size(), 8, 0, 1);
    const std::vector<uint8_t> labels = {1, 2};
    net.forward(x.data(), batch, seed, step);
    net.loss(labels.data(), batch, seed, step, true);
    net.backward(x.data(), batch, seed, step);
    const auto& Ls = net.layers();
    // r1 (layer 2) is read by c2 (its dx, in r1's error format) and by the add (the add's own error).
    const Layer& r1 = Ls[2];
    const In parts[2] = {In{Ls[3].dx.data(), Ls[3].in_err_format}, In{net.output_error(4), Ls[4].err_format}};
    std::vector<float> expect(size_t{batch} * r1.out.size());
    sum_errors(expect.size(), parts, 2,
               Out{expect.data(), r1.err_format, num::SrKey{seed, tensor_id(2, Slot::dy), step}, nullptr});
    CHECK(ktest::bitwise_equal(std::vector<float>(r1.dy.begin(), r1.dy.begin() + expect.size()), expect));
    CHECK(r1.err_format.to_string() == "fp8e5m2:sr");
    // Summed in the other order, the double sum is the same here, but the key decides the rounding: another
    // slot's key gives other bits somewhere.
    std::vector<float> other(expect.size());
    sum_errors(other.size(), parts, 2,
               Out{other.data(), r1.err_format, num::SrKey{seed, tensor_id(2, Slot::dx), step}, nullptr});
    CHECK_FALSE(ktest::bitwise_equal(other, expect));
}

TEST_CASE("a chain written with names and inputs trains bit for bit as the unnamed chain") {
    NetworkSpec plain;
    plain.channels = 1;
    plain.rows = plain.cols = 8;
    plain.layers = lenet5_layers();
    plain.layers[0].kernel = 3;
    plain.layers[0].pad = 1;
    plain.layers[3].kernel = 1;
    plain.formats[Role::errors] = parse_format_request("fx12:sr");
    NetworkSpec named = plain;
    std::string prev = "input";
    for (size_t i = 0; i < named.layers.size(); ++i) {
        named.layers[i].name = "L" + std::to_string(i);
        named.layers[i].inputs = {prev};
        prev = named.layers[i].name;
    }
    const uint32_t batch = 4;
    Network a(plain, batch, true), b(named, batch, true);
    a.init(InitKind::he_uniform, 3);
    b.init(InitKind::he_uniform, 3);
    CHECK(a.is_chain());
    CHECK(b.is_chain());
    const std::vector<float> x = random_floats(batch * a.input_size(), 2, 0, 1);
    const std::vector<uint8_t> labels = {0, 5, 9, 3};
    SgdParams p;
    p.momentum = 0.9;
    for (uint32_t step = 0; step < 3; ++step) {
        const LossResult ra = a.train_step(x.data(), labels.data(), batch, p, 1, step);
        const LossResult rb = b.train_step(x.data(), labels.data(), batch, p, 1, step);
        CHECK(ra.loss_sum == rb.loss_sum);
    }
    const auto pa = a.parameters(), pb = b.parameters();
    REQUIRE(pa.size() == pb.size());
    for (size_t i = 0; i < pa.size(); ++i) CHECK(ktest::bitwise_equal(pa[i]->master, pb[i]->master));
    CHECK(a.layers()[0].name == "conv1");
    CHECK(b.layers()[0].name == "L0");
    for (const Layer& L : a.layers()) CHECK(L.dy.empty());  // chains never sum errors
}

TEST_CASE("norm: gamma starts at 1 and beta at 0, are fp32, learn without weight decay") {
    NetworkSpec spec;
    spec.channels = 2;
    spec.rows = spec.cols = 4;
    spec.formats[Role::weights] = parse_format_request("fp8e4m3");
    spec.layers = {conv("c", "input", 4, 3), norm("n", "c", 2), fc("f", "n", 2)};
    spec.layers[0].bias = false;
    Network net(spec, 2, false);
    net.init(InitKind::he_uniform, 1);
    const Layer& n = net.layers()[1];
    REQUIRE(n.weight);
    REQUIRE(n.bias);
    CHECK(n.weight->name == "n.gamma");
    CHECK(n.bias->name == "n.beta");
    CHECK(n.weight->values == std::vector<float>(4, 1.0f));
    CHECK(n.bias->values == std::vector<float>(4, 0.0f));
    CHECK(n.formats.weights.to_string() == "fp32");
    CHECK(net.layers()[0].formats.weights.to_string() == "fp8e4m3");
    // Weight decay alone does not move gamma (its gradient zeroed here); beta follows its gradient.
    const std::vector<float> x = random_floats(2 * net.input_size(), 3, 0, 1);
    const std::vector<uint8_t> labels = {0, 1};
    SgdParams p;
    net.forward(x.data(), 2, 1, 0);
    net.loss(labels.data(), 2, 1, 0, true);
    net.backward(x.data(), 2, 1, 0);
    std::fill(net.layers()[1].weight->grad.begin(), net.layers()[1].weight->grad.end(), 0.0f);
    p.lr = 0.5;
    p.weight_decay = 0.5;
    const std::vector<float> gamma_before = net.layers()[1].weight->master;
    net.update(p, 2, 1, 0);
    CHECK(net.layers()[1].weight->master == gamma_before);  // zero gradient, no decay
    CHECK(net.layers()[1].bias->master != std::vector<float>(4, 0.0f));

    spec.layers[1].groups = 3;
    size_t at = 99;
    CHECK_THAT(build_error(spec, &at), Contains("layer 1 'n' (norm)") && Contains("groups"));
    CHECK(at == 1);
}

TEST_CASE("graphs that cannot be built are refused with the layer's index and name") {
    NetworkSpec good = graph_spec();
    REQUIRE(build_error(good) == "no error");
    auto refused = [&](auto change, size_t expect_layer) {
        NetworkSpec s = graph_spec();
        change(s);
        size_t at = 999;
        const std::string what = build_error(s, &at);
        CHECK(at == expect_layer);
        return what;
    };
    CHECK_THAT(refused([](NetworkSpec& s) { s.layers[3].inputs = {"r9"}; }, 3),
               Contains("layer 3 'c2' (conv): unknown input 'r9'"));
    CHECK_THAT(refused([](NetworkSpec& s) { s.layers[3].inputs = {"sum"}; }, 3),
               Contains("'c2'") && Contains("input 'sum' is defined later") && Contains("cycle"));
    CHECK_THAT(refused([](NetworkSpec& s) { s.layers[3].inputs = {"c2"}; }, 3),
               Contains("'c2' (conv): takes its own output as input (a cycle)"));
    CHECK_THAT(refused([](NetworkSpec& s) { s.layers[5].name = "c1"; }, 5),
               Contains("layer 5 'c1' (conv): duplicate layer name"));
    CHECK_THAT(refused([](NetworkSpec& s) { s.layers[3].out_channels = 3; }, 4),
               Contains("layer 4 'sum' (add): input 'c2' is 3x6x6 but input 'r1' is 4x6x6"));
    CHECK_THAT(refused([](NetworkSpec& s) { s.layers[5].stride = 2; }, 6),
               Contains("'cat' (concat): input 'sum' is 4x6x6 but input 'c3' is 2x3x3"));
    CHECK_THAT(refused([](NetworkSpec& s) { s.layers[6].inputs = {"sum"}; }, 5),
               Contains("layer 5 'c3' (conv): its output is not used by any later layer"));
    CHECK_THAT(refused([](NetworkSpec& s) { s.layers[4].inputs = {"c2"}; }, 4),
               Contains("add needs at least two inputs"));
    CHECK_THAT(refused([](NetworkSpec& s) { s.layers[3].inputs = {"r1", "n1"}; }, 3),
               Contains("takes exactly one input, not 2"));
    CHECK_THAT(refused([](NetworkSpec& s) { s.layers[1].name = "input"; }, 1), Contains("reserved"));
}

TEST_CASE("resnet presets: layer structure and forward MACs from the layer shapes") {
    for (const uint32_t n : {1u, 3u}) {
        INFO("n = " << n);
        NetworkSpec spec;
        spec.channels = 3;
        spec.rows = spec.cols = 32;
        spec.layers = resnet_layers(n);
        Network net(spec, 1, false);
        // Independent count: (output pixels) x (output channels) x (input channels) x k^2 per conv.
        auto conv_macs = [](uint64_t side, uint64_t cin, uint64_t cout, uint64_t k) {
            return side * side * cout * cin * k * k;
        };
        uint64_t expect = conv_macs(32, 3, 16, 3);           // stem
        expect += 2 * n * conv_macs(32, 16, 16, 3);          // stage 1
        for (const uint64_t c : {32u, 64u}) {                // stages 2 and 3 at half the side each
            const uint64_t side = c == 32 ? 16 : 8;
            expect += conv_macs(side, c / 2, c, 3);          // first conv, stride 2
            expect += (2 * n - 1) * conv_macs(side, c, c, 3);
            expect += conv_macs(side, c / 2, c, 1);          // projection shortcut
        }
        expect += 64 * 10;
        CHECK(net.forward_macs() == expect);
        size_t convs3 = 0, fcs = 0, adds = 0, norms = 0;
        for (const Layer& L : net.layers()) {
            convs3 += L.spec.kind == LayerKind::conv && L.spec.kernel == 3;
            fcs += L.spec.kind == LayerKind::fc;
            adds += L.spec.kind == LayerKind::add;
            norms += L.spec.kind == LayerKind::norm;
        }
        CHECK(convs3 + fcs == 6 * n + 2);  // ResNet-8 / ResNet-20
        CHECK(adds == 3 * n);
        CHECK(norms == 6 * n + 1 + 2);
        CHECK(net.layers().back().out.size() == 10);
        CHECK(net.layers()[net.layers().size() - 2].in.h == 8);
        if (n == 3) CHECK(std::fabs(double(net.forward_macs()) - 41e6) < 0.5e6);  // "about 41 M" (issue 15)
    }
    // Fashion-MNIST's 1x28x28: stages at 28, 14, 7.
    NetworkSpec f;
    f.channels = 1;
    f.rows = f.cols = 28;
    f.layers = resnet_layers(1);
    Network net(f, 1, false);
    CHECK(net.layers()[net.layers().size() - 2].in.h == 7);
}

TEST_CASE("int8 with tracked scales: norm and add outputs have scales of their own") {
    NetworkSpec spec = graph_spec();
    for (Role r : {Role::weights, Role::activations, Role::errors, Role::weight_grads})
        spec.formats[r] = parse_format_request("int8");
    spec.formats[Role::master_weights] = parse_format_request("fp32");
    const uint32_t batch = 4;
    Network net(spec, batch, false);
    net.init(InitKind::he_uniform, 2);
    REQUIRE(net.has_tracked_scales());
    const auto& Ls = net.layers();
    CHECK(Ls[1].tracked[int(Role::activations)]);
    CHECK(Ls[1].tracked[int(Role::errors)]);
    CHECK_FALSE(Ls[1].tracked[int(Role::weights)]);  // gamma and beta stay fp32
    CHECK(Ls[1].formats.weights.to_string() == "fp32");
    CHECK(Ls[4].tracked[int(Role::activations)]);
    CHECK_FALSE(Ls[4].tracked[int(Role::errors)]);  // the add's error is its first input's
    CHECK(Ls[1].act_format.to_string() == "int8@-2");  // the rule's hidden range 32: 2^(5 - 7)
    const std::vector<float> x = random_floats(batch * net.input_size(), 6, 0, 1);
    const std::vector<uint8_t> labels = {0, 1, 2, 0};
    SgdParams p;
    p.lr = 0.05;
    for (uint32_t step = 0; step < 4; ++step) net.train_step(x.data(), labels.data(), batch, p, 1, step);
    // The norm's output scale follows its own output: from the codes of the last step at the scale they
    // were written in, the rule gives the scale the layer now has.
    const Layer& n1 = Ls[1];
    const int now = n1.act_format.scale_exp;
    bool found = false;
    for (int before = now - 8; before <= now + 8; ++before) {
        const uint32_t m = max_int8_code(n1.y.data(), size_t{batch} * n1.out.size(), before);
        bool on_grid = true;
        for (size_t i = 0; i < size_t{batch} * n1.out.size(); ++i)
            on_grid = on_grid && std::ldexp(std::nearbyint(std::ldexp(n1.y[i], -before)), before) == n1.y[i];
        found = found || (on_grid && m > 0 && m <= 127 && next_int8_scale(before, m) == now);
    }
    CHECK(found);
    CHECK(n1.act_format.kind == num::FormatKind::int8);
    // The next layer reads it in that format (relu inherits it).
    CHECK(Ls[2].act_format.scale_exp == n1.act_format.scale_exp);
}
