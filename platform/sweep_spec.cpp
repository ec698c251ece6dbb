#include "sweep_spec.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>

#include "common/error.h"
#include "config_schema.h"

namespace fs = std::filesystem;

namespace trainvp {
namespace {

// A range may not make more values than this (a typo in `step` should not make a million points).
constexpr size_t kMaxAxisValues = 10000;

int line_of(const YAML::Node& node) {
    const YAML::Mark m = node.Mark();
    return m.is_null() ? 0 : m.line + 1;
}

class Reader {
  public:
    explicit Reader(std::string file) : file_(std::move(file)) {}

    [[noreturn]] void fail(const YAML::Node& node, const std::string& key, const std::string& reason) const {
        throw UserError(file_ + ":" + std::to_string(line_of(node)) + ": key '" + key + "': " + reason);
    }
    [[noreturn]] void fail(int line, const std::string& key, const std::string& reason) const {
        throw UserError(file_ + ":" + std::to_string(line) + ": key '" + key + "': " + reason);
    }

    std::string scalar(const YAML::Node& n, const std::string& key) const {
        if (!n.IsScalar()) fail(n, key, "expected a single value, found " + kind(n));
        return n.Scalar();
    }
    // A value for --set: a scalar as written, a list or map in YAML flow form.
    std::string override_text(const YAML::Node& n, const std::string& key) const {
        if (n.IsScalar()) return n.Scalar();
        if (n.IsNull() || !n.IsDefined()) fail(n, key, "missing value");
        YAML::Emitter em;
        em << YAML::Flow << n;
        return em.c_str();
    }
    double number(const YAML::Node& n, const std::string& key) const {
        const SweepValue v = SweepValue::parse(scalar(n, key));
        if (!v.is_number) fail(n, key, "'" + v.text + "' is not a number");
        return v.number;
    }
    uint64_t count(const YAML::Node& n, const std::string& key, uint64_t min) const {
        const std::string text = scalar(n, key);
        const SweepValue v = SweepValue::parse(text);
        if (!v.is_number || v.number != std::floor(v.number) || v.number < static_cast<double>(min) ||
            v.number > 1e15)
            fail(n, key, "'" + text + "' is not an integer >= " + std::to_string(min));
        return static_cast<uint64_t>(v.number);
    }
    void only(const YAML::Node& map, const std::string& key,
              std::initializer_list<const char*> allowed) const {
        if (!map.IsMap()) fail(map, key, "expected a map, found " + kind(map));
        for (const auto& kv : map) {
            const std::string k = kv.first.Scalar();
            if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return k == a; })) {
                std::string list;
                for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
                fail(kv.first, key.empty() ? k : key + "." + k, "unknown key (expected " + list + ")");
            }
        }
    }
    static std::string kind(const YAML::Node& n) {
        if (n.IsMap()) return "a map";
        if (n.IsSequence()) return "a list";
        if (n.IsScalar()) return "'" + n.Scalar() + "'";
        return "nothing";
    }

  private:
    std::string file_;
};

bool is_name(const std::string& s) {
    if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
    });
}

// The text of a generated value: the binary unit of `from` when every value is a whole multiple of it, else
// up to 12 significant digits (so 0.1 steps print as 0.3, not 0.30000000000000004).
std::string value_text(double v, const std::string& unit, double scale) {
    char b[64];
    if (!unit.empty() && std::fmod(v, scale) == 0) {
        std::snprintf(b, sizeof b, "%.0f%s", v / scale, unit.c_str());
        return b;
    }
    std::snprintf(b, sizeof b, "%.12g", v);
    return b;
}

// The binary unit a number was written with ("64KiB" -> KiB, 1024), or "" and 1.
std::pair<std::string, double> unit_of(const std::string& text) {
    static const std::pair<const char*, double> units[] = {{"KiB", 1024.0},       {"MiB", 1048576.0},
                                                           {"GiB", 1073741824.0}, {"K", 1024.0},
                                                           {"M", 1048576.0},      {"G", 1073741824.0}};
    for (const auto& [u, s] : units) {
        const std::string us(u);
        if (text.size() > us.size() && text.compare(text.size() - us.size(), us.size(), us) == 0)
            return {us, s};
    }
    return {"", 1.0};
}

std::vector<std::string> range_values(const Reader& r, const YAML::Node& n, const std::string& key) {
    r.only(n, key, {"from", "to", "step"});
    for (const char* k : {"from", "to", "step"})
        if (!n[k]) r.fail(n, key, std::string("missing '") + k + "'");
    const double from = r.number(n["from"], key + ".from"), to = r.number(n["to"], key + ".to"),
                 step = r.number(n["step"], key + ".step");
    if (step == 0) r.fail(n["step"], key + ".step", "step 0 never reaches 'to'");
    if ((to - from) / step < 0)
        r.fail(n["step"], key + ".step", "step " + n["step"].Scalar() + " goes away from 'to'");
    const double steps = std::floor((to - from) / step + 1e-9);
    if (steps + 1 > static_cast<double>(kMaxAxisValues))
        r.fail(n, key, "more than " + std::to_string(kMaxAxisValues) + " values");
    const auto [unit, scale] = unit_of(n["from"].Scalar());
    std::vector<std::string> out;
    for (size_t i = 0; i <= static_cast<size_t>(steps); ++i)
        out.push_back(value_text(from + static_cast<double>(i) * step, unit, scale));
    return out;
}

std::vector<std::string> log2_values(const Reader& r, const YAML::Node& n, const std::string& key) {
    r.only(n, key, {"from", "to"});
    for (const char* k : {"from", "to"})
        if (!n[k]) r.fail(n, key, std::string("missing '") + k + "'");
    const double from = r.number(n["from"], key + ".from"), to = r.number(n["to"], key + ".to");
    if (from <= 0) r.fail(n["from"], key + ".from", "must be greater than 0");
    if (to < from) r.fail(n["to"], key + ".to", "is below 'from'");
    const auto [unit, scale] = unit_of(n["from"].Scalar());
    std::vector<std::string> out;
    for (double v = from; v <= to * (1 + 1e-12); v *= 2) out.push_back(value_text(v, unit, scale));
    return out;
}

SweepAxis parse_axis(const Reader& r, const YAML::Node& n, size_t i) {
    const std::string key = "axes[" + std::to_string(i) + "]";
    r.only(n, key, {"key", "name", "values", "range", "log2_range"});
    SweepAxis a;
    a.line = line_of(n);
    if (!n["key"]) r.fail(n, key, "missing 'key' (the scenario key to vary, e.g. hardware.array.rows)");
    a.key = r.scalar(n["key"], key + ".key");
    if (a.key.empty() || a.key.front() == '.' || a.key.back() == '.' ||
        a.key.find("..") != std::string::npos || a.key.find('=') != std::string::npos)
        r.fail(n["key"], key + ".key", "'" + a.key + "' is not a scenario key");
    if (n["name"]) {
        a.name = r.scalar(n["name"], key + ".name");
        if (!is_name(a.name))
            r.fail(n["name"], key + ".name", "'" + a.name + "' is not a name (letters, digits, _ and .)");
    }
    int kinds = 0;
    for (const char* k : {"values", "range", "log2_range"}) kinds += n[k] ? 1 : 0;
    if (kinds != 1) r.fail(n, key, "give exactly one of 'values', 'range' or 'log2_range'");
    if (const YAML::Node v = n["values"]) {
        if (!v.IsSequence() || v.size() == 0) r.fail(v, key + ".values", "expected a non-empty list");
        for (size_t j = 0; j < v.size(); ++j)
            a.values.push_back(r.override_text(v[j], key + ".values[" + std::to_string(j) + "]"));
    } else if (const YAML::Node v = n["range"]) {
        a.values = range_values(r, v, key + ".range");
    } else {
        a.values = log2_values(r, n["log2_range"], key + ".log2_range");
    }
    std::set<std::string> seen;
    for (const auto& v : a.values)
        if (!seen.insert(v).second) r.fail(n, key, "value '" + v + "' appears twice");
    return a;
}

void parse_axes(const Reader& r, const YAML::Node& n, SweepSpec& s) {
    if (!n.IsSequence()) r.fail(n, "axes", "expected a list of axes ({key: ..., values: [...]})");
    for (size_t i = 0; i < n.size(); ++i) s.axes.push_back(parse_axis(r, n[i], i));
    // Default names: the key's last segment, or the whole key where two unnamed axes would share it.
    auto last_segment = [](const std::string& key) { return key.substr(key.rfind('.') + 1); };
    std::vector<bool> named;
    for (const auto& a : s.axes) named.push_back(!a.name.empty());
    for (size_t i = 0; i < s.axes.size(); ++i) {
        if (named[i]) continue;
        const std::string last = last_segment(s.axes[i].key);
        size_t same = 0;
        for (size_t j = 0; j < s.axes.size(); ++j) same += !named[j] && last_segment(s.axes[j].key) == last;
        s.axes[i].name = same > 1 || !is_name(last) ? s.axes[i].key : last;
    }
    for (size_t i = 0; i < s.axes.size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
            const std::string where = "axes[" + std::to_string(i) + "]";
            if (s.axes[i].key == s.axes[j].key)
                r.fail(s.axes[i].line, where + ".key",
                       "'" + s.axes[i].key + "' is already an axis (axes[" + std::to_string(j) + "])");
            if (s.axes[i].name == s.axes[j].name || s.axes[i].name == s.axes[j].key ||
                s.axes[i].key == s.axes[j].name)
                r.fail(s.axes[i].line, where + ".name",
                       "'" + s.axes[i].name + "' is already the name of axes[" + std::to_string(j) + "]");
        }
    }
}

void parse_zip(const Reader& r, const YAML::Node& n, SweepSpec& s) {
    std::vector<int> group_of(s.axes.size(), -1);
    std::vector<std::vector<size_t>> groups;
    if (n) {
        if (!n.IsSequence()) r.fail(n, "zip", "expected a list of groups of axis names, e.g. [[rows, cols]]");
        for (size_t g = 0; g < n.size(); ++g) {
            const std::string key = "zip[" + std::to_string(g) + "]";
            const YAML::Node grp = n[g];
            if (!grp.IsSequence() || grp.size() < 2)
                r.fail(grp, key, "expected a list of two or more axis names");
            std::vector<size_t> members;
            for (size_t k = 0; k < grp.size(); ++k) {
                const std::string name = r.scalar(grp[k], key);
                const SweepAxis* a = s.axis(name);
                if (!a) r.fail(grp[k], key, "'" + name + "' is not an axis");
                const size_t idx = static_cast<size_t>(a - s.axes.data());
                if (group_of[idx] >= 0)
                    r.fail(grp[k], key,
                           "axis '" + name + "' is already in zip[" + std::to_string(group_of[idx]) + "]");
                group_of[idx] = static_cast<int>(g);
                if (a->values.size() != s.axes[members.empty() ? idx : members[0]].values.size())
                    r.fail(grp[k], key,
                           "axis '" + name + "' has " + std::to_string(a->values.size()) + " values, axis '" +
                               s.axes[members[0]].name + "' " +
                               std::to_string(s.axes[members[0]].values.size()) +
                               ": zipped axes advance together and need as many values");
                members.push_back(idx);
            }
            groups.push_back(members);
        }
    }
    std::vector<bool> placed(groups.size(), false);
    for (size_t i = 0; i < s.axes.size(); ++i) {
        if (group_of[i] < 0) {
            s.dims.push_back({i});
        } else if (!placed[static_cast<size_t>(group_of[i])]) {
            placed[static_cast<size_t>(group_of[i])] = true;
            std::vector<size_t> members = groups[static_cast<size_t>(group_of[i])];
            std::sort(members.begin(), members.end());
            s.dims.push_back(members);
        }
    }
}

void parse_sets(const Reader& r, const YAML::Node& n, SweepSpec& s) {
    if (!n.IsMap()) r.fail(n, "set", "expected a map of scenario keys to values (training.epochs: 1)");
    for (const auto& kv : n) {
        const std::string key = kv.first.Scalar();
        if (key.empty() || key.find('=') != std::string::npos)
            r.fail(kv.first, "set." + key, "not a scenario key");
        s.sets.push_back({key, r.override_text(kv.second, "set." + key), line_of(kv.first)});
    }
}

void parse_options(const Reader& r, const YAML::Node& n, SweepSpec& s) {
    s.options_line = line_of(n);
    if (!n.IsSequence()) r.fail(n, "options", "expected a list, e.g. [--max-sim-time, 5s]");
    const auto& reserved = sweep_reserved_options();
    for (size_t i = 0; i < n.size(); ++i) {
        const std::string key = "options[" + std::to_string(i) + "]";
        const std::string opt = r.scalar(n[i], key);
        const std::string name = opt.substr(0, opt.find('='));
        if (std::find(reserved.begin(), reserved.end(), name) != reserved.end())
            r.fail(n[i], key,
                   "'" + name + "' is set by the sweep itself (use 'set:' or 'axes:' for scenario keys)");
        s.options.push_back(opt);
    }
}

void parse_constraints(const Reader& r, const YAML::Node& n, SweepSpec& s) {
    if (!n.IsSequence())
        r.fail(n, "constraints", "expected a list of expressions, e.g. [\"rows * cols <= 1024\"]");
    auto known = [&](const std::string& name) { return s.axis(name) || s.setting(name); };
    for (size_t i = 0; i < n.size(); ++i) {
        const std::string key = "constraints[" + std::to_string(i) + "]";
        const std::string text = r.scalar(n[i], key);
        try {
            s.constraints.push_back({SweepExpr(text, known), line_of(n[i])});
        } catch (const std::invalid_argument& e) {
            r.fail(n[i], key, "'" + text + "': " + e.what());
        }
    }
}

void parse_base(const Reader& r, const YAML::Node& n, const std::string& file, SweepSpec& s) {
    s.base_line = line_of(n);
    const fs::path sweep_dir = fs::absolute(fs::path(file)).parent_path();
    if (n.IsMap()) {
        s.base = YAML::Clone(n);
        s.base_dir = sweep_dir.lexically_normal().string();
        return;
    }
    const std::string rel = r.scalar(n, "base");
    fs::path p(rel);
    if (p.is_relative()) p = sweep_dir / p;
    p = p.lexically_normal();
    if (!fs::is_regular_file(p)) r.fail(n, "base", "scenario file '" + p.string() + "' not found");
    s.base_file = p.string();
    s.base_dir = p.parent_path().string();
    s.base = load_yaml_file(s.base_file);
    if (!s.base.IsMap())
        r.fail(n, "base", "'" + s.base_file + "' is not a scenario (a YAML map of settings)");
}

}  // namespace

const SweepAxis* SweepSpec::axis(const std::string& name_or_key) const {
    for (const auto& a : axes)
        if (a.name == name_or_key || a.key == name_or_key) return &a;
    return nullptr;
}

const SweepSetting* SweepSpec::setting(const std::string& key) const {
    for (const auto& s : sets)
        if (s.key == key) return &s;
    return nullptr;
}

const std::vector<std::string>& sweep_reserved_options() {
    static const std::vector<std::string> reserved = {"--report", "--out", "--set", "--dump-config",
                                                      "--help",   "-h",    "--gdb", "--resume"};
    return reserved;
}

SweepSpec parse_sweep(const YAML::Node& root, const std::string& file) {
    const Reader r(file);
    if (!root.IsMap()) throw UserError(file + ": a sweep file is a YAML map (base:, axes:, ...)");
    r.only(
        root, "",
        {"name", "description", "base", "command", "set", "axes", "zip", "constraints", "sample", "options"});
    SweepSpec s;
    s.file = file;
    s.name = root["name"] ? r.scalar(root["name"], "name") : fs::path(file).stem().string();
    if (root["description"]) s.description = r.scalar(root["description"], "description");
    if (!root["base"])
        throw UserError(file + ": key 'base': missing: name the scenario file the points start from");
    parse_base(r, root["base"], file, s);
    if (const YAML::Node c = root["command"]) {
        s.command = r.scalar(c, "command");
        s.command_line = line_of(c);
        if (s.command != "run" && s.command != "golden" && s.command != "estimate")
            r.fail(c, "command", "'" + s.command + "' is not one of: run, golden, estimate");
    }
    if (root["set"]) parse_sets(r, root["set"], s);
    if (root["axes"]) parse_axes(r, root["axes"], s);
    for (const auto& set : s.sets)
        if (const SweepAxis* a = s.axis(set.key))
            r.fail(set.line, "set." + set.key,
                   "is also axis '" + a->name + "': a key is either fixed or varied");
    parse_zip(r, root["zip"], s);
    if (root["constraints"]) parse_constraints(r, root["constraints"], s);
    if (const YAML::Node n = root["sample"]) {
        r.only(n, "sample", {"count", "seed"});
        if (!n["count"]) r.fail(n, "sample", "missing 'count' (how many points to draw)");
        SweepSample smp;
        smp.line = line_of(n);
        smp.count = r.count(n["count"], "sample.count", 1);
        if (n["seed"]) smp.seed = r.count(n["seed"], "sample.seed", 0);
        s.sample = smp;
    }
    if (root["options"]) parse_options(r, root["options"], s);
    return s;
}

SweepSpec load_sweep_file(const std::string& path) {
    if (!fs::is_regular_file(path)) throw UserError(path + ": cannot open sweep file");
    YAML::Node root;
    try {
        root = YAML::LoadFile(path);
    } catch (const YAML::Exception& e) {
        throw UserError(path + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
    }
    return parse_sweep(root, path);
}

}  // namespace trainvp
