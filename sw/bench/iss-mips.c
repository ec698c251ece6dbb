/*
 * iss-mips: the compute-bound firmware behind bench/iss-mips. Runs the integer workload a fixed number
 * of rounds, checks its checksum against the value a host build of workload.c gives, and prints the
 * retired instructions and cycles (minstret/mcycle since reset) for the script to turn into MIPS.
 */
#include <inttypes.h>
#include <stdio.h>

#include "trainvp/csr.h"
#include "workload.h"

/* About 420 thousand instructions per round: ~295 million in all, 3 s at 100 MIPS. The checksum is
 * what workload_run(700) returns on a host build of workload.c (and on QEMU). */
#define ISS_MIPS_ROUNDS 700u
#define ISS_MIPS_EXPECTED_CHECKSUM 0x4b74f871u

int main(void) {
    uint32_t checksum = workload_run(ISS_MIPS_ROUNDS);
    uint64_t instret = csr_read_minstret64();
    uint64_t cycles = csr_read_mcycle64();
    int ok = checksum == ISS_MIPS_EXPECTED_CHECKSUM;
    printf("iss-mips: rounds %u checksum 0x%08" PRIx32 " %s (expected 0x%08" PRIx32 ")\n", ISS_MIPS_ROUNDS,
           checksum, ok ? "OK" : "MISMATCH", (uint32_t)ISS_MIPS_EXPECTED_CHECKSUM);
    printf("iss-mips: instret %" PRIu64 " cycles %" PRIu64 "\n", instret, cycles);
    return ok ? 0 : 1;
}
