/*
 * Counter-based pseudo-random numbers, the C99/C++ core shared by the golden trainer (kernels/prng.h wraps
 * these functions) and the training firmware (sw/apps/train: the epoch permutation). Every value is a pure
 * function of (seed, stream, counter), so both sides draw the same numbers on any host.
 */
#ifndef TRAINVP_KERNELS_PRNG_CORE_H
#define TRAINVP_KERNELS_PRNG_CORE_H

#include <stdint.h>

/* Stream of the per-epoch shuffle: "SHUFF" << 24, plus the 0-based epoch (kern::Trainer::epoch_order). */
#define TVP_SHUFFLE_STREAM (UINT64_C(0x5348554646) << 24)

/* SplitMix64 finaliser (Steele, Lea, Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014).
 */
static inline uint64_t tvp_mix64(uint64_t z) {
    z += UINT64_C(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* The part of random_u64 that depends on (seed, stream) only: hoisted out of loops over counters. */
static inline uint64_t tvp_random_key(uint64_t seed, uint64_t stream) {
    return tvp_mix64(seed ^ tvp_mix64(stream));
}
static inline uint64_t tvp_random_u64_keyed(uint64_t key, uint64_t counter) {
    return tvp_mix64(key + counter);
}

/* Random 64-bit word number `counter` of stream `stream` under `seed`. */
static inline uint64_t tvp_random_u64(uint64_t seed, uint64_t stream, uint64_t counter) {
    return tvp_random_u64_keyed(tvp_random_key(seed, stream), counter);
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double tvp_random_unit(uint64_t seed, uint64_t stream, uint64_t counter) {
    return (double)(tvp_random_u64(seed, stream, counter) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, bound) by the multiply-high method (Lemire); bias below 2^-32 for bounds < 2^32. */
static inline uint32_t tvp_random_below_keyed(uint64_t key, uint64_t counter, uint32_t bound) {
    const uint64_t r = tvp_random_u64_keyed(key, counter) >> 32;
    return (uint32_t)((r * bound) >> 32);
}
static inline uint32_t tvp_random_below(uint64_t seed, uint64_t stream, uint64_t counter, uint32_t bound) {
    return tvp_random_below_keyed(tvp_random_key(seed, stream), counter, bound);
}

#endif /* TRAINVP_KERNELS_PRNG_CORE_H */
