#include "accel/compute_timing.h"

#include <vector>

#include "accel/scalesim_timing.h"

namespace trainvp::accel {

namespace {

timing::BufferPort port_of(const SramConfig& s) {
    return timing::BufferPort{s.banks, s.word_bytes, s.ports};
}

}  // namespace

const char* stall_name(Stall s) {
    switch (s) {
        case Stall::fill_drain:
            return "fill_drain";
        case Stall::overhead:
            return "overhead";
        case Stall::buffer_bandwidth:
            return "buffer_bandwidth";
        case Stall::bank_conflict:
            return "bank_conflict";
        case Stall::dma:
        case Stall::count:
            break;
    }
    return "dma";
}

ComputeTimer::ComputeTimer(const AcceleratorConfig& cfg) : cfg_(cfg) {
    array_.rows = cfg.rows;
    array_.cols = cfg.cols;
    array_.dataflow = cfg.dataflow;
    array_.validate();
    cfg.timing.validate();
}

ComputeEstimate ComputeTimer::convert(const timing::GemmTiming& t) const {
    ComputeEstimate e;
    e.cycles = t.total_cycles;
    e.mac_cycles = t.stream_cycles;
    e.stalls[static_cast<int>(Stall::fill_drain)] = t.fill_drain_cycles;
    e.stalls[static_cast<int>(Stall::overhead)] = t.overhead_cycles;
    using R = timing::StallReason;
    e.stalls[static_cast<int>(Stall::buffer_bandwidth)] =
        t.stall(R::a_bandwidth) + t.stall(R::b_bandwidth) + t.stall(R::c_bandwidth);
    e.stalls[static_cast<int>(Stall::bank_conflict)] =
        t.stall(R::a_bank_conflict) + t.stall(R::b_bank_conflict) + t.stall(R::c_bank_conflict);
    e.a_read_bytes = t.a_read_bytes;
    e.b_read_bytes = t.b_read_bytes;
    e.c_read_bytes = t.c_read_bytes;
    e.c_write_bytes = t.c_write_bytes;
    return e;
}

ComputeEstimate ComputeTimer::gemm(uint64_t M, uint64_t N, uint64_t K, uint32_t a_bytes, uint32_t b_bytes,
                                   uint32_t c_bytes, const GemmRoles& roles, const timing::PeRate& rate) {
    if (M == 0 || N == 0 || K == 0) return {};
    const Key key{M, N, K, a_bytes, b_bytes, c_bytes, roles.a, roles.b, roles.c, rate.products, rate.cycles};
    if (auto it = gemm_cache_.find(key); it != gemm_cache_.end()) return it->second;
    timing::GemmShape s;
    s.m = M, s.n = N, s.k = K;
    s.a_bytes = a_bytes, s.b_bytes = b_bytes, s.c_bytes = c_bytes;
    s.products_per_cycle = rate.products, s.cycles_per_product = rate.cycles;
    timing::BufferBandwidth bw;
    bw.a = port_of(*roles.a), bw.b = port_of(*roles.b), bw.c = port_of(*roles.c);
    timing::GemmTiming t;
    if (cfg_.timing_model == TimingModel::scalesim) {
        // SCALE-Sim v2's compute cycles and nothing else (ideal bandwidth, no overheads); the buffer traffic
        // is the native model's, as the same data moves.
        const timing::GemmTiming native = timing::analytic_gemm(s, array_, cfg_.timing, bw);
        t = timing::scalesim::gemm_timing(s, array_);
        t.a_read_bytes = native.a_read_bytes, t.b_read_bytes = native.b_read_bytes;
        t.c_read_bytes = native.c_read_bytes, t.c_write_bytes = native.c_write_bytes;
    } else if (cfg_.fidelity == Fidelity::cycle) {
        // The cycle-stepped array: cycle counts do not depend on the values, so it runs on zeros.
        std::vector<double> a(M * K, 0.0), b(K * N, 0.0), c(M * N, 0.0);
        t = timing::cycle_gemm(s, array_, cfg_.timing, bw, kern::MacConfig{}, a.data(), b.data(), c.data());
    } else {
        t = timing::analytic_gemm(s, array_, cfg_.timing, bw);
    }
    return gemm_cache_[key] = convert(t);
}

ComputeEstimate ComputeTimer::vector(uint64_t ops, uint64_t read_bytes, uint64_t write_bytes,
                                     const SramConfig& src, const SramConfig& dst) {
    const VectorKey key{ops, read_bytes, write_bytes, &src, &dst};
    if (auto it = vector_cache_.find(key); it != vector_cache_.end()) return it->second;
    timing::BufferBandwidth bw;
    bw.a = bw.b = port_of(src);
    bw.c = port_of(dst);
    timing::VectorOp op;
    op.ops = ops, op.read_bytes = read_bytes, op.write_bytes = write_bytes;
    return vector_cache_[key] = convert(timing::vector_timing(op, array_, cfg_.timing, bw));
}

}  // namespace trainvp::accel
