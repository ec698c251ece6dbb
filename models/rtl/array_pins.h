// The pins of rtl/systolic_array.sv as C++ sees them, whatever the array's size. Verilator makes one class
// per parameter set (Vsystolic_array_4x4, ...); VerilatedPins (verilated_pins.h) adapts each to this
// interface, so the sequencer that drives a GEMM through the array (rtl_gemm.h) is compiled once and needs no
// Verilator.
#pragma once

#include <cstdint>

namespace trainvp::rtl {

class ArrayPins {
  public:
    virtual ~ArrayPins() = default;

    virtual uint32_t rows() const = 0;
    virtual uint32_t cols() const = 0;
    virtual int data_bits() const = 0;  // signed operand width (DATA_W)
    virtual int acc_bits() const = 0;   // accumulator register width (ACC_W)

    // Inputs keep their value until set again.
    virtual void set_fold(bool weight_stationary, int saturate_bits, uint32_t rows_used,
                          uint32_t cols_used) = 0;
    virtual void set_controls(bool start, bool preload, bool shadow_shift, bool weight_push) = 0;
    virtual void set_west(uint32_t row, bool valid, int32_t data) = 0;
    virtual void set_north(uint32_t col, bool valid, bool last, int32_t data) = 0;
    virtual void set_north_psum(uint32_t col, bool valid, int64_t value) = 0;

    // Settles the outputs for the current inputs and registers (clock low).
    virtual void eval() = 0;
    // The result edge after eval(): true and the value when column col presents a result this cycle.
    virtual bool result(uint32_t col, int64_t& value) const = 0;
    virtual bool error() const = 0;
    // One rising clock edge: every register takes its next value.
    virtual void clock() = 0;
    // Synchronous reset: one clock edge with rst high.
    virtual void reset() = 0;
};

}  // namespace trainvp::rtl
