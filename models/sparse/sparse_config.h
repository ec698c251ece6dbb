// Configuration of a junction-pipelined sparse MLP (Dey et al., papers.md §3.3-3.8): layer sizes, fan-outs,
// edges per clock, number format, activations, connectivity and the processor pipeline depth. Plain data
// with validate(); docs/sparse.md "Configuration".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sparse/activation_lut.h"
#include "sparse/rtl_fixed.h"

namespace trainvp::sparse {

enum class Connectivity : uint8_t {
    clash_free,  // the interleaver (interleaver.h): no bank conflicts by construction
    random,      // the same degrees at random: bank conflicts stall the junction
};
const char* to_string(Connectivity c);
Connectivity parse_connectivity(const std::string& text);  // "clash-free" | "random"

// How the delta memory's read-modify-write behaves when a left neuron comes back before its previous partial
// sum has been written (memory_ctr.sv "Delta memory working": the write lands 1 + proctime clocks after the
// read, and a read in the same clock as the write gets the old value, xpm read_first).
enum class DeltaHazard : uint8_t {
    rtl,        // as the RTL: the read returns the value without the pending contribution, which is lost
    forwarded,  // every read sees every earlier contribution (an engine with a forwarding path)
};
const char* to_string(DeltaHazard h);
DeltaHazard parse_delta_hazard(const std::string& text);  // "rtl" | "forwarded"

struct SparseNetConfig {
    std::vector<uint32_t> neurons{1024, 64, 32};  // per layer, input first
    std::vector<uint32_t> fanout{4, 16};          // per junction: fan-out of its left layer
    std::vector<uint32_t> z{128, 32};             // per junction: edges per clock
    FixedFormat format{10, 2};
    std::vector<Activation> activation{Activation::sigmoid, Activation::sigmoid};  // per junction
    uint32_t proctime =
        2;  // processor pipeline depth in clocks (DNN.sv `PROCTIME, 2 with pipelined multipliers)
    int input_bits = 8;  // width_in: bits per input value
    Connectivity connectivity = Connectivity::clash_free;
    int interleaver_type = 2;  // 1, 2 or 3 (interleaver.h)
    bool dither = false;       // memory dither
    bool zero_starts = false;  // the RTL's synthesised type-2 pattern (every sweep start 0)
    uint64_t seed = 1;         // connectivity and initial weights
    DeltaHazard delta_hazard = DeltaHazard::rtl;

    uint32_t layers() const { return static_cast<uint32_t>(neurons.size()); }
    uint32_t junctions() const { return layers() - 1; }
    // Junctions are numbered from 0 here: junction j joins layer j (left) to layer j + 1 (right).
    uint32_t fanin(uint32_t j) const {
        return static_cast<uint32_t>(uint64_t{neurons[j]} * fanout[j] / neurons[j + 1]);
    }
    uint64_t edges(uint32_t j) const { return uint64_t{neurons[j]} * fanout[j]; }
    // Clocks to stream a junction's weights once, edges / z, equal for every junction (papers.md §3.3).
    uint32_t weight_clocks() const { return static_cast<uint32_t>(edges(0) / z[0]); }
    // Clocks per junction cycle with no stalls: weight_clocks + 2 + proctime (DNN_top.sv cpc).
    uint32_t cycle_clocks() const { return weight_clocks() + 2 + proctime; }
    uint64_t total_edges() const;
    uint64_t dense_edges() const;  // weights of the fully connected network with the same layers

    // Throws std::invalid_argument naming the key ("neurons", "fanout[1]", ...) and the reason.
    void validate() const;
    // Empty if the authors' processor sets can run this network, else why not: they need z to be a multiple
    // of fi and of fo (processor_set.sv, memory_ctr.sv). The golden model does not (a fully connected
    // 1024-64-32 network needs fi = 64 > z = 32 in junction 1).
    std::string rtl_limits() const;
    std::string summary() const;  // "1024-64-32 fo 4,16 z 128,32 10-bit (1.2.7) sigmoid clash-free type 2"

    // tb_DNN_top.sv "MNIST IMPLEMENTED on FPGA": 1024-64-32, fo 4/16, z 128/32, 10-bit with 2 integer bits.
    static SparseNetConfig fpga_mnist();
    // tb_DNN_top.sv SMALLNET: 64-16-4, fo 2/2, z 32/8 (its width is the test bench's 10 bits).
    static SparseNetConfig smallnet();
};

}  // namespace trainvp::sparse
