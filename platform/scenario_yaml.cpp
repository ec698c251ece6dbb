#include "scenario_yaml.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "common/error.h"

namespace trainvp {
namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

const char* kind_of(const YAML::Node& n) {
    return n.IsMap() ? "map" : n.IsSequence() ? "list" : n.IsScalar() ? "single value" : "nothing";
}

std::string join(const std::string& prefix, const std::string& name) {
    return prefix.empty() ? name : prefix + "." + name;
}

// Every map of the tree has each key once: yaml-cpp keeps both entries of a repeated key and lookups see only
// the first, so a second value would be silently ignored.
void check_unique_keys(const YAML::Node& node, const std::string& path, const std::string& file) {
    if (node.IsMap()) {
        std::map<std::string, YAML::Mark> seen;
        for (const auto& kv : node) {
            if (kv.first.IsScalar()) {
                const std::string name = kv.first.Scalar();
                const auto [it, fresh] = seen.emplace(name, kv.first.Mark());
                if (!fresh) {
                    const std::string first =
                        it->second.is_null() ? "--set" : "line " + std::to_string(it->second.line + 1);
                    throw UserError(node_location(kv.first, file) + ": key '" + join(path, name) +
                                    "': given twice (first at " + first + "); each key may appear once");
                }
                check_unique_keys(kv.second, join(path, name), file);
            }
        }
    } else if (node.IsSequence()) {
        for (size_t i = 0; i < node.size(); ++i)
            check_unique_keys(node[i], join(path, std::to_string(i)), file);
    }
}

// A copy of a value parsed from --set text without its marks (which point into that text, not the file), so
// that every error about it says --set. `twice` gets the first key that a map of it repeats.
YAML::Node unmarked_copy(const YAML::Node& node, const std::string& path, std::string& twice) {
    if (node.IsScalar()) return YAML::Node(node.Scalar());
    if (node.IsSequence()) {
        YAML::Node out(YAML::NodeType::Sequence);
        for (size_t i = 0; i < node.size(); ++i)
            out.push_back(unmarked_copy(node[i], join(path, std::to_string(i)), twice));
        return out;
    }
    if (node.IsMap()) {
        YAML::Node out(YAML::NodeType::Map);
        for (const auto& kv : node) {
            const std::string name = kv.first.Scalar();
            if (out[name] && twice.empty()) twice = join(path, name);
            out[name] = unmarked_copy(kv.second, join(path, name), twice);
        }
        return out;
    }
    return YAML::Node(YAML::NodeType::Null);
}

}  // namespace

std::string node_location(const YAML::Node& node, const std::string& file) {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) return "--set";
    return file + ":" + std::to_string(mark.line + 1);
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
    std::string best;
    size_t best_d = std::max<size_t>(2, word.size() / 3) + 1;  // a few typos, not a different word
    for (const auto& c : candidates) {
        const size_t d = edit_distance(word, c);
        if (d < best_d && c != word) {
            best_d = d;
            best = c;
        }
    }
    return best;
}

YAML::Node load_yaml_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw UserError(path + ": cannot open scenario file");
    YAML::Node root;
    try {
        root = YAML::Load(in);
    } catch (const YAML::Exception& e) {
        throw UserError(path + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
    }
    if (!root || root.IsNull())
        throw UserError(path +
                        ": the scenario is empty: it has no settings (see docs/getting-started.md "
                        "\"Scenarios\")");
    if (!root.IsMap())
        throw UserError(node_location(root, path) +
                        ": the scenario must be a map of settings (key: value), not a " + kind_of(root));
    check_unique_keys(root, "", path);
    return root;
}

void apply_override(YAML::Node& root, const std::string& assignment) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0)
        throw UserError("--set '" + assignment + "': expected key=value (for example cpu.clock_hz=200e6)");
    const std::string key = assignment.substr(0, eq);
    const std::string text = assignment.substr(eq + 1);
    auto fail = [&](const std::string& why) { throw UserError("--set: key '" + key + "': " + why); };

    YAML::Node value;
    if (!text.empty() && (text.front() == '[' || text.front() == '{')) {
        try {
            value = YAML::Load(text);
        } catch (const YAML::Exception& e) {
            fail("invalid value '" + text + "': " + e.msg);
        }
        std::string twice;
        value = unmarked_copy(value, key, twice);
        if (!twice.empty()) fail("invalid value '" + text + "': key '" + twice + "' is given twice");
    } else {
        value = YAML::Node(text);  // a scalar with no mark, so errors point at --set
    }
    std::vector<std::string> parts;
    std::stringstream ss(key);
    for (std::string p; std::getline(ss, p, '.');) {
        if (p.empty()) fail("empty segment in the key");
        parts.push_back(p);
    }
    if (key.back() == '.') fail("empty segment in the key");
    auto is_number = [](const std::string& p) {
        const size_t digits = p[0] == '-' || p[0] == '+' ? 1 : 0;
        return p.size() > digits && std::all_of(p.begin() + digits, p.end(), ::isdigit);
    };

    if (!root || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
    // yaml-cpp nodes are handles into the shared tree; reset() moves `cur` (operator= would assign content).
    YAML::Node cur = root;
    std::string at;  // the dotted path of `cur`
    for (size_t i = 0; i < parts.size(); ++i) {
        const std::string& p = parts[i];
        const bool last = i + 1 == parts.size();
        if (cur.IsSequence()) {
            const size_t n = cur.size();
            const std::string elements = n == 0 ? "the list is empty"
                                                : std::to_string(n) + (n == 1 ? " element" : " elements") +
                                                      ", indices 0.." + std::to_string(n - 1);
            if (!std::all_of(p.begin(), p.end(), ::isdigit))
                fail("'" + p + "' is not an index of the list '" + at + "' (" + elements + ")");
            if (p.size() > 18 || std::stoull(p) >= n)
                fail("index " + p + " is past the end of the list '" + at + "' (" + elements +
                     "); a list cannot grow by --set: give the whole list, e.g. --set '" + at + "=[...]'");
            const size_t index = std::stoull(p);
            if (last)
                cur[index] = value;
            else
                cur.reset(cur[index]);
        } else if (cur.IsMap()) {
            if (last) {
                cur[p] = value;
                break;
            }
            YAML::Node next = cur[p];
            if (!next.IsDefined() || next.IsNull()) {
                const std::string& following = parts[i + 1];
                if (is_number(following)) {
                    std::string why = "'" + join(at, p) +
                                      "' is not a list in the scenario, so it has no element " + following;
                    if (cur["preset"] && cur["preset"].IsScalar())
                        why += ": the scenario uses " + join(at, "preset") + " " + cur["preset"].Scalar() +
                               ", whose " + p +
                               " are not written in the file. To change one, write them out with "
                               "`trainvp run SCENARIO --dump-config > full.yaml` and use full.yaml";
                    fail(why);
                }
                cur[p] = YAML::Node(YAML::NodeType::Map);
                next = cur[p];
            }
            cur.reset(next);
        } else {
            fail("'" + at + "' is a single value, not a section");
        }
        at = join(at, p);
    }
}

bool parse_duration(const std::string& text, double& seconds, std::string& why) {
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end == text.c_str() || errno != 0 || !std::isfinite(v) || v < 0) {
        why = "not a duration (e.g. 10ms, 2s, 500us)";
        return false;
    }
    std::string unit(end);
    unit.erase(std::remove(unit.begin(), unit.end(), ' '), unit.end());
    static const std::pair<const char*, double> units[] = {{"s", 1.0},   {"ms", 1e-3},  {"us", 1e-6},
                                                           {"ns", 1e-9}, {"ps", 1e-12}, {"min", 60.0}};
    for (const auto& [name, scale] : units) {
        if (unit == name) {
            seconds = v * scale;
            return true;
        }
    }
    why = "needs a unit: s, ms, us, ns, ps or min";
    return false;
}

double parse_duration_s(const std::string& text, const std::string& what) {
    double seconds = 0;
    std::string why;
    if (!parse_duration(text, seconds, why)) throw UserError(what + ": '" + text + "' " + why);
    return seconds;
}

}  // namespace trainvp
