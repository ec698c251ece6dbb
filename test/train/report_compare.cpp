// Compares two `trainvp run` training reports (report.json) for the end-to-end tests (train-e2e.sh):
//   report_compare same A B     identical apart from the wall-clock object `wall`
//   report_compare speed A B    identical apart from `wall` and the configuration's simulation-speed
//                               switches (hardware.dma.dmi): they must not change any result or time
//   report_compare reproduced A B  identical apart from `wall` and the scenario's path (a run of a scenario
//                               and a run of its --dump-config); `config` must be the resolved object
//   report_compare timing A B   same training results (per-epoch figures, loss curve, final weights hash)
//                               but different accelerator cycles and simulated time
//   report_compare get A POINTER    prints the value at the JSON pointer (strings without quotes); exit 1
//                               when A has no such value (the shell tests read reports with it)
//   report_compare golden A B   two golden.json summaries of `trainvp golden`, identical apart from their
//                               wall-clock fields (seconds, cpu_seconds, images_per_second)
// Prints what it checked and the first difference; exit 0 on success, 1 on a difference, 2 on bad input.
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

using nlohmann::json;

namespace {

json load(const char* path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(std::string(path) + ": cannot open");
    return json::parse(in);
}

// The JSON pointer of the first difference between a and b, or "" when equal.
std::string first_difference(const json& a, const json& b, const std::string& at = "") {
    if (a.type() != b.type()) return at.empty() ? "/" : at;
    if (a.is_object()) {
        for (auto it = a.begin(); it != a.end(); ++it) {
            if (!b.contains(it.key())) return at + "/" + it.key();
            const std::string d = first_difference(it.value(), b[it.key()], at + "/" + it.key());
            if (!d.empty()) return d;
        }
        for (auto it = b.begin(); it != b.end(); ++it)
            if (!a.contains(it.key())) return at + "/" + it.key();
        return "";
    }
    if (a.is_array()) {
        if (a.size() != b.size())
            return at + " (sizes " + std::to_string(a.size()) + ", " + std::to_string(b.size()) + ")";
        for (size_t i = 0; i < a.size(); ++i) {
            const std::string d = first_difference(a[i], b[i], at + "/" + std::to_string(i));
            if (!d.empty()) return d;
        }
        return "";
    }
    return a == b ? "" : (at.empty() ? "/" : at);
}

int fail(const std::string& what) {
    std::printf("FAIL: %s\n", what.c_str());
    return 1;
}

}  // namespace

// `get`: the value at a JSON pointer of one report.
int get(const char* path, const char* pointer) {
    json j;
    try {
        j = load(path);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "report_compare: %s: %s\n", path, e.what());
        return 2;
    }
    json v;
    try {
        v = j.at(json::json_pointer(pointer));
    } catch (const std::exception&) {
        std::fprintf(stderr, "report_compare: %s has no %s\n", path, pointer);
        return 1;
    }
    std::printf("%s\n", v.is_string() ? v.get<std::string>().c_str() : v.dump().c_str());
    return 0;
}

int main(int argc, char* argv[]) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: report_compare same|speed|reproduced|timing|golden A.json B.json | get A.json POINTER\n");
        return 2;
    }
    const std::string mode = argv[1];
    if (mode == "get") return get(argv[2], argv[3]);
    if (mode != "same" && mode != "speed" && mode != "reproduced" && mode != "timing" && mode != "golden") {
        std::fprintf(stderr, "report_compare: unknown mode '%s'\n", mode.c_str());
        return 2;
    }
    json a, b;
    try {
        a = load(argv[2]);
        b = load(argv[3]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "report_compare: %s\n", e.what());
        return 2;
    }
    if (mode == "golden") {
        for (json* g : {&a, &b}) {
            if (!g->contains("epochs") || !g->contains("final")) return fail("not a golden.json summary");
            for (const char* k : {"wall_seconds", "train_seconds", "train_cpu_seconds", "images_per_second"})
                g->erase(k);
            for (json& e : (*g)["epochs"])
                for (const char* k : {"seconds", "cpu_seconds", "images_per_second"}) e.erase(k);
        }
        const std::string d = first_difference(a, b);
        if (!d.empty()) return fail("golden summaries differ at " + d);
        std::printf("PASS: golden summaries identical apart from wall-clock fields (%zu epochs)\n",
                    a["epochs"].size());
        return 0;
    }
    for (const json* r : {&a, &b})
        if (!r->contains("training") || !(*r)["training"].value("completed", false))
            return fail("a report has no completed training");
    if (mode == "reproduced") {
        for (json* r : {&a, &b}) {
            if (!(*r)["config"].is_object() || !(*r)["config"].contains("network"))
                return fail("a report's config is not the resolved configuration object");
            (*r)["scenario"].erase("path");
        }
    }
    if (mode == "speed") {
        for (json* r : {&a, &b}) {
            if (!(*r)["config"].is_object() || !(*r)["config"]["hardware"]["dma"].contains("dmi"))
                return fail("a report's config has no hardware.dma.dmi");
            (*r)["config"]["hardware"]["dma"].erase("dmi");
        }
    }
    if (mode == "same" || mode == "speed" || mode == "reproduced") {
        a.erase("wall");
        b.erase("wall");
        const std::string d = first_difference(a, b);
        if (!d.empty()) return fail("reports differ at " + d);
        std::printf("PASS: reports identical apart from wall (%zu steps, %s)\n",
                    a["training"]["loss_curve"]["per_step"].size(),
                    a["training"]["weights"]["fnv1a64"].get<std::string>().c_str());
        return 0;
    }
    if (mode == "timing") {
        const json& ta = a["training"];
        const json& tb = b["training"];
        for (const char* key : {"epochs", "loss_curve", "final_test_accuracy", "images"}) {
            const std::string d = first_difference(ta[key], tb[key], std::string("/training/") + key);
            if (!d.empty()) return fail("training results differ at " + d);
        }
        if (ta["weights"]["fnv1a64"] != tb["weights"]["fnv1a64"]) return fail("final weights differ");
        const uint64_t ca = ta["accelerator"]["cycles"], cb = tb["accelerator"]["cycles"];
        if (ca == cb) return fail("accelerator cycles unchanged: " + std::to_string(ca));
        if (a["simulated_time_s"] == b["simulated_time_s"]) return fail("simulated time unchanged");
        std::printf(
            "PASS: same results and weights (%s); accelerator cycles %llu -> %llu, simulated %.6f -> %.6f "
            "s\n",
            ta["weights"]["fnv1a64"].get<std::string>().c_str(), static_cast<unsigned long long>(ca),
            static_cast<unsigned long long>(cb), a["simulated_time_s"].get<double>(),
            b["simulated_time_s"].get<double>());
        return 0;
    }
    std::fprintf(stderr, "report_compare: unknown mode '%s'\n", mode.c_str());
    return 2;
}
