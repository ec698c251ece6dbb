#include "resolved_config.h"

#include <yaml-cpp/yaml.h>

#include <ostream>

namespace trainvp {
namespace {

// The YAML form of a JSON value: maps in block style except the maps inside lists (layers) and format maps,
// which read best on one line.
YAML::Node to_yaml(const nlohmann::ordered_json& j, bool flow) {
    if (j.is_object()) {
        YAML::Node out(YAML::NodeType::Map);
        for (auto it = j.begin(); it != j.end(); ++it)
            out[it.key()] = to_yaml(it.value(), flow || it.key() == "formats");
        if (flow) out.SetStyle(YAML::EmitterStyle::Flow);
        return out;
    }
    if (j.is_array()) {
        YAML::Node out(YAML::NodeType::Sequence);
        for (const auto& e : j) out.push_back(to_yaml(e, true));
        return out;
    }
    if (j.is_string()) return YAML::Node(j.get<std::string>());
    if (j.is_boolean()) return YAML::Node(j.get<bool>() ? "true" : "false");
    if (j.is_number_float()) return YAML::Node(value_text(j.get<double>()));
    if (j.is_number_unsigned()) return YAML::Node(std::to_string(j.get<uint64_t>()));
    if (j.is_number_integer()) return YAML::Node(std::to_string(j.get<int64_t>()));
    return YAML::Node(YAML::NodeType::Null);
}

}  // namespace

void dump_resolved_config(std::ostream& os, const ConfigSchema& schema, const TrainingScenario* training) {
    schema.dump(os);
    if (!training) return;
    // The same text for a scenario and its dump, so that a dump of a dump is the dump.
    os << "# The training description with every default filled in: a network.preset written out as its\n"
          "# layers, data paths that exist made absolute.\n";
    YAML::Emitter em;
    em << to_yaml(training_config_json(*training), false);
    os << em.c_str() << "\n";
}

nlohmann::json resolved_config_json(const ConfigSchema& schema, const TrainingScenario* training) {
    nlohmann::json out = schema.to_json();
    if (training) {
        const nlohmann::ordered_json t = training_config_json(*training);
        for (auto it = t.begin(); it != t.end(); ++it)
            out[it.key()] = nlohmann::json::parse(it.value().dump());
    }
    return out;
}

}  // namespace trainvp
