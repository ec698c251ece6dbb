// Pre-defined sparse connectivity of one junction (Dey et al., papers.md §3.3, §3.6): the clash-free
// interleaver of souryadey/predefinedsparse-nnets adjmatint.py (types 1, 2, 3, with and without memory
// dither), a random pattern with the same degrees for comparison, and the checks (degrees, clash freedom,
// bank-conflict stalls). docs/sparse.md "Connectivity".
//
// Edges are numbered in weight-memory order: edge k is read at clock k / z by lane k % z, and belongs to
// right neuron k / fi (inter_to_adjmat). A pattern gives the left neuron of every edge. Left neuron m lives
// in activation-memory bank m % z at row m / z (memory_ctr.sv address_decoder).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trainvp::sparse {

struct EdgePattern {
    uint32_t p = 0;              // left neurons
    uint32_t n = 0;              // right neurons
    uint32_t fo = 0;             // fan-out of every left neuron
    uint32_t fi = 0;             // fan-in of every right neuron, p * fo / n
    uint32_t z = 0;              // edges per clock
    std::vector<uint32_t> left;  // p * fo entries: the left neuron of edge k

    uint64_t edges() const { return left.size(); }
    uint32_t right(uint64_t k) const { return static_cast<uint32_t>(k / fi); }
    uint32_t clocks() const { return static_cast<uint32_t>((left.size() + z - 1) / z); }
    uint32_t bank(uint32_t neuron) const { return neuron % z; }
};

// One sweep of the interleaver (adjmatint.py wt_interleaver): every left neuron once, in p/z clocks.
//   rows[j], j < p: the memory row read at sweep position j (clock j / z, lane j % z), < p/z;
//   banks[l], l < z: the bank lane l reads during the sweep (identity without memory dither).
// Left neuron of position j = rows[j] * z + banks[j % z]. The rows each bank sees must be a permutation of
// 0 .. p/z-1; interleave() checks this.
struct SweepChoice {
    std::vector<uint32_t> rows;
    std::vector<uint32_t> banks;
};

// Type 1: any row order per bank and sweep; type 2: a random start per lane, then +1 modulo p/z; type 3:
// type 2 with the same choice (rows and dither) in every sweep. zero_starts: type 2 with every start 0,
// the pattern the authors' RTL synthesises (interleaver_array.sv: sweepstart = '0), which connects edge k
// to left neuron k mod p.
struct InterleaverSpec {
    uint32_t p = 0, n = 0, fo = 0, z = 0;
    int type = 2;
    bool dither = false;
    bool zero_starts = false;
    uint64_t seed = 1;
    uint32_t junction = 0;  // selects an independent random stream per junction

    // p, n, fo, z >= 1; p % z == 0; p * fo % n == 0; fo <= n; type 1..3. Throws std::invalid_argument.
    void validate() const;
};

// The sweeps the seed chooses (deterministic: a pure function of the spec).
std::vector<SweepChoice> choose_sweeps(const InterleaverSpec& spec);

// The pattern of explicit sweep choices (fo of them). Throws std::invalid_argument if a choice is
// malformed (sizes, ranges, a bank not seeing every row once, banks not a permutation).
EdgePattern interleave(uint32_t p, uint32_t n, uint32_t fo, uint32_t z,
                       const std::vector<SweepChoice>& sweeps);

EdgePattern clash_free_pattern(const InterleaverSpec& spec);

// The same degrees, edges placed at random (not clash-free): a shuffled list with every left neuron fo
// times, then repaired so that no right neuron has the same left neuron twice. Deterministic in the seed.
EdgePattern random_pattern(const InterleaverSpec& spec);

// Fully connected in weight-memory order: right neuron r's edges are left neurons 0 .. p-1 (fo = n).
// Equal to a clash-free type-2 pattern with zero starts and fo = n.
EdgePattern fully_connected_pattern(uint32_t p, uint32_t n, uint32_t z);

struct PatternCheck {
    bool degrees_ok = false;    // every left neuron fo edges, every right neuron fi edges
    bool no_repeats = false;    // no right neuron sees one left neuron twice
    uint32_t clash_clocks = 0;  // clocks whose z edges do not touch z distinct banks
    std::string problem;        // the first problem found, empty if none

    bool clash_free() const { return clash_clocks == 0; }
};
PatternCheck check_pattern(const EdgePattern& pattern);

// Bank conflicts: the memories are single-ported, so a clock whose edges need k values from one bank takes
// k-1 extra clocks (papers.md §3.5). stall_clocks = sum over clocks of (max edges on one bank - 1).
struct ConflictStats {
    uint32_t clocks = 0;             // clocks without stalls, edges / z
    uint64_t stall_clocks = 0;       // extra clocks
    uint32_t conflicted_clocks = 0;  // clocks with at least one stall
    uint32_t worst = 0;              // most edges on one bank in one clock
};
ConflictStats bank_conflicts(const EdgePattern& pattern);

// The n x p adjacency matrix (row r, column m): how many edges join right r and left m.
std::vector<uint8_t> adjacency(const EdgePattern& pattern);

}  // namespace trainvp::sparse
