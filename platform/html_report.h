// HTML reports (docs/exploration.md "The HTML report", docs/user-guide.md "--html"): one self-contained page,
// no network access needed to view it. The plots are inline SVG: the run page's are drawn here, the sweep
// page's by a short script of ours in the page (the figures on its scatter plot are chosen in the page).
// Every plot element carries a class the Chromium test looks for (test/html/check_html.py).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "trace_recorder.h"

namespace trainvp {

// The page of one `trainvp run`: its summary, the training loss and accuracy, cycles (and energy, when the
// report has an `energy` section) by layer and phase as stacked bars, and the timeline of `step` (the
// first training step's events; an empty list leaves the timeline out with a note). Nothing that varies
// from run to run (wall time) goes in, so the page is as deterministic as the report.
std::string run_report_html(const nlohmann::json& report, const std::vector<TimelineEvent>& step);

// The page of a sweep from its results.json: the points' status, a scatter plot of any two numeric columns
// with the Pareto front, and the table, sortable by any column.
std::string sweep_report_html(const nlohmann::json& results);

}  // namespace trainvp
