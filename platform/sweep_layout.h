// The files of a sweep directory (docs/exploration.md "What a sweep writes"):
//   sweep.json            the manifest: the sweep file, its axes and every point (directory, axis values,
//                         command arguments, fingerprint); what --run-point, --gather and --resume read
//   sweep.yaml            a copy of the sweep file as it was run
//   points/NNNN-LABEL/    one per point: scenario.yaml (the resolved scenario), cmd (the exact command
//                         line), log (its stdout and stderr), report.json, status.json
//   results.csv, results.json   one row per point (sweep_results.h)
//   slurm/                the batch script, its jobs and their output (sweep_slurm.h)
// Every file is written atomically (temporary file, then rename). status.json is written last, after the
// point's process ended by itself: a point is finished exactly when its status.json exists.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sweep_points.h"
#include "sweep_spec.h"

namespace trainvp {

// One point as the manifest holds it.
struct PointEntry {
    size_t index = 0;
    std::string dir;                                        // name under points/
    std::vector<std::pair<std::string, std::string>> axes;  // key, value, in axis order
    std::vector<std::string> args;                          // after the trainvp path: run scenario.yaml ...
    std::string fingerprint;                                // of the scenario text and args
};

struct SweepManifest {
    std::string sweep_file;  // absolute
    std::string name, command;
    std::vector<std::pair<std::string, std::string>> axes;  // key, name
    uint64_t product = 0, dropped = 0;
    bool sampled = false;
    std::vector<PointEntry> points;
};

// How a point's process ended, as status.json records it.
struct PointStatus {
    std::string fingerprint;
    int exit_code = 0;
    std::string signal;  // "SIGKILL" when a signal ended it
    std::string error;   // the line of its log that says what went wrong ("" when it succeeded)
    double wall_s = 0;
    std::string host;
    bool ok() const { return exit_code == 0; }
};

class SweepDir {
  public:
    explicit SweepDir(std::string root);  // made absolute
    const std::string& root() const { return root_; }
    std::string points() const { return root_ + "/points"; }
    std::string point(const std::string& dir) const { return points() + "/" + dir; }
    std::string manifest() const { return root_ + "/sweep.json"; }
    std::string slurm() const { return root_ + "/slurm"; }

    bool has_manifest() const;
    SweepManifest read_manifest() const;  // throws UserError naming the file
    void write_manifest(const SweepManifest& m, const std::string& sweep_text) const;

    // Writes the point's scenario.yaml and cmd, and removes what an earlier try left (status.json, log,
    // report.json), so a half-run point starts clean.
    void prepare_point(const PointEntry& p, const std::string& scenario_text,
                       const std::string& trainvp) const;
    std::optional<PointStatus> read_status(const std::string& dir) const;
    void write_status(const std::string& dir, const PointStatus& s) const;

  private:
    std::string root_;
};

// The manifest entry of a planned point: its arguments for `command` with the sweep's options, and the
// fingerprint of those and the resolved scenario (resolve_point_scenario).
PointEntry make_point_entry(const SweepSpec& spec, const SweepPoint& point, const std::string& scenario_yaml);

// The arguments of a point's command: "run scenario.yaml --report report.json OPTIONS..." (golden: --out).
std::vector<std::string> point_args(const std::string& command, const std::vector<std::string>& options);

// The line of a point's log that says why it failed: the last "trainvp: error:" line, else the last line
// starting with "trainvp:", else the last non-empty line; at most 300 characters.
std::string failure_line(const std::string& log_path);

// Writes `text` to `path` through a temporary file and a rename; throws UserError naming the path.
void write_text_atomic(const std::string& path, const std::string& text);

}  // namespace trainvp
