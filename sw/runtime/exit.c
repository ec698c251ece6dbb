/* Program exit: picolibc's exit() ends in _exit(), which hands the status to the simulation-control
 * device; the simulation stops and trainvp exits with that status. */
#include <stdlib.h>

#include "hw/memory_map.h"
#include "periph/simctrl_regs.h"
#include "trainvp/mmio.h"

void _exit(int status) {
    mmio_write32(TRAINVP_SIMCTRL_BASE + SIMCTRL_REG_EXIT, (unsigned)status);
    for (;;) {
        /* The simulation ends at the write above; never return to the caller. */
    }
}
