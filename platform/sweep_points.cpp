#include "sweep_points.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>

#include "common/error.h"
#include "common/state_io.h"
#include "config_schema.h"
#include "platform_config.h"
#include "train_run.h"
#include "training_config.h"

namespace fs = std::filesystem;

namespace trainvp {
namespace {

// Labels longer than this are cut and end in a hash.
constexpr size_t kMaxLabel = 64;
// Draws from a product too large to enumerate stop after this many per requested point.
constexpr uint64_t kDrawsPerPoint = 1000;

struct Product {
    const SweepSpec& spec;
    std::vector<uint64_t> sizes;  // per dimension
    uint64_t total = 1;

    explicit Product(const SweepSpec& s) : spec(s) {
        for (const auto& dim : s.dims) {
            const uint64_t n = s.axes[dim[0]].values.size();
            if (total > (uint64_t{1} << 62) / n)
                throw UserError(s.file + ": the axes make more than 2^62 points; narrow them");
            sizes.push_back(n);
            total *= n;
        }
    }
    // Mixed radix, the first dimension most significant: the file's first axis varies slowest.
    std::vector<size_t> choice(uint64_t index) const {
        std::vector<size_t> c(spec.axes.size(), 0);
        for (size_t d = sizes.size(); d-- > 0;) {
            const size_t v = static_cast<size_t>(index % sizes[d]);
            index /= sizes[d];
            for (size_t axis : spec.dims[d]) c[axis] = v;
        }
        return c;
    }
};

std::string describe(const SweepSpec& spec, const std::vector<size_t>& choice) {
    std::string s;
    for (size_t i = 0; i < spec.axes.size(); ++i)
        s += (s.empty() ? "" : ", ") + spec.axes[i].name + "=" + spec.axes[i].values[choice[i]];
    return s;
}

bool passes(const SweepSpec& spec, const std::vector<size_t>& choice) {
    auto lookup = [&](const std::string& name) {
        if (const SweepAxis* a = spec.axis(name))
            return SweepValue::parse(a->values[choice[static_cast<size_t>(a - spec.axes.data())]]);
        return SweepValue::parse(spec.setting(name)->value);
    };
    for (size_t i = 0; i < spec.constraints.size(); ++i) {
        const SweepConstraint& c = spec.constraints[i];
        try {
            if (!c.expr.holds(lookup)) return false;
        } catch (const std::invalid_argument& e) {
            throw UserError(spec.where(c.line) + ": key 'constraints[" + std::to_string(i) + "]': '" +
                            c.expr.text() + "': " + e.what() + " (at " + describe(spec, choice) + ")");
        }
    }
    return true;
}

bool path_exists(const fs::path& p) {
    std::error_code ec;
    return fs::exists(p, ec);
}

// A relative data path as trainvp resolves it (training_config.h resolve_data_path): the current directory
// first, then the scenario's directory. Absolute when found, unchanged otherwise.
std::string rebase_data_path(const std::string& path, const std::string& cwd, const std::string& base_dir) {
    const fs::path p(path);
    if (p.is_absolute()) return path;
    if (path_exists(fs::path(cwd) / p)) return (fs::path(cwd) / p).lexically_normal().string();
    if (path_exists(fs::path(base_dir) / p)) return (fs::path(base_dir) / p).lexically_normal().string();
    return path;
}

void rebase_paths(YAML::Node& root, const SweepSpec& spec, const std::string& cwd) {
    if (const YAML::Node fw = root["firmware"]; fw && fw.IsScalar()) {
        const fs::path p(fw.Scalar());
        // The build tree is trainvp's second place to look, and the sweep's points run the same trainvp.
        if (p.is_relative() && path_exists(fs::path(spec.base_dir) / p))
            root["firmware"] = (fs::path(spec.base_dir) / p).lexically_normal().string();
    }
    if (!is_training_scenario(root)) return;
    TrainingScenario sc;
    try {
        sc = parse_training_scenario(root, spec.base_file.empty() ? spec.file : spec.base_file);
    } catch (const UserError&) {
        return;  // check_point_scenario reports it
    }
    YAML::Node data = root["data"];
    if (!data || !data.IsMap()) {
        root["data"] = YAML::Node(YAML::NodeType::Map);
        data = root["data"];
    }
    // The directory as parsed (so the kind's default directory too), then any file named on its own.
    data["dir"] = rebase_data_path(sc.data.dir, cwd, spec.base_dir);
    for (const char* key : {"train_images", "train_labels", "test_images", "test_labels"})
        if (data[key] && data[key].IsScalar())
            data[key] = rebase_data_path(data[key].Scalar(), cwd, spec.base_dir);
    for (const char* key : {"train_files", "test_files"})
        if (data[key] && data[key].IsSequence())
            for (size_t i = 0; i < data[key].size(); ++i)
                if (data[key][i].IsScalar())
                    data[key][i] = rebase_data_path(data[key][i].Scalar(), cwd, spec.base_dir);
}

// The message of an error in a point's scenario, placed at the sweep-file line of the axis or set: entry
// whose key it names (the longest such key), else at the base.
[[noreturn]] void fail_point(const SweepSpec& spec, const SweepPoint& point, const std::string& reason) {
    int line = spec.base_line;
    size_t best = 0;
    bool from_axis = false;
    auto consider = [&](const std::string& key, int key_line, bool axis) {
        if (key.size() > best && (reason.find("'" + key + "'") != std::string::npos ||
                                  reason.find("'" + key + "=") != std::string::npos)) {
            best = key.size();
            line = key_line;
            from_axis = axis;
        }
    };
    for (const auto& s : spec.sets) consider(s.key, s.line, false);
    for (const auto& a : spec.axes) consider(a.key, a.line, true);
    throw UserError(spec.where(line) + ": point " + point.dir + ": " + reason +
                    (from_axis ? " (a constraint can drop such points)" : ""));
}

fs::path executable_dir() {
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : self.parent_path();
}

}  // namespace

uint64_t sweep_random_below(uint64_t& state, uint64_t n) {
    auto next = [&] {
        uint64_t z = (state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    };
    // Rejection keeps it uniform: draws in the last partial block of size n are thrown away.
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    for (;;) {
        const uint64_t r = next();
        if (r < limit) return r % n;
    }
}

std::string sweep_label(const std::vector<std::pair<std::string, std::string>>& name_values) {
    std::string label;
    for (const auto& [name, value] : name_values) label += (label.empty() ? "" : ",") + name + "=" + value;
    std::string safe;
    for (char c : label)
        safe += std::isalnum(static_cast<unsigned char>(c)) || std::strchr("._+-=,", c) ? c : '_';
    if (safe.size() > kMaxLabel) {
        char h[20];
        std::snprintf(h, sizeof h, "~%08llx",
                      static_cast<unsigned long long>(hash64(label.data(), label.size()) & 0xffffffffull));
        safe = safe.substr(0, kMaxLabel - 9) + h;
    }
    return safe;
}

SweepPlan plan_sweep(const SweepSpec& spec) {
    const Product product(spec);
    SweepPlan plan;
    plan.product = product.total;
    std::vector<uint64_t> chosen;
    if (product.total <= kSweepEnumerateLimit) {
        for (uint64_t i = 0; i < product.total; ++i)
            if (passes(spec, product.choice(i))) chosen.push_back(i);
        plan.dropped = product.total - chosen.size();
        if (spec.sample && spec.sample->count < chosen.size()) {
            // A partial Fisher-Yates shuffle: the first `count` are a uniform sample without replacement.
            uint64_t state = spec.sample->seed;
            for (uint64_t k = 0; k < spec.sample->count; ++k)
                std::swap(chosen[k], chosen[k + sweep_random_below(state, chosen.size() - k)]);
            chosen.resize(spec.sample->count);
            std::sort(chosen.begin(), chosen.end());
            plan.sampled = true;
        }
    } else {
        if (!spec.sample)
            throw UserError(spec.file + ": the axes make " + std::to_string(product.total) +
                            " points, more than " + std::to_string(kSweepEnumerateLimit) +
                            ": add 'sample: {count: N, seed: S}' to draw N of them, or narrow the axes");
        uint64_t state = spec.sample->seed;
        std::set<uint64_t> tried;
        const uint64_t budget = spec.sample->count * kDrawsPerPoint;
        while (chosen.size() < spec.sample->count && tried.size() < budget) {
            const uint64_t i = sweep_random_below(state, product.total);
            if (!tried.insert(i).second) continue;
            if (passes(spec, product.choice(i)))
                chosen.push_back(i);
            else
                ++plan.dropped;
        }
        if (chosen.size() < spec.sample->count)
            throw UserError(spec.where(spec.sample->line) + ": key 'sample.count': only " +
                            std::to_string(chosen.size()) + " of " + std::to_string(tried.size()) +
                            " points drawn satisfy the constraints; ask for fewer");
        std::sort(chosen.begin(), chosen.end());
        plan.sampled = true;
    }
    if (chosen.size() > kSweepMaxPoints)
        throw UserError(spec.file + ": " + std::to_string(chosen.size()) + " points, more than " +
                        std::to_string(kSweepMaxPoints) +
                        ": sample them (sample: {count, seed}) or narrow the axes");

    const int width =
        std::max(4, static_cast<int>(std::to_string(chosen.empty() ? 0 : chosen.size() - 1).size()));
    for (size_t n = 0; n < chosen.size(); ++n) {
        SweepPoint p;
        p.index = n;
        p.choice = product.choice(chosen[n]);
        std::vector<std::pair<std::string, std::string>> nv;
        for (size_t a = 0; a < spec.axes.size(); ++a)
            nv.push_back({spec.axes[a].name, spec.axes[a].values[p.choice[a]]});
        p.label = sweep_label(nv);
        std::string idx = std::to_string(n);
        idx.insert(0, static_cast<size_t>(width) > idx.size() ? static_cast<size_t>(width) - idx.size() : 0,
                   '0');
        p.dir = p.label.empty() ? idx : idx + "-" + p.label;
        for (const auto& s : spec.sets) p.overrides.push_back(s.key + "=" + s.value);
        for (size_t a = 0; a < spec.axes.size(); ++a)
            p.overrides.push_back(spec.axes[a].key + "=" + spec.axes[a].values[p.choice[a]]);
        plan.points.push_back(std::move(p));
    }
    return plan;
}

YAML::Node point_scenario(const SweepSpec& spec, const SweepPoint& point, const std::string& cwd) {
    YAML::Node root = YAML::Clone(spec.base);
    try {
        for (const auto& o : point.overrides) apply_override(root, o);
    } catch (const UserError& e) {
        fail_point(spec, point, e.what());
    }
    rebase_paths(root, spec, cwd);
    return root;
}

void check_point_scenario(const SweepSpec& spec, const SweepPoint& point, const YAML::Node& scenario) {
    const std::string file = spec.base_file.empty() ? spec.file : spec.base_file;
    try {
        PlatformConfig cfg;
        ConfigSchema schema;
        register_platform_keys(schema, cfg);
        schema.apply(scenario, file);
        const bool training = is_training_scenario(scenario);
        if (training) parse_training_scenario(scenario, file);
        if (spec.command != "run" && !training)
            throw UserError(file + ": 'trainvp " + spec.command +
                            "' needs a training scenario (a 'network' section)");
        if (spec.command == "golden") return;
        if (training && cfg.firmware.empty()) cfg.firmware = kTrainFirmware;
        cfg.validate();
        if (spec.command != "run" ||
            std::any_of(spec.options.begin(), spec.options.end(),
                        [](const std::string& o) { return o.rfind("--firmware", 0) == 0; }))
            return;
        if (cfg.firmware.empty()) throw UserError(file + ": no firmware: set the 'firmware' key");
        const fs::path fw(cfg.firmware);
        if (fw.is_absolute() ? !fs::is_regular_file(fw) : !fs::is_regular_file(executable_dir() / fw))
            throw UserError(file + ": firmware '" + cfg.firmware + "' not found (looked in " + spec.base_dir +
                            " and " + executable_dir().string() + ")");
    } catch (const UserError& e) {
        fail_point(spec, point, e.what());
    }
}

std::string point_scenario_yaml(const YAML::Node& scenario) {
    YAML::Emitter em;
    em << scenario;
    return std::string(em.c_str()) + "\n";
}

std::string point_scenario_text(const SweepSpec& spec, const SweepPoint& point, const std::string& yaml) {
    std::ostringstream os;
    os << "# Point " << point.dir << " of sweep " << fs::absolute(spec.file).lexically_normal().string()
       << "\n";
    os << "# base: " << (spec.base_file.empty() ? "inline in the sweep file" : spec.base_file) << "\n";
    for (const auto& o : point.overrides) os << "#   --set " << o << "\n";
    os << "# This file alone reproduces the point: trainvp " << spec.command << " scenario.yaml\n";
    os << yaml;
    return os.str();
}

}  // namespace trainvp
