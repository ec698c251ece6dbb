/*
 * Machine-mode CSR access for TrainVP firmware (RISC-V privileged specification v1.12, chapter 3).
 * csr_read(CSR_MSTATUS), csr_write(CSR_MTVEC, x), csr_set(CSR_MIE, MIE_MTIE), csr_clear(...); the CSR is
 * given by number, so any constant expression works. Usable from C and from assembly (.S) files.
 */
#ifndef TRAINVP_CSR_H
#define TRAINVP_CSR_H

/* CSR numbers (privileged spec table 2.5). */
#define CSR_MSTATUS 0x300
#define CSR_MISA 0x301
#define CSR_MIE 0x304
#define CSR_MTVEC 0x305
#define CSR_MSCRATCH 0x340
#define CSR_MEPC 0x341
#define CSR_MCAUSE 0x342
#define CSR_MTVAL 0x343
#define CSR_MIP 0x344
#define CSR_MCYCLE 0xB00
#define CSR_MINSTRET 0xB02
#define CSR_MCYCLEH 0xB80
#define CSR_MINSTRETH 0xB82
#define CSR_MVENDORID 0xF11
#define CSR_MARCHID 0xF12
#define CSR_MIMPID 0xF13
#define CSR_MHARTID 0xF14

/* mstatus fields (section 3.1.6). */
#define MSTATUS_MIE (1u << 3)
#define MSTATUS_MPIE (1u << 7)
#define MSTATUS_MPP_SHIFT 11
#define MSTATUS_MPP (3u << MSTATUS_MPP_SHIFT)
#define MSTATUS_MPP_M (3u << MSTATUS_MPP_SHIFT)

/* mie / mip bits (section 3.1.9): machine software, timer and external interrupts. */
#define MIE_MSIE (1u << 3)
#define MIE_MTIE (1u << 7)
#define MIE_MEIE (1u << 11)
#define MIP_MSIP (1u << 3)
#define MIP_MTIP (1u << 7)
#define MIP_MEIP (1u << 11)

/* mtvec modes (section 3.1.7). */
#define MTVEC_MODE_DIRECT 0u
#define MTVEC_MODE_VECTORED 1u
#define MTVEC_MODE_MASK 3u

/* misa (section 3.1.1): MXL in the top two bits, one bit per extension letter. */
#define MISA_MXL_SHIFT 30
#define MISA_MXL_32 1u
#define MISA_EXT(letter) (1u << ((letter) - 'A'))

/* mcause (table 3.6): bit 31 tells interrupts from exceptions. */
#define MCAUSE_INTERRUPT 0x80000000u
#define MCAUSE_CODE_MASK 0x7fffffffu

#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_FETCH_ACCESS 1
#define CAUSE_ILLEGAL_INSTRUCTION 2
#define CAUSE_BREAKPOINT 3
#define CAUSE_MISALIGNED_LOAD 4
#define CAUSE_LOAD_ACCESS 5
#define CAUSE_MISALIGNED_STORE 6 /* store or AMO */
#define CAUSE_STORE_ACCESS 7     /* store or AMO */
#define CAUSE_USER_ECALL 8
#define CAUSE_SUPERVISOR_ECALL 9
#define CAUSE_MACHINE_ECALL 11

#define IRQ_M_SOFT 3
#define IRQ_M_TIMER 7
#define IRQ_M_EXT 11

#ifndef __ASSEMBLER__
#include <stdint.h>

#define csr_read(csr)                                                             \
    ({                                                                            \
        uint32_t csr_value_;                                                      \
        __asm__ volatile("csrr %0, %1" : "=r"(csr_value_) : "i"(csr) : "memory"); \
        csr_value_;                                                               \
    })
#define csr_write(csr, value) __asm__ volatile("csrw %0, %1" : : "i"(csr), "r"((uint32_t)(value)) : "memory")
#define csr_set(csr, bits) __asm__ volatile("csrs %0, %1" : : "i"(csr), "r"((uint32_t)(bits)) : "memory")
#define csr_clear(csr, bits) __asm__ volatile("csrc %0, %1" : : "i"(csr), "r"((uint32_t)(bits)) : "memory")
/* Atomic swap: writes value and returns the old contents. */
#define csr_swap(csr, value)                                                                                 \
    ({                                                                                                       \
        uint32_t csr_old_;                                                                                   \
        __asm__ volatile("csrrw %0, %1, %2" : "=r"(csr_old_) : "i"(csr), "r"((uint32_t)(value)) : "memory"); \
        csr_old_;                                                                                            \
    })

/* 64-bit counters read as high/low/high so a carry between the halves is never seen torn. */
static inline uint64_t csr_read_mcycle64(void) {
    uint32_t hi, lo, hi2;
    do {
        hi = csr_read(CSR_MCYCLEH);
        lo = csr_read(CSR_MCYCLE);
        hi2 = csr_read(CSR_MCYCLEH);
    } while (hi != hi2);
    return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t csr_read_minstret64(void) {
    uint32_t hi, lo, hi2;
    do {
        hi = csr_read(CSR_MINSTRETH);
        lo = csr_read(CSR_MINSTRET);
        hi2 = csr_read(CSR_MINSTRETH);
    } while (hi != hi2);
    return ((uint64_t)hi << 32) | lo;
}

static inline void wfi(void) {
    __asm__ volatile("wfi" ::: "memory");
}
static inline void irq_global_enable(void) {
    csr_set(CSR_MSTATUS, MSTATUS_MIE);
}
static inline void irq_global_disable(void) {
    csr_clear(CSR_MSTATUS, MSTATUS_MIE);
}

#endif /* __ASSEMBLER__ */

#endif /* TRAINVP_CSR_H */
