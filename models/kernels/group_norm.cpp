#include "kernels/group_norm.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"
#include "kernels/gemm.h"
#include "kernels/norm_datapath.h"

namespace trainvp::kern {

namespace {

const MacConfig kReal{};  // the normalization's sums are real-domain double sums, as pooling's

// The power of two nearest to 1/v in log scale is chosen by comparing v's significand in [1, 2) with sqrt(2).
constexpr double kSqrt2 = 1.4142135623730951;

}  // namespace

void GroupNormShape::validate() const {
    if (channels == 0 || rows == 0 || cols == 0)
        throw UserError("group norm: channels, rows and cols must be at least 1");
    if (groups == 0 || channels % groups != 0)
        throw UserError("group norm: groups (" + std::to_string(groups) + ") must divide channels (" +
                        std::to_string(channels) + ")");
    if (group_size() < 2)
        throw UserError(
            "group norm: a group must hold at least 2 elements (channels / groups * rows * cols)");
    if (range_gradient && projection)
        throw UserError("group norm: the range gradient and the projection exclude each other");
    if (scale_bits > kMaxScaleBits)
        throw UserError("group norm: scale_bits " + std::to_string(scale_bits) + " is above " +
                        std::to_string(kMaxScaleBits));
}

double range_constant(uint32_t group_size) {
    // max - min of M Gaussian samples is about 2 sigma sqrt(2 ln M): max and min each lie about sigma
    // sqrt(2 ln M) from the mean.
    return 1.0 / (2.0 * std::sqrt(2.0 * std::log(static_cast<double>(group_size))));
}

double reciprocal_table_entry(uint32_t t, uint32_t bits) {
    const double mid = 1.0 + (t + 0.5) / std::ldexp(1.0, static_cast<int>(bits));
    return std::nearbyint(std::ldexp(1.0 / mid, 15)) / 32768.0;
}

double group_scale(double v, uint32_t scale_bits) {
    if (!(v > 0.0) || !std::isfinite(v)) return 1.0;
    int e = 0;
    const double significand = 2.0 * std::frexp(v, &e);  // v = significand * 2^(e - 1), significand in [1, 2)
    int exponent = e - 1;
    if (scale_bits == 0) {
        if (significand >= kSqrt2) ++exponent;
        return std::ldexp(1.0, -exponent);
    }
    const auto t = static_cast<uint32_t>((significand - 1.0) * std::ldexp(1.0, static_cast<int>(scale_bits)));
    return std::ldexp(reciprocal_table_entry(t, scale_bits), -exponent);
}

void group_norm_forward(const GroupNormShape& s, uint32_t batch, const In& x, const In& gamma, const In& beta,
                        const Out& y, GroupNormSaved& saved, Workspace& ws) {
    s.validate();
    const uint32_t M = s.group_size(), per_group = s.channels / s.groups, plane = s.plane();
    const double inv_m = 1.0 / M, range_c = range_constant(M);
    const size_t stats = static_cast<size_t>(batch) * s.groups;
    saved.mean.assign(stats, 0.0);
    saved.scale.assign(stats, 1.0);
    saved.arg_max.assign(stats, 0);
    saved.arg_min.assign(stats, 0);
    double* acc = Workspace::sized(ws.a, M);
    for (uint32_t n = 0; n < batch; ++n)
        for (uint32_t grp = 0; grp < s.groups; ++grp) {
            const size_t offset = static_cast<size_t>(n) * s.size() + static_cast<size_t>(grp) * M;
            const float* xg = x.data + offset;
            double sum = 0.0;
            uint32_t imax = 0, imin = 0;
            for (uint32_t i = 0; i < M; ++i) {
                sum += xg[i];
                if (xg[i] > xg[imax]) imax = i;
                if (xg[i] < xg[imin]) imin = i;
            }
            const double mean = sum * inv_m;
            const double range = static_cast<double>(xg[imax]) - static_cast<double>(xg[imin]);
            const double scale = group_scale(range_c * range, s.scale_bits);
            const size_t k = static_cast<size_t>(n) * s.groups + grp;
            saved.mean[k] = mean;
            saved.scale[k] = scale;
            saved.arg_max[k] = grp * M + imax;
            saved.arg_min[k] = grp * M + imin;
            if (!y.wanted()) continue;
            for (uint32_t j = 0; j < per_group; ++j) {
                const uint32_t c = grp * per_group + j;
                const double a = static_cast<double>(gamma.data[c]) * scale, b = beta.data[c];
                for (uint32_t p = 0; p < plane; ++p) {
                    const uint32_t i = j * plane + p;
                    acc[i] = normdp::forward<double>(xg[i], mean, a, b);
                }
            }
            round_into(kReal, 1, M, acc, 0, y, offset, 0, y.index_base + offset);
        }
}

void group_norm_backward(const GroupNormShape& s, uint32_t batch, const In& g, const In& x, const In& gamma,
                         const GroupNormSaved& saved, const Out& dx, const Out& dgamma, const Out& dbeta,
                         Workspace& ws) {
    double* dgamma_acc = Workspace::sized(ws.b, s.channels);
    double* dbeta_acc = Workspace::sized(ws.c, s.channels);
    std::fill(dgamma_acc, dgamma_acc + s.channels, 0.0);
    std::fill(dbeta_acc, dbeta_acc + s.channels, 0.0);
    group_norm_backward_sums(s, batch, g, x, gamma, saved, dx, dgamma_acc, dbeta_acc, ws);
    group_norm_round_sums(s.channels, dgamma_acc, dbeta_acc, dgamma, dbeta);
}

void group_norm_round_sums(uint32_t channels, const double* dgamma_acc, const double* dbeta_acc,
                           const Out& dgamma, const Out& dbeta) {
    if (dgamma.wanted()) round_into(kReal, 1, channels, dgamma_acc, 0, dgamma, 0, 0, dgamma.index_base);
    if (dbeta.wanted()) round_into(kReal, 1, channels, dbeta_acc, 0, dbeta, 0, 0, dbeta.index_base);
}

void group_norm_backward_sums(const GroupNormShape& s, uint32_t batch, const In& g, const In& x,
                              const In& gamma, const GroupNormSaved& saved, const Out& dx, double* dgamma_acc,
                              double* dbeta_acc, Workspace& ws) {
    s.validate();
    const uint32_t M = s.group_size(), per_group = s.channels / s.groups, plane = s.plane();
    const size_t stats = static_cast<size_t>(batch) * s.groups;
    if (saved.mean.size() != stats || saved.scale.size() != stats || saved.arg_max.size() != stats ||
        saved.arg_min.size() != stats)
        throw UserError("group norm backward: the saved statistics do not match the shape and batch");
    const double inv_m = 1.0 / M, range_c = range_constant(M);
    double* acc = Workspace::sized(ws.a, M);
    for (uint32_t n = 0; n < batch; ++n)
        for (uint32_t grp = 0; grp < s.groups; ++grp) {
            const size_t offset = static_cast<size_t>(n) * s.size() + static_cast<size_t>(grp) * M;
            const size_t k = static_cast<size_t>(n) * s.groups + grp;
            const float *gg = g.data + offset, *xg = x.data + offset;
            const double mean = saved.mean[k], scale = saved.scale[k];
            double sum_gg = 0.0, sum_range = 0.0, sum_sq = 0.0;
            const bool need_q = s.range_gradient || s.projection;
            for (uint32_t j = 0; j < per_group; ++j) {
                const uint32_t c = grp * per_group + j;
                const double gm = gamma.data[c];
                for (uint32_t p = 0; p < plane; ++p) {
                    const uint32_t i = j * plane + p;
                    sum_gg += gm * gg[i];
                    if (need_q) sum_range += normdp::range_term<double>(gg[i], gm, xg[i], mean);
                    if (s.projection) sum_sq += normdp::square_term<double>(xg[i], mean);
                    dgamma_acc[c] += gg[i] * normdp::normalized<double>(xg[i], mean, scale);
                    dbeta_acc[c] += gg[i];
                }
            }
            if (!dx.wanted()) continue;
            const double mean_gg = sum_gg * inv_m;
            for (uint32_t j = 0; j < per_group; ++j) {
                const double gm = gamma.data[grp * per_group + j];
                for (uint32_t p = 0; p < plane; ++p) {
                    const uint32_t i = j * plane + p;
                    acc[i] = normdp::input_grad<double>(gg[i], gm, mean_gg, scale);
                }
            }
            if (s.projection && sum_sq > 0.0) {
                // The scale-invariant gradient: s taken as proportional to 1/sigma, so dx is orthogonal to
                // x - mean. p = s * q / sum((x - mean)^2), one division per group.
                const double p = scale * sum_range / sum_sq;
                for (uint32_t i = 0; i < M; ++i) acc[i] = normdp::project<double>(acc[i], xg[i], mean, p);
            }
            const uint32_t imax = saved.arg_max[k] - grp * M, imin = saved.arg_min[k] - grp * M;
            if (s.range_gradient && imax != imin && imax < M && imin < M) {
                // dL/dr with ds/dr taken as -C(M) * s^2, the derivative of 1/(C(M) r) with s standing for
                // 1/(C(M) r); r = x[imax] - x[imin].
                const double dr = -range_c * scale * scale * sum_range;
                acc[imax] += dr;
                acc[imin] -= dr;
            }
            round_into(kReal, 1, M, acc, 0, dx, offset, 0, dx.index_base + offset);
        }
}

}  // namespace trainvp::kern
