// The resolved configuration of a scenario: every platform key, and for a training scenario the network,
// training and data sections with their defaults filled in (training_config_json). `trainvp run
// --dump-config` prints it as YAML that, saved as a scenario, reproduces the run; report.json holds it as
// the JSON object `config`.
#pragma once

#include <iosfwd>
#include <nlohmann/json.hpp>

#include "config_schema.h"
#include "training_config.h"

namespace trainvp {

// `training` is null for a scenario without a network section.
void dump_resolved_config(std::ostream& os, const ConfigSchema& schema, const TrainingScenario* training);
nlohmann::json resolved_config_json(const ConfigSchema& schema, const TrainingScenario* training);

}  // namespace trainvp
