// The training firmware (sw/apps/train) on the whole platform against the golden trainer: a job written
// from a kern::Trainer, trained by the firmware through the accelerator, must leave every working, master
// and velocity tensor and every per-epoch figure bit-identical to kern::Trainer::train_epoch / evaluate.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <random>
#include <systemc>
#include <tlm>

#include "accel/accel_format.h"
#include "kernels/int8_scale_core.h"
#include "kernels/prng_core.h"
#include "platform.h"
#include "train_int8.h"
#include "train_job_writer.h"
#include "trainvp/train_runtime.h"

using namespace trainvp;

namespace {

std::vector<uint8_t> packed(const std::vector<float>& values, const num::Format& fmt) {
    std::vector<uint8_t> out(values.size() * accel::container_bytes(fmt));
    accel::pack_tensor(values.data(), values.size(), fmt, out.data());
    return out;
}

std::vector<uint8_t> read_bytes(const Memory& ram, uint32_t addr, size_t n) {
    std::vector<uint8_t> out(n);
    ram.read(addr - TRAINVP_DRAM_BASE, out.data(), n);
    return out;
}

struct Dataset {
    std::vector<uint8_t> images, labels;
    kern::DataView view(uint32_t c, uint32_t h, uint32_t w) const {
        kern::DataView v;
        v.images = images.data(), v.labels = labels.data();
        v.count = static_cast<uint32_t>(labels.size());
        v.channels = c, v.rows = h, v.cols = w;
        return v;
    }
};

// Images whose label follows from where the brightest quarter is, so training makes progress.
Dataset make_dataset(uint32_t count, uint32_t c, uint32_t h, uint32_t w, uint32_t classes, uint32_t seed) {
    std::mt19937 rng(seed);
    Dataset d;
    const size_t n = size_t{c} * h * w;
    d.images.resize(n * count);
    d.labels.resize(count);
    for (uint32_t i = 0; i < count; ++i) {
        const uint8_t label = static_cast<uint8_t>(rng() % classes);
        d.labels[i] = label;
        for (size_t j = 0; j < n; ++j) {
            const bool hot = (j * classes / n) == label;
            d.images[i * n + j] = static_cast<uint8_t>(hot ? 128 + rng() % 128 : rng() % 96);
        }
    }
    return d;
}

struct FwRun {
    int exit_code = -1;
    train_results results{};
    std::vector<double> step_losses;
    double wall_s = 0;
    uint64_t instret = 0, interrupts = 0;
    double sim_s = 0;
};

PlatformConfig platform_config() {
    PlatformConfig cfg;
    cfg.ram.size_bytes = 96ull << 20;
    cfg.validate();
    return cfg;
}

// Builds the platform, lets `prepare` write the job, runs train.elf to its exit (at most 200 s simulated).
template <typename Prepare>
FwRun run_firmware(Platform& soc, Prepare&& prepare) {
    const std::string elf = std::string(TRAINVP_FIRMWARE_DIR) + "/apps/train.elf";
    soc.load_firmware(load_elf(elf), elf);
    tlm::tlm_global_quantum::instance().set(sc_core::sc_time(1000, sc_core::SC_NS));
    const train_job job = prepare();
    const auto t0 = std::chrono::steady_clock::now();
    sc_core::sc_start(sc_core::sc_time(200, sc_core::SC_SEC));
    FwRun r;
    r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    soc.uart0.flush();
    REQUIRE(soc.simctrl.exited());
    r.instret = soc.cpu.core().stats().instret;
    r.interrupts = soc.cpu.core().stats().interrupts_taken;
    r.sim_s = soc.cpu.current_time().to_seconds();
    r.exit_code = static_cast<int>(soc.simctrl.exit_code());
    if (job.magic == TRAIN_JOB_MAGIC) {  // a valid job: the firmware owns its results area
        r.results = read_train_results(soc.ram, job);
        r.step_losses = read_step_losses(soc.ram, job, job.steps_per_epoch * job.epochs);
    }
    return r;
}

void check_parameters(const Memory& ram, const kern::Network& golden, const train_job& job) {
    for (size_t l = 0; l < golden.layers().size(); ++l) {
        const kern::Layer& L = golden.layers()[l];
        if (!L.weight) continue;
        const train_layer& t = job.layers[l];
        const kern::LayerFormats& F = L.formats;
        auto same = [&](uint32_t addr, const std::vector<float>& v, const num::Format& f) {
            const std::vector<uint8_t> expect = packed(v, f);
            return read_bytes(ram, addr, expect.size()) == expect;
        };
        INFO("layer " << L.name);
        CHECK(same(t.addr_w, L.weight->values, F.weights));
        CHECK(same(t.addr_w_master, L.weight->master, F.master_weights));
        if (job.momentum != 0.0) CHECK(same(t.addr_w_velocity, L.weight->velocity, F.master_weights));
        if (L.bias) {
            CHECK(same(t.addr_b, L.bias->values, F.weights));
            CHECK(same(t.addr_b_master, L.bias->master, F.master_weights));
            if (job.momentum != 0.0) CHECK(same(t.addr_b_velocity, L.bias->velocity, F.master_weights));
        }
    }
}

// Trains `spec` on synthetic data with the firmware and with kern::Trainer and compares bit for bit.
void train_and_compare(const kern::NetworkSpec& spec, const kern::TrainConfig& tc, uint32_t train_count,
                       uint32_t test_count) {
    const uint32_t C = spec.channels, H = spec.rows, W = spec.cols;
    kern::Trainer golden(spec, tc);
    const uint32_t classes = golden.network().num_classes();
    const Dataset train = make_dataset(train_count, C, H, W, classes, 3);
    const Dataset test = make_dataset(test_count, C, H, W, classes, 4);
    const kern::DataView tv = train.view(C, H, W), sv = test.view(C, H, W);

    Platform soc("soc", platform_config());
    TrainJobImage img;
    const FwRun fw = run_firmware(soc, [&] {
        img = write_train_job(soc.ram, golden, tv, sv);
        return img.job;
    });
    REQUIRE(fw.exit_code == 0);
    CHECK(fw.results.magic == TRAIN_RESULTS_MAGIC);
    CHECK(fw.results.done == 1);
    CHECK(fw.results.status == 0);
    CHECK(fw.results.epochs_done == tc.epochs);
    CHECK(fw.results.steps_done == img.job.steps_per_epoch * tc.epochs);

    const auto g0 = std::chrono::steady_clock::now();
    size_t step = 0;
    for (uint32_t e = 0; e < tc.epochs; ++e) {
        const kern::EpochResult er = golden.train_epoch(tv);
        const kern::EvalResult ev = golden.evaluate(sv);
        const train_epoch_result& fe = fw.results.epochs[e];
        INFO("epoch " << e + 1);
        CHECK(fe.train_count == train_count);
        CHECK(fe.test_count == test_count);
        // Trainer reports means and fractions of the same sums and counts: equal as doubles.
        CHECK(fe.train_loss_sum / train_count == er.train.loss);
        CHECK(double(fe.train_correct) / train_count == er.train.accuracy);
        CHECK(fe.test_loss_sum / test_count == ev.loss);
        CHECK(double(fe.test_correct) / test_count == ev.accuracy);
        double sum = 0;
        for (uint32_t s = 0; s < img.job.steps_per_epoch; ++s) sum += fw.step_losses[step++];
        CHECK(sum == fe.train_loss_sum);
    }
    const double golden_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - g0).count();
    check_parameters(soc.ram, golden.network(), img.job);
    const double steps = double(img.job.steps_per_epoch) * tc.epochs;
    std::printf(
        "train_fw: %u steps, platform %.3f s (%.2f ms/step), golden %.3f s (%.2f ms/step), ratio %.2f; "
        "%.0f CPU instructions and %.1f interrupts per step, %.3f ms simulated per step\n",
        static_cast<unsigned>(steps), fw.wall_s, 1e3 * fw.wall_s / steps, golden_s, 1e3 * golden_s / steps,
        golden_s > 0 ? fw.wall_s / golden_s : 0.0, double(fw.instret) / steps, double(fw.interrupts) / steps,
        1e3 * fw.sim_s / steps);
}

kern::NetworkSpec lenet(const std::string& fmt, const std::string& master) {
    kern::NetworkSpec spec;
    spec.layers = kern::lenet5_layers();
    for (kern::Role r :
         {kern::Role::weights, kern::Role::activations, kern::Role::errors, kern::Role::weight_grads})
        spec.formats[r] = kern::parse_format_request(fmt);
    spec.formats[kern::Role::master_weights] = kern::parse_format_request(master);
    return spec;
}

}  // namespace

TEST_CASE("the firmware's stochastic-rounding ids and shuffle equal the golden trainer's", "[train_fw]") {
    for (size_t l = 0; l < 4; ++l) {
        CHECK(TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_ACT) == kern::tensor_id(l, kern::Slot::act));
        CHECK(TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_DX) == kern::tensor_id(l, kern::Slot::dx));
        CHECK(TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_DW) == kern::tensor_id(l, kern::Slot::dw));
        CHECK(TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_DB) == kern::tensor_id(l, kern::Slot::db));
        CHECK(TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_W_MASTER) == kern::tensor_id(l, kern::Slot::w_master));
        CHECK(TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_B_MASTER) == kern::tensor_id(l, kern::Slot::b_master));
        CHECK(TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_W) == kern::tensor_id(l, kern::Slot::w));
        CHECK(TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_B) == kern::tensor_id(l, kern::Slot::b));
        CHECK(TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_W_VELOCITY) == kern::tensor_id(l, kern::Slot::w_velocity));
        CHECK(TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_B_VELOCITY) == kern::tensor_id(l, kern::Slot::b_velocity));
        CHECK(TRAIN_RT_TENSOR_ID(l, TRAIN_RT_SLOT_DY) == kern::tensor_id(l, kern::Slot::dy));
    }
    CHECK(TRAIN_RT_EVAL_STEP == kern::kEvalStep);
    // The firmware's Fisher-Yates (train_rt_epoch_order) with prng_core's keyed draws.
    kern::NetworkSpec spec;
    spec.layers = kern::mlp_layers();
    kern::TrainConfig tc;
    tc.seed = 99;
    const kern::Trainer t(spec, tc);
    for (uint32_t epoch : {0u, 1u, 7u}) {
        std::vector<uint32_t> order(1000);
        for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
        const uint64_t key = tvp_random_key(tc.seed, TVP_SHUFFLE_STREAM + epoch);
        for (uint32_t i = static_cast<uint32_t>(order.size()); i > 1; --i)
            std::swap(order[i - 1], order[tvp_random_below_keyed(key, i, i)]);
        CHECK(order == t.epoch_order(1000, epoch));
    }
}

TEST_CASE("firmware trains an fp32 MLP with momentum and weight decay bit-identically", "[train_fw]") {
    kern::NetworkSpec spec;
    spec.rows = spec.cols = 10;
    spec.layers = {kern::LayerSpec{}, kern::LayerSpec{}, kern::LayerSpec{}};
    spec.layers[0].kind = kern::LayerKind::fc, spec.layers[0].out = 24;
    spec.layers[1].kind = kern::LayerKind::relu;
    spec.layers[2].kind = kern::LayerKind::fc, spec.layers[2].out = 10;
    kern::TrainConfig tc;
    tc.epochs = 3, tc.batch = 8, tc.lr = 0.1, tc.momentum = 0.5, tc.weight_decay = 1e-3, tc.seed = 7;
    train_and_compare(spec, tc, 30, 13);  // last batches of 6 and 5 samples
}

TEST_CASE("firmware trains LeNet-5 in fx16 bit-identically", "[train_fw]") {
    kern::TrainConfig tc;
    tc.epochs = 2, tc.batch = 8, tc.lr = 0.1, tc.seed = 5;
    train_and_compare(lenet("fx16", "fx24"), tc, 36, 12);
}

TEST_CASE("firmware trains LeNet-5 in fx12 with stochastic rounding bit-identically", "[train_fw]") {
    kern::TrainConfig tc;
    tc.epochs = 2, tc.batch = 6, tc.lr = 0.05, tc.momentum = 0.9, tc.weight_decay = 5e-4, tc.seed = 3;
    train_and_compare(lenet("fx12:sr", "fx24:sr"), tc, 20, 7);
}

TEST_CASE("firmware rejects a bad job with a message and exit 2", "[train_fw]") {
    Platform soc("soc", platform_config());
    const FwRun fw = run_firmware(soc, [&] {
        train_job job{};
        job.magic = 0x12345678;
        soc.ram.write(TRAIN_JOB_BASE - TRAINVP_DRAM_BASE, &job, sizeof job);
        return job;
    });
    CHECK(fw.exit_code == 2);
}

TEST_CASE("an accelerator error stops training with its code, address and exit 3", "[train_fw]") {
    kern::NetworkSpec spec;
    spec.rows = spec.cols = 6;
    spec.layers = {kern::LayerSpec{}};
    spec.layers[0].kind = kern::LayerKind::fc, spec.layers[0].out = 10;
    kern::TrainConfig tc;
    tc.epochs = 1, tc.batch = 4;
    kern::Trainer golden(spec, tc);
    const Dataset train = make_dataset(8, 1, 6, 6, 10, 1), test = make_dataset(4, 1, 6, 6, 10, 2);
    Platform soc("soc", platform_config());
    const uint32_t outside = static_cast<uint32_t>(TRAINVP_DRAM_BASE + soc.ram.size() + 0x1000);
    const FwRun fw = run_firmware(soc, [&] {
        TrainJobImage img = write_train_job(soc.ram, golden, train.view(1, 6, 6), test.view(1, 6, 6));
        img.job.layers[0].addr_w = outside;  // the forward pass reads weights outside the DRAM window
        soc.ram.write(TRAIN_JOB_BASE - TRAINVP_DRAM_BASE, &img.job, sizeof img.job);
        return img.job;
    });
    CHECK(fw.exit_code == 3);
    CHECK(fw.results.magic == TRAIN_RESULTS_MAGIC);
    CHECK(fw.results.status == ACCEL_ERR_ADDR_RANGE);
    CHECK(fw.results.err_addr == outside);
    CHECK(fw.results.done == 0);
}

// Wall time per step at the scenarios' batch size (hidden: `test_train_fw "[bench]"`).
TEST_CASE("bench: LeNet-5 fx16, batch 32", "[.][bench]") {
    kern::TrainConfig tc;
    tc.epochs = 1, tc.batch = 32, tc.lr = 0.1, tc.seed = 1;
    train_and_compare(lenet("fx16", "fx24"), tc, 512, 128);
}

namespace {

kern::NetworkSpec int8_scheme(kern::NetworkSpec spec) {
    for (kern::Role r :
         {kern::Role::weights, kern::Role::activations, kern::Role::errors, kern::Role::weight_grads})
        spec.formats[r] = kern::parse_format_request("int8");
    spec.formats[kern::Role::master_weights] = kern::parse_format_request("fp32");
    return spec;
}

// Every tracked scale of a network, layer by layer.
std::vector<int> tracked_scales(const kern::Network& net) {
    std::vector<int> s;
    for (const kern::Layer& L : net.layers())
        for (int r = 0; r < kern::kRoleCount; ++r)
            if (L.tracked[r]) s.push_back(L.formats[static_cast<kern::Role>(r)].scale_exp);
    return s;
}

// int8 with tracked scales (issue 15 item 3): the firmware and the golden trainer pick the same scales every
// step (shown by the running loss of every step, which the next step's formats decide), leave the same
// parameters and end with the same scales, which the platform reads back from the job. Returns the layers
// whose output-error plan (train_job.err_mode) the firmware changed from the job writer's.
size_t train_int8_and_compare(const kern::NetworkSpec& spec, const kern::TrainConfig& tc,
                              uint32_t train_count, uint32_t test_count) {
    const uint32_t C = spec.channels, H = spec.rows, W = spec.cols;
    kern::Trainer golden(spec, tc);
    REQUIRE(golden.network().has_tracked_scales());
    const uint32_t classes = golden.network().num_classes();
    const Dataset train = make_dataset(train_count, C, H, W, classes, 3);
    const Dataset test = make_dataset(test_count, C, H, W, classes, 4);
    const kern::DataView tv = train.view(C, H, W), sv = test.view(C, H, W);

    Platform soc("soc", platform_config());
    TrainJobImage img;
    const FwRun fw = run_firmware(soc, [&] {
        img = write_train_job(soc.ram, golden, tv, sv);
        return img.job;
    });
    REQUIRE(fw.exit_code == 0);
    REQUIRE(fw.results.done == 1);

    std::vector<double> golden_running;  // the epoch's loss sum after each step
    std::vector<std::vector<int>> scales{tracked_scales(golden.network())};
    const kern::ProgressFn after_step = [&](uint32_t, uint32_t) {
        golden_running.push_back(golden.cursor().loss_sum);
        scales.push_back(tracked_scales(golden.network()));
    };
    size_t step = 0;
    for (uint32_t e = 0; e < tc.epochs; ++e) {
        golden_running.clear();
        const kern::EpochResult er = golden.train_epoch(tv, after_step);
        const kern::EvalResult ev = golden.evaluate(sv);
        const train_epoch_result& fe = fw.results.epochs[e];
        INFO("epoch " << e + 1);
        double running = 0;
        for (uint32_t s = 0; s < img.job.steps_per_epoch; ++s) {
            INFO("step " << step);
            running += fw.step_losses[step++];
            CHECK(running == golden_running.at(s));
        }
        CHECK(fe.train_loss_sum / train_count == er.train.loss);
        CHECK(double(fe.train_correct) / train_count == er.train.accuracy);
        CHECK(fe.test_loss_sum / test_count == ev.loss);
        CHECK(double(fe.test_correct) / test_count == ev.accuracy);
    }
    check_parameters(soc.ram, golden.network(), img.job);  // in the golden network's final formats

    // The scales moved during training, weights included (their int8 copy derived again from the master),
    // and not only at the first step.
    size_t changes = 0, later = 0, weight_changes = 0;
    for (size_t s = 1; s < scales.size(); ++s)
        for (size_t t = 0; t < scales[s].size(); ++t)
            if (scales[s][t] != scales[s - 1][t]) ++changes, later += s > 1;
    const kern::Trainer initial(spec, tc);
    for (size_t l = 0; l < initial.network().layers().size(); ++l) {
        const kern::Layer& L = initial.network().layers()[l];
        if (L.weight && L.formats.weights.scale_exp != golden.network().layers()[l].formats.weights.scale_exp)
            ++weight_changes;
    }
    CHECK(changes > 0);
    CHECK(later > 0);
    CHECK(weight_changes > 0);

    // The platform's final scales, read back from the job, are the golden ones; the initial ones are not.
    kern::Trainer platform_side(spec, tc);
    CHECK_FALSE(first_scale_difference(platform_side.network(), golden.network()).empty());
    read_int8_scales(soc.ram, platform_side.network());
    CHECK(first_scale_difference(platform_side.network(), golden.network()).empty());
    CHECK(tracked_scales(platform_side.network()) == tracked_scales(golden.network()));

    train_job final_job{};
    soc.ram.read(uint64_t{TRAIN_JOB_BASE} - TRAINVP_DRAM_BASE, &final_job, sizeof final_job);
    size_t replanned = 0;
    for (uint32_t l = 0; l < final_job.num_layers; ++l)
        replanned += final_job.layers[l].err_mode != img.job.layers[l].err_mode;
    return replanned;
}

kern::LayerSpec named(kern::LayerKind kind, std::string name, std::vector<std::string> inputs = {}) {
    kern::LayerSpec s;
    s.kind = kind;
    s.name = std::move(name);
    s.inputs = std::move(inputs);
    return s;
}

kern::LayerSpec conv_spec(std::string name, uint32_t out_channels, uint32_t kernel,
                          std::vector<std::string> in = {}) {
    kern::LayerSpec s = named(kern::LayerKind::conv, std::move(name), std::move(in));
    s.out_channels = out_channels, s.kernel = kernel, s.pad = kernel / 2;
    return s;
}

kern::LayerSpec norm_spec(std::string name, uint32_t groups, kern::NormGradient gradient) {
    kern::LayerSpec s = named(kern::LayerKind::norm, std::move(name));
    s.groups = groups, s.norm_gradient = gradient;
    return s;
}

// A residual block whose add reads the shortcut first: the shortcut r0 is read twice (its error is a SUM2),
// so the branch a_norm, whose error format is its own, drifts away from the add's error format (the
// shortcut's) and its error becomes a rounding copy.
kern::NetworkSpec residual_spec(bool shortcut_first) {
    kern::NetworkSpec spec;
    spec.channels = 1, spec.rows = spec.cols = 8;
    using K = kern::LayerKind;
    kern::LayerSpec stem = conv_spec("stem", 4, 3);
    stem.bias = false;
    kern::LayerSpec out = named(K::fc, "out");
    out.out = 10;
    const std::vector<std::string> sum_inputs =
        shortcut_first ? std::vector<std::string>{"r0", "a_norm"} : std::vector<std::string>{"a_norm", "r0"};
    spec.layers = {stem,
                   norm_spec("stem_norm", 2, kern::NormGradient::fixed),
                   named(K::relu, "r0"),
                   conv_spec("a", 4, 3, {"r0"}),
                   norm_spec("a_norm", 4, kern::NormGradient::projection),
                   named(K::add, "sum", sum_inputs),
                   named(K::relu, "r1"),
                   named(K::global_avgpool, "gap"),
                   out};
    return spec;
}

}  // namespace

TEST_CASE("firmware trains an int8 residual block with tracked scales bit-identically", "[train_fw][int8]") {
    kern::TrainConfig tc;
    tc.epochs = 2, tc.batch = 8, tc.lr = 0.05, tc.momentum = 0.9, tc.weight_decay = 0.0005, tc.seed = 3;
    train_int8_and_compare(int8_scheme(residual_spec(false)), tc, 40, 12);
}

TEST_CASE("firmware replans the error of an int8 branch that drifts from the add format bit-identically",
          "[train_fw][int8]") {
    kern::TrainConfig tc;
    tc.epochs = 2, tc.batch = 8, tc.lr = 0.05, tc.momentum = 0.9, tc.seed = 3;
    CHECK(train_int8_and_compare(int8_scheme(residual_spec(true)), tc, 40, 12) > 0);
}

TEST_CASE("firmware trains an int8 graph whose summed errors have tracked scales bit-identically",
          "[train_fw][int8]") {
    // r0 is read by two convs (its error is their input errors' SUM2); the add joins them into a norm
    // layer with the range gradient.
    using K = kern::LayerKind;
    kern::NetworkSpec spec;
    spec.channels = 1, spec.rows = spec.cols = 8;
    kern::LayerSpec stem = conv_spec("stem", 4, 3);
    stem.stride = 2;
    kern::LayerSpec out = named(K::fc, "out");
    out.out = 10;
    kern::LayerSpec n = norm_spec("n", 1, kern::NormGradient::range);
    n.scale_bits = 4;
    spec.layers = {stem,
                   named(K::relu, "r0"),
                   conv_spec("a", 4, 3, {"r0"}),
                   conv_spec("b", 4, 1, {"r0"}),
                   named(K::add, "sum", {"a", "b"}),
                   n,
                   named(K::global_avgpool, "gap"),
                   out};
    kern::TrainConfig tc;
    tc.epochs = 2, tc.batch = 6, tc.lr = 0.05, tc.seed = 9;
    train_int8_and_compare(int8_scheme(spec), tc, 30, 10);
}

namespace {

// The platform's graph limits in one network: the network input read by the stem, a bf16 1x1 shortcut and
// a concat; an add of four inputs (one ADD with ADD_X3 and ADD_X4); r0 read by three layers (its error
// one ADD of three parts).
kern::NetworkSpec fan_spec() {
    using K = kern::LayerKind;
    kern::NetworkSpec spec;
    spec.channels = 1, spec.rows = spec.cols = 8;
    kern::LayerSpec shortcut = conv_spec("short", 4, 1, {"input"});
    for (kern::Role r : {kern::Role::activations, kern::Role::errors, kern::Role::weight_grads})
        shortcut.formats[r] = kern::parse_format_request("bf16:sr");
    kern::LayerSpec out = named(K::fc, "out");
    out.out = 10;
    spec.layers = {conv_spec("stem", 4, 3),
                   named(K::relu, "r0"),
                   shortcut,
                   conv_spec("a", 4, 3, {"r0"}),
                   conv_spec("b", 4, 1, {"r0"}),
                   named(K::add, "sum", {"r0", "a", "short", "b"}),
                   named(K::concat, "cat", {"sum", "input"}),
                   named(K::global_avgpool, "gap"),
                   out};
    return spec;
}

}  // namespace

TEST_CASE("firmware trains a graph at the platform's fan-in and fan-out limits bit-identically",
          "[train_fw][graph]") {
    kern::TrainConfig tc;
    tc.epochs = 2, tc.batch = 8, tc.lr = 0.05, tc.momentum = 0.9, tc.seed = 11;
    // 21 test samples: the last evaluation batch is smaller, and each batch's pass is built again (more
    // than layer 0 reads the test images).
    train_and_compare(fan_spec(), tc, 36, 21);
}

TEST_CASE("firmware trains the fan-in graph in int8 with tracked scales bit-identically",
          "[train_fw][int8]") {
    kern::NetworkSpec spec = fan_spec();
    spec.layers[2].formats = {};  // int8 everywhere
    kern::TrainConfig tc;
    tc.epochs = 2, tc.batch = 6, tc.lr = 0.05, tc.seed = 5;
    train_int8_and_compare(int8_scheme(spec), tc, 30, 10);
}

TEST_CASE("firmware trains an int8 MLP with tracked scales bit-identically", "[train_fw][int8]") {
    kern::NetworkSpec spec;
    spec.rows = spec.cols = 10;
    spec.layers = {kern::LayerSpec{}, kern::LayerSpec{}, kern::LayerSpec{}};
    spec.layers[0].kind = kern::LayerKind::fc, spec.layers[0].out = 24;
    spec.layers[1].kind = kern::LayerKind::relu;
    spec.layers[2].kind = kern::LayerKind::fc, spec.layers[2].out = 10;
    kern::TrainConfig tc;
    tc.epochs = 3, tc.batch = 8, tc.lr = 0.2, tc.momentum = 0.5, tc.seed = 7;
    train_int8_and_compare(int8_scheme(spec), tc, 30, 13);
}

TEST_CASE("firmware trains LeNet-5 in int8 with tracked scales bit-identically", "[train_fw][int8]") {
    kern::NetworkSpec spec;
    spec.layers = kern::lenet5_layers();
    kern::TrainConfig tc;
    tc.epochs = 2, tc.batch = 6, tc.lr = 0.1, tc.seed = 5;
    train_int8_and_compare(int8_scheme(spec), tc, 24, 7);
}

TEST_CASE("the firmware's int8 scale rule is the golden model's", "[train_fw][int8]") {
    for (int s = kern::kMinTrackedScale; s <= kern::kMaxTrackedScale; ++s)
        for (uint32_t m = 0; m <= 300; ++m) {
            INFO("scale " << s << ", max code " << m);
            REQUIRE(tvp_next_int8_scale(s, m) == kern::next_int8_scale(s, m));
        }
    // Hand-computed: m = 64..126 keeps the scale, 127 and 128 raise it, 0 lowers it, 1 lowers it by six.
    CHECK(tvp_next_int8_scale(-5, 64) == -5);
    CHECK(tvp_next_int8_scale(-5, 126) == -5);
    CHECK(tvp_next_int8_scale(-5, 127) == -4);
    CHECK(tvp_next_int8_scale(-5, 128) == -4);
    CHECK(tvp_next_int8_scale(-5, 0) == -6);
    CHECK(tvp_next_int8_scale(-5, 1) == -11);
    CHECK(tvp_next_int8_scale(-5, 63) == -6);
    CHECK(tvp_next_int8_scale(31, 127) == 31);
    CHECK(tvp_next_int8_scale(-32, 0) == -32);
}

TEST_CASE("a network with an int8 role that is not tracked is refused before the run", "[train_fw][int8]") {
    kern::NetworkSpec spec;
    spec.rows = spec.cols = 6;
    spec.layers = {kern::LayerSpec{}};
    spec.layers[0].kind = kern::LayerKind::fc, spec.layers[0].out = 10;
    kern::TrainConfig tc;
    kern::Trainer t(spec, tc);
    CHECK_NOTHROW(check_tracked_int8(t.network()));
    t.network().layers()[0].formats.errors = num::Format::int8_scaled(-7);  // a fixed-scale int8 role
    CHECK_THROWS_WITH(check_tracked_int8(t.network()),
                      Catch::Contains("layer fc1 errors") && Catch::Contains("int8 with a fixed scale"));
}

TEST_CASE("an int8 graph passes the platform check and a fixed-scale int8 norm output is refused by name",
          "[train_fw][int8]") {
    kern::TrainConfig tc;
    kern::Trainer t(int8_scheme(residual_spec(true)), tc);
    REQUIRE(t.network().has_tracked_scales());
    CHECK_NOTHROW(check_tracked_int8(t.network()));
    kern::Layer& norm = t.network().layers()[4];
    REQUIRE(norm.name == "a_norm");
    norm.formats.activations = num::Format::int8_scaled(-4);
    norm.tracked[static_cast<int>(kern::Role::activations)] = false;
    CHECK_THROWS_WITH(check_tracked_int8(t.network()), Catch::Contains("layer a_norm activations") &&
                                                           Catch::Contains("int8 with a fixed scale"));
}
