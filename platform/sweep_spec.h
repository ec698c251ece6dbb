// A sweep file (docs/exploration.md "Writing a sweep"): a base scenario, fixed overrides, axes over scenario
// keys by their --set names (lists, ranges, powers of two), zipped axes, constraints that drop points, random
// sampling, the command each point runs and its extra options. Everything is checked when the file is read;
// errors name the file, line and key ("sweep.yaml:12: key 'axes[1].range': step 0 ...").
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sweep_expr.h"

namespace trainvp {

struct SweepAxis {
    std::string key;                  // the scenario key, as --set names it
    std::string name;                 // short name: directory labels, constraints (default: last key segment)
    std::vector<std::string> values;  // each value as --set text
    int line = 0;                     // 1-based line of the axis in the sweep file
};

struct SweepSetting {
    std::string key, value;  // a fixed override: key=value
    int line = 0;
};

struct SweepConstraint {
    SweepExpr expr;
    int line = 0;
};

struct SweepSample {
    uint64_t count = 0;
    uint64_t seed = 1;
    int line = 0;
};

struct SweepSpec {
    std::string file;  // the sweep file as given
    std::string name;  // `name:`, default the file's stem
    std::string description;
    std::string command = "run";  // run, golden or estimate
    int command_line = 0;
    std::string base_file;  // the base scenario file; "" when the scenario is inline
    std::string base_dir;   // where the base's relative paths are resolved: its file's directory
    YAML::Node base;        // the base scenario tree (never modified: points clone it)
    int base_line = 0;
    std::vector<SweepSetting> sets;
    std::vector<SweepAxis> axes;
    // The product's dimensions in file order: each lists the axes (indices into `axes`) that advance
    // together (one axis, or a zip group).
    std::vector<std::vector<size_t>> dims;
    std::vector<SweepConstraint> constraints;
    std::optional<SweepSample> sample;
    std::vector<std::string> options;  // extra options of every point's command
    int options_line = 0;

    // "FILE:LINE" of a line of the sweep file.
    std::string where(int line) const { return file + ":" + std::to_string(line); }
    // The axis with this name or key, or nullptr.
    const SweepAxis* axis(const std::string& name_or_key) const;
    // The fixed override of this key, or nullptr.
    const SweepSetting* setting(const std::string& key) const;
};

// Reads and checks a sweep file; throws UserError naming the file, line and key.
SweepSpec load_sweep_file(const std::string& path);
// The same from a parsed tree (`file` names it in errors; relative base paths are resolved against its
// directory).
SweepSpec parse_sweep(const YAML::Node& root, const std::string& file);

// The options a sweep sets itself, refused in `options:`.
const std::vector<std::string>& sweep_reserved_options();

}  // namespace trainvp
