// What a run cost in energy, power and area (docs/energy.md "Reading the report"): the one place where the
// modules' counts (accelerator statistics, CPU instruction classes) become the energy model's actions, and
// the report's "energy" and "area" sections and the summary's energy table.
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "accel/accel_config.h"
#include "accel/accel_stats.h"
#include "cpu/rv32_core.h"
#include "energy/energy_model.h"
#include "energy_config.h"

namespace trainvp {

// The actions of one layer x phase (or the total) of the accelerator, for `variant`: the training array
// selects its operands through the training multiplexers on every MAC; the inference-only array has none, and
// keeps in its output buffer what the training array keeps in the gradient buffer (split-reduction partial
// sums).
energy::ActionCounts accel_actions(const accel::PhaseStats& ps, const AcceleratorConfig& accel,
                                   const energy::EnergyConfig& ec, energy::Variant variant);
// The CPU's instructions by class.
energy::ActionCounts cpu_actions(const CoreStats& cpu);

struct EnergyRun {
    const accel::AccelStats* accel_stats = nullptr;
    const CoreStats* cpu = nullptr;
    double seconds = 0;             // simulated time (leakage)
    uint64_t images_trained = 0;    // 0: no per-image figure
    uint64_t images_evaluated = 0;  // forward-only passes (test sets)
};

// {"energy": {...}, "area": {...}} for the report. Throws UserError for a bad table or configuration (checked
// before the simulation by check_energy_config, so not expected here).
nlohmann::json energy_report(const EnergyRun& run, const EnergySettings& settings,
                             const AcceleratorConfig& accel, const std::string& base_dir);

// The summary's short table from energy_report()'s result.
void print_energy_summary(std::FILE* out, const nlohmann::json& report);

}  // namespace trainvp
