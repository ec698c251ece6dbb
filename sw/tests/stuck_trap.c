/* A firmware that can make no progress: mtvec points at unmapped memory, then an illegal instruction traps.
 * The fetch at the trap vector faults, which traps to the same vector again, forever. trainvp must end the
 * run with "CPU stuck" and exit 123 after a bounded number of lines, not loop and flood the log. */
#include <stdint.h>
#include <stdio.h>

#include "trainvp/csr.h"

#define UNMAPPED_VECTOR 0x40000000u /* a hole in the memory map (docs/memory-map.md) */

int main(void) {
    printf("stuck_trap: mtvec = 0x%08x, then an illegal instruction\n", (unsigned)UNMAPPED_VECTOR);
    fflush(stdout);
    csr_write(CSR_MTVEC, UNMAPPED_VECTOR);
    __asm__ volatile(".word 0" ::: "memory"); /* the all-zero parcel is illegal (unprivileged spec 16.1) */
    printf("stuck_trap: FAIL: execution went on after the trap\n");
    return 1;
}
