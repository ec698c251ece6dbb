#include "sparse/junction_trainer.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace trainvp::sparse {

const char* to_string(TrainSchedule s) {
    return s == TrainSchedule::sequential ? "sequential" : "pipelined";
}

uint32_t rtl_argmax(const int32_t* values, uint32_t count, uint32_t group) {
    if (group == 0) group = 1;
    bool have = false;
    int32_t stored = 0;
    uint32_t position = 0;
    for (uint32_t first = 0; first < count; first += group) {
        const uint32_t end = std::min(count, first + group);
        uint32_t best = first;
        for (uint32_t i = first + 1; i < end; ++i)
            if (values[i] > values[best]) best = i;
        if (!have || values[best] >= stored) {
            stored = values[best];
            position = best;
            have = true;
        }
    }
    return position;
}

JunctionTrainer::JunctionTrainer(SparseNetwork& net, TrainSchedule schedule)
    : net_(net),
      fx_(net.config().format),
      timing_(net.config().layers(),
              schedule == TrainSchedule::pipelined ? 1 : 2 * net.config().layers() - 1) {
    const SparseNetConfig& cfg = net_.config();
    for (uint32_t j = 0; j < cfg.junctions(); ++j) act_fn_.emplace_back(cfg.format, cfg.activation[j]);
    slots_.resize(timing_.depth());
    for (Slot& s : slots_) {
        s.act.resize(cfg.layers());
        s.adot.resize(cfg.layers());
        s.delta.resize(cfg.layers());
        for (uint32_t l = 0; l < cfg.layers(); ++l) {
            s.act[l].assign(cfg.neurons[l], 0);
            if (l > 0) {
                s.adot[l].assign(cfg.neurons[l], 0);
                s.delta[l].assign(cfg.neurons[l], 0);
            }
        }
    }
    uint64_t widest = 0;
    for (uint32_t j = 0; j < cfg.junctions(); ++j) widest = std::max(widest, cfg.edges(j));
    partial_.assign(widest, 0);
}

uint32_t JunctionTrainer::output_group() const {
    const SparseNetConfig& cfg = net_.config();
    const uint32_t j = cfg.junctions() - 1;
    return std::max(1u, cfg.z[j] / cfg.fanin(j));
}

void JunctionTrainer::check_sample(const SampleView& s) const {
    const SparseNetConfig& cfg = net_.config();
    if (s.size > cfg.neurons[0])
        throw std::invalid_argument("sample has " + std::to_string(s.size) + " inputs, the input layer " +
                                    std::to_string(cfg.neurons[0]));
    if (s.size > 0 && s.input == nullptr) throw std::invalid_argument("sample has no input data");
    if (s.label >= cfg.neurons.back())
        throw std::invalid_argument("label " + std::to_string(s.label) + " needs more than the " +
                                    std::to_string(cfg.neurons.back()) + " output neurons");
    if (cfg.input_bits < 8) {
        for (uint32_t i = 0; i < s.size; ++i)
            if (s.input[i] >> cfg.input_bits)
                throw std::invalid_argument("input " + std::to_string(i) + " = " +
                                            std::to_string(s.input[i]) +
                                            " does not fit input_bits = " + std::to_string(cfg.input_bits));
    }
}

void JunctionTrainer::load_input(const SampleView& s, std::vector<int32_t>& act0) const {
    const int bits = net_.config().input_bits;
    for (uint32_t i = 0; i < act0.size(); ++i)
        act0[i] = i < s.size ? fx_.input_activation(s.input[i], bits) : 0;
}

void JunctionTrainer::forward(uint32_t j, const std::vector<int32_t>& left, std::vector<int32_t>& act,
                              std::vector<int32_t>* adot) const {
    const JunctionState& js = net_.junction(j);
    const uint32_t fi = js.pattern.fi;
    const uint32_t* lp = js.pattern.left.data();
    const int32_t* w = js.weights.data();
    const int32_t* a = left.data();
    const ActivationUnit& f = act_fn_[j];
    for (uint32_t r = 0; r < js.pattern.n; ++r) {
        int64_t sum = js.biases[r];
        const uint64_t first = uint64_t{r} * fi;
        for (uint64_t k = first; k < first + fi; ++k) sum += fx_.mul(a[lp[k]], w[k]);
        const ActOut o = f(fx_.saturate(sum));
        act[r] = o.act;
        if (adot != nullptr) (*adot)[r] = o.deriv;
    }
}

void JunctionTrainer::backward(uint32_t j, Slot& slot) {
    const JunctionState& js = net_.junction(j);
    const uint32_t fi = js.pattern.fi;
    const uint32_t* lp = js.pattern.left.data();
    const int32_t* w = js.weights.data();
    const int32_t* src = js.delta.source.data();
    const int32_t* adot = slot.adot[j].data();
    const std::vector<int32_t>& d_right = slot.delta[j + 1];
    int32_t* part = partial_.data();
    for (uint32_t r = 0; r < js.pattern.n; ++r) {
        const int32_t d = d_right[r];
        const uint64_t first = uint64_t{r} * fi;
        for (uint64_t k = first; k < first + fi; ++k) {
            // processor_set.sv BP: delta_act = del * adot, delta_wt = delta_act * wt, then the partial sum.
            const int32_t term = fx_.mul(fx_.mul(d, adot[lp[k]]), w[k]);
            part[k] = fx_.add(term, src[k] < 0 ? 0 : part[src[k]]);
        }
    }
    std::vector<int32_t>& d_left = slot.delta[j];
    for (uint32_t m = 0; m < js.pattern.p; ++m) d_left[m] = part[js.delta.final_edge[m]];
}

void JunctionTrainer::update(uint32_t j, const Slot& slot) {
    JunctionState& js = net_.junction(j);
    const uint32_t fi = js.pattern.fi;
    const uint32_t* lp = js.pattern.left.data();
    int32_t* w = js.weights.data();
    const int32_t* a = slot.act[j].data();
    const std::vector<int32_t>& d_right = slot.delta[j + 1];
    for (uint32_t r = 0; r < js.pattern.n; ++r) {
        // processor_set.sv UP: delta_bias = -eta * del; bias += delta_bias; wt += delta_bias * act.
        const int32_t step = fx_.learning_step(d_right[r], slot.etapos);
        if (step == 0) continue;  // adds 0 everywhere: nothing changes
        js.biases[r] = fx_.add(js.biases[r], step);
        const uint64_t first = uint64_t{r} * fi;
        for (uint64_t k = first; k < first + fi; ++k) w[k] = fx_.add(w[k], fx_.mul(step, a[lp[k]]));
    }
}

TrainStats JunctionTrainer::train(const std::vector<SampleView>& samples,
                                  const std::vector<uint8_t>& etapos) {
    const SparseNetConfig& cfg = net_.config();
    if (etapos.size() != samples.size())
        throw std::invalid_argument("train: " + std::to_string(etapos.size()) + " etapos values for " +
                                    std::to_string(samples.size()) + " samples");
    const int max_etapos = cfg.format.frac_bits() + 1;
    for (size_t i = 0; i < samples.size(); ++i) {
        check_sample(samples[i]);
        if (etapos[i] > max_etapos)
            throw std::invalid_argument("etapos " + std::to_string(etapos[i]) + " of sample " +
                                        std::to_string(i) +
                                        " is above frac_bits + 1 = " + std::to_string(max_etapos));
    }
    TrainStats stats;
    stats.samples = samples.size();
    stats.junction_cycles = timing_.total_cycles(samples.size());
    stats.clocks = stats.junction_cycles * net_.cycle_clocks();
    const uint64_t n = samples.size();
    const uint32_t last = cfg.junctions() - 1;
    const uint32_t group = output_group();
    for (uint64_t cycle = 0; cycle < stats.junction_cycles; ++cycle) {
        const int64_t in = timing_.input_sample(cycle, n);
        if (in >= 0) {
            Slot& s = slots_[in % slots_.size()];
            load_input(samples[in], s.act[0]);
            s.label = samples[in].label;
            s.etapos = etapos[in];
        }
        for (uint32_t j = 0; j < cfg.junctions(); ++j) {
            // Every read of junction j in this cycle (FF, BP, UP) sees the weights before this cycle's
            // update.
            const int64_t ff = timing_.ff_sample(cycle, j, n);
            if (ff >= 0) {
                Slot& s = slots_[ff % slots_.size()];
                forward(j, s.act[j], s.act[j + 1], &s.adot[j + 1]);
                if (j == last) {
                    std::vector<int32_t>& out = s.act[j + 1];
                    for (uint32_t r = 0; r < out.size(); ++r)
                        s.delta[j + 1][r] = fx_.cost_term(out[r], r == s.label);
                    stats.correct +=
                        rtl_argmax(out.data(), static_cast<uint32_t>(out.size()), group) == s.label;
                }
            }
            const int64_t up = timing_.up_sample(cycle, j, n);
            if (up >= 0) {
                Slot& s = slots_[up % slots_.size()];
                if (j > 0) backward(j, s);
                update(j, s);
            }
        }
    }
    return stats;
}

std::vector<int32_t> JunctionTrainer::outputs(const SampleView& sample) const {
    check_sample(sample);
    const SparseNetConfig& cfg = net_.config();
    std::vector<int32_t> left(cfg.neurons[0]), right;
    load_input(sample, left);
    for (uint32_t j = 0; j < cfg.junctions(); ++j) {
        right.assign(cfg.neurons[j + 1], 0);
        forward(j, left, right, nullptr);
        left.swap(right);
    }
    return left;
}

uint32_t JunctionTrainer::predict(const SampleView& sample) const {
    const std::vector<int32_t> out = outputs(sample);
    return rtl_argmax(out.data(), static_cast<uint32_t>(out.size()), output_group());
}

uint64_t JunctionTrainer::count_correct(const std::vector<SampleView>& samples) const {
    uint64_t correct = 0;
    for (const SampleView& s : samples) correct += predict(s) == s.label;
    return correct;
}

}  // namespace trainvp::sparse
