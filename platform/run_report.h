// End-of-run statistics of `trainvp run`, printed to stderr so stdout stays the firmware's console.
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <systemc>

#include "cpu/rv32_core.h"

namespace trainvp {

struct RunSummary {
    sc_core::sc_time simulated;
    sc_core::sc_time asleep;
    double wall_s = 0;
    double clock_hz = 0;
};

void print_run_summary(std::FILE* out, const CoreStats& stats, const RunSummary& run);

// The CPU part of a run report (--report): counts by name, deterministic.
nlohmann::json cpu_stats_json(const CoreStats& stats, const RunSummary& run);

}  // namespace trainvp
