// The scenario's `energy` section (docs/energy.md "Reading the report"): the technology table, the parts of
// the accelerator the energy model needs beyond `hardware` (formats the datapaths are built for, DRAM kind),
// and `energy.<table path>` overrides of single table entries. Every key goes through the config schema.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "accel/accel_config.h"
#include "energy/energy_model.h"

namespace trainvp {

class ConfigSchema;

struct EnergySettings {
    std::string technology = "45nm";         // built-in name, "<N>nm[-lp]", or a table file
    std::string dram_kind = "ddr4";          // an entry under dram.* of the table
    std::string pe_operand_format = "fx16";  // the widest operand the PE multiplier is built for (area)
    std::string pe_accumulator_format = "fx48";
    std::string vector_format = "fx16";
    std::map<std::string, double> overrides;  // table path (without "energy.") -> value

    // The table in use: the technology (relative paths against base_dir) with the overrides applied; cached.
    // Throws UserError naming the file or entry.
    const energy::TechTable& table(const std::string& base_dir) const;

  private:
    mutable std::shared_ptr<energy::TechTable> cache_;
    mutable std::string cache_key_;
};

// Registers energy.technology, energy.dram_kind, energy.pe_operand_format, energy.pe_accumulator_format,
// energy.vector_format and one key energy.<path> per entry of the built-in table.
void register_energy_keys(ConfigSchema& schema, EnergySettings& settings);

// Loads the table and builds the model's configuration before the simulation; a failure is a UserError
// naming the scenario key ("FILE:LINE: key 'energy.technology': ...").
void check_energy_config(const EnergySettings& settings, const AcceleratorConfig& accel,
                         const ConfigSchema& schema);

// The accelerator as the energy model sees it.
energy::EnergyConfig energy_config(const EnergySettings& settings, const AcceleratorConfig& accel);

}  // namespace trainvp
