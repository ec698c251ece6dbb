// Test helpers for the RV32 core: a tiny instruction encoder (independent of the model's decoder)
// and a plain in-memory CoreBus. No SystemC.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "cpu/rv32_core.h"

namespace rv32test {

// Base encodings, RISC-V unprivileged spec (20191213) figure 2.3 / chapter 24.
inline uint32_t enc_r(uint32_t funct7, uint32_t rs2, uint32_t rs1, uint32_t funct3, uint32_t rd,
                      uint32_t opcode) {
    return (funct7 << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode;
}
inline uint32_t enc_i(int32_t imm, uint32_t rs1, uint32_t funct3, uint32_t rd, uint32_t opcode) {
    return (static_cast<uint32_t>(imm & 0xfff) << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode;
}
inline uint32_t enc_s(int32_t imm, uint32_t rs2, uint32_t rs1, uint32_t funct3, uint32_t opcode) {
    const uint32_t u = static_cast<uint32_t>(imm);
    return (((u >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | ((u & 0x1f) << 7) |
           opcode;
}
inline uint32_t enc_b(int32_t imm, uint32_t rs2, uint32_t rs1, uint32_t funct3) {
    const uint32_t u = static_cast<uint32_t>(imm);
    return (((u >> 12) & 1) << 31) | (((u >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) |
           (((u >> 1) & 0xf) << 8) | (((u >> 11) & 1) << 7) | 0x63;
}
inline uint32_t enc_u(uint32_t imm20, uint32_t rd, uint32_t opcode) {
    return (imm20 << 12) | (rd << 7) | opcode;
}
inline uint32_t enc_j(int32_t imm, uint32_t rd) {
    const uint32_t u = static_cast<uint32_t>(imm);
    return (((u >> 20) & 1) << 31) | (((u >> 1) & 0x3ff) << 21) | (((u >> 11) & 1) << 20) |
           (((u >> 12) & 0xff) << 12) | (rd << 7) | 0x6f;
}

// A few mnemonics used across the tests.
inline uint32_t addi(uint32_t rd, uint32_t rs1, int32_t imm) {
    return enc_i(imm, rs1, 0, rd, 0x13);
}
inline uint32_t lui(uint32_t rd, uint32_t imm20) {
    return enc_u(imm20, rd, 0x37);
}
inline uint32_t add(uint32_t rd, uint32_t rs1, uint32_t rs2) {
    return enc_r(0, rs2, rs1, 0, rd, 0x33);
}
inline uint32_t lw(uint32_t rd, uint32_t rs1, int32_t imm) {
    return enc_i(imm, rs1, 2, rd, 0x03);
}
inline uint32_t sw(uint32_t rs2, uint32_t rs1, int32_t imm) {
    return enc_s(imm, rs2, rs1, 2, 0x23);
}
inline uint32_t bne(uint32_t rs1, uint32_t rs2, int32_t off) {
    return enc_b(off, rs2, rs1, 1);
}
inline uint32_t jal(uint32_t rd, int32_t off) {
    return enc_j(off, rd);
}
inline uint32_t csrrw(uint32_t rd, uint32_t csr, uint32_t rs1) {
    return enc_i(static_cast<int32_t>(csr), rs1, 1, rd, 0x73);
}
inline uint32_t csrrs(uint32_t rd, uint32_t csr, uint32_t rs1) {
    return enc_i(static_cast<int32_t>(csr), rs1, 2, rd, 0x73);
}
inline uint32_t csrrc(uint32_t rd, uint32_t csr, uint32_t rs1) {
    return enc_i(static_cast<int32_t>(csr), rs1, 3, rd, 0x73);
}
inline uint32_t csrrwi(uint32_t rd, uint32_t csr, uint32_t uimm) {
    return enc_i(static_cast<int32_t>(csr), uimm, 5, rd, 0x73);
}
inline uint32_t csrrsi(uint32_t rd, uint32_t csr, uint32_t uimm) {
    return enc_i(static_cast<int32_t>(csr), uimm, 6, rd, 0x73);
}
inline uint32_t csrrci(uint32_t rd, uint32_t csr, uint32_t uimm) {
    return enc_i(static_cast<int32_t>(csr), uimm, 7, rd, 0x73);
}
inline uint32_t amo(uint32_t funct5, uint32_t rd, uint32_t rs1, uint32_t rs2) {
    return enc_r(funct5 << 2, rs2, rs1, 2, rd, 0x2f);
}
constexpr uint32_t kEcall = 0x00000073, kEbreak = 0x00100073, kMret = 0x30200073, kWfi = 0x10500073;
constexpr uint32_t kFenceI = 0x0000100f;

// RAM at kRamBase, a device window at kMmioBase that records stores and returns kMmioValue on
// loads, everything else faults.
class TestBus : public trainvp::CoreBus {
  public:
    static constexpr uint32_t kRamBase = 0x80000000u;
    static constexpr uint32_t kRamSize = 0x10000u;
    static constexpr uint32_t kMmioBase = 0x10000000u;
    static constexpr uint32_t kMmioSize = 0x1000u;
    static constexpr uint32_t kMmioValue = 0xa5a5a5a5u;

    std::vector<uint8_t> ram = std::vector<uint8_t>(kRamSize, 0);
    struct Store {
        uint32_t addr;
        unsigned size;
        uint32_t value;
    };
    std::vector<Store> mmio_stores;
    unsigned bus_loads = 0, bus_stores = 0, bus_fetches = 0;

    bool in_ram(uint32_t addr, unsigned size) const {
        return addr >= kRamBase && addr - kRamBase + size <= kRamSize;
    }

    bool load(uint32_t addr, unsigned size, uint32_t& value) override {
        ++bus_loads;
        if (in_ram(addr, size)) {
            value = 0;
            std::memcpy(&value, &ram[addr - kRamBase], size);
            return true;
        }
        if (addr >= kMmioBase && addr < kMmioBase + kMmioSize) {
            value = kMmioValue & (size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1);
            return true;
        }
        return false;
    }
    bool store(uint32_t addr, unsigned size, uint32_t value) override {
        ++bus_stores;
        if (in_ram(addr, size)) {
            std::memcpy(&ram[addr - kRamBase], &value, size);
            return true;
        }
        if (addr >= kMmioBase && addr < kMmioBase + kMmioSize) {
            mmio_stores.push_back({addr, size, value});
            return true;
        }
        return false;
    }
    bool fetch(uint32_t addr, uint16_t& parcel) override {
        ++bus_fetches;
        if (!in_ram(addr, 2)) return false;
        std::memcpy(&parcel, &ram[addr - kRamBase], 2);
        return true;
    }

    uint32_t word(uint32_t addr) const {
        uint32_t v = 0;
        std::memcpy(&v, &ram[addr - kRamBase], 4);
        return v;
    }
    void set_word(uint32_t addr, uint32_t v) { std::memcpy(&ram[addr - kRamBase], &v, 4); }
    void set_half(uint32_t addr, uint16_t v) { std::memcpy(&ram[addr - kRamBase], &v, 2); }

    trainvp::DmiRegion dmi() {
        trainvp::DmiRegion r;
        r.host = ram.data();
        r.base = kRamBase;
        r.end = kRamBase + kRamSize - 1;
        r.readable = r.writable = true;
        return r;
    }
};

// Writes instructions from `at` upwards, 32-bit words or 16-bit parcels.
class Asm {
  public:
    Asm(TestBus& bus, uint32_t at) : bus_(bus), pc_(at) {}
    uint32_t pc() const { return pc_; }
    Asm& operator()(uint32_t word) {
        bus_.set_word(pc_, word);
        pc_ += 4;
        return *this;
    }
    Asm& c(uint16_t parcel) {
        bus_.set_half(pc_, parcel);
        pc_ += 2;
        return *this;
    }
    // Loads a 32-bit constant with lui + addi.
    Asm& li(uint32_t rd, uint32_t value) {
        const uint32_t lo = value & 0xfff;
        const uint32_t hi = (value + (lo >= 0x800 ? 0x1000 : 0)) >> 12;
        (*this)(lui(rd, hi & 0xfffff));
        return (*this)(addi(rd, rd, static_cast<int32_t>(lo << 20) >> 20));
    }

  private:
    TestBus& bus_;
    uint32_t pc_;
};

}  // namespace rv32test
