// Binds dotted scenario keys ("cpu.clock_hz") to fields of plain config structs. The same table reads a
// scenario's YAML, applies `--set key=value` overrides and prints the resolved configuration, so a key
// is written once. Errors name the file, line and key.
//
// Ranges come from the config structs' own ValueRange constants (common/config_field.h), so the schema and
// the structs' validate() accept the same values. Rules that are not ranges are checked by validate() after
// every key is read; check() reports a failure against the key bound to the failing field, with the place
// its value came from.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/config_field.h"
#include "scenario_yaml.h"

namespace trainvp {

class ConfigSchema {
  public:
    // Integer field with inclusive range; `bytes` accepts size suffixes (KiB, MiB, GiB, K, M, G).
    void add(const std::string& key, uint64_t* field, const std::string& help, ValueRange<uint64_t> range,
             bool bytes = false);
    void add(const std::string& key, uint32_t* field, const std::string& help, ValueRange<uint32_t> range);
    void add(const std::string& key, double* field, const std::string& help, ValueRange<double> range);
    void add(const std::string& key, bool* field, const std::string& help);
    void add(const std::string& key, std::string* field, const std::string& help,
             std::vector<std::string> choices = {});
    // A value with its own text form (an enum, say): `read` parses and throws std::invalid_argument with the
    // reason; `show` gives the text back (unquoted). `field` is the bound field, for check().
    void add(const std::string& key, const std::string& help, std::function<void(const std::string&)> read,
             std::function<std::string()> show, const void* field = nullptr);
    // A sub-tree read by someone else (e.g. the training description): accepted here, not checked.
    void add_foreign(const std::string& prefix);

    // Reads every key of `root`; unknown keys, wrong types and out-of-range values throw UserError
    // "FILE:LINE: key 'a.b': reason". Keys absent from the file keep their defaults.
    void apply(const YAML::Node& root, const std::string& file);

    // Records that `key` was set by something other than the file (a command-line option such as
    // "--max-sim-time"), so that check() names that instead of the file.
    void set_origin(const std::string& key, const std::string& origin);
    // Where a key's value came from: "FILE:LINE", "--set", an origin given to set_origin(), or, for a key
    // that kept its default, the scenario file. Throws std::out_of_range for an unregistered key.
    std::string location(const std::string& key) const;
    // Whether the scenario, --set or set_origin() gave `key` a value (false: it kept its default).
    bool was_set(const std::string& key) const;
    // The scenario file given to apply().
    const std::string& file() const { return file_; }
    // The key bound to `field`, or "" when none is.
    std::string key_of(const void* field) const;

    // Runs `validate` (a config struct's validate()). A FieldError from it becomes a UserError
    // "WHERE: key 'K': reason" for the key bound to the first involved field that the scenario set (or the
    // first bound one); any other std::invalid_argument becomes "FILE: configuration: what".
    void check(const std::function<void()>& validate) const;

    // Prints the resolved values of every key as YAML, with each key's help and range as a comment.
    void dump(std::ostream& os) const;
    // The resolved values as a JSON object nested by section (numbers as numbers, sizes in bytes).
    nlohmann::json to_json() const;

    // The registered keys in registration order (for docs and tests).
    std::vector<std::string> keys() const;

    // A numeric key's accepted range as scenario text, with the nearest values outside it ("" where the
    // type has none), for tests that probe every range.
    struct KeyRange {
        std::string key, min, max, below_min, above_max;
    };
    std::vector<KeyRange> ranges() const;

  private:
    struct Entry {
        std::string key;
        std::string help;
        std::function<void(const YAML::Node&, const std::string& where)> read;
        std::function<std::string()> show;  // the value as text
        std::function<nlohmann::json()> json;
        bool text = false;  // show() is free text, quoted in the YAML dump where needed
        const void* field = nullptr;
        std::string origin;  // where the value was set; "" = default
        std::string min, max, below_min, above_max;
        std::string range_text;  // the range as the dump shows it, when not "[min, max]"
    };
    Entry& add_entry(Entry e);
    const Entry* find(const std::string& key) const;
    bool is_foreign(const std::string& key) const;
    bool is_section(const std::string& key) const;
    std::string suggestion(const std::string& key) const;
    void walk(const YAML::Node& node, const std::string& prefix, const std::string& file);

    std::vector<Entry> entries_;
    std::vector<std::string> foreign_;
    std::string file_;
};

// A byte count as the scenario writes sizes: "128KiB", "1MiB", "1000".
std::string size_text(uint64_t bytes);

}  // namespace trainvp
