/* Program exit: picolibc's exit() ends in _exit(), which hands the status to the simulation-control
 * device; the simulation stops and trainvp exits with that status. */
#include <stdlib.h>

#include "trainvp/hal.h"

void _exit(int status) {
    simctrl_exit((uint32_t)status);
    for (;;) {
        /* The simulation ends at the write above; never return to the caller. */
    }
}
