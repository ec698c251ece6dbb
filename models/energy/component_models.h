// Primitive prices read from a technology table: arithmetic units by operand type, registers, multiplexers
// and SRAM macros by geometry. The interpolation rules are the ones stated at the top of tech/45nm.yaml and
// in docs/energy.md "Interpolation rules"; every number comes from the table. Plain C++17, no SystemC.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "energy/tech_table.h"

namespace trainvp::energy {

// What the arithmetic model needs to know about a number format.
struct OperandType {
    std::string name;  // as given, without a rounding suffix
    bool floating = false;
    int width = 0;        // storage bits (fixed, int) or total bits (floating)
    int significand = 0;  // floating: mantissa bits + hidden bit; fixed/int: width
    int exponent = 0;     // floating: exponent bits; fixed/int: 0
};

// Accepts the format names of docs/numerics.md ("fx16.12", "fx8.-2:sr", "int8@-7", "fp32", "fp16", "bf16",
// "fp8e4m3", "fp8e5m2"), plus "fx<N>" and "int<N>" of any width 1..128 for accumulators ("fx48").
// Throws UserError naming the text.
OperandType parse_operand(const std::string& text);
// "fx16.14xfx16.10" (the key of the accelerator's macs_by_format) -> both operand types.
std::pair<OperandType, OperandType> parse_operand_pair(const std::string& text);

// Energy in pJ and area in um2 of the primitives, from one table (which records the entries read).
class Primitives {
  public:
    explicit Primitives(const TechTable& table) : t_(table) {}

    // Adder for one format (integer add for fixed/int, floating-point add otherwise).
    double add_energy(const OperandType& f) const { return add(f, "energy"); }
    double add_area(const OperandType& f) const { return add(f, "area"); }
    // Multiplier for an operand pair (integer when both are fixed/int, floating-point otherwise).
    double mult_energy(const OperandType& a, const OperandType& b) const { return mult(a, b, "energy"); }
    double mult_area(const OperandType& a, const OperandType& b) const { return mult(a, b, "area"); }
    // Integer adder of `bits`.
    double int_add_energy(int bits) const { return int_add(bits, "energy"); }
    double int_add_area(int bits) const { return int_add(bits, "area"); }

    double int_mult_energy(int bits_a, int bits_b) const { return int_mult(bits_a, bits_b, "energy"); }
    double int_mult_area(int bits_a, int bits_b) const { return int_mult(bits_a, bits_b, "area"); }

    double register_energy(uint64_t bits) const;  // one read or one write of `bits` register bits
    double register_area(uint64_t bits) const;
    // An n:1 multiplexer of `bits` (n-1 2:1 stages per bit); zero for n <= 1.
    double mux_energy(uint32_t inputs, uint64_t bits) const;
    double mux_area(uint32_t inputs, uint64_t bits) const;

    struct SramGeometry {
        uint64_t capacity_bytes = 0;
        uint32_t word_bytes = 0;
        uint32_t word_bits = 0;  // when not 0, the word width in bits (word_bytes is then ignored)
    };
    double sram_read_energy(const SramGeometry& g) const { return sram(g, "read_energy", true); }
    double sram_write_energy(const SramGeometry& g) const { return sram(g, "write_energy", true); }
    double sram_area(const SramGeometry& g) const { return sram(g, "area", false); }

    // nW of leakage per um2 of on-chip area.
    double leakage_nw_per_um2() const { return t_.value("leakage.per_area"); }

    const TechTable& table() const { return t_; }

  private:
    double int_add(int bits, const std::string& quantity) const;
    double int_mult(int bits_a, int bits_b, const std::string& quantity) const;
    double add(const OperandType& f, const std::string& quantity) const;
    double mult(const OperandType& a, const OperandType& b, const std::string& quantity) const;
    double sram(const SramGeometry& g, const std::string& quantity, bool width_rule) const;

    const TechTable& t_;
};

// Checks what the schema check cannot: anchor names that parse ("w8", "fp16"), floating-point anchors with
// distinct significands, SRAM anchors with positive sizes, energies and areas and distinct capacities.
// Throws UserError naming the table origin and entry.
void check_table_semantics(const TechTable& table);

}  // namespace trainvp::energy
