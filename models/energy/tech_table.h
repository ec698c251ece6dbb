// A technology table of the energy model: named entries {value, unit, source}, loaded from YAML
// (models/energy/tech/*.yaml, or a user file with the same schema) and addressed by dotted path, e.g.
// "arithmetic.int_add.energy.w8" (docs/energy.md "Technology tables"). Plain C++17, no SystemC.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace trainvp::energy {

// How an entry follows a change of technology node (node_scaling.h).
enum class Scaling { none, energy, area, leakage_density };
const char* scaling_name(Scaling s);

struct TechEntry {
    std::string path;  // "arithmetic.int_add.energy.w8"
    double value = 0;
    std::string
        unit;  // "pJ", "pJ/bit", "um2", "um2/bit", "nW/um2", "bytes", "count", "ratio", "nm", "V", ...
    std::string source;  // citation, derivation or "assumption: ..."
    Scaling scaling = Scaling::none;
    std::string origin;  // "file:line" the entry was read from, or "built-in 45nm:line", or "--set"
};

class TechTable {
  public:
    // Parses and checks one table. `origin` names the text in error messages (a file path or "built-in
    // 45nm"). `schema` is the expected value of the top-level `schema` key. Throws UserError naming origin,
    // line and key for: YAML syntax errors, a wrong or missing schema, an entry without value/unit/source, an
    // unknown key in an entry, a value that is not a number, a negative value (except polynomial
    // coefficients), an unknown unit.
    static TechTable parse(const std::string& yaml_text, const std::string& origin,
                           const std::string& schema);
    // Reads `path` and parses it (errors name the path).
    static TechTable load_file(const std::string& path, const std::string& schema);

    const std::string& name() const { return name_; }
    const std::string& origin() const { return origin_; }
    void set_name(const std::string& name) { name_ = name; }

    bool has(const std::string& path) const { return entries_.count(path) != 0; }
    // The value of an entry; records the read when a recorder is attached. Throws UserError for an unknown
    // path.
    double value(const std::string& path) const;
    const TechEntry& entry(const std::string& path) const;
    const std::map<std::string, TechEntry>& entries() const { return entries_; }
    // Paths of the direct children of `prefix` ("arithmetic.int_add.energy" -> {"w8", "w16", "w32"}), sorted.
    std::vector<std::string> children(const std::string& prefix) const;

    // Replaces the value of an existing entry (configuration overrides); the origin becomes `origin`.
    // Throws UserError naming the path for an unknown entry or a negative value where negatives are refused.
    void set(const std::string& path, double value, const std::string& origin = "--set");
    // Multiplies an entry's value (node scaling); no checks.
    void scale_entry(const std::string& path, double factor);

    // Structural check against a reference table of the same schema: every reference entry must exist with
    // the same unit, and every entry must exist in the reference, except under the given anchor collections,
    // where any child name is accepted (each child must then have the sub-entries of the reference's first
    // child, or be a leaf with the reference's unit) and at least `min_children` children are required.
    struct AnchorCollection {
        std::string prefix;
        size_t min_children;
    };
    void check_against(const TechTable& reference, const std::vector<AnchorCollection>& anchors) const;

    // While a recorder is attached, every value() call adds its path to it (which entries a result depends
    // on).
    void attach_recorder(std::set<std::string>* recorder) const { recorder_ = recorder; }
    std::set<std::string>* recorder() const { return recorder_; }

  private:
    std::string name_, origin_;
    std::map<std::string, TechEntry> entries_;
    std::map<std::string, std::string>
        key_origins_;  // every mapping key seen (entries and groups) -> "file:line"
    mutable std::set<std::string>* recorder_ = nullptr;
};

// Attaches a recorder for the lifetime of the object (nested use restores the previous one).
class RecordScope {
  public:
    RecordScope(const TechTable& table, std::set<std::string>* recorder);
    ~RecordScope();
    RecordScope(const RecordScope&) = delete;
    RecordScope& operator=(const RecordScope&) = delete;

  private:
    const TechTable& table_;
    std::set<std::string>* previous_;
};

}  // namespace trainvp::energy
