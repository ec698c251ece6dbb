/*
 * Inline-assembly helpers for the instruction tests: each executes exactly the named 32-bit instruction
 * on register operands, so the compiler can neither fold the operation nor choose a compressed form.
 */
#ifndef TRAINVP_TESTS_ISA_H
#define TRAINVP_TESTS_ISA_H

#include <stdint.h>

#define ASM_NORVC(body) ".option push\n.option norvc\n" body "\n.option pop\n"

/* rd = op rs1, rs2 */
#define OP_RR(op, a, b)                                             \
    ({                                                              \
        uint32_t op_rd_;                                            \
        __asm__ volatile(ASM_NORVC(op " %0, %1, %2")                \
                         : "=r"(op_rd_)                             \
                         : "r"((uint32_t)(a)), "r"((uint32_t)(b))); \
        op_rd_;                                                     \
    })

/* rd = op rs1, imm */
#define OP_RI(op, a, imm)                                                                            \
    ({                                                                                               \
        uint32_t op_rd_;                                                                             \
        __asm__ volatile(ASM_NORVC(op " %0, %1, %2") : "=r"(op_rd_) : "r"((uint32_t)(a)), "i"(imm)); \
        op_rd_;                                                                                      \
    })

/* rd = op imm (lui, auipc) */
#define OP_I(op, imm)                                                        \
    ({                                                                       \
        uint32_t op_rd_;                                                     \
        __asm__ volatile(ASM_NORVC(op " %0, %1") : "=r"(op_rd_) : "i"(imm)); \
        op_rd_;                                                              \
    })

/* 1 if "op rs1, rs2, target" branches, else 0 */
#define BRANCH_TAKEN(op, a, b)                                                  \
    ({                                                                          \
        uint32_t op_taken_;                                                     \
        __asm__ volatile(ASM_NORVC("li %0, 1\n" op " %1, %2, 1f\nli %0, 0\n1:") \
                         : "=&r"(op_taken_)                                     \
                         : "r"((uint32_t)(a)), "r"((uint32_t)(b)));             \
        op_taken_;                                                              \
    })

/* rd = load imm(base) */
#define LOAD(op, base, imm)                                                                            \
    ({                                                                                                 \
        uint32_t op_rd_;                                                                               \
        __asm__ volatile(ASM_NORVC(op " %0, %2(%1)") : "=r"(op_rd_) : "r"(base), "i"(imm) : "memory"); \
        op_rd_;                                                                                        \
    })

/* store value, imm(base) */
#define STORE(op, value, base, imm) \
    __asm__ volatile(ASM_NORVC(op " %0, %2(%1)") : : "r"((uint32_t)(value)), "r"(base), "i"(imm) : "memory")

#endif /* TRAINVP_TESTS_ISA_H */
