// The training description of a scenario: keys `network`, `training` and `data` (docs/numerics.md
// "## Training and default formats"). The platform configuration owns every other top-level key.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/dataset.h"
#include "kernels/trainer.h"

namespace trainvp {

struct DataConfig {
    std::string kind = "mnist";  // "mnist" (IDX files) or "cifar10" (binary batches)
    // mnist: the four IDX files; each defaults to DIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte.
    std::string dir = "data/mnist";
    std::string train_images, train_labels, test_images, test_labels;
    // cifar10: batch files (default DIR/data_batch_{1..5}.bin and DIR/test_batch.bin).
    std::vector<std::string> train_files, test_files;
    uint32_t train_limit = 0, test_limit = 0;  // 0: every sample
};

struct TrainingScenario {
    std::string file;    // the scenario file, for messages and path resolution
    std::string preset;  // "lenet5", "mlp" or "" (explicit layers)
    kern::NetworkSpec network;
    kern::TrainConfig training;
    DataConfig data;
};

// Reads network/training/data from a scenario tree (other top-level keys are ignored). Unknown keys, wrong
// types and out-of-range values throw UserError "FILE:LINE: key 'network.layers[3].kernel': reason".
TrainingScenario parse_training_scenario(const YAML::Node& root, const std::string& file);

// A data path as written: relative to the current directory if it exists there, else relative to the
// scenario file's directory if it exists there, else unchanged (the loader then names it in its error).
std::string resolve_data_path(const std::string& path, const std::string& scenario_file);

struct TrainingData {
    Dataset train, test;
};
// Loads the datasets the scenario names (paths resolved as above). Throws UserError naming the file.
TrainingData load_training_data(const TrainingScenario& scenario);

// A plain-text description of the resolved network: one line per layer with shapes and formats.
std::string describe_network(const kern::Network& net);

}  // namespace trainvp
