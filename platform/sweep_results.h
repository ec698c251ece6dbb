// results.csv and results.json of a sweep: one row per point of the manifest, rebuilt from the point
// directories after every run and by --gather. Columns: the point, its axes, how it ended, then the headline
// figures of its report.json taken from a documented list of report paths (sweep_figures()); a path a
// report does not have is skipped, and a column appears when any point has it, so figures that later
// reports add under a listed subtree (energy, area, power) become columns without a change here.
// docs/exploration.md "Reading the results" documents every column; a test checks it does.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sweep_layout.h"

namespace trainvp {

// One entry of the list of figures.
struct SweepFigure {
    enum class Kind {
        value,       // the value at `pointer`, column `column`
        subtree,     // every number, boolean or string under `pointer` (arrays skipped): column + its path
        phases,      // accelerator cycles summed by phase over training.accelerator.per_layer[].opcodes
        last_epoch,  // the last element of the epochs array at `pointer`: column + final_{test,train}_*
    };
    const char* column;   // the column, or the prefix of the columns it makes
    const char* pointer;  // JSON pointer into report.json
    Kind kind;
    const char* help;
};
const std::vector<SweepFigure>& sweep_figures();

// The columns a point's report gives, in list order, each with its value.
std::vector<std::pair<std::string, nlohmann::json>> report_figures(const nlohmann::json& report);

struct ResultsSummary {
    size_t ok = 0, failed = 0, missing = 0;
};

// Writes DIR/results.csv and DIR/results.json (atomically) and counts the points by status: "ok",
// "failed", or "missing" (no status.json for this point's current fingerprint: not run yet, stopped, or a
// Slurm task that never finished).
ResultsSummary write_results(const SweepDir& dir, const SweepManifest& manifest);

// A CSV field (RFC 4180): quoted when it holds a comma, quote or line break.
std::string csv_field(const std::string& text);

}  // namespace trainvp
