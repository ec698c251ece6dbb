#include "html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

namespace trainvp {
namespace {

using json = nlohmann::json;

std::string esc(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string num(double v, const char* format = "%.4g") {
    char buf[48];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

// Coordinates in SVG user units, one decimal: enough on screen, and the text stays deterministic.
std::string px(double v) {
    return num(v, "%.1f");
}

// Tick values for [lo, hi]: about five at 1, 2 or 5 times a power of ten.
std::vector<double> ticks(double lo, double hi) {
    if (!(hi > lo)) return {lo};
    const double raw = (hi - lo) / 5;
    const double mag = std::pow(10, std::floor(std::log10(raw)));
    const double step = raw / mag < 1.5   ? mag
                        : raw / mag < 3.5 ? 2 * mag
                        : raw / mag < 7.5 ? 5 * mag
                                          : 10 * mag;
    std::vector<double> out;
    for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
        out.push_back(std::abs(t) < step * 1e-9 ? 0 : t);
    return out;
}

const char* phase_colour(const std::string& phase) {
    static const std::map<std::string, const char*> colours = {
        {"forward", "#4e79a7"}, {"backward_data", "#f28e2b"}, {"weight_grad", "#e15759"},
        {"update", "#76b7b2"},  {"loss", "#59a14f"},          {"copy", "#edc948"}};
    const auto it = colours.find(phase);
    return it == colours.end() ? "#b07aa1" : it->second;
}
const char* const kSeriesColours[] = {"#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#b07aa1", "#76b7b2"};
const char* const kPhaseOrder[] = {"forward", "backward_data", "weight_grad", "update", "loss", "copy"};

// ---- SVG plots ----

struct Series {
    std::string name;
    std::vector<std::pair<double, double>> points;
};

constexpr double kLeft = 70, kRight = 20, kTop = 20, kBottom = 45;

// Axes with ticks and labels for a plot area of w x h at (kLeft, kTop).
std::string axes(double w, double h, double x0, double x1, double y0, double y1, const std::string& xlabel,
                 const std::string& ylabel, bool x_ticks = true) {
    std::string s = "<g class=\"axes\">";
    s += "<line x1=\"" + px(kLeft) + "\" y1=\"" + px(kTop + h) + "\" x2=\"" + px(kLeft + w) + "\" y2=\"" +
         px(kTop + h) + "\"/>";
    s += "<line x1=\"" + px(kLeft) + "\" y1=\"" + px(kTop) + "\" x2=\"" + px(kLeft) + "\" y2=\"" +
         px(kTop + h) + "\"/>";
    for (double t : ticks(y0, y1)) {
        const double y = kTop + h - (y1 > y0 ? (t - y0) / (y1 - y0) * h : h / 2);
        s += "<line class=\"grid\" x1=\"" + px(kLeft) + "\" y1=\"" + px(y) + "\" x2=\"" + px(kLeft + w) +
             "\" y2=\"" + px(y) + "\"/><text x=\"" + px(kLeft - 6) + "\" y=\"" + px(y + 4) +
             "\" text-anchor=\"end\">" + num(t) + "</text>";
    }
    if (x_ticks)
        for (double t : ticks(x0, x1)) {
            const double x = kLeft + (x1 > x0 ? (t - x0) / (x1 - x0) * w : w / 2);
            s += "<text x=\"" + px(x) + "\" y=\"" + px(kTop + h + 16) + "\" text-anchor=\"middle\">" +
                 num(t) + "</text>";
        }
    s += "<text x=\"" + px(kLeft + w / 2) + "\" y=\"" + px(kTop + h + 36) + "\" text-anchor=\"middle\">" +
         esc(xlabel) + "</text>";
    s += "<text transform=\"translate(14," + px(kTop + h / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
         esc(ylabel) + "</text></g>";
    return s;
}

std::string legend(const std::vector<std::pair<std::string, std::string>>& entries) {
    std::string s = "<div class=\"legend\">";
    for (const auto& [name, colour] : entries)
        s += "<span><i style=\"background:" + colour + "\"></i>" + esc(name) + "</span>";
    return s + "</div>";
}

std::string line_chart(const std::string& id, const std::string& title, const std::string& xlabel,
                       const std::string& ylabel, const std::vector<Series>& series) {
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (const Series& s : series)
        for (const auto& [x, y] : s.points) {
            x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
        }
    if (x0 > x1) return "";
    y0 = std::min(y0, 0.0);
    if (x1 == x0) x0 -= 1, x1 += 1;
    if (y1 == y0) y1 = y0 + 1;
    const double w = 400, h = 200;
    auto sx = [&](double x) { return kLeft + (x - x0) / (x1 - x0) * w; };
    auto sy = [&](double y) { return kTop + h - (y - y0) / (y1 - y0) * h; };
    std::string svg = "<figure><figcaption>" + esc(title) + "</figcaption><svg id=\"" + id +
                      "\" class=\"plot line-chart\" width=\"" + px(kLeft + w + kRight) + "\" height=\"" +
                      px(kTop + h + kBottom) + "\">" + axes(w, h, x0, x1, y0, y1, xlabel, ylabel);
    std::vector<std::pair<std::string, std::string>> keys;
    for (size_t i = 0; i < series.size(); ++i) {
        const Series& s = series[i];
        if (s.points.empty()) continue;
        const std::string colour = kSeriesColours[i % 6];
        keys.push_back({s.name, colour});
        std::string d;
        for (const auto& [x, y] : s.points) d += (d.empty() ? "M" : " L") + px(sx(x)) + " " + px(sy(y));
        svg += "<path class=\"series\" data-series=\"" + esc(s.name) + "\" d=\"" + d + "\" stroke=\"" +
               colour + "\"/>";
        if (s.points.size() <= 60)
            for (const auto& [x, y] : s.points)
                svg += "<circle class=\"marker\" cx=\"" + px(sx(x)) + "\" cy=\"" + px(sy(y)) +
                       "\" r=\"3\" fill=\"" + colour + "\"><title>" + esc(s.name) + ": " + num(x) + ", " +
                       num(y) + "</title></circle>";
    }
    return svg + "</svg>" + legend(keys) + "</figure>";
}

// Categories along x, each bar the stack of the segments' values.
struct Segment {
    std::string name, colour;
    std::vector<double> values;  // one a category
};

std::string stacked_bars(const std::string& id, const std::string& title, const std::string& unit,
                         const std::vector<std::string>& categories, const std::vector<Segment>& segments) {
    if (categories.empty()) return "";
    double top = 0;
    for (size_t c = 0; c < categories.size(); ++c) {
        double sum = 0;
        for (const Segment& s : segments) sum += s.values[c];
        top = std::max(top, sum);
    }
    if (top <= 0) top = 1;
    const double slot = 56, w = std::max(400.0, slot * categories.size()), h = 220;
    std::string svg = "<figure><figcaption>" + esc(title) + "</figcaption><svg id=\"" + id +
                      "\" class=\"plot stacked-bars\" width=\"" + px(kLeft + w + kRight) + "\" height=\"" +
                      px(kTop + h + kBottom + 20) + "\">" + axes(w, h, 0, 1, 0, top, "layer", unit, false);
    const double step = w / categories.size(), bw = std::min(40.0, step * 0.7);
    for (size_t c = 0; c < categories.size(); ++c) {
        const double x = kLeft + step * c + (step - bw) / 2;
        double acc = 0;
        for (const Segment& s : segments) {
            const double v = s.values[c];
            if (v <= 0) continue;
            const double y = kTop + h - (acc + v) / top * h, bh = v / top * h;
            svg += "<rect class=\"bar\" data-layer=\"" + esc(categories[c]) + "\" data-phase=\"" +
                   esc(s.name) + "\" x=\"" + px(x) + "\" y=\"" + px(y) + "\" width=\"" + px(bw) +
                   "\" height=\"" + px(bh) + "\" fill=\"" + s.colour + "\"><title>" + esc(categories[c]) +
                   " " + esc(s.name) + ": " + num(v, "%.6g") + " " + esc(unit) + "</title></rect>";
            acc += v;
        }
        svg += "<text class=\"category\" x=\"" + px(x + bw / 2) + "\" y=\"" + px(kTop + h + 16) +
               "\" text-anchor=\"middle\">" + esc(categories[c]) + "</text>";
    }
    std::vector<std::pair<std::string, std::string>> keys;
    for (const Segment& s : segments) keys.push_back({s.name, s.colour});
    return svg + "</svg>" + legend(keys) + "</figure>";
}

// Phases in their training order, then any others by name.
std::vector<std::string> order_phases(const std::set<std::string>& phases) {
    std::vector<std::string> out;
    for (const char* p : kPhaseOrder)
        if (phases.count(p)) out.push_back(p);
    for (const std::string& p : phases)
        if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
    return out;
}

// layer label -> phase -> value, in the layers' order.
struct ByLayer {
    std::vector<std::string> layers;
    std::map<std::string, std::map<std::string, double>> values;
    void add(const std::string& layer, const std::string& phase, double v) {
        if (!values.count(layer)) layers.push_back(layer);
        values[layer][phase] += v;
    }
    std::string chart(const std::string& id, const std::string& title, const std::string& unit) const {
        std::set<std::string> phases;
        for (const auto& [l, m] : values)
            for (const auto& [p, v] : m) phases.insert(p);
        std::vector<Segment> segs;
        for (const std::string& p : order_phases(phases)) {
            Segment s{p, phase_colour(p), {}};
            for (const std::string& l : layers) {
                const auto& m = values.at(l);
                s.values.push_back(m.count(p) ? m.at(p) : 0.0);
            }
            segs.push_back(std::move(s));
        }
        return stacked_bars(id, title, unit, layers, segs);
    }
};

ByLayer cycles_by_layer(const json& report) {
    ByLayer b;
    const json* layers = nullptr;
    if (report.contains("training")) {
        const json& t = report["training"];
        if (t.contains("accelerator") && t["accelerator"].contains("per_layer"))
            layers = &t["accelerator"]["per_layer"];
    }
    if (layers && layers->is_array()) {
        for (const json& l : *layers) {
            const std::string label = l.value("name", std::to_string(l.value("id", 0)));
            if (!l.contains("opcodes")) continue;
            for (const auto& [op, s] : l["opcodes"].items())
                b.add(label, s.value("phase", op), s.value("cycles", 0.0));
        }
        return b;
    }
    // Not a training run: the accelerator's own per-layer statistics, by opcode.
    if (report.contains("accelerator") && report["accelerator"].contains("per_layer"))
        for (const auto& [layer, ops] : report["accelerator"]["per_layer"].items())
            for (const auto& [op, s] : ops.items()) b.add("layer " + layer, op, s.value("cycles", 0.0));
    return b;
}

// A value in pJ: a number, or an object with `total_pj`, or with `dynamic_pj` and `leakage_pj` (summed).
std::optional<double> picojoules(const json& v) {
    if (v.is_number()) return v.get<double>();
    if (!v.is_object()) return std::nullopt;
    if (v.contains("total_pj") && v["total_pj"].is_number()) return v["total_pj"].get<double>();
    std::optional<double> sum;
    for (const char* k : {"dynamic_pj", "leakage_pj"})
        if (v.contains(k) && v[k].is_number()) sum = sum.value_or(0) + v[k].get<double>();
    return sum;
}

// report.energy.by_layer_phase (issue 11): rows {layer, phase, dynamic_pj, leakage_pj, ...}, or a map
// {layer: {phase: pJ}}; a layer given by its id takes its name from the training section when it has one.
ByLayer energy_by_layer(const json& report) {
    ByLayer b;
    if (!report.contains("energy") || !report["energy"].is_object()) return b;
    const json& e = report["energy"];
    if (!e.contains("by_layer_phase")) return b;
    std::map<std::string, std::string> names;
    if (report.contains("training") && report["training"].contains("accelerator"))
        for (const json& l : report["training"]["accelerator"].value("per_layer", json::array()))
            if (l.contains("id") && l.contains("name"))
                names[std::to_string(l["id"].get<int>())] = l["name"].get<std::string>();
    auto label = [&](const json& l) {
        const std::string s = l.is_string() ? l.get<std::string>() : l.dump();
        return names.count(s) ? names[s] : s;
    };
    const json& by = e["by_layer_phase"];
    if (by.is_object()) {
        for (const auto& [layer, phases] : by.items())
            if (phases.is_object())
                for (const auto& [phase, v] : phases.items())
                    if (auto pj = picojoules(v)) b.add(label(json(layer)), phase, *pj);
    } else if (by.is_array()) {
        for (const json& r : by)
            if (r.is_object() && r.contains("phase"))
                if (auto pj = picojoules(r))
                    b.add(label(r.contains("layer") ? r["layer"] : r.value("name", json("?"))),
                          r["phase"].get<std::string>(), *pj);
    }
    return b;
}

std::string timeline_svg(const std::vector<TimelineEvent>& events) {
    uint64_t t0 = UINT64_MAX, t1 = 0;
    for (const TimelineEvent& e : events)
        if (e.kind == TimelineEvent::Kind::slice) t0 = std::min(t0, e.start_ps), t1 = std::max(t1, e.end_ps);
    if (t0 >= t1) return "";
    std::vector<std::pair<std::string, std::string>> lanes = {{"cpu", "CPU"},
                                                              {"controller", "controller"},
                                                              {"dma", "DMA"},
                                                              {"pe_array", "PE array"},
                                                              {"vector_unit", "vector unit"}};
    std::vector<std::string> counters;
    for (const TimelineEvent& e : events)
        if (e.kind == TimelineEvent::Kind::counter &&
            std::find(counters.begin(), counters.end(), e.name) == counters.end())
            counters.push_back(e.name);
    std::sort(counters.begin(), counters.end());
    const double lane_h = 26, w = 800, left = 110;
    const double h = lane_h * (lanes.size() + counters.size());
    auto sx = [&](uint64_t t) { return left + static_cast<double>(t - std::min(t, t0)) / (t1 - t0) * w; };
    std::string svg = "<svg id=\"step-timeline\" class=\"plot timeline\" width=\"" + px(left + w + 20) +
                      "\" height=\"" + px(h + 40) + "\">";
    std::map<std::string, size_t> lane_of;
    for (size_t i = 0; i < lanes.size(); ++i) {
        lane_of[lanes[i].first] = i;
        svg += "<text x=\"4\" y=\"" + px(lane_h * i + 17) + "\">" + esc(lanes[i].second) + "</text>";
    }
    for (size_t i = 0; i < counters.size(); ++i)
        svg += "<text x=\"4\" y=\"" + px(lane_h * (lanes.size() + i) + 17) + "\">" +
               esc(counters[i].substr(0, counters[i].find(' '))) + "</text>";
    const char* unit_colour[] = {"#bab0ac", "", "#9c755f", "#4e79a7", "#59a14f"};
    for (const TimelineEvent& e : events) {
        if (e.kind == TimelineEvent::Kind::counter || !lane_of.count(e.track)) continue;
        const size_t lane = lane_of[e.track];
        const double y = lane_h * lane + 4;
        const std::string tip = e.name + ": " + num((e.start_ps - std::min(e.start_ps, t0)) / 1e6, "%.3f") +
                                " us, " + num((e.end_ps - e.start_ps) / 1e6, "%.3f") + " us";
        if (e.kind == TimelineEvent::Kind::instant) {
            svg += "<line class=\"instant\" x1=\"" + px(sx(e.start_ps)) + "\" y1=\"" + px(y) + "\" x2=\"" +
                   px(sx(e.start_ps)) + "\" y2=\"" + px(y + lane_h - 8) + "\"><title>" + esc(tip) +
                   "</title></line>";
            continue;
        }
        const std::string colour = lane == 1 ? phase_colour(e.phase) : unit_colour[lane];
        svg += "<rect class=\"slice\" data-track=\"" + e.track + "\"" +
               (e.phase.empty() ? "" : " data-phase=\"" + esc(e.phase) + "\"") + " x=\"" +
               px(sx(e.start_ps)) + "\" y=\"" + px(y) + "\" width=\"" +
               px(std::max(0.5, sx(e.end_ps) - sx(e.start_ps))) + "\" height=\"" + px(lane_h - 8) +
               "\" fill=\"" + colour + "\"><title>" + esc(tip) + "</title></rect>";
    }
    for (size_t i = 0; i < counters.size(); ++i) {
        double top = 1;
        for (const TimelineEvent& e : events)
            if (e.kind == TimelineEvent::Kind::counter && e.name == counters[i]) top = std::max(top, e.value);
        const double base = lane_h * (lanes.size() + i) + lane_h - 4;
        std::string d = "M" + px(sx(t0)) + " " + px(base);
        double last = base;
        for (const TimelineEvent& e : events)
            if (e.kind == TimelineEvent::Kind::counter && e.name == counters[i] && e.start_ps <= t1) {
                const double y = base - e.value / top * (lane_h - 8);
                d += " L" + px(sx(e.start_ps)) + " " + px(last) + " L" + px(sx(e.start_ps)) + " " + px(y);
                last = y;
            }
        d += " L" + px(sx(t1)) + " " + px(last);
        svg += "<path class=\"counter\" data-counter=\"" + esc(counters[i]) + "\" d=\"" + d + "\"><title>" +
               esc(counters[i]) + ", at most " + num(top, "%.0f") + "</title></path>";
    }
    svg += "<text x=\"" + px(left) + "\" y=\"" + px(h + 20) + "\">0</text><text x=\"" + px(left + w) +
           "\" y=\"" + px(h + 20) + "\" text-anchor=\"end\">" + num((t1 - t0) / 1e6, "%.3f") +
           " us</text></svg>";
    return svg;
}

// ---- the page ----

const char* const kStyle = R"(
body{font-family:sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}
th{background:#f2f2f2}td.text,th.text{text-align:left}
figure{margin:0 16px 1em 0;display:inline-block;vertical-align:top}figcaption{font-weight:bold;margin:4px 0}
svg.plot{font-size:11px;background:#fff}svg .axes line{stroke:#444}svg line.grid{stroke:#e4e4e4}
path.series{fill:none;stroke-width:2}line.instant{stroke:#d62728;stroke-width:1.5}
path.counter{fill:none;stroke:#555}circle.point{fill:#9ab;stroke:#456}circle.pareto{fill:#e15759;stroke:#900}
polyline.pareto-front{fill:none;stroke:#e15759;stroke-dasharray:4 3}
.legend span{margin-right:12px;font-size:0.85em}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
th.sortable{cursor:pointer}th.sorted-asc:after{content:" \25B2"}th.sorted-desc:after{content:" \25BC"}
tr.failed td{color:#a00}.wide{overflow-x:auto}.note{color:#666;font-size:0.9em}
)";

// Installed first, so that an error anywhere in the page is counted where the Chromium test sees it.
const char* const kErrorHook =
    "<script>window.addEventListener('error',function(e){var n=+(document.documentElement.getAttribute("
    "'data-js-errors')||0)+1;document.documentElement.setAttribute('data-js-errors',n);console.error("
    "'trainvp report: '+e.message);});</script>";

std::string page(const std::string& title, const std::string& body, const std::string& script = "") {
    return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + esc(title) +
           "</title><style>" + kStyle + "</style>" + kErrorHook + "</head>\n<body>\n" + body + script +
           "<script>document.body.setAttribute('data-rendered','yes');</script>\n</body></html>\n";
}

std::string row(const std::string& key, const std::string& value) {
    return "<tr><th class=\"text\">" + esc(key) + "</th><td>" + esc(value) + "</td></tr>";
}

const json* at(const json& j, const char* pointer) {
    const json::json_pointer p(pointer);
    return j.contains(p) ? &j[p] : nullptr;
}

}  // namespace

std::string run_report_html(const json& report, const std::vector<TimelineEvent>& step) {
    const std::string name = report.contains("scenario") ? report["scenario"].value("name", "") : "";
    std::string body = "<h1>trainvp run: " + esc(name) + "</h1>\n<table id=\"summary\">";
    body += row("scenario", report.contains("scenario") ? report["scenario"].value("path", "") : "");
    if (const json* e = at(report, "/exit"))
        body += row("exit", std::to_string(e->value("status", -1)) + " (" + e->value("ended_by", "") + ")");
    if (const json* t = at(report, "/simulated_time_s"))
        body += row("simulated time", num(t->get<double>() * 1e3) + " ms");
    if (const json* c = at(report, "/accelerator/total/cycles"))
        body += row("accelerator cycles", num(c->get<double>(), "%.0f"));
    if (const json* u = at(report, "/accelerator/total/utilisation"))
        body += row("PE utilisation", num(u->get<double>() * 100, "%.1f") + "%");
    if (const json* r = at(report, "/accelerator/total/dram_read_bytes"))
        if (const json* w = at(report, "/accelerator/total/dram_write_bytes"))
            body +=
                row("DRAM traffic", num((r->get<double>() + w->get<double>()) / 1048576.0, "%.1f") + " MiB");
    if (const json* z = at(report, "/training/accelerator/stride_zeros"))
        if (z->value("macs", 0.0) > 0)
            body += row("stride zeros",
                        std::string(z->value("skipped", false) ? "skipped " : "executed ") +
                            num(z->value("macs", 0.0) / 1e6, "%.3f") + " M MACs (" +
                            num(z->value("macs_fraction", 0.0) * 100, "%.1f") + "%), " +
                            num(z->value("compute_cycles", 0.0) / 1e3, "%.1f") + " k compute cycles (" +
                            num(z->value("compute_cycles_fraction", 0.0) * 100, "%.1f") + "%)");
    if (const json* e = at(report, "/energy/total_pj"))
        body += row("energy", num(e->get<double>() / 1e6, "%.4g") + " uJ");
    if (const json* a = at(report, "/area/total_mm2"))
        body += row("area", num(a->get<double>(), "%.4g") + " mm2");
    if (const json* a = at(report, "/training/final_test_accuracy"))
        if (a->is_number()) body += row("final test accuracy", num(a->get<double>() * 100, "%.2f") + "%");
    body += "</table>\n";

    if (const json* t = at(report, "/training")) {
        body += "<h2>Training</h2>\n";
        Series loss{"training loss", {}};
        if (const json* c = at(*t, "/loss_curve/per_step"))
            for (size_t i = 0; i < c->size(); ++i)
                loss.points.push_back({double(i + 1), (*c)[i].get<double>()});
        body += line_chart("loss-per-step", "Loss per SGD step", "step", "mean cross-entropy", {loss});
        Series train_loss{"train loss", {}}, test_loss{"test loss", {}}, train_acc{"train accuracy", {}},
            test_acc{"test accuracy", {}};
        for (const json& e : t->value("epochs", json::array())) {
            const double ep = e.value("epoch", 0.0);
            auto add = [&](Series& s, const char* key, double scale) {
                if (e.contains(key) && e[key].is_number())
                    s.points.push_back({ep, e[key].get<double>() * scale});
            };
            add(train_loss, "train_loss", 1), add(test_loss, "test_loss", 1);
            add(train_acc, "train_accuracy", 100), add(test_acc, "test_accuracy", 100);
        }
        body += line_chart("loss-per-epoch", "Loss per epoch", "epoch", "mean cross-entropy",
                           {train_loss, test_loss});
        body += line_chart("accuracy-per-epoch", "Accuracy per epoch", "epoch", "%", {train_acc, test_acc});
    }

    body += "<h2>Accelerator cycles and energy by layer and phase</h2>\n";
    body += cycles_by_layer(report).chart("cycles-by-layer", "Cycles by layer and phase", "cycles");
    const ByLayer energy = energy_by_layer(report);
    if (!energy.layers.empty())
        body += energy.chart("energy-by-layer", "Energy by layer and phase", "pJ");
    else
        body += "<p class=\"note\" id=\"no-energy\">The report has no energy section.</p>";

    body += "<h2>Timeline of the first training step</h2>\n";
    const std::string tl = timeline_svg(step);
    body += tl.empty() ? "<p class=\"note\" id=\"no-timeline\">No accelerator activity was recorded.</p>"
                       : "<p class=\"note\">Lanes: the CPU (WFI sleeps, interrupts as red ticks), the "
                         "controller (one bar a descriptor, coloured by phase), the DMA (descriptor fetch, "
                         "tile loads and stores), the PE array and the vector unit (one bar a tile), then "
                         "each buffer's occupancy. Hover for names and times.</p>" +
                             tl +
                             legend({{"forward", phase_colour("forward")},
                                     {"backward_data", phase_colour("backward_data")},
                                     {"weight_grad", phase_colour("weight_grad")},
                                     {"update", phase_colour("update")},
                                     {"loss", phase_colour("loss")},
                                     {"copy", phase_colour("copy")}});
    return page("trainvp run " + name, body);
}

namespace {
// The sweep page's script: the scatter plot of two chosen columns with its Pareto front, and the table.
const char* const kSweepScript = R"JS(
(function () {
  var data = JSON.parse(document.getElementById('sweep-data').textContent);
  var rows = data.points, cols = data.columns.slice();
  // A figure the page derives: the PE count, when the array's shape is an axis or in every row.
  if (rows.length && rows.every(function (r) { return typeof r['hardware.array.rows'] === 'number' && typeof r['hardware.array.cols'] === 'number'; })) {
    rows.forEach(function (r) { r.PEs = r['hardware.array.rows'] * r['hardware.array.cols']; });
    cols.splice(cols.indexOf('hardware.array.cols') + 1, 0, 'PEs');
  }
  var numeric = cols.filter(function (c) {
    return c !== 'point' && c !== 'exit_code' && rows.some(function (r) { return typeof r[c] === 'number'; }) &&
      rows.every(function (r) { return r[c] === null || r[c] === undefined || typeof r[c] === 'number'; });
  });
  var higherBetter = function (c) { return /accuracy|utilisation|per_second|busy_fraction/.test(c); };
  var first = function (list, fallback) {
    for (var i = 0; i < list.length; i++) if (numeric.indexOf(list[i]) >= 0) return list[i];
    return fallback;
  };
  var hash = new URLSearchParams(location.hash.slice(1));
  var choose = function (id, wanted, fallback) {
    var sel = document.getElementById(id);
    numeric.forEach(function (c) { var o = document.createElement('option'); o.value = o.textContent = c; sel.appendChild(o); });
    sel.value = numeric.indexOf(wanted) >= 0 ? wanted : fallback;
    return sel;
  };
  var xSel = choose('x-figure', hash.get('x'), first(['simulated_time_s', 'accel.cycles'], numeric[0]));
  var ySel = choose('y-figure', hash.get('y'),
    first(['energy.total_pj', 'area.total_mm2', 'PEs', 'dram.read_bytes', 'accel.utilisation'], numeric[1] || numeric[0]));
  var xBetter = document.getElementById('x-better'), yBetter = document.getElementById('y-better');
  var fmt = function (v) {
    if (v === null || v === undefined) return '';
    if (typeof v !== 'number') return String(v);
    var p = +v.toPrecision(4);
    return Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? p.toExponential() : String(p);
  };
  var svgNS = 'http://www.w3.org/2000/svg';
  var el = function (tag, attrs, text) {
    var e = document.createElementNS(svgNS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  var ticks = function (lo, hi) {
    if (!(hi > lo)) return [lo];
    var raw = (hi - lo) / 5, mag = Math.pow(10, Math.floor(Math.log10(raw))), r = raw / mag;
    var step = (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * mag, out = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(t);
    return out;
  };
  // The points no other point beats: at least as good in both figures and better in one.
  var pareto = function (pts, xHigh, yHigh) {
    var better = function (a, b, high) { return high ? a > b : a < b; };
    return pts.filter(function (p) {
      return !pts.some(function (q) {
        var gx = better(q.x, p.x, xHigh) || q.x === p.x, gy = better(q.y, p.y, yHigh) || q.y === p.y;
        return gx && gy && (better(q.x, p.x, xHigh) || better(q.y, p.y, yHigh));
      });
    });
  };
  var draw = function () {
    var xc = xSel.value, yc = ySel.value, xHigh = xBetter.value === 'higher', yHigh = yBetter.value === 'higher';
    hash.set('x', xc);
    hash.set('y', yc);
    history.replaceState(null, '', '#' + hash.toString());
    var svg = document.getElementById('scatter');
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var pts = rows.filter(function (r) { return r.status === 'ok' && typeof r[xc] === 'number' && typeof r[yc] === 'number'; })
      .map(function (r) { return {x: r[xc], y: r[yc], row: r}; });
    var L = 80, T = 20, W = 560, H = 340;
    var xs = pts.map(function (p) { return p.x; }), ys = pts.map(function (p) { return p.y; });
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs), y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    if (!pts.length) { x0 = y0 = 0; x1 = y1 = 1; }
    var padx = (x1 - x0) * 0.05 || Math.abs(x0) * 0.05 || 1, pady = (y1 - y0) * 0.05 || Math.abs(y0) * 0.05 || 1;
    x0 -= padx; x1 += padx; y0 -= pady; y1 += pady;
    var sx = function (x) { return L + (x - x0) / (x1 - x0) * W; }, sy = function (y) { return T + H - (y - y0) / (y1 - y0) * H; };
    var axes = el('g', {'class': 'axes'});
    axes.appendChild(el('line', {x1: L, y1: T + H, x2: L + W, y2: T + H}));
    axes.appendChild(el('line', {x1: L, y1: T, x2: L, y2: T + H}));
    ticks(x0, x1).forEach(function (t) { axes.appendChild(el('text', {x: sx(t), y: T + H + 16, 'text-anchor': 'middle'}, fmt(t))); });
    ticks(y0, y1).forEach(function (t) {
      axes.appendChild(el('line', {'class': 'grid', x1: L, y1: sy(t), x2: L + W, y2: sy(t)}));
      axes.appendChild(el('text', {x: L - 6, y: sy(t) + 4, 'text-anchor': 'end'}, fmt(t)));
    });
    axes.appendChild(el('text', {x: L + W / 2, y: T + H + 36, 'text-anchor': 'middle'}, xc));
    axes.appendChild(el('text', {transform: 'translate(14,' + (T + H / 2) + ') rotate(-90)', 'text-anchor': 'middle'}, yc));
    svg.appendChild(axes);
    var front = pareto(pts, xHigh, yHigh).sort(function (a, b) { return a.x - b.x || a.y - b.y; });
    svg.appendChild(el('polyline', {'class': 'pareto-front', points: front.map(function (p) { return sx(p.x) + ',' + sy(p.y); }).join(' ')}));
    pts.forEach(function (p) {
      var onFront = front.indexOf(p) >= 0;
      var c = el('circle', {'class': onFront ? 'point pareto' : 'point', cx: sx(p.x), cy: sy(p.y), r: onFront ? 6 : 5, 'data-point': p.row.point});
      c.appendChild(el('title', {}, 'point ' + p.row.point + ' ' + p.row.dir + '\n' + xc + ' = ' + fmt(p.x) + '\n' + yc + ' = ' + fmt(p.y)));
      svg.appendChild(c);
      svg.appendChild(el('text', {'class': 'point-label', x: sx(p.x) + 7, y: sy(p.y) - 5}, String(p.row.point)));
    });
    document.getElementById('pareto-list').textContent = 'Pareto front (' + (xHigh ? 'higher' : 'lower') + ' ' + xc + ', ' +
      (yHigh ? 'higher' : 'lower') + ' ' + yc + ' is better): points ' +
      front.map(function (p) { return p.row.point; }).sort(function (a, b) { return a - b; }).join(', ');
    document.getElementById('pareto-list').setAttribute('data-points', front.map(function (p) { return p.row.point; }).sort(function (a, b) { return a - b; }).join(','));
  };
  var axisChanged = function (sel, better) { better.value = higherBetter(sel.value) ? 'higher' : 'lower'; draw(); };
  xBetter.value = higherBetter(xSel.value) ? 'higher' : 'lower';
  yBetter.value = higherBetter(ySel.value) ? 'higher' : 'lower';
  xSel.addEventListener('change', function () { axisChanged(xSel, xBetter); });
  ySel.addEventListener('change', function () { axisChanged(ySel, yBetter); });
  xBetter.addEventListener('change', draw);
  yBetter.addEventListener('change', draw);
  draw();

  var table = document.getElementById('results-table');
  var shown = cols.filter(function (c) { return c !== 'host'; });
  var head = document.createElement('tr');
  var order = rows.slice(), sortedBy = null, descending = false;
  var body = document.createElement('tbody');
  var fill = function () {
    while (body.firstChild) body.removeChild(body.firstChild);
    order.forEach(function (r) {
      var tr = document.createElement('tr');
      if (r.status !== 'ok') tr.className = 'failed';
      shown.forEach(function (c) {
        var td = document.createElement('td');
        td.textContent = fmt(r[c]);
        if (typeof r[c] !== 'number') td.className = 'text';
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  };
  shown.forEach(function (c) {
    var th = document.createElement('th');
    th.textContent = c;
    th.className = 'sortable';
    th.setAttribute('data-column', c);
    th.addEventListener('click', function () {
      descending = sortedBy === c ? !descending : false;
      sortedBy = c;
      var key = function (r) { return r[c] === null || r[c] === undefined ? null : r[c]; };
      order.sort(function (a, b) {
        var u = key(a), v = key(b);
        if (u === null || v === null) return (u === null) - (v === null);
        var d = typeof u === 'number' && typeof v === 'number' ? u - v : String(u).localeCompare(String(v));
        return (descending ? -d : d) || a.point - b.point;
      });
      Array.prototype.forEach.call(head.children, function (h) { h.classList.remove('sorted-asc', 'sorted-desc'); });
      th.classList.add(descending ? 'sorted-desc' : 'sorted-asc');
      fill();
    });
    head.appendChild(th);
  });
  var thead = document.createElement('thead');
  thead.appendChild(head);
  table.appendChild(thead);
  table.appendChild(body);
  fill();
  // #...&sort=COLUMN (or sort=-COLUMN, descending) sorts on load, as clicks on the column's name would.
  var sort = hash.get('sort');
  if (sort) {
    var desc = sort.charAt(0) === '-', col = desc ? sort.slice(1) : sort;
    Array.prototype.forEach.call(head.children, function (th) {
      if (th.getAttribute('data-column') === col) { th.click(); if (desc) th.click(); }
    });
  }
})();
)JS";
}  // namespace

std::string sweep_report_html(const json& results) {
    const std::string name = results.value("sweep", "");
    const json& s = results.contains("summary") ? results["summary"] : json::object();
    std::string body = "<h1>trainvp sweep: " + esc(name) + "</h1>\n<table id=\"summary\">";
    body += row("sweep file", results.value("sweep_file", ""));
    body += row("command", results.value("command", ""));
    body += row("points", std::to_string(results.value("points", json::array()).size()));
    body += row("ok / failed / missing", std::to_string(s.value("ok", 0)) + " / " +
                                             std::to_string(s.value("failed", 0)) + " / " +
                                             std::to_string(s.value("missing", 0)));
    body +=
        "</table>\n<h2>Two figures and their Pareto front</h2>\n"
        "<p>x <select id=\"x-figure\"></select> <select id=\"x-better\"><option value=\"lower\">lower is "
        "better</option><option value=\"higher\">higher is better</option></select> &nbsp; y <select "
        "id=\"y-figure\"></select> <select id=\"y-better\"><option value=\"lower\">lower is "
        "better</option><option value=\"higher\">higher is better</option></select></p>\n"
        "<svg id=\"scatter\" class=\"plot scatter\" width=\"660\" height=\"410\"></svg>\n"
        "<p id=\"pareto-list\"></p>\n<h2>Points</h2>\n<p class=\"note\">Click a column's name to sort by "
        "it; click again to reverse.</p>\n<div class=\"wide\"><table id=\"results-table\"></table></div>\n";
    // The data as JSON in the page; "</" is escaped so no value can end the script element.
    std::string data = results.dump();
    for (size_t at = 0; (at = data.find("</", at)) != std::string::npos; at += 3) data.replace(at, 2, "<\\/");
    const std::string script = "<script type=\"application/json\" id=\"sweep-data\">" + data +
                               "</script>\n<script>" + kSweepScript + "</script>\n";
    return page("trainvp sweep " + name, body, script);
}

}  // namespace trainvp
