// Range group normalization (kernels/group_norm.h): hand-worked forward values, finite-difference gradients
// of an independent double reference, the fixed-point path against the fp32 path, and the per-element
// datapath instantiated with a type that cannot divide (docs/numerics.md "### Range group normalization").
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <type_traits>

#include "common/error.h"
#include "kernel_test_util.h"
#include "kernels/group_norm.h"
#include "kernels/norm_datapath.h"

using namespace trainvp;
using namespace trainvp::kern;
using namespace ktest;

namespace {

const num::Format kFp32{};

// Independent reference scale: the nearest power of two to 1/v in log scale (bits 0), or the table entry of
// v's leading `bits` fraction bits times 2^-floor(log2 v), computed from the definition in docs/numerics.md.
double ref_scale(double v, uint32_t bits) {
    if (v == 0.0) return 1.0;
    if (bits == 0) return std::exp2(-std::round(std::log2(v)));
    const double e = std::floor(std::log2(v));
    const double t = std::floor((v / std::exp2(e) - 1.0) * std::exp2(bits));
    const double entry = std::round(32768.0 / (1.0 + (t + 0.5) / std::exp2(bits))) / 32768.0;
    return entry / std::exp2(e);
}

// Reference forward in double by direct loops. With surrogate_s0 set, the scale is the linearised surrogate
// s0 - C s0^2 (r - r0) around the saved point (the range gradient's definition); with projection_s0 set, it
// is s0 sqrt(v0 / v), v the group's sum of (x - mean)^2, so s varies as 1/sigma (the projection's
// definition); otherwise it is recomputed.
struct RefNorm {
    GroupNormShape s;
    uint32_t batch;
    const std::vector<double>*surrogate_s0 = nullptr, *surrogate_r0 = nullptr;
    const std::vector<double>*projection_s0 = nullptr, *projection_v0 = nullptr;

    std::vector<double> forward(const std::vector<double>& x, const std::vector<double>& gamma,
                                const std::vector<double>& beta, std::vector<double>* ranges = nullptr,
                                std::vector<double>* scales = nullptr,
                                std::vector<double>* sums_sq = nullptr) const {
        const uint32_t M = s.group_size(), per = s.channels / s.groups, plane = s.rows * s.cols;
        const double C = 1.0 / (2.0 * std::sqrt(2.0 * std::log(double(M))));
        std::vector<double> y(x.size());
        for (uint32_t n = 0; n < batch; ++n)
            for (uint32_t grp = 0; grp < s.groups; ++grp) {
                const size_t base = size_t(n) * s.channels * plane + size_t(grp) * M;
                double sum = 0, mx = -INFINITY, mn = INFINITY;
                for (uint32_t i = 0; i < M; ++i) {
                    sum += x[base + i];
                    mx = std::max(mx, x[base + i]);
                    mn = std::min(mn, x[base + i]);
                }
                const double mean = sum / M, r = mx - mn;
                const size_t k = size_t(n) * s.groups + grp;
                double sc = ref_scale(C * r, s.scale_bits), v = 0;
                for (uint32_t i = 0; i < M; ++i) v += (x[base + i] - mean) * (x[base + i] - mean);
                if (sums_sq) sums_sq->push_back(v);
                if (projection_s0) sc = (*projection_s0)[k] * std::sqrt((*projection_v0)[k] / v);
                if (surrogate_s0) {
                    const double s0 = (*surrogate_s0)[k];
                    sc = s0 - C * s0 * s0 * (r - (*surrogate_r0)[k]);
                }
                if (ranges) ranges->push_back(r);
                if (scales) scales->push_back(sc);
                for (uint32_t i = 0; i < M; ++i) {
                    const uint32_t c = grp * per + i / plane;
                    y[base + i] = gamma[c] * sc * (x[base + i] - mean) + beta[c];
                }
            }
        return y;
    }
};

// Arithmetic that has +, - and * only (no /, no sqrt), and counts what it did.
struct Counted {
    double v;
    static inline int adds = 0, muls = 0;
    friend Counted operator+(Counted a, Counted b) {
        ++adds;
        return Counted{a.v + b.v};
    }
    friend Counted operator-(Counted a, Counted b) {
        ++adds;
        return Counted{a.v - b.v};
    }
    friend Counted operator*(Counted a, Counted b) {
        ++muls;
        return Counted{a.v * b.v};
    }
};
template <typename T, typename = void>
struct divides : std::false_type {};
template <typename T>
struct divides<T, std::void_t<decltype(std::declval<T>() / std::declval<T>())>> : std::true_type {};
static_assert(!divides<Counted>::value, "the counting type must not be able to divide");
static_assert(divides<double>::value, "the detector must see a division where there is one");

}  // namespace

TEST_CASE("group norm forward of a 1x2x2x2 tensor worked by hand") {
    // x: channel 0 = 1 2 3 4, channel 1 = 5 6 7 8; gamma = (1, 2), beta = (0, 0.5).
    const std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8}, gamma = {1, 2}, beta = {0, 0.5f};
    std::vector<float> y(8);
    GroupNormSaved saved;
    Workspace ws;
    GroupNormShape s{2, 2, 2, 1, 0, false};
    SECTION("one group, power-of-two scale") {
        // M = 8, mean 4.5, range 7, C(8) = 1/(2 sqrt(2 ln 8)) = 0.2452, v = 1.716 = 1.716 * 2^0; 1.716 >= sqrt 2,
        // so s = 2^-1. y0 = (x - 4.5) / 2; y1 = 2 (x - 4.5) / 2 + 0.5.
        group_norm_forward(s, 1, In{x.data(), kFp32}, In{gamma.data(), kFp32}, In{beta.data(), kFp32}, out(y),
                           saved, ws);
        CHECK(saved.mean[0] == 4.5);
        CHECK(saved.scale[0] == 0.5);
        CHECK(saved.arg_max[0] == 7);
        CHECK(saved.arg_min[0] == 0);
        CHECK(y == std::vector<float>{-1.75f, -1.25f, -0.75f, -0.25f, 1.0f, 2.0f, 3.0f, 4.0f});
    }
    SECTION("two groups, power-of-two scale") {
        // M = 4: each channel has range 3, C(4) = 1/(2 sqrt(2 ln 4)) = 0.3003, v = 0.901 = 1.802 * 2^-1;
        // 1.802 >= sqrt 2, so s = 2^0. Channel 0: mean 2.5, y = x - 2.5. Channel 1: mean 6.5, y = 2 (x - 6.5) + 0.5.
        s.groups = 2;
        group_norm_forward(s, 1, In{x.data(), kFp32}, In{gamma.data(), kFp32}, In{beta.data(), kFp32}, out(y),
                           saved, ws);
        CHECK(saved.mean == std::vector<double>{2.5, 6.5});
        CHECK(saved.scale == std::vector<double>{1.0, 1.0});
        CHECK(y == std::vector<float>{-1.5f, -0.5f, 0.5f, 1.5f, -2.5f, -0.5f, 1.5f, 3.5f});
    }
    SECTION("one group, 4-entry reciprocal table") {
        // v = 1.716 = 1.716 * 2^0; the first two fraction bits of 1.716 are 10, so t = 2 and the entry is
        // round(2^15 / (1 + 2.5/4)) / 2^15 = round(20164.92) / 32768 = 20165 / 32768; s = 20165 / 32768.
        s.scale_bits = 2;
        group_norm_forward(s, 1, In{x.data(), kFp32}, In{gamma.data(), kFp32}, In{beta.data(), kFp32}, out(y),
                           saved, ws);
        const double sc = 20165.0 / 32768.0;
        CHECK(saved.scale[0] == sc);
        for (int i = 0; i < 4; ++i) CHECK(y[i] == static_cast<float>((x[i] - 4.5) * sc));
        for (int i = 4; i < 8; ++i) CHECK(y[i] == static_cast<float>((x[i] - 4.5) * (2 * sc) + 0.5));
    }
}

TEST_CASE("group norm of Gaussian inputs has about unit spread, as C(M) * range estimates sigma") {
    // One group of M = 16 x 28 x 28 = 12544 elements (a ResNet-8 stem norm on Fashion-MNIST), approximately
    // Gaussian with sigma 3 and mean 5 (sum of 12 uniforms). max - min is about 2 sigma sqrt(2 ln M), so the
    // normalized output's standard deviation must be near 1 (about 1.1: the expected range of 12544 samples
    // is 7.8 sigma, 2 sqrt(2 ln M) = 8.7), not near 1/2.
    const GroupNormShape s{16, 28, 28, 1, 8, false};
    std::vector<float> x(s.size(), 0.0f);
    for (int k = 0; k < 12; ++k) {
        const std::vector<float> u = random_floats(s.size(), 70 + k, 0, 1);
        for (size_t i = 0; i < x.size(); ++i) x[i] += u[i];
    }
    for (float& v : x) v = 5.0f + 3.0f * (v - 6.0f);
    const std::vector<float> gamma(16, 1.0f), beta(16, 0.0f);
    std::vector<float> y(x.size());
    Workspace ws;
    GroupNormSaved saved;
    group_norm_forward(s, 1, In{x.data(), kFp32}, In{gamma.data(), kFp32}, In{beta.data(), kFp32}, out(y),
                       saved, ws);
    double sum = 0, sum2 = 0;
    for (float v : y) {
        sum += v;
        sum2 += double(v) * v;
    }
    const double mean = sum / y.size(), sd = std::sqrt(sum2 / y.size() - mean * mean);
    CHECK(std::abs(mean) < 1e-3);
    CHECK(sd > 0.85);
    CHECK(sd < 1.3);
}

TEST_CASE("group norm scale: power of two or table entry within its stated error of 1/v") {
    CHECK(group_scale(0.0, 0) == 1.0);
    CHECK(group_scale(1.0, 0) == 1.0);
    CHECK(group_scale(1.41, 0) == 1.0);  // below sqrt 2: keep 2^0
    CHECK(group_scale(1.42, 0) == 0.5);  // above: 2^-1
    CHECK(group_scale(3.0, 0) == 0.25);  // 1.5 * 2^1, 1.5 >= sqrt 2
    CHECK(group_scale(0.3, 0) == 4.0);   // 1.2 * 2^-2
    CHECK(reciprocal_table_entry(0, 1) == std::round(32768 / 1.25) / 32768);
    for (uint32_t bits = 0; bits <= GroupNormShape::kMaxScaleBits; ++bits) {
        // power of two: v*s in [1/sqrt 2, sqrt 2]; table: the midpoint reciprocal of a bucket 2^-bits wide is
        // within 2^-(bits+1) of 1/(1+f), plus the entry's rounding (2^-16, times 1+f < 2).
        const double bound = bits == 0 ? std::sqrt(2.0) - 1.0 : std::ldexp(1.0, -int(bits) - 1) + 1.0 / 32768;
        double worst = 0;
        for (double v = 1e-3; v < 1e3; v *= 1.0137) {
            CHECK(group_scale(v, bits) == ref_scale(v, bits));
            worst = std::max(worst, std::fabs(v * group_scale(v, bits) - 1.0));
        }
        INFO("scale_bits " << bits << " worst |v s - 1| " << worst);
        CHECK(worst <= bound);
    }
}

TEST_CASE("group norm backward passes are the gradients of the forward pass (fp32, finite differences)") {
    const GroupNormShape shapes[] = {
        {4, 3, 3, 2, 0, false}, {3, 2, 2, 1, 3, false}, {4, 2, 3, 4, 0, false},       {4, 3, 3, 2, 0, true},
        {3, 2, 2, 1, 3, true},  {2, 1, 5, 1, 0, true},  {4, 3, 3, 2, 0, false, true}, {3, 2, 2, 1, 3, false, true},
        {2, 1, 5, 1, 0, false, true}};
    const uint32_t batch = 2;
    uint64_t stream = 20;
    for (const GroupNormShape& s : shapes) {
        INFO("C " << s.channels << " " << s.rows << "x" << s.cols << " groups " << s.groups << " scale_bits "
                  << s.scale_bits << " range_gradient " << s.range_gradient << " projection " << s.projection);
        const size_t n = size_t(batch) * s.size();
        std::vector<float> x = random_floats(n, stream++, -3, 3), gamma = random_floats(s.channels, stream++),
                           beta = random_floats(s.channels, stream++), r = random_floats(n, stream++);
        std::vector<double> xd = to_d(x), gd = to_d(gamma), bd = to_d(beta), rd = to_d(r);
        RefNorm ref{s, batch};
        Workspace ws;
        GroupNormSaved saved;
        std::vector<float> y(n), dx(n), dgamma(s.channels), dbeta(s.channels);
        group_norm_forward(s, batch, In{x.data(), kFp32}, In{gamma.data(), kFp32}, In{beta.data(), kFp32},
                           out(y), saved, ws);
        std::vector<double> r0, s0, v0;
        CHECK(max_rel_err(y, ref.forward(xd, gd, bd, &r0, &s0, &v0)) < 1e-6);
        CHECK(saved.scale == s0);
        if (s.range_gradient) ref.surrogate_s0 = &s0, ref.surrogate_r0 = &r0;
        if (s.projection) ref.projection_s0 = &s0, ref.projection_v0 = &v0;
        group_norm_backward(s, batch, In{r.data(), kFp32}, In{x.data(), kFp32}, In{gamma.data(), kFp32},
                            saved, out(dx), out(dgamma), out(dbeta), ws);
        auto loss = [&] { return dot(rd, ref.forward(xd, gd, bd)); };
        CHECK(max_rel_err(dx, numeric_grad(xd, loss, 1e-4)) < 1e-5);
        CHECK(max_rel_err(dgamma, numeric_grad(gd, loss, 1e-4)) < 1e-5);
        CHECK(max_rel_err(dbeta, numeric_grad(bd, loss, 1e-4)) < 1e-5);
        if (s.range_gradient) {
            // The range term moves only the extreme elements: without it dx differs there and nowhere else.
            GroupNormShape plain = s;
            plain.range_gradient = false;
            std::vector<float> dx_plain(n);
            group_norm_backward(plain, batch, In{r.data(), kFp32}, In{x.data(), kFp32},
                                In{gamma.data(), kFp32}, saved, out(dx_plain), Out{}, Out{}, ws);
            size_t differ = 0;
            for (size_t i = 0; i < n; ++i) differ += dx[i] != dx_plain[i];
            CHECK(differ == size_t(2) * batch * s.groups);
        }
        if (s.projection) {
            // The projection makes dx orthogonal to x - mean in every group: the error cannot change the
            // group's scale, which the normalization divides out.
            const uint32_t M = s.group_size();
            for (size_t k = 0; k < size_t(batch) * s.groups; ++k) {
                double along = 0, norm_dx = 0, norm_x = 0;
                for (uint32_t i = 0; i < M; ++i) {
                    const double c = xd[k * M + i] - saved.mean[k];
                    along += dx[k * M + i] * c, norm_dx += double(dx[k * M + i]) * dx[k * M + i], norm_x += c * c;
                }
                CHECK(std::abs(along) < 1e-5 * std::sqrt(norm_dx * norm_x));
            }
        }
    }
}

TEST_CASE("group norm fixed-point path equals the fp32 path within half an output ulp") {
    const GroupNormShape s{4, 4, 4, 2, 0, true};
    const uint32_t batch = 3;
    const size_t n = size_t(batch) * s.size();
    const num::Format act = num::Format::fixed_point(16, 10), par = num::Format::fixed_point(16, 12),
                      err = num::Format::fixed_point(16, 12), wgrad = num::Format::fixed_point(16, 8);
    for (uint32_t bits : {0u, 4u}) {
        GroupNormShape sh = s;
        sh.scale_bits = bits;
        INFO("scale_bits " << bits);
        // Both paths read the same fixed-point inputs, so their statistics agree and only the output rounding
        // differs: at most half an ulp of each output format (round to nearest), nothing saturates here.
        const std::vector<float> x = ktest::random_values(n, 40, act, -4, 4),
                                 gamma = ktest::random_values(s.channels, 41, par, 0.5, 1.5),
                                 beta = ktest::random_values(s.channels, 42, par, -0.5, 0.5),
                                 g = ktest::random_values(n, 43, err, -1, 1);
        Workspace ws;
        GroupNormSaved saved_fp, saved_fx;
        std::vector<float> y_fp(n), y_fx(n), dx_fp(n), dx_fx(n), dg_fp(4), dg_fx(4), db_fp(4), db_fx(4);
        num::QuantStats ystats;
        group_norm_forward(sh, batch, In{x.data(), act}, In{gamma.data(), par}, In{beta.data(), par},
                           out(y_fp), saved_fp, ws);
        group_norm_forward(sh, batch, In{x.data(), act}, In{gamma.data(), par}, In{beta.data(), par},
                           Out{y_fx.data(), act, num::SrKey{}, &ystats}, saved_fx, ws);
        CHECK(saved_fp.scale == saved_fx.scale);
        CHECK(ystats.values == n);
        CHECK(ystats.saturated == 0);
        group_norm_backward(sh, batch, In{g.data(), err}, In{x.data(), act}, In{gamma.data(), par}, saved_fp,
                            out(dx_fp), out(dg_fp), out(db_fp), ws);
        group_norm_backward(sh, batch, In{g.data(), err}, In{x.data(), act}, In{gamma.data(), par}, saved_fx,
                            out(dx_fx, err), out(dg_fx, wgrad), out(db_fx, wgrad), ws);
        auto within_half_ulp = [](const std::vector<float>& fx, const std::vector<float>& fp,
                                  const num::Format& f) {
            double worst = 0;
            for (size_t i = 0; i < fx.size(); ++i) {
                if (num::quantize(fx[i], f) != fx[i]) return double(INFINITY);  // not on the grid
                worst = std::max(worst, std::fabs(double(fx[i]) - fp[i]) / f.ulp_at_one());
            }
            return worst;
        };
        CHECK(within_half_ulp(y_fx, y_fp, act) <= 0.5);
        CHECK(within_half_ulp(dx_fx, dx_fp, err) <= 0.5);
        CHECK(within_half_ulp(dg_fx, dg_fp, wgrad) <= 0.5);
        CHECK(within_half_ulp(db_fx, db_fp, wgrad) <= 0.5);
        // Not trivially equal: the fp32 path has values between the fixed-point grid points.
        CHECK(!ktest::bitwise_equal(y_fx, y_fp));

        // Stochastic rounding: within one ulp, and the same key gives the same bits.
        num::Format act_sr = act;
        act_sr.rounding = num::Rounding::stochastic;
        std::vector<float> y_sr(n), y_sr2(n);
        const num::SrKey key{7, 3, 11};
        group_norm_forward(sh, batch, In{x.data(), act}, In{gamma.data(), par}, In{beta.data(), par},
                           Out{y_sr.data(), act_sr, key}, saved_fx, ws);
        group_norm_forward(sh, batch, In{x.data(), act}, In{gamma.data(), par}, In{beta.data(), par},
                           Out{y_sr2.data(), act_sr, key}, saved_fx, ws);
        CHECK(ktest::bitwise_equal(y_sr, y_sr2));
        CHECK(within_half_ulp(y_sr, y_fp, act) < 1.0);
    }
}

TEST_CASE("group norm per-element datapath is add, subtract and multiply only") {
    // The kernels call these templates with double; here the type has no division or square root, so the
    // per-element path could not compile with one. Counts per element: forward 1 sub + 1 mul + 1 add,
    // normalized input 1 sub + 1 mul, input gradient 2 mul + 1 sub, range term 2 mul + 1 sub.
    Counted::adds = Counted::muls = 0;
    const Counted y = normdp::forward(Counted{3.0}, Counted{1.0}, Counted{0.25}, Counted{0.5});
    CHECK(y.v == 1.0);
    CHECK((Counted::adds == 2 && Counted::muls == 1));
    Counted::adds = Counted::muls = 0;
    CHECK(normdp::normalized(Counted{3.0}, Counted{1.0}, Counted{0.25}).v == 0.5);
    CHECK((Counted::adds == 1 && Counted::muls == 1));
    Counted::adds = Counted::muls = 0;
    CHECK(normdp::input_grad(Counted{2.0}, Counted{1.5}, Counted{1.0}, Counted{0.5}).v == 1.0);
    CHECK((Counted::adds == 1 && Counted::muls == 2));
    Counted::adds = Counted::muls = 0;
    CHECK(normdp::range_term(Counted{2.0}, Counted{1.5}, Counted{3.0}, Counted{1.0}).v == 6.0);
    CHECK((Counted::adds == 1 && Counted::muls == 2));
}

TEST_CASE("group norm refuses shapes it cannot normalize, naming the field") {
    Workspace ws;
    GroupNormSaved saved;
    std::vector<float> x(12), p(3), y(12);
    auto run = [&](GroupNormShape s) {
        group_norm_forward(s, 1, In{x.data(), kFp32}, In{p.data(), kFp32}, In{p.data(), kFp32}, out(y), saved,
                           ws);
    };
    const GroupNormShape uneven{3, 2, 2, 2, 0, false}, single{3, 1, 1, 3, 0, false},
        table{3, 2, 2, 1, 9, false}, none{3, 2, 2, 0, 0, false};
    CHECK_THROWS_WITH(run(uneven), Catch::Contains("groups (2) must divide channels (3)"));
    CHECK_THROWS_WITH(run(single), Catch::Contains("at least 2 elements"));
    CHECK_THROWS_WITH(run(table), Catch::Contains("scale_bits 9"));
    CHECK_THROWS_AS(run(none), UserError);
}

TEST_CASE("group norm is deterministic and batch-independent") {
    const GroupNormShape s{4, 3, 3, 2, 2, false};
    const std::vector<float> x = random_floats(3 * s.size(), 60, -2, 2), gamma = random_floats(4, 61),
                             beta = random_floats(4, 62);
    Workspace ws;
    GroupNormSaved saved;
    std::vector<float> y3(x.size()), y3b(x.size()), y1(s.size());
    group_norm_forward(s, 3, In{x.data(), kFp32}, In{gamma.data(), kFp32}, In{beta.data(), kFp32}, out(y3),
                       saved, ws);
    group_norm_forward(s, 3, In{x.data(), kFp32}, In{gamma.data(), kFp32}, In{beta.data(), kFp32}, out(y3b),
                       saved, ws);
    CHECK(ktest::bitwise_equal(y3, y3b));
    // Sample 1 alone gives the bits it gets inside the batch of three.
    group_norm_forward(s, 1, In{x.data() + s.size(), kFp32}, In{gamma.data(), kFp32}, In{beta.data(), kFp32},
                       out(y1), saved, ws);
    CHECK(ktest::bitwise_equal(y1, std::vector<float>(y3.begin() + s.size(), y3.begin() + 2 * s.size())));
}
