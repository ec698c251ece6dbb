// Compares the results of two sweeps for the sweep tests:
//   sweep_compare same-results A/results.json B/results.json
// The same columns, the same points in the same order, and every value equal except the wall-clock columns
// (wall_s, report.wall_s) and the host. Prints the first difference; exit 0 when equal, 1 when not, 2 on
// bad input.
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

bool wall_clock(const std::string& column) {
    return column == "wall_s" || column == "report.wall_s" || column == "host";
}

int same_results(const json& a, const json& b) {
    if (a.at("columns") != b.at("columns")) {
        std::printf("FAIL: the columns differ:\n  %s\n  %s\n", a["columns"].dump().c_str(),
                    b["columns"].dump().c_str());
        return 1;
    }
    const json& pa = a.at("points");
    const json& pb = b.at("points");
    if (pa.size() != pb.size()) {
        std::printf("FAIL: %zu points against %zu\n", pa.size(), pb.size());
        return 1;
    }
    size_t compared = 0;
    for (size_t i = 0; i < pa.size(); ++i) {
        for (const auto& col : a["columns"]) {
            const std::string c = col.get<std::string>();
            if (wall_clock(c)) continue;
            if (pa[i].value(c, json()) != pb[i].value(c, json())) {
                std::printf("FAIL: point %zu column %s: %s against %s\n", i, c.c_str(),
                            pa[i].value(c, json()).dump().c_str(), pb[i].value(c, json()).dump().c_str());
                return 1;
            }
            ++compared;
        }
    }
    if (compared == 0) {
        std::printf("FAIL: nothing compared\n");
        return 1;
    }
    std::printf("same results: %zu points, %zu values compared\n", pa.size(), compared);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4 || std::string(argv[1]) != "same-results") {
        std::fprintf(stderr, "usage: sweep_compare same-results A.json B.json\n");
        return 2;
    }
    try {
        return same_results(load(argv[2]), load(argv[3]));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sweep_compare: %s\n", e.what());
        return 2;
    }
}
