#include "accel/sparse_junction.h"

#include <algorithm>

namespace trainvp {

SparseJunction::SparseJunction(const sparse::SparseNetConfig& config, const sparse::JunctionState& state,
                               uint32_t index)
    : pattern_(state.pattern),
      fx_(config.format),
      act_fn_(config.format, config.activation[index]),
      z_(config.z[index]),
      fi_(state.pattern.fi),
      proctime_(config.proctime),
      forwarded_(config.delta_hazard == sparse::DeltaHazard::forwarded) {
    const uint64_t edges = pattern_.edges();
    banks_.assign(z_, std::vector<int32_t>((edges + z_ - 1) / z_, 0));
    for (uint64_t k = 0; k < edges; ++k) banks_[k % z_][k / z_] = state.weights[k];
    biases_ = state.biases;
    stream_clocks_ = state.clocks;
    by_clock_.assign(stream_clocks_, {});
    for (uint64_t k = 0; k < edges; ++k) by_clock_[state.issue_clock[k]].push_back(static_cast<uint32_t>(k));
    // The activation memory is single-ported per bank: in nominal clock c (edges c*z .. c*z+z-1) every lane
    // after the first on a bank finds it taken and waits (the issue clocks above serve them in rank order).
    std::vector<uint32_t> on_bank(z_);
    for (uint32_t c = 0; c < pattern_.clocks(); ++c) {
        std::fill(on_bank.begin(), on_bank.end(), 0u);
        const uint64_t end = std::min<uint64_t>(edges, uint64_t{c + 1} * z_);
        for (uint64_t k = uint64_t{c} * z_; k < end; ++k)
            if (on_bank[pattern_.bank(pattern_.left[k])]++) ++conflicts_;
    }
    acc_.assign(pattern_.n, 0);
    acc_count_.assign(pattern_.n, 0);
    step_.assign(pattern_.n, 0);
    delta_writes_.resize(pattern_.p);
    new_weights_.assign(edges, 0);
}

void SparseJunction::run_cycle(const JunctionCycleIo& io) {
    const bool ff = io.ff_left != nullptr, up = io.up_left != nullptr, bp = up && io.bp_adot != nullptr;
    if (!ff && !up) return;
    const uint32_t n = pattern_.n;
    if (ff) {
        for (uint32_t r = 0; r < n; ++r) acc_[r] = biases_[r];  // the bias adder's operand
        std::fill(acc_count_.begin(), acc_count_.end(), 0u);
        // Per right neuron: the bias read and added, the LUT read, the activation and its derivative
        // written.
        counters_.bias_reads += n;
        counters_.tree_adds += n;
        counters_.lut_reads += n;
        counters_.act_writes += n;
        if (io.ff_adot) counters_.adot_writes += n;
    }
    if (up) {  // processor_set.sv UP: delta_bias = -eta * del of the right neuron, one per neuron
        for (uint32_t r = 0; r < n; ++r) step_[r] = fx_.learning_step(io.delta_right[r], io.etapos);
        // The right neuron's error read once for UP and BP; the bias added to and written back.
        counters_.delta_reads += n;
        counters_.word_adds += n;
        counters_.bias_writes += n;
    }
    if (bp)
        for (auto& w : delta_writes_) w.clear();
    const uint32_t write_delay = 1 + proctime_;
    for (uint32_t t = 0; t < stream_clocks_; ++t) {
        for (uint32_t k : by_clock_[t]) {
            const int32_t w = weight(k);  // one read of the bank word, shared by FF, BP and UP
            ++counters_.weight_reads;
            const uint32_t m = pattern_.left[k];
            const uint32_t r = k / fi_;
            if (ff) {
                acc_[r] += fx_.mul(io.ff_left[m], w);
                ++counters_.act_reads;
                ++counters_.macs;
                ++counters_.tree_adds;
                if (++acc_count_[r] == fi_) {  // the neuron's last edge: adder tree, bias, activation
                    const sparse::ActOut o = act_fn_(fx_.saturate(acc_[r]));
                    io.ff_act[r] = o.act;
                    if (io.ff_adot) io.ff_adot[r] = o.deriv;
                }
            }
            if (bp) {  // processor_set.sv BP: del * adot, then * w, added to the left neuron's partial sum
                const int32_t term = fx_.mul(fx_.mul(io.delta_right[r], io.bp_adot[m]), w);
                std::vector<DeltaWrite>& hist = delta_writes_[m];
                // The word as the memory returns it at clock t: read_first, so a write landing at t is not
                // seen (rtl); with forwarding the latest sum always is.
                const DeltaWrite* seen = nullptr;
                for (auto it = hist.rbegin(); it != hist.rend(); ++it)
                    if (forwarded_ || it->land < t) {
                        seen = &*it;
                        break;
                    }
                hist.push_back(
                    {t + write_delay, fx_.add(term, seen ? seen->value : 0), 1 + (seen ? seen->terms : 0)});
                counters_.macs += 2;
                ++counters_.adot_reads;
                ++counters_.delta_rmws;
                ++counters_.word_adds;
            }
            if (up) {
                new_weights_[k] = step_[r] == 0 ? w : fx_.add(w, fx_.mul(step_[r], io.up_left[m]));
                counters_.macs += 1;
                ++counters_.act_reads;
                ++counters_.word_adds;
            }
        }
    }
    counters_.bank_conflicts += conflicts_;
    if (bp) {
        for (uint32_t m = 0; m < pattern_.p; ++m) {
            const std::vector<DeltaWrite>& hist = delta_writes_[m];
            io.delta_left[m] = hist.empty() ? 0 : hist.back().value;  // the last write is the error
            if (!hist.empty()) counters_.lost_sums += hist.size() - hist.back().terms;
        }
    }
    if (up) {
        for (uint64_t k = 0; k < new_weights_.size(); ++k) banks_[k % z_][k / z_] = new_weights_[k];
        for (uint32_t r = 0; r < pattern_.n; ++r) biases_[r] = fx_.add(biases_[r], step_[r]);
        counters_.weight_writes += new_weights_.size();
    }
}

void SparseJunction::forward(const int32_t* left, int32_t* act) {
    for (uint32_t r = 0; r < pattern_.n; ++r) {
        int64_t sum = biases_[r];
        for (uint64_t k = uint64_t{r} * fi_; k < uint64_t{r + 1} * fi_; ++k)
            sum += fx_.mul(left[pattern_.left[k]], weight(k));
        act[r] = act_fn_(fx_.saturate(sum)).act;
    }
    // The same work as FF in a training cycle, without the derivative's write.
    const uint64_t edges = pattern_.edges(), n = pattern_.n;
    counters_.weight_reads += edges;
    counters_.act_reads += edges;
    counters_.macs += edges;
    counters_.tree_adds += edges + n;
    counters_.bias_reads += n;
    counters_.lut_reads += n;
    counters_.act_writes += n;
}

void SparseJunction::read_parameters(std::vector<int32_t>& weights, std::vector<int32_t>& biases) const {
    weights.resize(pattern_.edges());
    for (uint64_t k = 0; k < weights.size(); ++k) weights[k] = weight(k);
    biases = biases_;
}

}  // namespace trainvp
