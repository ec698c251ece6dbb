#include "config_schema.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "common/error.h"

namespace trainvp {
namespace {

[[noreturn]] void fail(const std::string& where, const std::string& key, const std::string& reason) {
    throw UserError(where + ": key '" + key + "': " + reason);
}

std::string scalar_text(const YAML::Node& node, const std::string& where, const std::string& key) {
    if (!node.IsScalar())
        fail(where, key,
             "expected a single value, found a " + std::string(node.IsMap()        ? "map"
                                                               : node.IsSequence() ? "list"
                                                                                   : "null"));
    return node.Scalar();
}

// Integer with optional binary size suffix. Returns false on any junk.
bool parse_uint(const std::string& text, bool bytes, uint64_t& out) {
    if (text.empty() || text[0] == '-' || text[0] == '+') return false;
    errno = 0;
    char* end = nullptr;
    unsigned long long v = std::strtoull(text.c_str(), &end, 0);
    if (errno != 0 || end == text.c_str()) return false;
    std::string suffix(end);
    suffix.erase(std::remove(suffix.begin(), suffix.end(), ' '), suffix.end());
    uint64_t mult = 1;
    if (!suffix.empty()) {
        if (!bytes) return false;
        static const std::pair<const char*, uint64_t> units[] = {
            {"K", 1ull << 10}, {"KiB", 1ull << 10}, {"M", 1ull << 20}, {"MiB", 1ull << 20},
            {"G", 1ull << 30}, {"GiB", 1ull << 30}, {"B", 1}};
        bool found = false;
        for (const auto& [name, m] : units) {
            if (suffix == name) {
                mult = m;
                found = true;
            }
        }
        if (!found) return false;
    }
    if (v != 0 && mult > UINT64_MAX / v) return false;
    out = v * mult;
    return true;
}

std::string show_bytes(uint64_t v) {
    if (v != 0 && v % (1ull << 30) == 0) return std::to_string(v >> 30) + "GiB";
    if (v != 0 && v % (1ull << 20) == 0) return std::to_string(v >> 20) + "MiB";
    if (v != 0 && v % (1ull << 10) == 0) return std::to_string(v >> 10) + "KiB";
    return std::to_string(v);
}

std::string show_double(double v) {
    std::ostringstream os;
    os << std::setprecision(17) << v;
    std::string s = os.str();
    // Shortest text that reads back to the same double.
    for (int p = 1; p <= 17; ++p) {
        std::ostringstream t;
        t << std::setprecision(p) << v;
        if (std::strtod(t.str().c_str(), nullptr) == v) return t.str();
    }
    return s;
}

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

}  // namespace

std::string node_location(const YAML::Node& node, const std::string& file) {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) return "--set";
    return file + ":" + std::to_string(mark.line + 1);
}

void ConfigSchema::add(const std::string& key, uint64_t* field, const std::string& help, uint64_t min,
                       uint64_t max, bool bytes) {
    Entry e{key, help, nullptr, nullptr};
    e.read = [=](const YAML::Node& n, const std::string& where) {
        uint64_t v = 0;
        const std::string text = scalar_text(n, where, key);
        if (!parse_uint(text, bytes, v))
            fail(where, key,
                 "'" + text + "' is not " + (bytes ? "a size in bytes" : "a non-negative integer"));
        if (v < min || v > max)
            fail(where, key,
                 text + " is out of range [" + (bytes ? show_bytes(min) : std::to_string(min)) + ", " +
                     (bytes ? show_bytes(max) : std::to_string(max)) + "]");
        *field = v;
    };
    e.show = [=] { return bytes ? show_bytes(*field) : std::to_string(*field); };
    entries_.push_back(std::move(e));
}

void ConfigSchema::add(const std::string& key, uint32_t* field, const std::string& help, uint32_t min,
                       uint32_t max) {
    Entry e{key, help, nullptr, nullptr};
    e.read = [=](const YAML::Node& n, const std::string& where) {
        uint64_t v = 0;
        const std::string text = scalar_text(n, where, key);
        if (!parse_uint(text, false, v)) fail(where, key, "'" + text + "' is not a non-negative integer");
        if (v < min || v > max)
            fail(where, key,
                 text + " is out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]");
        *field = static_cast<uint32_t>(v);
    };
    e.show = [=] { return std::to_string(*field); };
    entries_.push_back(std::move(e));
}

void ConfigSchema::add(const std::string& key, double* field, const std::string& help, double min,
                       double max) {
    Entry e{key, help, nullptr, nullptr};
    e.read = [=](const YAML::Node& n, const std::string& where) {
        const std::string text = scalar_text(n, where, key);
        char* end = nullptr;
        errno = 0;
        double v = std::strtod(text.c_str(), &end);
        if (text.empty() || errno != 0 || *end != '\0' || !std::isfinite(v))
            fail(where, key, "'" + text + "' is not a number");
        if (v < min || v > max)
            fail(where, key, text + " is out of range [" + show_double(min) + ", " + show_double(max) + "]");
        *field = v;
    };
    e.show = [=] { return show_double(*field); };
    entries_.push_back(std::move(e));
}

void ConfigSchema::add(const std::string& key, bool* field, const std::string& help) {
    Entry e{key, help, nullptr, nullptr};
    e.read = [=](const YAML::Node& n, const std::string& where) {
        const std::string text = scalar_text(n, where, key);
        if (text == "true" || text == "on" || text == "yes")
            *field = true;
        else if (text == "false" || text == "off" || text == "no")
            *field = false;
        else
            fail(where, key, "'" + text + "' is not a boolean (true or false)");
    };
    e.show = [=] { return *field ? std::string("true") : std::string("false"); };
    entries_.push_back(std::move(e));
}

void ConfigSchema::add(const std::string& key, std::string* field, const std::string& help,
                       std::vector<std::string> choices) {
    Entry e{key, help, nullptr, nullptr};
    e.read = [=](const YAML::Node& n, const std::string& where) {
        const std::string text = scalar_text(n, where, key);
        if (!choices.empty() && std::find(choices.begin(), choices.end(), text) == choices.end()) {
            std::string list;
            for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
            fail(where, key, "'" + text + "' is not one of: " + list);
        }
        *field = text;
    };
    e.show = [=] {
        YAML::Emitter em;
        em << *field;
        return std::string(em.c_str());
    };
    entries_.push_back(std::move(e));
}

void ConfigSchema::add(const std::string& key, const std::string& help,
                       std::function<void(const std::string&)> read, std::function<std::string()> show) {
    Entry e{key, help, nullptr, std::move(show)};
    e.read = [key, read = std::move(read)](const YAML::Node& n, const std::string& where) {
        const std::string text = scalar_text(n, where, key);
        try {
            read(text);
        } catch (const std::invalid_argument& err) {
            fail(where, key, "'" + text + "': " + err.what());
        }
    };
    entries_.push_back(std::move(e));
}

void ConfigSchema::add_foreign(const std::string& prefix) {
    foreign_.push_back(prefix);
}

const ConfigSchema::Entry* ConfigSchema::find(const std::string& key) const {
    for (const auto& e : entries_)
        if (e.key == key) return &e;
    return nullptr;
}

bool ConfigSchema::is_foreign(const std::string& key) const {
    for (const auto& f : foreign_)
        if (key == f || key.rfind(f + ".", 0) == 0) return true;
    return false;
}

void ConfigSchema::walk(const YAML::Node& node, const std::string& prefix, const std::string& file) {
    for (const auto& kv : node) {
        const std::string name = kv.first.Scalar();
        const std::string key = prefix.empty() ? name : prefix + "." + name;
        const std::string where = node_location(kv.first, file);
        if (is_foreign(key)) continue;
        if (const Entry* e = find(key)) {
            e->read(kv.second, node_location(kv.second, file) == "--set" ? "--set" : where);
            continue;
        }
        const bool is_section = std::any_of(entries_.begin(), entries_.end(),
                                            [&](const Entry& e) { return e.key.rfind(key + ".", 0) == 0; });
        if (is_section) {
            if (!kv.second.IsMap()) fail(where, key, "expected a map of settings");
            walk(kv.second, key, file);
            continue;
        }
        std::string best;
        size_t best_d = 4;
        for (const auto& e : entries_) {
            const size_t d = edit_distance(key, e.key);
            if (d < best_d) {
                best_d = d;
                best = e.key;
            }
        }
        fail(where, key, "unknown key" + (best.empty() ? std::string() : " (did you mean '" + best + "'?)"));
    }
}

void ConfigSchema::apply(const YAML::Node& root, const std::string& file) {
    if (!root || root.IsNull()) return;
    if (!root.IsMap()) throw UserError(file + ": the scenario must be a YAML map of settings");
    walk(root, "", file);
}

void ConfigSchema::dump(std::ostream& os) const {
    std::vector<std::string> open;  // the section path currently printed
    for (const auto& e : entries_) {
        std::vector<std::string> parts;
        std::stringstream ss(e.key);
        for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
        size_t common = 0;
        while (common < open.size() && common + 1 < parts.size() && open[common] == parts[common]) ++common;
        open.resize(common);
        for (size_t i = common; i + 1 < parts.size(); ++i) {
            os << std::string(2 * i, ' ') << parts[i] << ":\n";
            open.push_back(parts[i]);
        }
        os << std::string(2 * (parts.size() - 1), ' ') << parts.back() << ": " << e.show() << "  # " << e.help
           << "\n";
    }
}

std::vector<std::string> ConfigSchema::keys() const {
    std::vector<std::string> out;
    for (const auto& e : entries_) out.push_back(e.key);
    return out;
}

YAML::Node load_yaml_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw UserError(path + ": cannot open scenario file");
    try {
        YAML::Node root = YAML::Load(in);
        return root;
    } catch (const YAML::Exception& e) {
        throw UserError(path + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
    }
}

void apply_override(YAML::Node& root, const std::string& assignment) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0)
        throw UserError("--set '" + assignment + "': expected key=value (for example cpu.clock_hz=200e6)");
    const std::string key = assignment.substr(0, eq);
    const std::string text = assignment.substr(eq + 1);
    YAML::Node value;
    if (!text.empty() && (text.front() == '[' || text.front() == '{')) {
        try {
            value = YAML::Load(text);
        } catch (const YAML::Exception& e) {
            throw UserError("--set '" + assignment + "': invalid value: " + e.msg);
        }
    } else {
        value = YAML::Node(text);  // a scalar with no mark, so errors point at --set
    }
    std::vector<std::string> parts;
    std::stringstream ss(key);
    for (std::string p; std::getline(ss, p, '.');) {
        if (p.empty()) throw UserError("--set '" + assignment + "': empty segment in key '" + key + "'");
        parts.push_back(p);
    }
    if (!root || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
    // yaml-cpp nodes are handles: walking with operator[] on copies edits the shared tree.
    std::vector<YAML::Node> path{root};
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
        YAML::Node cur = path.back();
        const std::string& p = parts[i];
        const bool index = !p.empty() && std::all_of(p.begin(), p.end(), ::isdigit);
        if (index && cur.IsSequence()) {
            const size_t at = std::stoul(p);
            if (at >= cur.size())
                throw UserError("--set '" + assignment + "': index " + p + " is past the end of the list");
            path.push_back(cur[at]);
        } else {
            if (cur.IsScalar())
                throw UserError("--set '" + assignment + "': '" + parts[i - 1] +
                                "' is a value, not a section");
            YAML::Node next = cur[p];
            if (!next.IsDefined() || next.IsNull()) {
                cur[p] = YAML::Node(YAML::NodeType::Map);
                next = cur[p];
            }
            path.push_back(next);
        }
    }
    YAML::Node parent = path.back();
    const std::string& last = parts.back();
    const bool index = std::all_of(last.begin(), last.end(), ::isdigit);
    if (index && parent.IsSequence()) {
        const size_t at = std::stoul(last);
        if (at >= parent.size())
            throw UserError("--set '" + assignment + "': index " + last + " is past the end of the list");
        parent[at] = value;
    } else {
        if (parent.IsScalar())
            throw UserError("--set '" + assignment + "': parent of '" + last + "' is a value");
        parent[last] = value;
    }
}

double parse_duration_s(const std::string& text, const std::string& what) {
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end == text.c_str() || errno != 0 || !std::isfinite(v) || v < 0)
        throw UserError(what + ": '" + text + "' is not a duration (e.g. 10ms, 2s, 500us)");
    std::string unit(end);
    unit.erase(std::remove(unit.begin(), unit.end(), ' '), unit.end());
    static const std::pair<const char*, double> units[] = {{"s", 1.0},   {"ms", 1e-3},  {"us", 1e-6},
                                                           {"ns", 1e-9}, {"ps", 1e-12}, {"min", 60.0}};
    for (const auto& [name, scale] : units)
        if (unit == name) return v * scale;
    throw UserError(what + ": '" + text + "' needs a unit: s, ms, us, ns, ps or min");
}

}  // namespace trainvp
