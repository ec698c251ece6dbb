// The PE array's rounding unit: the GEMM kernels' accumulators rounded straight into a buffer in storage
// format (a kern::OutputSink), so results are never held as floats and packed afterwards. SystemC-free.
#pragma once

#include <cstddef>
#include <cstdint>

#include "accel/accel_format.h"
#include "kernels/gemm.h"

namespace trainvp::accel {

// n integer-domain accumulators rounded into fixed-point or int8 containers, for the common case: an
// output of at most 24 bits with round-to-nearest-even or truncation. An integer-domain accumulator is an
// exact double, multiplying it by 2^frac is exact, and that rounded to an integer and clamped to the
// format's range is the raw value num::round_raw() computes on the integer, so the bits equal
// num::encode(kern::round_block()) (test_storage_rounding). Returns false, writing nothing, for any other
// case (the caller rounds through kern::round_block and the codec).
bool round_fixed_to_storage(const kern::MacConfig& cfg, const double* acc, size_t n, const num::Format& fmt,
                            uint8_t* bytes);

// Writes the rounded outputs at bytes + offset * container_bytes(fmt).
class StorageSink final : public kern::OutputSink {
  public:
    explicit StorageSink(TensorCodec& codec) : codec_(codec) {}
    void bind(uint8_t* bytes) { bytes_ = bytes; }

    void round_block(const kern::MacConfig& cfg, size_t M, size_t N, const double* acc, size_t lda,
                     size_t offset, size_t ldo, const num::Format& fmt, const num::SrKey& key,
                     uint64_t index_base) override;

  private:
    TensorCodec& codec_;
    uint8_t* bytes_ = nullptr;
    Staging scratch_;
};

}  // namespace trainvp::accel
