// What a run cost in energy, power and area (docs/energy.md "Reading the report"): the one place where the
// modules' counts (accelerator statistics, CPU instruction classes) become the energy model's actions, and
// the report's "energy" and "area" sections and the summary's energy table.
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "accel/accel_config.h"
#include "accel/accel_stats.h"
#include "accel/sparse_junction.h"
#include "cpu/rv32_core.h"
#include "energy/energy_model.h"
#include "energy_config.h"
#include "sparse/sparse_config.h"

namespace trainvp {

// The actions of one layer x phase (or the total) of the accelerator, for `variant`: the training array
// selects its operands through the training multiplexers on every MAC; the inference-only array has none, and
// keeps in its output buffer what the training array keeps in the gradient buffer (split-reduction partial
// sums).
energy::ActionCounts accel_actions(const accel::PhaseStats& ps, const AcceleratorConfig& accel,
                                   const energy::EnergyConfig& ec, energy::Variant variant);
// The CPU's instructions by class.
energy::ActionCounts cpu_actions(const CoreStats& cpu);

// Dey et al.'s sparse engine built for `net` (docs/energy.md "The sparse engine"): per junction the weight
// memory (z banks of |W|/z words), the bias memory (z/fi banks), the FF, BP and UP processors' multipliers
// and adders, the activation LUTs (z/fi copies); per layer the activation, derivative and delta memories
// with their collections (§3.5).
energy::SparseEngineHardware sparse_hardware(const sparse::SparseNetConfig& net);
// The engine's counts (per junction, and the output errors) as actions on those memories and units.
energy::ActionCounts sparse_actions(const sparse::SparseNetConfig& net,
                                    const std::vector<JunctionCounters>& junctions, uint64_t cost_terms);

struct EnergyRun {
    const accel::AccelStats* accel_stats = nullptr;
    const CoreStats* cpu = nullptr;
    double seconds = 0;             // simulated time (leakage)
    uint64_t images_trained = 0;    // 0: no per-image figure
    uint64_t images_evaluated = 0;  // forward-only passes (test sets)
    // A sparse run: the engine's network and counts (sparse_net nullptr: the engine did not run).
    const sparse::SparseNetConfig* sparse_net = nullptr;
    std::vector<JunctionCounters> sparse_junctions;
    uint64_t sparse_cost_terms = 0;
    double sparse_busy_s = 0;  // the engine's clocks at its clock rate
};

// {"energy": {...}, "area": {...}} for the report. Throws UserError for a bad table or configuration (checked
// before the simulation by check_energy_config, so not expected here).
nlohmann::json energy_report(const EnergyRun& run, const EnergySettings& settings,
                             const AcceleratorConfig& accel, const std::string& base_dir);

// The summary's short table from energy_report()'s result.
void print_energy_summary(std::FILE* out, const nlohmann::json& report);

}  // namespace trainvp
