/*
 * Trap entry for machine mode (privileged spec section 3.1.7): saves the 31 general registers and
 * the trap CSRs into a struct trap_frame (trainvp/trap.h) on the current stack, calls
 * trap_dispatch(frame), restores the registers and mepc from the frame and returns with mret.
 *
 * trap_entry serves direct mode; trap_vector_table serves vectored mode, one 4-byte jump per cause,
 * each recording its slot number in frame->vector before the common path.
 */
#include "trainvp/csr.h"
#include "trainvp/trap.h"

#define REG(n) ((n) * 4)

    .section .text.trap_entry, "ax", @progbits
    .globl trap_entry
    .type trap_entry, @function
    /* mtvec.BASE ignores the low two bits: the entry must be 4-byte aligned. */
    .balign 64
trap_entry:
    addi sp, sp, -TRAP_FRAME_SIZE
    sw t0, REG(5)(sp)
    li t0, -1
    j trap_common
    .size trap_entry, . - trap_entry

    /* Slot n of the vector table lands here with t0 not yet saved. */
    .macro trap_vector_stub n
trap_vector_slot_\n:
    addi sp, sp, -TRAP_FRAME_SIZE
    sw t0, REG(5)(sp)
    li t0, \n
    j trap_common
    .endm

    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    trap_vector_stub \n
    .endr

trap_common:
    sw t0, TRAP_FRAME_VECTOR(sp)
    sw x1, REG(1)(sp)
    /* x2 slot: the stack pointer before the frame was pushed. */
    addi t0, sp, TRAP_FRAME_SIZE
    sw t0, REG(2)(sp)
    sw x3, REG(3)(sp)
    sw x4, REG(4)(sp)
    sw x6, REG(6)(sp)
    sw x7, REG(7)(sp)
    sw x8, REG(8)(sp)
    sw x9, REG(9)(sp)
    sw x10, REG(10)(sp)
    sw x11, REG(11)(sp)
    sw x12, REG(12)(sp)
    sw x13, REG(13)(sp)
    sw x14, REG(14)(sp)
    sw x15, REG(15)(sp)
    sw x16, REG(16)(sp)
    sw x17, REG(17)(sp)
    sw x18, REG(18)(sp)
    sw x19, REG(19)(sp)
    sw x20, REG(20)(sp)
    sw x21, REG(21)(sp)
    sw x22, REG(22)(sp)
    sw x23, REG(23)(sp)
    sw x24, REG(24)(sp)
    sw x25, REG(25)(sp)
    sw x26, REG(26)(sp)
    sw x27, REG(27)(sp)
    sw x28, REG(28)(sp)
    sw x29, REG(29)(sp)
    sw x30, REG(30)(sp)
    sw x31, REG(31)(sp)
    sw zero, REG(0)(sp)
    csrr t0, CSR_MEPC
    sw t0, TRAP_FRAME_MEPC(sp)
    csrr t0, CSR_MCAUSE
    sw t0, TRAP_FRAME_MCAUSE(sp)
    csrr t0, CSR_MTVAL
    sw t0, TRAP_FRAME_MTVAL(sp)
    csrr t0, CSR_MSTATUS
    sw t0, TRAP_FRAME_MSTATUS(sp)

    mv a0, sp
    call trap_dispatch

    lw t0, TRAP_FRAME_MEPC(sp)
    csrw CSR_MEPC, t0
    lw x1, REG(1)(sp)
    lw x3, REG(3)(sp)
    lw x4, REG(4)(sp)
    lw x5, REG(5)(sp)
    lw x6, REG(6)(sp)
    lw x7, REG(7)(sp)
    lw x8, REG(8)(sp)
    lw x9, REG(9)(sp)
    lw x10, REG(10)(sp)
    lw x11, REG(11)(sp)
    lw x12, REG(12)(sp)
    lw x13, REG(13)(sp)
    lw x14, REG(14)(sp)
    lw x15, REG(15)(sp)
    lw x16, REG(16)(sp)
    lw x17, REG(17)(sp)
    lw x18, REG(18)(sp)
    lw x19, REG(19)(sp)
    lw x20, REG(20)(sp)
    lw x21, REG(21)(sp)
    lw x22, REG(22)(sp)
    lw x23, REG(23)(sp)
    lw x24, REG(24)(sp)
    lw x25, REG(25)(sp)
    lw x26, REG(26)(sp)
    lw x27, REG(27)(sp)
    lw x28, REG(28)(sp)
    lw x29, REG(29)(sp)
    lw x30, REG(30)(sp)
    lw x31, REG(31)(sp)
    addi sp, sp, TRAP_FRAME_SIZE
    mret

    /*
     * Vectored mode: exceptions and interrupt 0 enter at slot 0, interrupt n at BASE + 4 * n. Every
     * slot must be exactly one 4-byte jump, so compression is off here.
     */
    .section .text.trap_vector_table, "ax", @progbits
    .globl trap_vector_table
    .type trap_vector_table, @object
    .balign TRAP_VECTOR_ALIGN
trap_vector_table:
    .option push
    .option norvc
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    j trap_vector_slot_\n
    .endr
    .option pop
    .size trap_vector_table, . - trap_vector_table
