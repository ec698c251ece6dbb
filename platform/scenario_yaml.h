// Scenario files as YAML trees: loading with the checks every command needs (empty file, duplicate keys),
// `--set key=value` overrides, durations, and where a node came from for error messages.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace trainvp {

// Where a YAML node came from: "FILE:LINE" for parsed nodes, "--set" for nodes made by an override.
std::string node_location(const YAML::Node& node, const std::string& file);

// The closest of `candidates` to `word` by edit distance, if it is close enough to be a likely typo ("" if
// none is).
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

// Loads a scenario file. A missing or unparsable file, an empty one (no settings), a top level that is not a
// map, and a key given twice in any map of the tree throw UserError naming the file, the line and the key.
YAML::Node load_yaml_file(const std::string& path);

// Applies "a.b.c=value" to a YAML tree (creating maps as needed; numeric segments index existing lists).
// The value is parsed as a YAML scalar or flow collection. Throws UserError "--set: key 'a.b.c': reason" for
// an index that is not one of the list's, a path through a value, or a malformed value.
void apply_override(YAML::Node& root, const std::string& assignment);

// Parses "10ms", "2.5 s", "100us", "1000 ns" into seconds; false with the reason ("needs a unit: ...") for
// anything else.
bool parse_duration(const std::string& text, double& seconds, std::string& why);
// The same, throwing UserError "WHAT: 'TEXT' reason".
double parse_duration_s(const std::string& text, const std::string& what);

}  // namespace trainvp
