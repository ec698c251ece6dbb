// Counter-based pseudo-random numbers for initialisation and shuffling. Every value is a pure function of
// (seed, stream, counter), so results never depend on the standard library or on evaluation order. The
// arithmetic lives in prng_core.h, which the training firmware (C) includes too.
#pragma once

#include <cstdint>

#include "kernels/prng_core.h"

namespace trainvp::kern {

// SplitMix64 finaliser.
inline uint64_t mix64(uint64_t z) {
    return tvp_mix64(z);
}

// Random 64-bit word number `counter` of stream `stream` under `seed`.
inline uint64_t random_u64(uint64_t seed, uint64_t stream, uint64_t counter) {
    return tvp_random_u64(seed, stream, counter);
}

// Uniform double in [0, 1) with 53 random bits.
inline double random_unit(uint64_t seed, uint64_t stream, uint64_t counter) {
    return tvp_random_unit(seed, stream, counter);
}

// Uniform integer in [0, bound) by the multiply-high method (Lemire); bias below 2^-32 for bounds < 2^32.
inline uint32_t random_below(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t bound) {
    return tvp_random_below(seed, stream, counter, bound);
}

}  // namespace trainvp::kern
