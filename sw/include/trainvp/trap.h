/*
 * Trap handling for TrainVP firmware. trap_entry (trap_entry.S) saves every register into a
 * struct trap_frame on the stack, calls trap_dispatch(), restores the registers (with any changes a
 * handler made, including mepc) and returns with mret.
 *
 * The runtime installs trap_entry before main() runs, so a stray fault always reports itself: an
 * unhandled exception prints its cause, mepc and mtval on the console and exits with 128 + cause; an
 * unhandled interrupt prints its cause and exits with TRAP_EXIT_UNHANDLED_IRQ + code.
 */
#ifndef TRAINVP_TRAP_H
#define TRAINVP_TRAP_H

/* Frame layout, shared with trap_entry.S. */
#define TRAP_FRAME_MEPC 128
#define TRAP_FRAME_MCAUSE 132
#define TRAP_FRAME_MTVAL 136
#define TRAP_FRAME_MSTATUS 140
#define TRAP_FRAME_VECTOR 144
#define TRAP_FRAME_SIZE 160 /* a multiple of 16: the psABI stack alignment */

/* Handlers are indexed by mcause code below this bound. */
#define TRAP_MAX_CAUSE 32
#define TRAP_EXIT_UNHANDLED_EXCEPTION 128
#define TRAP_EXIT_UNHANDLED_IRQ 192
/* Vectored mode (mtvec.MODE = 1) needs a table aligned beyond 4 bytes; 256 covers 32 causes + slack. */
#define TRAP_VECTOR_ALIGN 256

#ifndef __ASSEMBLER__
#include <stdint.h>

struct trap_frame {
    uint32_t x[32];   /* x[0] reads as 0; x[2] is sp at the time of the trap; restored on return */
    uint32_t mepc;    /* restored on return: a handler may move it to skip or redirect */
    uint32_t mcause;  /* as read at entry */
    uint32_t mtval;   /* as read at entry */
    uint32_t mstatus; /* as read at entry (MIE already cleared, MPIE holding the previous MIE) */
    int32_t vector;   /* vectored mode: the table slot the trap came through; direct mode: -1 */
    uint32_t reserved[3];
};

typedef void (*trap_handler_t)(struct trap_frame* frame);

/* The entry point for mtvec (direct mode) and the vector table (vectored mode), from trap_entry.S. */
void trap_entry(void);
extern const uint32_t trap_vector_table[];

/* mtvec = trap_entry, direct mode. */
void trap_install(void);
/* mtvec = trap_vector_table | 1: interrupts enter at base + 4 * code, exceptions at base. */
void trap_install_vectored(void);

/* Register a handler for an exception code (mcause bit 31 clear) or an interrupt code; NULL restores
 * the default. Returns the previous handler (NULL for the default). */
trap_handler_t trap_set_exception_handler(uint32_t cause, trap_handler_t handler);
trap_handler_t trap_set_interrupt_handler(uint32_t cause, trap_handler_t handler);

/* Called by trap_entry; public so tests can see the dispatch order in a debugger. */
void trap_dispatch(struct trap_frame* frame);

/* The instruction at addr (16 or 32 bits, read as halfwords since it may be only 2-byte aligned), and
 * its length in bytes from the low two bits (unprivileged spec section 1.5). Must not be used for a
 * fetch fault, whose mepc cannot be read. */
uint32_t trap_instruction_at(uint32_t addr);
uint32_t trap_instruction_length(uint32_t insn);
/* frame->mepc += length of the instruction at frame->mepc: resume after the trapping instruction. */
void trap_skip_instruction(struct trap_frame* frame);

/* "illegal instruction", "store access fault", "machine timer interrupt", ... */
const char* trap_cause_name(uint32_t mcause);

#endif /* __ASSEMBLER__ */

#endif /* TRAINVP_TRAP_H */
