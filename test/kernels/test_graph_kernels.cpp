// Residual addition, error summation and global average pooling (kernels/residual.h, kernels/global_pool.h):
// finite-difference gradients in fp32 against direct double loops, hand-worked values and fixed point.
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>

#include "kernel_test_util.h"
#include "kernels/global_pool.h"
#include "kernels/residual.h"

using namespace trainvp;
using namespace trainvp::kern;
using namespace ktest;

namespace {

const num::Format kFp32{};

}  // namespace

TEST_CASE("residual add: forward values and both input gradients by finite differences") {
    const size_t n = 2 * 3 * 4 * 4;
    std::vector<float> a = random_floats(n, 70), b = random_floats(n, 71), r = random_floats(n, 72), y(n),
                       da(n), db(n);
    std::vector<double> ad = to_d(a), bd = to_d(b), rd = to_d(r);
    add_forward(n, In{a.data(), kFp32}, In{b.data(), kFp32}, out(y));
    for (size_t i = 0; i < n; ++i) CHECK(y[i] == a[i] + b[i]);
    auto loss = [&] {
        std::vector<double> s(n);
        for (size_t i = 0; i < n; ++i) s[i] = ad[i] + bd[i];
        return dot(rd, s);
    };
    add_backward(n, In{r.data(), kFp32}, out(da), out(db));
    CHECK(max_rel_err(da, numeric_grad(ad, loss, 1e-3)) < 1e-6);
    CHECK(max_rel_err(db, numeric_grad(bd, loss, 1e-3)) < 1e-6);
    CHECK(ktest::bitwise_equal(da, r));
    // One output absent: the other is still written.
    std::vector<float> only(n);
    add_backward(n, In{r.data(), kFp32}, Out{}, out(only));
    CHECK(ktest::bitwise_equal(only, r));
}

TEST_CASE("residual add in fixed point: exact on the grid, saturating at the format's range") {
    const num::Format fx = num::Format::fixed_point(8, 4);  // [-8, 7.9375], step 1/16
    const std::vector<float> a = {1.5f, -2.25f, 7.0f, -8.0f}, b = {0.0625f, 1.0f, 2.0f, -1.0f};
    std::vector<float> y(4);
    num::QuantStats st;
    add_forward(4, In{a.data(), fx}, In{b.data(), fx}, Out{y.data(), fx, num::SrKey{}, &st});
    CHECK(y == std::vector<float>{1.5625f, -1.25f, 7.9375f, -8.0f});
    CHECK(st.saturated == 2);
}

TEST_CASE("sum_errors accumulates the errors of a tensor read twice, in place and in a fixed order") {
    const size_t n = 2500;  // more than one internal chunk
    std::vector<float> e1 = random_floats(n, 73), e2 = random_floats(n, 74), e3 = random_floats(n, 75);
    const std::vector<float> e1_before = e1;
    const In parts[3] = {In{e1.data(), kFp32}, In{e2.data(), kFp32}, In{e3.data(), kFp32}};
    std::vector<float> sum(n);
    sum_errors(n, parts, 3, out(sum));
    for (size_t i = 0; i < n; ++i)
        CHECK(sum[i] == static_cast<float>((double(e1_before[i]) + e2[i]) + e3[i]));
    sum_errors(n, parts, 2, out(e1));  // in place: e1 += e2
    for (size_t i = 0; i < n; ++i) CHECK(e1[i] == static_cast<float>(double(e1_before[i]) + e2[i]));
}

TEST_CASE("global average pooling: hand values and the gradient by finite differences") {
    SECTION("a 1x2x2x2 tensor by hand") {
        const std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 9};
        std::vector<float> y(2), dx(8);
        Workspace ws;
        global_avgpool_forward({2, 2, 2}, 1, In{x.data(), kFp32}, out(y));
        CHECK(y == std::vector<float>{2.5f, 6.75f});
        const std::vector<float> g = {1.0f, -2.0f};
        global_avgpool_backward({2, 2, 2}, 1, In{g.data(), kFp32}, out(dx), ws);
        CHECK(dx == std::vector<float>{0.25f, 0.25f, 0.25f, 0.25f, -0.5f, -0.5f, -0.5f, -0.5f});
    }
    SECTION("random tensors, fp32") {
        const GlobalPoolShape shapes[] = {{3, 4, 4}, {2, 3, 5}, {4, 1, 1}};
        const uint32_t batch = 2;
        for (const GlobalPoolShape& s : shapes) {
            INFO(s.channels << "x" << s.rows << "x" << s.cols);
            const size_t in = size_t(batch) * s.channels * s.plane(), outn = size_t(batch) * s.channels;
            std::vector<float> x = random_floats(in, 76), r = random_floats(outn, 77), y(outn), dx(in);
            std::vector<double> xd = to_d(x), rd = to_d(r);
            auto ref = [&] {
                std::vector<double> m(outn, 0.0);
                for (size_t q = 0; q < outn; ++q) {
                    for (uint32_t i = 0; i < s.plane(); ++i) m[q] += xd[q * s.plane() + i];
                    m[q] /= s.plane();
                }
                return m;
            };
            Workspace ws;
            global_avgpool_forward(s, batch, In{x.data(), kFp32}, out(y));
            CHECK(max_rel_err(y, ref()) < 1e-6);
            global_avgpool_backward(s, batch, In{r.data(), kFp32}, out(dx), ws);
            CHECK(max_rel_err(dx, numeric_grad(
                                      xd, [&] { return dot(rd, ref()); }, 1e-3)) < 1e-5);
        }
    }
    SECTION("fixed point within half an ulp of fp32 on the same inputs") {
        const num::Format fx = num::Format::fixed_point(12, 6);
        const GlobalPoolShape s{3, 3, 3};
        const std::vector<float> x = ktest::random_values(2 * 27, 78, fx, -4, 4);
        std::vector<float> y_fp(6), y_fx(6);
        global_avgpool_forward(s, 2, In{x.data(), fx}, out(y_fp));
        global_avgpool_forward(s, 2, In{x.data(), fx}, out(y_fx, fx));
        for (size_t i = 0; i < 6; ++i) {
            CHECK(num::quantize(y_fx[i], fx) == y_fx[i]);
            CHECK(std::fabs(double(y_fx[i]) - y_fp[i]) <= 0.5 * fx.ulp_at_one());
        }
    }
}
