#include "sparse_run.h"

#include <cinttypes>
#include <cstdio>
#include <sstream>

#include "accel/sparse_engine.h"
#include "common/error.h"
#include "kernels/weights_io.h"
#include "sparse/junction_trainer.h"
#include "training_config.h"

namespace trainvp {

namespace {

std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> parts;
    std::string cur;
    for (char c : text + ",") {
        if (c == ',') {
            size_t a = cur.find_first_not_of(" \t"), b = cur.find_last_not_of(" \t");
            parts.push_back(a == std::string::npos ? "" : cur.substr(a, b - a + 1));
            cur.clear();
        } else {
            cur += c;
        }
    }
    return parts;
}

uint64_t parse_uint(const std::string& t, uint64_t max) {
    if (t.empty() || t.find_first_not_of("0123456789") != std::string::npos)
        throw std::invalid_argument("expected a whole number");
    const unsigned long long v = std::stoull(t);
    if (v > max) throw std::invalid_argument("above " + std::to_string(max));
    return v;
}

std::vector<uint32_t> parse_list(const std::string& text) {
    std::vector<uint32_t> v;
    for (const std::string& p : split(text)) v.push_back(static_cast<uint32_t>(parse_uint(p, UINT32_MAX)));
    return v;
}

template <typename T>
std::string join(const std::vector<T>& v, std::string (*show)(T)) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + show(v[i]);
    return s;
}

std::string show_u32(uint32_t v) {
    return std::to_string(v);
}
std::string show_act(sparse::Activation a) {
    return sparse::to_string(a);
}

constexpr uint64_t kAlign = 64;
uint64_t align_up(uint64_t v) {
    return (v + kAlign - 1) & ~(kAlign - 1);
}
uint64_t ram_offset(uint64_t bus) {
    return bus - TRAINVP_DRAM_BASE;
}

}  // namespace

sparse::SparseNetConfig SparseRunConfig::defaults() {
    sparse::SparseNetConfig c = sparse::SparseNetConfig::fpga_mnist();
    c.delta_hazard = sparse::DeltaHazard::forwarded;
    return c;
}

std::vector<uint8_t> SparseRunConfig::etapos_per_epoch() const {
    std::vector<uint8_t> out;
    std::vector<std::string> parts = split(etapos);
    const int max = net.format.frac_bits() + 1;
    for (const std::string& p : parts) {
        uint64_t v = 0;
        try {
            v = parse_uint(p, 255);
        } catch (const std::invalid_argument& e) {
            throw FieldError({&etapos}, "sparse.etapos", "'" + p + "': " + e.what());
        }
        if (v > static_cast<uint64_t>(max))
            throw FieldError({&etapos}, "sparse.etapos",
                             std::to_string(v) + " is above frac_bits + 1 = " + std::to_string(max) +
                                 " (learning rate 2^-(etapos-1); 0 = no update)");
        out.push_back(static_cast<uint8_t>(v));
    }
    if (out.empty()) throw FieldError({&etapos}, "sparse.etapos", "needs at least one value");
    while (out.size() < epochs) out.push_back(out.back());
    out.resize(epochs);
    return out;
}

void SparseRunConfig::validate() const {
    try {
        net.validate();
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(std::string("sparse.") + e.what());
    }
    if (net.layers() > ACCEL_SPARSE_MAX_LAYERS)
        throw FieldError(
            {&net.neurons}, "sparse.neurons",
            "at most " + std::to_string(ACCEL_SPARSE_MAX_LAYERS) + " layers (the engine's record)");
    check_range(epochs, "sparse.epochs", kEpochs);
    check_range(descriptor_samples, "sparse.descriptor_samples", kDescriptorSamples);
    etapos_per_epoch();
}

bool is_sparse_scenario(const YAML::Node& root) {
    return root.IsMap() && root["sparse"].IsDefined();
}

void register_sparse_keys(ConfigSchema& s, SparseRunConfig& c) {
    sparse::SparseNetConfig& n = c.net;
    auto list = [&s](const char* key, std::vector<uint32_t>* field, const char* help) {
        s.add(
            key, help, [field](const std::string& t) { *field = parse_list(t); },
            [field] { return join(*field, show_u32); }, field);
    };
    auto integer = [&s](const char* key, int* field, const char* help, int lo, int hi) {
        s.add(
            key, std::string(help) + " [" + std::to_string(lo) + ", " + std::to_string(hi) + "]",
            [field, lo, hi](const std::string& t) {
                const uint64_t v = parse_uint(t, static_cast<uint64_t>(hi));
                if (static_cast<int>(v) < lo) throw std::invalid_argument("below " + std::to_string(lo));
                *field = static_cast<int>(v);
            },
            [field] { return std::to_string(*field); }, field);
    };
    list("sparse.neurons", &n.neurons, "neurons per layer, input first (powers of two), e.g. 1024,64,32");
    list("sparse.fanout", &n.fanout, "fan-out of each junction's left layer, e.g. 4,16");
    list("sparse.z", &n.z, "edges processed per clock in each junction, e.g. 128,32");
    s.add(
        "sparse.activation", "activation of each junction: sigmoid or relu, e.g. sigmoid,sigmoid",
        [&n](const std::string& t) {
            std::vector<sparse::Activation> v;
            for (const std::string& p : split(t)) v.push_back(sparse::parse_activation(p));
            n.activation = v;
        },
        [&n] { return join(n.activation, show_act); }, &n.activation);
    integer("sparse.bits", &n.format.width, "fixed-point width: sign + integer + fraction bits", 4, 24);
    integer("sparse.int_bits", &n.format.int_bits, "integer bits (not counting the sign)", 0, 20);
    s.add("sparse.proctime", &n.proctime, "processor pipeline depth in clocks (the RTL's PROCTIME)",
          ValueRange<uint32_t>{0, 16});
    integer("sparse.input_bits", &n.input_bits, "bits per input value", 1, 8);
    s.add(
        "sparse.connectivity", "clash-free (the interleaver) or random (same degrees, bank conflicts)",
        [&n](const std::string& t) { n.connectivity = sparse::parse_connectivity(t); },
        [&n] { return std::string(sparse::to_string(n.connectivity)); }, &n.connectivity);
    integer("sparse.interleaver_type", &n.interleaver_type, "clash-free interleaver type", 1, 3);
    s.add("sparse.dither", &n.dither, "memory dither of the interleaver");
    s.add("sparse.zero_starts", &n.zero_starts, "every sweep start 0: the pattern the RTL synthesises");
    s.add("sparse.seed", &n.seed, "seed of the connectivity and the initial weights",
          ValueRange<uint64_t>{0, UINT64_MAX});
    s.add(
        "sparse.delta_hazard",
        "forwarded (the engine with forwarding, default) or rtl (the RTL as written: BP partial sums are "
        "lost)",
        [&n](const std::string& t) { n.delta_hazard = sparse::parse_delta_hazard(t); },
        [&n] { return std::string(sparse::to_string(n.delta_hazard)); }, &n.delta_hazard);
    s.add("sparse.epochs", &c.epochs, "training epochs", SparseRunConfig::kEpochs);
    s.add("sparse.etapos", &c.etapos,
          "learning-rate code per epoch (eta = 2^-(etapos-1), 0..frac_bits+1), comma-separated; the last "
          "repeats");
    s.add("sparse.descriptor_samples", &c.descriptor_samples,
          "training samples per SPARSE_TRAIN descriptor (each fills and drains the pipeline)",
          SparseRunConfig::kDescriptorSamples);
    s.add("sparse.data_dir", &c.data_dir, "MNIST IDX files (train-*, t10k-*)");
    s.add("sparse.train_limit", &c.train_limit, "training samples used (0 = all)",
          SparseRunConfig::kSampleLimit);
    s.add("sparse.test_limit", &c.test_limit, "test samples used (0 = all)", SparseRunConfig::kSampleLimit);
}

SparseTrainingRun::SparseTrainingRun(const std::string& scenario_path, const SparseRunConfig& cfg,
                                     TrainRunOptions opts)
    : cfg_(cfg), opts_(std::move(opts)) {
    const std::string dir = resolve_data_path(cfg_.data_dir, scenario_path);
    try {
        train_ = load_mnist_idx(dir + "/train-images-idx3-ubyte", dir + "/train-labels-idx1-ubyte",
                                cfg_.train_limit);
        test_ =
            load_mnist_idx(dir + "/t10k-images-idx3-ubyte", dir + "/t10k-labels-idx1-ubyte", cfg_.test_limit);
    } catch (const std::exception& e) {
        throw UserError(scenario_path + ": sparse.data_dir: " + e.what());
    }
    const sparse::SparseNetConfig& n = cfg_.net;
    if (train_.image_bytes() > n.neurons[0])
        throw UserError(scenario_path + ": sparse.neurons: the input layer (" + std::to_string(n.neurons[0]) +
                        ") is smaller than an image (" + std::to_string(train_.image_bytes()) + " values)");
    if (train_.num_classes > n.neurons.back())
        throw UserError(scenario_path + ": sparse.neurons: " + std::to_string(train_.num_classes) +
                        " classes need at least as many outputs");
    if (train_.count == 0) throw UserError(scenario_path + ": sparse: no training samples");
}

void SparseTrainingRun::prepare(Platform& soc) {
    Memory& ram = soc.ram;
    sparse_job& j = job_;
    j = sparse_job{};
    j.magic = SPARSE_JOB_MAGIC;
    j.version = SPARSE_JOB_VERSION;
    j.bytes = sizeof(sparse_job);
    j.epochs = cfg_.epochs;
    j.sample_bytes = static_cast<uint32_t>(train_.image_bytes());
    j.train_count = train_.count;
    j.test_count = test_.count;
    j.descriptor_samples = cfg_.descriptor_samples;
    const std::vector<uint8_t> eta = cfg_.etapos_per_epoch();
    for (uint32_t e = 0; e < cfg_.epochs; ++e) j.etapos[e] = eta[e];
    uint64_t at = align_up(TRAIN_JOB_BASE + sizeof(sparse_job));
    auto take = [&at](uint64_t bytes) {
        const uint64_t a = at;
        at = align_up(at + bytes);
        return static_cast<uint32_t>(a);
    };
    j.parameter_count = static_cast<uint32_t>(cfg_.net.total_edges());
    for (uint32_t l = 1; l < cfg_.net.layers(); ++l) j.parameter_count += cfg_.net.neurons[l];
    j.addr_config = take(sizeof(accel_sparse_config));
    j.addr_results = take(sizeof(sparse_results));
    j.addr_result_record = take(sizeof(accel_sparse_result));
    j.ring_entries = 16;
    j.addr_ring = take(uint64_t{j.ring_entries} * ACCEL_DESC_BYTES);
    j.addr_parameters = take(uint64_t{j.parameter_count} * 4);
    j.addr_predictions = take(uint64_t{test_.count} * 4 + 4);
    j.addr_train_images = take(train_.images.size());
    j.addr_train_labels = take(train_.labels.size());
    j.addr_test_images = take(test_.images.size() + 1);
    j.addr_test_labels = take(test_.labels.size() + 1);
    const uint64_t ram_end = uint64_t{TRAINVP_DRAM_BASE} + ram.size();
    if (at > ram_end)
        throw UserError("the sparse training job needs " +
                        std::to_string((at - TRAINVP_DRAM_BASE + (1u << 20) - 1) >> 20) +
                        " MiB of DRAM but ram.size is " + std::to_string(ram.size() >> 20) +
                        " MiB: raise ram.size");
    const accel_sparse_config rec = accel::sparse_config_record(cfg_.net);
    ram.write(ram_offset(j.addr_config), &rec, sizeof rec);
    const sparse_results zero{};
    ram.write(ram_offset(j.addr_results), &zero, sizeof zero);
    ram.write(ram_offset(j.addr_train_images), train_.images.data(), train_.images.size());
    ram.write(ram_offset(j.addr_train_labels), train_.labels.data(), train_.labels.size());
    if (test_.count) {
        ram.write(ram_offset(j.addr_test_images), test_.images.data(), test_.images.size());
        ram.write(ram_offset(j.addr_test_labels), test_.labels.data(), test_.labels.size());
    }
    ram.write(ram_offset(TRAIN_JOB_BASE), &j, sizeof j);
}

std::string SparseTrainingRun::check_against_golden(const sparse_results& res,
                                                    const std::vector<int32_t>& params,
                                                    const std::vector<uint32_t>& predictions,
                                                    nlohmann::json& summary) const {
    sparse::SparseNetwork net(cfg_.net);
    net.init_glorot(cfg_.net.seed);
    sparse::JunctionTrainer golden(net);
    const std::vector<uint8_t> eta = cfg_.etapos_per_epoch();
    auto view = [](const Dataset& d, uint32_t i) {
        return sparse::SampleView{d.image(i), static_cast<uint32_t>(d.image_bytes()), d.labels[i]};
    };
    std::vector<uint32_t> last_predictions;
    for (uint32_t e = 0; e < cfg_.epochs; ++e) {
        uint64_t correct = 0;
        for (uint32_t first = 0; first < train_.count; first += cfg_.descriptor_samples) {
            const uint32_t n = std::min(cfg_.descriptor_samples, train_.count - first);
            std::vector<sparse::SampleView> v;
            for (uint32_t i = first; i < first + n; ++i) v.push_back(view(train_, i));
            correct += golden.train(v, std::vector<uint8_t>(n, eta[e])).correct;
        }
        uint32_t test_correct = 0;
        last_predictions.assign(test_.count, 0);
        for (uint32_t i = 0; i < test_.count; ++i) {
            last_predictions[i] = golden.predict(view(test_, i));
            test_correct += last_predictions[i] == test_.labels[i];
        }
        const sparse_epoch_result& p = res.epochs[e];
        if (p.train_correct != correct || p.test_correct != test_correct) {
            char buf[200];
            std::snprintf(buf, sizeof buf,
                          "epoch %u: platform %u train / %u test correct, golden %" PRIu64 " / %u", e + 1,
                          p.train_correct, p.test_correct, correct, test_correct);
            return buf;
        }
    }
    for (uint32_t i = 0; i < test_.count; ++i)
        if (predictions[i] != last_predictions[i])
            return "test prediction " + std::to_string(i) + ": platform " + std::to_string(predictions[i]) +
                   ", golden " + std::to_string(last_predictions[i]);
    std::vector<int32_t> expect;
    for (uint32_t jn = 0; jn < net.junctions(); ++jn) {
        expect.insert(expect.end(), net.junction(jn).weights.begin(), net.junction(jn).weights.end());
        expect.insert(expect.end(), net.junction(jn).biases.begin(), net.junction(jn).biases.end());
    }
    for (size_t i = 0; i < expect.size(); ++i)
        if (params[i] != expect[i])
            return "parameter " + std::to_string(i) + ": platform " + std::to_string(params[i]) +
                   ", golden " + std::to_string(expect[i]);
    char digest[32];
    std::snprintf(digest, sizeof digest, "0x%016" PRIx64, net.parameter_digest());
    summary = {
        {"identical", true}, {"parameters", expect.size()}, {"predictions", test_.count}, {"digest", digest}};
    return "";
}

int SparseTrainingRun::finish(Platform& soc, int status, OutputWrites& writes) {
    const sparse_job& j = job_;
    sparse_results res{};
    soc.ram.read(ram_offset(j.addr_results), &res, sizeof res);
    std::vector<int32_t> params(j.parameter_count);
    soc.ram.read(ram_offset(j.addr_parameters), params.data(), params.size() * 4);
    std::vector<uint32_t> predictions(test_.count);
    if (test_.count) soc.ram.read(ram_offset(j.addr_predictions), predictions.data(), predictions.size() * 4);

    // The parameters' digest (sparse::SparseNetwork::parameter_digest) as the platform left them.
    sparse::SparseNetwork net(cfg_.net);
    size_t at = 0;
    for (uint32_t jn = 0; jn < net.junctions(); ++jn) {
        for (auto& w : net.junction(jn).weights) w = params[at++];
        for (auto& b : net.junction(jn).biases) b = params[at++];
    }
    char digest[32];
    std::snprintf(digest, sizeof digest, "0x%016" PRIx64, net.parameter_digest());

    const double clock_hz = soc.accel.config().sparse_clock_hz;
    const uint32_t cycle = net.cycle_clocks();
    nlohmann::json epochs = nlohmann::json::array();
    for (uint32_t e = 0; e < res.epochs_done && e < TRAIN_JOB_MAX_EPOCHS; ++e) {
        const sparse_epoch_result& p = res.epochs[e];
        epochs.push_back({{"epoch", e + 1},
                          {"etapos", j.etapos[e]},
                          {"train_correct", p.train_correct},
                          {"train_count", p.train_count},
                          {"train_accuracy", p.train_count ? double(p.train_correct) / p.train_count : 0.0},
                          {"test_correct", p.test_correct},
                          {"test_count", p.test_count},
                          {"test_accuracy", p.test_count ? double(p.test_correct) / p.test_count : 0.0},
                          {"engine_clocks", p.clocks},
                          {"engine_time_s", p.clocks / clock_hz},
                          {"stall_clocks", p.stall_clocks},
                          {"bank_conflicts", p.bank_conflicts},
                          {"lost_sums", p.lost_sums}});
    }
    report_ = {{"engine", "sparse"},
               {"network", cfg_.net.summary()},
               {"weights", cfg_.net.total_edges()},
               {"dense_weights", cfg_.net.dense_edges()},
               {"clocks_per_junction_cycle", cycle},
               {"engine_clock_hz", clock_hz},
               {"train_samples", train_.count},
               {"test_samples", test_.count},
               {"epochs_done", res.epochs_done},
               {"done", res.done == 1},
               {"status", res.status},
               {"parameter_digest", digest},
               {"epochs", epochs}};
    // What the engine did over the whole run, for the energy model (docs/energy.md): multiplies of training
    // (FF, BP, UP), weight-bank words read and written, activation words read by the lanes.
    const SparseEngineCounters k = soc.accel.sparse_engine().counters();
    report_["engine_counters"] = {{"samples_trained", k.samples_trained},
                                  {"samples_inferred", k.samples_inferred},
                                  {"junction_cycles", k.junction_cycles},
                                  {"clocks", k.clocks},
                                  {"macs", k.macs},
                                  {"weight_reads", k.weight_reads},
                                  {"weight_writes", k.weight_writes},
                                  {"act_reads", k.act_reads}};
    if (opts_.summary) {
        std::fprintf(stderr, "sparse engine      %s\n", cfg_.net.summary().c_str());
        std::fprintf(stderr, "  weights          %" PRIu64 " (fully connected %" PRIu64 ", %.1fx fewer)\n",
                     cfg_.net.total_edges(), cfg_.net.dense_edges(),
                     double(cfg_.net.dense_edges()) / double(cfg_.net.total_edges()));
        std::fprintf(stderr, "  junction cycle   %u clocks at %.3g MHz (%.3f us per sample)\n", cycle,
                     clock_hz / 1e6, cycle / clock_hz * 1e6);
        for (const auto& ep : epochs)
            std::fprintf(
                stderr, "  epoch %-3u        train %.2f%%  test %.2f%%  engine %.3f ms  stalls %" PRIu64 "\n",
                ep["epoch"].get<uint32_t>(), 100.0 * ep["train_accuracy"].get<double>(),
                100.0 * ep["test_accuracy"].get<double>(), 1e3 * ep["engine_time_s"].get<double>(),
                ep["stall_clocks"].get<uint64_t>());
        std::fprintf(stderr, "  parameters       digest %s\n", digest);
    }
    if (!opts_.weights_path.empty())
        writes.attempt("--weights", [&] {
            kern::write_file_atomic(opts_.weights_path, params.data(), params.size() * 4);
        });
    const bool complete = res.magic == TRAIN_RESULTS_MAGIC && res.done == 1 && res.status == 0;
    if (status == 0 && !complete) {
        std::fprintf(stderr, "trainvp: error: sparse training did not complete (%u of %u epochs)\n",
                     res.epochs_done, cfg_.epochs);
        return kExitTrainingFailed;
    }
    if (opts_.check_golden) {
        if (!complete) {
            std::fprintf(stderr,
                         "trainvp: error: check-golden: training did not complete; nothing to compare\n");
            report_["check_golden"] = {{"identical", false}, {"why", "training did not complete"}};
            return status ? status : kExitTrainingFailed;
        }
        nlohmann::json summary;
        const std::string diff = check_against_golden(res, params, predictions, summary);
        if (diff.empty()) {
            std::fprintf(
                stderr,
                "check-golden: identical (%" PRIu64 " parameters, %" PRIu64 " predictions, digest %s)\n",
                summary["parameters"].get<uint64_t>(), summary["predictions"].get<uint64_t>(), digest);
        } else {
            std::fprintf(stderr, "trainvp: error: check-golden: %s\n", diff.c_str());
            summary = {{"identical", false}, {"why", diff}};
            status = kExitTrainingFailed;
        }
        report_["check_golden"] = summary;
    }
    return status;
}

}  // namespace trainvp
