// The sparse junction-pipelined engine through the accelerator's ring (SPARSE_CONFIG, SPARSE_TRAIN,
// SPARSE_INFER): bit for bit against the golden trainer (sparse::JunctionTrainer) on the RTL's small test
// network in both delta-hazard modes, its timing and bank conflicts against hand-derived figures, and its
// error statuses.
#include <random>

#include "accel/sparse_engine.h"
#include "accel_bench.h"
#include "sparse/junction_trainer.h"
#include "sparse_bench.h"

using namespace trainvp;
using namespace trainvp::test;

namespace {

std::vector<sparse::SampleView> views(const Samples& s, uint32_t first, uint32_t n) {
    std::vector<sparse::SampleView> v;
    for (uint32_t i = first; i < first + n; ++i)
        v.push_back({s.x.data() + uint64_t{i} * s.bytes, s.bytes, s.labels[i]});
    return v;
}

std::vector<int32_t> golden_parameters(const sparse::SparseNetwork& net) {
    std::vector<int32_t> all;
    for (uint32_t j = 0; j < net.junctions(); ++j) {
        all.insert(all.end(), net.junction(j).weights.begin(), net.junction(j).weights.end());
        all.insert(all.end(), net.junction(j).biases.begin(), net.junction(j).biases.end());
    }
    return all;
}

// Trains `n` samples in two descriptors on the engine and on the golden trainer; everything must agree.
void train_and_compare(SparseBench& sb, const sparse::SparseNetConfig& c, const Samples& s, uint32_t n,
                       uint64_t expect_lost_per_sample) {
    REQUIRE(sb.configure(c) == ACCEL_IRQ_DONE);
    sparse::SparseNetwork net(c);
    net.init_glorot(c.seed);
    sparse::JunctionTrainer golden(net);
    const uint32_t half = n / 2;
    const uint32_t etapos[2] = {4, 5};
    for (int part = 0; part < 2; ++part) {
        const uint32_t first = part ? half : 0, count = part ? n - half : half;
        const sc_core::sc_time t0 = sc_core::sc_time_stamp();
        REQUIRE(sb.b.submit(sb.train_desc(s, first, count, etapos[part])) == ACCEL_IRQ_DONE);
        const double elapsed_s = (sc_core::sc_time_stamp() - t0).to_seconds();
        const sparse::TrainStats g = golden.train(
            views(s, first, count), std::vector<uint8_t>(count, static_cast<uint8_t>(etapos[part])));
        const accel_sparse_result r = sb.result();
        CHECK(r.samples == count);
        CHECK(r.correct == g.correct);
        // L = 3: a run of N samples takes N + 2L - 2 junction cycles (docs/sparse.md "The schedule").
        CHECK(r.junction_cycles == count + 4);
        CHECK(r.clocks == r.junction_cycles * net.cycle_clocks());
        CHECK(r.lost_sums == expect_lost_per_sample * count);
        // The engine's clocks at 15 MHz are part of the descriptor's time (plus fetch and DMA).
        CHECK(elapsed_s >= r.clocks / 15e6);
        const std::vector<int32_t> expect = golden_parameters(net);
        CHECK(sb.parameters(expect.size()) == expect);
    }
    // Inference with the trained weights: the golden model's predictions.
    accel_desc d{};
    d.opcode = ACCEL_OP_SPARSE_INFER;
    d.batch = n;
    d.fc_in = s.bytes;
    d.addr_x = sb.x;
    d.addr_y = sb.preds;
    d.addr_labels = sb.labels;
    d.addr_aux = sb.aux;
    REQUIRE(sb.b.submit(d) == ACCEL_IRQ_DONE);
    std::vector<uint32_t> preds(n);
    sb.b.mem.read(sb.preds - kDram, preds.data(), n * 4);
    uint32_t correct = 0;
    for (uint32_t i = 0; i < n; ++i) {
        const sparse::SampleView v{s.x.data() + uint64_t{i} * s.bytes, s.bytes, s.labels[i]};
        CHECK(preds[i] == golden.predict(v));
        correct += preds[i] == s.labels[i];
    }
    CHECK(sb.result().correct == correct);
}

}  // namespace

TEST_CASE("the sparse engine trains the small network bit for bit as the golden model", "[accel][sparse]") {
    AccelBench b;
    SparseBench sb{b};
    const Samples s = random_samples(160, 60, 4, 7);  // 60 of the 64 inputs: the rest are padding
    b.run([&] {
        b.setup_ring();
        sb.load(s);
        sparse::SparseNetConfig c = sparse::SparseNetConfig::smallnet();
        c.delta_hazard = sparse::DeltaHazard::forwarded;
        train_and_compare(sb, c, s, 160, 0);
        // rtl: junction 2 has p/z = 16/8 = 2 clocks per sweep, so a hidden neuron's two edges are at most 3
        // clocks apart while a write lands 1 + proctime = 3 clocks after its read, and read_first hides a
        // write of the same clock: every hidden neuron loses one of its two contributions, 16 per sample.
        c.delta_hazard = sparse::DeltaHazard::rtl;
        train_and_compare(sb, c, s, 160, 16);
        // Clash-free connectivity: no bank conflict, no stall; 4 + 2 + 2 = 8 clocks per junction cycle.
        CHECK(sb.result().bank_conflicts == 0);
        accel_sparse_result r;
        REQUIRE(b.submit(sb.train_desc(s, 0, 10, 4)) == ACCEL_IRQ_DONE);
        r = sb.result();
        CHECK(r.bank_conflicts == 0);
        CHECK(r.stall_clocks == 0);
        CHECK(r.clocks == 14u * 8u);
        // A random pattern with the same degrees: conflicts stall every junction cycle; still bit-exact.
        c.connectivity = sparse::Connectivity::random;
        c.delta_hazard = sparse::DeltaHazard::forwarded;
        REQUIRE(sb.configure(c) == ACCEL_IRQ_DONE);
        REQUIRE(b.submit(sb.train_desc(s, 0, 10, 4)) == ACCEL_IRQ_DONE);
        r = sb.result();
        CHECK(r.bank_conflicts > 0);
        CHECK(r.stall_clocks > 0);
        CHECK(r.clocks == r.junction_cycles * (8 + r.stall_clocks / r.junction_cycles));
        sparse::SparseNetwork net(c);
        CHECK(r.stall_clocks == r.junction_cycles * (net.cycle_clocks() - 8));
        train_and_compare(sb, c, s, 40, 0);
    });
}

TEST_CASE("sparse descriptors report their errors and never crash", "[accel][sparse][errors]") {
    AccelBench b;
    SparseBench sb{b};
    const Samples s = random_samples(8, 64, 4, 3);
    b.run([&] {
        b.setup_ring();
        sb.load(s);
        auto expect = [&](const accel_desc& d, uint32_t code, uint64_t address) {
            const uint64_t desc_addr = kRing + uint64_t{b.tail} * ACCEL_DESC_BYTES;
            REQUIRE(b.submit(d) == ACCEL_IRQ_ERROR);
            CHECK(b.reg(ACCEL_REG_ERR_CODE) == code);
            CHECK(b.reg(ACCEL_REG_ERR_ADDR) == static_cast<uint32_t>(address ? address : desc_addr));
            b.set_reg(ACCEL_REG_CTRL, ACCEL_CTRL_SOFT_RESET);
            b.setup_ring();
        };
        // Training before any configuration.
        expect(sb.train_desc(s, 0, 8, 4), ACCEL_ERR_SPARSE_CONFIG, 0);
        // A configuration the RTL cannot build: z = 24 is not a power of two. ERR_ADDR is the record's.
        sparse::SparseNetConfig c = sparse::SparseNetConfig::smallnet();
        accel_sparse_config rec = accel::sparse_config_record(c);
        rec.z[1] = 24;
        accel_desc d{};
        d.opcode = ACCEL_OP_SPARSE_CONFIG;
        d.addr_aux = b.put_bytes(&rec, sizeof rec);
        expect(d, ACCEL_ERR_SPARSE_CONFIG, d.addr_aux);
        rec = accel::sparse_config_record(c);
        rec.activation[1] = 5;  // no such activation code
        d.addr_aux = b.put_bytes(&rec, sizeof rec);
        expect(d, ACCEL_ERR_SPARSE_CONFIG, d.addr_aux);
        rec = accel::sparse_config_record(c);
        rec.layers = 9;
        d.addr_aux = b.put_bytes(&rec, sizeof rec);
        expect(d, ACCEL_ERR_SPARSE_CONFIG, d.addr_aux);
        d.addr_aux = 0;
        expect(d, ACCEL_ERR_BAD_ARGUMENT, 0);
        REQUIRE(sb.configure(c) == ACCEL_IRQ_DONE);
        // A label outside the 4 outputs: the address of that label.
        Samples bad = s;
        bad.labels[5] = 4;
        d = sb.train_desc(s, 0, 8, 4);
        d.addr_labels = b.put_bytes(bad.labels.data(), 8);
        expect(d, ACCEL_ERR_BAD_LABEL, d.addr_labels + 5);
        // 10-bit with 2 integer bits has 7 fraction bits: etapos 8 is the smallest rate, 9 is refused.
        REQUIRE(b.submit(sb.train_desc(s, 0, 8, 8)) == ACCEL_IRQ_DONE);
        expect(sb.train_desc(s, 0, 8, 9), ACCEL_ERR_BAD_ARGUMENT, 0);
        // More inputs per sample than the input layer, zero samples, inputs outside DRAM, misaligned record.
        d = sb.train_desc(s, 0, 1, 4);
        d.fc_in = 65;
        expect(d, ACCEL_ERR_SHAPE, 0);
        d = sb.train_desc(s, 0, 0, 4);
        expect(d, ACCEL_ERR_SHAPE, 0);
        d = sb.train_desc(s, 0, 8, 4);
        d.addr_x = 0x1000;
        expect(d, ACCEL_ERR_ADDR_RANGE, 0x1000);
        d = sb.train_desc(s, 0, 8, 4);
        d.addr_aux += 4;
        expect(d, ACCEL_ERR_MISALIGNED, d.addr_aux);
        // The engine is still configured and trains after all of this.
        REQUIRE(b.submit(sb.train_desc(s, 0, 8, 4)) == ACCEL_IRQ_DONE);
        CHECK(sb.result().samples == 8);
    });
}
