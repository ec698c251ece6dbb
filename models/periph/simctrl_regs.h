/* Simulation-control device layout, shared by the model and the firmware. Offsets from its base. */
#ifndef TRAINVP_PERIPH_SIMCTRL_REGS_H
#define TRAINVP_PERIPH_SIMCTRL_REGS_H

#define SIMCTRL_REG_EXIT 0x00 /* write: end the simulation; trainvp exits with (value & 0xff) */
#define SIMCTRL_REG_ID 0x04   /* read-only: SIMCTRL_ID_VALUE */
#define SIMCTRL_ID_VALUE 0x54565043 /* "TVPC" */

#endif
