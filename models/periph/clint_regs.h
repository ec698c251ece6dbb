/* CLINT register layout (SiFive layout, one hart), shared by the model and the firmware. */
#ifndef TRAINVP_PERIPH_CLINT_REGS_H
#define TRAINVP_PERIPH_CLINT_REGS_H

#define CLINT_REG_MSIP 0x0000        /* bit 0: machine software interrupt pending */
#define CLINT_REG_MTIMECMP_LO 0x4000 /* machine timer compare, low word */
#define CLINT_REG_MTIMECMP_HI 0x4004
#define CLINT_REG_MTIME_LO 0xBFF8 /* machine time, low word */
#define CLINT_REG_MTIME_HI 0xBFFC

#endif
