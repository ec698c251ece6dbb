// C++ side of the descriptor's format codes (accel_desc.h "Format code") and of the tensor storage rule:
// each element sits in a little-endian container of 8, 16 or 32 bits, the smallest holding the format's
// storage bits, with the bits of num::encode(). SystemC-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "accel/accel_desc.h"
#include "numerics/format.h"

namespace trainvp::accel {

// std::allocator whose value-initialisation (vector::resize) leaves trivial elements unset, for staging
// buffers that are always overwritten before being read.
template <typename T>
struct UninitAllocator : std::allocator<T> {
    template <typename U>
    struct rebind {
        using other = UninitAllocator<U>;
    };
    UninitAllocator() = default;
    template <typename U>
    UninitAllocator(const UninitAllocator<U>&) noexcept {}
    template <typename U>
    void construct(U* p) noexcept(std::is_nothrow_default_constructible<U>::value) {
        ::new (static_cast<void*>(p)) U;
    }
    template <typename U, typename... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};

// Decoded operand values of the accelerator's datapath.
using Staging = std::vector<float, UninitAllocator<float>>;

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

// The same conversions, fast: decode tables for 8- and 16-bit containers, direct integer paths for
// values already on the format's grid (kernel outputs always are), num::encode_fp8_array for fp8; anything
// else falls back to num::encode/decode, so results equal the reference bit for bit (test_accel_format
// checks every pattern).
// fp32 values stored at p (encode() of fp32 is the float's own bits), as floats a kernel can use in place:
// p itself when the format is fp32 and p is float-aligned, else null.
inline const float* fp32_in_place(const uint8_t* p, const num::Format& fmt) {
    return fmt.kind == num::FormatKind::fp32 && reinterpret_cast<uintptr_t>(p) % alignof(float) == 0
               ? reinterpret_cast<const float*>(p)
               : nullptr;
}

class TensorCodec {
  public:
    void unpack(const uint8_t* bytes, size_t n, const num::Format& fmt, float* out);
    void pack(const float* values, size_t n, const num::Format& fmt, uint8_t* bytes);

  private:
    const std::vector<float>& table(const num::Format& fmt);
    std::map<uint16_t, std::vector<float>> tables_;  // by format code
};

}  // namespace trainvp::accel
