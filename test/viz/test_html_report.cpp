// The run page's energy and area from a hand-made report: the bars appear when the report has them (in the
// layout of issue 11's energy section), a note when it has none.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "html_report.h"

using namespace trainvp;
using nlohmann::json;

namespace {
json report_with_layers() {
    json layers = json::array();
    layers.push_back({{"id", 0},
                      {"name", "conv1"},
                      {"opcodes",
                       {{"CONV_FWD", {{"phase", "forward"}, {"cycles", 300}}},
                        {"CONV_WGRAD", {{"phase", "weight_grad"}, {"cycles", 100}}}}}});
    layers.push_back(
        {{"id", 1}, {"name", "fc1"}, {"opcodes", {{"FC_FWD", {{"phase", "forward"}, {"cycles", 50}}}}}});
    return {{"scenario", {{"name", "t"}, {"path", "t.yaml"}}},
            {"training", {{"accelerator", {{"per_layer", layers}}}}}};
}

size_t count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}
}  // namespace

TEST_CASE("energy by layer and phase: a bar for every row, dynamic and leakage summed, layers by name") {
    json r = report_with_layers();
    r["energy"] = {{"total_pj", 2.5e6},
                   {"by_layer_phase",
                    {{{"layer", 0}, {"phase", "forward"}, {"dynamic_pj", 10.0}, {"leakage_pj", 2.0}},
                     {{"layer", 0}, {"phase", "weight_grad"}, {"dynamic_pj", 5.0}, {"leakage_pj", 1.0}},
                     {{"layer", 1}, {"phase", "forward"}, {"dynamic_pj", 7.0}, {"leakage_pj", 0.5}}}}};
    r["area"] = {{"total_mm2", 1.25}};
    const std::string html = run_report_html(r, {});
    CHECK(html.find("id=\"energy-by-layer\"") != std::string::npos);
    CHECK(html.find("id=\"no-energy\"") == std::string::npos);
    CHECK(html.find("<title>conv1 forward: 12 pJ</title>") != std::string::npos);
    CHECK(html.find("<title>conv1 weight_grad: 6 pJ</title>") != std::string::npos);
    CHECK(html.find("<title>fc1 forward: 7.5 pJ</title>") != std::string::npos);
    CHECK(count(html, "class=\"bar\"") == 3 + 3);  // the cycles' three bars and the energy's three
    CHECK(html.find("<td>2.5 uJ</td>") != std::string::npos);
    CHECK(html.find("<td>1.25 mm2</td>") != std::string::npos);
}

TEST_CASE("no energy section: the cycles alone and a note") {
    const std::string html = run_report_html(report_with_layers(), {});
    CHECK(html.find("id=\"no-energy\"") != std::string::npos);
    CHECK(html.find("id=\"energy-by-layer\"") == std::string::npos);
    CHECK(html.find("<title>conv1 forward: 300 cycles</title>") != std::string::npos);
    CHECK(count(html, "class=\"bar\"") == 3);
    CHECK(html.find("id=\"no-timeline\"") != std::string::npos);  // no events: no timeline, a note
}

TEST_CASE("a value that would end the sweep page's data script is escaped") {
    const json results = {{"sweep", "s"},
                          {"columns", {"point", "error"}},
                          {"points", {{{"point", 0}, {"error", "</script><script>alert(1)</script>"}}}}};
    const std::string html = sweep_report_html(results);
    CHECK(html.find("</script><script>alert") == std::string::npos);
    CHECK(html.find("<\\/script><script>alert(1)<\\/script>") != std::string::npos);
}
