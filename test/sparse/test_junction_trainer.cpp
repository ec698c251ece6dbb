// The junction-pipelined golden trainer (models/sparse/junction_trainer.h): its schedule against an
// independent weight-snapshot reference, the delta memory's hazard against a clock-by-clock simulation of
// the memory, the prediction's tie rules, errors, and learning on synthetic data and on MNIST.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/dataset.h"
#include "sparse/junction_trainer.h"

using namespace trainvp::sparse;

namespace {

struct Data {
    std::vector<std::vector<uint8_t>> inputs;
    std::vector<SampleView> views;
};

// Inputs in the style of the authors' scripts/create_data.py: `ones` random bits set out of 8 * size, and
// the class is the quarter of the range that `ones` falls in.
Data synthetic(uint32_t count, uint32_t size, uint32_t classes, uint32_t seed) {
    Data d;
    std::mt19937 rng(seed);
    d.inputs.resize(count);
    for (uint32_t i = 0; i < count; ++i) {
        const uint32_t total = 8 * size;
        const uint32_t ones = rng() % (total + 1);
        std::vector<uint8_t> bitv(total, 0);
        std::fill(bitv.begin(), bitv.begin() + ones, 1);
        std::shuffle(bitv.begin(), bitv.end(), rng);
        d.inputs[i].assign(size, 0);
        for (uint32_t b = 0; b < total; ++b) d.inputs[i][b / 8] |= static_cast<uint8_t>(bitv[b] << (b % 8));
        const uint32_t label = std::min(classes - 1, ones * classes / (total + 1));
        d.views.push_back(SampleView{d.inputs[i].data(), size, label});
    }
    return d;
}

// An independent model of the schedule: samples one after another, each forward pass reading, per junction,
// a snapshot of the weights that holds the updates of every sample older than `lag` samples before it;
// back-propagation and update read the latest weights. lag = 2(L-1-j) - 1 when pipelined, 0 sequential.
class SnapshotReference {
  public:
    SnapshotReference(const SparseNetwork& net, bool pipelined) : net_(net), fx_(net.config().format) {
        const SparseNetConfig& c = net.config();
        for (uint32_t j = 0; j < c.junctions(); ++j) {
            history_.push_back({{net.junction(j).weights, net.junction(j).biases}});
            f_.emplace_back(c.format, c.activation[j]);
            lag_.push_back(pipelined ? 2 * (c.layers() - 1 - j) - 1 : 0);
        }
    }

    uint64_t train(const std::vector<SampleView>& samples, int etapos) {
        const SparseNetConfig& c = net_.config();
        const uint32_t L = c.layers();
        uint64_t correct = 0;
        for (uint64_t s = 0; s < samples.size(); ++s) {
            std::vector<std::vector<int32_t>> act(L), adot(L), delta(L);
            act[0].assign(c.neurons[0], 0);
            for (uint32_t i = 0; i < samples[s].size; ++i)
                act[0][i] = fx_.input_activation(samples[s].input[i]);
            for (uint32_t j = 0; j + 1 < L; ++j) {
                const uint64_t version = s >= lag_[j] ? s - lag_[j] : 0;
                const Params& w = history_[j][version];
                const EdgePattern& e = net_.junction(j).pattern;
                act[j + 1].assign(e.n, 0);
                adot[j + 1].assign(e.n, 0);
                for (uint32_t r = 0; r < e.n; ++r) {
                    int64_t sum = w.biases[r];
                    for (uint32_t i = 0; i < e.fi; ++i) {
                        const uint64_t k = uint64_t{r} * e.fi + i;
                        sum += fx_.mul(act[j][e.left[k]], w.weights[k]);
                    }
                    const ActOut o = f_[j](fx_.saturate(sum));
                    act[j + 1][r] = o.act;
                    adot[j + 1][r] = o.deriv;
                }
            }
            delta[L - 1].resize(c.neurons[L - 1]);
            for (uint32_t r = 0; r < c.neurons[L - 1]; ++r)
                delta[L - 1][r] = fx_.cost_term(act[L - 1][r], r == samples[s].label);
            correct += rtl_argmax(act[L - 1].data(), c.neurons[L - 1],
                                  std::max(1u, c.z[L - 2] / c.fanin(L - 2))) == samples[s].label;
            for (uint32_t j = L - 1; j-- > 0;) {
                Params w = history_[j].back();
                const EdgePattern& e = net_.junction(j).pattern;
                if (j > 0) {  // the delta memory, accumulating in the order its schedule gives
                    const DeltaSchedule& ds = net_.junction(j).delta;
                    std::vector<int32_t> part(e.edges(), 0);
                    for (uint64_t k = 0; k < e.edges(); ++k) {
                        const int32_t term =
                            fx_.mul(fx_.mul(delta[j + 1][e.right(k)], adot[j][e.left[k]]), w.weights[k]);
                        part[k] = fx_.add(term, ds.source[k] < 0 ? 0 : part[ds.source[k]]);
                    }
                    delta[j].assign(e.p, 0);
                    for (uint32_t m = 0; m < e.p; ++m) delta[j][m] = part[ds.final_edge[m]];
                }
                for (uint32_t r = 0; r < e.n; ++r) {
                    const int32_t step = fx_.learning_step(delta[j + 1][r], etapos);
                    w.biases[r] = fx_.add(w.biases[r], step);
                    for (uint32_t i = 0; i < e.fi; ++i) {
                        const uint64_t k = uint64_t{r} * e.fi + i;
                        w.weights[k] = fx_.add(w.weights[k], fx_.mul(step, act[j][e.left[k]]));
                    }
                }
                history_[j].push_back(w);
            }
        }
        return correct;
    }

    const std::vector<int32_t>& weights(uint32_t j) const { return history_[j].back().weights; }
    const std::vector<int32_t>& biases(uint32_t j) const { return history_[j].back().biases; }

  private:
    struct Params {
        std::vector<int32_t> weights, biases;
    };
    const SparseNetwork& net_;
    FixedArith fx_;
    std::vector<ActivationUnit> f_;
    std::vector<uint64_t> lag_;
    std::vector<std::vector<Params>> history_;  // per junction: parameters after 0, 1, 2, ... samples
};

void require_same_parameters(const SparseNetwork& net, const SnapshotReference& ref) {
    for (uint32_t j = 0; j < net.junctions(); ++j) {
        INFO("junction " << j);
        REQUIRE(net.junction(j).weights == ref.weights(j));
        REQUIRE(net.junction(j).biases == ref.biases(j));
    }
}

// The delta memory clock by clock: a read returns the word as written before its clock; the write of the
// word read at t lands at the end of clock t + 1 + proctime.
std::vector<int64_t> simulate_delta_memory(const EdgePattern& e, const std::vector<uint32_t>& issue,
                                           uint32_t proctime, const std::vector<int64_t>& contribution) {
    struct Write {
        uint64_t time;
        uint32_t neuron;
        int64_t value;
    };
    std::vector<int64_t> mem(e.p, 0);
    std::vector<Write> pending;
    const uint64_t end = *std::max_element(issue.begin(), issue.end()) + proctime + 2;
    for (uint64_t t = 0; t <= end; ++t) {
        for (uint64_t k = 0; k < e.edges(); ++k)
            if (issue[k] == t)
                pending.push_back({t + 1 + proctime, e.left[k], mem[e.left[k]] + contribution[k]});
        for (const Write& w : pending)
            if (w.time == t) mem[w.neuron] = w.value;
    }
    return mem;
}

std::vector<int64_t> apply_schedule(const EdgePattern& e, const DeltaSchedule& d,
                                    const std::vector<int64_t>& c) {
    std::vector<int64_t> part(e.edges(), 0), out(e.p, 0);
    for (uint64_t k = 0; k < e.edges(); ++k) part[k] = c[k] + (d.source[k] < 0 ? 0 : part[d.source[k]]);
    for (uint32_t m = 0; m < e.p; ++m) out[m] = part[d.final_edge[m]];
    return out;
}

SparseNetConfig small_config(DeltaHazard hazard) {
    SparseNetConfig c = SparseNetConfig::smallnet();
    c.delta_hazard = hazard;
    c.seed = 11;
    return c;
}

}  // namespace

TEST_CASE("pipeline schedule: stages, staleness and the table", "[sparse][golden]") {
    const PipelineTiming t(3, 1);
    CHECK(t.depth() == 5);
    CHECK(t.ff_cycle(0, 0) == 1);
    CHECK(t.ff_cycle(0, 1) == 2);
    CHECK(t.up_cycle(0, 1) == 3);  // DNN.sv: "2nd junction gets updated first - L block cycles after input"
    CHECK(t.up_cycle(0, 0) == 4);  // "1st junction gets updated 1 block cycle after 2nd"
    CHECK(t.total_cycles(10) == 14);
    CHECK(t.ff_sample(7, 0, 10) == 6);
    CHECK(t.up_sample(7, 0, 10) == 3);
    CHECK(t.bp_sample(7, 1, 10) == 4);
    CHECK(t.bp_sample(7, 0, 10) == -1);
    CHECK(t.input_sample(12, 10) == -1);  // draining
    CHECK(t.ff_missing_updates(10, 0) == 3);
    CHECK(t.ff_missing_updates(10, 1) == 1);
    CHECK(t.ff_missing_updates(2, 0) == 2);
    const PipelineTiming s(3, 5);
    CHECK(s.ff_missing_updates(10, 0) == 0);
    CHECK(s.ff_missing_updates(10, 1) == 0);
    CHECK(s.total_cycles(2) == 10);
    const PipelineTiming four(4, 1);  // 4 layers: lags 5, 3, 1
    CHECK(four.ff_missing_updates(9, 0) == 5);
    CHECK(four.ff_missing_updates(9, 1) == 3);
    CHECK(four.ff_missing_updates(9, 2) == 1);
    const std::string table = t.markdown(3, 7);
    CHECK(table.find("| cycle | input | J1 FF | J1 UP | J2 FF | J2 BP | J2 UP |") == 0);
    CHECK(table.find("| 3 | - | 2 | - | 1 | 0 | 0 |") != std::string::npos);
    CHECK(table.find("| 4 | - | - | 0 | 2 | 1 | 1 |") != std::string::npos);
    CHECK(table.find("| 6 | - | - | 2 | - | - | - |") != std::string::npos);
}

TEST_CASE("delta-memory schedule equals a clock-by-clock memory simulation", "[sparse][golden]") {
    std::mt19937 rng(5);
    int cases = 0;
    for (const bool random : {false, true}) {
        for (uint32_t proctime = 0; proctime <= 4; ++proctime) {
            for (int trial = 0; trial < 6; ++trial) {
                InterleaverSpec spec;
                spec.z = 1u << (1 + rng() % 4);
                spec.p = spec.z * (1u << (rng() % 3));
                spec.fo = 1u << (rng() % 4);
                spec.n = spec.fo << (rng() % 2);  // fo <= n <= 2 fo <= p fo
                spec.type = 1 + static_cast<int>(rng() % 3);
                spec.seed = rng();
                const EdgePattern e = random ? random_pattern(spec) : clash_free_pattern(spec);
                uint32_t clocks = 0;
                const std::vector<uint32_t> issue = issue_clocks(e, &clocks);
                std::vector<int64_t> c(e.edges());
                for (int64_t& v : c) v = static_cast<int64_t>(rng() % 1000) - 500;
                const DeltaSchedule rtl = delta_schedule(e, issue, proctime, DeltaHazard::rtl);
                INFO("p=" << spec.p << " n=" << spec.n << " fo=" << spec.fo << " z=" << spec.z << " proctime "
                          << proctime << (random ? " random" : " clash-free"));
                REQUIRE(apply_schedule(e, rtl, c) == simulate_delta_memory(e, issue, proctime, c));
                const DeltaSchedule fwd = delta_schedule(e, issue, proctime, DeltaHazard::forwarded);
                std::vector<int64_t> sums(e.p, 0);
                for (uint64_t k = 0; k < e.edges(); ++k) sums[e.left[k]] += c[k];
                REQUIRE(apply_schedule(e, fwd, c) == sums);
                REQUIRE(fwd.dropped == 0);
                ++cases;
            }
        }
    }
    CHECK(cases == 60);
}

TEST_CASE("the RTL's delta hazard in the FPGA network's second junction", "[sparse][golden]") {
    // p/z = 2: with every sweep start 0 a hidden neuron comes back every 2 clocks, but its partial sum is
    // written 1 + proctime = 3 clocks after the read, so every other contribution is lost: 8 of 16.
    SparseNetConfig c = SparseNetConfig::fpga_mnist();
    c.zero_starts = true;
    const SparseNetwork rtl(c);
    CHECK(rtl.junction(1).delta.dropped == 64 * 8);
    CHECK(rtl.junction(1).delta.stale_reads == 64 * 15);
    c.proctime = 0;  // unpipelined processors: the write lands before the neuron comes back
    CHECK(SparseNetwork(c).junction(1).delta.dropped == 0);
    c.proctime = 2;
    c.delta_hazard = DeltaHazard::forwarded;
    CHECK(SparseNetwork(c).junction(1).delta.dropped == 0);
    c.delta_hazard = DeltaHazard::rtl;
    c.zero_starts = false;  // random starts: the distance varies, contributions are still lost
    CHECK(SparseNetwork(c).junction(1).delta.dropped > 0);
    CHECK(SparseNetwork(c).cycle_clocks() == 36);  // 32 + 2 + proctime: papers.md §3.8
}

TEST_CASE("pipelined golden equals the snapshot reference (smallnet)", "[sparse][golden]") {
    const Data d = synthetic(60, 64, 4, 1);
    for (const DeltaHazard hazard : {DeltaHazard::forwarded, DeltaHazard::rtl}) {
        for (const bool pipelined : {true, false}) {
            INFO(to_string(hazard) << (pipelined ? " pipelined" : " sequential"));
            SparseNetwork net(small_config(hazard));
            net.init_glorot(3);
            SnapshotReference ref(net, pipelined);
            JunctionTrainer trainer(net, pipelined ? TrainSchedule::pipelined : TrainSchedule::sequential);
            const TrainStats stats = trainer.train(d.views, std::vector<uint8_t>(d.views.size(), 4));
            const uint64_t correct = ref.train(d.views, 4);
            require_same_parameters(net, ref);
            CHECK(stats.correct == correct);
            CHECK(stats.samples == 60);
            CHECK(stats.junction_cycles == (pipelined ? 64u : 300u));
            CHECK(stats.clocks == stats.junction_cycles * 8);  // 4 weight clocks + 2 + proctime
        }
    }
}

TEST_CASE("pipelined golden equals the snapshot reference (FPGA network, 4 layers)", "[sparse][golden]") {
    std::mt19937 rng(77);
    std::vector<std::vector<uint8_t>> images(12, std::vector<uint8_t>(784));
    std::vector<SampleView> views;
    for (auto& im : images) {
        for (uint8_t& px : im) px = static_cast<uint8_t>(rng() % 3 == 0 ? rng() % 256 : 0);
        views.push_back(SampleView{im.data(), 784, static_cast<uint32_t>(rng() % 10)});
    }
    SparseNetConfig c = SparseNetConfig::fpga_mnist();
    SparseNetwork net(c);
    net.init_glorot(21);
    SnapshotReference ref(net, true);
    JunctionTrainer(net).train(views, std::vector<uint8_t>(views.size(), 3));
    ref.train(views, 3);
    require_same_parameters(net, ref);

    // Four layers: three junctions, lags 5, 3, 1; 12-bit, ReLU in the hidden junctions.
    SparseNetConfig deep;
    deep.neurons = {64, 32, 16, 8};
    deep.fanout = {4, 4, 4};
    deep.z = {16, 8, 4};
    deep.format = FixedFormat{12, 3};
    deep.activation = {Activation::relu, Activation::relu, Activation::sigmoid};
    const Data d = synthetic(40, 64, 8, 2);
    SparseNetwork dnet(deep);
    dnet.init_glorot(4);
    SnapshotReference dref(dnet, true);
    JunctionTrainer(dnet).train(d.views, std::vector<uint8_t>(d.views.size(), 5));
    dref.train(d.views, 5);
    require_same_parameters(dnet, dref);
}

TEST_CASE("stale weights change the result only once samples overlap", "[sparse][golden]") {
    const Data d = synthetic(8, 64, 4, 9);
    const auto run = [&](TrainSchedule s, size_t count) {
        SparseNetwork net(small_config(DeltaHazard::rtl));
        net.init_glorot(5);
        const std::vector<SampleView> v(d.views.begin(), d.views.begin() + count);
        JunctionTrainer(net, s).train(v, std::vector<uint8_t>(count, 2));
        return net.parameter_digest();
    };
    CHECK(run(TrainSchedule::pipelined, 1) == run(TrainSchedule::sequential, 1));
    CHECK(run(TrainSchedule::pipelined, 8) != run(TrainSchedule::sequential, 8));
    CHECK(run(TrainSchedule::pipelined, 8) == run(TrainSchedule::pipelined, 8));  // deterministic
}

TEST_CASE("etapos 0 leaves the weights alone, and inference matches the training forward pass",
          "[sparse][golden]") {
    const Data d = synthetic(6, 64, 4, 3);
    SparseNetwork net(small_config(DeltaHazard::rtl));
    net.init_glorot(8);
    const uint64_t before = net.parameter_digest();
    JunctionTrainer trainer(net);
    const TrainStats st = trainer.train(d.views, std::vector<uint8_t>(d.views.size(), 0));
    CHECK(net.parameter_digest() == before);
    // With frozen weights the on-the-fly predictions are the inference predictions.
    CHECK(st.correct == trainer.count_correct(d.views));
}

TEST_CASE("prediction: the RTL max finder's tie rules", "[sparse][golden]") {
    const int32_t a[] = {5, 7, 7, 3};
    CHECK(rtl_argmax(a, 4, 2) == 2);  // equal maxima in two clocks: the later clock wins
    CHECK(rtl_argmax(a, 4, 4) == 1);  // in one clock: the lower index wins
    const int32_t flat[] = {7, 7, 7, 7};
    CHECK(rtl_argmax(flat, 4, 1) == 3);
    CHECK(rtl_argmax(flat, 4, 4) == 0);
    const int32_t one[] = {-3, -9};
    CHECK(rtl_argmax(one, 2, 1) == 0);
}

TEST_CASE("bad samples, rates and configurations are refused with a reason", "[sparse][golden]") {
    SparseNetwork net(small_config(DeltaHazard::rtl));
    JunctionTrainer trainer(net);
    std::vector<uint8_t> in(65, 0);
    CHECK_THROWS_WITH(trainer.train({SampleView{in.data(), 65, 0}}, {4}), Catch::Contains("65 inputs"));
    CHECK_THROWS_WITH(trainer.train({SampleView{in.data(), 64, 4}}, {4}), Catch::Contains("label 4"));
    CHECK_THROWS_WITH(trainer.train({SampleView{in.data(), 64, 1}}, {9}),
                      Catch::Contains("frac_bits + 1 = 8"));
    CHECK_THROWS_WITH(trainer.train({SampleView{in.data(), 64, 1}}, {}), Catch::Contains("0 etapos values"));

    const auto error = [](SparseNetConfig c) {
        try {
            c.validate();
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    SparseNetConfig c = SparseNetConfig::fpga_mnist();
    CHECK(error(c).empty());
    CHECK(c.rtl_limits().empty());
    c.z = {128, 64};
    CHECK_THAT(error(c), Catch::StartsWith("z[1]") && Catch::Contains("lock-step"));
    c = SparseNetConfig::fpga_mnist();
    c.neurons = {784, 64, 32};
    CHECK_THAT(error(c), Catch::StartsWith("neurons[0]") && Catch::Contains("power of two"));
    c = SparseNetConfig::fpga_mnist();
    c.fanout = {4, 64};
    CHECK_THAT(error(c), Catch::StartsWith("fanout[1]"));
    c = SparseNetConfig::fpga_mnist();
    c.activation = {Activation::sigmoid, Activation::relu};
    CHECK_THAT(error(c), Catch::StartsWith("activation[1]"));
    c = SparseNetConfig::fpga_mnist();
    c.format = FixedFormat{6, 3};
    CHECK_THAT(error(c), Catch::StartsWith("format"));
    // Fully connected 1024-64-32 at z = 1024, 32: valid for the golden model, not for the RTL (fi 64 > z 32).
    c = SparseNetConfig::fpga_mnist();
    c.fanout = {64, 32};
    c.z = {1024, 32};
    CHECK(error(c).empty());
    CHECK_THAT(c.rtl_limits(), Catch::StartsWith("z[1]"));
    CHECK(c.total_edges() == c.dense_edges());
    CHECK(SparseNetConfig::fpga_mnist().dense_edges() == 67584);
    CHECK(SparseNetConfig::fpga_mnist().summary() ==
          "1024-64-32 fo 4,16 z 128,32 10-bit (1.2.7) sigmoid,sigmoid clash-free type 2");
    CHECK(parse_connectivity("random") == Connectivity::random);
    CHECK(parse_delta_hazard("forwarded") == DeltaHazard::forwarded);
    CHECK_THROWS_WITH(parse_connectivity("dense"), Catch::Contains("'dense'"));
    CHECK_THROWS_WITH(parse_delta_hazard("none"), Catch::Contains("'none'"));
    CHECK(SparseNetConfig::fpga_mnist().total_edges() == 5120);
}

TEST_CASE("smallnet learns the authors' synthetic task", "[sparse][golden]") {
    const Data train = synthetic(2000, 64, 4, 100), test = synthetic(500, 64, 4, 200);
    SparseNetwork net(small_config(DeltaHazard::rtl));
    net.init_glorot(1);
    JunctionTrainer trainer(net);
    const uint64_t before = trainer.count_correct(test.views);
    for (int epoch = 0; epoch < 3; ++epoch)
        trainer.train(train.views, std::vector<uint8_t>(train.views.size(), 4));
    const uint64_t after = trainer.count_correct(test.views);
    INFO("correct before " << before << ", after " << after << " of 500");
    CHECK(after > before);
    CHECK(after > 300);  // chance is 125
}

TEST_CASE("the FPGA configuration learns MNIST", "[sparse][golden][mnist]") {
    const std::string dir = TRAINVP_MNIST_DIR;
    REQUIRE(std::ifstream(dir + "/train-images-idx3-ubyte").good());
    const trainvp::Dataset train =
        trainvp::load_mnist_idx(dir + "/train-images-idx3-ubyte", dir + "/train-labels-idx1-ubyte", 2000);
    const trainvp::Dataset test =
        trainvp::load_mnist_idx(dir + "/t10k-images-idx3-ubyte", dir + "/t10k-labels-idx1-ubyte", 500);
    const auto views = [](const trainvp::Dataset& d) {
        std::vector<SampleView> v;
        for (uint32_t i = 0; i < d.count; ++i) v.push_back(SampleView{d.image(i), 784, d.labels[i]});
        return v;
    };
    const std::vector<SampleView> tv = views(train), ev = views(test);
    uint64_t digest = 0;
    for (int run = 0; run < 2; ++run) {
        SparseNetwork net(SparseNetConfig::fpga_mnist());
        net.init_glorot(1);
        JunctionTrainer trainer(net);
        const TrainStats st = trainer.train(tv, std::vector<uint8_t>(tv.size(), 4));
        CHECK(st.junction_cycles == 2004);  // 2000 samples + 2L - 2 cycles to drain
        const uint64_t correct = trainer.count_correct(ev);
        INFO("test accuracy " << correct << " / 500");
        CHECK(correct > 300);  // 60 % after one pass over 2,000 images; chance is 10 %
        if (run == 0)
            digest = net.parameter_digest();
        else
            CHECK(net.parameter_digest() == digest);
    }
}
