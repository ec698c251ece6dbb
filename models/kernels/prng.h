// Counter-based pseudo-random numbers for initialisation and shuffling. Every value is a pure function of
// (seed, stream, counter), so results never depend on the standard library or on evaluation order.
#pragma once

#include <cstdint>

namespace trainvp::kern {

// SplitMix64 finaliser (Steele, Lea, Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014).
inline uint64_t mix64(uint64_t z) {
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// Random 64-bit word number `counter` of stream `stream` under `seed`.
inline uint64_t random_u64(uint64_t seed, uint64_t stream, uint64_t counter) {
    return mix64(mix64(seed ^ mix64(stream)) + counter);
}

// Uniform double in [0, 1) with 53 random bits.
inline double random_unit(uint64_t seed, uint64_t stream, uint64_t counter) {
    return static_cast<double>(random_u64(seed, stream, counter) >> 11) * 0x1.0p-53;
}

// Uniform integer in [0, bound) by the multiply-high method (Lemire); bias below 2^-32 for bounds < 2^32.
inline uint32_t random_below(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t bound) {
    uint64_t r = random_u64(seed, stream, counter) >> 32;
    return static_cast<uint32_t>((r * bound) >> 32);
}

}  // namespace trainvp::kern
