#include "sparse/interleaver.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "kernels/prng.h"

namespace trainvp::sparse {

namespace {

// "SPRS" << 24 plus the junction: the interleaver's random stream (kernels/prng.h).
constexpr uint64_t kInterleaverStream = uint64_t{0x53505253} << 24;
// "SPRR" << 24 plus the junction: the random (not clash-free) pattern's stream.
constexpr uint64_t kRandomPatternStream = uint64_t{0x53505252} << 24;

class Draw {
  public:
    Draw(uint64_t seed, uint64_t stream) : key_(tvp_random_key(seed, stream)) {}
    uint32_t below(uint32_t bound) {
        return bound <= 1 ? 0 : tvp_random_below_keyed(key_, counter_++, bound);
    }
    template <typename T>
    void shuffle(std::vector<T>& v) {
        for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(static_cast<uint32_t>(i))]);
    }

  private:
    uint64_t key_;
    uint64_t counter_ = 0;
};

std::string dims(uint32_t p, uint32_t n, uint32_t fo, uint32_t z) {
    return "p=" + std::to_string(p) + " n=" + std::to_string(n) + " fo=" + std::to_string(fo) +
           " z=" + std::to_string(z);
}

void check_dims(uint32_t p, uint32_t n, uint32_t fo, uint32_t z) {
    if (p == 0 || n == 0 || fo == 0 || z == 0)
        throw std::invalid_argument("interleaver " + dims(p, n, fo, z) + ": every size must be at least 1");
    if (p % z != 0)
        throw std::invalid_argument("interleaver " + dims(p, n, fo, z) + ": p must be a multiple of z");
    if ((uint64_t{p} * fo) % n != 0)
        throw std::invalid_argument("interleaver " + dims(p, n, fo, z) + ": p*fo must be a multiple of n");
    if (fo > n) throw std::invalid_argument("interleaver " + dims(p, n, fo, z) + ": fo must not exceed n");
}

EdgePattern empty_pattern(uint32_t p, uint32_t n, uint32_t fo, uint32_t z) {
    EdgePattern e;
    e.p = p;
    e.n = n;
    e.fo = fo;
    e.fi = static_cast<uint32_t>(uint64_t{p} * fo / n);
    e.z = z;
    e.left.assign(uint64_t{p} * fo, 0);
    return e;
}

}  // namespace

void InterleaverSpec::validate() const {
    check_dims(p, n, fo, z);
    if (type < 1 || type > 3)
        throw std::invalid_argument("interleaver type " + std::to_string(type) + " is not 1, 2 or 3");
}

std::vector<SweepChoice> choose_sweeps(const InterleaverSpec& spec) {
    spec.validate();
    const uint32_t rows_per_bank = spec.p / spec.z;
    Draw draw(spec.seed, kInterleaverStream + spec.junction);
    std::vector<SweepChoice> sweeps(spec.fo);
    for (uint32_t s = 0; s < spec.fo; ++s) {
        SweepChoice& c = sweeps[s];
        if (spec.type == 3 && s > 0) {  // adjmatint.py: type 3 draws neither rows nor dither again
            c = sweeps[0];
            continue;
        }
        c.rows.assign(spec.p, 0);
        if (spec.type == 1) {
            std::vector<uint32_t> order(rows_per_bank);
            for (uint32_t lane = 0; lane < spec.z; ++lane) {
                std::iota(order.begin(), order.end(), 0u);
                draw.shuffle(order);
                for (uint32_t i = 0; i < rows_per_bank; ++i) c.rows[i * spec.z + lane] = order[i];
            }
        } else {
            for (uint32_t lane = 0; lane < spec.z; ++lane) {
                const uint32_t start = spec.zero_starts ? 0 : draw.below(rows_per_bank);
                for (uint32_t i = 0; i < rows_per_bank; ++i)
                    c.rows[i * spec.z + lane] = (start + i) % rows_per_bank;
            }
        }
        c.banks.resize(spec.z);
        std::iota(c.banks.begin(), c.banks.end(), 0u);
        if (spec.dither) draw.shuffle(c.banks);
    }
    return sweeps;
}

EdgePattern interleave(uint32_t p, uint32_t n, uint32_t fo, uint32_t z,
                       const std::vector<SweepChoice>& sweeps) {
    check_dims(p, n, fo, z);
    if (sweeps.size() != fo)
        throw std::invalid_argument("interleaver " + dims(p, n, fo, z) + ": " +
                                    std::to_string(sweeps.size()) + " sweeps given, fo needed");
    const uint32_t rows_per_bank = p / z;
    EdgePattern e = empty_pattern(p, n, fo, z);
    std::vector<uint8_t> seen;
    for (uint32_t s = 0; s < fo; ++s) {
        const SweepChoice& c = sweeps[s];
        const std::string where = "interleaver sweep " + std::to_string(s) + ": ";
        if (c.rows.size() != p || c.banks.size() != z)
            throw std::invalid_argument(where + "needs p rows and z banks");
        seen.assign(z, 0);
        for (uint32_t b : c.banks) {
            if (b >= z || seen[b])
                throw std::invalid_argument(where + "banks are not a permutation of 0..z-1");
            seen[b] = 1;
        }
        seen.assign(p, 0);
        for (uint32_t j = 0; j < p; ++j) {
            if (c.rows[j] >= rows_per_bank) throw std::invalid_argument(where + "row out of range");
            const uint32_t neuron = c.rows[j] * z + c.banks[j % z];
            if (seen[neuron]) throw std::invalid_argument(where + "a bank sees a row twice");
            seen[neuron] = 1;
            e.left[uint64_t{s} * p + j] = neuron;
        }
    }
    return e;
}

EdgePattern clash_free_pattern(const InterleaverSpec& spec) {
    return interleave(spec.p, spec.n, spec.fo, spec.z, choose_sweeps(spec));
}

EdgePattern random_pattern(const InterleaverSpec& spec) {
    check_dims(spec.p, spec.n, spec.fo, spec.z);
    EdgePattern e = empty_pattern(spec.p, spec.n, spec.fo, spec.z);
    Draw draw(spec.seed, kRandomPatternStream + spec.junction);
    const uint32_t fi = e.fi;
    if (spec.fo == spec.n) {  // fully connected: only the order within each right neuron is free
        std::vector<uint32_t> order(spec.p);
        for (uint32_t r = 0; r < spec.n; ++r) {
            std::iota(order.begin(), order.end(), 0u);
            draw.shuffle(order);
            std::copy(order.begin(), order.end(), e.left.begin() + uint64_t{r} * fi);
        }
        return e;
    }
    for (uint64_t k = 0; k < e.left.size(); ++k) e.left[k] = static_cast<uint32_t>(k / spec.fo);
    draw.shuffle(e.left);

    // Repair: a right neuron that sees a left neuron twice swaps one copy with an edge of another right
    // neuron, chosen so that neither side gets a repeat.
    const auto group_has = [&](uint32_t r, uint32_t neuron, uint64_t skip) {
        for (uint64_t k = uint64_t{r} * fi; k < uint64_t{r + 1} * fi; ++k)
            if (k != skip && e.left[k] == neuron) return true;
        return false;
    };
    const uint64_t edges = e.left.size();
    for (uint64_t k = 0; k < edges; ++k) {
        const uint32_t r = static_cast<uint32_t>(k / fi);
        // Only the later copy of a repeat moves, so the first copy in the group stays.
        bool earlier = false;
        for (uint64_t q = uint64_t{r} * fi; q < k; ++q) earlier |= e.left[q] == e.left[k];
        if (!earlier) continue;
        bool fixed = false;
        for (uint32_t attempt = 0; attempt < 64 && !fixed; ++attempt) {
            const uint64_t other = draw.below(static_cast<uint32_t>(edges));
            const uint32_t r2 = static_cast<uint32_t>(other / fi);
            if (r2 == r || group_has(r, e.left[other], k) || group_has(r2, e.left[k], other)) continue;
            std::swap(e.left[k], e.left[other]);
            fixed = true;
        }
        for (uint64_t other = 0; other < edges && !fixed; ++other) {
            const uint32_t r2 = static_cast<uint32_t>(other / fi);
            if (r2 == r || group_has(r, e.left[other], k) || group_has(r2, e.left[k], other)) continue;
            std::swap(e.left[k], e.left[other]);
            fixed = true;
        }
        if (!fixed)
            throw std::invalid_argument("random pattern " + dims(spec.p, spec.n, spec.fo, spec.z) +
                                        ": no repeat-free placement found");
    }
    return e;
}

EdgePattern fully_connected_pattern(uint32_t p, uint32_t n, uint32_t z) {
    check_dims(p, n, n, z);
    EdgePattern e = empty_pattern(p, n, n, z);
    for (uint64_t k = 0; k < e.left.size(); ++k) e.left[k] = static_cast<uint32_t>(k % p);
    return e;
}

PatternCheck check_pattern(const EdgePattern& e) {
    PatternCheck c;
    const auto note = [&c](const std::string& text) {
        if (c.problem.empty()) c.problem = text;
    };
    std::vector<uint32_t> left_degree(e.p, 0);
    bool in_range = e.edges() == uint64_t{e.p} * e.fo && e.fi != 0 && uint64_t{e.n} * e.fi == e.edges();
    if (!in_range) note("edge count is not p*fo = n*fi");
    for (uint64_t k = 0; k < e.edges() && in_range; ++k) {
        if (e.left[k] >= e.p) {
            note("edge " + std::to_string(k) + " names left neuron " + std::to_string(e.left[k]));
            in_range = false;
        } else {
            ++left_degree[e.left[k]];
        }
    }
    c.degrees_ok = in_range;
    for (uint32_t m = 0; m < e.p && c.degrees_ok; ++m) {
        if (left_degree[m] != e.fo) {
            note("left neuron " + std::to_string(m) + " has fan-out " + std::to_string(left_degree[m]));
            c.degrees_ok = false;
        }
    }
    c.no_repeats = in_range;
    std::vector<uint32_t> last_group(e.p, UINT32_MAX);
    for (uint64_t k = 0; k < e.edges() && in_range; ++k) {
        const uint32_t r = e.right(k);
        if (last_group[e.left[k]] == r) {
            if (c.no_repeats)
                note("right neuron " + std::to_string(r) + " sees left neuron " + std::to_string(e.left[k]) +
                     " twice");
            c.no_repeats = false;
        }
        last_group[e.left[k]] = r;
    }
    if (!in_range) return c;
    std::vector<uint32_t> used(e.z, UINT32_MAX);
    for (uint32_t clock = 0; clock < e.clocks(); ++clock) {
        for (uint64_t k = uint64_t{clock} * e.z; k < std::min<uint64_t>(e.edges(), uint64_t{clock + 1} * e.z);
             ++k) {
            const uint32_t b = e.bank(e.left[k]);
            if (used[b] == clock) {
                if (c.clash_clocks == 0)
                    note("clock " + std::to_string(clock) + " reads bank " + std::to_string(b) + " twice");
                ++c.clash_clocks;
                break;
            }
            used[b] = clock;
        }
    }
    return c;
}

ConflictStats bank_conflicts(const EdgePattern& e) {
    ConflictStats s;
    s.clocks = e.clocks();
    std::vector<uint32_t> count(e.z, 0);
    for (uint32_t clock = 0; clock < s.clocks; ++clock) {
        std::fill(count.begin(), count.end(), 0u);
        uint32_t worst = 0;
        for (uint64_t k = uint64_t{clock} * e.z; k < std::min<uint64_t>(e.edges(), uint64_t{clock + 1} * e.z);
             ++k)
            worst = std::max(worst, ++count[e.bank(e.left[k])]);
        s.worst = std::max(s.worst, worst);
        if (worst > 1) {
            s.stall_clocks += worst - 1;
            ++s.conflicted_clocks;
        }
    }
    return s;
}

std::vector<uint8_t> adjacency(const EdgePattern& e) {
    std::vector<uint8_t> a(uint64_t{e.n} * e.p, 0);
    for (uint64_t k = 0; k < e.edges(); ++k) ++a[uint64_t{e.right(k)} * e.p + e.left[k]];
    return a;
}

}  // namespace trainvp::sparse
