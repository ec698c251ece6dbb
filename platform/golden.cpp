#include "golden.h"

#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "golden_checkpoint.h"
#include "kernels/weights_io.h"
#include "output_files.h"
#include "run_command.h"
#include "run_interrupt.h"
#include "training_config.h"

namespace trainvp {
namespace {

using nlohmann::json;

json quant_json(const num::QuantStats& s) {
    return json{{"values", s.values}, {"saturated", s.saturated}, {"underflow_to_zero", s.underflow_to_zero}};
}

json shape_json(const kern::Shape& s) {
    return json::array({s.c, s.h, s.w});
}

json network_json(const TrainingScenario& sc, const kern::Network& net) {
    json layers = json::array();
    for (const kern::Layer& L : net.layers()) {
        json l{{"name", L.name},
               {"type", kern::layer_kind_name(L.spec.kind)},
               {"in", shape_json(L.in)},
               {"out", shape_json(L.out)}};
        if (L.weight) {
            json f;
            for (int r = 0; r < kern::kRoleCount; ++r)
                f[kern::role_name(static_cast<kern::Role>(r))] =
                    L.formats[static_cast<kern::Role>(r)].to_string();
            l["formats"] = f;
        }
        layers.push_back(l);
    }
    return json{{"preset", sc.preset},
                {"input",
                 {{"channels", sc.network.channels},
                  {"rows", sc.network.rows},
                  {"cols", sc.network.cols},
                  {"format", net.input_format().to_string()}}},
                {"accumulator_bits", sc.network.accumulator.bits},
                {"layers", layers}};
}

json saturation_json(const kern::Trainer& t) {
    json layers = json::object();
    for (const kern::Layer& L : t.network().layers()) {
        json l = json::object();
        for (int r = 0; r < kern::kRoleCount; ++r)
            if (L.stats.roles[r].values)
                l[kern::role_name(static_cast<kern::Role>(r))] = quant_json(L.stats.roles[r]);
        if (L.stats.acc.additions)
            l["accumulator"] =
                json{{"additions", L.stats.acc.additions}, {"saturated", L.stats.acc.saturated}};
        if (!l.empty()) layers[L.name] = l;
    }
    return json{{"input", quant_json(t.input_stats())},
                {"loss_gradient", quant_json(t.network().loss_stats())},
                {"layers", layers}};
}

// One self-overwriting line; only drawn on a terminal and at most ten times a second.
class Progress {
  public:
    Progress(bool enabled, uint32_t epochs) : enabled_(enabled && isatty(fileno(stderr))), epochs_(epochs) {}
    void update(uint32_t epoch, uint32_t done, uint32_t total) {
        if (!enabled_) return;
        const auto now = std::chrono::steady_clock::now();
        if (done < total && now - last_ < std::chrono::milliseconds(100)) return;
        last_ = now;
        const int width = 30, filled = total ? static_cast<int>(int64_t{width} * done / total) : width;
        std::fprintf(stderr, "\repoch %u/%u [%s%s] %u/%u", epoch, epochs_, std::string(filled, '#').c_str(),
                     std::string(width - filled, ' ').c_str(), done, total);
        std::fflush(stderr);
    }
    void clear() {
        if (enabled_) std::fprintf(stderr, "\r%60s\r", "");
    }

  private:
    bool enabled_;
    uint32_t epochs_;
    std::chrono::steady_clock::time_point last_{};
};

kern::DataView view(const Dataset& d) {
    return kern::DataView{d.images.data(), d.labels.data(), d.count, d.channels, d.rows, d.cols};
}

json epoch_json(const GoldenEpochFigures& f, double seconds, double cpu_seconds, double images_per_second) {
    return json{{"epoch", f.epoch},
                {"train_loss", f.train_loss},
                {"train_accuracy", f.train_accuracy},
                {"test_loss", f.test_loss},
                {"test_accuracy", f.test_accuracy},
                {"seconds", seconds},
                {"cpu_seconds", cpu_seconds},
                {"images_per_second", images_per_second}};
}

}  // namespace

int golden_command(const std::string& scenario_path, const YAML::Node& root, const GoldenOptions& opts) {
    if (opts.threads != 1)
        throw UserError("golden: --threads " + std::to_string(opts.threads) + ": only 1 thread is supported");
    const auto wall_start = std::chrono::steady_clock::now();
    // --- checkpoints (golden_checkpoint.h): the --resume file read before any work, checked once the data
    // is loaded ---
    std::unique_ptr<GoldenCheckpoints> checkpoints;
    if (opts.checkpoints) checkpoints = std::make_unique<GoldenCheckpoints>(*opts.checkpoints);
    const TrainingScenario sc = parse_training_scenario(root, scenario_path);
    const TrainingData data = load_training_data(sc);
    if (checkpoints)
        checkpoints->set_identity(root["name"] && root["name"].IsScalar() ? root["name"].Scalar() : "", sc,
                                  data);
    kern::Trainer trainer(sc.network, sc.training);
    const kern::TrainConfig& tc = sc.training;

    std::printf("scenario %s\n", scenario_path.c_str());
    std::printf("data     train %u images (%s), test %u images (%s)\n", data.train.count,
                data.train.source.c_str(), data.test.count, data.test.source.c_str());
    std::printf("training %u epoch%s, batch %u, lr %g, momentum %g, weight decay %g, seed %" PRIu64 "\n",
                tc.epochs, tc.epochs == 1 ? "" : "s", tc.batch, tc.lr, tc.momentum, tc.weight_decay, tc.seed);
    if (tc.lr_decay_every)
        std::printf("         lr times %g every %u epoch%s\n", tc.lr_decay_factor, tc.lr_decay_every,
                    tc.lr_decay_every == 1 ? "" : "s");
    std::fputs(describe_network(trainer.network()).c_str(), stdout);
    std::fflush(stdout);

    json epochs = json::array();
    Progress progress(opts.progress, tc.epochs);
    double train_seconds = 0.0, train_cpu_seconds = 0.0;
    kern::EvalResult test{};
    kern::EpochResult last{};
    const kern::DataView train_view = view(data.train), test_view = view(data.test);
    // --- checkpoints: epochs finished before the checkpoint report no wall times ---
    std::vector<GoldenEpochFigures> figures;
    if (checkpoints) {
        if (checkpoints->restore(trainer, figures) && !figures.empty()) {
            for (const GoldenEpochFigures& f : figures) epochs.push_back(epoch_json(f, 0.0, 0.0, 0.0));
            last.train =
                kern::EvalResult{figures.back().train_loss, figures.back().train_accuracy, data.train.count};
            test = kern::EvalResult{figures.back().test_loss, figures.back().test_accuracy, data.test.count};
        }
    }
    // --- end checkpoints ---
    // Ctrl-C and SIGTERM stop training after the step in progress; the summary and the weights as they are
    // then are still written (a second signal ends the process at once).
    RunInterrupt interrupt(0);
    trainer.set_stop_flag(RunInterrupt::requested_flag());
    bool interrupted = false;
    if (sc.inference) {
        // training.mode: inference: the forward pass over the test set with the given weights, no training.
        try {
            kern::read_weights(trainer.network(), resolve_data_path(sc.weights, scenario_path));
        } catch (const UserError& e) {
            throw UserError(std::string("key 'training.weights': ") + e.what());
        }
        test = trainer.evaluate(test_view);
        std::printf("inference %u test images  test %.2f%%  test loss %.4f\n", data.test.count,
                    100.0 * test.accuracy, test.loss);
    }
    for (uint32_t e = trainer.epochs_done(); e < (sc.inference ? 0u : tc.epochs); ++e) {
        last = trainer.train_epoch(train_view, [&](uint32_t done, uint32_t total) {
            progress.update(e + 1, done, total);
            if (checkpoints) checkpoints->after_step(trainer, figures);
        });
        progress.clear();
        if (last.stopped) {
            interrupted = true;
            break;
        }
        test = trainer.evaluate(test_view);
        train_seconds += last.seconds;
        train_cpu_seconds += last.cpu_seconds;
        std::printf(
            "epoch %u/%u  loss %.4f  train %.2f%%  test %.2f%%  test loss %.4f  %.2f s (cpu %.2f s)  %.0f "
            "images/s\n",
            last.epoch, tc.epochs, last.train.loss, 100.0 * last.train.accuracy, 100.0 * test.accuracy,
            test.loss, last.seconds, last.cpu_seconds, last.images_per_second);
        std::fflush(stdout);
        figures.push_back({last.epoch, last.train.loss, last.train.accuracy, test.loss, test.accuracy});
        epochs.push_back(epoch_json(figures.back(), last.seconds, last.cpu_seconds, last.images_per_second));
        if (checkpoints) checkpoints->after_epoch(trainer, figures);
    }
    trainer.set_stop_flag(nullptr);
    const uint32_t steps_per_epoch = (data.train.count + tc.batch - 1) / std::max(tc.batch, 1u);
    if (interrupted)
        std::fprintf(stderr, "trainvp: interrupted at epoch %u step %u of %u (%s)\n",
                     trainer.epochs_done() + 1, (trainer.cursor().next + tc.batch - 1) / tc.batch,
                     steps_per_epoch, RunInterrupt::signal_name());

    json summary;
    summary["scenario"] = scenario_path;
    if (root["name"] && root["name"].IsScalar()) summary["name"] = root["name"].Scalar();
    summary["network"] = network_json(sc, trainer.network());
    summary["training"] =
        json{{"epochs", tc.epochs},
             {"batch", tc.batch},
             {"lr", tc.lr},
             {"momentum", tc.momentum},
             {"weight_decay", tc.weight_decay},
             {"seed", tc.seed},
             {"init", tc.init == kern::InitKind::he_uniform ? "he_uniform" : "xavier_uniform"}};
    if (tc.lr_decay_every)
        summary["training"]["lr_decay"] = {{"every", tc.lr_decay_every}, {"factor", tc.lr_decay_factor}};
    summary["data"] = json{{"kind", sc.data.kind},
                           {"train", {{"source", data.train.source}, {"count", data.train.count}}},
                           {"test", {{"source", data.test.source}, {"count", data.test.count}}}};
    summary["mode"] = sc.inference ? "inference" : "train";
    summary["completed"] = !interrupted;
    if (interrupted)
        summary["interrupted"] = json{{"signal", RunInterrupt::signal_name()},
                                      {"epochs_done", trainer.epochs_done()},
                                      {"steps_done", trainer.steps_done()}};
    summary["epochs"] = epochs;
    summary["final"] = json{{"test_accuracy", test.accuracy},
                            {"test_loss", test.loss},
                            {"train_accuracy", last.train.accuracy},
                            {"train_loss", last.train.loss}};
    summary["train_seconds"] = train_seconds;
    summary["train_cpu_seconds"] = train_cpu_seconds;
    summary["images_per_second"] =
        train_seconds > 0 ? double(data.train.count) * tc.epochs / train_seconds : 0.0;
    summary["saturation"] = saturation_json(trainer);
    // Every output is attempted even when one before it failed (output_files.h).
    OutputWrites writes;
    if (!opts.weights_out.empty()) {
        const bool ok = writes.attempt("--weights", [&] {
            const kern::WeightsManifest m = kern::write_weights(trainer.network(), opts.weights_out);
            json tensors = json::array();
            for (const auto& t : m.tensors)
                tensors.push_back(
                    json{{"name", t.name}, {"shape", t.shape}, {"offset", t.offset}, {"count", t.count}});
            char hash[17];
            std::snprintf(hash, sizeof hash, "%016" PRIx64, m.fnv1a64);
            summary["weights"] = json{{"file", opts.weights_out}, {"format", "float32-le"},
                                      {"bytes", m.bytes},         {"fnv1a64", hash},
                                      {"tensors", tensors},       {"steps_done", trainer.steps_done()}};
            std::printf("weights  %s (%" PRIu64 " bytes, fnv1a64 %s)\n", opts.weights_out.c_str(), m.bytes,
                        hash);
        });
        if (!ok) summary["weights"] = json{{"file", opts.weights_out}, {"error", writes.errors().back()}};
    }
    if (writes.failed()) summary["output_errors"] = writes.errors();
    summary["wall_seconds"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    if (!opts.json_out.empty()) {
        const bool ok = writes.attempt("--out", [&] {
            const std::string text = summary.dump(2) + "\n";
            kern::write_file_atomic(opts.json_out, text.data(), text.size());
        });
        if (ok) std::printf("summary  %s\n", opts.json_out.c_str());
    }
    std::fflush(stdout);
    if (interrupted) return RunInterrupt::exit_status();
    return writes.failed() ? kExitOutputFailed : 0;
}

}  // namespace trainvp
