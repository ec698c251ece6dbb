// Progress display of a training run, driven by the firmware's SimCtrl PROGRESS writes: on a terminal one
// self-overwriting line (epoch and step, overall progress and the estimated wall time left, last loss,
// simulated time, images per second) fitted to the terminal's width and redrawn at most ten times a second
// of wall time; otherwise one plain line per finished epoch. It reads the results area and the step-loss
// array with the Memory's host read: the guest sees nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "hw/train_job.h"
#include "mem/memory.h"

namespace trainvp {

// The fields joined by two spaces, as many as fit from the left: fields are dropped right to left until the
// line is shorter than `width` (never reaching the last column, where terminals wrap); a first field that
// alone is too long is cut. Fields are ASCII.
std::string fit_progress_line(const std::vector<std::string>& fields, int width);

// Columns of the terminal on `fd` (TIOCGWINSZ), else $COLUMNS, else 80.
int terminal_columns(int fd);

// A wall-clock duration for a display: "42s", "12m05s", "3h07m".
std::string format_duration(double seconds);

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
    double wall_elapsed_s() const;
    // "ETA 1m20s" from the wall-clock rate of the steps so far; "ETA --" before the first.
    std::string eta(uint32_t steps_done) const;

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
