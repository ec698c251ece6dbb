/* The tohost convention, riscv-tests style (env/p/riscv_test.h), passing.
 * 1. An HTIF syscall through fesvr's magic memory: SYS_write(1, message, length). tohost gets the block's
 *    address (low word, then upper word); the host writes the result into the block and answers
 *    fromhost = 1, which the program waits for and clears.
 * 2. Pass: 1 to tohost the way older riscv-tests do it, a lone low-word store repeated until the host ends
 *    the run. trainvp must exit 0. */
    .section .text
    .globl main
main:
    la   s1, tohost
    la   s2, fromhost
    la   t0, magic
    sw   t0, 0(s1)
    sw   zero, 4(s1)
wait_answer:
    lw   t1, 0(s2)
    beqz t1, wait_answer
    sw   zero, 0(s2)
    sw   zero, 4(s2)
    la   t0, magic
    lw   t1, 0(t0)                  /* the syscall's result: bytes written */
    la   t2, message_length
    lw   t2, 0(t2)
    bne  t1, t2, fail
    li   t0, 1
pass:
    sw   t0, 0(s1)
    j    pass
fail:
    li   t0, (1 << 1) | 1
1:  sw   t0, 0(s1)
    sw   zero, 4(s1)
    j    1b

    .section .rodata
message:
    .ascii "tohost_pass: hello through the HTIF syscall proxy\n"
message_end:
    .align 2
message_length:
    .word message_end - message

    .section .data
    .align 3
magic:                              /* SYS_write = 64, fd 1, buffer, length; four more unused words */
    .dword 64, 1, message, message_end - message, 0, 0, 0, 0

    .section .tohost, "aw", @progbits
    .align 6
    .globl tohost
tohost:
    .dword 0
    .align 6
    .globl fromhost
fromhost:
    .dword 0
