// Throughput of quantize_array per format and rounding mode, and of encoding into the 8- and 16-bit floating
// kinds (prints figures; not a test: nothing timed is asserted). Usage: bench_numerics_quantize [elements]
// [repeats]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "numerics/format.h"

int main(int argc, char** argv) {
    const size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : size_t{1} << 20;
    const int repeats = argc > 2 ? std::atoi(argv[2]) : 50;
    std::mt19937 rng(1);
    std::normal_distribution<float> dist(0.0f, 2.0f);
    std::vector<float> src(n);
    for (float& v : src) v = dist(rng);
    std::vector<float> buf(n);
    const char* formats[] = {"fx16.12", "fx16.12:rtz", "fx16.12:rhu", "fx16.12:sr", "fx8.4",
                             "int8@-5", "fx32.16",     "fp16",        "fp16:sr",    "bf16",
                             "bf16:sr", "fp8e4m3",     "fp8e5m2",     "fp8e4m3:sr"};
    for (const char* text : formats) {
        const trainvp::num::Format fmt = trainvp::num::Format::parse(text);
        double best = 1e30;
        for (int r = 0; r < repeats; ++r) {
            buf = src;
            const auto t0 = std::chrono::steady_clock::now();
            trainvp::num::quantize_array(buf.data(), n, fmt, trainvp::num::SrKey{7, 1, 2});
            const auto t1 = std::chrono::steady_clock::now();
            const double s = std::chrono::duration<double>(t1 - t0).count();
            if (s < best) best = s;
        }
        std::printf("%-12s %8.1f M elements/s\n", text, n / best / 1e6);
    }
    // encode() element by element, and encode_fp8_array (the accelerator's tensor packing).
    std::vector<uint8_t> bytes(n);
    for (const char* text : {"fp16", "fp8e4m3", "fp8e5m2", "fp8e4m3:rtz"}) {
        const trainvp::num::Format fmt = trainvp::num::Format::parse(text);
        const bool fp8 = fmt.storage_bits() == 8;
        double best_one = 1e30, best_array = 1e30;
        uint32_t sink = 0;
        for (int r = 0; r < repeats; ++r) {
            const auto t0 = std::chrono::steady_clock::now();
            for (size_t i = 0; i < n; ++i) sink += trainvp::num::encode(src[i], fmt);
            const auto t1 = std::chrono::steady_clock::now();
            if (fp8) trainvp::num::encode_fp8_array(src.data(), n, fmt, bytes.data());
            const auto t2 = std::chrono::steady_clock::now();
            best_one = std::min(best_one, std::chrono::duration<double>(t1 - t0).count());
            best_array = std::min(best_array, std::chrono::duration<double>(t2 - t1).count());
        }
        std::printf("encode %-12s %8.1f M elements/s", text, n / best_one / 1e6);
        if (fp8) std::printf(", encode_fp8_array %8.1f M elements/s", n / best_array / 1e6);
        std::printf(" (checksum %u)\n", sink + bytes[n / 2]);
    }
    return 0;
}
