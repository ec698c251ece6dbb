// Checkpoints of `trainvp golden` (docs/user-guide.md "Checkpoints and resuming"), in the same container as
// `trainvp run`'s (checkpoint_file.h) with kind golden: the trainer's state (every parameter's values, master
// copy and velocity in float, epochs and steps done, the position and sums of the epoch in progress, the
// rounding statistics) and the figures of the epochs finished so far.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "checkpoint_file.h"
#include "kernels/trainer.h"
#include "training_config.h"

namespace trainvp {

// The deterministic figures of one finished epoch (golden.json also reports wall-clock ones).
struct GoldenEpochFigures {
    uint32_t epoch = 0;
    double train_loss = 0, train_accuracy = 0, test_loss = 0, test_accuracy = 0;
};

class GoldenCheckpoints {
  public:
    // Reads the --resume file now, before any work: UserError for a missing, short, damaged or run file.
    explicit GoldenCheckpoints(CheckpointOptions opts);
    ~GoldenCheckpoints();

    // This run's identity, once the data is loaded: refuses a --resume file made for another scenario or
    // other data (UserError).
    void set_identity(std::string scenario_name, const TrainingScenario& scenario, const TrainingData& data);

    // With --resume: restores the trainer and the finished epochs' figures; returns false without --resume.
    bool restore(kern::Trainer& trainer, std::vector<GoldenEpochFigures>& epochs);
    // After every SGD step (from the trainer's progress callback) and after each epoch's test pass: saves
    // when
    // --checkpoint-every says so.
    void after_step(const kern::Trainer& trainer, const std::vector<GoldenEpochFigures>& epochs);
    void after_epoch(const kern::Trainer& trainer, const std::vector<GoldenEpochFigures>& epochs);

    uint32_t written() const { return written_; }

  private:
    void save(const kern::Trainer& trainer, const std::vector<GoldenEpochFigures>& epochs);

    CheckpointOptions opts_;
    std::string scenario_name_;
    CheckpointIdentity identity_;
    std::unique_ptr<Checkpoint> resume_;
    bool enabled_ = false;
    uint32_t written_ = 0;
};

}  // namespace trainvp
