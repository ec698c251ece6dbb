#include "cpu/rv32_decode.h"

#include <array>
#include <vector>

namespace trainvp::rv32 {

namespace {

constexpr InsnDesc kTable[] = {
#define TRAINVP_RV32_DESC(id, name, match, mask, fmt, cls) \
    {name, match, mask, Op::id, Format::fmt, InsnClass::cls},
    TRAINVP_RV32_INSNS(TRAINVP_RV32_DESC)
#undef TRAINVP_RV32_DESC
};
constexpr std::size_t kTableSize = sizeof(kTable) / sizeof(kTable[0]);
static_assert(kTableSize + 1 == static_cast<std::size_t>(Op::count), "op enum and table out of step");

// Every table entry fixes the major opcode (bits 6:0), so decoding scans one bucket.
struct Buckets {
    std::array<std::vector<const InsnDesc*>, 128> by_opcode;
    Buckets() {
        for (const InsnDesc& d : kTable) by_opcode[d.match & 0x7f].push_back(&d);
    }
};
const Buckets& buckets() {
    static const Buckets b;
    return b;
}

inline uint32_t bits_of(uint32_t w, unsigned hi, unsigned lo) {
    return (w >> lo) & ((1u << (hi - lo + 1)) - 1);
}
inline int32_t sign_extend(uint32_t v, unsigned width) {
    const uint32_t m = 1u << (width - 1);
    return static_cast<int32_t>((v ^ m) - m);
}

int32_t imm_i(uint32_t w) {
    return static_cast<int32_t>(w) >> 20;
}
int32_t imm_s(uint32_t w) {
    return sign_extend((bits_of(w, 31, 25) << 5) | bits_of(w, 11, 7), 12);
}
int32_t imm_b(uint32_t w) {
    return sign_extend((bits_of(w, 31, 31) << 12) | (bits_of(w, 7, 7) << 11) | (bits_of(w, 30, 25) << 5) |
                           (bits_of(w, 11, 8) << 1),
                       13);
}
int32_t imm_u(uint32_t w) {
    return static_cast<int32_t>(w & 0xfffff000u);
}
int32_t imm_j(uint32_t w) {
    return sign_extend((bits_of(w, 31, 31) << 20) | (bits_of(w, 19, 12) << 12) | (bits_of(w, 20, 20) << 11) |
                           (bits_of(w, 30, 21) << 1),
                       21);
}

// 32-bit encoders used by the compressed expansion.
uint32_t enc_r(uint32_t f7, uint32_t rs2, uint32_t rs1, uint32_t f3, uint32_t rd, uint32_t opc) {
    return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc;
}
uint32_t enc_i(int32_t imm, uint32_t rs1, uint32_t f3, uint32_t rd, uint32_t opc) {
    return (static_cast<uint32_t>(imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc;
}
uint32_t enc_s(int32_t imm, uint32_t rs2, uint32_t rs1, uint32_t f3, uint32_t opc) {
    const uint32_t u = static_cast<uint32_t>(imm);
    return (bits_of(u, 11, 5) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (bits_of(u, 4, 0) << 7) | opc;
}
uint32_t enc_b(int32_t imm, uint32_t rs2, uint32_t rs1, uint32_t f3) {
    const uint32_t u = static_cast<uint32_t>(imm);
    return (bits_of(u, 12, 12) << 31) | (bits_of(u, 10, 5) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
           (bits_of(u, 4, 1) << 8) | (bits_of(u, 11, 11) << 7) | 0x63u;
}
uint32_t enc_j(int32_t imm, uint32_t rd) {
    const uint32_t u = static_cast<uint32_t>(imm);
    return (bits_of(u, 20, 20) << 31) | (bits_of(u, 10, 1) << 21) | (bits_of(u, 11, 11) << 20) |
           (bits_of(u, 19, 12) << 12) | (rd << 7) | 0x6fu;
}

constexpr uint32_t kOpLoad = 0x03, kOpImm = 0x13, kOpStore = 0x23, kOpReg = 0x33, kOpLui = 0x37,
                   kOpJalr = 0x67;
constexpr uint32_t kEbreak = 0x00100073u;

// Compressed immediates, RISC-V unprivileged spec section 16.8 (RVC instruction set listings).
int32_t cimm6(uint32_t c) {
    return sign_extend((bits_of(c, 12, 12) << 5) | bits_of(c, 6, 2), 6);
}
int32_t cj_offset(uint32_t c) {
    // offset[11|4|9:8|10|6|7|3:1|5] = c[12|11|10:9|8|7|6|5:3|2]
    const uint32_t v = (bits_of(c, 12, 12) << 11) | (bits_of(c, 11, 11) << 4) | (bits_of(c, 10, 9) << 8) |
                       (bits_of(c, 8, 8) << 10) | (bits_of(c, 7, 7) << 6) | (bits_of(c, 6, 6) << 7) |
                       (bits_of(c, 5, 3) << 1) | (bits_of(c, 2, 2) << 5);
    return sign_extend(v, 12);
}
int32_t cb_offset(uint32_t c) {
    // offset[8|4:3] = c[12|11:10], offset[7:6|2:1|5] = c[6:5|4:3|2]
    const uint32_t v = (bits_of(c, 12, 12) << 8) | (bits_of(c, 11, 10) << 3) | (bits_of(c, 6, 5) << 6) |
                       (bits_of(c, 4, 3) << 1) | (bits_of(c, 2, 2) << 5);
    return sign_extend(v, 9);
}
uint32_t creg(uint32_t three_bits) {
    return 8 + three_bits;
}

uint32_t expand_q0(uint32_t c) {
    const uint32_t rd_p = creg(bits_of(c, 4, 2)), rs1_p = creg(bits_of(c, 9, 7));
    // uimm[5:3|2|6] = c[12:10|6|5] for c.lw / c.sw
    const int32_t uimm_w =
        static_cast<int32_t>((bits_of(c, 12, 10) << 3) | (bits_of(c, 6, 6) << 2) | (bits_of(c, 5, 5) << 6));
    switch (bits_of(c, 15, 13)) {
        case 0: {  // c.addi4spn: nzuimm[5:4|9:6|2|3] = c[12:11|10:7|6|5]; nzuimm == 0 is reserved.
            const uint32_t nzuimm = (bits_of(c, 12, 11) << 4) | (bits_of(c, 10, 7) << 6) |
                                    (bits_of(c, 6, 6) << 2) | (bits_of(c, 5, 5) << 3);
            if (nzuimm == 0) return 0;
            return enc_i(static_cast<int32_t>(nzuimm), 2, 0, rd_p, kOpImm);
        }
        case 2:
            return enc_i(uimm_w, rs1_p, 2, rd_p, kOpLoad);  // c.lw
        case 6:
            return enc_s(uimm_w, rd_p, rs1_p, 2, kOpStore);  // c.sw (rs2' sits in c[4:2])
        default:
            return 0;  // c.fld, c.flw, c.fsd, c.fsw (no F/D) and the reserved funct3 = 100
    }
}

uint32_t expand_q1(uint32_t c) {
    const uint32_t rd = bits_of(c, 11, 7);
    const uint32_t rs1_p = creg(bits_of(c, 9, 7)), rs2_p = creg(bits_of(c, 4, 2));
    switch (bits_of(c, 15, 13)) {
        case 0:
            return enc_i(cimm6(c), rd, 0, rd, kOpImm);  // c.addi, c.nop (rd = 0 forms are hints)
        case 1:
            return enc_j(cj_offset(c), 1);  // c.jal (RV32 only)
        case 2:
            return enc_i(cimm6(c), 0, 0, rd, kOpImm);  // c.li
        case 3: {
            if (rd == 2) {  // c.addi16sp: nzimm[9|4|6|8:7|5] = c[12|6|5|4:3|2]; nzimm == 0 is reserved.
                const uint32_t v = (bits_of(c, 12, 12) << 9) | (bits_of(c, 6, 6) << 4) |
                                   (bits_of(c, 5, 5) << 6) | (bits_of(c, 4, 3) << 7) |
                                   (bits_of(c, 2, 2) << 5);
                if (v == 0) return 0;
                return enc_i(sign_extend(v, 10), 2, 0, 2, kOpImm);
            }
            // c.lui: nzimm[17|16:12] = c[12|6:2]; nzimm == 0 is reserved.
            const int32_t nzimm = cimm6(c);
            if (nzimm == 0) return 0;
            return (static_cast<uint32_t>(nzimm) << 12) | (rd << 7) | kOpLui;
        }
        case 4: {
            const uint32_t shamt = bits_of(c, 6, 2);
            switch (bits_of(c, 11, 10)) {
                case 0:  // c.srli; shamt[5] = 1 is reserved for custom use on RV32C.
                    if (bits_of(c, 12, 12)) return 0;
                    return enc_r(0x00, shamt, rs1_p, 5, rs1_p, kOpImm);
                case 1:  // c.srai
                    if (bits_of(c, 12, 12)) return 0;
                    return enc_r(0x20, shamt, rs1_p, 5, rs1_p, kOpImm);
                case 2:
                    return enc_i(cimm6(c), rs1_p, 7, rs1_p, kOpImm);  // c.andi
                default:
                    if (bits_of(c, 12, 12)) return 0;  // c.subw / c.addw are RV64 only
                    switch (bits_of(c, 6, 5)) {
                        case 0:
                            return enc_r(0x20, rs2_p, rs1_p, 0, rs1_p, kOpReg);  // c.sub
                        case 1:
                            return enc_r(0x00, rs2_p, rs1_p, 4, rs1_p, kOpReg);  // c.xor
                        case 2:
                            return enc_r(0x00, rs2_p, rs1_p, 6, rs1_p, kOpReg);  // c.or
                        default:
                            return enc_r(0x00, rs2_p, rs1_p, 7, rs1_p, kOpReg);  // c.and
                    }
            }
        }
        case 5:
            return enc_j(cj_offset(c), 0);  // c.j
        case 6:
            return enc_b(cb_offset(c), 0, rs1_p, 0);  // c.beqz
        default:
            return enc_b(cb_offset(c), 0, rs1_p, 1);  // c.bnez
    }
}

uint32_t expand_q2(uint32_t c) {
    const uint32_t rd = bits_of(c, 11, 7), rs2 = bits_of(c, 6, 2);
    switch (bits_of(c, 15, 13)) {
        case 0:  // c.slli; shamt[5] = 1 is reserved for custom use on RV32C.
            if (bits_of(c, 12, 12)) return 0;
            return enc_r(0x00, rs2, rd, 1, rd, kOpImm);
        case 2: {  // c.lwsp: uimm[5|4:2|7:6] = c[12|6:4|3:2]; rd = 0 is reserved.
            if (rd == 0) return 0;
            const uint32_t uimm =
                (bits_of(c, 12, 12) << 5) | (bits_of(c, 6, 4) << 2) | (bits_of(c, 3, 2) << 6);
            return enc_i(static_cast<int32_t>(uimm), 2, 2, rd, kOpLoad);
        }
        case 4:
            if (!bits_of(c, 12, 12)) {
                if (rs2 == 0) {  // c.jr; rs1 = 0 is reserved.
                    if (rd == 0) return 0;
                    return enc_i(0, rd, 0, 0, kOpJalr);
                }
                return enc_r(0x00, rs2, 0, 0, rd, kOpReg);  // c.mv
            }
            if (rs2 == 0) {
                if (rd == 0) return kEbreak;         // c.ebreak
                return enc_i(0, rd, 0, 1, kOpJalr);  // c.jalr
            }
            return enc_r(0x00, rs2, rd, 0, rd, kOpReg);  // c.add
        case 6: {                                        // c.swsp: uimm[5:2|7:6] = c[12:9|8:7]
            const uint32_t uimm = (bits_of(c, 12, 9) << 2) | (bits_of(c, 8, 7) << 6);
            return enc_s(static_cast<int32_t>(uimm), rs2, 2, 2, kOpStore);
        }
        default:
            return 0;  // c.fldsp, c.flwsp, c.fsdsp, c.fswsp (no F/D)
    }
}

}  // namespace

const InsnDesc* insn_table() {
    return kTable;
}
std::size_t insn_table_size() {
    return kTableSize;
}

const InsnDesc* insn_desc(Op op) {
    const auto i = static_cast<std::size_t>(op);
    if (i == 0 || i > kTableSize) return nullptr;
    return &kTable[i - 1];
}

DecodedInsn decode32(uint32_t w) {
    DecodedInsn d;
    d.bits = w;
    d.length = 4;
    const InsnDesc* desc = nullptr;
    for (const InsnDesc* e : buckets().by_opcode[w & 0x7f]) {
        if ((w & e->mask) == e->match) {
            desc = e;
            break;
        }
    }
    if (desc == nullptr) return d;
    d.op = desc->op;
    d.rd = static_cast<uint8_t>(bits_of(w, 11, 7));
    d.rs1 = static_cast<uint8_t>(bits_of(w, 19, 15));
    d.rs2 = static_cast<uint8_t>(bits_of(w, 24, 20));
    switch (desc->format) {
        case Format::i:
            d.imm = imm_i(w);
            break;
        case Format::s:
            d.imm = imm_s(w);
            break;
        case Format::b:
            d.imm = imm_b(w);
            break;
        case Format::u:
            d.imm = imm_u(w);
            break;
        case Format::j:
            d.imm = imm_j(w);
            break;
        case Format::shift:
            d.imm = static_cast<int32_t>(bits_of(w, 24, 20));
            break;
        case Format::csr:
        case Format::csri:
            d.imm = static_cast<int32_t>(bits_of(w, 31, 20));
            break;
        case Format::r:
        case Format::amo:
        case Format::none:
            break;
    }
    return d;
}

uint32_t expand_compressed(uint16_t parcel) {
    const uint32_t c = parcel;
    switch (c & 3u) {
        case 0:
            return expand_q0(c);
        case 1:
            return expand_q1(c);
        case 2:
            return expand_q2(c);
        default:
            return 0;
    }
}

DecodedInsn decode(uint32_t bits) {
    if (!is_compressed(bits)) return decode32(bits);
    const uint16_t parcel = static_cast<uint16_t>(bits);
    const uint32_t word = expand_compressed(parcel);
    DecodedInsn d = word != 0 ? decode32(word) : DecodedInsn{};
    d.length = 2;
    d.bits = parcel;  // mtval of an illegal compressed instruction is the 16-bit parcel
    if (d.op == Op::illegal) d.imm = 0;
    return d;
}

}  // namespace trainvp::rv32
