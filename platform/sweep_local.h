// Running sweep points on this machine: up to N trainvp processes at once, one progress line for the whole
// sweep, and a clean stop on Ctrl-C or SIGTERM (no new points; the running ones are asked to stop, a second
// signal kills them; a stopped point gets no status.json, so --resume runs it again). The same code runs the
// single point of a Slurm array task (--run-point).
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "sweep_layout.h"

namespace trainvp {

// The sweep's progress: on a terminal one self-overwriting line fitted to its width (points done, failed,
// running, elapsed, ETA), redrawn at most ten times a second; otherwise one line per finished point. A
// failed point gets a line of its own in both cases.
class SweepProgress {
  public:
    SweepProgress(size_t total, size_t done_before, size_t failed_before, bool enabled,
                  std::FILE* out = stderr);
    ~SweepProgress();
    void point_finished(const std::string& dir, const PointStatus& s);
    void set_running(size_t running);
    // For a backend that learns of finished points by counting (Slurm): the totals so far.
    void set_counts(size_t done, size_t failed, size_t running);
    void message(const std::string& line);  // a line of its own, above the bar
    void redraw(bool force = false);
    void clear();

  private:
    std::string eta() const;
    size_t total_, done_, failed_, running_ = 0, done_before_;
    bool enabled_, bar_;
    std::FILE* out_;
    std::chrono::steady_clock::time_point start_, last_draw_{};
    bool drawn_ = false;
};

struct LocalRunResult {
    size_t ok = 0, failed = 0;
    int signal = 0;  // SIGINT or SIGTERM when the sweep was stopped
};

// Runs `todo` (points of `dir`'s manifest) with up to `jobs` at once.
LocalRunResult run_points_locally(const SweepDir& dir, const std::vector<PointEntry>& todo, unsigned jobs,
                                  SweepProgress& progress);

// Runs one point and writes its status.json (the body of a Slurm array task). Returns the point's exit code,
// or 128 + the signal that stopped it.
int run_single_point(const SweepDir& dir, const PointEntry& point);

}  // namespace trainvp
