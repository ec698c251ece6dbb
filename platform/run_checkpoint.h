// Checkpoints of `trainvp run` for training scenarios (docs/user-guide.md "Checkpoints and resuming").
// The firmware saves nothing itself: when a checkpoint is due at one of the firmware's progress reports
// (SimCtrl PROGRESS, written after every SGD step and after each epoch's test pass), the platform pauses the
// CPU at the next instruction boundary and snapshots the whole machine there (machine_snapshot.h). The
// weights in their storage formats, master weights, velocities, the results area with the loss history, and
// the firmware's epoch, step and shuffle position (on its stack) are all in the snapshot's DRAM.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "checkpoint_file.h"
#include "common/log.h"
#include "hw/train_job.h"
#include "machine_snapshot.h"
#include "platform.h"

namespace trainvp {

class RunCheckpoints {
  public:
    // Reads the --resume file now, before any work: UserError for a missing, short, damaged or golden file.
    explicit RunCheckpoints(CheckpointOptions opts);
    ~RunCheckpoints();

    // This run's identity (checkpoint_identity.h), before the platform is built.
    void set_identity(uint64_t config_hash, uint64_t firmware_hash, std::string scenario_name);

    // After the platform is built, the firmware loaded and the job written, before the simulation: refuses a
    // --resume checkpoint made for another run (UserError), restores it, and with --checkpoint hooks the
    // firmware's progress reports (after whatever handler soc.simctrl.on_progress already has).
    void attach(Platform& soc, const train_job& job, double max_time_s);

    // "N written to FILE (the last with E epochs and S steps done: B bytes in T ms)", plus the number
    // skipped;
    // "" when none was due.
    std::string summary() const;

  private:
    void on_progress();
    void save(uint32_t epochs_done, uint32_t steps_done);
    struct Progress {
        uint32_t magic = 0, epochs_done = 0, steps_done = 0;
    };
    Progress read_progress() const;

    CheckpointOptions opts_;
    std::unique_ptr<Checkpoint> resume_;
    CheckpointIdentity identity_;
    std::string scenario_name_;
    Platform* soc_ = nullptr;
    train_job job_{};
    std::vector<RamRange> rebuilt_;
    Checkpoint scratch_;  // the sections of the last save, reused by the next
    bool enabled_ = false;
    uint32_t last_epochs_ = 0, last_steps_ = 0;
    uint32_t written_ = 0, skipped_ = 0;
    uint32_t last_epoch_saved_ = 0, last_step_saved_ = 0;
    uint64_t last_bytes_ = 0;
    double last_ms_ = 0.0, max_ms_ = 0.0;
    Logger log_;
};

}  // namespace trainvp
