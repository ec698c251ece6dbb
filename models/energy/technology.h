// Choosing a technology: the built-in tables (embedded at build time from models/energy/tech/*.yaml, so they
// work from any directory and from an installed library), user table files, scaling to another node by
// Stillmaker & Baas (2017), and `--set energy.<path>=value` overrides (docs/energy.md). Plain C++17, no
// SystemC.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "energy/tech_table.h"

namespace trainvp::energy {

constexpr const char* kTechnologySchema = "trainvp-energy-technology/1";
constexpr const char* kScalingSchema = "trainvp-energy-scaling/1";
constexpr const char* kReferenceTable = "45nm";
constexpr const char* kScalingTable = "scaling-stillmaker2017";

// Names of the embedded YAML files (file name without .yaml) and their text; nullptr for an unknown name.
std::vector<std::string> builtin_table_names();
const char* builtin_table_text(const std::string& name);

TechTable reference_table();  // the built-in 45 nm table
TechTable scaling_table();    // the built-in Stillmaker & Baas data

struct NodeFactors {
    double energy = 1;  // multiply energies by this
    double area = 1;    // multiply areas by this
};
// Factors from (from_nm, from_vdd) to (to_nm, to_vdd) for the device flavour "hp" or "lp". Nodes between two
// fitted nodes are interpolated linearly in nm. Throws UserError for a node outside the data or an unknown
// flavour.
NodeFactors node_factors(const TechTable& scaling, double from_nm, double from_vdd, double to_nm,
                         double to_vdd, const std::string& flavour);
// The fitted nodes of the scaling data, largest first.
std::vector<double> scaling_nodes(const TechTable& scaling);

// `base` moved to another node: energy entries times the energy factor, area entries times the area factor,
// leakage densities times energy/area, entries with `scaling: none` kept; node and vdd entries set.
TechTable scale_to_node(const TechTable& base, const TechTable& scaling, double to_nm, double to_vdd,
                        const std::string& flavour);

// The table for a scenario's `energy.technology`:
//   "45nm"                  the built-in table
//   "<N>nm" or "<N>nm-lp"   the built-in table scaled to N nm (hp devices unless -lp), e.g. "28nm", "7nm"
//   anything else           a table file (relative paths against base_dir), checked against the built-in
//   schema
// vdd_v > 0 sets the supply of a scaled table (default: the reference table's, i.e. iso-voltage scaling).
// Throws UserError naming the file, line and key of a bad table.
TechTable load_technology(const std::string& spec, const std::string& base_dir = "", double vdd_v = 0);

// Applies `--set energy.<path>=<value>` overrides (keys given without the "energy." prefix, or with it).
// Throws UserError for an unknown path or a value that is not a number (or is negative).
void apply_overrides(TechTable& table, const std::vector<std::pair<std::string, std::string>>& overrides);

}  // namespace trainvp::energy
