// Connectivity (models/sparse/interleaver.h): the authors' pattern counts by enumerating every choice,
// validity and clash freedom on many random parameter sets, the RTL's interleaver formula, the random
// pattern and bank-conflict stalls.
#include <algorithm>
#include <catch2/catch.hpp>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "sparse/interleaver.h"
#include "sparse/sparse_network.h"

using namespace trainvp::sparse;

namespace {

// Every permutation of 0..n-1.
std::vector<std::vector<uint32_t>> permutations(uint32_t n) {
    std::vector<uint32_t> p(n);
    std::iota(p.begin(), p.end(), 0u);
    std::vector<std::vector<uint32_t>> all;
    do all.push_back(p);
    while (std::next_permutation(p.begin(), p.end()));
    return all;
}

// Every sweep choice of one type for p, z (rows per lane; banks identity or every permutation).
std::vector<SweepChoice> sweep_choices(uint32_t p, uint32_t z, int type, bool dither) {
    const uint32_t rows = p / z;
    std::vector<std::vector<uint32_t>> row_options;  // per lane: the row sequence over the sweep
    if (type == 1) {
        row_options = permutations(rows);
    } else {
        for (uint32_t s = 0; s < rows; ++s) {
            std::vector<uint32_t> seq(rows);
            for (uint32_t i = 0; i < rows; ++i) seq[i] = (s + i) % rows;
            row_options.push_back(seq);
        }
    }
    std::vector<std::vector<uint32_t>> bank_options;
    if (dither) {
        bank_options = permutations(z);
    } else {
        std::vector<uint32_t> id(z);
        std::iota(id.begin(), id.end(), 0u);
        bank_options.push_back(id);
    }
    std::vector<SweepChoice> out;
    std::vector<uint32_t> pick(z, 0);  // option index per lane
    while (true) {
        for (const auto& banks : bank_options) {
            SweepChoice c;
            c.rows.assign(p, 0);
            for (uint32_t lane = 0; lane < z; ++lane)
                for (uint32_t i = 0; i < rows; ++i) c.rows[i * z + lane] = row_options[pick[lane]][i];
            c.banks = banks;
            out.push_back(c);
        }
        uint32_t lane = 0;
        while (lane < z && ++pick[lane] == row_options.size()) pick[lane++] = 0;
        if (lane == z) break;
    }
    return out;
}

// Distinct adjacency matrices over every combination of fo sweeps (type 3: the same sweep fo times).
size_t count_patterns(uint32_t p, uint32_t fo, uint32_t n, uint32_t z, int type, bool dither) {
    const std::vector<SweepChoice> choices = sweep_choices(p, z, type, dither);
    std::set<std::vector<uint8_t>> distinct;
    std::vector<size_t> index(fo, 0);
    while (true) {
        std::vector<SweepChoice> sweeps(fo);
        for (uint32_t s = 0; s < fo; ++s) sweeps[s] = choices[type == 3 ? index[0] : index[s]];
        distinct.insert(adjacency(interleave(p, n, fo, z, sweeps)));
        uint32_t s = 0;
        const uint32_t free_sweeps = type == 3 ? 1 : fo;
        while (s < free_sweeps && ++index[s] == choices.size()) index[s++] = 0;
        if (s == free_sweeps) break;
    }
    return distinct.size();
}

}  // namespace

TEST_CASE("pattern counts of adjmatint.py count_adjmats, by enumeration", "[sparse][interleaver]") {
    // p=9, fo=2, n=6, z=3: type 1 46656, type 2 729, type 3 27; memory dither changes nothing (fi/z = 1).
    CHECK(count_patterns(9, 2, 6, 3, 1, false) == 46656);
    CHECK(count_patterns(9, 2, 6, 3, 2, false) == 729);
    CHECK(count_patterns(9, 2, 6, 3, 3, false) == 27);
    CHECK(count_patterns(9, 2, 6, 3, 2, true) == 729);
    CHECK(count_patterns(9, 2, 6, 3, 3, true) == 27);
    // p=12, fo=2, n=12, z=4 with dither (z/fi = 2): type 3 gives k * (p/z)^z = 6 * 81 = 486.
    CHECK(count_patterns(12, 2, 12, 4, 3, true) == 486);
}

TEST_CASE("seeded interleavers are valid and clash-free on many parameter sets", "[sparse][interleaver]") {
    std::mt19937 rng(2017);
    int checked = 0;
    for (int trial = 0; trial < 400; ++trial) {
        InterleaverSpec spec;
        spec.z = 1u << (rng() % 6);          // 1..32
        spec.p = spec.z * (1u + rng() % 8);  // any multiple of z
        spec.fo = 1u + rng() % 6;
        std::vector<uint32_t> divisors;  // n: any divisor of p * fo that is at least fo
        for (uint32_t n = spec.fo; n <= spec.p * spec.fo; ++n)
            if ((spec.p * spec.fo) % n == 0) divisors.push_back(n);
        spec.n = divisors[rng() % divisors.size()];
        spec.type = 1 + static_cast<int>(rng() % 3);
        spec.dither = rng() % 2 == 1;
        spec.seed = rng();
        spec.junction = rng() % 3;
        const EdgePattern e = clash_free_pattern(spec);
        const PatternCheck c = check_pattern(e);
        INFO("p=" << spec.p << " n=" << spec.n << " fo=" << spec.fo << " z=" << spec.z << " type "
                  << spec.type << (spec.dither ? " dither" : ""));
        REQUIRE(c.degrees_ok);
        REQUIRE(c.clash_free());
        REQUIRE(bank_conflicts(e).stall_clocks == 0);
        // A right neuron's edges lie in one clock (z % fi == 0) or one sweep (p % fi == 0), so it never sees
        // a left neuron twice.
        if (spec.z % e.fi == 0 || spec.p % e.fi == 0) REQUIRE(c.no_repeats);
        REQUIRE(clash_free_pattern(spec).left == e.left);  // deterministic
        ++checked;
    }
    CHECK(checked == 400);
}

TEST_CASE("the seed and the junction choose the pattern", "[sparse][interleaver]") {
    InterleaverSpec spec{1024, 64, 4, 128, 2, false, false, 7, 0};
    const EdgePattern a = clash_free_pattern(spec);
    spec.seed = 8;
    const EdgePattern b = clash_free_pattern(spec);
    spec.seed = 7;
    spec.junction = 1;
    const EdgePattern c = clash_free_pattern(spec);
    CHECK(a.left != b.left);
    CHECK(a.left != c.left);
    spec.type = 1;
    CHECK(clash_free_pattern(spec).left != c.left);
}

TEST_CASE("type 2 is the RTL's interleaver_array.sv formula", "[sparse][interleaver]") {
    // memory_index(lane, clock) = ((sweepstart[lane, sweep] + clock mod p/z) mod p/z) * z + lane.
    InterleaverSpec spec{64, 16, 2, 8, 2, false, false, 3, 0};
    const std::vector<SweepChoice> sweeps = choose_sweeps(spec);
    const EdgePattern e = interleave(spec.p, spec.n, spec.fo, spec.z, sweeps);
    const uint32_t rows = spec.p / spec.z;
    for (uint64_t k = 0; k < e.edges(); ++k) {
        const uint32_t clock = static_cast<uint32_t>(k / spec.z), lane = static_cast<uint32_t>(k % spec.z);
        const uint32_t sweep = clock / rows;
        const uint32_t start = sweeps[sweep].rows[lane];  // the row at the sweep's first clock
        REQUIRE(e.left[k] == ((start + clock % rows) % rows) * spec.z + lane);
    }
    // With every start 0 (the synthesised RTL, sweepstart = '0) edge k connects left neuron k mod p.
    spec.zero_starts = true;
    const EdgePattern zero = clash_free_pattern(spec);
    for (uint64_t k = 0; k < zero.edges(); ++k) REQUIRE(zero.left[k] == k % spec.p);
    // Fully connected is that pattern with fo = n.
    InterleaverSpec fc{16, 4, 4, 8, 2, false, true, 1, 0};
    CHECK(clash_free_pattern(fc).left == fully_connected_pattern(16, 4, 8).left);
    const PatternCheck full = check_pattern(fully_connected_pattern(16, 4, 8));
    CHECK((full.degrees_ok && full.no_repeats && full.clash_free()));
}

TEST_CASE("type 3 repeats its sweep, type 1 and dither permute", "[sparse][interleaver]") {
    InterleaverSpec spec{32, 8, 4, 4, 3, true, false, 5, 0};
    const EdgePattern e = clash_free_pattern(spec);
    for (uint64_t k = spec.p; k < e.edges(); ++k) REQUIRE(e.left[k] == e.left[k % spec.p]);
    spec.type = 1;
    const std::vector<SweepChoice> sweeps = choose_sweeps(spec);
    bool banks_permuted = false;
    for (const SweepChoice& s : sweeps) {
        std::vector<uint32_t> sorted = s.banks;
        std::sort(sorted.begin(), sorted.end());
        REQUIRE(sorted == std::vector<uint32_t>{0, 1, 2, 3});
        banks_permuted |= s.banks != std::vector<uint32_t>{0, 1, 2, 3};
    }
    CHECK(banks_permuted);
}

TEST_CASE("malformed sweep choices and sizes are refused", "[sparse][interleaver]") {
    SweepChoice ok;
    ok.rows = {0, 0, 1, 1};
    ok.banks = {0, 1};
    CHECK_NOTHROW(interleave(4, 2, 1, 2, {ok}));
    SweepChoice twice = ok;
    twice.rows = {0, 0, 0, 1};  // bank 0 sees row 0 twice
    CHECK_THROWS_WITH(interleave(4, 2, 1, 2, {twice}), Catch::Contains("twice"));
    SweepChoice banks = ok;
    banks.banks = {1, 1};
    CHECK_THROWS_WITH(interleave(4, 2, 1, 2, {banks}), Catch::Contains("permutation"));
    CHECK_THROWS_WITH(interleave(4, 2, 2, 2, {ok}), Catch::Contains("sweeps given"));
    CHECK_THROWS_WITH(interleave(6, 2, 1, 4, {ok}), Catch::Contains("multiple of z"));
    CHECK_THROWS_WITH(interleave(4, 3, 1, 2, {ok}), Catch::Contains("multiple of n"));
    InterleaverSpec spec{8, 4, 2, 4, 4, false, false, 1, 0};
    CHECK_THROWS_WITH(clash_free_pattern(spec), Catch::Contains("type 4"));
}

TEST_CASE("random patterns keep the degrees but clash", "[sparse][interleaver]") {
    // The FPGA network's junctions.
    for (const InterleaverSpec spec : {InterleaverSpec{1024, 64, 4, 128, 2, false, false, 9, 0},
                                       InterleaverSpec{64, 32, 16, 32, 2, false, false, 9, 1}}) {
        const EdgePattern e = random_pattern(spec);
        const PatternCheck c = check_pattern(e);
        CHECK(c.degrees_ok);
        CHECK(c.no_repeats);
        CHECK(c.clash_clocks > 0);
        const ConflictStats s = bank_conflicts(e);
        CHECK(s.stall_clocks > 0);
        CHECK(s.conflicted_clocks == c.clash_clocks);
        CHECK(s.clocks == e.edges() / spec.z);
        CHECK(random_pattern(spec).left == e.left);  // deterministic
        // The clash-free pattern of the same junction has none.
        CHECK(bank_conflicts(clash_free_pattern(spec)).stall_clocks == 0);
    }
    // Fully connected: every right neuron sees every left neuron once, in a random order.
    const EdgePattern fc = random_pattern(InterleaverSpec{16, 4, 4, 8, 2, false, false, 2, 0});
    const PatternCheck c = check_pattern(fc);
    CHECK((c.degrees_ok && c.no_repeats));
}

TEST_CASE("bank conflicts and issue clocks, by hand", "[sparse][interleaver]") {
    EdgePattern e;
    e.p = 4;
    e.n = 2;
    e.fo = 2;
    e.fi = 4;
    e.z = 2;
    e.left = {0, 2, 1, 3, 0, 1, 2, 3};  // banks: {0,0} {1,1} {0,1} {0,1}
    const ConflictStats s = bank_conflicts(e);
    CHECK(s.clocks == 4);
    CHECK(s.stall_clocks == 2);
    CHECK(s.conflicted_clocks == 2);
    CHECK(s.worst == 2);
    uint32_t total = 0;
    CHECK(issue_clocks(e, &total) == std::vector<uint32_t>{0, 1, 2, 3, 4, 4, 5, 5});
    CHECK(total == 6);
    const PatternCheck c = check_pattern(e);
    CHECK(c.clash_clocks == 2);
    CHECK(c.problem.find("clock 0") != std::string::npos);
    CHECK(adjacency(e) == std::vector<uint8_t>{1, 1, 1, 1, 1, 1, 1, 1});
}
