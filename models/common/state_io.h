// Binary state images for checkpoints (docs/user-guide.md "Checkpoints and resuming"): a model saves its
// architectural state and statistics into a StateWriter and restores them from a StateReader, in an order
// the model defines, little-endian. A reader that runs out of bytes, or a count that cannot fit in what is
// left, throws StateError naming what it was reading, so a damaged image is refused and never half-applied
// garbage. SystemC-free and header-only: the ISS core and the kernels use it too.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "common/error.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "state images are written as little-endian host memory"
#endif

namespace trainvp {

struct StateError : UserError {
    using UserError::UserError;
};

class StateWriter {
  public:
    StateWriter() : buf_(&own_) {}
    // Writes into `out`, replacing its contents but keeping its capacity (a buffer reused save after save).
    explicit StateWriter(std::vector<uint8_t>& out) : buf_(&out) { out.clear(); }
    StateWriter(const StateWriter&) = delete;
    StateWriter& operator=(const StateWriter&) = delete;

    void u8(uint8_t v) { raw(&v, 1); }
    void boolean(bool v) { u8(v ? 1 : 0); }
    void u32(uint32_t v) { raw(&v, 4); }
    void u64(uint64_t v) { raw(&v, 8); }
    void f64(double v) { raw(&v, 8); }
    void bytes(const void* data, size_t n) { raw(data, n); }
    void str(const std::string& s) {
        u64(s.size());
        raw(s.data(), s.size());
    }
    template <typename T>
    void vec(const std::vector<T>& v) {
        static_assert(std::is_trivially_copyable<T>::value, "raw element copy");
        u64(v.size());
        raw(v.data(), v.size() * sizeof(T));
    }
    void reserve(size_t n) { buf_->reserve(buf_->size() + n); }

    const std::vector<uint8_t>& data() const { return *buf_; }
    std::vector<uint8_t>& data() { return *buf_; }
    size_t size() const { return buf_->size(); }

  private:
    void raw(const void* p, size_t n) {
        const auto* b = static_cast<const uint8_t*>(p);
        buf_->insert(buf_->end(), b, b + n);
    }
    std::vector<uint8_t> own_;
    std::vector<uint8_t>* buf_;
};

class StateReader {
  public:
    // `what` names the image in messages ("section 'cpu'").
    StateReader(const uint8_t* data, size_t size, std::string what)
        : p_(data), size_(size), what_(std::move(what)) {}
    explicit StateReader(const std::vector<uint8_t>& v, std::string what)
        : StateReader(v.data(), v.size(), std::move(what)) {}

    uint8_t u8() {
        uint8_t v;
        raw(&v, 1);
        return v;
    }
    bool boolean() {
        const uint8_t v = u8();
        if (v > 1) fail("a flag holds " + std::to_string(v));
        return v != 0;
    }
    uint32_t u32() {
        uint32_t v;
        raw(&v, 4);
        return v;
    }
    uint64_t u64() {
        uint64_t v;
        raw(&v, 8);
        return v;
    }
    double f64() {
        double v;
        raw(&v, 8);
        return v;
    }
    void bytes(void* dst, size_t n) { raw(dst, n); }
    // A pointer to the next n bytes, which are consumed.
    const uint8_t* view(size_t n) {
        need(n);
        const uint8_t* p = p_ + pos_;
        pos_ += n;
        return p;
    }
    std::string str() {
        const size_t n = count(1);
        const uint8_t* p = view(n);
        return std::string(reinterpret_cast<const char*>(p), n);
    }
    template <typename T>
    std::vector<T> vec() {
        static_assert(std::is_trivially_copyable<T>::value, "raw element copy");
        const size_t n = count(sizeof(T));
        std::vector<T> v(n);
        raw(v.data(), n * sizeof(T));
        return v;
    }
    // Like vec() but the element count must be `expected` (a tensor of a known shape).
    template <typename T>
    void vec_into(std::vector<T>& v, size_t expected, const std::string& name) {
        const size_t n = count(sizeof(T));
        if (n != expected)
            fail(name + " holds " + std::to_string(n) + " values, expected " + std::to_string(expected));
        v.resize(n);
        raw(v.data(), n * sizeof(T));
    }
    // A count of elements of `element_bytes` each that must fit in what is left of the image.
    size_t count(size_t element_bytes) {
        const uint64_t n = u64();
        if (element_bytes && n > remaining() / element_bytes)
            fail("a count of " + std::to_string(n) + " runs past the end");
        return static_cast<size_t>(n);
    }

    size_t remaining() const { return size_ - pos_; }
    size_t position() const { return pos_; }
    // Every byte must have been read: a longer image was written by something else.
    void expect_end() const {
        if (pos_ != size_)
            fail("has " + std::to_string(size_ - pos_) + " bytes left over after byte " +
                 std::to_string(pos_));
    }
    [[noreturn]] void fail(const std::string& why) const { throw StateError(what_ + ": " + why); }
    // What the image is, as given to the constructor (for the messages of a reader over part of it).
    const std::string& what() const { return what_; }

  private:
    void need(size_t n) const {
        if (n > size_ - pos_)
            fail("ends at byte " + std::to_string(size_) + ", " + std::to_string(n) +
                 " more needed at byte " + std::to_string(pos_));
    }
    void raw(void* dst, size_t n) {
        need(n);
        if (n) std::memcpy(dst, p_ + pos_, n);
        pos_ += n;
    }

    const uint8_t* p_;
    size_t size_;
    size_t pos_ = 0;
    std::string what_;
};

// A 64-bit hash of a byte string (FNV-1a over 8-byte words with a shift-xor so high bits reach low ones),
// for checksums and identities: fast enough for the datasets (gigabytes per second), not cryptographic.
// Fed in pieces it gives the same value as over their concatenation.
class Hash64 {
  public:
    static constexpr uint64_t kOffset = 0xcbf29ce484222325ull;
    explicit Hash64(uint64_t seed = kOffset) : h_(seed) {}

    void update(const void* data, size_t n) {
        const auto* p = static_cast<const uint8_t*>(data);
        len_ += n;
        if (tail_n_) {
            const size_t take = std::min(n, 8 - tail_n_);
            std::memcpy(tail_ + tail_n_, p, take);
            tail_n_ += take;
            p += take;
            n -= take;
            if (tail_n_ < 8) return;
            word(tail_);
            tail_n_ = 0;
        }
        for (; n >= 8; n -= 8, p += 8) word(p);
        std::memcpy(tail_, p, n);
        tail_n_ = n;
    }
    uint64_t digest() const {
        uint64_t h = h_;
        for (size_t i = 0; i < tail_n_; ++i) h = (h ^ tail_[i]) * kPrime;
        h ^= len_;
        h *= 0xff51afd7ed558ccdull;
        return h ^ (h >> 33);
    }

  private:
    static constexpr uint64_t kPrime = 0x100000001b3ull;
    void word(const uint8_t* p) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        h_ = (h_ ^ w) * kPrime;
        h_ ^= h_ >> 29;
    }
    uint64_t h_;
    uint64_t len_ = 0;
    uint8_t tail_[8] = {};
    size_t tail_n_ = 0;
};

inline uint64_t hash64(const void* data, size_t n, uint64_t seed = Hash64::kOffset) {
    Hash64 h(seed);
    h.update(data, n);
    return h.digest();
}

}  // namespace trainvp
