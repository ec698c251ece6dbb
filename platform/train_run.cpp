#include "train_run.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "accel/accel_stats.h"
#include "common/error.h"
#include "common/log.h"
#include "kernels/weights_io.h"
#include "train_int8.h"

namespace trainvp {

using nlohmann::json;

namespace {

kern::DataView view(const Dataset& d) {
    return kern::DataView{d.images.data(), d.labels.data(), d.count, d.channels, d.rows, d.cols};
}

// The dataset must match the network, as kern::Trainer checks before training; here it is checked before
// the simulation so that the firmware never meets a bad label.
void check_data(const Dataset& d, const kern::Network& net, const char* which) {
    const kern::NetworkSpec& s = net.spec();
    if (d.channels != s.channels || d.rows != s.rows || d.cols != s.cols)
        throw UserError(d.source + ": " + which + " images are " + std::to_string(d.channels) + "x" +
                        std::to_string(d.rows) + "x" + std::to_string(d.cols) + " but network.input is " +
                        std::to_string(s.channels) + "x" + std::to_string(s.rows) + "x" +
                        std::to_string(s.cols));
    for (uint32_t i = 0; i < d.count; ++i)
        if (d.labels[i] >= net.num_classes())
            throw UserError(d.source + ": " + which + " label " + std::to_string(d.labels[i]) +
                            " of sample " + std::to_string(i) + " is not below the network's " +
                            std::to_string(net.num_classes()) + " outputs");
}

std::string hex64(uint64_t v) {
    char b[17];
    std::snprintf(b, sizeof b, "%016" PRIx64, v);
    return b;
}

uint32_t float_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

// Correct count behind an accuracy the trainer computed as correct / count (exact in double).
uint32_t correct_of(double accuracy, uint32_t count) {
    return static_cast<uint32_t>(std::llround(accuracy * count));
}

// The training phase of an accelerator opcode, for the per-layer table.
enum Phase { kForward, kBackward, kWgrad, kUpdate, kLoss, kCopy, kOther, kPhaseCount };
const char* const kPhaseNames[kPhaseCount] = {"forward", "backward_data", "weight_grad", "update",
                                              "loss",    "copy",          "other"};
Phase phase_of(const std::string& op) {
    auto ends = [&](const char* s) {
        const size_t n = std::strlen(s);
        return op.size() >= n && op.compare(op.size() - n, n, s) == 0;
    };
    if (ends("_FWD")) return kForward;
    if (ends("_BWD_DATA") || ends("_BWD")) return kBackward;
    if (ends("_WGRAD")) return kWgrad;
    if (op == "SGD_UPDATE") return kUpdate;
    if (op == "SOFTMAX_XENT") return kLoss;
    if (op == "DMA_COPY") return kCopy;
    return kOther;
}

std::string layer_label(const kern::Network& net, uint32_t id) {
    if (id < net.layers().size()) return net.layers()[id].name;
    return id == net.layers().size() ? "input+loss" : "layer" + std::to_string(id);
}

double mib(uint64_t bytes) {
    return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

// "1 epoch", "2 epochs".
std::string count_of(uint64_t n, const char* noun) {
    return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

// Each line of the summary stays within this many columns.
constexpr size_t kSummaryColumns = 100;

// The stride zeros of strided convolutions' backward passes (docs/accelerator-timing.md "Stride zeros"):
// nothing for a network without them; else what they cost or what skipping them saved, in total and for
// each layer's backward-data and weight-gradient phases.
void print_stride_zeros(std::FILE* out, const accel::AccelStats& st, const kern::Network& net) {
    const accel::PhaseStats& t = st.total();
    if (!t.stride_zero_macs) return;
    const bool skipped = t.zeros_skipped;
    std::fprintf(out,
                 "  stride zeros            %s %.3f M MACs, %.1f k compute cycles (skip_stride_zeros: %s)\n",
                 skipped ? "skipped" : "executed", t.stride_zero_macs / 1e6, t.stride_zero_cycles / 1e3,
                 skipped ? "on" : "off");
    for (const auto& [id, ops] : st.per_layer()) {
        std::string line;
        for (const auto& [op, ps] : ops) {
            if (!ps.stride_zero_macs) continue;
            const nlohmann::json z = ps.stride_zeros_json();
            char b[96];
            std::snprintf(b, sizeof b, "%s%s %.1f%% MACs %.1f%% cycles", line.empty() ? "" : "; ",
                          phase_of(op) == kBackward ? "bwd-data" : "wgrad",
                          100.0 * z["macs_fraction"].get<double>(),
                          100.0 * z["compute_cycles_fraction"].get<double>());
            line += b;
        }
        if (!line.empty())
            std::fprintf(out, "    %-11s %s\n", layer_label(net, id).substr(0, 11).c_str(), line.c_str());
    }
}

}  // namespace

std::string first_parameter_difference(const kern::Network& platform, const kern::Network& golden,
                                       uint64_t& tensors, uint64_t& values) {
    tensors = values = 0;
    const auto pm = platform.parameters(), pr = golden.parameters();
    if (pm.size() != pr.size())
        return "the networks have " + std::to_string(pm.size()) + " and " + std::to_string(pr.size()) +
               " parameter tensors";
    for (size_t p = 0; p < pm.size(); ++p) {
        const kern::ParamTensor& a = *pm[p];
        const kern::ParamTensor& b = *pr[p];
        const struct {
            const char* suffix;
            const std::vector<float>& x;
            const std::vector<float>& y;
        } copies[] = {
            {"", a.values, b.values}, {".master", a.master, b.master}, {".velocity", a.velocity, b.velocity}};
        for (const auto& c : copies) {
            if (c.x.empty() && c.y.empty()) continue;
            ++tensors;
            values += c.y.size();
            for (size_t i = 0; i < std::max(c.x.size(), c.y.size()); ++i) {
                if (i < c.x.size() && i < c.y.size() && float_bits(c.x[i]) == float_bits(c.y[i])) continue;
                char buf[160] = "";
                if (i < c.x.size() && i < c.y.size())
                    std::snprintf(buf, sizeof buf, ": platform %.9g (0x%08x), golden %.9g (0x%08x)", c.x[i],
                                  float_bits(c.x[i]), c.y[i], float_bits(c.y[i]));
                else
                    std::snprintf(buf, sizeof buf, ": sizes %zu and %zu", c.x.size(), c.y.size());
                return "final " + a.name + c.suffix + "[" + std::to_string(i) + "] differs" + buf;
            }
        }
    }
    return "";
}

bool is_training_scenario(const YAML::Node& root) {
    return root.IsMap() && root["network"];
}

TrainingRun::TrainingRun(const std::string& scenario_path, const YAML::Node& root, TrainRunOptions opts)
    : scenario_path_(scenario_path), opts_(std::move(opts)) {
    scenario_ = parse_training_scenario(root, scenario_path);
    if (scenario_.inference) scenario_.training.epochs = 1;  // one pass over the test set
    data_ = load_training_data(scenario_);
    // The platform trains; this copy of the network holds the parameters it writes into the job and reads
    // back, so it needs no batch buffers (--check-golden builds its own trainer).
    trainer_ = std::make_unique<kern::Trainer>(scenario_.network, scenario_.training, false);
    check_data(data_.train, trainer_->network(), "training");
    check_data(data_.test, trainer_->network(), "test");
    if (scenario_.inference) {
        // Inference: the trained weights replace the initial ones, and the job has no training samples, so
        // the firmware's one epoch is its test pass: forward only, through the accelerator.
        try {
            kern::read_weights(trainer_->network(), weights_in());
        } catch (const UserError& e) {
            throw UserError(std::string("key 'training.weights': ") + e.what());
        }
        data_.train.count = 0;
        data_.train.images.clear();
        data_.train.labels.clear();
        data_.train.source = "none (inference)";
    }
}

std::string TrainingRun::weights_in() const {
    return resolve_data_path(scenario_.weights, scenario_path_);
}

TrainingRun::~TrainingRun() = default;

TrainJobImage TrainingRun::job_plan() const {
    return plan_train_job(*trainer_, data_.train.count, data_.test.count);
}

void TrainingRun::prepare(Platform& soc) {
    image_ = write_train_job(soc.ram, *trainer_, view(data_.train), view(data_.test));
    const train_job& j = image_.job;
    if (opts_.summary) {
        const kern::TrainConfig& tc = scenario_.training;
        std::fprintf(stderr, "trainvp: training %s on %u training and %u test images, input %s\n",
                     count_of(trainer_->network().layers().size(), "layer").c_str(), j.train_count,
                     j.test_count, trainer_->network().input_format().to_string().c_str());
        std::fprintf(stderr, "trainvp: %s of %s (batch %u)\n", count_of(tc.epochs, "epoch").c_str(),
                     count_of(j.steps_per_epoch, "step").c_str(), tc.batch);
        std::fprintf(stderr,
                     "trainvp: job %s..%s: datasets %.1f MiB, parameters %.2f MiB, buffers %.2f MiB\n",
                     hex32(TRAIN_JOB_BASE).c_str(), hex32(image_.end).c_str(), mib(image_.dataset_bytes),
                     mib(image_.parameter_bytes), mib(image_.buffer_bytes));
    }
    Platform* s = &soc;
    progress_ = std::make_unique<TrainProgress>(soc.ram, j, TrainProgress::pick(opts_.progress),
                                                [s] { return s->cpu.current_time().to_seconds(); });
    soc.simctrl.on_progress = [this](uint32_t v) {
        progress_->update(v);
        if (opts_.stop_request && *opts_.stop_request && !stopped_at_step_) {
            // Called from inside the firmware's store: the CPU stops after this instruction.
            stopped_at_step_ = true;
            sc_core::sc_stop();
        }
    };
    soc.uart0.on_tx = [p = progress_.get()](char c) { p->console_char(c); };
}

void TrainingRun::end_of_simulation() {
    if (progress_) progress_->finish();
}

std::string TrainingRun::position(const Platform& soc) const {
    const train_job& j = image_.job;
    const train_results res = read_train_results(soc.ram, j);
    const bool started = res.magic == TRAIN_RESULTS_MAGIC;
    if (!started) return "before training started";
    const uint32_t spe = std::max(j.steps_per_epoch, 1u);
    const uint32_t epochs_done = std::min(res.epochs_done, j.epochs);
    const uint32_t steps_done = std::min(res.steps_done, j.steps_per_epoch * j.epochs);
    // An epoch's steps are done before its test pass: until the pass is recorded, it is the current epoch.
    const uint32_t epoch = std::min(epochs_done + 1, std::max(j.epochs, 1u));
    const uint32_t step = steps_done - std::min(steps_done, (epoch - 1) * spe);
    char b[96];
    if (stopped_at_step_)
        std::snprintf(b, sizeof b, "at epoch %u step %u of %u", epoch, step, spe);
    else
        std::snprintf(b, sizeof b, "in epoch %u, during step %u of %u", epoch, std::min(step + 1, spe), spe);
    return b;
}

void TrainingRun::note_interrupt(const std::string& signal_name) {
    interrupted_by_ = signal_name;
}

int TrainingRun::finish(Platform& soc, int status, double wall_s, OutputWrites& writes) {
    end_of_simulation();
    const train_job& j = image_.job;
    const kern::TrainConfig& tc = scenario_.training;
    const train_results res = read_train_results(soc.ram, j);
    const bool started = res.magic == TRAIN_RESULTS_MAGIC;
    const uint32_t epochs_done = started ? std::min(res.epochs_done, j.epochs) : 0;
    const uint32_t steps_done = started ? std::min(res.steps_done, j.steps_per_epoch * j.epochs) : 0;
    const bool complete = started && res.done == 1 && res.status == 0 && epochs_done == j.epochs;
    const double sim_s = soc.cpu.current_time().to_seconds();

    // Per-step loss, per sample (the firmware records each step's batch sum; the last batch may be smaller).
    const std::vector<double> sums = read_step_losses(soc.ram, j, steps_done);
    std::vector<double> step_mean(sums.size());
    for (size_t s = 0; s < sums.size(); ++s) {
        const uint32_t first = static_cast<uint32_t>(s % j.steps_per_epoch) * j.batch;
        const uint32_t n = std::min(j.batch, j.train_count - std::min(first, j.train_count));
        step_mean[s] = n ? sums[s] / n : 0.0;
    }

    report_ = json::object();
    report_["completed"] = complete;
    report_["firmware_status"] = {{"results_magic_ok", started},
                                  {"accel_error", started ? res.status : 0},
                                  {"accel_error_addr", started ? res.err_addr : 0},
                                  {"epochs_done", epochs_done},
                                  {"steps_done", steps_done}};
    report_["data"] = {{"kind", scenario_.data.kind},
                       {"train", {{"source", data_.train.source}, {"count", data_.train.count}}},
                       {"test", {{"source", data_.test.source}, {"count", data_.test.count}}}};
    report_["hyperparameters"] = {{"epochs", tc.epochs},
                                  {"batch", tc.batch},
                                  {"lr", tc.lr},
                                  {"momentum", tc.momentum},
                                  {"weight_decay", tc.weight_decay},
                                  {"seed", tc.seed},
                                  {"steps_per_epoch", j.steps_per_epoch}};
    if (tc.lr_decay_every)
        report_["hyperparameters"]["lr_decay"] = {{"every", tc.lr_decay_every}, {"factor", tc.lr_decay_factor}};
    // Tracked int8 scales as the firmware left them in the job: the formats of the report and of the
    // parameters read below.
    read_int8_scales(soc.ram, trainer_->network());
    json layers = json::array();
    for (const kern::Layer& L : trainer_->network().layers()) {
        json l{{"name", L.name},
               {"type", kern::layer_kind_name(L.spec.kind)},
               {"in", {L.in.c, L.in.h, L.in.w}},
               {"out", {L.out.c, L.out.h, L.out.w}},
               {"activations", L.act_format.to_string()},
               {"errors", L.err_format.to_string()}};
        if (L.weight) {
            l["weights"] = L.formats.weights.to_string();
            l["weight_grads"] = L.formats.weight_grads.to_string();
            l["master_weights"] = L.formats.master_weights.to_string();
        }
        layers.push_back(l);
    }
    report_["network"] = {{"input_format", trainer_->network().input_format().to_string()},
                          {"layers", layers}};
    report_["job"] = {{"base", TRAIN_JOB_BASE},
                      {"end", image_.end},
                      {"dataset_bytes", image_.dataset_bytes},
                      {"parameter_bytes", image_.parameter_bytes},
                      {"buffer_bytes", image_.buffer_bytes},
                      {"ring_entries", j.ring_entries}};

    json epochs = json::array();
    for (uint32_t e = 0; e < epochs_done; ++e) {
        const train_epoch_result& r = res.epochs[e];
        epochs.push_back({{"epoch", e + 1},
                          {"train_loss", r.train_count ? r.train_loss_sum / r.train_count : 0.0},
                          {"train_accuracy", r.train_count ? double(r.train_correct) / r.train_count : 0.0},
                          {"train_correct", r.train_correct},
                          {"train_count", r.train_count},
                          {"test_loss", r.test_count ? r.test_loss_sum / r.test_count : 0.0},
                          {"test_accuracy", r.test_count ? double(r.test_correct) / r.test_count : 0.0},
                          {"test_correct", r.test_correct},
                          {"test_count", r.test_count}});
    }
    report_["epochs"] = epochs;
    report_["loss_curve"] = {{"unit", "mean cross-entropy per sample of each SGD step, in order"},
                             {"per_step", step_mean}};
    report_["final_test_accuracy"] = epochs_done ? epochs.back()["test_accuracy"].get<double>() : 0.0;
    const uint64_t trained =
        uint64_t{steps_done / std::max(j.steps_per_epoch, 1u)} * j.train_count +
        std::min<uint64_t>(uint64_t{steps_done % std::max(j.steps_per_epoch, 1u)} * j.batch, j.train_count);
    const uint64_t evaluated = uint64_t{epochs_done} * j.test_count;
    report_["images"] = {{"trained", trained}, {"evaluated", evaluated}};
    report_["simulated_images_per_second"] = sim_s > 0 ? trained / sim_s : 0.0;
    report_["mode"] = scenario_.inference ? "inference" : "train";
    if (scenario_.inference)
        report_["inference"] = {{"weights", weights_in()},
                                {"images", evaluated},
                                {"test_accuracy", report_["final_test_accuracy"]},
                                {"simulated_images_per_second", sim_s > 0 ? evaluated / sim_s : 0.0}};
    report_["accelerator"] = accelerator_report(soc, sim_s);
    wall_report_ = {{"images_per_second", wall_s > 0 ? trained / wall_s : 0.0}};

    if (status == 0 && !complete) {
        std::fprintf(stderr,
                     "trainvp: error: the firmware exited 0 but training is incomplete (%u of %s, done "
                     "flag %u, accelerator error %u)\n",
                     epochs_done, count_of(j.epochs, "epoch").c_str(), started ? res.done : 0,
                     started ? res.status : 0);
        status = kExitTrainingFailed;
    }
    if (started && res.status != 0)
        std::fprintf(stderr, "trainvp: training stopped by accelerator error %u at %s\n", res.status,
                     hex32(res.err_addr).c_str());

    const bool interrupted = !interrupted_by_.empty();
    if (interrupted)
        report_["interrupted"] = {
            {"signal", interrupted_by_}, {"at_step_boundary", stopped_at_step_}, {"position", position(soc)}};

    // The parameters as the accelerator left them, in the golden network's float form: after a complete
    // run, or after the steps done when an interrupt stopped it between two steps (mid-step they may be
    // half updated).
    const bool consistent = complete || (interrupted && stopped_at_step_ && started);
    if (consistent) {
        read_parameters(soc.ram, j, trainer_->network());
        if (!opts_.weights_path.empty()) {
            kern::WeightsManifest m;
            if (writes.attempt("--weights",
                               [&] { m = kern::write_weights(trainer_->network(), opts_.weights_path); }))
                report_["weights"] = {
                    {"file", opts_.weights_path},  {"format", "float32-le"},      {"bytes", m.bytes},
                    {"fnv1a64", hex64(m.fnv1a64)}, {"tensors", m.tensors.size()}, {"steps_done", steps_done}};
            else
                report_["weights"] = {{"file", opts_.weights_path}, {"error", writes.errors().back()}};
        }
    } else if (interrupted && !opts_.weights_path.empty()) {
        std::fprintf(stderr,
                     "trainvp: weights not written: the run stopped in the middle of a training step\n");
    }

    if (opts_.summary) print_summary(soc, res, step_mean, sim_s, wall_s);

    if (opts_.check_golden) {
        json check;
        if (!complete) {
            if (!interrupted)
                std::fprintf(stderr,
                             "trainvp: error: check-golden: training did not complete; nothing to compare\n");
            check["identical"] = false;
            status = status ? status : kExitTrainingFailed;
        } else {
            const std::string diff = check_against_golden(res, check);
            if (diff.empty() && scenario_.inference) {
                std::fprintf(stderr,
                             "check-golden: identical (inference: %u of %u test images correct, same loss)\n",
                             check["test_correct"].get<uint32_t>(), check["test_count"].get<uint32_t>());
            } else if (diff.empty()) {
                std::fprintf(stderr,
                             "check-golden: identical (%" PRIu64 " tensors, %" PRIu64 " values, %s)\n",
                             check["tensors"].get<uint64_t>(), check["values"].get<uint64_t>(),
                             count_of(j.epochs, "epoch").c_str());
            } else {
                std::fprintf(stderr, "trainvp: error: check-golden: %s\n", diff.c_str());
                if (status == 0) status = kExitTrainingFailed;
            }
        }
        report_["check_golden"] = check;
    }
    return status;
}

std::string TrainingRun::check_against_golden(const train_results& res, json& summary) {
    const train_job& j = image_.job;
    kern::Trainer golden(scenario_.network, scenario_.training);
    const kern::DataView tv = view(data_.train), sv = view(data_.test);
    std::string diff;
    if (scenario_.inference) {
        // The golden model's forward pass over the test set with the same weights.
        kern::read_weights(golden.network(), weights_in());
        const kern::EvalResult ev = golden.evaluate(sv);
        const train_epoch_result& r = res.epochs[0];
        const uint32_t g_test = correct_of(ev.accuracy, sv.count);
        if (r.test_correct != g_test || r.test_count != sv.count)
            diff = "inference: test correct " + std::to_string(r.test_correct) + "/" +
                   std::to_string(r.test_count) + ", golden " + std::to_string(g_test) + "/" +
                   std::to_string(sv.count);
        else if (sv.count && r.test_loss_sum / sv.count != ev.loss)
            diff = "inference: test loss " + std::to_string(r.test_loss_sum / sv.count) + ", golden " +
                   std::to_string(ev.loss);
        summary = {{"identical", diff.empty()},
                   {"inference", true},
                   {"test_correct", g_test},
                   {"test_count", sv.count}};
        if (!diff.empty()) summary["first_difference"] = diff;
        return diff;
    }
    // A Ctrl-C during the comparison (it trains the whole run again, natively) ends it at the next step.
    struct Interrupted {};
    const kern::ProgressFn stop_check = [this](uint32_t, uint32_t) {
        if (opts_.stop_request && *opts_.stop_request) throw Interrupted{};
    };
    for (uint32_t e = 0; e < j.epochs && diff.empty(); ++e) {
        kern::EpochResult er;
        try {
            er = golden.train_epoch(tv, stop_check);
        } catch (const Interrupted&) {
            summary = {{"identical", false}, {"interrupted", true}};
            return "interrupted before the golden training finished";
        }
        const kern::EvalResult ev = golden.evaluate(sv);
        const train_epoch_result& r = res.epochs[e];
        const std::string at = "epoch " + std::to_string(e + 1) + ": ";
        const uint32_t g_train = correct_of(er.train.accuracy, tv.count);
        const uint32_t g_test = correct_of(ev.accuracy, sv.count);
        if (r.train_correct != g_train || r.train_count != tv.count)
            diff = at + "training correct " + std::to_string(r.train_correct) + "/" +
                   std::to_string(r.train_count) + ", golden " + std::to_string(g_train) + "/" +
                   std::to_string(tv.count);
        else if (r.test_correct != g_test || r.test_count != sv.count)
            diff = at + "test correct " + std::to_string(r.test_correct) + "/" +
                   std::to_string(r.test_count) + ", golden " + std::to_string(g_test) + "/" +
                   std::to_string(sv.count);
        else if (tv.count && r.train_loss_sum / tv.count != er.train.loss)
            diff = at + "training loss " + std::to_string(r.train_loss_sum / tv.count) + ", golden " +
                   std::to_string(er.train.loss);
        else if (sv.count && r.test_loss_sum / sv.count != ev.loss)
            diff = at + "test loss " + std::to_string(r.test_loss_sum / sv.count) + ", golden " +
                   std::to_string(ev.loss);
    }
    if (!diff.empty()) {
        summary = {{"identical", false}, {"first_difference", diff}};
        return diff;
    }

    uint64_t tensors = 0, values = 0;
    diff = first_parameter_difference(trainer_->network(), golden.network(), tensors, values);
    if (diff.empty()) diff = first_scale_difference(trainer_->network(), golden.network());
    summary = {{"identical", diff.empty()}, {"tensors", tensors}, {"values", values}, {"epochs", j.epochs}};
    if (!diff.empty()) summary["first_difference"] = diff;
    return diff;
}

json TrainingRun::accelerator_report(const Platform& soc, double sim_s) const {
    const accel::AccelStats& st = soc.accel.stats();
    const AcceleratorConfig& cfg = soc.accel.config();
    const uint64_t pes = uint64_t{cfg.rows} * cfg.cols;
    json layers = json::array();
    for (const auto& [id, ops] : st.per_layer()) {
        json phases = json::object();
        accel::PhaseStats all;
        for (const auto& [op, ps] : ops) {
            all.merge(ps);
            phases[op] = {{"phase", kPhaseNames[phase_of(op)]},
                          {"descriptors", ps.descriptors},
                          {"cycles", ps.cycles},
                          {"compute_cycles", ps.compute_cycles},
                          {"macs", ps.macs},
                          {"utilisation", ps.utilisation(pes)},
                          {"dram_read_bytes", ps.dram_read_bytes},
                          {"dram_write_bytes", ps.dram_write_bytes},
                          {"stride_zeros", ps.stride_zeros_json()}};
        }
        layers.push_back({{"id", id},
                          {"name", layer_label(trainer_->network(), id)},
                          {"cycles", all.cycles},
                          {"macs", all.macs},
                          {"utilisation", all.utilisation(pes)},
                          {"dram_read_bytes", all.dram_read_bytes},
                          {"dram_write_bytes", all.dram_write_bytes},
                          {"stride_zeros", all.stride_zeros_json()},
                          {"opcodes", phases}});
    }
    const accel::PhaseStats& t = st.total();
    json buffers = json::object();
    for (int b = 0; b < 3; ++b)
        buffers[accel::buffer_name(static_cast<accel::BufferId>(b))] = {
            {"read_bytes", t.buffers[b].read_bytes}, {"write_bytes", t.buffers[b].write_bytes}};
    const double busy_s = cfg.clock_hz > 0 ? t.cycles / cfg.clock_hz : 0.0;
    // Throughput as the papers count it: two operations per MAC of the forward, backward-data and
    // weight-gradient GEMMs, over the accelerator's busy time at its clock, and over the whole run. The
    // inserted zeros a dense array multiplies in the backward passes of strided convolutions are not the
    // network's work: they cost time but are not counted as operations.
    const double ops = 2.0 * double(t.macs - (t.zeros_skipped ? 0 : t.stride_zero_macs));
    const json throughput = {{"ops", ops},
                             {"gops", busy_s > 0 ? ops / busy_s / 1e9 : 0.0},
                             {"gops_over_run", sim_s > 0 ? ops / sim_s / 1e9 : 0.0},
                             {"peak_gops", 2.0 * double(pes) * cfg.clock_hz / 1e9}};
    return {{"cycles", t.cycles},
            {"compute_cycles", t.compute_cycles},
            {"macs", t.macs},
            {"utilisation", t.utilisation(pes)},
            {"busy_fraction", sim_s > 0 ? busy_s / sim_s : 0.0},
            {"throughput", throughput},
            {"dram_read_bytes", t.dram_read_bytes},
            {"dram_write_bytes", t.dram_write_bytes},
            {"buffers", buffers},
            {"stride_zeros", t.stride_zeros_json()},
            {"per_layer", layers}};
}

void TrainingRun::print_summary(const Platform& soc, const train_results& res,
                                const std::vector<double>& step_mean, double sim_s, double wall_s) const {
    const train_job& j = image_.job;
    std::FILE* out = stderr;
    const uint32_t epochs_done = res.magic == TRAIN_RESULTS_MAGIC ? std::min(res.epochs_done, j.epochs) : 0;
    std::fprintf(out, "trainvp: training summary\n");
    std::fprintf(out, "  %5s  %10s  %9s  %9s  %8s\n", "epoch", "train loss", "train acc", "test loss",
                 "test acc");
    for (uint32_t e = 0; e < epochs_done; ++e) {
        const train_epoch_result& r = res.epochs[e];
        std::fprintf(out, "  %5u  %10.4f  %8.2f%%  %9.4f  %7.2f%%\n", e + 1,
                     r.train_count ? r.train_loss_sum / r.train_count : 0.0,
                     r.train_count ? 100.0 * r.train_correct / r.train_count : 0.0,
                     r.test_count ? r.test_loss_sum / r.test_count : 0.0,
                     r.test_count ? 100.0 * r.test_correct / r.test_count : 0.0);
    }
    if (!step_mean.empty()) {
        // A compact loss curve: the per-sample loss at up to nine evenly spaced steps, fewer if the line
        // would not fit.
        const char* label = "  loss curve (step:loss)  ";
        std::string curve;
        const size_t n = step_mean.size();
        for (size_t points = std::min<size_t>(n, 9); points >= 1; --points) {
            curve.clear();
            for (size_t k = 0; k < points; ++k) {
                const size_t s = points > 1 ? k * (n - 1) / (points - 1) : n - 1;
                char b[48];
                std::snprintf(b, sizeof b, "%s%zu:%.3f", curve.empty() ? "" : "  ", s + 1, step_mean[s]);
                curve += b;
            }
            if (std::strlen(label) + curve.size() <= kSummaryColumns) break;
        }
        std::fprintf(out, "%s%s\n", label, curve.c_str());
    }
    if (epochs_done) {
        const train_epoch_result& r = res.epochs[epochs_done - 1];
        std::fprintf(out, "  %-22s  %.2f%% (%u/%u)\n",
                     epochs_done < j.epochs ? "last test accuracy" : "final test accuracy",
                     r.test_count ? 100.0 * r.test_correct / r.test_count : 0.0, r.test_correct,
                     r.test_count);
    }
    // Inference runs count the test images they evaluated.
    const double trained = report_["images"][scenario_.inference ? "evaluated" : "trained"].get<double>();
    const char* what = scenario_.inference ? "inference" : "training";
    std::fprintf(out, "  simulated time          %.6f s, %.0f %s images/s simulated\n", sim_s,
                 sim_s > 0 ? trained / sim_s : 0.0, what);

    const accel::AccelStats& st = soc.accel.stats();
    const AcceleratorConfig& cfg = soc.accel.config();
    const uint64_t pes = uint64_t{cfg.rows} * cfg.cols;
    const accel::PhaseStats& t = st.total();
    std::fprintf(out, "  accelerator             %" PRIu64 " cycles at %.0f MHz (%.1f%% of simulated time)\n",
                 t.cycles, cfg.clock_hz / 1e6, sim_s > 0 ? 100.0 * t.cycles / cfg.clock_hz / sim_s : 0.0);
    std::fprintf(out, "  PE array                %ux%u %s, utilisation %.1f%%\n", cfg.rows, cfg.cols,
                 dataflow_name(cfg.dataflow), 100.0 * t.utilisation(pes));
    const json& tp = report_["accelerator"]["throughput"];
    std::fprintf(out, "  throughput              %.1f GOPS (%.1f over the run, peak %.0f; 2 ops a MAC)\n",
                 tp["gops"].get<double>(), tp["gops_over_run"].get<double>(), tp["peak_gops"].get<double>());
    std::fprintf(out, "  cycles by layer and phase (thousands)\n");
    std::fprintf(out, "    %-11s %10s %10s %10s %9s %9s %10s %6s\n", "layer", "forward", "bwd-data", "wgrad",
                 "update", "loss/copy", "total", "util");
    for (const auto& [id, ops] : st.per_layer()) {
        uint64_t by_phase[kPhaseCount] = {};
        accel::PhaseStats all;
        for (const auto& [op, ps] : ops) {
            by_phase[phase_of(op)] += ps.cycles;
            all.merge(ps);
        }
        std::fprintf(out, "    %-11s %10.1f %10.1f %10.1f %9.1f %9.1f %10.1f %5.1f%%\n",
                     layer_label(trainer_->network(), id).substr(0, 11).c_str(), by_phase[kForward] / 1e3,
                     by_phase[kBackward] / 1e3, by_phase[kWgrad] / 1e3, by_phase[kUpdate] / 1e3,
                     (by_phase[kLoss] + by_phase[kCopy] + by_phase[kOther]) / 1e3, all.cycles / 1e3,
                     100.0 * all.utilisation(pes));
    }
    print_stride_zeros(out, st, trainer_->network());
    std::fprintf(out, "  DRAM traffic            read %.1f MiB, written %.1f MiB (accelerator)\n",
                 mib(t.dram_read_bytes), mib(t.dram_write_bytes));
    for (int b = 0; b < 3; ++b)
        std::fprintf(out, "  %-22s  read %.1f MiB, written %.1f MiB\n",
                     (std::string(accel::buffer_name(static_cast<accel::BufferId>(b))) + " buffer").c_str(),
                     mib(t.buffers[b].read_bytes), mib(t.buffers[b].write_bytes));
    const CoreStats& cs = soc.cpu.core().stats();
    std::fprintf(out, "  CPU                     %" PRIu64 " instructions, %" PRIu64 " interrupts taken\n",
                 static_cast<uint64_t>(cs.instret), static_cast<uint64_t>(cs.interrupts_taken));
    std::fprintf(out, "  wall time               %.2f s: %.0f %s images/s, %.1f MIPS\n", wall_s,
                 wall_s > 0 ? trained / wall_s : 0.0, what, wall_s > 0 ? cs.instret / wall_s / 1e6 : 0.0);
    if (report_.contains("weights")) {
        const json& w = report_["weights"];
        const char* label = epochs_done < j.epochs ? "weights" : "final weights";
        if (w.contains("error")) {
            std::fprintf(out, "  %-22s  not written\n", label);
        } else {
            std::fprintf(out, "  %-22s  %s\n", label, opts_.weights_path.c_str());
            std::fprintf(out, "  %-22s  %" PRIu64 " bytes after %s, fnv1a64 %s\n", "",
                         w["bytes"].get<uint64_t>(),
                         count_of(w["steps_done"].get<uint64_t>(), "step").c_str(),
                         w["fnv1a64"].get<std::string>().c_str());
        }
    }
}

}  // namespace trainvp
