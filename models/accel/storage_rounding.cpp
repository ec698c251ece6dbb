#include "accel/storage_rounding.h"

#include <cmath>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace trainvp::accel {

namespace {

template <typename Container, bool Nearest>
void round_fixed(const double* acc, size_t n, double scale, double lo, double hi, uint32_t mask,
                 Container* out) {
    size_t i = 0;
#if defined(__AVX2__)
    const __m256d vs = _mm256_set1_pd(scale), vlo = _mm256_set1_pd(lo), vhi = _mm256_set1_pd(hi);
    constexpr int kMode = (Nearest ? _MM_FROUND_TO_NEAREST_INT : _MM_FROUND_TO_ZERO) | _MM_FROUND_NO_EXC;
    for (; i + 4 <= n; i += 4) {
        __m256d v = _mm256_round_pd(_mm256_mul_pd(_mm256_loadu_pd(acc + i), vs), kMode);
        v = _mm256_min_pd(_mm256_max_pd(v, vlo), vhi);
        alignas(16) int32_t q[4];
        _mm_store_si128(reinterpret_cast<__m128i*>(q), _mm256_cvttpd_epi32(v));
        for (int j = 0; j < 4; ++j) out[i + j] = static_cast<Container>(static_cast<uint32_t>(q[j]) & mask);
    }
#endif
    for (; i < n; ++i) {
        double v = acc[i] * scale;
        v = Nearest ? std::nearbyint(v) : std::trunc(v);
        v = v < lo ? lo : (v > hi ? hi : v);
        out[i] = static_cast<Container>(static_cast<uint32_t>(static_cast<int32_t>(v)) & mask);
    }
}

template <typename Container>
void round_fixed(const double* acc, size_t n, double scale, double lo, double hi, uint32_t mask, bool nearest,
                 uint8_t* bytes) {
    // Containers of a buffer slot need not be aligned; the host is little-endian.
    Container* out = reinterpret_cast<Container*>(bytes);
    if (nearest)
        round_fixed<Container, true>(acc, n, scale, lo, hi, mask, out);
    else
        round_fixed<Container, false>(acc, n, scale, lo, hi, mask, out);
}

}  // namespace

bool round_fixed_to_storage(const kern::MacConfig& cfg, const double* acc, size_t n, const num::Format& fmt,
                            uint8_t* bytes) {
    if (cfg.domain != kern::AccDomain::integer) return false;
    const bool fixed = fmt.kind == num::FormatKind::fixed, int8 = fmt.kind == num::FormatKind::int8;
    if (!(fixed && fmt.total_bits <= 24) && !int8) return false;
    if (fmt.rounding != num::Rounding::nearest_even && fmt.rounding != num::Rounding::truncate) return false;
    const int bits = int8 ? 8 : fmt.total_bits;
    const int frac = int8 ? -fmt.scale_exp : fmt.frac_bits;
    const double scale = std::ldexp(1.0, frac);
    const double lo = -std::ldexp(1.0, bits - 1), hi = std::ldexp(1.0, bits - 1) - 1.0;
    const uint32_t mask = (1u << bits) - 1u;
    const bool nearest = fmt.rounding == num::Rounding::nearest_even;
    switch (container_bytes(fmt)) {
        case 1:
            round_fixed<uint8_t>(acc, n, scale, lo, hi, mask, nearest, bytes);
            break;
        case 2:
            round_fixed<uint16_t>(acc, n, scale, lo, hi, mask, nearest, bytes);
            break;
        default:
            round_fixed<uint32_t>(acc, n, scale, lo, hi, mask, nearest, bytes);
    }
    return true;
}

void StorageSink::round_block(const kern::MacConfig& cfg, size_t M, size_t N, const double* acc, size_t lda,
                              size_t offset, size_t ldo, const num::Format& fmt, const num::SrKey& key,
                              uint64_t index_base) {
    const size_t cb = container_bytes(fmt);
    for (size_t m = 0; m < M; ++m) {
        uint8_t* dst = bytes_ + (offset + m * ldo) * cb;
        const double* row = acc + m * lda;
        if (round_fixed_to_storage(cfg, row, N, fmt, dst)) continue;
        scratch_.resize(N);
        kern::round_block(cfg, 1, N, row, 0, scratch_.data(), 0, fmt, key, index_base + m * ldo, nullptr);
        codec_.pack(scratch_.data(), N, fmt, dst);
    }
}

}  // namespace trainvp::accel
