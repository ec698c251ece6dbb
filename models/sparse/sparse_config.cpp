#include "sparse/sparse_config.h"

#include <stdexcept>

namespace trainvp::sparse {

namespace {

bool power_of_two(uint64_t v) {
    return v != 0 && (v & (v - 1)) == 0;
}

std::string key(const char* name, uint32_t index) {
    return std::string(name) + "[" + std::to_string(index) + "]";
}

[[noreturn]] void fail(const std::string& key, const std::string& reason) {
    throw std::invalid_argument(key + ": " + reason);
}

}  // namespace

const char* to_string(Connectivity c) {
    return c == Connectivity::random ? "random" : "clash-free";
}

Connectivity parse_connectivity(const std::string& text) {
    if (text == "clash-free") return Connectivity::clash_free;
    if (text == "random") return Connectivity::random;
    throw std::invalid_argument("unknown connectivity '" + text + "' (expected clash-free or random)");
}

const char* to_string(DeltaHazard h) {
    return h == DeltaHazard::forwarded ? "forwarded" : "rtl";
}

DeltaHazard parse_delta_hazard(const std::string& text) {
    if (text == "rtl") return DeltaHazard::rtl;
    if (text == "forwarded") return DeltaHazard::forwarded;
    throw std::invalid_argument("unknown delta hazard '" + text + "' (expected rtl or forwarded)");
}

uint64_t SparseNetConfig::total_edges() const {
    uint64_t sum = 0;
    for (uint32_t j = 0; j < junctions(); ++j) sum += edges(j);
    return sum;
}

uint64_t SparseNetConfig::dense_edges() const {
    uint64_t sum = 0;
    for (uint32_t j = 0; j < junctions(); ++j) sum += uint64_t{neurons[j]} * neurons[j + 1];
    return sum;
}

void SparseNetConfig::validate() const {
    if (neurons.size() < 2) fail("neurons", "needs at least an input and an output layer");
    const uint32_t jn = junctions();
    if (fanout.size() != jn) fail("fanout", "needs one entry per junction (" + std::to_string(jn) + ")");
    if (z.size() != jn) fail("z", "needs one entry per junction (" + std::to_string(jn) + ")");
    if (activation.size() != jn)
        fail("activation", "needs one entry per junction (" + std::to_string(jn) + ")");
    try {
        format.validate();
    } catch (const std::invalid_argument& e) {
        fail("format", e.what());
    }
    // The RTL slices addresses and counters into bit fields (memory_ctr.sv, interleaver_array.sv), so every
    // size is a power of two.
    for (uint32_t l = 0; l < neurons.size(); ++l)
        if (!power_of_two(neurons[l]) || neurons[l] > (1u << 20))
            fail(key("neurons", l),
                 "must be a power of two up to 2^20 (pad the input, as the RTL pads 784 to 1024)");
    for (uint32_t j = 0; j < jn; ++j) {
        const uint32_t p = neurons[j], n = neurons[j + 1];
        if (!power_of_two(fanout[j]) || fanout[j] > n)
            fail(key("fanout", j),
                 "must be a power of two no larger than the next layer (" + std::to_string(n) + ")");
        if (!power_of_two(z[j])) fail(key("z", j), "must be a power of two");
        if (p % z[j] != 0) fail(key("z", j), "must divide the left layer (" + std::to_string(p) + ")");
        if (edges(j) / z[j] != weight_clocks())
            fail(key("z", j), "gives " + std::to_string(edges(j) / z[j]) +
                                  " clocks per junction, junction 0 " + std::to_string(weight_clocks()) +
                                  "; |W|/z must be equal for lock-step pipelining");
    }
    if (activation[jn - 1] != Activation::sigmoid)
        fail(key("activation", jn - 1), "the output junction must use sigmoid (cross-entropy error a - y)");
    if (proctime > 16) fail("proctime", "must be at most 16 clocks");
    if (input_bits < 1 || input_bits > 16) fail("input_bits", "must be 1..16");
    if (interleaver_type < 1 || interleaver_type > 3) fail("interleaver_type", "must be 1, 2 or 3");
    if (zero_starts && interleaver_type != 2) fail("zero_starts", "applies to interleaver type 2 only");
}

std::string SparseNetConfig::rtl_limits() const {
    for (uint32_t j = 0; j < junctions(); ++j) {
        if (z[j] % fanin(j) != 0)
            return key("z", j) + " = " + std::to_string(z[j]) + " is below the fan-in " +
                   std::to_string(fanin(j)) + " (the RTL finishes z/fi >= 1 right neurons per clock)";
        if (z[j] % fanout[j] != 0)
            return key("z", j) + " = " + std::to_string(z[j]) + " is below the fan-out " +
                   std::to_string(fanout[j]) + " (the RTL writes z/fo >= 1 left activations per clock)";
    }
    return {};
}

std::string SparseNetConfig::summary() const {
    std::string s;
    const auto list = [](const std::vector<uint32_t>& v, const char* sep) {
        std::string out;
        for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + std::to_string(v[i]);
        return out;
    };
    s = list(neurons, "-") + " fo " + list(fanout, ",") + " z " + list(z, ",") + " " + format.to_string();
    std::string acts;
    for (size_t j = 0; j < activation.size(); ++j)
        acts += std::string(j ? "," : "") + to_string(activation[j]);
    s += " " + acts + " " + to_string(connectivity);
    if (connectivity == Connectivity::clash_free)
        s += " type " + std::to_string(interleaver_type) + (dither ? " dither" : "") +
             (zero_starts ? " zero-starts" : "");
    return s;
}

SparseNetConfig SparseNetConfig::fpga_mnist() {
    return SparseNetConfig{};
}

SparseNetConfig SparseNetConfig::smallnet() {
    SparseNetConfig c;
    c.neurons = {64, 16, 4};
    c.fanout = {2, 2};
    c.z = {32, 8};
    return c;
}

}  // namespace trainvp::sparse
