#include "training_config.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <sstream>

#include "common/error.h"
#include "config_schema.h"
#include "kernels/gemm.h"

namespace trainvp {
namespace {

namespace fs = std::filesystem;
using kern::LayerKind;
using kern::LayerSpec;

// network.formats.scheme: fp8: the formats of the forward operands (weights, activations) and of the
// backward ones (errors, weight gradients).
constexpr const char* kFp8Forward = "fp8e4m3";
constexpr const char* kFp8Backward = "fp8e5m2";

// Reads one scenario tree; every failure names the file, line and dotted key.
class Reader {
  public:
    explicit Reader(std::string file) : file_(std::move(file)) {}

    [[noreturn]] void fail(const YAML::Node& node, const std::string& key, const std::string& reason) const {
        throw UserError(node_location(node, file_) + ": key '" + key + "': " + reason);
    }

    // A map (or nothing, read as an empty map) whose keys are all in `allowed`.
    void expect_map(const YAML::Node& node, const std::string& key,
                    std::initializer_list<const char*> allowed) const {
        if (!node || node.IsNull()) return;
        if (!node.IsMap()) fail(node, key, "expected a map");
        for (const auto& kv : node) {
            const std::string name = kv.first.Scalar();
            bool ok = false;
            std::string list;
            for (const char* a : allowed) {
                ok = ok || name == a;
                list += list.empty() ? a : std::string(", ") + a;
            }
            if (!ok) {
                const std::string best =
                    closest_match(name, std::vector<std::string>(allowed.begin(), allowed.end()));
                fail(kv.first, key + "." + name,
                     "unknown key (" + (best.empty() ? "" : "did you mean '" + best + "'? ") +
                         "expected one of: " + list + ")");
            }
        }
    }

    std::string text(const YAML::Node& node, const std::string& key) const {
        if (!node.IsScalar()) fail(node, key, "expected a single value");
        return node.Scalar();
    }

    template <typename T>
    T uint(const YAML::Node& node, const std::string& key, ValueRange<T> range) const {
        const std::string t = text(node, key);
        errno = 0;
        char* end = nullptr;
        const unsigned long long v = std::strtoull(t.c_str(), &end, 10);
        if (t.empty() || t[0] == '-' || t[0] == '+' || *end)
            fail(node, key, "expected a non-negative integer, found '" + t + "'");
        if (errno == ERANGE || v < range.min || v > range.max)
            fail(node, key,
                 t + " is out of range [" + std::to_string(range.min) + ", " + std::to_string(range.max) +
                     "]");
        return static_cast<T>(v);
    }

    double real(const YAML::Node& node, const std::string& key, ValueRange<double> range) const {
        const std::string t = text(node, key);
        char* end = nullptr;
        const double v = std::strtod(t.c_str(), &end);
        if (t.empty() || *end || std::isnan(v)) fail(node, key, "expected a number, found '" + t + "'");
        if (!range.contains(v))  // an overflow (inf) lands here too
            fail(node, key,
                 t + " is out of range [" + value_text(range.min) + ", " + value_text(range.max) + "]");
        return v;
    }

    bool boolean(const YAML::Node& node, const std::string& key) const {
        const std::string t = text(node, key);
        if (t == "true" || t == "yes" || t == "on") return true;
        if (t == "false" || t == "no" || t == "off") return false;
        fail(node, key, "expected true or false, found '" + t + "'");
    }

    std::string choice(const YAML::Node& node, const std::string& key,
                       std::initializer_list<const char*> choices) const {
        const std::string t = text(node, key);
        std::string list;
        for (const char* c : choices) {
            if (t == c) return t;
            list += list.empty() ? c : std::string(", ") + c;
        }
        fail(node, key, "'" + t + "' is not one of: " + list);
    }

    std::vector<std::string> strings(const YAML::Node& node, const std::string& key) const {
        std::vector<std::string> out;
        if (node.IsScalar()) return {node.Scalar()};
        if (!node.IsSequence()) fail(node, key, "expected a list of file names");
        for (size_t i = 0; i < node.size(); ++i) out.push_back(text(node[i], key + "." + std::to_string(i)));
        return out;
    }

    kern::FormatRequest format(const YAML::Node& node, const std::string& key) const {
        const std::string t = text(node, key);
        try {
            return kern::parse_format_request(t);
        } catch (const UserError& e) {
            fail(node, key, e.what());
        }
    }

    // `scheme` (network.formats only): "int8" replaces every role of the defaults (docs/numerics.md).
    void formats(const YAML::Node& node, const std::string& key, kern::LayerFormatRequests& out,
                 std::string* scheme = nullptr) const {
        if (scheme)
            expect_map(node, key,
                       {"scheme", "weights", "activations", "errors", "weight_grads", "master_weights"});
        else
            expect_map(node, key, {"weights", "activations", "errors", "weight_grads", "master_weights"});
        if (!node || node.IsNull()) return;
        for (const auto& kv : node) {
            kern::Role role;
            if (!kern::parse_role(kv.first.Scalar(), role)) continue;  // scheme
            out[role] = format(kv.second, key + "." + kv.first.Scalar());
        }
        if (scheme && node["scheme"]) {  // replaces the roles above (per-layer formats still override)
            *scheme = choice(node["scheme"], key + ".scheme", {"none", "int8", "fp8"});
            if (*scheme == "int8") {
                for (kern::Role role : {kern::Role::weights, kern::Role::activations, kern::Role::errors,
                                        kern::Role::weight_grads})
                    out[role] = kern::parse_format_request("int8");
                out[kern::Role::master_weights] = kern::parse_format_request("fp32");
            }
            if (*scheme == "fp8") {  // E4M3 forward, E5M2 backward, fp32 master (docs/numerics.md)
                out[kern::Role::weights] = kern::parse_format_request(kFp8Forward);
                out[kern::Role::activations] = kern::parse_format_request(kFp8Forward);
                out[kern::Role::errors] = kern::parse_format_request(kFp8Backward);
                out[kern::Role::weight_grads] = kern::parse_format_request(kFp8Backward);
                out[kern::Role::master_weights] = kern::parse_format_request("fp32");
            }
        }
    }

  private:
    std::string file_;
};

// A norm layer's backward pass: fixed, range or projection.
void norm_gradient(const Reader& r, const YAML::Node& node, const std::string& key, kern::NormGradient& out) {
    kern::parse_norm_gradient(r.choice(node, key, {"fixed", "range", "projection"}), out);
}

LayerSpec parse_layer(const Reader& r, const YAML::Node& node, const std::string& key) {
    if (!node.IsMap()) r.fail(node, key, "expected a map with a 'type'");
    if (!node["type"])
        r.fail(node, key + ".type",
               "missing (conv, fc, relu, maxpool, avgpool, add, concat, global_avgpool or norm)");
    const std::string type = r.choice(node["type"], key + ".type",
                                      {"conv", "fc", "relu", "maxpool", "avgpool", "add", "concat",
                                       "global_avgpool", "norm"});
    LayerSpec s;
    if (node["name"]) {
        s.name = r.text(node["name"], key + ".name");
        if (s.name.empty()) r.fail(node["name"], key + ".name", "must not be empty");
    }
    if (node["input"] && node["inputs"])
        r.fail(node["inputs"], key + ".inputs", "give either input or inputs, not both");
    if (node["input"]) s.inputs = {r.text(node["input"], key + ".input")};
    if (node["inputs"]) {
        const YAML::Node& in = node["inputs"];
        if (!in.IsSequence() || in.size() == 0)
            r.fail(in, key + ".inputs", "expected a non-empty list of layer names ('input': the network input)");
        for (size_t i = 0; i < in.size(); ++i) s.inputs.push_back(r.text(in[i], key + ".inputs." + std::to_string(i)));
    }
    auto u32 = [&](const char* name, uint32_t& field, ValueRange<uint32_t> range) {
        if (node[name]) field = r.uint(node[name], key + "." + name, range);
    };
    auto required = [&](const char* name) {
        if (!node[name]) r.fail(node, key + "." + name, "missing (required for a " + type + " layer)");
    };
    if (type == "conv") {
        s.kind = LayerKind::conv;
        r.expect_map(node, key,
                     {"type", "name", "input", "inputs", "out_channels", "kernel", "stride", "pad", "bias",
                      "formats"});
        required("out_channels");
        required("kernel");
        u32("out_channels", s.out_channels, TrainingLimits::kUnits);
        u32("kernel", s.kernel, TrainingLimits::kWindow);
        u32("stride", s.stride, TrainingLimits::kWindow);
        u32("pad", s.pad, TrainingLimits::kPad);
    } else if (type == "fc") {
        s.kind = LayerKind::fc;
        r.expect_map(node, key, {"type", "name", "input", "inputs", "out", "bias", "formats"});
        required("out");
        u32("out", s.out, TrainingLimits::kUnits);
    } else if (type == "relu" || type == "add" || type == "concat" || type == "global_avgpool") {
        kern::parse_layer_kind(type, s.kind);
        r.expect_map(node, key, {"type", "name", "input", "inputs", "formats"});
    } else if (type == "norm") {
        s.kind = LayerKind::norm;
        r.expect_map(node, key,
                     {"type", "name", "input", "inputs", "groups", "scale_bits", "gradient", "formats"});
        u32("groups", s.groups, TrainingLimits::kUnits);
        u32("scale_bits", s.scale_bits, ValueRange<uint32_t>{0, kern::GroupNormShape::kMaxScaleBits});
        if (node["gradient"]) norm_gradient(r, node["gradient"], key + ".gradient", s.norm_gradient);
    } else {
        s.kind = type == "maxpool" ? LayerKind::maxpool : LayerKind::avgpool;
        r.expect_map(node, key, {"type", "name", "input", "inputs", "size", "stride", "formats"});
        u32("size", s.size, TrainingLimits::kWindow);
        u32("stride", s.pool_stride, TrainingLimits::kWindow);
    }
    if (node["bias"]) s.bias = r.boolean(node["bias"], key + ".bias");
    if (node["formats"]) r.formats(node["formats"], key + ".formats", s.formats);
    return s;
}

// Where Debian's dataset-fashion-mnist package installs the four gzip-compressed IDX files.
constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

void parse_data(const Reader& r, const YAML::Node& node, DataConfig& d) {
    r.expect_map(node, "data",
                 {"kind", "dir", "train_images", "train_labels", "test_images", "test_labels", "train_files",
                  "test_files", "train_limit", "test_limit"});
    const bool given = node && !node.IsNull();
    if (given && node["kind"])
        d.kind = r.choice(node["kind"], "data.kind", {"mnist", "fashion_mnist", "cifar10"});
    if (d.kind == "cifar10") d.dir = "data/cifar10";
    if (d.kind == "fashion_mnist") d.dir = kFashionMnistDir;
    const bool idx = d.kind != "cifar10";
    if (given) {
        if (node["dir"]) d.dir = r.text(node["dir"], "data.dir");
        for (const char* k : {"train_images", "train_labels", "test_images", "test_labels"})
            if (node[k] && !idx) r.fail(node[k], std::string("data.") + k, "only for kind: mnist or fashion_mnist");
        for (const char* k : {"train_files", "test_files"})
            if (node[k] && idx) r.fail(node[k], std::string("data.") + k, "only for kind: cifar10");
        if (node["train_images"]) d.train_images = r.text(node["train_images"], "data.train_images");
        if (node["train_labels"]) d.train_labels = r.text(node["train_labels"], "data.train_labels");
        if (node["test_images"]) d.test_images = r.text(node["test_images"], "data.test_images");
        if (node["test_labels"]) d.test_labels = r.text(node["test_labels"], "data.test_labels");
        if (node["train_files"]) d.train_files = r.strings(node["train_files"], "data.train_files");
        if (node["test_files"]) d.test_files = r.strings(node["test_files"], "data.test_files");
        if (node["train_limit"])
            d.train_limit = r.uint(node["train_limit"], "data.train_limit", TrainingLimits::kSampleLimit);
        if (node["test_limit"])
            d.test_limit = r.uint(node["test_limit"], "data.test_limit", TrainingLimits::kSampleLimit);
    }
    const std::string sep = d.dir.empty() || d.dir.back() == '/' ? "" : "/";
    if (idx) {
        const std::string gz = d.kind == "fashion_mnist" ? ".gz" : "";  // as Debian's package installs them
        if (d.train_images.empty()) d.train_images = d.dir + sep + "train-images-idx3-ubyte" + gz;
        if (d.train_labels.empty()) d.train_labels = d.dir + sep + "train-labels-idx1-ubyte" + gz;
        if (d.test_images.empty()) d.test_images = d.dir + sep + "t10k-images-idx3-ubyte" + gz;
        if (d.test_labels.empty()) d.test_labels = d.dir + sep + "t10k-labels-idx1-ubyte" + gz;
    } else {
        if (d.train_files.empty())
            for (int i = 1; i <= 5; ++i)
                d.train_files.push_back(d.dir + sep + "data_batch_" + std::to_string(i) + ".bin");
        if (d.test_files.empty()) d.test_files.push_back(d.dir + sep + "test_batch.bin");
    }
}

void parse_training(const Reader& r, const YAML::Node& node, TrainingScenario& sc) {
    kern::TrainConfig& t = sc.training;
    r.expect_map(node, "training",
                 {"epochs", "batch", "lr", "lr_decay", "momentum", "weight_decay", "seed", "init", "mode",
                  "weights"});
    if (!node || node.IsNull()) return;
    if (node["mode"])
        sc.inference = r.choice(node["mode"], "training.mode", {"train", "inference"}) == "inference";
    if (node["weights"]) sc.weights = r.text(node["weights"], "training.weights");
    if (sc.inference && sc.weights.empty())
        r.fail(
            node["mode"], "training.mode",
            "inference needs training.weights (a weights file of trainvp run or trainvp golden --weights)");
    if (node["epochs"]) t.epochs = r.uint(node["epochs"], "training.epochs", TrainingLimits::kEpochs);
    if (node["batch"]) t.batch = r.uint(node["batch"], "training.batch", TrainingLimits::kBatch);
    if (node["lr"]) t.lr = r.real(node["lr"], "training.lr", TrainingLimits::kLr);
    if (const YAML::Node decay = node["lr_decay"]) {
        r.expect_map(decay, "training.lr_decay", {"every", "factor"});
        if (!decay["every"] || !decay["factor"])
            r.fail(decay, "training.lr_decay", "give both every (epochs) and factor, e.g. {every: 2, factor: 0.1}");
        t.lr_decay_every = r.uint(decay["every"], "training.lr_decay.every", TrainingLimits::kLrDecayEvery);
        t.lr_decay_factor = r.real(decay["factor"], "training.lr_decay.factor", TrainingLimits::kLrDecayFactor);
    }
    if (node["momentum"])
        t.momentum = r.real(node["momentum"], "training.momentum", TrainingLimits::kMomentum);
    if (node["weight_decay"])
        t.weight_decay = r.real(node["weight_decay"], "training.weight_decay", TrainingLimits::kWeightDecay);
    if (node["seed"]) t.seed = r.uint(node["seed"], "training.seed", TrainingLimits::kSeed);
    if (node["init"])
        t.init = r.choice(node["init"], "training.init", {"he_uniform", "xavier_uniform"}) == "he_uniform"
                     ? kern::InitKind::he_uniform
                     : kern::InitKind::xavier_uniform;
}

// network.norm: groups, scale_bits and gradient for every norm layer of a preset.
void parse_preset_norm(const Reader& r, const YAML::Node& node, const std::string& preset,
                       std::vector<kern::LayerSpec>& layers) {
    r.expect_map(node, "network.norm", {"groups", "scale_bits", "gradient"});
    if (std::none_of(layers.begin(), layers.end(),
                     [](const kern::LayerSpec& s) { return s.kind == LayerKind::norm; }))
        r.fail(node, "network.norm", "the preset '" + preset + "' has no norm layers");
    for (kern::LayerSpec& s : layers) {
        if (s.kind != LayerKind::norm) continue;
        if (node["groups"]) s.groups = r.uint(node["groups"], "network.norm.groups", TrainingLimits::kUnits);
        if (node["scale_bits"])
            s.scale_bits = r.uint(node["scale_bits"], "network.norm.scale_bits",
                                  ValueRange<uint32_t>{0, kern::GroupNormShape::kMaxScaleBits});
        if (node["gradient"]) norm_gradient(r, node["gradient"], "network.norm.gradient", s.norm_gradient);
    }
}

void parse_network(const Reader& r, const YAML::Node& node, const DataConfig& data, TrainingScenario& sc) {
    if (!node) throw UserError(sc.file + ": key 'network': missing (give network.preset or network.layers)");
    r.expect_map(node, "network", {"preset", "input", "layers", "formats", "accumulator_bits", "norm"});
    kern::NetworkSpec& n = sc.network;
    if (data.kind == "cifar10") {
        n.channels = 3;
        n.rows = n.cols = 32;
    }
    if (node["preset"]) {
        if (node["layers"])
            r.fail(
                node["layers"], "network.layers",
                "give either network.preset or network.layers, not both (--dump-config writes a preset out "
                "as layers)");
        sc.preset = r.choice(node["preset"], "network.preset", {"lenet5", "mlp", "resnet8", "resnet20"});
        if (sc.preset == "lenet5") n.layers = kern::lenet5_layers();
        if (sc.preset == "mlp") n.layers = kern::mlp_layers();
        if (sc.preset == "resnet8") n.layers = kern::resnet_layers(1);
        if (sc.preset == "resnet20") n.layers = kern::resnet_layers(3);
        if (const YAML::Node norm = node["norm"]) parse_preset_norm(r, norm, sc.preset, n.layers);
    } else if (node["layers"]) {
        const YAML::Node& layers = node["layers"];
        if (!layers.IsSequence() || layers.size() == 0)
            r.fail(layers, "network.layers", "expected a non-empty list");
        for (size_t i = 0; i < layers.size(); ++i)
            n.layers.push_back(parse_layer(r, layers[i], "network.layers." + std::to_string(i)));
    } else {
        r.fail(node, "network", "give network.preset (lenet5, mlp, resnet8, resnet20) or network.layers");
    }
    if (node["norm"] && !node["preset"])
        r.fail(node["norm"], "network.norm", "applies to a preset's norm layers; give each layer its own keys");
    if (const YAML::Node in = node["input"]) {
        r.expect_map(in, "network.input", {"channels", "rows", "cols", "format"});
        if (in["channels"])
            n.channels = r.uint(in["channels"], "network.input.channels", TrainingLimits::kInputChannels);
        if (in["rows"]) n.rows = r.uint(in["rows"], "network.input.rows", TrainingLimits::kInputSide);
        if (in["cols"]) n.cols = r.uint(in["cols"], "network.input.cols", TrainingLimits::kInputSide);
        if (in["format"]) n.input_format = r.format(in["format"], "network.input.format");
    }
    if (node["formats"]) r.formats(node["formats"], "network.formats", n.formats, &sc.format_scheme);
    if (node["accumulator_bits"])
        n.accumulator.bits = static_cast<int>(
            r.uint(node["accumulator_bits"], "network.accumulator_bits", TrainingLimits::kAccumulatorBits));
    for (size_t i = 0; i < n.layers.size(); ++i) {
        const bool compute = n.layers[i].kind == LayerKind::conv || n.layers[i].kind == LayerKind::fc;
        if (!compute && node["layers"] && node["layers"][i]["formats"])
            r.fail(node["layers"][i]["formats"], "network.layers." + std::to_string(i) + ".formats",
                   "only conv and fc layers have formats (the others keep their input's)");
    }
    try {
        kern::Network probe(n, 1, false);  // shapes and formats, reported against the scenario lines
    } catch (const kern::NetworkError& e) {
        if (e.layer != kern::NetworkError::npos && node["layers"])
            r.fail(node["layers"][e.layer], "network.layers." + std::to_string(e.layer), e.what());
        r.fail(node, "network", e.what());
    }
}

bool path_exists(const fs::path& p) {
    std::error_code ec;
    return fs::exists(p, ec);
}

}  // namespace

TrainingScenario parse_training_scenario(const YAML::Node& root, const std::string& file) {
    const Reader r(file);
    if (!root.IsMap()) throw UserError(file + ": expected a map of settings at the top level");
    TrainingScenario sc;
    sc.file = file;
    parse_data(r, root["data"], sc.data);
    parse_training(r, root["training"], sc);
    parse_network(r, root["network"], sc.data, sc);
    // The PE's arithmetic is a hardware key (hardware.array.pe.kind, checked by the platform schema); the
    // golden model computes with it so that both sides round the same way.
    YAML::Node node;
    node.reset(root);
    for (const char* key : {"hardware", "array", "pe", "kind"}) {
        if (!node.IsMap() || !node[key]) return sc;
        node.reset(node[key]);
    }
    if (!node.IsScalar() || !kern::parse_mac_arith(node.Scalar(), sc.network.arith))
        throw UserError(file + ": key 'hardware.array.pe.kind': expected uniform or bricks");
    return sc;
}

std::string resolve_data_path(const std::string& path, const std::string& scenario_file) {
    const fs::path p(path);
    if (p.is_absolute()) return path;
    auto absolute = [](const fs::path& found) {
        std::error_code ec;
        fs::path a = fs::absolute(found, ec).lexically_normal();
        if (!a.has_filename() && a.has_parent_path()) a = a.parent_path();  // "dir/." gives "dir/"
        return a.string();
    };
    if (path_exists(p)) return absolute(p);
    const fs::path beside = fs::path(scenario_file).parent_path() / p;
    if (path_exists(beside)) return absolute(beside);
    return path;
}

nlohmann::ordered_json training_config_json(const TrainingScenario& sc) {
    using nlohmann::ordered_json;
    const kern::NetworkSpec& n = sc.network;
    auto request = [](const std::optional<kern::FormatRequest>& r) {
        return r ? r->text : std::string("fp32");
    };
    ordered_json layers = ordered_json::array();
    for (const LayerSpec& L : n.layers) {
        ordered_json l = {{"type", kern::layer_kind_name(L.kind)}};
        if (!L.name.empty()) l["name"] = L.name;
        if (!L.inputs.empty()) l["inputs"] = L.inputs;
        switch (L.kind) {
            case LayerKind::conv:
                l["out_channels"] = L.out_channels;
                l["kernel"] = L.kernel;
                l["stride"] = L.stride;
                l["pad"] = L.pad;
                l["bias"] = L.bias;
                break;
            case LayerKind::fc:
                l["out"] = L.out;
                l["bias"] = L.bias;
                break;
            case LayerKind::relu:
            case LayerKind::add:
            case LayerKind::concat:
            case LayerKind::global_avgpool:
                break;
            case LayerKind::norm:
                l["groups"] = L.groups;
                l["scale_bits"] = L.scale_bits;
                l["gradient"] = kern::norm_gradient_name(L.norm_gradient);
                break;
            case LayerKind::maxpool:
            case LayerKind::avgpool:
                l["size"] = L.size;
                l["stride"] = L.pool_stride ? L.pool_stride : L.size;  // 0 means "the window size"
                break;
        }
        ordered_json f =
            ordered_json::object();  // a layer's own overrides; the rest comes from network.formats
        for (int r = 0; r < kern::kRoleCount; ++r)
            if (L.formats.roles[r]) f[kern::role_name(static_cast<kern::Role>(r))] = L.formats.roles[r]->text;
        if (!f.empty()) l["formats"] = f;
        layers.push_back(l);
    }
    ordered_json formats = {{"scheme", sc.format_scheme}};
    for (int r = 0; r < kern::kRoleCount; ++r)
        formats[kern::role_name(static_cast<kern::Role>(r))] = request(n.formats.roles[r]);
    // Unset, the input uses the activations request with the input range: the same request written out.
    const std::string input_format =
        n.input_format ? n.input_format->text : request(n.formats[kern::Role::activations]);
    ordered_json network = {
        {"input", {{"channels", n.channels}, {"rows", n.rows}, {"cols", n.cols}, {"format", input_format}}},
        {"layers", layers},
        {"formats", formats},
        {"accumulator_bits", n.accumulator.bits}};

    const kern::TrainConfig& t = sc.training;
    ordered_json training = {{"epochs", t.epochs},
                             {"batch", t.batch},
                             {"lr", t.lr},
                             {"momentum", t.momentum},
                             {"weight_decay", t.weight_decay},
                             {"seed", t.seed},
                             {"init", t.init == kern::InitKind::he_uniform ? "he_uniform" : "xavier_uniform"},
                             {"mode", sc.inference ? "inference" : "train"}};
    if (sc.inference) training["weights"] = resolve_data_path(sc.weights, sc.file);
    if (t.lr_decay_every) training["lr_decay"] = {{"every", t.lr_decay_every}, {"factor", t.lr_decay_factor}};

    const DataConfig& d = sc.data;
    auto path = [&](const std::string& p) { return resolve_data_path(p, sc.file); };
    ordered_json data = {{"kind", d.kind}, {"dir", path(d.dir)}};
    if (d.kind != "cifar10") {
        data["train_images"] = path(d.train_images);
        data["train_labels"] = path(d.train_labels);
        data["test_images"] = path(d.test_images);
        data["test_labels"] = path(d.test_labels);
    } else {
        ordered_json train = ordered_json::array(), test = ordered_json::array();
        for (const auto& f : d.train_files) train.push_back(path(f));
        for (const auto& f : d.test_files) test.push_back(path(f));
        data["train_files"] = train;
        data["test_files"] = test;
    }
    data["train_limit"] = d.train_limit;
    data["test_limit"] = d.test_limit;
    return {{"network", network}, {"training", training}, {"data", data}};
}

TrainingData load_training_data(const TrainingScenario& sc) {
    const DataConfig& d = sc.data;
    auto resolve = [&](const std::string& p) { return resolve_data_path(p, sc.file); };
    auto resolve_all = [&](const std::vector<std::string>& v) {
        std::vector<std::string> out;
        for (const auto& p : v) out.push_back(resolve(p));
        return out;
    };
    TrainingData td;
    try {
        if (d.kind != "cifar10") {
            td.train = load_mnist_idx(resolve(d.train_images), resolve(d.train_labels), d.train_limit);
            td.test = load_mnist_idx(resolve(d.test_images), resolve(d.test_labels), d.test_limit);
        } else {
            td.train = load_cifar10_bin(resolve_all(d.train_files), d.train_limit);
            td.test = load_cifar10_bin(resolve_all(d.test_files), d.test_limit);
        }
    } catch (const UserError& e) {
        // A missing file gets the one thing to do about it; other faults are the loader's message alone.
        const std::string what = e.what();
        const bool missing = what.size() > 14 && what.compare(what.size() - 14, 14, ": no such file") == 0;
        std::string hint;
        if (missing && d.kind == "mnist")
            hint = " (run scripts/fetch-mnist.sh, or point data.dir at the MNIST IDX files)";
        if (missing && d.kind == "fashion_mnist")
            hint = d.dir == kFashionMnistDir
                       ? " (Fashion-MNIST comes from Debian's package dataset-fashion-mnist: as root, run "
                         "apt-get install dataset-fashion-mnist, or bash scripts/install-deps.sh)"
                       : " (point data.dir at the Fashion-MNIST IDX files, or drop data.dir to read "
                         "them from Debian's package dataset-fashion-mnist in " +
                             std::string(kFashionMnistDir) + ")";
        if (missing && d.kind == "cifar10")
            hint = " (TrainVP does not download CIFAR-10: put data_batch_1.bin .. data_batch_5.bin and "
                   "test_batch.bin of its binary version (cifar-10-binary.tar.gz from "
                   "https://www.cs.toronto.edu/~kriz/cifar.html) in " +
                   resolve(d.dir) +
                   (fs::path(resolve(d.dir)).is_absolute() ? "" : " (relative to the current directory or the scenario's)") +
                   ", or point data.dir, data.train_files and data.test_files at them)";
        throw UserError(what + hint);
    }
    return td;
}

std::string describe_network(const kern::Network& net) {
    std::ostringstream os;
    auto shape = [](const kern::Shape& s) {
        return std::to_string(s.c) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w);
    };
    os << "input      " << shape(kern::Shape{net.spec().channels, net.spec().rows, net.spec().cols})
       << "  format " << net.input_format().to_string() << "\n";
    for (const kern::Layer& L : net.layers()) {
        os << L.name << std::string(L.name.size() < 10 ? 11 - L.name.size() : 1, ' ') << shape(L.in) << " -> "
           << shape(L.out);
        if (L.weight)
            os << "  weights " << L.formats.weights.to_string() << ", activations "
               << L.formats.activations.to_string() << ", errors " << L.formats.errors.to_string()
               << ", weight_grads " << L.formats.weight_grads.to_string() << ", master "
               << L.formats.master_weights.to_string();
        os << "\n";
    }
    os << "accumulator " << net.spec().accumulator.bits << " bits"
       << (net.spec().arith == kern::MacArith::bricks ? ", brick PE (floats aligned into fixed point)" : "")
       << "\n";
    return os.str();
}

}  // namespace trainvp
