// Range group normalization: a batch-independent normalization that needs no division or square root per
// element (ETA's "hardware-oriented normalization layer", papers.md 4.2/4.3; the paper's own formula is not
// known, so this one is chosen and cited). Statistics are per sample and per group of channels (Wu & He,
// "Group Normalization", ECCV 2018); the spread is the range max - min scaled by C(M) = 1/(2 sqrt(2 ln M)), after
// Banner et al., "Scalable methods for 8-bit training of neural networks", NeurIPS 2018 (range batch norm);
// 1/spread is replaced by a power of two or a small reciprocal table, so an element is normalized by one
// subtraction, one multiplication (or shift) and one addition. Formulas: docs/numerics.md
// "### Range group normalization". Layout N x C x H x W; gamma and beta one per channel.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/kernel_types.h"

namespace trainvp::kern {

struct GroupNormShape {
    uint32_t channels = 1, rows = 1, cols = 1;
    uint32_t groups = 1;  // channels per group = channels / groups
    // 0: the nearest power of two (a shift per element); 1..kMaxScaleBits: a 2^bits-entry reciprocal table.
    uint32_t scale_bits = 0;
    bool range_gradient = false;  // backward: also propagate through the range (see docs), else hold s fixed
    // backward: subtract the error's projection on x - mean, as if s were proportional to 1/sigma (docs
    // "Backward"); excludes range_gradient.
    bool projection = false;

    static constexpr uint32_t kMaxScaleBits = 8;

    uint32_t plane() const { return rows * cols; }
    uint32_t size() const { return channels * plane(); }
    uint32_t group_size() const { return channels / groups * plane(); }  // M
    // Throws UserError naming the bad field: groups must divide channels, M >= 2, scale_bits in range.
    void validate() const;
};

// The range-to-deviation constant for M samples: C(M) = 1 / (2 sqrt(2 ln M)), since the range of M Gaussian
// samples is about 2 sigma sqrt(2 ln M), so C(M) * range estimates sigma. Per layer (M >= 2).
double range_constant(uint32_t group_size);
// The per-group scale s for a scaled range v = C(M) * (max - min) >= 0 (power of two or table entry, see
// docs); 1 for v = 0.
double group_scale(double v, uint32_t scale_bits);
// Entry t of the 2^bits-entry reciprocal table: round(2^15 / (1 + (t + 0.5) / 2^bits)) / 2^15.
double reciprocal_table_entry(uint32_t t, uint32_t bits);

// What the forward pass keeps for the backward pass, per sample and group (index n * groups + group).
struct GroupNormSaved {
    std::vector<double> mean, scale;
    std::vector<uint32_t> arg_max, arg_min;  // element offsets inside the sample (first max / first min)
};

// y = round(beta_c + (x - mean) * (gamma_c * s)) per element, statistics per (sample, group).
void group_norm_forward(const GroupNormShape& s, uint32_t batch, const In& x, const In& gamma, const In& beta,
                        const Out& y, GroupNormSaved& saved, Workspace& ws);
// dx = round((gamma_c * g - mean(gamma * g)) * s) (+ the range term at the group's max and min when
// s.range_gradient; - (x - mean) * s * q / sum((x - mean)^2), q = sum(gamma * g * (x - mean)), when
// s.projection); dgamma_c = round(sum over n, then elements, of g * (x - mean) * s);
// dbeta_c = round(sum of g). x is the forward input, saved what the forward pass kept. Outputs go through
// Out's sink when it has one; an output with neither data nor sink is not computed.
void group_norm_backward(const GroupNormShape& s, uint32_t batch, const In& g, const In& x, const In& gamma,
                         const GroupNormSaved& saved, const Out& dx, const Out& dgamma, const Out& dbeta,
                         Workspace& ws);

// group_norm_backward over a run of samples, for a caller that splits the batch (the accelerator's vector
// unit): dx as group_norm_backward (its index_base the run's first element in the whole tensor), and the
// unrounded dgamma and dbeta sums added to dgamma_acc and dbeta_acc (channels each). Runs in ascending sample
// order from zeroed sums, then group_norm_round_sums, give group_norm_backward's results bit for bit.
void group_norm_backward_sums(const GroupNormShape& s, uint32_t batch, const In& g, const In& x,
                              const In& gamma, const GroupNormSaved& saved, const Out& dx, double* dgamma_acc,
                              double* dbeta_acc, Workspace& ws);
// Rounds the sums of group_norm_backward_sums into dgamma and dbeta (either may be absent).
void group_norm_round_sums(uint32_t channels, const double* dgamma_acc, const double* dbeta_acc,
                           const Out& dgamma, const Out& dbeta);

}  // namespace trainvp::kern
