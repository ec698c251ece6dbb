// The training description of a scenario: keys `network`, `training` and `data` (docs/numerics.md
// "## Training and default formats"). The platform configuration owns every other top-level key.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include "common/config_field.h"
#include "hw/train_job.h"
#include "kernels/dataset.h"
#include "kernels/gemm.h"
#include "kernels/trainer.h"

namespace trainvp {

// What the training keys accept. The job (hw/train_job.h) holds shapes in 16-bit fields, windows in 8-bit
// ones, at most TRAIN_JOB_MAX_EPOCHS epochs and the firmware gathers at most TRAIN_JOB_MAX_BATCH samples per
// step; the accelerator's descriptors take dimensions up to 65535. A wider range here would only move the
// refusal to a later stage that cannot name the key.
struct TrainingLimits {
    static constexpr ValueRange<uint32_t> kUnits{1, 65535};  // conv out_channels, fc out
    static constexpr ValueRange<uint32_t> kInputChannels{1, 4096};
    static constexpr ValueRange<uint32_t> kInputSide{1, 65535};  // input rows and cols
    static constexpr ValueRange<uint32_t> kWindow{1, 64};  // conv kernel and stride, pool size and stride
    static constexpr ValueRange<uint32_t> kPad{0, 64};
    static constexpr ValueRange<uint32_t> kAccumulatorBits{8,
                                                           static_cast<uint32_t>(kern::kMaxAccumulatorBits)};
    static constexpr ValueRange<uint32_t> kEpochs{1, TRAIN_JOB_MAX_EPOCHS};
    static constexpr ValueRange<uint32_t> kBatch{1, TRAIN_JOB_MAX_BATCH};
    static constexpr ValueRange<double> kLr{0.0, 1000.0};
    static constexpr ValueRange<uint32_t> kLrDecayEvery{1, TRAIN_JOB_MAX_EPOCHS};
    static constexpr ValueRange<double> kLrDecayFactor{0.0, 1.0};
    static constexpr ValueRange<double> kMomentum{0.0, 0.999999};
    static constexpr ValueRange<double> kWeightDecay{0.0, 1.0};
    static constexpr ValueRange<uint64_t> kSeed{0, UINT64_MAX};
    static constexpr ValueRange<uint32_t> kSampleLimit{0,
                                                       UINT32_MAX};  // data.train_limit, test_limit; 0 = all
};

struct DataConfig {
    // "mnist" or "fashion_mnist" (IDX files, gzip or not) or "cifar10" (binary batches)
    std::string kind = "mnist";
    // mnist, fashion_mnist: the four IDX files; each defaults to DIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte
    // (with .gz for fashion_mnist, whose DIR defaults to /usr/share/datasets/fashion-mnist, Debian's package).
    std::string dir = "data/mnist";
    std::string train_images, train_labels, test_images, test_labels;
    // cifar10: batch files (default DIR/data_batch_{1..5}.bin and DIR/test_batch.bin).
    std::vector<std::string> train_files, test_files;
    uint32_t train_limit = 0, test_limit = 0;  // 0: every sample
};

struct TrainingScenario {
    std::string file;    // the scenario file, for messages and path resolution
    std::string preset;  // "lenet5", "mlp" or "" (explicit layers)
    // network.formats.scheme: "none", or "int8" (weights, activations, errors, weight gradients in int8 with
    // tracked per-tensor scales, fp32 master weights; roles given beside it override it).
    std::string format_scheme = "none";
    kern::NetworkSpec network;
    kern::TrainConfig training;
    DataConfig data;
    // training.mode: false = train (default); true = inference: forward passes only over the test set with
    // the weights of `weights` (a --weights / final-weights.bin file), no training.
    bool inference = false;
    std::string weights;  // training.weights, as written (resolve_data_path resolves it)
};

// Reads network/training/data from a scenario tree (other top-level keys are ignored). Unknown keys, wrong
// types and out-of-range values throw UserError "FILE:LINE: key 'network.layers.3.kernel': reason".
TrainingScenario parse_training_scenario(const YAML::Node& root, const std::string& file);

// The resolved network, training and data sections as a JSON object: every key with its value, defaults
// filled in, a preset written out as its layers, data paths resolved (resolve_data_path). As YAML it reads
// back to the same scenario.
nlohmann::ordered_json training_config_json(const TrainingScenario& scenario);

// A data path as written: relative to the current directory if it exists there, else relative to the
// scenario file's directory if it exists there (either way made absolute), else unchanged (the loader then
// names it in its error).
std::string resolve_data_path(const std::string& path, const std::string& scenario_file);

struct TrainingData {
    Dataset train, test;
};
// Loads the datasets the scenario names (paths resolved as above). Throws UserError naming the file.
TrainingData load_training_data(const TrainingScenario& scenario);

// A plain-text description of the resolved network: one line per layer with shapes and formats.
std::string describe_network(const kern::Network& net);

}  // namespace trainvp
