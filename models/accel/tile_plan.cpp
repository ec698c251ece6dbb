#include "accel/tile_plan.h"

#include <algorithm>
#include <array>

#include "accel/gemm_mapping.h"

namespace trainvp::accel {

namespace {

constexpr int W = static_cast<int>(BufferId::weight);
constexpr int A = static_cast<int>(BufferId::activation);
constexpr int G = static_cast<int>(BufferId::gradient);
constexpr uint64_t kLossRecordBytes = sizeof(accel_loss_result);

int slot_of(Opnd o) {
    return static_cast<int>(o);
}

uint64_t usable(const AcceleratorConfig& cfg, int b) {
    const uint64_t div = cfg.double_buffering ? 2 : 1;  // ping-pong halves
    const SramConfig& s = b == W ? cfg.weight_buffer : b == A ? cfg.activation_buffer : cfg.gradient_buffer;
    return s.capacity_bytes / div;
}

const SramConfig& sram(const AcceleratorConfig& cfg, int b) {
    return b == W ? cfg.weight_buffer : b == A ? cfg.activation_buffer : cfg.gradient_buffer;
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

// Builds the tiles and places their operands. Every slot belongs to a layout region (its own, or the region
// of the slot it aliases: outputs overwrite the partial sums they are rounded from). A region has a fixed
// offset in each half of its buffer, sized for its largest use; each time a region receives new contents (a
// load, or a new group of partial sums) it moves to the other half, so the DMA can fill one half while the
// array works on the other, and operands that stay resident across tiles are never overwritten.
//
// Fit only (tiles_fit): the same walk over the tiles, each built in one scratch tile and forgotten, so that
// only the regions' extents and finish()'s check remain: the answer of the full plan without its memory.
enum class PlanMode { full, fit_only };

class PlanBuilder {
  public:
    PlanBuilder(const AcceleratorConfig& cfg, TilePlan& plan, PlanMode mode)
        : cfg_(cfg), plan_(plan), fit_only_(mode == PlanMode::fit_only) {
        for (int i = 0; i < kTileSlots; ++i) region_[i] = i;
    }

    // `slot` lives in `region`'s space, `displacement` bytes from its start.
    void alias(int slot, int region) { region_[slot] = region; }

    Tile& begin() {
        if (fit_only_) {
            scratch_ = Tile{};
            return scratch_;
        }
        plan_.tiles.emplace_back();
        parity_.emplace_back();
        Tile& t = plan_.tiles.back();
        t.index = static_cast<uint32_t>(plan_.tiles.size() - 1);
        return t;
    }

    // The tile uses `bytes` of `slot` in buffer `b`; `fresh`: the region receives new contents in this tile.
    void use(Tile& t, int slot, int b, uint64_t bytes, bool fresh, uint64_t displacement = 0) {
        const int r = region_[slot];
        if (fresh || generation_[r] == 0) ++generation_[r];
        buffer_[r] = b;
        extent_[r] = std::max(extent_[r], displacement + bytes);
        BufferSlot& s = t.slots[slot];
        s.buffer = static_cast<BufferId>(b);
        s.offset = displacement;
        s.bytes = bytes;
        if (fit_only_) return;
        parity_.back()[slot] = cfg_.double_buffering ? static_cast<uint8_t>((generation_[r] - 1) % 2) : 0;
    }

    void load(Tile& t, int slot, Opnd o, uint64_t dram, uint64_t rows, uint64_t row_bytes, uint64_t stride) {
        DmaMove& m = t.loads[t.load_count++];
        fill_move(t, m, slot, o, dram, rows, row_bytes, stride);
        t.dram_read += m.bytes();
        t.fill[static_cast<int>(m.buffer)] += m.bytes();
    }

    void store(Tile& t, int slot, Opnd o, uint64_t dram, uint64_t rows, uint64_t row_bytes, uint64_t stride) {
        DmaMove& m = t.stores[t.store_count++];
        fill_move(t, m, slot, o, dram, rows, row_bytes, stride);
        t.dram_write += m.bytes();
        t.drain[static_cast<int>(m.buffer)] += m.bytes();
    }

    // Assigns every region its offset and checks that the regions of each buffer fit one half.
    bool finish(std::string& why) {
        uint64_t used[kBufferCount] = {}, offset[kTileSlots] = {};
        for (int r = 0; r < kTileSlots; ++r) {
            if (region_[r] != r || extent_[r] == 0) continue;
            offset[r] = used[buffer_[r]];
            used[buffer_[r]] += extent_[r];
        }
        for (int b = 0; b < kBufferCount; ++b)
            if (used[b] > usable(cfg_, b)) {
                why = std::string("the tiles' operands need ") + std::to_string(used[b]) + " bytes of the " +
                      buffer_name(static_cast<BufferId>(b)) + " buffer, " + std::to_string(usable(cfg_, b)) +
                      " usable";
                return false;
            }
        if (fit_only_) return true;
        for (size_t i = 0; i < plan_.tiles.size(); ++i) {
            Tile& t = plan_.tiles[i];
            for (int s = 0; s < kTileSlots; ++s) {
                BufferSlot& slot = t.slots[s];
                if (!slot.bytes) continue;
                const int b = static_cast<int>(slot.buffer);
                slot.offset += parity_[i][s] * usable(cfg_, b) + offset[region_[s]];
                plan_.buffer_bytes[b] = std::max(plan_.buffer_bytes[b], slot.offset + slot.bytes);
            }
            for (uint32_t m = 0; m < t.load_count; ++m)
                t.loads[m].buffer_offset = t.slots[t.loads[m].slot].offset;
            for (uint32_t m = 0; m < t.store_count; ++m)
                t.stores[m].buffer_offset = t.slots[t.stores[m].slot].offset;
            plan_.macs += t.macs;
            plan_.dram_read += t.dram_read;
            plan_.dram_write += t.dram_write;
        }
        return true;
    }

  private:
    void fill_move(const Tile& t, DmaMove& m, int slot, Opnd o, uint64_t dram, uint64_t rows,
                   uint64_t row_bytes, uint64_t stride) const {
        if (rows > 1 && stride == row_bytes) {  // consecutive rows are one run: bursts ignore row boundaries
            row_bytes *= rows;
            stride = row_bytes;
            rows = 1;
        }
        m.operand = o;
        m.dram_address = dram;
        m.rows = static_cast<uint32_t>(rows);
        m.row_bytes = row_bytes;
        m.dram_stride = stride;
        m.buffer = t.slots[slot].buffer;
        m.slot = slot;
    }

    const AcceleratorConfig& cfg_;
    TilePlan& plan_;
    const bool fit_only_;
    Tile scratch_;
    int region_[kTileSlots];
    uint64_t generation_[kTileSlots] = {};
    uint64_t extent_[kTileSlots] = {};
    int buffer_[kTileSlots] = {};
    std::vector<std::array<uint8_t, kTileSlots>> parity_;
};

// Conv and FC phases (FC as a 1x1 convolution of a 1x1 image). Tiles are (samples nb) x (channels tc) x
// (reduction chunk): forward and weight gradient split the input channels (cc), backward-data the output
// channels (oc). A split reduction keeps its partial sums in the output's buffer at accumulator width: the
// outputs' for forward, the GEMM's column matrix (before col2im) for backward-data, so that every sum is
// formed in the kernels' order.
bool plan_gemm(const DecodedOp& op, const AcceleratorConfig& cfg, PlanMode mode, TilePlan& plan,
               std::string& why) {
    const uint64_t capW = usable(cfg, W), capA = usable(cfg, A), capG = usable(cfg, G);
    const kern::Conv2dShape& s = op.conv;
    const uint64_t N = op.batch, Co = s.out_channels, Ci = s.in_channels, kk = uint64_t{s.kernel} * s.kernel;
    const uint64_t P = uint64_t{s.out_rows()} * s.out_cols(), plane = uint64_t{s.in_rows} * s.in_cols;
    const uint64_t bias = op.has_bias ? 1 : 0;
    const int phase = (op.desc.opcode - ACCEL_OP_CONV_FWD) % 3;
    auto eb = [&](Opnd o) { return uint64_t{op.op(o).elem_bytes}; };
    const uint64_t wB = eb(Opnd::w);
    uint64_t tc = 0, nb = 0, red = 0;  // channels per tile, samples per tile, reduction chunk
    if (phase == 0) {
        const uint64_t xB = eb(Opnd::x), yB = eb(Opnd::y);
        for (uint64_t cc : chunks(Ci)) {
            const uint64_t ob = cc == Ci ? yB : kAccBytes, xin = cc * plane * xB;
            const uint64_t t =
                std::min({Co, capW / ((cc * kk + bias) * wB), capA > xin ? (capA - xin) / (P * ob) : 0});
            if (!t) continue;
            tc = t, red = cc, nb = std::min(N, capA / (xin + t * P * ob));
            break;
        }
    } else if (phase == 1) {
        const uint64_t gB = eb(Opnd::g), dxB = eb(Opnd::dx);
        for (uint64_t oc : chunks(Co)) {
            const uint64_t out = oc == Co ? plane * dxB : kk * P * kAccBytes, gin = oc * P * gB;
            const uint64_t t = std::min({Ci, capW / (oc * kk * wB), capG > gin ? (capG - gin) / out : 0});
            if (!t) continue;
            tc = t, red = oc, nb = std::min(N, capG / (gin + t * out));
            break;
        }
    } else {
        const uint64_t gB = eb(Opnd::g), xB = eb(Opnd::x);
        for (uint64_t cc : chunks(Ci)) {
            const uint64_t acc = (cc * kk + bias) * kAccBytes, xin = cc * plane * xB;
            const uint64_t t = std::min(Co, capG / (acc + P * gB));
            if (!t || xin > capA) continue;
            tc = t, red = cc, nb = std::min({N, (capG - t * acc) / (t * P * gB), capA / xin});
            break;
        }
    }
    if (!nb) {
        why = "one sample, one channel and one reduction chunk of this layer do not fit the buffers";
        return false;
    }
    const char* ch =
        op.is_fc() ? (phase == 1 ? "inputs" : "outputs") : (phase == 1 ? "in_channels" : "out_channels");
    const char* rd =
        op.is_fc() ? (phase == 1 ? "outputs" : "inputs") : (phase == 1 ? "out_channels" : "in_channels");
    plan.split = "batch " + std::to_string(nb) + " x " + ch + " " + std::to_string(tc) + " x " + rd + " " +
                 std::to_string(red);
    PlanBuilder pb(cfg, plan, mode);
    auto addr = [&](Opnd o) { return op.op(o).address; };
    const int sx = slot_of(Opnd::x), sw = slot_of(Opnd::w), sb = slot_of(Opnd::b), sy = slot_of(Opnd::y),
              sg = slot_of(Opnd::g), sdx = slot_of(Opnd::dx), sdw = slot_of(Opnd::dw),
              sdb = slot_of(Opnd::db);
    auto coords = [](Tile& t, uint64_t b0, uint64_t n, uint64_t c0, uint64_t c, uint64_t k0, uint64_t kc) {
        t.n0 = b0, t.n = n;
        t.c0 = static_cast<uint32_t>(c0), t.c = static_cast<uint32_t>(c);
        t.k0 = static_cast<uint32_t>(k0), t.kc = static_cast<uint32_t>(kc);
    };
    if (phase == 0) {
        const uint64_t xB = eb(Opnd::x), yB = eb(Opnd::y);
        const bool w_resident = tc == Co && red == Ci, split = red < Ci;
        pb.alias(kAccSlot, sy);
        for (uint64_t b0 = 0; b0 < N; b0 += nb)
            for (uint64_t c0 = 0; c0 < Co; c0 += tc)
                for (uint64_t k0 = 0; k0 < Ci; k0 += red) {
                    const uint64_t n = std::min(nb, N - b0), c = std::min(tc, Co - c0),
                                   kc = std::min(red, Ci - k0);
                    Tile& t = pb.begin();
                    coords(t, b0, n, c0, c, k0, kc);
                    t.first = k0 == 0, t.last = k0 + kc == Ci;
                    const bool wl = !w_resident || b0 == 0;
                    pb.use(t, sw, W, c * kc * kk * wB, wl);
                    if (wl)
                        pb.load(t, sw, Opnd::w, addr(Opnd::w) + (c0 * Ci + k0) * kk * wB, c, kc * kk * wB,
                                Ci * kk * wB);
                    if (bias && k0 == 0) {
                        pb.use(t, sb, W, c * wB, wl);
                        if (wl) pb.load(t, sb, Opnd::b, addr(Opnd::b) + c0 * wB, 1, c * wB, c * wB);
                    }
                    const bool xl = c0 == 0 || split;
                    pb.use(t, sx, A, n * kc * plane * xB, xl);
                    if (xl)
                        pb.load(t, sx, Opnd::x, addr(Opnd::x) + (b0 * Ci + k0) * plane * xB, n,
                                kc * plane * xB, Ci * plane * xB);
                    if (split) pb.use(t, kAccSlot, A, n * c * P * kAccBytes, t.first);
                    if (!t.last) continue;
                    pb.use(t, sy, A, n * c * P * yB, !split);
                    pb.store(t, sy, Opnd::y, addr(Opnd::y) + (b0 * Co + c0) * P * yB, n, c * P * yB,
                             Co * P * yB);
                }
    } else if (phase == 1) {
        const uint64_t gB = eb(Opnd::g), dxB = eb(Opnd::dx);
        const bool w_resident = tc == Ci && red == Co, split = red < Co;
        pb.alias(kAccSlot, sdx);
        for (uint64_t b0 = 0; b0 < N; b0 += nb)
            for (uint64_t c0 = 0; c0 < Ci; c0 += tc)
                for (uint64_t o0 = 0; o0 < Co; o0 += red) {
                    const uint64_t n = std::min(nb, N - b0), c = std::min(tc, Ci - c0),
                                   oc = std::min(red, Co - o0);
                    Tile& t = pb.begin();
                    coords(t, b0, n, c0, c, o0, oc);
                    t.first = o0 == 0, t.last = o0 + oc == Co;
                    const bool wl = !w_resident || b0 == 0;
                    pb.use(t, sw, W, oc * c * kk * wB, wl);
                    if (wl)
                        pb.load(t, sw, Opnd::w, addr(Opnd::w) + (o0 * Ci + c0) * kk * wB, oc, c * kk * wB,
                                Ci * kk * wB);
                    const bool gl = c0 == 0 || split;
                    pb.use(t, sg, G, n * oc * P * gB, gl);
                    if (gl)
                        pb.load(t, sg, Opnd::g, addr(Opnd::g) + (b0 * Co + o0) * P * gB, n, oc * P * gB,
                                Co * P * gB);
                    if (split) pb.use(t, kAccSlot, G, n * c * kk * P * kAccBytes, t.first);
                    if (!t.last) continue;
                    pb.use(t, sdx, G, n * c * plane * dxB, !split);
                    pb.store(t, sdx, Opnd::dx, addr(Opnd::dx) + (b0 * Ci + c0) * plane * dxB, n,
                             c * plane * dxB, Ci * plane * dxB);
                }
    } else {
        const uint64_t gB = eb(Opnd::g), xB = eb(Opnd::x), dwB = eb(Opnd::dw);
        const bool x_resident = nb == N && red == Ci;
        pb.alias(sdw, kAccSlot);
        pb.alias(sdb, kAccSlot);
        for (uint64_t c0 = 0; c0 < Co; c0 += tc)
            for (uint64_t k0 = 0; k0 < Ci; k0 += red)
                for (uint64_t b0 = 0; b0 < N; b0 += nb) {
                    const uint64_t n = std::min(nb, N - b0), c = std::min(tc, Co - c0),
                                   kc = std::min(red, Ci - k0);
                    Tile& t = pb.begin();
                    coords(t, b0, n, c0, c, k0, kc);
                    t.first = b0 == 0, t.last = b0 + n == N;
                    const bool gl = k0 == 0 || nb < N;
                    pb.use(t, sg, G, n * c * P * gB, gl);
                    if (gl)
                        pb.load(t, sg, Opnd::g, addr(Opnd::g) + (b0 * Co + c0) * P * gB, n, c * P * gB,
                                Co * P * gB);
                    const bool xl = !x_resident || c0 == 0;
                    pb.use(t, sx, A, n * kc * plane * xB, xl);
                    if (xl)
                        pb.load(t, sx, Opnd::x, addr(Opnd::x) + (b0 * Ci + k0) * plane * xB, n,
                                kc * plane * xB, Ci * plane * xB);
                    pb.use(t, kAccSlot, G, c * (kc * kk + bias) * kAccBytes, t.first);
                    if (!t.last) continue;
                    const uint64_t dw_bytes = c * kc * kk * dwB;
                    pb.use(t, sdw, G, dw_bytes, false);
                    pb.store(t, sdw, Opnd::dw, addr(Opnd::dw) + (c0 * Ci + k0) * kk * dwB, c, kc * kk * dwB,
                             Ci * kk * dwB);
                    if (bias && k0 == 0) {
                        pb.use(t, sdb, G, c * dwB, false, dw_bytes);
                        pb.store(t, sdb, Opnd::db, addr(Opnd::db) + c0 * dwB, 1, c * dwB, c * dwB);
                    }
                }
    }
    return pb.finish(why);
}

// The independent units an element-wise, pooling or loss descriptor streams: elements, image planes or
// samples; every operand scales with the unit count.
struct StreamUnits {
    uint64_t units = 0, elems_per_unit = 1, ops = 1;
};

StreamUnits stream_units(const DecodedOp& op) {
    const uint32_t opc = op.desc.opcode;
    StreamUnits u;
    u.units = op.count;
    if (opc >= ACCEL_OP_MAXPOOL_FWD && opc <= ACCEL_OP_AVGPOOL_BWD) {
        u.units = uint64_t{op.batch} * op.pool.channels;
        u.elems_per_unit = uint64_t{op.pool.out_rows()} * op.pool.out_cols();
        u.ops = uint64_t{op.pool.size} * op.pool.size;
    } else if (opc == ACCEL_OP_SOFTMAX_XENT) {
        u.units = op.batch;
        u.elems_per_unit = op.classes;
        u.ops = 4;  // max, exp, sum, normalise
    } else if (opc == ACCEL_OP_SGD_UPDATE) {
        u.ops = 4;
    } else if (opc == ACCEL_OP_ADD) {  // an addition per addend after the first
        u.ops =
            1 + ((op.desc.flags & ACCEL_FLAG_ADD_X3) ? 1 : 0) + ((op.desc.flags & ACCEL_FLAG_ADD_X4) ? 1 : 0);
    } else if (opc == ACCEL_OP_GAVGPOOL_FWD || opc == ACCEL_OP_GAVGPOOL_BWD) {
        u.units = uint64_t{op.batch} * op.gpool.channels;  // image planes
        u.elems_per_unit = op.gpool.plane();
    } else if (opc == ACCEL_OP_NORM_FWD || opc == ACCEL_OP_NORM_BWD) {
        // Samples. Forward: a statistics pass (sum, compare for max and min) and the normalising
        // multiply-add; backward: the gamma * g and dgamma / dbeta sums and the input-gradient multiply-add,
        // with the projection two more sums and a multiply-subtract.
        u.units = op.batch;
        u.elems_per_unit = op.norm.size();
        u.ops = opc == ACCEL_OP_NORM_FWD ? 3 : op.norm.projection ? 6 : 4;
    }
    return u;
}

// Operands that do not scale with the units: the loss record, a norm layer's gamma and beta (loaded by the
// first tile and resident after) and its dgamma and dbeta (summed across the tiles in the vector unit and
// stored by the last tile).
bool is_whole(const DecodedOp& op, const Operand& o) {
    const uint32_t opc = op.desc.opcode;
    if (opc == ACCEL_OP_SOFTMAX_XENT) return &o == &op.op(Opnd::aux);
    if (opc == ACCEL_OP_NORM_FWD) return &o == &op.op(Opnd::w) || &o == &op.op(Opnd::b);
    if (opc == ACCEL_OP_NORM_BWD)
        return &o == &op.op(Opnd::w) || &o == &op.op(Opnd::dw) || &o == &op.op(Opnd::db);
    return false;
}

uint64_t whole_bytes(const DecodedOp& op, const Operand& o) {
    return op.desc.opcode == ACCEL_OP_SOFTMAX_XENT ? kLossRecordBytes : o.bytes();
}

bool plan_stream(const DecodedOp& op, const AcceleratorConfig& cfg, PlanMode mode, TilePlan& plan,
                 std::string& why) {
    const StreamUnits su = stream_units(op);
    const uint64_t units = su.units;
    uint64_t cap[kBufferCount];
    for (int b = 0; b < kBufferCount; ++b) cap[b] = usable(cfg, b);
    // Whole operands stay in their buffer for the whole descriptor.
    uint64_t per_unit[kBufferCount] = {};
    for (const Operand& o : op.operands) {
        if (!o.used) continue;
        const int b = static_cast<int>(o.buffer);
        if (is_whole(op, o)) {
            cap[b] = cap[b] > whole_bytes(op, o) ? cap[b] - whole_bytes(op, o) : 0;
            continue;
        }
        per_unit[b] += o.bytes() / units;
    }
    uint64_t chunk = units;
    for (int b = 0; b < kBufferCount; ++b)
        if (per_unit[b]) chunk = std::min(chunk, cap[b] / per_unit[b]);
    if (!chunk) {
        why = "one unit of this operation does not fit the buffers";
        return false;
    }
    plan.split = "units " + std::to_string(chunk);
    PlanBuilder pb(cfg, plan, mode);
    for (uint64_t u0 = 0; u0 < units; u0 += chunk) {
        const uint64_t u = std::min(chunk, units - u0);
        Tile& t = pb.begin();
        t.n0 = u0, t.n = u;
        t.first = u0 == 0, t.last = u0 + u == units;
        for (int i = 0; i < kOperandCount; ++i) {
            const Operand& o = op.operands[i];
            if (!o.used) continue;
            const int b = static_cast<int>(o.buffer);
            const Opnd which = static_cast<Opnd>(i);
            if (is_whole(op, o)) {
                // The loss record is rewritten by every tile; gamma and beta (or their sums) stay put.
                pb.use(t, i, b, whole_bytes(op, o), t.first || op.desc.opcode == ACCEL_OP_SOFTMAX_XENT);
                if (o.read && t.first) pb.load(t, i, which, o.address, 1, o.bytes(), o.bytes());
                if (o.write && t.last) pb.store(t, i, which, o.address, 1, o.bytes(), o.bytes());
                continue;
            }
            const uint64_t unit_bytes = o.bytes() / units, bytes = unit_bytes * u;
            pb.use(t, i, b, bytes, true);
            if (o.read) pb.load(t, i, which, o.address + u0 * unit_bytes, 1, bytes, bytes);
            if (o.write) pb.store(t, i, which, o.address + u0 * unit_bytes, 1, bytes, bytes);
        }
    }
    return pb.finish(why);
}

}  // namespace

TileEstimate estimate_tile(const DecodedOp& op, const Tile& t, const AcceleratorConfig& cfg,
                           ComputeTimer& timer) {
    TileEstimate e;
    if (op.desc.opcode == ACCEL_OP_NOP) return e;
    if (op.is_gemm()) {
        const kern::Conv2dShape& s = op.conv;
        const uint64_t kk = uint64_t{s.kernel} * s.kernel, P = uint64_t{s.out_rows()} * s.out_cols();
        auto eb = [&](Opnd o) { return op.op(o).elem_bytes; };
        const int phase = (op.desc.opcode - ACCEL_OP_CONV_FWD) % 3;
        uint64_t M, N, K;
        int ab, bb, cb;
        uint32_t abytes, bbytes;
        Opnd fa, fb;  // the operands whose formats set the PE's throughput
        if (phase == 0) {
            M = t.c, N = t.n * P, K = uint64_t{t.kc} * kk, ab = W, bb = A, cb = A, fa = Opnd::w, fb = Opnd::x;
        } else if (phase == 1) {
            M = uint64_t{t.c} * kk, N = t.n * P, K = t.kc, ab = W, bb = G, cb = G, fa = Opnd::w, fb = Opnd::g;
        } else {
            M = t.c, N = uint64_t{t.kc} * kk, K = t.n * P, ab = G, bb = A, cb = G, fa = Opnd::g, fb = Opnd::x;
        }
        abytes = eb(fa), bbytes = eb(fb);
        const timing::PeRate rate = timing::pe_rate(cfg.pe, op.op(fa).fmt, op.op(fb).fmt);
        const GemmRoles roles{&sram(cfg, ab), &sram(cfg, bb), &sram(cfg, cb)};
        const auto c_bytes = static_cast<uint32_t>(kAccBytes);
        e.compute = timer.gemm(M, N, K, abytes, bbytes, c_bytes, roles, rate);
        e.macs = M * N * K;
        e.outputs = M * N;
        // The backward passes of a stride > 1 convolution: the tile above streams only the real errors (P
        // positions per sample and channel); a dense array streams the zero-dilated error map instead.
        const uint64_t dilated =
            timing::backward_positions(s.in_rows, s.in_cols, s.kernel, s.stride, s.pad, false);
        if (phase != 0 && !op.is_fc() && dilated != P) {
            const uint64_t Nd = phase == 1 ? t.n * dilated : N, Kd = phase == 2 ? t.n * dilated : K;
            const ComputeEstimate dense = timer.gemm(M, Nd, Kd, abytes, bbytes, c_bytes, roles, rate);
            e.stride_zero_macs = M * Nd * Kd - e.macs;
            e.stride_zero_cycles = dense.cycles > e.compute.cycles ? dense.cycles - e.compute.cycles : 0;
            if (!cfg.skip_stride_zeros) {
                e.compute = dense;
                e.macs = M * Nd * Kd;
                e.outputs = M * Nd;
            }
        }
        e.array_read[ab] += e.compute.a_read_bytes;
        e.array_read[bb] += e.compute.b_read_bytes;
        e.array_read[cb] += e.compute.c_read_bytes;
        e.array_write[cb] += e.compute.c_write_bytes;
        return e;
    }
    const StreamUnits su = stream_units(op);
    uint64_t read_bytes = 0, write_bytes = 0;
    int src = -1, dst = -1;
    for (const Operand& o : op.operands) {
        if (!o.used || (is_whole(op, o) && op.desc.opcode == ACCEL_OP_SOFTMAX_XENT)) continue;
        const int b = static_cast<int>(o.buffer);
        // The unit reads gamma and beta once per tile and writes dgamma and dbeta once, on the last tile.
        const uint64_t bytes = !is_whole(op, o)   ? o.bytes() / su.units * t.n
                               : o.read || t.last ? o.bytes()
                                                  : 0;
        if (o.read) {
            e.array_read[b] += bytes;
            read_bytes += bytes;
            if (src < 0) src = b;
        }
        if (o.write) {
            e.array_write[b] += bytes;
            write_bytes += bytes;
            if (dst < 0) dst = b;
        }
    }
    if (src < 0) src = A;
    if (dst < 0) dst = src;
    e.compute = timer.vector(t.n * su.elems_per_unit * su.ops, read_bytes, write_bytes, sram(cfg, src),
                             sram(cfg, dst));
    return e;
}

namespace {

bool plan(const DecodedOp& op, const AcceleratorConfig& cfg, PlanMode mode, TilePlan& plan,
          std::string& why) {
    plan = TilePlan{};
    if (op.desc.opcode == ACCEL_OP_NOP) return true;
    return op.is_gemm() ? plan_gemm(op, cfg, mode, plan, why) : plan_stream(op, cfg, mode, plan, why);
}

}  // namespace

bool plan_tiles(const DecodedOp& op, const AcceleratorConfig& cfg, TilePlan& plan, std::string& why) {
    return accel::plan(op, cfg, PlanMode::full, plan, why);
}

bool tiles_fit(const DecodedOp& op, const AcceleratorConfig& cfg, std::string& why) {
    TilePlan scratch;
    return accel::plan(op, cfg, PlanMode::fit_only, scratch, why);
}

bool plan_tiles(const DecodedOp& op, const AcceleratorConfig& cfg, ComputeTimer& timer, TilePlan& plan,
                std::string& why) {
    if (!plan_tiles(op, cfg, plan, why)) return false;
    plan.macs = 0;
    for (Tile& t : plan.tiles) {
        const TileEstimate e = estimate_tile(op, t, cfg, timer);
        t.compute = e.compute;
        t.macs = e.macs;
        plan.macs += e.macs;
        for (int b = 0; b < kBufferCount; ++b) {
            t.array_read[b] = e.array_read[b];
            t.array_write[b] = e.array_write[b];
        }
    }
    return true;
}

bool overlaps_operand(const DecodedOp& op, const Tile& t, const BufferSlot& s, bool write, Opnd self) {
    for (int o = 0; o < kOperandCount; ++o) {
        const Operand& opnd = op.operands[o];
        const BufferSlot& other = t.slots[o];
        if (static_cast<Opnd>(o) == self || !opnd.used || !(write ? opnd.write : opnd.read) || !other.bytes)
            continue;
        if (other.buffer == s.buffer && other.offset < s.offset + s.bytes &&
            s.offset < other.offset + other.bytes)
            return true;
    }
    return false;
}

}  // namespace trainvp::accel
