/* The iss-mips integer workload: plain C with no platform dependency, so its checksum can be
 * reproduced by a host compiler. */
#ifndef TRAINVP_BENCH_WORKLOAD_H
#define TRAINVP_BENCH_WORKLOAD_H

#include <stdint.h>

/* Runs CRC-32, a sieve of Eratosthenes and an integer matrix multiply `iterations` times, each round
 * on inputs derived from the round number, and returns a checksum of all results. */
uint32_t workload_run(uint32_t iterations);

#endif
