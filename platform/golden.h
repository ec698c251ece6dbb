// `trainvp golden SCENARIO.yaml`: trains the scenario's network natively with the kernels of
// models/kernels (no simulation) and writes a JSON summary. The reference the platform is checked against.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

#include "checkpoint_file.h"

namespace trainvp {

struct GoldenOptions {
    std::string json_out = "golden.json";  // JSON summary (written atomically)
    std::string weights_out;               // final weights file (kernels/weights_io.h); empty: none
    bool progress = true;                  // progress line on stderr, only when it is a terminal
    int threads = 1;                       // only 1 is implemented; other values are refused
    // --checkpoint, --checkpoint-every, --resume (golden_checkpoint.h)
    std::optional<CheckpointOptions> checkpoints;
};

// Trains by mini-batch SGD as the scenario's network/training/data keys say, prints one line per epoch
// (loss, train and test accuracy, time) to stdout, writes the summary and returns 0. Throws UserError for
// scenario, data and output-file problems.
int golden_command(const std::string& scenario_path, const YAML::Node& root, const GoldenOptions& opts);

}  // namespace trainvp
