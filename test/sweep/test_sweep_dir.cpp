// What `trainvp sweep` makes of the points without running them: each point's resolved scenario and its
// checks, the sweep directory's files, results.csv/json, Slurm's array ranges, and the docs listing every
// key and column.
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <sstream>

#include "common/error.h"
#include "sweep_layout.h"
#include "sweep_points.h"
#include "sweep_results.h"
#include "sweep_slurm.h"
#include "sweep_spec.h"
#include "sweep_test_util.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace trainvp;
using namespace sweep_test;

TEST_CASE("a point's scenario: the overrides applied to a copy of the base") {
    const SweepSpec spec = parse(
        inline_sweep("set: {training.epochs: 2}\naxes:\n  - {key: hardware.array.rows, values: [8, 16]}\n"));
    const SweepPlan plan = plan_sweep(spec);
    const YAML::Node p1 = point_scenario(spec, plan.points[1]);
    CHECK(p1["hardware"]["array"]["rows"].Scalar() == "16");
    CHECK(p1["training"]["epochs"].Scalar() == "2");
    CHECK(p1["name"].Scalar() == "b");
    CHECK_FALSE(spec.base["hardware"]);  // the base is untouched
    CHECK_FALSE(spec.base["training"]);
}

TEST_CASE("a point's scenario resolved as --dump-config prints it, reproducible from any directory") {
    TempDir t;
    for (const char* f : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                          "t10k-labels-idx1-ubyte"})
        write(t.path / "scen/data" / f, "");
    write(t.path / "scen/fw/app.elf", "");
    write(t.path / "scen/base.yaml",
          "name: base\nfirmware: fw/app.elf\nhardware: {array: {rows: 4, cols: 4}}\n"
          "network: {preset: lenet5}\ndata: {kind: mnist, dir: data}\n");
    write(t.path / "s.yaml",
          "base: scen/base.yaml\nset: {training.epochs: 2}\naxes:\n"
          "  - {key: hardware.array.rows, values: [8, 16]}\n");
    const SweepSpec spec = load_sweep_file((t.path / "s.yaml").string());
    const SweepPoint p = plan_sweep(spec).points.at(1);
    const std::string resolved = resolve_point_scenario(spec, p, point_scenario(spec, p));
    const YAML::Node r = YAML::Load(resolved);
    CHECK(r["hardware"]["array"]["rows"].as<int>() == 16);
    CHECK(r["hardware"]["array"]["cols"].as<int>() == 4);
    CHECK(r["training"]["epochs"].as<int>() == 2);
    CHECK(r["firmware"].Scalar() == (t.path / "scen/fw/app.elf").string());
    CHECK(r["data"]["train_images"].Scalar() == (t.path / "scen/data/train-images-idx3-ubyte").string());
    CHECK(r["network"]["layers"].size() == 11);  // the preset written out
    CHECK(r["cpu"]["clock_hz"]);                 // defaults too: every key
    // The resolved text as a base resolves to itself: it needs nothing from the base's directory.
    write(t.path / "elsewhere/point.yaml", resolved);
    write(t.path / "s2.yaml", "base: elsewhere/point.yaml\n");
    const SweepSpec again = load_sweep_file((t.path / "s2.yaml").string());
    const SweepPoint q = plan_sweep(again).points.at(0);
    CHECK(resolve_point_scenario(again, q, point_scenario(again, q)) == resolved);
    const std::string text = point_scenario_text(spec, p, resolved);
    CHECK_THAT(text, Catch::Matchers::Contains("#   --set hardware.array.rows=16\n"));
    CHECK(text.substr(text.size() - resolved.size()) == resolved);
}

TEST_CASE("a point's scenario is checked before anything runs, errors name the axis line") {
    TempDir t;
    const std::string base = std::string(TRAINVP_DOCS_DIR) + "/../scenarios/quick.yaml";
    auto check_all = [&](const std::string& body) {
        write(t.path / "s.yaml", "base: " + base + "\ncommand: golden\n" + body);
        const SweepSpec spec = load_sweep_file((t.path / "s.yaml").string());
        for (const auto& p : plan_sweep(spec).points)
            resolve_point_scenario(spec, p, point_scenario(spec, p));
    };
    const std::string file = (t.path / "s.yaml").string();
    CHECK_NOTHROW(check_all("axes:\n  - {key: hardware.array.rows, values: [8, 16]}\n"));
    CHECK_THROWS_WITH(check_all("axes:\n  - {key: hardware.array.rows, values: [8, 0]}\n"),
                      Catch::Matchers::StartsWith(
                          file + ":4: point 0001-rows=0: --set: key 'hardware.array.rows': 0 is out "
                                 "of range") &&
                          Catch::Matchers::EndsWith("(a constraint can drop such points)"));
    CHECK_THROWS_WITH(
        check_all("set: {training.epochs: 1}\naxes:\n  - {key: hardware.array.rowz, values: [8]}\n"),
        Catch::Matchers::StartsWith(file + ":5: point 0000-rowz=8: --set: key 'hardware.array.rowz': "
                                           "unknown key (did you mean 'hardware.array.rows'?)"));
    CHECK_THROWS_WITH(check_all("set: {training.batch: 0}\n"),
                      Catch::Matchers::StartsWith(file + ":3: point 0000: ") &&
                          Catch::Matchers::Contains("'training.batch'") &&
                          !Catch::Matchers::Contains("constraint"));
    CHECK_THROWS_WITH(
        check_all("set: {hardware.array.rows.x: 1}\n"),
        Catch::Matchers::StartsWith(file + ":3: point 0000: --set: key 'hardware.array.rows.x': "
                                           "'hardware.array.rows' is a single value, not a section"));
}

TEST_CASE("a run point's firmware must exist") {
    TempDir t;
    write(t.path / "s.yaml", "base: {name: b, firmware: no/such.elf}\n");
    const SweepSpec spec = load_sweep_file((t.path / "s.yaml").string());
    const SweepPoint p = plan_sweep(spec).points.at(0);
    CHECK_THROWS_WITH(resolve_point_scenario(spec, p, point_scenario(spec, p)),
                      Catch::Matchers::Contains("point 0000: ") &&
                          Catch::Matchers::Contains("firmware 'no/such.elf' not found"));
}

TEST_CASE("a point's arguments and fingerprint") {
    CHECK(point_args("run", {"--no-progress"}) ==
          std::vector<std::string>{"run", "scenario.yaml", "--report", "report.json", "--no-progress"});
    CHECK(point_args("golden", {}) ==
          std::vector<std::string>{"golden", "scenario.yaml", "--out", "report.json", "--no-progress"});
    const SweepSpec spec = parse(inline_sweep("axes:\n  - {key: a.b, values: [1, 2]}\n"));
    const SweepPlan plan = plan_sweep(spec);
    const PointEntry e1 = make_point_entry(spec, plan.points[0], "a: 1\n");
    CHECK(e1.fingerprint == make_point_entry(spec, plan.points[0], "a: 1\n").fingerprint);
    CHECK(e1.fingerprint != make_point_entry(spec, plan.points[0], "a: 2\n").fingerprint);
    CHECK(e1.fingerprint.size() == 16);
    CHECK(e1.axes == std::vector<std::pair<std::string, std::string>>{{"a.b", "1"}});
}

TEST_CASE("the failure line of a point's log") {
    TempDir t;
    write(t.path / "log",
          "trainvp: training 11 layers\nsome output\ntrainvp: error: data/mnist: cannot open\n"
          "trainvp: run summary\n  simulated time 0\n");
    CHECK(failure_line((t.path / "log").string()) == "trainvp: error: data/mnist: cannot open");
    write(t.path / "log2", "out\ntrainvp: firmware exited with code 3\n\n");
    CHECK(failure_line((t.path / "log2").string()) == "trainvp: firmware exited with code 3");
    write(t.path / "log3", "progress\r50%\rcrashed here\n   \n");
    CHECK(failure_line((t.path / "log3").string()) == "crashed here");
    write(t.path / "log4", std::string(400, 'x') + "\n");
    CHECK(failure_line((t.path / "log4").string()).size() == 300);
}

TEST_CASE("the sweep directory: manifest round trip, a prepared point starts clean, status last") {
    TempDir t;
    const SweepDir dir((t.path / "out").string());
    SweepManifest m;
    m.sweep_file = "/x/s.yaml";
    m.name = "s";
    m.command = "run";
    m.axes = {{"a.b", "b"}};
    m.product = 3;
    m.dropped = 1;
    PointEntry e;
    e.index = 0;
    e.dir = "0000-b=1";
    e.axes = {{"a.b", "1"}};
    e.args = {"run", "scenario.yaml"};
    e.fingerprint = "00112233445566ff";
    m.points = {e};
    dir.write_manifest(m, "base: x\n");
    const SweepManifest r = dir.read_manifest();
    CHECK(r.points.at(0).dir == "0000-b=1");
    CHECK(r.points.at(0).axes == e.axes);
    CHECK(r.points.at(0).args == e.args);
    CHECK(r.dropped == 1);
    CHECK(slurp(t.path / "out/sweep.yaml") == "base: x\n");

    write(t.path / "out/points/0000-b=1/status.json", "{}");
    write(t.path / "out/points/0000-b=1/report.json", "{half");
    dir.prepare_point(e, "# header\na: 1\n", "/bin/trainvp");
    CHECK_FALSE(fs::exists(t.path / "out/points/0000-b=1/status.json"));
    CHECK_FALSE(fs::exists(t.path / "out/points/0000-b=1/report.json"));
    CHECK(slurp(t.path / "out/points/0000-b=1/cmd") ==
          "cd " + (t.path / "out/points/0000-b=1").string() + " && /bin/trainvp run scenario.yaml\n");
    CHECK_FALSE(dir.read_status("0000-b=1"));
    PointStatus s;
    s.fingerprint = e.fingerprint;
    s.exit_code = 2;
    s.error = "trainvp: error: x";
    dir.write_status("0000-b=1", s);
    const auto back = dir.read_status("0000-b=1");
    REQUIRE(back);
    CHECK(back->exit_code == 2);
    CHECK(back->error == "trainvp: error: x");
    CHECK_FALSE(back->ok());
    write(t.path / "out/points/0000-b=1/status.json", "{truncated");
    CHECK_FALSE(dir.read_status("0000-b=1"));  // unreadable counts as unfinished
}

TEST_CASE("figures of a report: values, phases, subtrees, the last epoch, absent paths skipped") {
    const json report = json::parse(R"({
        "simulated_time_s": 0.5,
        "accelerator": {"total": {"cycles": 100, "stall_cycles": {"dma": 3, "fill_drain": 4},
                                  "buffers": {"weight": {"read_bytes": 8}}}},
        "training": {"accelerator": {"per_layer": [
                        {"opcodes": {"CONV_FWD": {"phase": "forward", "cycles": 10},
                                     "CONV_WGRAD": {"phase": "weight_grad", "cycles": 5}}},
                        {"opcodes": {"FC_FWD": {"phase": "forward", "cycles": 7},
                                     "MYSTERY": {"phase": "zeta", "cycles": 1},
                                     "DMA_COPY": {"phase": "copy", "cycles": 2}}}]},
                     "epochs": [{"test_accuracy": 0.5}, {"test_accuracy": 0.75, "train_loss": 1.5}]},
        "wall": {"seconds": 2.0}})");
    std::vector<std::string> names;
    std::map<std::string, json> v;
    for (const auto& [n, x] : report_figures(report)) {
        names.push_back(n);
        v[n] = x;
    }
    CHECK(names == std::vector<std::string>{
                       "simulated_time_s", "accel.cycles", "accel.cycles.forward", "accel.cycles.weight_grad",
                       "accel.cycles.copy", "accel.cycles.zeta", "accel.stall_cycles.dma",
                       "accel.stall_cycles.fill_drain", "buffer.weight.read_bytes",
                       "train.final_test_accuracy", "train.final_train_loss", "report.wall_s"});
    CHECK(v["accel.cycles.forward"] == 17);
    CHECK(v["train.final_test_accuracy"] == 0.75);
    // A section a later report adds under a listed subtree becomes columns by itself.
    json with_energy = report;
    with_energy["energy"] = {
        {"total_j", 1.25}, {"by_phase", {{"forward_j", 0.5}}}, {"per_layer", json::array({1, 2})}};
    bool total = false, nested = false, array = false;
    for (const auto& [n, x] : report_figures(with_energy)) {
        total = total || (n == "energy.total_j" && x == 1.25);
        nested = nested || (n == "energy.by_phase.forward_j" && x == 0.5);
        array = array || n.rfind("energy.per_layer", 0) == 0;
    }
    CHECK(total);
    CHECK(nested);
    CHECK_FALSE(array);
}

TEST_CASE("results.csv and results.json: one row per point, columns from any point, missing points marked") {
    TempDir t;
    const SweepDir dir((t.path / "out").string());
    SweepManifest m;
    m.sweep_file = "/x/s.yaml";
    m.name = "s";
    m.command = "run";
    m.axes = {{"a.rows", "rows"}, {"a.fmt", "fmt"}};
    for (size_t i = 0; i < 4; ++i) {
        PointEntry e;
        e.index = i;
        e.dir = "000" + std::to_string(i);
        e.axes = {{"a.rows", std::to_string(8 << i)}, {"a.fmt", i == 1 ? "fx12,sr" : "fx16"}};
        e.fingerprint = "f" + std::to_string(i);
        m.points.push_back(e);
    }
    dir.write_manifest(m, "");
    auto status = [&](size_t i, int code, const std::string& fp) {
        PointStatus s;
        s.fingerprint = fp;
        s.exit_code = code;
        s.error = code ? "trainvp: error: \"bad\", really" : "";
        s.wall_s = 1.5;
        s.host = "h";
        fs::create_directories(dir.point(m.points[i].dir));
        dir.write_status(m.points[i].dir, s);
    };
    status(0, 0, "f0");
    write(t.path / "out/points/0000/report.json",
          R"({"simulated_time_s": 0.25, "accelerator": {"total": {"cycles": 9}}})");
    status(1, 0, "f1");
    write(
        t.path / "out/points/0001/report.json",
        R"({"simulated_time_s": 0.5, "energy": {"total_j": 2.0}, "accelerator": {"total": {"cycles": 7}}})");
    status(2, 1, "f2");
    status(3, 0, "stale");  // from an earlier version of the sweep: counts as not run
    const ResultsSummary r = write_results(dir, m);
    CHECK(r.ok == 2);
    CHECK(r.failed == 1);
    CHECK(r.missing == 1);
    const std::string csv = slurp(t.path / "out/results.csv");
    std::istringstream lines(csv);
    std::string header, row0, row1, row2, row3;
    std::getline(lines, header);
    std::getline(lines, row0);
    std::getline(lines, row1);
    std::getline(lines, row2);
    std::getline(lines, row3);
    CHECK(header ==
          "point,dir,a.rows,a.fmt,status,exit_code,error,simulated_time_s,accel.cycles,energy.total_j,wall_s,"
          "host");
    CHECK(row0 == "0,0000,8,fx16,ok,0,,0.25,9,,1.5,h");
    CHECK(row1 == "1,0001,16,\"fx12,sr\",ok,0,,0.5,7,2.0,1.5,h");
    CHECK(row2 == "2,0002,32,fx16,failed,1,\"trainvp: error: \"\"bad\"\", really\",,,,1.5,h");
    CHECK(row3 == "3,0003,64,fx16,missing,,,,,,,");
    const json j = json::parse(slurp(t.path / "out/results.json"));
    CHECK(j["points"].size() == 4);
    CHECK(j["points"][1]["a.rows"] == 16);  // numbers as numbers
    CHECK(j["points"][1]["a.fmt"] == "fx12,sr");
    CHECK(j["points"][1]["energy.total_j"] == 2.0);
    CHECK(j["points"][0]["energy.total_j"].is_null());
    CHECK(j["summary"]["missing"] == 1);
    CHECK(j["columns"].size() == 12);
}

TEST_CASE("Slurm array ranges") {
    CHECK(compress_indices({}) == "");
    CHECK(compress_indices({3}) == "3");
    CHECK(compress_indices({0, 1, 2, 3, 7, 9, 10, 11, 12}) == "0-3,7,9-12");
    CHECK(compress_indices({1, 3, 5}) == "1,3,5");
}

TEST_CASE("docs/exploration.md documents every sweep-file key and every results column") {
    const std::string doc = slurp(fs::path(TRAINVP_DOCS_DIR) / "exploration.md");
    REQUIRE_FALSE(doc.empty());
    for (const char* key : {"name", "description", "base", "command", "set", "axes", "key", "values", "range",
                            "log2_range", "zip", "constraints", "sample", "count", "seed", "options"}) {
        INFO(key);
        CHECK(doc.find("`" + std::string(key) + "`") != std::string::npos);
    }
    for (const auto& f : sweep_figures()) {
        INFO(f.column);
        CHECK(doc.find("`" + std::string(f.column)) != std::string::npos);
    }
    for (const char* col : {"point", "dir", "status", "exit_code", "error", "wall_s", "host"}) {
        INFO(col);
        CHECK(doc.find("`" + std::string(col) + "`") != std::string::npos);
    }
}
