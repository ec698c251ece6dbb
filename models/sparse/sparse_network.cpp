#include "sparse/sparse_network.h"

#include <algorithm>
#include <cmath>

#include "kernels/prng.h"

namespace trainvp::sparse {

namespace {

// "SPRW" << 24 / "SPRB" << 24, plus the junction: initial weights and biases (kernels/prng.h).
constexpr uint64_t kWeightStream = uint64_t{0x53505257} << 24;
constexpr uint64_t kBiasStream = uint64_t{0x53505242} << 24;

// Box-Muller: a standard normal from the uniforms number 2i and 2i + 1 of a stream.
double normal(uint64_t key, uint64_t i) {
    const double u1 = static_cast<double>(tvp_random_u64_keyed(key, 2 * i) >> 11) * 0x1.0p-53;
    const double u2 = static_cast<double>(tvp_random_u64_keyed(key, 2 * i + 1) >> 11) * 0x1.0p-53;
    constexpr double kTwoPi = 6.283185307179586476925286766559;
    return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(kTwoPi * u2);
}

}  // namespace

std::vector<uint32_t> issue_clocks(const EdgePattern& e, uint32_t* total_clocks) {
    std::vector<uint32_t> issue(e.edges(), 0);
    std::vector<uint32_t> on_bank(e.z, 0);
    uint32_t t = 0;
    for (uint32_t c = 0; c < e.clocks(); ++c) {
        std::fill(on_bank.begin(), on_bank.end(), 0u);
        uint32_t worst = 1;
        const uint64_t end = std::min<uint64_t>(e.edges(), uint64_t{c + 1} * e.z);
        for (uint64_t k = uint64_t{c} * e.z; k < end; ++k) {
            const uint32_t rank = on_bank[e.bank(e.left[k])]++;
            issue[k] = t + rank;
            worst = std::max(worst, rank + 1);
        }
        t += worst;
    }
    if (total_clocks != nullptr) *total_clocks = t;
    return issue;
}

DeltaSchedule delta_schedule(const EdgePattern& e, const std::vector<uint32_t>& issue, uint32_t proctime,
                             DeltaHazard hazard) {
    DeltaSchedule d;
    d.source.assign(e.edges(), -1);
    d.final_edge.assign(e.p, 0);
    // Per left neuron, its edges in edge order (which is issue order for one neuron).
    std::vector<std::vector<uint32_t>> of_neuron(e.p);
    for (uint64_t k = 0; k < e.edges(); ++k) of_neuron[e.left[k]].push_back(static_cast<uint32_t>(k));
    // A read at clock t returns the write of clock w only if w < t (xpm read_first: a read in the clock of
    // the write gets the old word); the write of an edge issued at t' lands at t' + 1 + proctime.
    const uint64_t write_delay = uint64_t{1} + proctime;
    std::vector<uint8_t> in_chain;
    for (uint32_t m = 0; m < e.p; ++m) {
        const std::vector<uint32_t>& list = of_neuron[m];
        if (list.empty()) continue;
        size_t visible = 0;  // edges list[0 .. visible-1] have written before the current read
        for (size_t i = 0; i < list.size(); ++i) {
            const uint32_t k = list[i];
            if (hazard == DeltaHazard::forwarded) {
                d.source[k] = i == 0 ? -1 : static_cast<int32_t>(list[i - 1]);
            } else {
                while (visible < i && issue[list[visible]] + write_delay < issue[k]) ++visible;
                d.source[k] = visible == 0 ? -1 : static_cast<int32_t>(list[visible - 1]);
            }
            if (i > 0 && d.source[k] != static_cast<int32_t>(list[i - 1])) ++d.stale_reads;
        }
        d.final_edge[m] = list.back();
        uint64_t chain = 0;
        for (int32_t k = static_cast<int32_t>(list.back()); k >= 0; k = d.source[k]) ++chain;
        d.dropped += list.size() - chain;
    }
    return d;
}

SparseNetwork::SparseNetwork(const SparseNetConfig& config) : config_(config) {
    config_.validate();
    junctions_.resize(config_.junctions());
    for (uint32_t j = 0; j < config_.junctions(); ++j) {
        JunctionState& js = junctions_[j];
        InterleaverSpec spec;
        spec.p = config_.neurons[j];
        spec.n = config_.neurons[j + 1];
        spec.fo = config_.fanout[j];
        spec.z = config_.z[j];
        spec.type = config_.interleaver_type;
        spec.dither = config_.dither;
        spec.zero_starts = config_.zero_starts;
        spec.seed = config_.seed;
        spec.junction = j;
        js.pattern =
            config_.connectivity == Connectivity::random ? random_pattern(spec) : clash_free_pattern(spec);
        js.issue_clock = issue_clocks(js.pattern, &js.clocks);
        js.conflicts = bank_conflicts(js.pattern);
        if (j > 0)
            js.delta = delta_schedule(js.pattern, js.issue_clock, config_.proctime, config_.delta_hazard);
        js.weights.assign(js.pattern.edges(), 0);
        js.biases.assign(spec.n, 0);
    }
}

void SparseNetwork::init_glorot(uint64_t seed) {
    const FixedArith fx(config_.format);
    for (uint32_t j = 0; j < junctions(); ++j) {
        JunctionState& js = junctions_[j];
        const double sigma = std::sqrt(2.0 / (static_cast<double>(js.pattern.fi) + js.pattern.fo));
        const uint64_t wkey = tvp_random_key(seed, kWeightStream + j);
        const uint64_t bkey = tvp_random_key(seed, kBiasStream + j);
        for (uint64_t k = 0; k < js.weights.size(); ++k)
            js.weights[k] = fx.from_double_floor(sigma * normal(wkey, k));
        for (uint64_t r = 0; r < js.biases.size(); ++r)
            js.biases[r] = fx.from_double_floor(sigma * normal(bkey, r));
    }
}

uint32_t SparseNetwork::cycle_clocks() const {
    uint32_t worst = 0;
    for (const JunctionState& js : junctions_) worst = std::max(worst, js.clocks);
    return worst + 2 + config_.proctime;
}

uint64_t SparseNetwork::stall_clocks() const {
    uint64_t worst = 0;
    for (const JunctionState& js : junctions_) worst = std::max<uint64_t>(worst, js.conflicts.stall_clocks);
    return worst;
}

uint64_t SparseNetwork::parameter_digest() const {
    uint64_t h = 0xcbf29ce484222325ULL;
    const auto feed = [&h](int32_t v) {
        for (int b = 0; b < 4; ++b) {
            h ^= static_cast<uint8_t>(static_cast<uint32_t>(v) >> (8 * b));
            h *= 0x100000001b3ULL;
        }
    };
    for (const JunctionState& js : junctions_) {
        for (int32_t w : js.weights) feed(w);
        for (int32_t b : js.biases) feed(b);
    }
    return h;
}

}  // namespace trainvp::sparse
