// The analytic array model: fold geometry per dataflow, the systolic formula, overheads, and the per-step
// buffer model (bandwidth and bank conflicts) on access patterns whose stalls are worked out by hand.
#include <catch2/catch.hpp>
#include <cstdint>

#include "accel/array_timing.h"

using namespace trainvp::timing;

namespace {

ArrayConfig array(uint32_t rows, uint32_t cols, Dataflow d) {
    ArrayConfig cfg;
    cfg.rows = rows;
    cfg.cols = cols;
    cfg.dataflow = d;
    return cfg;
}

GemmShape shape(uint64_t m, uint64_t n, uint64_t k) {
    GemmShape s;
    s.m = m, s.n = n, s.k = k;
    return s;
}

// Sum over the fold grid of 2r + c + T - 2, fold by fold.
uint64_t brute_force_cycles(uint64_t sr, uint64_t sc, uint64_t t, uint32_t rows, uint32_t cols) {
    uint64_t sum = 0;
    for (uint64_t r0 = 0; r0 < sr; r0 += rows)
        for (uint64_t c0 = 0; c0 < sc; c0 += cols) {
            const uint64_t r = std::min<uint64_t>(rows, sr - r0), c = std::min<uint64_t>(cols, sc - c0);
            sum += 2 * r + c + t - 2;
        }
    return sum;
}

// A buffer wide and banked enough never to stall the patterns below.
BufferPort ample() {
    return BufferPort{64, 64, 4};
}

}  // namespace

TEST_CASE("analytic: fold grid maps M, N, K to rows, columns and time per dataflow") {
    const GemmShape s = shape(30, 50, 70);
    FoldGrid os = fold_grid(s, array(16, 8, Dataflow::output_stationary));
    CHECK(os.sr == 30);
    CHECK(os.sc == 50);
    CHECK(os.t == 70);
    CHECK(os.row_folds == 2);
    CHECK(os.col_folds == 7);
    FoldGrid ws = fold_grid(s, array(16, 8, Dataflow::weight_stationary));
    CHECK(ws.sr == 70);
    CHECK(ws.sc == 30);
    CHECK(ws.t == 50);
    CHECK(ws.row_folds == 5);
    CHECK(ws.col_folds == 4);
    FoldGrid is = fold_grid(s, array(16, 8, Dataflow::input_stationary));
    CHECK(is.sr == 70);
    CHECK(is.sc == 50);
    CHECK(is.t == 30);
}

TEST_CASE("analytic: one fold takes 2r + c + T - 2 cycles") {
    const GemmTiming t = analytic_gemm(shape(16, 16, 64), array(16, 16, Dataflow::output_stationary),
                                       TimingParams::ideal(), BufferBandwidth::ideal());
    CHECK(t.folds == 1);
    CHECK(t.compute_cycles == 2 * 16 + 16 + 64 - 2);
    CHECK(t.stream_cycles == 64);
    CHECK(t.fill_drain_cycles == 2 * 16 + 16 - 2);
    CHECK(t.total_cycles == t.compute_cycles);
    CHECK(t.macs == 16 * 16 * 64);
    CHECK(t.utilization == Approx(16.0 * 16 * 64 / (256.0 * 110)));
    // A partly used array: fill and drain follow the used rows and columns.
    CHECK(analytic_gemm(shape(3, 5, 7), array(16, 16, Dataflow::output_stationary), TimingParams::ideal(),
                        BufferBandwidth::ideal())
              .compute_cycles == 2 * 3 + 5 + 7 - 2);
}

TEST_CASE("analytic: closed-form fold sum equals the fold-by-fold sum; full folds take 2R + C + T - 2") {
    for (Dataflow d : {Dataflow::output_stationary, Dataflow::weight_stationary, Dataflow::input_stationary})
        for (uint64_t m : {1u, 7u, 16u, 33u})
            for (uint64_t n : {1u, 9u, 32u, 40u})
                for (uint64_t k : {1u, 5u, 17u, 64u}) {
                    const ArrayConfig cfg = array(8, 4, d);
                    const GemmShape s = shape(m, n, k);
                    const FoldGrid g = fold_grid(s, cfg);
                    const GemmTiming t =
                        analytic_gemm(s, cfg, TimingParams::ideal(), BufferBandwidth::ideal());
                    INFO(dataflow_name(d) << " " << m << "x" << n << "x" << k);
                    CHECK(t.compute_cycles == brute_force_cycles(g.sr, g.sc, g.t, 8, 4));
                    CHECK(t.folds == g.row_folds * g.col_folds);
                    if (g.sr % 8 == 0 && g.sc % 4 == 0)
                        CHECK(t.compute_cycles == t.folds * (2 * 8 + 4 + g.t - 2));
                }
}

TEST_CASE("analytic: overheads are the table's constants per GEMM and per fold") {
    TimingParams p = TimingParams::ideal();
    p.gemm_setup_cycles = 10;
    p.operand_edge_stages = 2;
    p.acc_writeback_cycles = 3;
    p.fold_switch_cycles = 1;
    const GemmTiming t = analytic_gemm(shape(20, 40, 9), array(16, 16, Dataflow::output_stationary), p,
                                       BufferBandwidth::ideal());
    CHECK(t.folds == 2 * 3);
    CHECK(t.overhead_cycles == 10 + 6 * (2 + 3 + 1));
    CHECK(t.total_cycles == t.compute_cycles + t.overhead_cycles);
}

TEST_CASE("analytic: traffic in bytes per buffer follows the operand reuse of each dataflow") {
    GemmShape s = shape(20, 40, 9);
    s.a_bytes = 2, s.b_bytes = 1, s.c_bytes = 4;
    const GemmTiming os = analytic_gemm(s, array(16, 16, Dataflow::output_stationary), TimingParams::ideal(),
                                        BufferBandwidth::ideal());
    CHECK(os.a_read_bytes == 3 * 20 * 9 * 2);  // A re-read for each of the 3 column folds
    CHECK(os.b_read_bytes == 2 * 40 * 9 * 1);  // B re-read for each of the 2 row folds
    CHECK(os.c_write_bytes == 20 * 40 * 4);
    CHECK(os.c_read_bytes == 20 * 40 * 4);  // accumulate: initial values
    const GemmTiming ws = analytic_gemm(s, array(4, 16, Dataflow::weight_stationary), TimingParams::ideal(),
                                        BufferBandwidth::ideal());
    CHECK(ws.a_read_bytes == 20 * 9 * 2);        // weights once
    CHECK(ws.b_read_bytes == 2 * 9 * 40 * 1);    // B once per column fold (M = 20 over 16 columns)
    CHECK(ws.c_write_bytes == 3 * 20 * 40 * 4);  // one partial result per K fold (K = 9 over 4 rows)
    CHECK(ws.c_read_bytes == (3 - 1 + 1) * 20 * 40 * 4);
}

TEST_CASE("stall model: a one-bank A buffer serialises the edge reads, and halving its width adds r*T") {
    // OS, 4 x 4 array, M = 4 (r = 4), N = 1, K = T = 32, 2-byte A elements. One bank, one port:
    // step s needs one word per active row, n(s) words, so it takes max(1, n(s)) cycles. Sum of n(s) is r*T
    // over T + r - 1 busy steps: stall = r*T - (T + r - 1) = (r - 1)(T - 1) = 93.
    GemmShape s = shape(4, 1, 32);
    BufferBandwidth bw;
    bw.a = BufferPort{1, 2, 1};
    bw.b = ample();
    bw.c = ample();
    const ArrayConfig cfg = array(4, 4, Dataflow::output_stationary);
    const GemmTiming full = analytic_gemm(s, cfg, TimingParams::ideal(), bw);
    CHECK(full.stall(StallReason::a_bandwidth) == 3 * 31);
    CHECK(full.stall_cycles() == 3 * 31);
    CHECK(full.total_cycles == full.compute_cycles + 93);

    // One-byte words: every element needs two words, 2 n(s) cycles per step: stall = 2rT - (T + r - 1).
    bw.a.bank_width_bytes = 1;
    const GemmTiming half = analytic_gemm(s, cfg, TimingParams::ideal(), bw);
    CHECK(half.stall(StallReason::a_bandwidth) == 2 * 4 * 32 - (32 + 4 - 1));
    CHECK(half.stall_cycles() - full.stall_cycles() == 4 * 32);

    // Two ports double the bandwidth again: ceil(n(s) / 2) cycles per step.
    bw.a = BufferPort{1, 2, 2};
    uint64_t expected = 0;
    for (uint64_t st = 0; st < 32 + 4 - 1; ++st) {
        const uint64_t active = std::min<uint64_t>(st, 3) - (st >= 32 ? st - 31 : 0) + 1;
        expected += (active + 1) / 2 - 1;
    }
    CHECK(analytic_gemm(s, cfg, TimingParams::ideal(), bw).stall(StallReason::a_bandwidth) == expected);

    // Unlimited bandwidth never stalls.
    CHECK(analytic_gemm(s, cfg, TimingParams::ideal(), BufferBandwidth::ideal()).stall_cycles() == 0);
}

TEST_CASE("stall model: bank conflicts come from the lane stride, against the skew of the edge") {
    // OS, 4 x 4 array, M = 4, N = 1, K = T = 32, 2-byte A elements in 4 banks of 2-byte words. Row i reads
    // element u = s - i at step s, in word i * L + s - i for a lane stride of L words: bank (i (L - 1) + s)
    // mod 4.
    GemmShape s = shape(4, 1, 32);
    BufferBandwidth bw;
    bw.a = BufferPort{4, 2, 1};
    bw.b = ample();
    bw.c = ample();
    const ArrayConfig cfg = array(4, 4, Dataflow::output_stationary);

    // Packed (L = 32): banks (3i + s) mod 4 are all different: no stall.
    CHECK(analytic_gemm(s, cfg, TimingParams::ideal(), bw).stall_cycles() == 0);

    // Padded by one word (L = 33): every row hits bank s mod 4 in the same step: n(s) cycles per step,
    // stall (r - 1)(T - 1), all of it a conflict (the four words would fit the four banks in one cycle).
    s.layout.a_lane_stride_bytes = 33 * 2;
    const GemmTiming conflicted = analytic_gemm(s, cfg, TimingParams::ideal(), bw);
    CHECK(conflicted.stall(StallReason::a_bank_conflict) == 3 * 31);
    CHECK(conflicted.stall(StallReason::a_bandwidth) == 0);

    // The same on the streamed operand of weight stationary: K = 4 rows, N = T = 32, B lane stride 33 words.
    GemmShape w = shape(1, 32, 4);
    w.accumulate = false;
    w.layout.b_lane_stride_bytes = 33 * 2;
    BufferBandwidth wbw;
    wbw.a = ample();
    wbw.b = BufferPort{4, 2, 1};
    wbw.c = ample();
    const GemmTiming ws =
        analytic_gemm(w, array(4, 4, Dataflow::weight_stationary), TimingParams::ideal(), wbw);
    CHECK(ws.stall(StallReason::b_bank_conflict) == 3 * 31);
    CHECK(ws.stall_cycles() == 3 * 31);
}

TEST_CASE("stall model: result writes through a narrow accumulator buffer stall as c_bandwidth") {
    // OS 4 x 4, M = N = 4, K = 1: the four columns each write one 4-byte result per drain step. A single
    // one-port bank of 4-byte words serves one word per cycle: each of the r drain steps of the last column
    // overlaps with the others; count directly: column j writes at steps T + r - 1 + j + i, i < 4.
    GemmShape s = shape(4, 4, 1);
    s.accumulate = false;
    BufferBandwidth bw;
    bw.a = ample();
    bw.b = ample();
    bw.c = BufferPort{1, 4, 1};
    const ArrayConfig cfg = array(4, 4, Dataflow::output_stationary);
    uint64_t expected = 0;
    for (uint64_t st = 0; st < fold_cycles(4, 4, 1); ++st) {
        uint64_t writes = 0;
        for (uint64_t j = 0; j < 4; ++j)
            if (st >= 4 + j && st - 4 - j < 4) ++writes;
        if (writes > 1) expected += writes - 1;
    }
    REQUIRE(expected > 0);
    const GemmTiming t = analytic_gemm(s, cfg, TimingParams::ideal(), bw);
    CHECK(t.stall(StallReason::c_bandwidth) == expected);
    CHECK(t.stall_cycles() == expected);
}

TEST_CASE("vector operations: one element per column per cycle, stalls when the buffer is slower") {
    const ArrayConfig cfg = array(16, 16, Dataflow::output_stationary);
    const TimingParams p;
    const GemmTiming t = vector_timing({"relu", 1000, 2000, 2000}, cfg, p, BufferBandwidth::ideal());
    CHECK(t.stream_cycles == 63);  // ceil(1000 / 16)
    CHECK(t.overhead_cycles == p.vector_pipeline_cycles);
    CHECK(t.total_cycles == 63 + p.vector_pipeline_cycles);
    CHECK(t.macs == 0);
    CHECK(t.vector_ops == 1000);

    BufferBandwidth bw;
    bw.b = BufferPort{1, 8, 1};  // 8 B/cycle: 2000 B need 250 cycles
    bw.c = BufferPort{4, 8, 1};  // 32 B/cycle: 63 cycles
    const GemmTiming slow = vector_timing({"relu", 1000, 2000, 2000}, cfg, p, bw);
    CHECK(slow.stall(StallReason::b_bandwidth) == 250 - 63);
    bw.b.bank_width_bytes = 4;
    CHECK(vector_timing({"relu", 1000, 2000, 2000}, cfg, p, bw).stall(StallReason::b_bandwidth) == 500 - 63);
}
