/* A store to an unmapped address with no handler registered: the runtime's default handler must
 * report "store access fault" with mtval = the address and exit with 128 + 7. */
#include <stdint.h>
#include <stdio.h>

#include "trainvp/mmio.h"

int main(void) {
    printf("unhandled_fault: storing to 0x40000000\n");
    mmio_write32(0x40000000u, 0x12345678u);
    printf("unhandled_fault: FAIL: the store did not trap\n");
    return 1;
}
