// Decode table consistency (no overlaps, each entry decodes its own match) and compressed
// expansion against published encodings.
#include <catch2/catch.hpp>
#include <cstdint>
#include <set>
#include <string>

#include "cpu/rv32_decode.h"
#include "rv32_test_util.h"

using namespace trainvp::rv32;

TEST_CASE("decode table entries are pairwise disjoint", "[cpu][decode]") {
    const InsnDesc* t = insn_table();
    const std::size_t n = insn_table_size();
    REQUIRE(n == static_cast<std::size_t>(Op::count) - 1);
    unsigned pairs = 0;
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = i + 1; j < n; ++j) {
            // Two entries share an instruction word iff they agree on every bit both masks fix.
            const bool overlap = ((t[i].match ^ t[j].match) & t[i].mask & t[j].mask) == 0;
            INFO(t[i].name << " vs " << t[j].name);
            CHECK_FALSE(overlap);
            ++pairs;
        }
    }
    CHECK(pairs == n * (n - 1) / 2);
}

TEST_CASE("every decode table entry decodes its own match and has sane fields", "[cpu][decode]") {
    std::set<std::string> names;
    for (std::size_t i = 0; i < insn_table_size(); ++i) {
        const InsnDesc& d = insn_table()[i];
        INFO(d.name);
        CHECK((d.match & ~d.mask) == 0);
        CHECK((d.match & 3u) == 3u);
        CHECK((d.mask & 0x7fu) == 0x7fu);  // the major opcode is always fixed
        CHECK(names.insert(d.name).second);
        CHECK(insn_desc(d.op) == &d);
        CHECK(decode32(d.match).op == d.op);
        CHECK(decode(d.match).op == d.op);
        CHECK(decode(d.match).length == 4);
        // Flipping any free bit keeps the entry (or lands in no entry, never another one).
        for (unsigned bit = 0; bit < 32; ++bit) {
            if (d.mask & (1u << bit)) continue;
            const Op op = decode32(d.match | (1u << bit)).op;
            CHECK(op == d.op);
        }
    }
}

TEST_CASE("sampled instruction words match at most one entry", "[cpu][decode]") {
    // Exhaustive over the fixed-field bits is cheap for bits [31:25] and [14:0]: 2^22 words.
    unsigned decoded = 0;
    for (uint32_t hi = 0; hi < 128; ++hi) {
        for (uint32_t lo = 0; lo < (1u << 15); ++lo) {
            const uint32_t w = (hi << 25) | lo | 3u;
            unsigned matches = 0;
            for (std::size_t i = 0; i < insn_table_size(); ++i)
                if ((w & insn_table()[i].mask) == insn_table()[i].match) ++matches;
            REQUIRE(matches <= 1);
            decoded += matches;
            if (matches == 0) REQUIRE(decode32(w).op == Op::illegal);
        }
    }
    CHECK(decoded > 0);
}

TEST_CASE("operand and immediate extraction", "[cpu][decode]") {
    using namespace rv32test;
    DecodedInsn d = decode32(addi(5, 6, -2048));
    CHECK(d.op == Op::addi);
    CHECK(d.rd == 5);
    CHECK(d.rs1 == 6);
    CHECK(d.imm == -2048);
    d = decode32(sw(7, 2, -1));
    CHECK(d.op == Op::sw);
    CHECK(d.rs2 == 7);
    CHECK(d.imm == -1);
    d = decode32(enc_b(-4096, 3, 4, 0));
    CHECK(d.op == Op::beq);
    CHECK(d.imm == -4096);
    d = decode32(enc_b(4094, 3, 4, 7));
    CHECK(d.op == Op::bgeu);
    CHECK(d.imm == 4094);
    d = decode32(jal(1, -1048576));
    CHECK(d.op == Op::jal);
    CHECK(d.imm == -1048576);
    d = decode32(jal(0, 1048574));
    CHECK(d.imm == 1048574);
    d = decode32(lui(9, 0xfffff));
    CHECK(d.imm == static_cast<int32_t>(0xfffff000u));
    d = decode32(csrrwi(1, 0x340, 17));
    CHECK(d.op == Op::csrrwi);
    CHECK(d.imm == 0x340);
    CHECK(d.rs1 == 17);
    d = decode32(enc_r(0x00, 31, 1, 1, 1, 0x13));  // slli x1, x1, 31
    CHECK(d.op == Op::slli);
    CHECK(d.imm == 31);
}

TEST_CASE("illegal 32-bit encodings", "[cpu][decode]") {
    using namespace rv32test;
    CHECK(decode(0xffffffffu).op == Op::illegal);
    CHECK(decode(0xffffffffu).bits == 0xffffffffu);
    CHECK(decode32(enc_r(0x20, 1, 1, 1, 1, 0x13)).op == Op::illegal);  // slli with imm[11:5] != 0
    CHECK(decode32(enc_r(0x01, 1, 1, 5, 1, 0x13)).op == Op::illegal);  // shamt[5] set on RV32
    CHECK(decode32(enc_r(0x08, 2, 1, 2, 3, 0x2f)).op == Op::illegal);  // lr.w with rs2 != 0
    CHECK(decode32(enc_i(0, 1, 3, 1, 0x03)).op == Op::illegal);        // ld (RV64)
    CHECK(decode32(enc_i(0, 1, 4, 1, 0x73)).op == Op::illegal);        // SYSTEM funct3 = 100
    CHECK(decode32(0x10200073u).op == Op::illegal);                    // sret (no S-mode)
    CHECK(decode32(0x00000007u).op == Op::illegal);                    // flw (no F)
}

namespace {
// Pairs of (compressed parcel, 32-bit twin), both assembled by GNU as 2.42 (-march=rv32imac)
// from the assembly in the first column; the expansion rules are those of the unprivileged spec
// (20191213) chapter 16.
struct CVector {
    const char* text;
    uint16_t parcel;
    uint32_t word;
};
const CVector kCVectors[] = {
    {"c.addi a0, 1", 0x0505, 0x00150513},
    {"c.addi sp, -32", 0x1101, 0xfe010113},
    {"c.lw a1, 4(a2)", 0x424c, 0x00462583},
    {"c.lw s0, 124(a5)", 0x5fe0, 0x07c7a403},
    {"c.sw a1, 4(a2)", 0xc24c, 0x00b62223},
    {"c.sw s1, 64(a0)", 0xc124, 0x04952023},
    {"c.j .+2046", 0xaffd, 0x7fe0006f},
    {"c.j .-2048", 0xb001, 0x801ff06f},
    {"c.j .+0", 0xa001, 0x0000006f},
    {"c.jal .+16", 0x2801, 0x010000ef},
    {"c.jal .-2", 0x3ffd, 0xfffff0ef},
    {"c.beqz a0, .+8", 0xc501, 0x00050463},
    {"c.beqz s1, .-256", 0xd081, 0xf00480e3},
    {"c.bnez a5, .+254", 0xeffd, 0x0e079f63},
    {"c.lui a0, 1", 0x6505, 0x00001537},
    {"c.lui t0, 0xfffff", 0x72fd, 0xfffff2b7},
    {"c.lui s0, 0x1f", 0x647d, 0x0001f437},
    {"c.lui a5, 0xfffe0", 0x7781, 0xfffe07b7},
    {"c.addi16sp sp, 16", 0x6141, 0x01010113},
    {"c.addi16sp sp, -512", 0x7101, 0xe0010113},
    {"c.addi16sp sp, 496", 0x617d, 0x1f010113},
    {"c.addi4spn a0, sp, 4", 0x0048, 0x00410513},
    {"c.addi4spn s1, sp, 1020", 0x1fe4, 0x3fc10493},
    {"c.slli a0, 3", 0x050e, 0x00351513},
    {"c.slli t6, 31", 0x0ffe, 0x01ff9f93},
    {"c.srli a0, 1", 0x8105, 0x00155513},
    {"c.srli s1, 31", 0x80fd, 0x01f4d493},
    {"c.srai a5, 7", 0x879d, 0x4077d793},
    {"c.andi a0, -1", 0x997d, 0xfff57513},
    {"c.andi s0, 31", 0x887d, 0x01f47413},
    {"c.sub a0, a1", 0x8d0d, 0x40b50533},
    {"c.xor s0, s1", 0x8c25, 0x00944433},
    {"c.or a4, a5", 0x8f5d, 0x00f76733},
    {"c.and a2, a3", 0x8e75, 0x00d67633},
    {"c.mv a0, a1", 0x852e, 0x00b00533},
    {"c.mv t6, ra", 0x8f86, 0x00100fb3},
    {"c.add a0, a1", 0x952e, 0x00b50533},
    {"c.add sp, t0", 0x9116, 0x00510133},
    {"c.jr ra", 0x8082, 0x00008067},
    {"c.jr t0", 0x8282, 0x00028067},
    {"c.jalr a0", 0x9502, 0x000500e7},
    {"c.ebreak", 0x9002, 0x00100073},
    {"c.lwsp a0, 0(sp)", 0x4502, 0x00012503},
    {"c.lwsp ra, 252(sp)", 0x50fe, 0x0fc12083},
    {"c.swsp a0, 0(sp)", 0xc02a, 0x00a12023},
    {"c.swsp s11, 252(sp)", 0xdfee, 0x0fb12e23},
    {"c.li a0, -32", 0x5501, 0xfe000513},
    {"c.li t1, 31", 0x437d, 0x01f00313},
    {"c.nop", 0x0001, 0x00000013},
};
}  // namespace

TEST_CASE("compressed instructions expand to their 32-bit twins", "[cpu][decode]") {
    for (const CVector& v : kCVectors) {
        INFO(v.text);
        CHECK(expand_compressed(v.parcel) == v.word);
        const DecodedInsn c = decode(v.parcel), w = decode32(v.word);
        CHECK(c.length == 2);
        CHECK(c.op == w.op);
        CHECK(c.op != Op::illegal);
        CHECK(c.rd == w.rd);
        CHECK(c.rs1 == w.rs1);
        CHECK(c.rs2 == w.rs2);
        CHECK(c.imm == w.imm);
    }
}

TEST_CASE("reserved and unsupported compressed encodings are illegal", "[cpu][decode]") {
    const uint16_t illegal[] = {
        0x0000,  // all zero (c.addi4spn with nzuimm = 0)
        0x0004,  // c.addi4spn a1, sp, 0: nzuimm = 0 reserved
        0x2000,  // c.fld
        0x6000,  // c.flw
        0x8000,  // quadrant 0 funct3 = 100: reserved
        0xa000,  // c.fsd
        0xe000,  // c.fsw
        0x6101,  // c.addi16sp with nzimm = 0
        0x6501,  // c.lui a0, 0: reserved
        0x9101,  // c.srli s0 with shamt[5] = 1 (NSE on RV32)
        0x9501,  // c.srai s0 with shamt[5] = 1
        0x9c01,  // c.subw (RV64)
        0x9c21,  // c.addw (RV64)
        0x1002,  // c.slli x0 with shamt[5] = 1
        0x2002,  // c.fldsp
        0x4002,  // c.lwsp x0: reserved
        0x6002,  // c.flwsp
        0x8002,  // c.jr x0: reserved
        0xa002,  // c.fsdsp
        0xe002,  // c.fswsp
    };
    for (uint16_t p : illegal) {
        INFO("parcel " << std::hex << p);
        CHECK(expand_compressed(p) == 0);
        const DecodedInsn d = decode(p);
        CHECK(d.op == Op::illegal);
        CHECK(d.length == 2);
        CHECK(d.bits == p);  // mtval wants the parcel itself
    }
}

TEST_CASE("every compressed parcel expands to a legal instruction or to 0", "[cpu][decode]") {
    unsigned legal = 0;
    for (uint32_t p = 0; p < 0x10000; ++p) {
        if ((p & 3) == 3) continue;
        const uint32_t w = expand_compressed(static_cast<uint16_t>(p));
        if (w == 0) continue;
        ++legal;
        INFO("parcel " << std::hex << p << " -> " << w);
        REQUIRE(decode32(w).op != Op::illegal);
        // Hints (rd = x0 forms) are legal and expand to writes of x0, which have no effect.
    }
    // Counted by hand from the RV32C opcode map (2048 parcels per funct3 slot):
    // Q0: c.addi4spn 2048 - 8 (nzuimm = 0) + c.lw 2048 + c.sw 2048 = 6136.
    // Q1: c.addi, c.jal, c.li, c.j, c.beqz, c.bnez 6 * 2048; c.addi16sp 64 - 1 and c.lui 31 * 64 - 31;
    //     c.srli 256, c.srai 256, c.andi 512, c.sub/xor/or/and 256 -> 15584.
    // Q2: c.slli 1024; c.lwsp 2048 - 64; c.jr 31 + c.mv 32 * 31 + c.ebreak/jalr/add 1024; c.swsp 2048 ->
    // 7103.
    CHECK(legal == 6136 + 15584 + 7103);
}
