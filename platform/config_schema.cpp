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

enum class UintParse { ok, junk, too_big };

// Integer with optional binary size suffix.
UintParse parse_uint(const std::string& text, bool bytes, uint64_t& out) {
    if (text.empty() || text[0] == '-' || text[0] == '+') return UintParse::junk;
    errno = 0;
    char* end = nullptr;
    const unsigned long long v = std::strtoull(text.c_str(), &end, 0);
    if (end == text.c_str()) return UintParse::junk;
    const bool too_big = errno == ERANGE;
    std::string suffix(end);
    suffix.erase(std::remove(suffix.begin(), suffix.end(), ' '), suffix.end());
    uint64_t mult = 1;
    if (!suffix.empty()) {
        if (!bytes) return UintParse::junk;
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
        if (!found) return UintParse::junk;
    }
    if (too_big || (v != 0 && mult > UINT64_MAX / v)) return UintParse::too_big;
    out = v * mult;
    return UintParse::ok;
}

template <typename T>
void read_uint(const YAML::Node& n, const std::string& where, const std::string& key, T* field,
               ValueRange<T> range, bool bytes) {
    uint64_t v = 0;
    const std::string text = scalar_text(n, where, key);
    const UintParse r = parse_uint(text, bytes, v);
    const std::string shown_range = "[" + (bytes ? size_text(range.min) : std::to_string(range.min)) + ", " +
                                    (bytes ? size_text(range.max) : std::to_string(range.max)) + "]";
    if (r == UintParse::junk)
        fail(where, key, "'" + text + "' is not " + (bytes ? "a size in bytes" : "a non-negative integer"));
    if (r == UintParse::too_big || v < range.min || v > range.max)
        fail(where, key, text + " is out of range " + shown_range);
    *field = static_cast<T>(v);
}

}  // namespace

std::string size_text(uint64_t v) {
    if (v != 0 && v % (1ull << 30) == 0) return std::to_string(v >> 30) + "GiB";
    if (v != 0 && v % (1ull << 20) == 0) return std::to_string(v >> 20) + "MiB";
    if (v != 0 && v % (1ull << 10) == 0) return std::to_string(v >> 10) + "KiB";
    return std::to_string(v);
}

ConfigSchema::Entry& ConfigSchema::add_entry(Entry e) {
    entries_.push_back(std::move(e));
    return entries_.back();
}

void ConfigSchema::add(const std::string& key, uint64_t* field, const std::string& help,
                       ValueRange<uint64_t> range, bool bytes) {
    Entry e;
    e.key = key;
    e.help = help;
    e.field = field;
    e.read = [=](const YAML::Node& n, const std::string& where) {
        read_uint(n, where, key, field, range, bytes);
    };
    e.show = [=] { return bytes ? size_text(*field) : std::to_string(*field); };
    e.json = [=] { return nlohmann::json(*field); };
    e.min = std::to_string(range.min);
    e.max = std::to_string(range.max);
    e.below_min = range.min > 0 ? std::to_string(range.min - 1) : "";
    e.above_max = range.max < UINT64_MAX ? std::to_string(range.max + 1) : "";
    if (bytes) e.range_text = "[" + size_text(range.min) + ", " + size_text(range.max) + "]";
    add_entry(std::move(e));
}

void ConfigSchema::add(const std::string& key, uint32_t* field, const std::string& help,
                       ValueRange<uint32_t> range) {
    Entry e;
    e.key = key;
    e.help = help;
    e.field = field;
    e.read = [=](const YAML::Node& n, const std::string& where) {
        read_uint(n, where, key, field, range, false);
    };
    e.show = [=] { return std::to_string(*field); };
    e.json = [=] { return nlohmann::json(*field); };
    e.min = std::to_string(range.min);
    e.max = std::to_string(range.max);
    e.below_min = range.min > 0 ? std::to_string(range.min - 1) : "";
    e.above_max = std::to_string(uint64_t{range.max} + 1);  // may exceed 32 bits: still out of range
    add_entry(std::move(e));
}

void ConfigSchema::add(const std::string& key, double* field, const std::string& help,
                       ValueRange<double> range) {
    Entry e;
    e.key = key;
    e.help = help;
    e.field = field;
    e.read = [=](const YAML::Node& n, const std::string& where) {
        const std::string text = scalar_text(n, where, key);
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || std::isnan(v)) fail(where, key, "'" + text + "' is not a number");
        if (!range.contains(v))  // an overflow (inf) lands here too
            fail(where, key,
                 text + " is out of range [" + value_text(range.min) + ", " + value_text(range.max) + "]");
        *field = v;
    };
    e.show = [=] { return value_text(*field); };
    e.json = [=] { return nlohmann::json(*field); };
    e.min = value_text(range.min);
    e.max = value_text(range.max);
    e.below_min = value_text(std::nextafter(range.min, -HUGE_VAL));
    e.above_max = value_text(std::nextafter(range.max, HUGE_VAL));
    add_entry(std::move(e));
}

void ConfigSchema::add(const std::string& key, bool* field, const std::string& help) {
    Entry e;
    e.key = key;
    e.help = help;
    e.field = field;
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
    e.json = [=] { return nlohmann::json(*field); };
    add_entry(std::move(e));
}

void ConfigSchema::add(const std::string& key, std::string* field, const std::string& help,
                       std::vector<std::string> choices) {
    Entry e;
    e.key = key;
    e.help = help;
    e.field = field;
    e.read = [=](const YAML::Node& n, const std::string& where) {
        const std::string text = scalar_text(n, where, key);
        if (!choices.empty() && std::find(choices.begin(), choices.end(), text) == choices.end()) {
            std::string list;
            for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
            fail(where, key, "'" + text + "' is not one of: " + list);
        }
        *field = text;
    };
    e.show = [=] { return *field; };
    e.json = [=] { return nlohmann::json(*field); };
    e.text = true;
    add_entry(std::move(e));
}

void ConfigSchema::add(const std::string& key, const std::string& help,
                       std::function<void(const std::string&)> read, std::function<std::string()> show,
                       const void* field) {
    Entry e;
    e.key = key;
    e.help = help;
    e.field = field;
    e.read = [key, read = std::move(read)](const YAML::Node& n, const std::string& where) {
        const std::string text = scalar_text(n, where, key);
        try {
            read(text);
        } catch (const std::invalid_argument& err) {
            fail(where, key, "'" + text + "': " + err.what());
        }
    };
    e.json = [show] { return nlohmann::json(show()); };
    e.show = std::move(show);
    e.text = true;
    add_entry(std::move(e));
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

bool ConfigSchema::is_section(const std::string& key) const {
    return std::any_of(entries_.begin(), entries_.end(),
                       [&](const Entry& e) { return e.key.rfind(key + ".", 0) == 0; });
}

// The known key or section closest to a mistyped `key`: full keys, every section above them, and the
// foreign sections.
std::string ConfigSchema::suggestion(const std::string& key) const {
    std::vector<std::string> known(foreign_.begin(), foreign_.end());
    for (const auto& e : entries_) {
        known.push_back(e.key);
        for (size_t dot = e.key.find('.'); dot != std::string::npos; dot = e.key.find('.', dot + 1))
            known.push_back(e.key.substr(0, dot));
    }
    return closest_match(key, known);
}

void ConfigSchema::walk(const YAML::Node& node, const std::string& prefix, const std::string& file) {
    for (const auto& kv : node) {
        const std::string name = kv.first.Scalar();
        const std::string key = prefix.empty() ? name : prefix + "." + name;
        const std::string where = node_location(kv.first, file);
        if (is_foreign(key)) continue;
        if (const Entry* found = find(key)) {
            Entry& e = entries_[static_cast<size_t>(found - entries_.data())];
            const std::string at = node_location(kv.second, file) == "--set" ? "--set" : where;
            e.read(kv.second, at);
            e.origin = at;
            continue;
        }
        if (is_section(key)) {
            if (!kv.second.IsMap()) fail(where, key, "expected a map of settings");
            walk(kv.second, key, file);
            continue;
        }
        const std::string best = suggestion(key);
        fail(where, key, "unknown key" + (best.empty() ? std::string() : " (did you mean '" + best + "'?)"));
    }
}

void ConfigSchema::apply(const YAML::Node& root, const std::string& file) {
    file_ = file;
    if (!root || root.IsNull()) return;
    if (!root.IsMap()) throw UserError(file + ": the scenario must be a YAML map of settings");
    walk(root, "", file);
}

void ConfigSchema::set_origin(const std::string& key, const std::string& origin) {
    for (auto& e : entries_)
        if (e.key == key) e.origin = origin;
}

std::string ConfigSchema::location(const std::string& key) const {
    const Entry* e = find(key);
    if (!e) throw std::out_of_range("ConfigSchema::location: unknown key '" + key + "'");
    return e->origin.empty() ? file_ : e->origin;
}

bool ConfigSchema::was_set(const std::string& key) const {
    const Entry* e = find(key);
    return e && !e->origin.empty();
}

std::string ConfigSchema::key_of(const void* field) const {
    for (const auto& e : entries_)
        if (e.field && e.field == field) return e.key;
    return "";
}

void ConfigSchema::check(const std::function<void()>& validate) const {
    try {
        validate();
    } catch (const FieldError& err) {
        // Blame the involved field set last: a --set or option over a line of the file over a default (the
        // most recent change is the likeliest mistake); the first of equals.
        auto rank = [](const Entry& e) {
            return e.origin.empty() ? 0 : e.origin.rfind("--", 0) == 0 ? 2 : 1;
        };
        const Entry* blamed = nullptr;
        for (const void* f : err.fields)
            for (const auto& e : entries_)
                if (e.field == f && (!blamed || rank(e) > rank(*blamed))) blamed = &e;
        if (!blamed) throw UserError(file_ + ": configuration: " + err.what());
        const std::string where = blamed->origin.empty() ? file_ : blamed->origin;
        const std::string value = blamed->origin.empty() ? " (default " + blamed->show() + ")" : "";
        throw UserError(where + ": key '" + blamed->key + "'" + value + ": " + err.reason);
    } catch (const std::invalid_argument& err) {
        throw UserError(file_ + ": configuration: " + err.what());
    }
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
        const std::string range = !e.range_text.empty() ? e.range_text
                                  : e.min.empty()       ? ""
                                                        : "[" + e.min + ", " + e.max + "]";
        std::string value = e.show();
        if (e.text) {  // quoted where YAML needs it (an empty text, "a: b", ...)
            YAML::Emitter em;
            em << value;
            value = em.c_str();
        }
        os << std::string(2 * (parts.size() - 1), ' ') << parts.back() << ": " << value << "  # " << e.help
           << (range.empty() ? "" : " " + range) << "\n";
    }
}

nlohmann::json ConfigSchema::to_json() const {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& e : entries_) {
        std::vector<std::string> parts;
        std::stringstream ss(e.key);
        for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
        nlohmann::json* at = &out;
        for (size_t i = 0; i + 1 < parts.size(); ++i) at = &(*at)[parts[i]];
        (*at)[parts.back()] = e.json();
    }
    return out;
}

std::vector<std::string> ConfigSchema::keys() const {
    std::vector<std::string> out;
    for (const auto& e : entries_) out.push_back(e.key);
    return out;
}

std::vector<ConfigSchema::KeyRange> ConfigSchema::ranges() const {
    std::vector<KeyRange> out;
    for (const auto& e : entries_)
        if (!e.min.empty()) out.push_back({e.key, e.min, e.max, e.below_min, e.above_max});
    return out;
}

}  // namespace trainvp
