// The training part of `trainvp run` for a scenario with a `network` section: before the simulation it
// builds the golden network with the golden trainer's initialisation and writes the training job into DRAM
// (train_job_writer.h); during it, a progress display; after it, the results and the final weights read
// back from DRAM, the `training` object of the report, the summary table, the weights file and the
// optional bit-exact comparison with the golden trainer (--check-golden).
#pragma once

#include <yaml-cpp/yaml.h>

#include <csignal>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "output_files.h"
#include "platform.h"
#include "progress.h"
#include "train_job_writer.h"
#include "training_config.h"

namespace trainvp {

// Firmware of training scenarios that name none (relative: scenario directory, then the build tree).
constexpr const char* kTrainFirmware = "sw/apps/train.elf";
// Exit status when the firmware exited 0 but training did not finish, or --check-golden found a difference.
constexpr int kExitTrainingFailed = 1;

// The first parameter element whose float32 bits differ between two networks of the same spec, over working
// values, master copies and velocities in parameter order: "final fc1.weight.master[3] differs: platform
// ... (0x...), golden ... (0x...)", or "" when all are identical. Counts the tensors and values compared.
std::string first_parameter_difference(const kern::Network& platform, const kern::Network& golden,
                                       uint64_t& tensors, uint64_t& values);

// True when the scenario describes training (it has a `network` key).
bool is_training_scenario(const YAML::Node& root);

struct TrainRunOptions {
    std::string weights_path = "final-weights.bin";  // final weights (kern::write_weights format); "" = none
    bool check_golden = false;                       // train natively too and require identical results
    bool progress = true;                            // progress bar / per-epoch lines on stderr
    bool summary = true;                             // header and summary table on stderr
    // When this flag is non-zero at a step boundary (the firmware's PROGRESS write, where the accelerator is
    // idle and the parameters in DRAM are those after the steps done), the simulation stops there.
    const volatile std::sig_atomic_t* stop_request = nullptr;
};

class TrainingRun {
  public:
    // Parses network/training/data, loads the datasets and builds the initial network. Throws UserError for
    // scenario and data problems (before any simulation).
    TrainingRun(const std::string& scenario_path, const YAML::Node& root, TrainRunOptions opts);
    ~TrainingRun();

    // Writes the job into soc.ram (UserError naming ram.size if it does not fit) and attaches the progress
    // display to soc.simctrl.on_progress and soc.uart0.on_tx.
    void prepare(Platform& soc);

    // Right after the simulation: removes the progress bar or prints the last epoch lines, before any
    // summary.
    void end_of_simulation();

    // After an interrupted simulation: where training stopped, "at epoch E step S of N" (at a step
    // boundary) or "in epoch E, during step S of N".
    std::string position(const Platform& soc) const;
    // Marks the run as interrupted by `signal_name` ("SIGINT") before finish(): the report says where it
    // stopped, and the weights are written when it stopped at a step boundary.
    void note_interrupt(const std::string& signal_name);

    // After the simulation. `status` is the run's exit status so far (the firmware's, or a trainvp code);
    // returns it, or kExitTrainingFailed when the firmware claimed success but training is incomplete or
    // --check-golden found a difference. Prints the summary; writes the weights file through `writes` (a
    // failure is reported there and in the report's `weights` object).
    int finish(Platform& soc, int status, double wall_s, OutputWrites& writes);

    // The report's `training` object (deterministic) and the wall-clock fields to merge into `wall`.
    const nlohmann::json& report() const { return report_; }
    const nlohmann::json& wall_report() const { return wall_report_; }

    const TrainingScenario& scenario() const { return scenario_; }
    // training.weights resolved (inference runs).
    std::string weights_in() const;
    const kern::Network& network() const { return trainer_->network(); }
    // The layout prepare() will write (plan_train_job), for checks before the platform is built.
    TrainJobImage job_plan() const;
    const train_job& job() const { return image_.job; }

  private:
    // Compares the platform's final network and per-epoch results with a fresh golden training run; returns
    // "" when identical, else the first difference. Fills `summary` with what was compared.
    std::string check_against_golden(const train_results& results, nlohmann::json& summary);
    nlohmann::json accelerator_report(const Platform& soc, double sim_s) const;
    void print_summary(const Platform& soc, const train_results& results,
                       const std::vector<double>& step_mean, double sim_s, double wall_s) const;

    std::string scenario_path_;
    TrainRunOptions opts_;
    TrainingScenario scenario_;
    TrainingData data_;
    std::unique_ptr<kern::Trainer> trainer_;  // initial parameters; after finish(), the platform's final ones
    TrainJobImage image_;
    std::unique_ptr<TrainProgress> progress_;
    nlohmann::json report_, wall_report_;
    bool stopped_at_step_ = false;  // the simulation was stopped at a step boundary (stop_request)
    std::string interrupted_by_;    // signal name; "" = not interrupted
};

}  // namespace trainvp
