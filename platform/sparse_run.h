// The sparse part of `trainvp run` (docs/sparse.md "Scenarios"): a scenario with a `sparse` section trains
// Dey et al.'s junction-pipelined network on the accelerator's sparse engine through the training firmware.
// The section's keys map one to one onto sparse::SparseNetConfig, plus the run's epochs, learning-rate codes,
// descriptor size and data. Before the simulation the job (hw/train_job.h sparse_job) goes into DRAM; after
// it, the results, the summary, the report's `training` object and the optional bit-exact comparison with
// the golden trainer (sparse::JunctionTrainer) issued the same descriptor by descriptor (--check-golden).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config_schema.h"
#include "hw/train_job.h"
#include "kernels/dataset.h"
#include "output_files.h"
#include "platform.h"
#include "sparse/sparse_config.h"
#include "train_run.h"

namespace trainvp {

struct SparseRunConfig {
    static constexpr ValueRange<uint32_t> kEpochs{1, TRAIN_JOB_MAX_EPOCHS};
    static constexpr ValueRange<uint32_t> kDescriptorSamples{1, 1u << 20};
    static constexpr ValueRange<uint32_t> kSampleLimit{0, UINT32_MAX};  // 0 = every sample

    sparse::SparseNetConfig net = defaults();
    uint32_t epochs = 1;
    std::string etapos = "4";            // per epoch, comma-separated; the last repeats
    uint32_t descriptor_samples = 1000;  // training samples per SPARSE_TRAIN
    std::string data_dir = "data/mnist";
    uint32_t train_limit = 0, test_limit = 0;

    // The FPGA configuration with the engine's default delta-hazard mode, forwarded (docs/sparse.md).
    static sparse::SparseNetConfig defaults();
    // The learning-rate code of each epoch; throws FieldError naming `sparse.etapos`.
    std::vector<uint8_t> etapos_per_epoch() const;
    // net.validate() and the run's own rules; throws FieldError / std::invalid_argument naming the key.
    void validate() const;
};

// True when the scenario has a `sparse` section.
bool is_sparse_scenario(const YAML::Node& root);
// Registers the `sparse.*` keys bound to `cfg`.
void register_sparse_keys(ConfigSchema& schema, SparseRunConfig& cfg);

class SparseTrainingRun {
  public:
    // Loads the datasets (UserError naming the file).
    SparseTrainingRun(const std::string& scenario_path, const SparseRunConfig& cfg, TrainRunOptions opts);

    // Writes the job into soc.ram (UserError naming ram.size if it does not fit).
    void prepare(Platform& soc);
    // After the simulation: results, summary, parameters file, --check-golden. Returns `status`, or
    // kExitTrainingFailed when the firmware exited 0 but training did not finish or the golden model differs.
    int finish(Platform& soc, int status, OutputWrites& writes);
    const nlohmann::json& report() const { return report_; }

  private:
    std::string check_against_golden(const sparse_results& res, const std::vector<int32_t>& params,
                                     const std::vector<uint32_t>& predictions, nlohmann::json& summary) const;

    SparseRunConfig cfg_;
    TrainRunOptions opts_;
    Dataset train_, test_;
    sparse_job job_{};
    nlohmann::json report_;
};

}  // namespace trainvp
