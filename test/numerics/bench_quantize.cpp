// Throughput of quantize_array per format and rounding mode (prints figures; not a test: nothing timed is
// asserted). Usage: bench_numerics_quantize [elements] [repeats]
#include <chrono>
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
    return 0;
}
