// C++ side of the descriptor's format codes (accel_desc.h "Format code") and of the tensor storage rule:
// each element sits in a little-endian container of 8, 16 or 32 bits, the smallest holding the format's
// storage bits, with the bits of num::encode(). SystemC-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "accel/accel_desc.h"
#include "numerics/format.h"

namespace trainvp::accel {

// Decodes a format code; false for an invalid code (kind 7, fixed total < 4, a field set that the kind does
// not use, or a format num::Format::validate() rejects).
bool format_from_code(uint16_t code, num::Format& out);
// Encodes a format; false when it has no code (fixed/int8 fraction or scale outside -32..31).
bool code_from_format(const num::Format& fmt, uint16_t& out);

// Bytes of one element's container: 1, 2 or 4.
unsigned container_bytes(const num::Format& fmt);

// n elements between the float values the kernels use and their DRAM images: the reference definition,
// element by element through num::decode / num::encode.
void unpack_tensor(const uint8_t* bytes, size_t n, const num::Format& fmt, float* out);
void pack_tensor(const float* values, size_t n, const num::Format& fmt, uint8_t* bytes);

// The same conversions, fast: decode tables for 8- and 16-bit containers, and direct integer paths for
// values already on the format's grid (kernel outputs always are); anything else falls back to
// num::encode/decode, so results equal the reference bit for bit (test_accel_format checks every pattern).
class TensorCodec {
  public:
    void unpack(const uint8_t* bytes, size_t n, const num::Format& fmt, float* out);
    void pack(const float* values, size_t n, const num::Format& fmt, uint8_t* bytes);

  private:
    const std::vector<float>& table(const num::Format& fmt);
    std::map<uint16_t, std::vector<float>> tables_;  // by format code
};

}  // namespace trainvp::accel
