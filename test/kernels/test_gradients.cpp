// Finite-difference gradient checks of every kernel in fp32 against independent double-precision references
// (direct loops, not the im2col/GEMM path), plus the forward values themselves.
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>

#include "kernel_test_util.h"
#include "kernels/activation.h"
#include "kernels/conv2d.h"
#include "kernels/fully_connected.h"
#include "kernels/loss.h"
#include "kernels/network.h"
#include "kernels/pool.h"
#include "kernels/sgd.h"

using namespace trainvp;
using namespace trainvp::kern;
using ktest::dot;
using ktest::max_rel_err;
using ktest::numeric_grad;
using ktest::out;
using ktest::random_floats;
using ktest::to_d;

namespace {

const num::Format kFp32{};
const MacContext kMac{};

std::vector<double> conv_ref(const Conv2dShape& s, uint32_t batch, const std::vector<double>& x,
                             const std::vector<double>& w, const std::vector<double>& b) {
    std::vector<double> y(size_t{batch} * s.out_size());
    const int R = s.out_rows(), C = s.out_cols(), K = s.kernel;
    for (uint32_t n = 0; n < batch; ++n)
        for (uint32_t co = 0; co < s.out_channels; ++co)
            for (int oy = 0; oy < R; ++oy)
                for (int ox = 0; ox < C; ++ox) {
                    double acc = b[co];
                    for (uint32_t ci = 0; ci < s.in_channels; ++ci)
                        for (int kh = 0; kh < K; ++kh)
                            for (int kw = 0; kw < K; ++kw) {
                                const int iy = oy * int(s.stride) + kh - int(s.pad),
                                          ix = ox * int(s.stride) + kw - int(s.pad);
                                if (iy < 0 || ix < 0 || iy >= int(s.in_rows) || ix >= int(s.in_cols))
                                    continue;
                                acc += w[((co * s.in_channels + ci) * K + kh) * K + kw] *
                                       x[((n * s.in_channels + ci) * s.in_rows + iy) * s.in_cols + ix];
                            }
                    y[((n * s.out_channels + co) * R + oy) * C + ox] = acc;
                }
    return y;
}

}  // namespace

TEST_CASE(
    "conv2d forward, backward-data and weight gradient match a double reference and finite differences") {
    const Conv2dShape shapes[] = {
        {2, 7, 6, 3, 3, 1, 1}, {3, 9, 8, 2, 3, 2, 0}, {1, 8, 8, 4, 5, 1, 2}, {2, 7, 7, 3, 2, 2, 1}};
    const uint32_t batch = 2;
    for (const Conv2dShape& s : shapes) {
        INFO("conv " << s.in_channels << "x" << s.in_rows << "x" << s.in_cols << " -> " << s.out_channels
                     << " k" << s.kernel << " s" << s.stride << " p" << s.pad);
        std::vector<float> x = random_floats(batch * s.in_size(), 1), w = random_floats(s.weight_count(), 2),
                           b = random_floats(s.out_channels, 3), r = random_floats(batch * s.out_size(), 4);
        std::vector<double> xd = to_d(x), wd = to_d(w), bd = to_d(b), rd = to_d(r);
        Workspace ws;
        std::vector<float> y(batch * s.out_size());
        conv2d_forward(s, batch, In{x.data(), kFp32}, In{w.data(), kFp32}, In{b.data(), kFp32}, out(y), kMac,
                       ws);
        CHECK(max_rel_err(y, conv_ref(s, batch, xd, wd, bd)) < 1e-6);

        // L = sum r . y, so dL/dy = r.
        auto loss = [&] { return dot(rd, conv_ref(s, batch, xd, wd, bd)); };
        std::vector<float> dx(batch * s.in_size()), dw(s.weight_count()), db(s.out_channels);
        conv2d_backward_data(s, batch, In{r.data(), kFp32}, In{w.data(), kFp32}, out(dx), kMac, ws);
        conv2d_weight_grad(s, batch, In{r.data(), kFp32}, In{x.data(), kFp32}, out(dw), out(db), kMac, ws);
        CHECK(max_rel_err(dx, numeric_grad(xd, loss, 1e-3)) < 1e-5);
        CHECK(max_rel_err(dw, numeric_grad(wd, loss, 1e-3)) < 1e-5);
        CHECK(max_rel_err(db, numeric_grad(bd, loss, 1e-3)) < 1e-5);
    }
}

TEST_CASE("fully connected phases match a double reference and finite differences") {
    const FcShape s{7, 5};
    const uint32_t batch = 3;
    std::vector<float> x = random_floats(batch * s.in, 5), w = random_floats(s.in * s.out, 6),
                       b = random_floats(s.out, 7), r = random_floats(batch * s.out, 8);
    std::vector<double> xd = to_d(x), wd = to_d(w), bd = to_d(b), rd = to_d(r);
    auto ref = [&] {
        std::vector<double> y(batch * s.out);
        for (uint32_t n = 0; n < batch; ++n)
            for (uint32_t o = 0; o < s.out; ++o) {
                double acc = bd[o];
                for (uint32_t i = 0; i < s.in; ++i) acc += wd[o * s.in + i] * xd[n * s.in + i];
                y[n * s.out + o] = acc;
            }
        return y;
    };
    Workspace ws;
    std::vector<float> y(batch * s.out), dx(batch * s.in), dw(s.in * s.out), db(s.out);
    fc_forward(s, batch, In{x.data(), kFp32}, In{w.data(), kFp32}, In{b.data(), kFp32}, out(y), kMac, ws);
    CHECK(max_rel_err(y, ref()) < 1e-6);
    auto loss = [&] { return dot(rd, ref()); };
    fc_backward_data(s, batch, In{r.data(), kFp32}, In{w.data(), kFp32}, out(dx), kMac, ws);
    fc_weight_grad(s, batch, In{r.data(), kFp32}, In{x.data(), kFp32}, out(dw), out(db), kMac, ws);
    CHECK(max_rel_err(dx, numeric_grad(xd, loss, 1e-3)) < 1e-5);
    CHECK(max_rel_err(dw, numeric_grad(wd, loss, 1e-3)) < 1e-5);
    CHECK(max_rel_err(db, numeric_grad(bd, loss, 1e-3)) < 1e-5);
}

TEST_CASE("max- and average-pool backward passes are the gradients of their forward passes") {
    const PoolShape shapes[] = {{2, 6, 6, 2, 2}, {2, 7, 7, 3, 2}, {1, 5, 4, 2, 1}};
    const uint32_t batch = 2;
    for (const PoolShape& s : shapes) {
        INFO("pool " << s.in_rows << "x" << s.in_cols << " size " << s.size << " stride " << s.stride);
        std::vector<float> x = random_floats(batch * s.in_size(), 9),
                           r = random_floats(batch * s.out_size(), 10);
        std::vector<double> xd = to_d(x), rd = to_d(r);
        auto ref = [&](bool max) {
            std::vector<double> y(batch * s.out_size());
            size_t o = 0;
            for (uint32_t n = 0; n < batch; ++n)
                for (uint32_t c = 0; c < s.channels; ++c)
                    for (uint32_t oy = 0; oy < s.out_rows(); ++oy)
                        for (uint32_t ox = 0; ox < s.out_cols(); ++ox, ++o) {
                            double m = -INFINITY, sum = 0;
                            for (uint32_t dy = 0; dy < s.size; ++dy)
                                for (uint32_t dx = 0; dx < s.size; ++dx) {
                                    const double v =
                                        xd[((n * s.channels + c) * s.in_rows + oy * s.stride + dy) *
                                               s.in_cols +
                                           ox * s.stride + dx];
                                    m = std::max(m, v);
                                    sum += v;
                                }
                            y[o] = max ? m : sum / (s.size * s.size);
                        }
            return y;
        };
        Workspace ws;
        std::vector<float> y(batch * s.out_size()), dx(batch * s.in_size());
        std::vector<uint32_t> argmax(y.size());
        maxpool_forward(s, batch, x.data(), y.data(), argmax.data());
        CHECK(max_rel_err(y, ref(true)) == 0.0);
        maxpool_backward(s, batch, In{r.data(), kFp32}, argmax.data(), out(dx), ws);
        CHECK(max_rel_err(dx, numeric_grad(
                                  xd, [&] { return dot(rd, ref(true)); }, 1e-6)) < 1e-5);

        avgpool_forward(s, batch, In{x.data(), kFp32}, out(y));
        CHECK(max_rel_err(y, ref(false)) < 1e-6);
        avgpool_backward(s, batch, In{r.data(), kFp32}, out(dx), ws);
        CHECK(max_rel_err(dx, numeric_grad(
                                  xd, [&] { return dot(rd, ref(false)); }, 1e-3)) < 1e-5);
    }
}

TEST_CASE("relu backward is the gradient of relu forward") {
    std::vector<float> x = random_floats(64, 11), r = random_floats(64, 12), y(64), dx(64);
    for (float& v : x)
        if (std::fabs(v) < 1e-2f) v = 0.5f;  // keep finite differences away from the kink
    std::vector<double> xd = to_d(x), rd = to_d(r);
    relu_forward(x.size(), x.data(), y.data());
    relu_backward(x.size(), y.data(), r.data(), dx.data());
    auto loss = [&] {
        double s = 0;
        for (size_t i = 0; i < xd.size(); ++i) s += rd[i] * std::max(0.0, xd[i]);
        return s;
    };
    CHECK(max_rel_err(dx, numeric_grad(xd, loss, 1e-4)) < 1e-6);
    for (size_t i = 0; i < x.size(); ++i) CHECK(y[i] == (x[i] > 0 ? x[i] : 0.0f));
}

TEST_CASE("softmax cross-entropy: loss value and output error") {
    const uint32_t batch = 3, classes = 5;
    std::vector<float> z = random_floats(batch * classes, 13, -4, 4), g(batch * classes);
    const std::vector<uint8_t> labels = {0, 3, 4};
    std::vector<double> zd = to_d(z);
    auto loss = [&] {
        double total = 0;
        for (uint32_t n = 0; n < batch; ++n) {
            double s = 0;
            for (uint32_t j = 0; j < classes; ++j) s += std::exp(zd[n * classes + j]);
            total += -std::log(std::exp(zd[n * classes + labels[n]]) / s);
        }
        return total;
    };
    const LossResult r = softmax_cross_entropy(batch, classes, z.data(), labels.data(), out(g));
    CHECK(r.loss_sum == Approx(loss()).epsilon(1e-12));
    CHECK(max_rel_err(g, numeric_grad(zd, loss, 1e-5)) < 1e-6);
    uint32_t correct = 0;
    for (uint32_t n = 0; n < batch; ++n)
        correct += std::max_element(z.begin() + n * classes, z.begin() + (n + 1) * classes) -
                       (z.begin() + n * classes) ==
                   labels[n];
    CHECK(r.correct == correct);
}

TEST_CASE("sgd update with momentum and weight decay follows its formula") {
    std::vector<float> master = {0.5f, -0.25f, 1.0f}, weights(3), velocity = {0.1f, 0.0f, -0.2f};
    const std::vector<float> grad = {3.2f, -6.4f, 0.0f};
    SgdParams p;
    p.lr = 0.1;
    p.momentum = 0.9;
    p.weight_decay = 0.01;
    p.batch = 32;
    const std::vector<float> m0 = master, v0 = velocity;
    sgd_update(3, grad.data(), out(master), velocity.data(), num::SrKey{}, out(weights), p);
    for (size_t i = 0; i < 3; ++i) {
        const double v = 0.9 * v0[i] + (grad[i] / 32.0 + 0.01 * m0[i]);
        CHECK(velocity[i] == static_cast<float>(v));
        CHECK(master[i] == static_cast<float>(m0[i] - 0.1 * static_cast<double>(velocity[i])));
        CHECK(weights[i] == master[i]);
    }
}

TEST_CASE("a whole network's backward pass is the gradient of its loss") {
    NetworkSpec spec;
    spec.channels = 2;
    spec.rows = spec.cols = 6;
    LayerSpec c;
    c.kind = LayerKind::conv;
    c.out_channels = 3;
    c.kernel = 3;
    c.pad = 1;
    LayerSpec relu;
    relu.kind = LayerKind::relu;
    LayerSpec pool;
    pool.kind = LayerKind::avgpool;
    LayerSpec f;
    f.kind = LayerKind::fc;
    f.out = 4;
    spec.layers = {c, relu, pool, f};
    const uint32_t batch = 2;
    Network net(spec, batch, false);
    net.init(InitKind::he_uniform, 7);
    const std::vector<float> x = random_floats(batch * net.input_size(), 14, 0, 1);
    const std::vector<uint8_t> labels = {1, 3};
    auto loss = [&] {
        net.forward(x.data(), batch, 1, 0);
        return net.loss(labels.data(), batch, 1, 0, false).loss_sum;
    };
    net.forward(x.data(), batch, 1, 0);
    net.loss(labels.data(), batch, 1, 0, true);
    net.backward(x.data(), batch, 1, 0);
    for (Layer& L : net.layers()) {
        if (!L.weight) continue;
        for (ParamTensor* p : {&*L.weight, &*L.bias}) {
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
        }
    }
}
