#include "energy/technology.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "common/error.h"
#include "energy/component_models.h"

namespace trainvp::energy {

namespace generated {
struct EmbeddedTable {
    const char* name;
    const char* text;
};
// Defined in the builtin_tables.cpp that embed_tables.cmake writes from tech/*.yaml.
extern const EmbeddedTable kEmbeddedTables[];
extern const size_t kEmbeddedTableCount;
}  // namespace generated

namespace {

// Collections whose members a user table may choose freely (docs/energy.md "Adding a technology").
const std::vector<TechTable::AnchorCollection> kAnchorCollections = {
    {"arithmetic.int_add.energy", 1}, {"arithmetic.int_add.area", 1},  {"arithmetic.int_mult.energy", 1},
    {"arithmetic.int_mult.area", 1},  {"arithmetic.fp_add.energy", 2}, {"arithmetic.fp_add.area", 2},
    {"arithmetic.fp_mult.energy", 2}, {"arithmetic.fp_mult.area", 2},  {"sram.anchors", 2},
};

bool parse_double(const std::string& text, double& out) {
    if (text.empty()) return false;
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(text.c_str(), &end);
    if (*end != '\0' || errno == ERANGE || !std::isfinite(v)) return false;
    out = v;
    return true;
}

// "28nm" -> 28, "7nm-lp" -> 7 and "lp"; false for anything else.
bool parse_node_spec(const std::string& spec, double& nm, std::string& flavour) {
    std::string s = spec;
    flavour = "hp";
    for (const char* f : {"-hp", "-lp"}) {
        const std::string suffix = f;
        if (s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0) {
            flavour = suffix.substr(1);
            s = s.substr(0, s.size() - suffix.size());
        }
    }
    if (s.size() < 3 || s.compare(s.size() - 2, 2, "nm") != 0) return false;
    return parse_double(s.substr(0, s.size() - 2), nm) && nm > 0;
}

double node_of(const std::string& key) {  // "hp45" / "n65" -> 45 / 65
    size_t i = 0;
    while (i < key.size() && !(key[i] >= '0' && key[i] <= '9')) ++i;
    return std::atof(key.c_str() + i);
}

std::string node_text(double nm) {
    std::ostringstream s;
    s << nm;
    return s.str();
}

// Linear interpolation in nm between the fitted nodes of `points` (node -> value).
double interpolate_node(const std::vector<std::pair<double, double>>& points, double nm,
                        const std::string& what) {
    for (const auto& [node, v] : points)
        if (node == nm) return v;
    for (size_t i = 0; i + 1 < points.size(); ++i) {
        const auto& [n0, v0] = points[i];
        const auto& [n1, v1] = points[i + 1];
        if ((n0 > nm && nm > n1) || (n0 < nm && nm < n1)) return v0 + (v1 - v0) * (nm - n0) / (n1 - n0);
    }
    throw UserError("technology " + node_text(nm) + "nm: outside the " + what + " (" +
                    node_text(points.back().first) + " to " + node_text(points.front().first) + " nm)");
}

}  // namespace

std::vector<std::string> builtin_table_names() {
    std::vector<std::string> names;
    for (size_t i = 0; i < generated::kEmbeddedTableCount; ++i)
        names.push_back(generated::kEmbeddedTables[i].name);
    return names;
}

const char* builtin_table_text(const std::string& name) {
    for (size_t i = 0; i < generated::kEmbeddedTableCount; ++i)
        if (name == generated::kEmbeddedTables[i].name) return generated::kEmbeddedTables[i].text;
    return nullptr;
}

TechTable reference_table() {
    TechTable t = TechTable::parse(builtin_table_text(kReferenceTable),
                                   std::string("built-in ") + kReferenceTable, kTechnologySchema);
    check_table_semantics(t);
    return t;
}

TechTable scaling_table() {
    return TechTable::parse(builtin_table_text(kScalingTable), std::string("built-in ") + kScalingTable,
                            kScalingSchema);
}

std::vector<double> scaling_nodes(const TechTable& scaling) {
    std::vector<double> nodes;
    for (const std::string& c : scaling.children("area_from_45nm")) nodes.push_back(node_of(c));
    std::sort(nodes.rbegin(), nodes.rend());
    return nodes;
}

NodeFactors node_factors(const TechTable& scaling, double from_nm, double from_vdd, double to_nm,
                         double to_vdd, const std::string& flavour) {
    if (flavour != "hp" && flavour != "lp")
        throw UserError("technology: unknown device flavour '" + flavour + "' (hp or lp)");
    // Energy factor at one node: the flavour's fit where there is one, the single fit otherwise (65 nm).
    std::vector<std::pair<double, std::string>> fits;  // node -> key
    for (const std::string& c : scaling.children("energy")) {
        const bool single = c[0] == 'n';
        if (single || c.compare(0, 2, flavour) == 0) fits.push_back({node_of(c), c});
    }
    std::sort(fits.begin(), fits.end(), [](const auto& l, const auto& r) { return l.first > r.first; });
    auto energy_at = [&](double nm, double vdd) {
        std::vector<std::pair<double, double>> points;
        for (const auto& [node, key] : fits) {
            const std::string p = "energy." + key;
            points.push_back({node, scaling.value(p + ".a") * vdd * vdd + scaling.value(p + ".b") * vdd +
                                        scaling.value(p + ".c")});
        }
        return interpolate_node(points, nm, "energy scaling data");
    };
    auto area_at = [&](double nm) {
        std::vector<std::pair<double, double>> points;
        for (const std::string& c : scaling.children("area_from_45nm"))
            points.push_back({node_of(c), scaling.value("area_from_45nm." + c)});
        std::sort(points.begin(), points.end(),
                  [](const auto& l, const auto& r) { return l.first > r.first; });
        return interpolate_node(points, nm, "area scaling data");
    };
    const double e_from = energy_at(from_nm, from_vdd);
    if (e_from <= 0)
        throw UserError("technology: the energy fit is not positive at the reference node and supply");
    const double e_to = energy_at(to_nm, to_vdd);
    if (e_to <= 0)
        throw UserError("technology " + node_text(to_nm) + "nm: the energy fit is not positive at " +
                        node_text(to_vdd) + " V (outside the fitted supply range)");
    return {e_to / e_from, area_at(to_nm) / area_at(from_nm)};
}

TechTable scale_to_node(const TechTable& base, const TechTable& scaling, double to_nm, double to_vdd,
                        const std::string& flavour) {
    const double from_nm = base.value("node"), from_vdd = base.value("vdd");
    const NodeFactors f = node_factors(scaling, from_nm, from_vdd, to_nm, to_vdd, flavour);
    TechTable t = base;
    for (const auto& [path, e] : base.entries()) {
        switch (e.scaling) {
            case Scaling::none:
                break;
            case Scaling::energy:
                t.scale_entry(path, f.energy);
                break;
            case Scaling::area:
                t.scale_entry(path, f.area);
                break;
            case Scaling::leakage_density:
                t.scale_entry(path, f.energy / f.area);
                break;
        }
    }
    const std::string why = "scaled from " + base.name() + " by Stillmaker & Baas 2017 (" + flavour + ")";
    t.set("node", to_nm, why);
    t.set("vdd", to_vdd, why);
    t.set_name(node_text(to_nm) + "nm" + (flavour == "lp" ? "-lp" : ""));
    return t;
}

TechTable load_technology(const std::string& spec, const std::string& base_dir, double vdd_v) {
    const TechTable reference = reference_table();
    double nm = 0;
    std::string flavour;
    if (parse_node_spec(spec, nm, flavour)) {
        const double vdd = vdd_v > 0 ? vdd_v : reference.value("vdd");
        if (nm == reference.value("node") && vdd == reference.value("vdd") && flavour == "hp")
            return reference;
        return scale_to_node(reference, scaling_table(), nm, vdd, flavour);
    }
    if (spec.empty()) throw UserError("energy.technology: empty (a node such as 45nm, or a table file)");
    std::string path = spec;
    if (!base_dir.empty() && path[0] != '/') path = base_dir + "/" + path;
    TechTable t = TechTable::load_file(path, kTechnologySchema);
    t.check_against(reference, kAnchorCollections);
    check_table_semantics(t);
    if (vdd_v > 0)
        throw UserError("energy.vdd: only applies to a built-in node, not to the table file " + path);
    return t;
}

void apply_overrides(TechTable& table, const std::vector<std::pair<std::string, std::string>>& overrides) {
    for (const auto& [key, text] : overrides) {
        const std::string path = key.compare(0, 7, "energy.") == 0 ? key.substr(7) : key;
        double v = 0;
        if (!parse_double(text, v)) throw UserError("energy." + path + ": '" + text + "' is not a number");
        table.set(path, v, "--set energy." + path);
    }
}

}  // namespace trainvp::energy
