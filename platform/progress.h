// Progress display of a training run, driven by the firmware's SimCtrl PROGRESS writes: on a terminal one
// self-overwriting line (epoch and step, last loss, simulated time, images per second) redrawn at most ten
// times a second of wall time; otherwise one plain line per finished epoch. It reads the results area and
// the step-loss array with the Memory's host read: the guest sees nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>

#include "hw/train_job.h"
#include "mem/memory.h"

namespace trainvp {

class TrainProgress {
  public:
    enum class Mode { off, bar, lines };
    // `bar` when enabled and stderr is a terminal, `lines` when enabled otherwise.
    static Mode pick(bool enabled);

    // `sim_now_s` gives the simulated time of the current progress write.
    TrainProgress(const Memory& ram, const train_job& job, Mode mode, std::function<double()> sim_now_s,
                  std::FILE* out = stderr);

    // The value of a PROGRESS write (the firmware's steps done; the results area is the authority).
    void update(uint32_t value);
    // Every byte the firmware sends to the console (Uart::on_tx): the bar steps aside for console lines.
    void console_char(char c);
    // After the run: removes the bar and prints the lines of epochs finished since the last update.
    // Idempotent.
    void finish();

  private:
    struct Snapshot {
        uint32_t magic = 0, epochs_done = 0, steps_done = 0;
    };
    Snapshot read_snapshot() const;
    void print_epoch_lines(uint32_t epochs_done);
    void draw_bar(const Snapshot& s);
    double step_mean_loss(uint32_t step) const;  // loss of step `step` (0-based) per sample
    uint64_t images_trained(uint32_t steps_done) const;

    const Memory& ram_;
    train_job job_;
    Mode mode_;
    std::function<double()> sim_now_s_;
    std::FILE* out_;
    std::chrono::steady_clock::time_point wall_start_, last_draw_{};
    uint32_t epochs_printed_ = 0;
    bool bar_drawn_ = false;
};

}  // namespace trainvp
