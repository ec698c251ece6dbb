// Shared by the sparse engine's tests: random samples, and a stimulus that drives the engine through the
// accelerator's ring (SPARSE_CONFIG, SPARSE_TRAIN) on an AccelBench.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "accel/sparse_engine.h"
#include "accel_bench.h"

namespace trainvp::test {

struct Samples {
    std::vector<uint8_t> x, labels;
    uint32_t bytes = 0;
};

inline Samples random_samples(uint32_t n, uint32_t bytes, uint32_t classes, uint32_t seed) {
    std::mt19937 rng(seed);
    Samples s;
    s.bytes = bytes;
    s.x.resize(uint64_t{n} * bytes);
    s.labels.resize(n);
    for (auto& v : s.x) v = static_cast<uint8_t>(rng() & 0xff);
    for (auto& l : s.labels) l = static_cast<uint8_t>(rng() % classes);
    return s;
}

struct SparseBench {
    AccelBench& b;
    uint32_t x = 0, labels = 0, aux = 0, params = 0, preds = 0;

    uint32_t configure(const sparse::SparseNetConfig& c) {
        const accel_sparse_config rec = accel::sparse_config_record(c);
        accel_desc d{};
        d.opcode = ACCEL_OP_SPARSE_CONFIG;
        d.addr_aux = b.put_bytes(&rec, sizeof rec);
        return b.submit(d);
    }
    void load(const Samples& s) {
        x = b.put_bytes(s.x.data(), s.x.size());
        labels = b.put_bytes(s.labels.data(), s.labels.size());
        aux = b.alloc(sizeof(accel_sparse_result));
        params = b.alloc(1u << 20);
        preds = b.alloc(uint64_t{s.labels.size()} * 4);
    }
    accel_desc train_desc(const Samples& s, uint32_t first, uint32_t n, uint32_t etapos) {
        accel_desc d{};
        d.opcode = ACCEL_OP_SPARSE_TRAIN;
        d.batch = n;
        d.fc_in = s.bytes;
        d.addr_x = x + first * s.bytes;
        d.addr_labels = labels + first;
        d.count = etapos;
        d.addr_aux = aux;
        d.addr_w = params;
        return d;
    }
    accel_sparse_result result() {
        accel_sparse_result r;
        b.mem.read(aux - kDram, &r, sizeof r);
        return r;
    }
    std::vector<int32_t> parameters(size_t n) {
        std::vector<int32_t> p(n);
        b.mem.read(params - kDram, p.data(), n * 4);
        return p;
    }
};

}  // namespace trainvp::test
