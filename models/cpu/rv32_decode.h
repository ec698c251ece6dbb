// RV32IMAC + Zicsr + Zifencei instruction decoding from one table (Spike style), and expansion of
// compressed (C) instructions into their 32-bit equivalents so no semantics are written twice.
// SystemC-free.
#pragma once

#include <cstddef>
#include <cstdint>

namespace trainvp::rv32 {

// Operand layout of a table entry; selects how immediates are extracted.
enum class Format : uint8_t { r, i, s, b, u, j, shift, csr, csri, amo, none };

// Timing class of an instruction (see CpuTiming).
enum class InsnClass : uint8_t { alu, mul, div, load, store, branch, jump, csr, system, atomic };

// The one instruction table: X(id, name, match, mask, format, class). An instruction word w is an
// instance of an entry iff (w & mask) == match. Encodings from the RISC-V unprivileged spec
// (20191213) chapter 24 opcode map and the privileged spec (20211203) section 3.3.
// clang-format off
#define TRAINVP_RV32_INSNS(X) \
    X(lui,       "lui",       0x00000037u, 0x0000007fu, u,     alu)    \
    X(auipc,     "auipc",     0x00000017u, 0x0000007fu, u,     alu)    \
    X(jal,       "jal",       0x0000006fu, 0x0000007fu, j,     jump)   \
    X(jalr,      "jalr",      0x00000067u, 0x0000707fu, i,     jump)   \
    X(beq,       "beq",       0x00000063u, 0x0000707fu, b,     branch) \
    X(bne,       "bne",       0x00001063u, 0x0000707fu, b,     branch) \
    X(blt,       "blt",       0x00004063u, 0x0000707fu, b,     branch) \
    X(bge,       "bge",       0x00005063u, 0x0000707fu, b,     branch) \
    X(bltu,      "bltu",      0x00006063u, 0x0000707fu, b,     branch) \
    X(bgeu,      "bgeu",      0x00007063u, 0x0000707fu, b,     branch) \
    X(lb,        "lb",        0x00000003u, 0x0000707fu, i,     load)   \
    X(lh,        "lh",        0x00001003u, 0x0000707fu, i,     load)   \
    X(lw,        "lw",        0x00002003u, 0x0000707fu, i,     load)   \
    X(lbu,       "lbu",       0x00004003u, 0x0000707fu, i,     load)   \
    X(lhu,       "lhu",       0x00005003u, 0x0000707fu, i,     load)   \
    X(sb,        "sb",        0x00000023u, 0x0000707fu, s,     store)  \
    X(sh,        "sh",        0x00001023u, 0x0000707fu, s,     store)  \
    X(sw,        "sw",        0x00002023u, 0x0000707fu, s,     store)  \
    X(addi,      "addi",      0x00000013u, 0x0000707fu, i,     alu)    \
    X(slti,      "slti",      0x00002013u, 0x0000707fu, i,     alu)    \
    X(sltiu,     "sltiu",     0x00003013u, 0x0000707fu, i,     alu)    \
    X(xori,      "xori",      0x00004013u, 0x0000707fu, i,     alu)    \
    X(ori,       "ori",       0x00006013u, 0x0000707fu, i,     alu)    \
    X(andi,      "andi",      0x00007013u, 0x0000707fu, i,     alu)    \
    X(slli,      "slli",      0x00001013u, 0xfe00707fu, shift, alu)    \
    X(srli,      "srli",      0x00005013u, 0xfe00707fu, shift, alu)    \
    X(srai,      "srai",      0x40005013u, 0xfe00707fu, shift, alu)    \
    X(add,       "add",       0x00000033u, 0xfe00707fu, r,     alu)    \
    X(sub,       "sub",       0x40000033u, 0xfe00707fu, r,     alu)    \
    X(sll,       "sll",       0x00001033u, 0xfe00707fu, r,     alu)    \
    X(slt,       "slt",       0x00002033u, 0xfe00707fu, r,     alu)    \
    X(sltu,      "sltu",      0x00003033u, 0xfe00707fu, r,     alu)    \
    X(xor_,      "xor",       0x00004033u, 0xfe00707fu, r,     alu)    \
    X(srl,       "srl",       0x00005033u, 0xfe00707fu, r,     alu)    \
    X(sra,       "sra",       0x40005033u, 0xfe00707fu, r,     alu)    \
    X(or_,       "or",        0x00006033u, 0xfe00707fu, r,     alu)    \
    X(and_,      "and",       0x00007033u, 0xfe00707fu, r,     alu)    \
    X(fence,     "fence",     0x0000000fu, 0x0000707fu, none,  alu)    \
    X(fence_i,   "fence.i",   0x0000100fu, 0x0000707fu, none,  system) \
    X(ecall,     "ecall",     0x00000073u, 0xffffffffu, none,  system) \
    X(ebreak,    "ebreak",    0x00100073u, 0xffffffffu, none,  system) \
    X(mret,      "mret",      0x30200073u, 0xffffffffu, none,  system) \
    X(wfi,       "wfi",       0x10500073u, 0xffffffffu, none,  system) \
    X(csrrw,     "csrrw",     0x00001073u, 0x0000707fu, csr,   csr)    \
    X(csrrs,     "csrrs",     0x00002073u, 0x0000707fu, csr,   csr)    \
    X(csrrc,     "csrrc",     0x00003073u, 0x0000707fu, csr,   csr)    \
    X(csrrwi,    "csrrwi",    0x00005073u, 0x0000707fu, csri,  csr)    \
    X(csrrsi,    "csrrsi",    0x00006073u, 0x0000707fu, csri,  csr)    \
    X(csrrci,    "csrrci",    0x00007073u, 0x0000707fu, csri,  csr)    \
    X(mul,       "mul",       0x02000033u, 0xfe00707fu, r,     mul)    \
    X(mulh,      "mulh",      0x02001033u, 0xfe00707fu, r,     mul)    \
    X(mulhsu,    "mulhsu",    0x02002033u, 0xfe00707fu, r,     mul)    \
    X(mulhu,     "mulhu",     0x02003033u, 0xfe00707fu, r,     mul)    \
    X(div,       "div",       0x02004033u, 0xfe00707fu, r,     div)    \
    X(divu,      "divu",      0x02005033u, 0xfe00707fu, r,     div)    \
    X(rem,       "rem",       0x02006033u, 0xfe00707fu, r,     div)    \
    X(remu,      "remu",      0x02007033u, 0xfe00707fu, r,     div)    \
    X(lr_w,      "lr.w",      0x1000202fu, 0xf9f0707fu, amo,   atomic) \
    X(sc_w,      "sc.w",      0x1800202fu, 0xf800707fu, amo,   atomic) \
    X(amoswap_w, "amoswap.w", 0x0800202fu, 0xf800707fu, amo,   atomic) \
    X(amoadd_w,  "amoadd.w",  0x0000202fu, 0xf800707fu, amo,   atomic) \
    X(amoxor_w,  "amoxor.w",  0x2000202fu, 0xf800707fu, amo,   atomic) \
    X(amoand_w,  "amoand.w",  0x6000202fu, 0xf800707fu, amo,   atomic) \
    X(amoor_w,   "amoor.w",   0x4000202fu, 0xf800707fu, amo,   atomic) \
    X(amomin_w,  "amomin.w",  0x8000202fu, 0xf800707fu, amo,   atomic) \
    X(amomax_w,  "amomax.w",  0xa000202fu, 0xf800707fu, amo,   atomic) \
    X(amominu_w, "amominu.w", 0xc000202fu, 0xf800707fu, amo,   atomic) \
    X(amomaxu_w, "amomaxu.w", 0xe000202fu, 0xf800707fu, amo,   atomic)
// clang-format on

enum class Op : uint8_t {
    illegal = 0,
#define TRAINVP_RV32_OP_ENUM(id, name, match, mask, fmt, cls) id,
    TRAINVP_RV32_INSNS(TRAINVP_RV32_OP_ENUM)
#undef TRAINVP_RV32_OP_ENUM
        count
};

struct InsnDesc {
    const char* name;
    uint32_t match;
    uint32_t mask;
    Op op;
    Format format;
    InsnClass cls;
};

// The table, without the `illegal` pseudo-entry. insn_table()[i].op == Op(i + 1).
const InsnDesc* insn_table();
std::size_t insn_table_size();
// Descriptor of an op; nullptr for Op::illegal.
const InsnDesc* insn_desc(Op op);

// One decoded instruction. For Op::illegal, bits holds the offending encoding (16 bits for a
// compressed parcel) as mtval wants it. For csr/csri formats imm holds the CSR number, and for
// csri rs1 holds the 5-bit zero-extended immediate.
struct DecodedInsn {
    Op op = Op::illegal;
    uint8_t rd = 0;
    uint8_t rs1 = 0;
    uint8_t rs2 = 0;
    uint8_t length = 4;
    int32_t imm = 0;
    uint32_t bits = 0;
};

// Decodes a 32-bit instruction word (low two bits 11).
DecodedInsn decode32(uint32_t word);

// Expands a 16-bit compressed parcel into its 32-bit equivalent (RISC-V unprivileged spec
// chapter 16, RV32C). Returns 0 (an illegal 32-bit word) for reserved, illegal and unsupported
// encodings, including the all-zero parcel and F/D loads/stores.
uint32_t expand_compressed(uint16_t parcel);

// Decodes the instruction at the start of `bits`: a compressed parcel in the low 16 bits when
// bits[1:0] != 11 (length 2, upper half ignored), else a 32-bit word (length 4).
DecodedInsn decode(uint32_t bits);

inline bool is_compressed(uint32_t bits) {
    return (bits & 3u) != 3u;
}

}  // namespace trainvp::rv32
