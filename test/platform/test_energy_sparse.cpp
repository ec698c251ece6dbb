// The sparse engine's energy (docs/energy.md "The sparse engine"): the RTL's small test network (64-16-4,
// fan-out 2 and 2, z 32 and 8, 10-bit, sigmoid) trains one sample and infers two through the accelerator's
// ring; the engine's counts are derived by hand from the datapath (docs/sparse.md), and the energy of those
// counts is priced by hand from the 45 nm table's numbers (docs/energy.md "Interpolation rules"), not from
// the model's code.
#include <catch2/catch.hpp>

#include <cmath>

#include "../accel/sparse_bench.h"
#include "energy/technology.h"
#include "energy_report.h"

using namespace trainvp;
using namespace trainvp::test;

namespace {

// Hand prices at 45 nm (pJ). Integer units: piecewise linear between the w8/w16 (add) and w8/w32 (multiply,
// in wa x wb) anchors.
const double kMult10 = 0.2 + (10.0 * 10 - 64) / (1024 - 64) * (3.1 - 0.2);
const double kAdd10 = 0.03 + (10.0 - 8) / 8 * (0.05 - 0.03);
const double kAdd13 = 0.03 + (13.0 - 8) / 8 * (0.05 - 0.03);  // adder tree: 10 bits + log2(fi = 8)

// SRAM of `bytes` with 10-bit words: each CACTI anchor moved to the word width (0.3 + 0.7 w / w_anchor),
// then the line through the two anchors in log(capacity), log(energy), extended below the 4 KiB anchor.
double sram(double bytes, double e4k, double e128k) {
    const double w = 10.0 / 8;
    const double a = std::log(e4k * (0.3 + 0.7 * w / 4)), b = std::log(e128k * (0.3 + 0.7 * w / 8));
    return std::exp(a +
                    (b - a) * (std::log(bytes) - std::log(4096.0)) / (std::log(131072.0) - std::log(4096.0)));
}
double sram_read(double bytes) {
    return sram(bytes, 3.918, 75.22);
}
double sram_write(double bytes) {
    return sram(bytes, 3.605, 75.22);
}

}  // namespace

TEST_CASE("a tiny sparse run has the hand-counted actions and the hand-priced energy", "[energy][sparse]") {
    AccelBench b;
    SparseBench sb{b};
    const Samples s = random_samples(2, 64, 4, 3);
    sparse::SparseNetConfig c = sparse::SparseNetConfig::smallnet();
    c.delta_hazard = sparse::DeltaHazard::forwarded;
    b.run([&] {
        b.setup_ring();
        sb.load(s);
        REQUIRE(sb.configure(c) == ACCEL_IRQ_DONE);
        REQUIRE(b.submit(sb.train_desc(s, 0, 1, 4)) == ACCEL_IRQ_DONE);
        accel_desc d{};
        d.opcode = ACCEL_OP_SPARSE_INFER;
        d.batch = 2;
        d.fc_in = s.bytes;
        d.addr_x = sb.x;
        d.addr_y = sb.preds;
        d.addr_aux = sb.aux;
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
    });
    const SparseEngine& engine = b.acc.sparse_engine();
    const std::vector<JunctionCounters> jc = engine.junction_counters();
    REQUIRE(jc.size() == 2);
    // Junction 0 (128 edges, 16 right neurons, no BP). One sample: FF (stage 1) and UP (stage 4) are in
    // different junction cycles, so every weight is read twice; inference reads each once per sample.
    const JunctionCounters& j0 = jc[0];
    CHECK(j0.weight_reads == 2 * 128 + 2 * 128);
    CHECK(j0.weight_writes == 128);
    CHECK(j0.macs == 128 + 128 + 2 * 128);               // FF, UP; inference
    CHECK(j0.tree_adds == (128 + 16) + 2 * (128 + 16));  // one per edge, one bias add per neuron
    CHECK(j0.word_adds == 16 + 128);                     // UP: biases and weights
    CHECK(j0.act_reads == 128 + 128 + 2 * 128);          // FF, UP; inference
    CHECK(j0.adot_reads == 0);
    CHECK(j0.delta_rmws == 0);
    CHECK(j0.delta_reads == 16);
    CHECK(j0.bias_reads == 16 + 2 * 16);
    CHECK(j0.bias_writes == 16);
    CHECK(j0.lut_reads == 16 + 2 * 16);
    CHECK(j0.act_writes == 16 + 2 * 16);
    CHECK(j0.adot_writes == 16);
    // Junction 1 (32 edges, 4 right neurons): BP adds two multiplies, an add and a read-modify-write per
    // edge.
    const JunctionCounters& j1 = jc[1];
    CHECK(j1.weight_reads == 2 * 32 + 2 * 32);
    CHECK(j1.weight_writes == 32);
    CHECK(j1.macs == 32 + 2 * 32 + 32 + 2 * 32);
    CHECK(j1.tree_adds == (32 + 4) + 2 * (32 + 4));
    CHECK(j1.word_adds == 4 + 32 + 32);
    CHECK(j1.act_reads == 32 + 32 + 2 * 32);
    CHECK(j1.adot_reads == 32);
    CHECK(j1.delta_rmws == 32);
    CHECK(j1.delta_reads == 4);
    CHECK(j1.bias_reads == 4 + 2 * 4);
    CHECK(j1.bias_writes == 4);
    CHECK(j1.lut_reads == 4 + 2 * 4);
    CHECK(j1.act_writes == 4 + 2 * 4);
    CHECK(j1.adot_writes == 4);
    CHECK(engine.counters().cost_terms == 4);

    // Memories (words x 10 bits): weight banks 128/32 = 32/8 = 4 words (5 bytes), bias banks 4 words (16
    // biases in z/fi = 4 banks; 4 in 1), layer 0 and 1 banks 64/32 = 16/8 = 2 words (3 bytes), the output
    // layer in z/fi = 1 bank of 4 words, the sigmoid LUTs 1024 words (1280 bytes), two read per neuron.
    const double reads_4 = 512 + 48 + 128 + 12 + 4;  // weights, biases (both junctions), output errors
    const double writes_4 = 128 + 16 + 32 + 4 + 16 + 4;
    const double reads_2 = 512 + 16 + (128 + 32 + 32);  // layer 0 (FF, UP), layer 1 errors, layer 1 (j1)
    const double writes_2 = (48 + 16) + 32;             // layer 1 activations and derivatives, BP's errors
    const double reads_lut = 2 * (48 + 12);
    const double hand = (512 + 192) * kMult10 + (432 + 108) * kAdd13 + (144 + 68 + 4) * kAdd10 +
                        reads_4 * sram_read(5) + writes_4 * sram_write(5) + reads_2 * sram_read(3) +
                        writes_2 * sram_write(3) + reads_lut * sram_read(1280);

    const energy::TechTable table = energy::reference_table();
    energy::EnergyConfig ec;
    ec.sparse = sparse_hardware(engine.config());
    const energy::EnergyModel model(table, ec);
    const energy::ActionCounts counts = sparse_actions(engine.config(), jc, engine.counters().cost_terms);
    const energy::EnergyResult r = model.evaluate(counts, 0);
    const energy::ComponentResult& se = r.components.at("sparse_engine");
    CHECK(se.dynamic_pj == Approx(hand).epsilon(1e-12));
    CHECK(r.dynamic_pj() == Approx(hand).epsilon(1e-12));  // nothing else is counted
    // Leakage: the table's 12.6 nW/um2 over the engine's area for the simulated time.
    const energy::EnergyResult r1 = model.evaluate(counts, 1e-3);
    CHECK(r1.components.at("sparse_engine").leakage_pj == Approx(se.area_um2 * 12.6e-9 * 1e-3 * 1e12));
    // The inference-only engine has no BP and UP units, derivative and delta memories.
    CHECK(se.area_um2 > model.area(energy::Variant::inference_only).components.at("sparse_engine").area_um2);

    // An override of a table entry the engine uses changes its price by hand: 8-bit multiply 0.2 -> 0.4 pJ.
    energy::TechTable over = table;
    energy::apply_overrides(over, {{"arithmetic.int_mult.energy.w8", "0.4"}});
    const energy::EnergyModel model2(over, ec);
    const double mult10b = 0.4 + (10.0 * 10 - 64) / (1024 - 64) * (3.1 - 0.4);
    CHECK(model2.evaluate(counts, 0).components.at("sparse_engine").dynamic_pj ==
          Approx(hand + (512 + 192) * (mult10b - kMult10)).epsilon(1e-12));
    // Malformed arguments and unknown actions are refused, naming the action.
    for (const auto& [action, arg] : std::vector<std::pair<std::string, std::string>>{{"sram_read", "32y10"},
                                                                                      {"sram_read", "0x10"},
                                                                                      {"sram_write", "32x"},
                                                                                      {"mult", ""},
                                                                                      {"divide", "10"}}) {
        energy::ActionCounts bad;
        bad.add("sparse_engine", action, arg, 1);
        CHECK_THROWS_WITH(model.evaluate(bad, 0), Catch::Contains("sparse_engine." + action));
    }
    // Without the engine in the configuration, its actions are refused by name.
    const energy::EnergyModel plain(table, energy::EnergyConfig{});
    CHECK_THROWS_WITH(plain.evaluate(counts, 0), Catch::Contains("no sparse engine"));
}
