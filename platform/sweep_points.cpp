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
#include "resolved_config.h"
#include "scenario_yaml.h"
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

YAML::Node point_scenario(const SweepSpec& spec, const SweepPoint& point) {
    YAML::Node root = YAML::Clone(spec.base);
    try {
        for (const auto& o : point.overrides) apply_override(root, o);
    } catch (const UserError& e) {
        fail_point(spec, point, e.what());
    }
    return root;
}

std::string resolve_point_scenario(const SweepSpec& spec, const SweepPoint& point,
                                   const YAML::Node& scenario) {
    const std::string file = spec.base_file.empty() ? spec.file : spec.base_file;
    try {
        PlatformConfig cfg;
        ConfigSchema schema;
        register_platform_keys(schema, cfg);
        schema.apply(scenario, file);
        const bool training = is_training_scenario(scenario);
        if (spec.command != "run" && !training)
            throw UserError(file + ": 'trainvp " + spec.command +
                            "' needs a training scenario (a 'network' section)");
        if (training && cfg.firmware.empty()) cfg.firmware = kTrainFirmware;
        check_platform_config(cfg, schema);
        const bool own_firmware =
            std::any_of(spec.options.begin(), spec.options.end(),
                        [](const std::string& o) { return o.rfind("--firmware", 0) == 0; });
        if (!cfg.firmware.empty()) {
            std::string looked_in;
            const std::string found = find_firmware(cfg.firmware, file, &looked_in);
            if (!found.empty())
                cfg.firmware = found;
            else if (spec.command == "run" && !own_firmware)
                throw UserError(file + ": firmware '" + cfg.firmware + "' not found (looked in " + looked_in +
                                ")");
        } else if (spec.command == "run" && !own_firmware) {
            throw UserError(file + ": no firmware: set the 'firmware' key");
        }
        std::unique_ptr<TrainingScenario> train;
        if (training) train = std::make_unique<TrainingScenario>(parse_training_scenario(scenario, file));
        std::ostringstream os;
        dump_resolved_config(os, schema, train.get());
        return os.str();
    } catch (const UserError& e) {
        fail_point(spec, point, e.what());
    }
}

std::string point_scenario_text(const SweepSpec& spec, const SweepPoint& point, const std::string& yaml) {
    std::ostringstream os;
    os << "# Point " << point.dir << " of sweep " << fs::absolute(spec.file).lexically_normal().string()
       << "\n";
    os << "# base: " << (spec.base_file.empty() ? "inline in the sweep file" : spec.base_file) << "\n";
    for (const auto& o : point.overrides) os << "#   --set " << o << "\n";
    os << "# Every key resolved as `trainvp run --dump-config` prints it: this file alone reproduces the "
          "point,\n"
          "# from any directory (trainvp "
       << spec.command << " scenario.yaml).\n";
    os << yaml;
    return os.str();
}

}  // namespace trainvp
