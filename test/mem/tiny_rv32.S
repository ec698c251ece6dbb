/* A minimal RV32 program assembled by the real toolchain: an independent reference for the ELF loader test. */
    .section .text
    .globl _start
_start:
    li a0, 42          /* addi a0, zero, 42 = 0x02a00513 */
    j _start           /* jal zero, -4     = 0xffdff06f */

    .section .data
    .globl answer
    .p2align 2
answer:
    .word 0x12345678

    .section .bss
    .globl scratch
    .p2align 2
scratch:
    .space 64
