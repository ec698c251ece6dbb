#include "sweep_layout.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/state_io.h"
#include "kernels/weights_io.h"
#include "sweep_process.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace trainvp {
namespace {

constexpr size_t kMaxErrorLine = 300;

std::string hex64(uint64_t v) {
    char b[20];
    std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
    return b;
}

json read_json(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw UserError(path + ": cannot open");
    try {
        return json::parse(in);
    } catch (const json::exception& e) {
        throw UserError(path + ": not valid JSON (" + e.what() + ")");
    }
}

void remove_if_present(const std::string& path) {
    std::error_code ec;
    fs::remove(path, ec);
}

std::string hostname() {
    char b[256] = {};
    if (::gethostname(b, sizeof b - 1) != 0) return "";
    return b;
}

}  // namespace

void write_text_atomic(const std::string& path, const std::string& text) {
    kern::write_file_atomic(path, text.data(), text.size());
}

std::vector<std::string> point_args(const std::string& command, const std::vector<std::string>& options) {
    std::vector<std::string> args = {command, "scenario.yaml"};
    if (command == "golden")
        args.insert(args.end(), {"--out", "report.json", "--no-progress"});
    else
        args.insert(args.end(), {"--report", "report.json"});
    args.insert(args.end(), options.begin(), options.end());
    return args;
}

PointEntry make_point_entry(const SweepSpec& spec, const SweepPoint& point,
                            const std::string& scenario_yaml) {
    PointEntry e;
    e.index = point.index;
    e.dir = point.dir;
    for (size_t a = 0; a < spec.axes.size(); ++a)
        e.axes.push_back({spec.axes[a].key, spec.axes[a].values[point.choice[a]]});
    e.args = point_args(spec.command, spec.options);
    Hash64 h;
    h.update(scenario_yaml.data(), scenario_yaml.size());
    for (const auto& a : e.args) h.update(a.c_str(), a.size() + 1);
    e.fingerprint = hex64(h.digest());
    return e;
}

std::string failure_line(const std::string& log_path) {
    std::ifstream in(log_path);
    std::string line, error, tool, last;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        // A progress bar redraws with carriage returns: what counts is after the last one.
        if (const size_t cr = line.rfind('\r'); cr != std::string::npos) line = line.substr(cr + 1);
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        last = line;
        if (line.rfind("trainvp: error:", 0) == 0)
            error = line;
        else if (line.rfind("trainvp:", 0) == 0)
            tool = line;
    }
    std::string out = !error.empty() ? error : !tool.empty() ? tool : last;
    if (out.size() > kMaxErrorLine) out = out.substr(0, kMaxErrorLine - 3) + "...";
    return out;
}

SweepDir::SweepDir(std::string root) : root_(fs::absolute(root).lexically_normal().string()) {
    while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

bool SweepDir::has_manifest() const {
    return fs::is_regular_file(manifest());
}

SweepManifest SweepDir::read_manifest() const {
    const json j = read_json(manifest());
    SweepManifest m;
    try {
        m.sweep_file = j.at("sweep_file").get<std::string>();
        m.name = j.at("name").get<std::string>();
        m.command = j.at("command").get<std::string>();
        for (const auto& a : j.at("axes"))
            m.axes.push_back({a.at("key").get<std::string>(), a.at("name").get<std::string>()});
        m.product = j.at("product").get<uint64_t>();
        m.dropped = j.at("dropped").get<uint64_t>();
        m.sampled = j.at("sampled").get<bool>();
        for (const auto& p : j.at("points")) {
            PointEntry e;
            e.index = p.at("index").get<size_t>();
            e.dir = p.at("dir").get<std::string>();
            for (const auto& [k, v] : m.axes) e.axes.push_back({k, p.at("axes").at(k).get<std::string>()});
            e.args = p.at("args").get<std::vector<std::string>>();
            e.fingerprint = p.at("fingerprint").get<std::string>();
            if (e.dir.empty() || e.dir.find('/') != std::string::npos || e.dir[0] == '.')
                throw UserError(manifest() + ": point " + std::to_string(e.index) + ": bad directory name");
            m.points.push_back(std::move(e));
        }
    } catch (const json::exception& e) {
        throw UserError(manifest() + ": not a sweep manifest (" + e.what() + ")");
    }
    return m;
}

void SweepDir::write_manifest(const SweepManifest& m, const std::string& sweep_text) const {
    fs::create_directories(points());
    json axes = json::array();
    for (const auto& [key, name] : m.axes) axes.push_back({{"key", key}, {"name", name}});
    json points = json::array();
    for (const auto& p : m.points) {
        json values = json::object();
        for (const auto& [k, v] : p.axes) values[k] = v;
        points.push_back({{"index", p.index},
                          {"dir", p.dir},
                          {"axes", values},
                          {"args", p.args},
                          {"fingerprint", p.fingerprint}});
    }
    const json j = {
        {"sweep_file", m.sweep_file}, {"name", m.name},       {"command", m.command}, {"axes", axes},
        {"product", m.product},       {"dropped", m.dropped}, {"sampled", m.sampled}, {"points", points}};
    write_text_atomic(root_ + "/sweep.yaml", sweep_text);
    write_text_atomic(manifest(), j.dump(2) + "\n");
}

void SweepDir::prepare_point(const PointEntry& p, const std::string& scenario_text,
                             const std::string& trainvp) const {
    const std::string dir = point(p.dir);
    fs::create_directories(dir);
    for (const char* f : {"status.json", "log", "report.json"}) remove_if_present(dir + "/" + f);
    write_text_atomic(dir + "/scenario.yaml", scenario_text);
    std::string cmd = "cd " + shell_quote(dir) + " && " + shell_quote(trainvp);
    for (const auto& a : p.args) cmd += " " + shell_quote(a);
    write_text_atomic(dir + "/cmd", cmd + "\n");
}

std::optional<PointStatus> SweepDir::read_status(const std::string& dir) const {
    const std::string path = point(dir) + "/status.json";
    if (!fs::is_regular_file(path)) return std::nullopt;
    PointStatus s;
    try {
        const json j = read_json(path);
        s.fingerprint = j.at("fingerprint").get<std::string>();
        s.exit_code = j.at("exit_code").get<int>();
        s.signal = j.value("signal", "");
        s.error = j.value("error", "");
        s.wall_s = j.value("wall_s", 0.0);
        s.host = j.value("host", "");
    } catch (const std::exception&) {
        return std::nullopt;  // unreadable: treated as unfinished, so --resume runs it again
    }
    return s;
}

void SweepDir::write_status(const std::string& dir, const PointStatus& s) const {
    json j = {{"point", dir},
              {"fingerprint", s.fingerprint},
              {"exit_code", s.exit_code},
              {"status", s.ok() ? "ok" : "failed"},
              {"error", s.error},
              {"wall_s", s.wall_s},
              {"host", s.host.empty() ? hostname() : s.host}};
    if (!s.signal.empty()) j["signal"] = s.signal;
    write_text_atomic(point(dir) + "/status.json", j.dump(2) + "\n");
}

}  // namespace trainvp
