/* The tohost convention, riscv-tests style: failing test number 5 writes (5 << 1) | 1 to tohost. It prints
 * through the HTIF console device first (device 1, command 1: putchar), so the console path is covered too.
 * trainvp must print the message, report "tohost: test failed with code 5" and exit 5. */
    .section .text
    .globl main
main:
    la   s0, message
    la   s1, tohost
    li   s2, 0x01010000          /* upper word of a console putchar: device 1 << 24 | command 1 << 16 */
next_char:
    lbu  t0, 0(s0)
    beqz t0, fail
wait_idle:                       /* the host clears tohost when it has taken a command */
    lw   t1, 0(s1)
    lw   t2, 4(s1)
    or   t1, t1, t2
    bnez t1, wait_idle
    sw   t0, 0(s1)
    sw   s2, 4(s1)
    addi s0, s0, 1
    j    next_char
fail:
    li   t0, (5 << 1) | 1
1:  sw   t0, 0(s1)
    sw   zero, 4(s1)
    j    1b

    .section .rodata
message:
    .asciz "tohost_fail: failing test 5\n"

    .section .tohost, "aw", @progbits
    .align 6
    .globl tohost
tohost:
    .dword 0
    .align 6
    .globl fromhost
fromhost:
    .dword 0
