#include "energy/tech_table.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace trainvp::energy {

namespace {

struct UnitInfo {
    const char* name;
    Scaling scaling;   // how an entry of this unit follows the node by default
    bool negative_ok;  // polynomial coefficients may be negative; every physical quantity may not
};

// The units a table may use. Energies scale with the node's energy factor, areas with its area factor,
// leakage densities with energy/area (docs/energy.md "Scaling to other nodes").
const UnitInfo kUnits[] = {
    {"pJ", Scaling::energy, false},
    {"pJ/bit", Scaling::energy, false},
    {"um2", Scaling::area, false},
    {"um2/bit", Scaling::area, false},
    {"nW/um2", Scaling::leakage_density, false},
    {"nm", Scaling::none, false},
    {"V", Scaling::none, false},
    {"bytes", Scaling::none, false},
    {"count", Scaling::none, false},
    {"ratio", Scaling::none, false},
    {"1/V", Scaling::none, true},
    {"1/V2", Scaling::none, true},
};

const UnitInfo* find_unit(const std::string& unit) {
    for (const UnitInfo& u : kUnits)
        if (unit == u.name) return &u;
    return nullptr;
}

std::string known_units() {
    std::string s;
    for (const UnitInfo& u : kUnits) s += std::string(s.empty() ? "" : ", ") + u.name;
    return s;
}

std::string at(const std::string& origin, const YAML::Node& node) {
    const YAML::Mark m = node.Mark();
    if (m.is_null()) return origin;
    return origin + ":" + std::to_string(m.line + 1);
}

[[noreturn]] void fail(const std::string& where, const std::string& key, const std::string& why) {
    throw UserError(where + ": " + (key.empty() ? "" : key + ": ") + why);
}

bool parse_number(const std::string& text, double& out) {
    if (text.empty()) return false;
    const char* begin = text.c_str();
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(begin, &end);
    if (end == begin || *end != '\0' || errno == ERANGE || !std::isfinite(v)) return false;
    out = v;
    return true;
}

std::string join(const std::string& prefix, const std::string& key) {
    return prefix.empty() ? key : prefix + "." + key;
}

}  // namespace

const char* scaling_name(Scaling s) {
    switch (s) {
        case Scaling::none:
            return "none";
        case Scaling::energy:
            return "energy";
        case Scaling::area:
            return "area";
        case Scaling::leakage_density:
            return "leakage_density";
    }
    return "none";
}

namespace {

class Parser {
  public:
    Parser(const std::string& origin, std::map<std::string, TechEntry>& entries,
           std::map<std::string, std::string>& key_origins)
        : origin_(origin), entries_(entries), key_origins_(key_origins) {}

    void group(const YAML::Node& node, const std::string& prefix) {
        for (auto it = node.begin(); it != node.end(); ++it) {
            const std::string key = it->first.as<std::string>();
            if (prefix.empty() && (key == "schema" || key == "name")) continue;
            const std::string path = join(prefix, key);
            const std::string where = at(origin_, it->first);
            if (key.empty() || key.find('.') != std::string::npos)
                fail(where, path, "keys must be non-empty and contain no '.'");
            if (key_origins_.count(path)) fail(where, path, "duplicate key");
            key_origins_[path] = where;
            const YAML::Node value = it->second;
            if (!value.IsMap())
                fail(where, path, "expected an entry {value, unit, source} or a group of entries");
            if (value["value"] || value["unit"] || value["source"])
                leaf(value, path, where);
            else if (value.size() == 0)
                fail(where, path, "empty group");
            else
                group(value, path);
        }
    }

  private:
    void leaf(const YAML::Node& node, const std::string& path, const std::string& where) {
        TechEntry e;
        e.path = path;
        e.origin = where;
        for (auto it = node.begin(); it != node.end(); ++it) {
            const std::string k = it->first.as<std::string>();
            if (k != "value" && k != "unit" && k != "source" && k != "scaling")
                fail(at(origin_, it->first), path,
                     "unknown key '" + k + "' in an entry (allowed: value, unit, source, scaling)");
            if (!it->second.IsScalar()) fail(at(origin_, it->second), path + "." + k, "must be a scalar");
        }
        for (const char* required : {"value", "unit", "source"})
            if (!node[required]) fail(where, path, std::string("missing '") + required + "'");
        const std::string text = node["value"].as<std::string>();
        if (!parse_number(text, e.value))
            fail(at(origin_, node["value"]), path, "value '" + text + "' is not a number");
        e.unit = node["unit"].as<std::string>();
        const UnitInfo* unit = find_unit(e.unit);
        if (!unit)
            fail(at(origin_, node["unit"]), path,
                 "unknown unit '" + e.unit + "' (known: " + known_units() + ")");
        if (e.value < 0 && !unit->negative_ok)
            fail(at(origin_, node["value"]), path, "value " + text + " must not be negative");
        e.source = node["source"].as<std::string>();
        if (e.source.find_first_not_of(" \t") == std::string::npos)
            fail(at(origin_, node["source"]), path, "empty source: say where the number comes from");
        e.scaling = unit->scaling;
        if (node["scaling"]) {
            const std::string s = node["scaling"].as<std::string>();
            if (s != "none") fail(at(origin_, node["scaling"]), path, "scaling may only be 'none'");
            e.scaling = Scaling::none;
        }
        entries_[path] = e;
    }

    const std::string& origin_;
    std::map<std::string, TechEntry>& entries_;
    std::map<std::string, std::string>& key_origins_;
};

}  // namespace

TechTable TechTable::parse(const std::string& yaml_text, const std::string& origin,
                           const std::string& schema) {
    YAML::Node root;
    try {
        root = YAML::Load(yaml_text);
    } catch (const YAML::ParserException& e) {
        throw UserError(origin + ":" + std::to_string(e.mark.line + 1) + ": YAML syntax error: " + e.msg);
    }
    if (!root.IsMap()) throw UserError(origin + ": a technology table must be a YAML mapping");
    TechTable t;
    t.origin_ = origin;
    if (!root["schema"] || !root["schema"].IsScalar())
        throw UserError(origin + ": missing 'schema: " + schema + "'");
    if (root["schema"].as<std::string>() != schema)
        fail(at(origin, root["schema"]), "schema",
             "'" + root["schema"].as<std::string>() + "' is not '" + schema + "'");
    if (!root["name"] || !root["name"].IsScalar() || root["name"].as<std::string>().empty())
        throw UserError(origin + ": missing 'name'");
    t.name_ = root["name"].as<std::string>();

    Parser parser(origin, t.entries_, t.key_origins_);
    try {
        parser.group(root, "");
    } catch (const YAML::Exception& e) {
        throw UserError(origin + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
    if (t.entries_.empty()) throw UserError(origin + ": the table has no entries");
    return t;
}

TechTable TechTable::load_file(const std::string& path, const std::string& schema) {
    std::ifstream in(path);
    if (!in) throw UserError(path + ": cannot read the technology table");
    std::stringstream ss;
    ss << in.rdbuf();
    return parse(ss.str(), path, schema);
}

double TechTable::value(const std::string& path) const {
    const TechEntry& e = entry(path);
    if (recorder_) recorder_->insert(path);
    return e.value;
}

const TechEntry& TechTable::entry(const std::string& path) const {
    auto it = entries_.find(path);
    if (it == entries_.end())
        throw UserError(origin_ + ": no entry '" + path + "' in technology table " + name_);
    return it->second;
}

std::vector<std::string> TechTable::children(const std::string& prefix) const {
    std::set<std::string> out;
    const std::string p = prefix + ".";
    for (auto it = entries_.lower_bound(p); it != entries_.end(); ++it) {
        if (it->first.compare(0, p.size(), p) != 0) break;
        const std::string rest = it->first.substr(p.size());
        out.insert(rest.substr(0, rest.find('.')));
    }
    return {out.begin(), out.end()};
}

void TechTable::set(const std::string& path, double value, const std::string& origin) {
    auto it = entries_.find(path);
    if (it == entries_.end())
        throw UserError("energy." + path + ": no such entry in technology table " + name_);
    const UnitInfo* unit = find_unit(it->second.unit);
    if (!std::isfinite(value) || (value < 0 && !(unit && unit->negative_ok)))
        throw UserError("energy." + path + ": value must be a finite number >= 0");
    it->second.value = value;
    it->second.origin = origin;
}

void TechTable::scale_entry(const std::string& path, double factor) {
    entries_.at(path).value *= factor;
}

void TechTable::check_against(const TechTable& reference,
                              const std::vector<AnchorCollection>& anchors) const {
    auto collection_of = [&](const std::string& path) -> const AnchorCollection* {
        for (const AnchorCollection& a : anchors)
            if (path.compare(0, a.prefix.size() + 1, a.prefix + ".") == 0) return &a;
        return nullptr;
    };
    auto where = [&](const std::string& path) {
        // The closest key this table has on the way to `path`, for the line number.
        std::string p = path;
        while (!p.empty()) {
            auto it = key_origins_.find(p);
            if (it != key_origins_.end()) return it->second;
            const size_t dot = p.rfind('.');
            p = dot == std::string::npos ? "" : p.substr(0, dot);
        }
        return origin_;
    };
    // Entries outside anchor collections: same set, same units.
    for (const auto& [path, e] : entries_) {
        const AnchorCollection* a = collection_of(path);
        if (!a) {
            auto ref = reference.entries_.find(path);
            if (ref == reference.entries_.end()) fail(e.origin, path, "unknown entry (not in the schema)");
            if (ref->second.unit != e.unit)
                fail(e.origin, path, "unit '" + e.unit + "' should be '" + ref->second.unit + "'");
            continue;
        }
        // Inside a collection: compare with the reference's first child, by the part after the child name.
        const std::string rest = path.substr(a->prefix.size() + 1);
        const size_t dot = rest.find('.');
        const std::string sub = dot == std::string::npos ? "" : rest.substr(dot);
        const std::string ref_child = reference.children(a->prefix).front();
        auto ref = reference.entries_.find(a->prefix + "." + ref_child + sub);
        if (ref == reference.entries_.end()) fail(e.origin, path, "unknown entry (not in the schema)");
        if (ref->second.unit != e.unit)
            fail(e.origin, path, "unit '" + e.unit + "' should be '" + ref->second.unit + "'");
    }
    for (const auto& [path, e] : reference.entries_) {
        const AnchorCollection* a = collection_of(path);
        if (!a) {
            if (!entries_.count(path)) fail(where(path), path, "missing entry");
            continue;
        }
    }
    for (const AnchorCollection& a : anchors) {
        const std::vector<std::string> mine = children(a.prefix);
        if (mine.size() < a.min_children)
            fail(where(a.prefix), a.prefix,
                 "needs at least " + std::to_string(a.min_children) + " anchor" +
                     (a.min_children > 1 ? "s" : ""));
        const std::string ref_child = reference.children(a.prefix).front();
        const std::string ref_base = a.prefix + "." + ref_child;
        for (const std::string& child : mine)
            for (const auto& [rpath, re] : reference.entries_) {
                if (rpath != ref_base && rpath.compare(0, ref_base.size() + 1, ref_base + ".") != 0) continue;
                const std::string path = a.prefix + "." + child + rpath.substr(ref_base.size());
                if (!entries_.count(path)) fail(where(path), path, "missing entry");
            }
    }
}

RecordScope::RecordScope(const TechTable& table, std::set<std::string>* recorder)
    : table_(table), previous_(table.recorder()) {
    table_.attach_recorder(recorder);
}

RecordScope::~RecordScope() {
    table_.attach_recorder(previous_);
}

}  // namespace trainvp::energy
