// The parts of `trainvp sweep` that need no process: the constraint language, the sweep file and its errors,
// the points (product order, ranges, zip, constraints, sampling), each point's scenario, results.csv/json,
// Slurm's array ranges, and the docs listing every key and column.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/error.h"
#include "sweep_expr.h"
#include "sweep_layout.h"
#include "sweep_points.h"
#include "sweep_results.h"
#include "sweep_slurm.h"
#include "sweep_spec.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace trainvp;

namespace {

bool eval(const std::string& text, const std::map<std::string, std::string>& vars = {}) {
    const SweepExpr e(text, [&](const std::string& n) { return vars.count(n) > 0; });
    return e.holds([&](const std::string& n) { return SweepValue::parse(vars.at(n)); });
}

std::string expr_error(const std::string& text, const std::map<std::string, std::string>& vars = {}) {
    try {
        eval(text, vars);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

SweepSpec parse(const std::string& yaml, const std::string& file = "t/sweep.yaml") {
    return parse_sweep(YAML::Load(yaml), file);
}

std::string parse_error(const std::string& yaml) {
    try {
        parse(yaml);
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

// A sweep over an inline base with the given body.
std::string inline_sweep(const std::string& body) {
    return "base: {name: b}\n" + body;
}

std::vector<std::string> dirs(const SweepPlan& plan) {
    std::vector<std::string> out;
    for (const auto& p : plan.points) out.push_back(p.dir);
    return out;
}

struct TempDir {
    fs::path path;
    TempDir() {
        char t[] = "/tmp/test-sweep-XXXXXX";
        path = ::mkdtemp(t);
    }
    ~TempDir() { fs::remove_all(path); }
};

void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("constraint expressions: arithmetic, comparison, logic and precedence") {
    CHECK(eval("1 + 2 * 3 == 7"));
    CHECK(eval("(1 + 2) * 3 == 9"));
    CHECK(eval("7 / 2 == 3.5"));
    CHECK(eval("10 % 4 == 2"));
    CHECK(eval("-3 + 5 == 2"));
    CHECK(eval("2 - 3 - 4 == -5"));  // left to right
    CHECK(eval("!0"));
    CHECK_FALSE(eval("!1"));
    CHECK(eval("1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 3 && 1 != 2"));
    CHECK_FALSE(eval("2 < 2"));
    CHECK(eval("0 || 1"));
    CHECK_FALSE(eval("0 || 0"));
    CHECK(eval("1 || 0 && 0"));  // && binds tighter
    CHECK(eval("true && !false"));
    CHECK(eval("1e3 == 1000"));
    CHECK(eval("64KiB == 65536 && 1MiB == 1024 * 1K"));
}

TEST_CASE("constraint expressions read axis values, numbers and strings") {
    const std::map<std::string, std::string> v = {
        {"hardware.array.rows", "16"}, {"cols", "32"}, {"dataflow", "os"}, {"size", "32KiB"}};
    CHECK(eval("hardware.array.rows * cols <= 1024", v));
    CHECK_FALSE(eval("hardware.array.rows * cols < 512", v));
    CHECK(eval("dataflow == 'os' && dataflow != \"ws\"", v));
    CHECK_FALSE(eval("dataflow == 16", v));
    CHECK(eval("size <= 64KiB && size == 32768", v));
    // && and || skip their right side: no division by zero here.
    CHECK_FALSE(eval("0 && 1 / 0"));
    CHECK(eval("1 || 1 / 0"));
}

TEST_CASE("constraint expressions refuse bad input with the column") {
    const std::map<std::string, std::string> v = {{"rows", "16"}, {"dataflow", "os"}};
    CHECK(expr_error("rows *", v) == "expression ends early at column 7");
    CHECK(expr_error("rows = 16", v) == "unexpected '=' (compare with ==) at column 6");
    CHECK(expr_error("(rows", v) == "expected ')' at column 6");
    CHECK(expr_error("'abc", v) == "unterminated string at column 1");
    CHECK(expr_error("rows 16", v) == "unexpected '1' at column 6");
    CHECK(expr_error("", v) == "empty expression at column 1");
    CHECK(expr_error("3x", v) == "unknown number suffix 'x' at column 2");
    CHECK(expr_error("rowz > 1", v) == "'rowz' is not an axis or a set: key at column 1");
    CHECK(expr_error("rows & 1", v) == "unexpected '&' at column 6");
    CHECK(expr_error("rows / 0 > 1", v) == "division by zero");
    CHECK(expr_error("rows % 0 > 1", v) == "remainder by zero");
    CHECK(expr_error("dataflow * 2 > 1", v) == "'*' applied to the string 'os'");
    CHECK(expr_error("dataflow < 'ws'", v) == "'<' applied to the string 'os'");
    CHECK(expr_error("dataflow", v) == "the result is the string 'os', not a comparison");
    CHECK(expr_error(std::string(100, '(') + "1" + std::string(100, ')'), v).rfind("nested too deeply", 0) ==
          0);
    CHECK(expr_error(std::string(100, '-') + "1", v).rfind("nested too deeply", 0) == 0);
}

TEST_CASE("sweep values: numbers with size suffixes, anything else a string") {
    CHECK(SweepValue::parse("16").is_number);
    CHECK(SweepValue::parse("-2.5").number == -2.5);
    CHECK(SweepValue::parse("128KiB").number == 131072);
    CHECK(SweepValue::parse("2M").number == 2097152);
    CHECK_FALSE(SweepValue::parse("os").is_number);
    CHECK_FALSE(SweepValue::parse("fx16:sr").is_number);
    CHECK_FALSE(SweepValue::parse("16x").is_number);
    CHECK_FALSE(SweepValue::parse("nan").is_number);
}

TEST_CASE("a sweep file: every key read") {
    const SweepSpec s = parse(
        "name: demo\n"
        "description: d\n"
        "base: {name: b, hardware: {array: {rows: 4}}}\n"
        "command: golden\n"
        "set: {training.epochs: 1, data.train_limit: 64}\n"
        "axes:\n"
        "  - {key: hardware.array.rows, name: r, values: [8, 16]}\n"
        "  - {key: hardware.array.cols, values: [8, 16]}\n"
        "  - {key: hardware.weight_buffer.size, log2_range: {from: 16KiB, to: 64KiB}}\n"
        "  - {key: ram.bytes_per_ns, range: {from: 0.1, to: 0.3, step: 0.1}}\n"
        "zip: [[r, cols]]\n"
        "constraints: [\"r * cols <= 256\"]\n"
        "sample: {count: 3, seed: 7}\n"
        "options: [--max-sim-time, 5s]\n");
    CHECK(s.name == "demo");
    CHECK(s.command == "golden");
    CHECK(s.base_file.empty());
    CHECK(s.sets.size() == 2);
    CHECK(s.sets[1].key == "data.train_limit");
    CHECK(s.sets[1].value == "64");
    REQUIRE(s.axes.size() == 4);
    CHECK(s.axes[0].name == "r");
    CHECK(s.axes[1].name == "cols");  // the key's last segment by default
    CHECK(s.axes[2].values == std::vector<std::string>{"16KiB", "32KiB", "64KiB"});
    CHECK(s.axes[3].values == std::vector<std::string>{"0.1", "0.2", "0.3"});
    CHECK(s.axes[3].line == 10);
    REQUIRE(s.dims.size() == 3);  // r and cols zipped
    CHECK(s.dims[0] == std::vector<size_t>{0, 1});
    CHECK(s.constraints.size() == 1);
    CHECK(s.constraints[0].line == 12);
    REQUIRE(s.sample);
    CHECK(s.sample->count == 3);
    CHECK(s.sample->seed == 7);
    CHECK(s.options == std::vector<std::string>{"--max-sim-time", "5s"});
}

TEST_CASE("a sweep file: default names and a base file") {
    TempDir t;
    write(t.path / "scen/base.yaml", "name: base\nhardware: {array: {rows: 4}}\n");
    write(t.path / "sweeps/s.yaml",
          "base: ../scen/base.yaml\n"
          "axes:\n"
          "  - {key: hardware.weight_buffer.size, values: [1KiB]}\n"
          "  - {key: hardware.activation_buffer.size, values: [2KiB]}\n"
          "  - {key: hardware.array.rows, values: [4]}\n");
    const SweepSpec s = load_sweep_file((t.path / "sweeps/s.yaml").string());
    CHECK(s.name == "s");
    CHECK(s.command == "run");
    CHECK(s.base_file == (t.path / "scen/base.yaml").string());
    CHECK(s.base_dir == (t.path / "scen").string());
    // Two axes end in "size": both keep their whole key.
    CHECK(s.axes[0].name == "hardware.weight_buffer.size");
    CHECK(s.axes[1].name == "hardware.activation_buffer.size");
    CHECK(s.axes[2].name == "rows");
}

TEST_CASE("a sweep file: every error names the file, line and key") {
    using Catch::Matchers::Contains;
    using Catch::Matchers::StartsWith;
    CHECK_THAT(parse_error("base: {name: b}\naxis: []\n"),
               StartsWith("t/sweep.yaml:2: key 'axis': unknown key"));
    CHECK_THAT(parse_error("axes: []\n"), StartsWith("t/sweep.yaml: key 'base': missing"));
    CHECK_THAT(
        parse_error("base: nowhere.yaml\n"),
        StartsWith("t/sweep.yaml:1: key 'base': scenario file '") && Contains("nowhere.yaml' not found"));
    CHECK_THAT(parse_error(inline_sweep("command: simulate\n")),
               StartsWith("t/sweep.yaml:2: key 'command': 'simulate' is not one of: run, golden, estimate"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - {values: [1]}\n")),
               StartsWith("t/sweep.yaml:3: key 'axes[0]': missing 'key'"));
    CHECK_THAT(
        parse_error(inline_sweep("axes:\n  - {key: a.b, values: [1], range: {from: 1, to: 2, step: 1}}\n")),
        StartsWith("t/sweep.yaml:3: key 'axes[0]': give exactly one of 'values', 'range' or 'log2_range'"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - {key: a.b}\n")),
               StartsWith("t/sweep.yaml:3: key 'axes[0]': give exactly one of"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - key: a.b\n    values: []\n")),
               StartsWith("t/sweep.yaml:4: key 'axes[0].values': expected a non-empty list"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - {key: a.b, values: [1, 2, 1]}\n")),
               StartsWith("t/sweep.yaml:3: key 'axes[0]': value '1' appears twice"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - {key: a..b, values: [1]}\n")),
               StartsWith("t/sweep.yaml:3: key 'axes[0].key': 'a..b' is not a scenario key"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - {key: a.b, name: 'x y', values: [1]}\n")),
               StartsWith("t/sweep.yaml:3: key 'axes[0].name': 'x y' is not a name"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - {key: a.b, bogus: 1, values: [1]}\n")),
               StartsWith("t/sweep.yaml:3: key 'axes[0].bogus': unknown key"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - key: a.b\n    range: {from: 1, to: 4, step: 0}\n")),
               StartsWith("t/sweep.yaml:4: key 'axes[0].range.step': step 0 never reaches 'to'"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - key: a.b\n    range: {from: 1, to: 4, step: -1}\n")),
               StartsWith("t/sweep.yaml:4: key 'axes[0].range.step': step -1 goes away from 'to'"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - key: a.b\n    range: {from: 0, to: 1e9, step: 1}\n")),
               StartsWith("t/sweep.yaml:4: key 'axes[0].range': more than 10000 values"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - key: a.b\n    range: {from: x, to: 4, step: 1}\n")),
               StartsWith("t/sweep.yaml:4: key 'axes[0].range.from': 'x' is not a number"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - key: a.b\n    range: {from: 1, to: 4}\n")),
               StartsWith("t/sweep.yaml:4: key 'axes[0].range': missing 'step'"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - key: a.b\n    log2_range: {from: 0, to: 4}\n")),
               StartsWith("t/sweep.yaml:4: key 'axes[0].log2_range.from': must be greater than 0"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - key: a.b\n    log2_range: {from: 8, to: 4}\n")),
               StartsWith("t/sweep.yaml:4: key 'axes[0].log2_range.to': is below 'from'"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - {key: a.b, values: [1]}\n  - {key: a.b, values: [2]}\n")),
               StartsWith("t/sweep.yaml:4: key 'axes[1].key': 'a.b' is already an axis (axes[0])"));
    CHECK_THAT(parse_error(inline_sweep(
                   "axes:\n  - {key: a.b, values: [1]}\n  - {key: c.b, name: b, values: [2]}\n")),
               StartsWith("t/sweep.yaml:4: key 'axes[1].name': 'b' is already the name of axes[0]"));
    CHECK_THAT(parse_error(inline_sweep("set: {a.b: 1}\naxes:\n  - {key: a.b, values: [1]}\n")),
               StartsWith("t/sweep.yaml:2: key 'set.a.b': is also axis 'b'"));
    CHECK_THAT(parse_error(inline_sweep("set: [a]\n")),
               StartsWith("t/sweep.yaml:2: key 'set': expected a map"));
    const std::string two = "axes:\n  - {key: a.r, values: [1, 2]}\n  - {key: a.c, values: [1, 2, 3]}\n";
    CHECK_THAT(parse_error(inline_sweep(two + "zip: [[r, z]]\n")),
               StartsWith("t/sweep.yaml:5: key 'zip[0]': 'z' is not an axis"));
    CHECK_THAT(parse_error(inline_sweep(two + "zip: [[r, c]]\n")),
               StartsWith("t/sweep.yaml:5: key 'zip[0]': axis 'c' has 3 values, axis 'r' 2"));
    CHECK_THAT(parse_error(inline_sweep(two + "zip: [[r]]\n")),
               StartsWith("t/sweep.yaml:5: key 'zip[0]': expected a list of two or more axis names"));
    CHECK_THAT(
        parse_error(inline_sweep("axes:\n  - {key: a.r, values: [1, 2]}\n  - {key: a.c, values: [1, 2]}\n"
                                 "  - {key: a.d, values: [1, 2]}\nzip: [[r, c], [d, r]]\n")),
        StartsWith("t/sweep.yaml:6: key 'zip[1]': axis 'r' is already in zip[0]"));
    CHECK_THAT(parse_error(inline_sweep(two + "constraints:\n  - r * c <= 4\n  - r *\n")),
               StartsWith("t/sweep.yaml:7: key 'constraints[1]': 'r *': expression ends early at column 4"));
    CHECK_THAT(
        parse_error(inline_sweep(two + "constraints: [rows > 1]\n")),
        StartsWith("t/sweep.yaml:5: key 'constraints[0]': 'rows > 1': 'rows' is not an axis or a set: key"));
    CHECK_THAT(parse_error(inline_sweep("sample: {count: 0}\n")),
               StartsWith("t/sweep.yaml:2: key 'sample.count': '0' is not an integer >= 1"));
    CHECK_THAT(parse_error(inline_sweep("sample: {seed: 3}\n")),
               StartsWith("t/sweep.yaml:2: key 'sample': missing 'count'"));
    CHECK_THAT(parse_error(inline_sweep("sample: {count: 2, sed: 3}\n")),
               StartsWith("t/sweep.yaml:2: key 'sample.sed': unknown key"));
    CHECK_THAT(parse_error(inline_sweep("options: [--no-progress, --report, x.json]\n")),
               StartsWith("t/sweep.yaml:2: key 'options[1]': '--report' is set by the sweep itself"));
    CHECK_THAT(parse_error(inline_sweep("options: [--set=a.b=1]\n")),
               StartsWith("t/sweep.yaml:2: key 'options[0]': '--set' is set by the sweep itself"));
    CHECK_THAT(parse_error(inline_sweep("options: --no-progress\n")),
               StartsWith("t/sweep.yaml:2: key 'options': expected a list"));
    CHECK_THAT(parse_error("- a\n"), StartsWith("t/sweep.yaml: a sweep file is a YAML map"));
}

TEST_CASE("a sweep file that is not YAML names the file and line") {
    TempDir t;
    write(t.path / "bad.yaml", "base: {name: b}\naxes: [\n");
    try {
        load_sweep_file((t.path / "bad.yaml").string());
        FAIL("no error");
    } catch (const UserError& e) {
        CHECK_THAT(e.what(),
                   Catch::Matchers::StartsWith((t.path / "bad.yaml").string() + ":3: invalid YAML"));
    }
    CHECK_THROWS_WITH(load_sweep_file((t.path / "none.yaml").string()),
                      Catch::Matchers::EndsWith("none.yaml: cannot open sweep file"));
}

TEST_CASE("points: the product in file order, the first axis slowest") {
    const SweepPlan plan =
        plan_sweep(parse(inline_sweep("set: {training.epochs: 1}\n"
                                      "axes:\n  - {key: hardware.array.rows, name: rows, values: [8, 16]}\n"
                                      "  - {key: hardware.array.dataflow, values: [os, ws, is]}\n")));
    CHECK(plan.product == 6);
    CHECK(plan.dropped == 0);
    CHECK_FALSE(plan.sampled);
    CHECK(dirs(plan) == std::vector<std::string>{"0000-rows=8,dataflow=os", "0001-rows=8,dataflow=ws",
                                                 "0002-rows=8,dataflow=is", "0003-rows=16,dataflow=os",
                                                 "0004-rows=16,dataflow=ws", "0005-rows=16,dataflow=is"});
    CHECK(plan.points[4].overrides == std::vector<std::string>{"training.epochs=1", "hardware.array.rows=16",
                                                               "hardware.array.dataflow=ws"});
    CHECK(plan.points[4].index == 4);
}

TEST_CASE("points: ranges, powers of two, zip and constraints") {
    const SweepPlan plan = plan_sweep(
        parse(inline_sweep("axes:\n"
                           "  - {key: a.rows, log2_range: {from: 4, to: 32}}\n"
                           "  - {key: a.cols, log2_range: {from: 4, to: 32}}\n"
                           "  - {key: b.size, range: {from: 32KiB, to: 96KiB, step: 32KiB}}\n"
                           "zip: [[rows, cols]]\n"
                           "constraints: [\"rows * cols <= 256 || size == 96KiB\", \"size != 64KiB\"]\n")));
    CHECK(plan.product == 12);  // 4 zipped shapes x 3 sizes
    CHECK(dirs(plan) ==
          std::vector<std::string>{"0000-rows=4,cols=4,size=32KiB", "0001-rows=4,cols=4,size=96KiB",
                                   "0002-rows=8,cols=8,size=32KiB", "0003-rows=8,cols=8,size=96KiB",
                                   "0004-rows=16,cols=16,size=32KiB", "0005-rows=16,cols=16,size=96KiB",
                                   "0006-rows=32,cols=32,size=96KiB"});
    CHECK(plan.dropped == 5);
}

TEST_CASE("points: a constraint that cannot be evaluated names its line and the point") {
    const SweepSpec s =
        parse(inline_sweep("axes:\n  - {key: a.rows, values: [4, 0]}\nconstraints: [\"8 / rows > 1\"]\n"));
    CHECK_THROWS_WITH(plan_sweep(s),
                      "t/sweep.yaml:4: key 'constraints[0]': '8 / rows > 1': division by zero (at rows=0)");
}

TEST_CASE("points: sampling is seeded, without replacement, and keeps file order") {
    const std::string axes =
        "axes:\n  - {key: a.x, range: {from: 0, to: 19, step: 1}}\n  - {key: a.y, range: {from: 0, to: 9, "
        "step: 1}}\n"
        "constraints: [\"(x + y) % 3 != 0\"]\n";
    const SweepPlan all = plan_sweep(parse(inline_sweep(axes)));
    CHECK(all.points.size() == 133);  // 200 less the 67 with x + y divisible by 3
    const SweepPlan a = plan_sweep(parse(inline_sweep(axes + "sample: {count: 25, seed: 11}\n")));
    const SweepPlan b = plan_sweep(parse(inline_sweep(axes + "sample: {count: 25, seed: 11}\n")));
    const SweepPlan c = plan_sweep(parse(inline_sweep(axes + "sample: {count: 25, seed: 12}\n")));
    REQUIRE(a.points.size() == 25);
    CHECK(a.sampled);
    CHECK(dirs(a) == dirs(b));
    CHECK(dirs(a) != dirs(c));
    std::set<std::vector<size_t>> seen;
    std::vector<std::string> all_labels;
    for (const auto& p : all.points) all_labels.push_back(p.label);
    size_t last = 0;
    for (size_t i = 0; i < a.points.size(); ++i) {
        CHECK(seen.insert(a.points[i].choice).second);  // no point twice
        const auto at = std::find(all_labels.begin(), all_labels.end(), a.points[i].label);
        REQUIRE(at != all_labels.end());  // only points the constraints keep
        const size_t pos = static_cast<size_t>(at - all_labels.begin());
        if (i) CHECK(pos > last);  // in the product's order
        last = pos;
        CHECK(a.points[i].index == i);
    }
    // Asking for more than there are gives them all.
    CHECK(plan_sweep(parse(inline_sweep(axes + "sample: {count: 500}\n"))).points.size() == 133);
}

TEST_CASE("points: a product too large to enumerate is sampled by drawing, deterministically") {
    std::string axes = "axes:\n";
    for (const char* k : {"a", "b", "c", "d", "e", "f", "g"})
        axes += std::string("  - {key: k.") + k + ", range: {from: 0, to: 9, step: 1}}\n";
    CHECK_THROWS_WITH(
        plan_sweep(parse(inline_sweep(axes))),
        Catch::Matchers::Contains("the axes make 10000000 points, more than 1000000: add 'sample:"));
    const std::string sampled = axes + "constraints: [\"a < 5\"]\nsample: {count: 40, seed: 3}\n";
    const SweepPlan p1 = plan_sweep(parse(inline_sweep(sampled)));
    const SweepPlan p2 = plan_sweep(parse(inline_sweep(sampled)));
    REQUIRE(p1.points.size() == 40);
    CHECK(dirs(p1) == dirs(p2));
    CHECK(p1.product == 10000000);
    for (const auto& p : p1.points) CHECK(p.choice[0] < 5);
    CHECK(std::is_sorted(p1.points.begin(), p1.points.end(),
                         [](const SweepPoint& x, const SweepPoint& y) { return x.choice < y.choice; }));
    CHECK_THROWS_WITH(
        plan_sweep(parse(inline_sweep(axes + "constraints: [\"a > 20\"]\nsample: {count: 2}\n"))),
        Catch::Matchers::Contains("key 'sample.count': only 0 of 2000 points drawn satisfy"));
}

TEST_CASE("point labels are directory-safe, long ones end in a hash") {
    CHECK(sweep_label({{"rows", "16"}, {"fmt", "fx12:sr"}}) == "rows=16,fmt=fx12_sr");
    CHECK(sweep_label({{"p", "a/b c"}}) == "p=a_b_c");
    const std::string a = sweep_label({{"x", std::string(100, 'a')}});
    const std::string b = sweep_label({{"x", std::string(99, 'a') + "b"}});
    CHECK(a.size() == 64);
    CHECK(a != b);
    CHECK(a.substr(0, 50) == b.substr(0, 50));
    CHECK(sweep_label({}) == "");
}

TEST_CASE("SplitMix64 draws are uniform in range and repeatable") {
    uint64_t s1 = 5, s2 = 5;
    std::vector<int> counts(7, 0);
    for (int i = 0; i < 7000; ++i) {
        const uint64_t v = sweep_random_below(s1, 7);
        REQUIRE(v < 7);
        CHECK(v == sweep_random_below(s2, 7));
        ++counts[v];
    }
    for (int c : counts) CHECK((c > 850 && c < 1150));
}

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
