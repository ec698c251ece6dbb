// SCALE-Sim v2's compute cycles: SCALE-Sim's own LeNet-5 numbers (data/scalesim-v2-lenet5-16x16.csv, produced
// by running SCALE-Sim v2), hand-checked small cases with partial folds, and the closed form against a
// transcription of how SCALE-Sim builds its per-fold demand matrices.
#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "accel/gemm_mapping.h"
#include "accel/scalesim_timing.h"
#include "common/error.h"

using namespace trainvp;
using namespace trainvp::timing;

namespace {

struct ReferenceRow {
    std::string layer;
    scalesim::ConvLayer conv;
    uint64_t os = 0, ws = 0, is = 0;
};

std::vector<ReferenceRow> read_reference(const std::string& path) {
    std::ifstream in(path);
    REQUIRE(in.good());
    std::vector<ReferenceRow> rows;
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        if (header) {
            CHECK(line ==
                  "layer,ifmap_h,ifmap_w,filter_h,filter_w,channels,filters,stride,os_cycles,ws_cycles,"
                  "is_cycles");
            header = false;
            continue;
        }
        std::istringstream fields(line);
        std::string f[11];
        for (std::string& s : f) REQUIRE(std::getline(fields, s, ','));
        ReferenceRow r;
        r.layer = f[0];
        r.conv = {std::stoull(f[1]), std::stoull(f[2]), std::stoull(f[3]), std::stoull(f[4]),
                  std::stoull(f[5]), std::stoull(f[6]), std::stoull(f[7]), std::stoull(f[7])};
        r.os = std::stoull(f[8]), r.ws = std::stoull(f[9]), r.is = std::stoull(f[10]);
        rows.push_back(r);
    }
    return rows;
}

uint64_t total(const scalesim::Gemm& g, uint32_t rows, uint32_t cols, Dataflow d) {
    return scalesim::compute_cycles(g, rows, cols, d).total_cycles;
}

LayerShape conv(uint32_t ci, uint32_t size, uint32_t co, uint32_t k, uint32_t stride = 1, uint32_t pad = 0) {
    LayerShape l;
    l.in_channels = ci, l.in_rows = size, l.in_cols = size;
    l.out_channels = co, l.kernel = k, l.stride = stride, l.pad = pad;
    return l;
}

LayerShape fc(uint32_t in, uint32_t out) {
    LayerShape l;
    l.fc_in = in, l.fc_out = out;
    return l;
}

// SCALE-Sim pads each fold to the full array and builds, per operand, a demand matrix with one line per cycle
// (systolic_compute_{os,ws,is}.py, create_*_demand_mat): the operand's T lines plus null lines before (weight
// or input load) and after (drain), then skew_matrix, which adds (width - 1) lines. The three matrices of a
// fold must have the same number of lines; the layer's total is the index of the last line of the last fold.
uint64_t skew(uint64_t lines, uint64_t width) {
    return lines + width - 1;
}

uint64_t demand_lines_per_fold(uint64_t R, uint64_t C, uint64_t T, Dataflow d) {
    uint64_t ifmap = 0, filter = 0, ofmap = 0;
    switch (d) {
        case Dataflow::output_stationary:
            ifmap = skew(T + (C - 1), R);   // suffix: arr_col - 1 lines
            filter = skew(T + (R - 1), C);  // suffix: arr_row - 1 lines
            ofmap = skew((T - 1) + R, C);   // prefix: T - 1 lines, then the R output rows
            break;
        case Dataflow::weight_stationary:
            ifmap = skew(R + T + (C - 1), R);  // prefix: arr_row (weight load), suffix: arr_col - 1
            filter = R + (R + C + T - 2);      // R weight rows, then a suffix; not skewed
            ofmap = skew((2 * R - 1) + T, C);  // prefix: 2 arr_row - 1
            break;
        case Dataflow::input_stationary:
            ifmap = R + (R + C + T - 2);        // R input rows, then a suffix; not skewed
            filter = skew(R + T + (C - 1), R);  // prefix: arr_row, suffix: arr_col - 1
            ofmap = skew((2 * R - 1) + T, C);   // prefix: 2 arr_row - 1
            break;
    }
    CHECK(ifmap == filter);
    CHECK(ifmap == ofmap);
    return ifmap;
}

}  // namespace

TEST_CASE("scalesim: LeNet-5 forward on 16 x 16 equals SCALE-Sim v2's own report") {
    const std::vector<ReferenceRow> ref = read_reference(TRAINVP_SCALESIM_REFERENCE);
    REQUIRE(ref.size() == 5);
    // The same layers as TrainVP shapes: SCALE-Sim's topology rows come out of conv_layer.
    const LayerShape layers[] = {conv(1, 32, 6, 5), conv(6, 14, 16, 5), fc(400, 120), fc(120, 84),
                                 fc(84, 10)};
    const Phase phases[] = {Phase::conv_forward, Phase::conv_forward, Phase::fc_forward, Phase::fc_forward,
                            Phase::fc_forward};
    for (size_t i = 0; i < ref.size(); ++i) {
        const ReferenceRow& r = ref[i];
        INFO(r.layer);
        const scalesim::Gemm g = scalesim::conv_gemm(r.conv);
        CHECK(total(g, 16, 16, Dataflow::output_stationary) == r.os);
        CHECK(total(g, 16, 16, Dataflow::weight_stationary) == r.ws);
        CHECK(total(g, 16, 16, Dataflow::input_stationary) == r.is);

        const scalesim::ConvLayer c = scalesim::conv_layer(phases[i], layers[i]);
        CHECK(c.ifmap_h == r.conv.ifmap_h);
        CHECK(c.ifmap_w == r.conv.ifmap_w);
        CHECK(c.filter_h == r.conv.filter_h);
        CHECK(c.filter_w == r.conv.filter_w);
        CHECK(c.channels == r.conv.channels);
        CHECK(c.filters == r.conv.filters);
        CHECK(c.stride_h == r.conv.stride_h);
        // TrainVP's forward GEMM in SCALE-Sim's GEMM mode is SCALE-Sim's convolution GEMM ("GEMM mode gives
        // the same cycles", reference header).
        const PhaseWork w = phase_work(phases[i], layers[i], 1);
        REQUIRE(w.gemms.size() == 1);
        const scalesim::Gemm mapped = scalesim::from_trainvp(w.gemms[0]);
        CHECK(mapped.m == g.m);
        CHECK(mapped.n == g.n);
        CHECK(mapped.k == g.k);
        const ArrayConfig os{16, 16, Dataflow::output_stationary};
        CHECK(scalesim::gemm_timing(w.gemms[0], os).total_cycles == r.os);
    }
}

// Hand check, 4 x 4 array, SCALE-Sim GEMM M = 5, N = 3, K = 2 (every dataflow has a partial fold):
//   os: Sr = 5, Sc = 3, T = 2: 2 x 1 folds of 4 + 4 + 2 - 2 = 8 cycles: 16 - 1 = 15
//   ws: Sr = 2, Sc = 3, T = 5: 1 fold of 8 + 4 + 5 - 2 = 15 cycles: 14
//   is: Sr = 2, Sc = 5, T = 3: 1 x 2 folds of 8 + 4 + 3 - 2 = 13 cycles: 26 - 1 = 25
// 3 x 5 array, M = 7, N = 11, K = 4:
//   os: Sr = 7, Sc = 11, T = 4: 3 x 3 folds of 3 + 5 + 4 - 2 = 10: 89
//   ws: Sr = 4, Sc = 11, T = 7: 2 x 3 folds of 6 + 5 + 7 - 2 = 16: 95
//   is: Sr = 4, Sc = 7, T = 11: 2 x 2 folds of 6 + 5 + 11 - 2 = 20: 79
TEST_CASE("scalesim: hand-checked small GEMMs with partial folds") {
    const scalesim::Gemm a{5, 3, 2}, b{7, 11, 4};
    CHECK(total(a, 4, 4, Dataflow::output_stationary) == 15);
    CHECK(total(a, 4, 4, Dataflow::weight_stationary) == 14);
    CHECK(total(a, 4, 4, Dataflow::input_stationary) == 25);
    CHECK(total(b, 3, 5, Dataflow::output_stationary) == 89);
    CHECK(total(b, 3, 5, Dataflow::weight_stationary) == 95);
    CHECK(total(b, 3, 5, Dataflow::input_stationary) == 79);

    const scalesim::Timing t = scalesim::compute_cycles(b, 3, 5, Dataflow::weight_stationary);
    CHECK(t.sr == 4);
    CHECK(t.sc == 11);
    CHECK(t.t == 7);
    CHECK(t.row_folds == 2);
    CHECK(t.col_folds == 3);
    CHECK(t.folds == 6);
    CHECK(t.cycles_per_fold == 16);
    // One PE, one MAC: the last (and only) cycle has index 0.
    CHECK(total(scalesim::Gemm{1, 1, 1}, 1, 1, Dataflow::output_stationary) == 0);
}

TEST_CASE("scalesim: closed form equals SCALE-Sim's demand-matrix construction on random GEMMs") {
    std::mt19937 rng(12);
    std::uniform_int_distribution<uint64_t> dim(1, 300);
    std::uniform_int_distribution<uint32_t> side(1, 40);
    const Dataflow flows[] = {Dataflow::output_stationary, Dataflow::weight_stationary,
                              Dataflow::input_stationary};
    for (int n = 0; n < 500; ++n) {
        const scalesim::Gemm g{dim(rng), dim(rng), dim(rng)};
        const uint32_t R = side(rng), C = side(rng);
        for (Dataflow d : flows) {
            INFO(dataflow_name(d) << " " << R << "x" << C << " M=" << g.m << " N=" << g.n << " K=" << g.k);
            const scalesim::Timing t = scalesim::compute_cycles(g, R, C, d);
            // Folds over the operand matrices as set_params computes them.
            const uint64_t sr = d == Dataflow::output_stationary ? g.m : g.k;
            const uint64_t sc = d == Dataflow::input_stationary ? g.m : g.n;
            const uint64_t T = d == Dataflow::output_stationary   ? g.k
                               : d == Dataflow::weight_stationary ? g.m
                                                                  : g.n;
            const uint64_t folds = ((sr + R - 1) / R) * ((sc + C - 1) / C);
            CHECK(t.folds == folds);
            CHECK(t.total_cycles == folds * demand_lines_per_fold(R, C, T, d) - 1);
        }
    }
}

TEST_CASE("scalesim: TrainVP phase GEMMs in SCALE-Sim's GEMM mode keep A as the filter") {
    const LayerShape c2 = conv(6, 14, 16, 5), f1 = fc(400, 120);
    struct Row {
        Phase phase;
        LayerShape layer;
        uint64_t m, n, k;  // SCALE-Sim's GEMM
    };
    const Row rows[] = {
        {Phase::conv_forward, c2, 100, 16, 150},        // output pixels x filters, window
        {Phase::conv_backward_data, c2, 100, 150, 16},  // dcol^T = G^T . W: filter W (Co x Ci k k)
        {Phase::conv_weight_grad, c2, 151, 16, 100},    // dW^T = [col; 1] . G^T: filter G^T (P x Co)
        {Phase::fc_forward, f1, 1, 120, 400},          {Phase::fc_backward_data, f1, 1, 400, 120},
        {Phase::fc_weight_grad, f1, 401, 120, 1},
    };
    for (const Row& r : rows) {
        INFO(phase_name(r.phase));
        const PhaseWork w = phase_work(r.phase, r.layer, 1);
        REQUIRE(w.gemms.size() == 1);
        const scalesim::Gemm g = scalesim::from_trainvp(w.gemms[0]);
        CHECK(g.m == r.m);
        CHECK(g.n == r.n);
        CHECK(g.k == r.k);
    }
    // fc1 weight gradient, weight stationary, 16 x 16: Sr = K = 1, Sc = N = 120, T = M = 401: 8 folds of
    // 32 + 16 + 401 - 2 = 447 cycles.
    const GemmTiming t = scalesim::gemm_timing(phase_work(Phase::fc_weight_grad, f1, 1).gemms[0],
                                               ArrayConfig{16, 16, Dataflow::weight_stationary});
    CHECK(t.folds == 8);
    CHECK(t.compute_cycles == 8 * 447 - 1);
    CHECK(t.total_cycles == t.compute_cycles);
    CHECK(t.stream_cycles == 8 * 401);
    CHECK(t.stream_cycles + t.fill_drain_cycles == t.compute_cycles);
    CHECK(t.macs == 120 * 401);
}

TEST_CASE("scalesim: strided and padded convolutions use SCALE-Sim's output size") {
    // 2 x 9 x 9 input, pad 1 (given to SCALE-Sim as an 11 x 11 input), 3 x 3 filters, stride 2:
    // ceil((11 - 3 + 2) / 2) = 5 output rows and columns, as TrainVP's (9 + 2 - 3) / 2 + 1 = 5.
    const LayerShape l = conv(2, 9, 4, 3, 2, 1);
    const scalesim::ConvLayer c = scalesim::conv_layer(Phase::conv_forward, l);
    CHECK(c.ifmap_h == 11);
    const scalesim::Gemm g = scalesim::conv_gemm(c);
    CHECK(g.m == 25);
    CHECK(g.n == 4);
    CHECK(g.k == 18);
    const scalesim::Gemm mapped = scalesim::from_trainvp(phase_work(Phase::conv_forward, l, 1).gemms[0]);
    CHECK(mapped.m == g.m);
    CHECK(mapped.n == g.n);
    CHECK(mapped.k == g.k);
    // Input width 10, filter 3, stride 2: SCALE-Sim rounds up, ceil((10 - 3 + 2) / 2) = 5 (one more than a
    // window that fits: SCALE-Sim reads past the edge as padding).
    CHECK(scalesim::conv_gemm({10, 10, 3, 3, 1, 1, 2, 2}).m == 25);
}

TEST_CASE("scalesim: bad shapes are rejected with a message") {
    CHECK_THROWS_AS(scalesim::compute_cycles(scalesim::Gemm{0, 1, 1}, 16, 16, Dataflow::output_stationary),
                    UserError);
    CHECK_THROWS_AS(scalesim::compute_cycles(scalesim::Gemm{1, 1, 1}, 0, 16, Dataflow::output_stationary),
                    UserError);
    CHECK_THROWS_AS(scalesim::conv_gemm({4, 4, 5, 5, 1, 1, 1, 1}), UserError);
    CHECK_THROWS_AS(scalesim::conv_layer(Phase::pool_forward, LayerShape{}), UserError);
}
