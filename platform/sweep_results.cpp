#include "sweep_results.h"

#include "html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>

using nlohmann::json;

namespace trainvp {
namespace {

using Kind = SweepFigure::Kind;

// The phases of train_run.cpp's kPhaseNames in their order; a phase name not listed follows alphabetically.
const char* const kPhaseOrder[] = {"forward", "backward_data", "weight_grad", "update",
                                   "loss",    "copy",          "other"};

const json* at_pointer(const json& j, const char* pointer) {
    try {
        const json::json_pointer p(pointer);
        return j.contains(p) ? &j.at(p) : nullptr;
    } catch (const json::exception&) {
        return nullptr;
    }
}

void flatten(const json& j, const std::string& prefix, std::vector<std::pair<std::string, json>>& out) {
    if (j.is_object()) {
        for (auto it = j.begin(); it != j.end(); ++it) flatten(it.value(), prefix + "." + it.key(), out);
    } else if (j.is_number() || j.is_boolean() || j.is_string()) {
        out.push_back({prefix, j});
    }
}

void phase_cycles(const json& per_layer, const std::string& column,
                  std::vector<std::pair<std::string, json>>& out) {
    if (!per_layer.is_array()) return;
    std::map<std::string, uint64_t> sums;
    for (const auto& layer : per_layer) {
        const json* ops = at_pointer(layer, "/opcodes");
        if (!ops || !ops->is_object()) continue;
        for (const auto& op : *ops) {
            if (!op.contains("phase") || !op.contains("cycles") || !op["cycles"].is_number()) continue;
            sums[op["phase"].get<std::string>()] += op["cycles"].get<uint64_t>();
        }
    }
    for (const char* p : kPhaseOrder) {
        if (auto it = sums.find(p); it != sums.end()) {
            out.push_back({column + "." + p, it->second});
            sums.erase(it);
        }
    }
    for (const auto& [p, v] : sums) out.push_back({column + "." + p, v});
}

void last_epoch(const json& epochs, const std::string& column,
                std::vector<std::pair<std::string, json>>& out) {
    if (!epochs.is_array() || epochs.empty()) return;
    const json& e = epochs.back();
    for (const char* f : {"test_accuracy", "test_loss", "train_accuracy", "train_loss"})
        if (e.contains(f)) out.push_back({column + "final_" + f, e[f]});
}

// A CSV cell: numbers as JSON writes them (shortest text that reads back the same), strings bare.
std::string cell(const json& v) {
    if (v.is_null()) return "";
    if (v.is_string()) return csv_field(v.get<std::string>());
    return v.dump();
}

// An axis value in results.json: a number when its text is a plain number, else the text.
json axis_json(const std::string& text) {
    char* end = nullptr;
    const double d = std::strtod(text.c_str(), &end);
    if (!text.empty() && *end == '\0' && std::isfinite(d)) {
        if (d == std::floor(d) && std::fabs(d) < 9e15 && text.find_first_of(".eE") == std::string::npos)
            return static_cast<int64_t>(d);
        return d;
    }
    return text;
}

json read_report(const std::string& path) {
    std::ifstream in(path);
    if (!in) return nullptr;
    try {
        return json::parse(in);
    } catch (const json::exception&) {
        return nullptr;
    }
}

}  // namespace

const std::vector<SweepFigure>& sweep_figures() {
    static const std::vector<SweepFigure> figures = {
        {"simulated_time_s", "/simulated_time_s", Kind::value,
         "simulated time from reset to the firmware's exit, s"},
        {"accel.cycles", "/accelerator/total/cycles", Kind::value, "accelerator cycles of every descriptor"},
        {"accel.cycles", "/training/accelerator/per_layer", Kind::phases,
         "accelerator cycles by phase: forward, backward_data, weight_grad, update, loss, copy"},
        {"accel.compute_cycles", "/accelerator/total/compute_cycles", Kind::value,
         "cycles the PE array or vector unit computed"},
        {"accel.stall_cycles", "/accelerator/total/stall_cycles", Kind::subtree,
         "stall cycles by cause: bank_conflict, buffer_bandwidth, dma, fill_drain, overhead"},
        {"accel.utilisation", "/accelerator/total/utilisation", Kind::value,
         "PE array utilisation: useful MACs / (PEs x cycles)"},
        {"accel.busy_fraction", "/training/accelerator/busy_fraction", Kind::value,
         "fraction of the simulated time the accelerator was busy"},
        {"accel.gops", "/training/accelerator/throughput/gops", Kind::value,
         "GOPS while the accelerator was busy: 2 operations a MAC of the GEMMs, at its clock"},
        {"accel.macs", "/accelerator/total/macs", Kind::value, "multiply-accumulates"},
        {"accel.descriptors", "/accelerator/total/descriptors", Kind::value, "descriptors executed"},
        {"dram.read_bytes", "/accelerator/total/dram_read_bytes", Kind::value,
         "bytes the accelerator read from DRAM"},
        {"dram.write_bytes", "/accelerator/total/dram_write_bytes", Kind::value,
         "bytes the accelerator wrote to DRAM"},
        {"buffer", "/accelerator/total/buffers", Kind::subtree,
         "per buffer (weight, activation, gradient): read/write bytes and accesses"},
        {"cpu.instructions", "/cpu/instructions", Kind::value, "instructions the CPU retired"},
        {"cpu.cycles", "/cpu/cycles", Kind::value, "CPU cycles, asleep ones included"},
        {"cpu.asleep_s", "/cpu/asleep_s", Kind::value, "simulated time the CPU slept in WFI, s"},
        {"cpu.interrupts", "/cpu/interrupts_taken", Kind::value, "interrupts the CPU took"},
        {"train.completed", "/training/completed", Kind::value, "true when every epoch finished"},
        {"train.", "/training/epochs", Kind::last_epoch,
         "last epoch's test and train accuracy (0..1) and mean loss (trainvp run)"},
        {"train.", "/epochs", Kind::last_epoch, "the same from trainvp golden's summary"},
        {"energy", "/energy", Kind::subtree, "every figure of the report's energy section, when it has one"},
        {"area", "/area", Kind::subtree, "every figure of the report's area section, when it has one"},
        {"estimate", "/estimate/total", Kind::subtree,
         "trainvp estimate: compute cycles per phase (forward, backward_data, weight_grad, all) under the "
         "native and scalesim models, and their ratio"},
        {"report.wall_s", "/wall/seconds", Kind::value,
         "wall time the simulation took, as the report says, s"},
    };
    return figures;
}

std::vector<std::pair<std::string, json>> report_figures(const json& report) {
    std::vector<std::pair<std::string, json>> out;
    for (const auto& f : sweep_figures()) {
        const json* v = at_pointer(report, f.pointer);
        if (!v) continue;
        switch (f.kind) {
            case Kind::value:
                if (v->is_number() || v->is_boolean() || v->is_string()) out.push_back({f.column, *v});
                break;
            case Kind::subtree:
                flatten(*v, f.column, out);
                break;
            case Kind::phases:
                phase_cycles(*v, f.column, out);
                break;
            case Kind::last_epoch:
                last_epoch(*v, f.column, out);
                break;
        }
    }
    return out;
}

std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string q = "\"";
    for (char c : text) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

ResultsSummary write_results(const SweepDir& dir, const SweepManifest& m) {
    ResultsSummary summary;
    std::vector<std::string> figure_columns;  // union over the points, in list order, then first seen
    std::vector<std::map<std::string, json>> rows;
    std::vector<std::vector<std::pair<std::string, json>>> figures_of;
    for (const auto& p : m.points) {
        std::map<std::string, json> row;
        const auto status = dir.read_status(p.dir);
        const bool current = status && status->fingerprint == p.fingerprint;
        row["status"] = !current ? "missing" : status->ok() ? "ok" : "failed";
        if (current) {
            row["exit_code"] = status->exit_code;
            row["error"] = status->error;
            row["wall_s"] = status->wall_s;
            row["host"] = status->host;
            (status->ok() ? summary.ok : summary.failed)++;
        } else {
            ++summary.missing;
        }
        std::vector<std::pair<std::string, json>> figs;
        if (current) {
            const json report = read_report(dir.point(p.dir) + "/report.json");
            if (!report.is_null()) figs = report_figures(report);
        }
        for (const auto& [name, v] : figs)
            if (std::find(figure_columns.begin(), figure_columns.end(), name) == figure_columns.end())
                figure_columns.push_back(name);
        rows.push_back(std::move(row));
        figures_of.push_back(std::move(figs));
    }
    // List order: a column's place is that of the first figure entry whose prefix made it.
    auto rank = [](const std::string& col) {
        const auto& list = sweep_figures();
        for (size_t i = 0; i < list.size(); ++i) {
            const std::string c = list[i].column;
            if (col == c || (col.rfind(c, 0) == 0 && (c.back() == '.' || col[c.size()] == '.'))) return i;
        }
        return list.size();
    };
    std::stable_sort(figure_columns.begin(), figure_columns.end(),
                     [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });

    std::vector<std::string> header = {"point", "dir"};
    for (const auto& [key, name] : m.axes) header.push_back(key);
    for (const char* c : {"status", "exit_code", "error"}) header.push_back(c);
    header.insert(header.end(), figure_columns.begin(), figure_columns.end());
    header.push_back("wall_s");
    header.push_back("host");

    std::string csv;
    for (size_t i = 0; i < header.size(); ++i) csv += (i ? "," : "") + csv_field(header[i]);
    csv += "\n";
    json points = json::array();
    for (size_t r = 0; r < m.points.size(); ++r) {
        const PointEntry& p = m.points[r];
        json obj = json::object();
        std::vector<std::string> cells;
        obj["point"] = p.index;
        cells.push_back(std::to_string(p.index));
        obj["dir"] = p.dir;
        cells.push_back(csv_field(p.dir));
        for (const auto& [key, value] : p.axes) {
            obj[key] = axis_json(value);
            cells.push_back(csv_field(value));
        }
        std::map<std::string, json> values = rows[r];
        for (const auto& [name, v] : figures_of[r]) values[name] = v;
        for (size_t c = 2 + p.axes.size(); c < header.size(); ++c) {
            const auto it = values.find(header[c]);
            const json v = it == values.end() ? json(nullptr) : it->second;
            obj[header[c]] = v;
            cells.push_back(cell(v));
        }
        for (size_t c = 0; c < cells.size(); ++c) csv += (c ? "," : "") + cells[c];
        csv += "\n";
        points.push_back(std::move(obj));
    }
    json columns = json::array();
    for (const auto& h : header) columns.push_back(h);
    const json j = {
        {"sweep", m.name},
        {"sweep_file", m.sweep_file},
        {"command", m.command},
        {"columns", columns},
        {"points", points},
        {"summary", {{"ok", summary.ok}, {"failed", summary.failed}, {"missing", summary.missing}}}};
    write_text_atomic(dir.root() + "/results.csv", csv);
    write_text_atomic(dir.root() + "/results.json", j.dump(2) + "\n");
    write_text_atomic(dir.root() + "/report.html", sweep_report_html(j));
    return summary;
}

}  // namespace trainvp
