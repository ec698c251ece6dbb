#include "accel/tile_plan.h"

#include <algorithm>

namespace trainvp::accel {

namespace {

constexpr uint64_t kAccBytes = 8;  // a partial sum held between reduction tiles (wide accumulator word)
constexpr int W = static_cast<int>(BufferId::weight);
constexpr int A = static_cast<int>(BufferId::activation);
constexpr int G = static_cast<int>(BufferId::gradient);

struct Caps {
    uint64_t b[3];
};

Caps usable(const AcceleratorConfig& cfg) {
    const uint64_t div = cfg.double_buffering ? 2 : 1;  // ping-pong halves
    return Caps{{cfg.weight_buffer.capacity_bytes / div, cfg.activation_buffer.capacity_bytes / div,
                 cfg.gradient_buffer.capacity_bytes / div}};
}

const SramConfig& sram(const AcceleratorConfig& cfg, int b) {
    return b == W ? cfg.weight_buffer : b == A ? cfg.activation_buffer : cfg.gradient_buffer;
}

// A tile's GEMM with A in buffer a_buf, B in b_buf and the accumulators in c_buf.
void add_gemm(const AcceleratorConfig& cfg, ComputeTimer& timer, Tile& t, uint64_t M, uint64_t N, uint64_t K,
              int a_buf, uint64_t a_bytes, int b_buf, uint64_t b_bytes, int c_buf) {
    t.compute = timer.gemm(M, N, K, static_cast<uint32_t>(a_bytes), static_cast<uint32_t>(b_bytes), kAccBytes,
                           GemmRoles{&sram(cfg, a_buf), &sram(cfg, b_buf), &sram(cfg, c_buf)});
    t.macs = M * N * K;
    t.array_read[a_buf] += t.compute.a_read_bytes;
    t.array_read[b_buf] += t.compute.b_read_bytes;
    t.array_read[c_buf] += t.compute.c_read_bytes;
    t.array_write[c_buf] += t.compute.c_write_bytes;
}

void finish(TilePlan& plan) {
    for (const Tile& t : plan.tiles) {
        plan.macs += t.macs;
        plan.dram_read += t.dram_read;
        plan.dram_write += t.dram_write;
    }
}

void read_into(Tile& t, int buf, uint64_t bytes) {
    t.dram_read += bytes;
    t.fill[buf] += bytes;
}

void write_from(Tile& t, int buf, uint64_t bytes) {
    t.dram_write += bytes;
    t.drain[buf] += bytes;
}

// Candidate sizes of a split dimension: d, ceil(d/2), ceil(d/4), ..., 1.
std::vector<uint64_t> chunks(uint64_t d) {
    std::vector<uint64_t> out;
    for (uint64_t c = d;; c = (c + 1) / 2) {
        out.push_back(c);
        if (c == 1) break;
    }
    return out;
}

// Conv and FC phases (FC as a 1x1 convolution of a 1x1 image). Tiles are (samples nb) x (channels tc) x
// (reduction chunk): forward and weight gradient split the input channels (cc), backward-data the output
// channels (oc). A split reduction keeps partial sums in the output's buffer at accumulator width.
struct GemmSplit {
    uint64_t tc = 0, nb = 0, red = 0;  // channels per tile, samples per tile, reduction chunk
};

// The largest tile that fits the buffers; nb == 0 when none does.
GemmSplit choose_gemm_split(const DecodedOp& op, const AcceleratorConfig& cfg) {
    const Caps cap = usable(cfg);
    const kern::Conv2dShape& s = op.conv;
    const uint64_t N = op.batch, Co = s.out_channels, Ci = s.in_channels, kk = uint64_t{s.kernel} * s.kernel;
    const uint64_t P = uint64_t{s.out_rows()} * s.out_cols(), plane = uint64_t{s.in_rows} * s.in_cols;
    const uint64_t bias = op.has_bias ? 1 : 0;
    const int phase = (op.desc.opcode - ACCEL_OP_CONV_FWD) % 3;
    auto eb = [&](Opnd o) { return uint64_t{op.op(o).elem_bytes}; };
    const uint64_t wB = eb(Opnd::w);
    GemmSplit sp;
    if (phase == 0) {
        const uint64_t xB = eb(Opnd::x), yB = eb(Opnd::y);
        for (uint64_t cc : chunks(Ci)) {
            const uint64_t ob = cc == Ci ? yB : kAccBytes, xin = cc * plane * xB;
            const uint64_t t = std::min(
                {Co, cap.b[W] / ((cc * kk + bias) * wB), cap.b[A] > xin ? (cap.b[A] - xin) / (P * ob) : 0});
            if (!t) continue;
            sp.tc = t, sp.red = cc, sp.nb = std::min(N, cap.b[A] / (xin + t * P * ob));
            break;
        }
    } else if (phase == 1) {
        const uint64_t gB = eb(Opnd::g), dxB = eb(Opnd::dx);
        for (uint64_t oc : chunks(Co)) {
            const uint64_t ob = oc == Co ? dxB : kAccBytes, gin = oc * P * gB;
            const uint64_t t = std::min(
                {Ci, cap.b[W] / (oc * kk * wB), cap.b[G] > gin ? (cap.b[G] - gin) / (plane * ob) : 0});
            if (!t) continue;
            sp.tc = t, sp.red = oc, sp.nb = std::min(N, cap.b[G] / (gin + t * plane * ob));
            break;
        }
    } else {
        const uint64_t gB = eb(Opnd::g), xB = eb(Opnd::x);
        for (uint64_t cc : chunks(Ci)) {
            const uint64_t acc = (cc * kk + bias) * kAccBytes, xin = cc * plane * xB;
            const uint64_t t = std::min(Co, cap.b[G] / (acc + P * gB));
            if (!t || xin > cap.b[A]) continue;
            sp.tc = t, sp.red = cc,
            sp.nb = std::min({N, (cap.b[G] - t * acc) / (t * P * gB), cap.b[A] / xin});
            break;
        }
    }
    return sp;
}

constexpr const char* kGemmNoFit =
    "one sample, one channel and one reduction chunk of this layer do not fit the buffers";

bool plan_gemm(const DecodedOp& op, const AcceleratorConfig& cfg, ComputeTimer& timer, TilePlan& plan,
               std::string& why) {
    const kern::Conv2dShape& s = op.conv;
    const uint64_t N = op.batch, Co = s.out_channels, Ci = s.in_channels, kk = uint64_t{s.kernel} * s.kernel;
    const uint64_t bias = op.has_bias ? 1 : 0;
    const uint64_t P = uint64_t{s.out_rows()} * s.out_cols(), plane = uint64_t{s.in_rows} * s.in_cols;
    const int phase = (op.desc.opcode - ACCEL_OP_CONV_FWD) % 3;
    auto eb = [&](Opnd o) { return uint64_t{op.op(o).elem_bytes}; };
    const uint64_t wB = eb(Opnd::w);
    const GemmSplit sp = choose_gemm_split(op, cfg);
    const uint64_t tc = sp.tc, nb = sp.nb, red = sp.red;
    if (!nb) {
        why = kGemmNoFit;
        return false;
    }
    const char* ch =
        op.is_fc() ? (phase == 1 ? "inputs" : "outputs") : (phase == 1 ? "in_channels" : "out_channels");
    const char* rd =
        op.is_fc() ? (phase == 1 ? "outputs" : "inputs") : (phase == 1 ? "out_channels" : "in_channels");
    plan.split = "batch " + std::to_string(nb) + " x " + ch + " " + std::to_string(tc) + " x " + rd + " " +
                 std::to_string(red);
    if (phase == 0) {
        const bool w_resident = tc == Co && red == Ci;
        for (uint64_t b0 = 0; b0 < N; b0 += nb)
            for (uint64_t c0 = 0; c0 < Co; c0 += tc)
                for (uint64_t k0 = 0; k0 < Ci; k0 += red) {
                    const uint64_t n = std::min(nb, N - b0), c = std::min(tc, Co - c0),
                                   kc = std::min(red, Ci - k0);
                    Tile t;
                    if (!w_resident || b0 == 0) read_into(t, W, c * (kc * kk + (k0 == 0 ? bias : 0)) * wB);
                    if (c0 == 0 || red < Ci) read_into(t, A, n * kc * plane * eb(Opnd::x));
                    add_gemm(cfg, timer, t, c, n * P, kc * kk, W, wB, A, eb(Opnd::x), A);
                    if (k0 + kc == Ci) write_from(t, A, n * c * P * eb(Opnd::y));
                    plan.tiles.push_back(t);
                }
    } else if (phase == 1) {
        const bool w_resident = tc == Ci && red == Co;
        for (uint64_t b0 = 0; b0 < N; b0 += nb)
            for (uint64_t c0 = 0; c0 < Ci; c0 += tc)
                for (uint64_t o0 = 0; o0 < Co; o0 += red) {
                    const uint64_t n = std::min(nb, N - b0), c = std::min(tc, Ci - c0),
                                   oc = std::min(red, Co - o0);
                    Tile t;
                    if (!w_resident || b0 == 0) read_into(t, W, oc * c * kk * wB);
                    if (c0 == 0 || red < Co) read_into(t, G, n * oc * P * eb(Opnd::g));
                    add_gemm(cfg, timer, t, c * kk, n * P, oc, W, wB, G, eb(Opnd::g), G);
                    if (o0 + oc == Co) write_from(t, G, n * c * plane * eb(Opnd::dx));
                    plan.tiles.push_back(t);
                }
    } else {
        const bool x_resident = nb == N && red == Ci;
        for (uint64_t c0 = 0; c0 < Co; c0 += tc)
            for (uint64_t k0 = 0; k0 < Ci; k0 += red)
                for (uint64_t b0 = 0; b0 < N; b0 += nb) {
                    const uint64_t n = std::min(nb, N - b0), c = std::min(tc, Co - c0),
                                   kc = std::min(red, Ci - k0);
                    Tile t;
                    if (k0 == 0 || nb < N) read_into(t, G, n * c * P * eb(Opnd::g));
                    if (!x_resident || c0 == 0) read_into(t, A, n * kc * plane * eb(Opnd::x));
                    add_gemm(cfg, timer, t, c, kc * kk, n * P, G, eb(Opnd::g), A, eb(Opnd::x), G);
                    if (b0 + n == N) write_from(t, G, c * (kc * kk + (k0 == 0 ? bias : 0)) * eb(Opnd::dw));
                    plan.tiles.push_back(t);
                }
    }
    finish(plan);
    return true;
}

// Element-wise, pooling and loss descriptors stream `units` independent units (elements, image planes,
// samples); every operand scales with the unit count.
struct StreamShape {
    uint64_t units = 0, elems_per_unit = 1, ops = 1;
};

StreamShape stream_shape(const DecodedOp& op) {
    const uint32_t opc = op.desc.opcode;
    StreamShape sh{op.count, 1, 1};
    if (opc >= ACCEL_OP_MAXPOOL_FWD && opc <= ACCEL_OP_AVGPOOL_BWD) {
        sh.units = uint64_t{op.batch} * op.pool.channels;
        sh.elems_per_unit = uint64_t{op.pool.out_rows()} * op.pool.out_cols();
        sh.ops = uint64_t{op.pool.size} * op.pool.size;
    } else if (opc == ACCEL_OP_SOFTMAX_XENT) {
        sh.units = op.batch;
        sh.elems_per_unit = op.classes;
        sh.ops = 4;  // max, exp, sum, normalise
    } else if (opc == ACCEL_OP_SGD_UPDATE) {
        sh.ops = 4;
    }
    return sh;
}

// Units per tile: as many as every buffer holds; 0 when not even one fits.
uint64_t choose_stream_chunk(const DecodedOp& op, const AcceleratorConfig& cfg, uint64_t units) {
    const Caps cap = usable(cfg);
    uint64_t per_unit[3] = {};
    for (const Operand& o : op.operands) {
        if (!o.used || (op.desc.opcode == ACCEL_OP_SOFTMAX_XENT && &o == &op.op(Opnd::aux))) continue;
        per_unit[static_cast<int>(o.buffer)] += o.bytes() / units;
    }
    uint64_t chunk = units;
    for (int b = 0; b < 3; ++b)
        if (per_unit[b]) chunk = std::min(chunk, cap.b[b] / per_unit[b]);
    return chunk;
}

constexpr const char* kStreamNoFit = "one unit of this operation does not fit the buffers";

bool plan_stream(const DecodedOp& op, const AcceleratorConfig& cfg, ComputeTimer& timer, TilePlan& plan,
                 std::string& why) {
    const uint32_t opc = op.desc.opcode;
    const StreamShape sh = stream_shape(op);
    const uint64_t units = sh.units, elems_per_unit = sh.elems_per_unit, ops = sh.ops;
    const uint64_t chunk = choose_stream_chunk(op, cfg, units);
    if (!chunk) {
        why = kStreamNoFit;
        return false;
    }
    plan.split = "units " + std::to_string(chunk);
    for (uint64_t u0 = 0; u0 < units; u0 += chunk) {
        const uint64_t u = std::min(chunk, units - u0);
        Tile t;
        uint64_t read_bytes = 0, write_bytes = 0;
        int src = -1, dst = -1;
        for (const Operand& o : op.operands) {
            if (!o.used) continue;
            const int b = static_cast<int>(o.buffer);
            if (opc == ACCEL_OP_SOFTMAX_XENT && &o == &op.op(Opnd::aux)) {
                if (u0 + u == units) write_from(t, b, o.bytes());
                continue;
            }
            const uint64_t bytes = o.bytes() / units * u;
            if (o.read) {
                read_into(t, b, bytes);
                t.array_read[b] += bytes;
                read_bytes += bytes;
                if (src < 0) src = b;
            }
            if (o.write) {
                write_from(t, b, bytes);
                t.array_write[b] += bytes;
                write_bytes += bytes;
                if (dst < 0) dst = b;
            }
        }
        if (src < 0) src = A;
        if (dst < 0) dst = src;
        t.compute =
            timer.vector(u * elems_per_unit * ops, read_bytes, write_bytes, sram(cfg, src), sram(cfg, dst));
        plan.tiles.push_back(t);
    }
    finish(plan);
    return true;
}

}  // namespace

bool tiles_fit(const DecodedOp& op, const AcceleratorConfig& cfg, std::string& why) {
    if (op.desc.opcode == ACCEL_OP_NOP) return true;
    if (op.is_gemm()) {
        if (choose_gemm_split(op, cfg).nb) return true;
        why = kGemmNoFit;
        return false;
    }
    if (choose_stream_chunk(op, cfg, stream_shape(op).units)) return true;
    why = kStreamNoFit;
    return false;
}

bool plan_tiles(const DecodedOp& op, const AcceleratorConfig& cfg, ComputeTimer& timer, TilePlan& plan,
                std::string& why) {
    plan = TilePlan{};
    if (op.desc.opcode == ACCEL_OP_NOP) return true;
    return op.is_gemm() ? plan_gemm(op, cfg, timer, plan, why) : plan_stream(op, cfg, timer, plan, why);
}

}  // namespace trainvp::accel
