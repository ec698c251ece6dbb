/* Simulation-control device layout, shared by the model and the firmware. Offsets from its base. */
#ifndef TRAINVP_PERIPH_SIMCTRL_REGS_H
#define TRAINVP_PERIPH_SIMCTRL_REGS_H

#define SIMCTRL_REG_EXIT 0x00 /* write: end the simulation; trainvp exits with (value & 0xff) */
#define SIMCTRL_REG_ID 0x04   /* read-only: SIMCTRL_ID_VALUE */
#define SIMCTRL_ID_VALUE 0x54565043 /* "TVPC" */
/* write: progress report for the host's display, no effect on the simulation; the training firmware writes
 * the number of SGD steps completed. Reads as 0. */
#define SIMCTRL_REG_PROGRESS 0x08

#endif
