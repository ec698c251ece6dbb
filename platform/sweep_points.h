// The points of a sweep: the product of its dimensions in file order (the first axis varies slowest), less
// the points a constraint drops, optionally a seeded random sample of the rest; and each point's resolved
// scenario, checked before anything runs.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

#include "sweep_spec.h"

namespace trainvp {

struct SweepPoint {
    size_t index = 0;                    // position in the sweep, 0-based
    std::vector<size_t> choice;          // per axis: which of its values
    std::string label;                   // "rows=16,cols=8" ("" without axes)
    std::string dir;                     // "0007-rows=16,cols=8": the point's directory under points/
    std::vector<std::string> overrides;  // "key=value": the set: entries, then the axes
};

struct SweepPlan {
    std::vector<SweepPoint> points;
    uint64_t product = 0;  // points in the full product
    uint64_t dropped = 0;  // of those, dropped by a constraint (counted among the drawn ones when sampling
                           // a product too large to enumerate)
    bool sampled = false;  // `sample:` picked a subset
};

// Products up to this size are enumerated whole; larger ones only through `sample:`.
constexpr uint64_t kSweepEnumerateLimit = 1000000;
// No sweep runs more points than this.
constexpr uint64_t kSweepMaxPoints = 100000;

// Enumerates, filters and samples. Deterministic: the same file gives the same points in the same order.
// Throws UserError naming the sweep file and line (a constraint that cannot be evaluated, a product too
// large, a sample that cannot be filled).
SweepPlan plan_sweep(const SweepSpec& spec);

// The point's scenario tree: a copy of the base with the point's overrides applied. Throws UserError
// "SWEEP:LINE: point DIR: reason" for an override that cannot apply.
YAML::Node point_scenario(const SweepSpec& spec, const SweepPoint& point);

// Checks the point's scenario as `trainvp run` (or golden) will before simulating, and returns it resolved
// as `trainvp run --dump-config` prints it: every key with its value, the firmware and the data files by
// absolute path (relative data paths are tried against the current directory first, as trainvp does), so
// the text alone reproduces the point from any directory. Throws UserError "SWEEP:LINE: point DIR: reason",
// LINE being the axis or set: entry whose key the reason names where there is one, else the base.
std::string resolve_point_scenario(const SweepSpec& spec, const SweepPoint& point,
                                   const YAML::Node& scenario);

// The file scenario.yaml: a header saying where the point came from, then `resolved`.
std::string point_scenario_text(const SweepSpec& spec, const SweepPoint& point, const std::string& resolved);

// A directory-safe label: letters, digits and . _ + - = , kept, anything else '_'; long labels are cut and
// end in a hash of the whole so they stay distinct.
std::string sweep_label(const std::vector<std::pair<std::string, std::string>>& name_values);

// A uniform integer in [0, n) from a SplitMix64 stream (`state` advances); the same on every platform,
// unlike std::uniform_int_distribution.
uint64_t sweep_random_below(uint64_t& state, uint64_t n);

}  // namespace trainvp
