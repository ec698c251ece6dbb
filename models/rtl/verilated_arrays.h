// The Verilated sizes of rtl/systolic_array.sv linked into this program. A target made with
// trainvp_verilate_arrays(<target> <R>x<C> ...) (models/rtl/CMakeLists.txt) defines both functions for the
// sizes it was given; link exactly one such target into a program.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "rtl/array_pins.h"

namespace trainvp::rtl {

// {rows, cols} of every Verilated array available, in the order they were given to CMake.
std::vector<std::pair<uint32_t, uint32_t>> verilated_array_sizes();

// A new array of that size, reset; nullptr when that size was not Verilated.
std::unique_ptr<ArrayPins> make_verilated_array(uint32_t rows, uint32_t cols);

}  // namespace trainvp::rtl
