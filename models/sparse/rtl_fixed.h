// The fixed-point arithmetic of Dey et al.'s junction-pipelined RTL, bit for bit (papers.md §3.7; the RTL is
// souryadey/mlp-ondevice-training, DNN_MNIST_withUART/sources/sources_DNN, commit 5d740f9). Plain C++17, no
// SystemC: the golden trainer and the SystemC engine share it. docs/sparse.md "Numerics" lists every rule
// with the RTL line it comes from.
//
// A value is a raw two's-complement integer q of `width` bits; its real value is q * 2^-frac_bits, with
// width = 1 sign + int_bits + frac_bits.
#pragma once

#include <cstdint>
#include <string>

namespace trainvp::sparse {

struct FixedFormat {
    int width = 10;    // total bits, sign included
    int int_bits = 2;  // integer bits (not counting the sign)

    int frac_bits() const { return width - int_bits - 1; }
    int32_t max_raw() const { return (int32_t{1} << (width - 1)) - 1; }
    int32_t min_raw() const { return -(int32_t{1} << (width - 1)); }
    int32_t one_raw() const { return int32_t{1} << frac_bits(); }  // 1.0 (may be above max_raw())
    double to_double(int32_t q) const;

    // 4 <= width <= 24, int_bits >= 0, frac_bits >= 3 (the sigmoid-derivative table keeps frac_bits - 2
    // bits, act_functions.sv). Throws std::invalid_argument naming the field.
    void validate() const;
    std::string to_string() const;  // "10-bit (1.2.7)"
    bool operator==(const FixedFormat& o) const { return width == o.width && int_bits == o.int_bits; }
    bool operator!=(const FixedFormat& o) const { return !(*this == o); }
};

// The datapath operators. Member functions are inline: they are the inner loops of the golden trainer.
class FixedArith {
  public:
    explicit FixedArith(const FixedFormat& fmt);

    const FixedFormat& format() const { return fmt_; }
    int32_t max_raw() const { return max_; }
    int32_t min_raw() const { return min_; }

    int32_t saturate(int64_t v) const { return v > max_ ? max_ : v < min_ ? min_ : static_cast<int32_t>(v); }

    // components.sv `multiplier`: the full 2*width product; if its floor at frac_bits does not fit, the
    // maximum or minimum; then +1 when the first discarded bit is 1, unless the value is already the
    // maximum. The minimum is not exempt, so a negative overflow with that bit set gives min + 1.
    int32_t mul(int32_t a, int32_t b) const {
        const int64_t p = int64_t{a} * b;
        const int64_t t = p >> frac_;  // arithmetic: the floor
        int32_t r = t > max_ ? max_ : t < min_ ? min_ : static_cast<int32_t>(t);
        if (((p >> (frac_ - 1)) & 1) != 0 && r != max_) ++r;
        return r;
    }

    // components.sv `adder`: a width+1-bit sum, then saturation.
    int32_t add(int32_t a, int32_t b) const { return saturate(int64_t{a} + b); }

    // processor_set.sv UP: the negative of a delta, with -min taken as max.
    int32_t neg(int32_t a) const { return a == min_ ? max_ : -a; }

    // processor_set.sv act_function: fi products summed in a tree of width + log2(fi) bits (which cannot
    // overflow), the bias added at that width, then saturated to width. Equal to saturate(sum + bias).
    int32_t neuron_sum(const int32_t* products, uint32_t count, int32_t bias) const {
        int64_t s = bias;
        for (uint32_t i = 0; i < count; ++i) s += products[i];
        return saturate(s);
    }

    // processor_set.sv UP: delta_bias = -eta * delta with eta = 2^-(etapos-1): the saturating negative,
    // arithmetically shifted right by etapos-1, plus its first shifted-out bit. etapos 0 means "no update"
    // (the pipeline is filling) and gives 0; etapos 1 is eta = 1 and does not shift.
    int32_t learning_step(int32_t delta, int etapos) const {
        if (etapos <= 0) return 0;
        const int32_t dn = neg(delta);
        const int k = etapos - 1;
        if (k == 0) return dn;
        return (dn >> k) + ((dn >> (k - 1)) & 1);
    }

    // components.sv `costterm_set` (cross-entropy, layer_block.sv output_layer_block): a - y with a
    // saturating adder, y in {0, 1}.
    int32_t cost_term(int32_t a, bool target) const { return add(a, target ? -one_ : 0); }

    // layer_block.sv input_layer_block: a width_in-bit input x becomes x * 2^-width_in (the bits go to the
    // top of the fraction); when width_in > frac_bits the low bits are dropped (floor).
    int32_t input_activation(uint32_t x, int width_in = 8) const {
        return width_in <= frac_ ? static_cast<int32_t>(x << (frac_ - width_in))
                                 : static_cast<int32_t>(x >> (width_in - frac_));
    }

    // scripts/glorotnormal_init_generator.py: clamp to [-2^int_bits, 2^int_bits - 2^-frac], then the floor
    // of v * 2^frac (its int() of a value offset to be positive).
    int32_t from_double_floor(double v) const;

  private:
    FixedFormat fmt_;
    int frac_;
    int32_t max_, min_, one_;
};

}  // namespace trainvp::sparse
