// Binds dotted scenario keys ("cpu.clock_hz") to fields of plain config structs. The same table reads a
// scenario's YAML, applies `--set key=value` overrides and prints the resolved configuration, so a key
// is written once. Errors name the file, line and key.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace trainvp {

class ConfigSchema {
  public:
    // Integer field with inclusive range; `bytes` accepts size suffixes (KiB, MiB, GiB, K, M, G).
    void add(const std::string& key, uint64_t* field, const std::string& help, uint64_t min, uint64_t max,
             bool bytes = false);
    void add(const std::string& key, uint32_t* field, const std::string& help, uint32_t min, uint32_t max);
    void add(const std::string& key, double* field, const std::string& help, double min, double max);
    void add(const std::string& key, bool* field, const std::string& help);
    void add(const std::string& key, std::string* field, const std::string& help,
             std::vector<std::string> choices = {});
    // A value with its own text form (an enum, say): `read` parses and throws std::invalid_argument with the
    // reason; `show` prints it back.
    void add(const std::string& key, const std::string& help, std::function<void(const std::string&)> read,
             std::function<std::string()> show);
    // A sub-tree read by someone else (e.g. the training description): accepted here, not checked.
    void add_foreign(const std::string& prefix);

    // Reads every key of `root`; unknown keys, wrong types and out-of-range values throw UserError
    // "FILE:LINE: key 'a.b': reason". Keys absent from the file keep their defaults.
    void apply(const YAML::Node& root, const std::string& file);

    // Prints the resolved values of every key as YAML, with each key's help as a comment.
    void dump(std::ostream& os) const;

    // The registered keys in registration order (for docs and tests).
    std::vector<std::string> keys() const;

  private:
    struct Entry {
        std::string key;
        std::string help;
        std::function<void(const YAML::Node&, const std::string& where)> read;
        std::function<std::string()> show;
    };
    const Entry* find(const std::string& key) const;
    bool is_foreign(const std::string& key) const;
    void walk(const YAML::Node& node, const std::string& prefix, const std::string& file);

    std::vector<Entry> entries_;
    std::vector<std::string> foreign_;
};

// Where a YAML node came from: "FILE:LINE" for parsed nodes, "--set" for nodes made by an override.
std::string node_location(const YAML::Node& node, const std::string& file);

// Loads a YAML file; a missing or unparsable file throws UserError naming it.
YAML::Node load_yaml_file(const std::string& path);

// Applies "a.b.c=value" to a YAML tree (creating maps as needed; numeric segments index sequences).
// The value is parsed as a YAML scalar or flow collection. Throws UserError on malformed overrides.
void apply_override(YAML::Node& root, const std::string& assignment);

// Parses "10ms", "2.5 s", "100us", "1000 ns" into seconds; throws UserError naming `what`.
double parse_duration_s(const std::string& text, const std::string& what);

}  // namespace trainvp
